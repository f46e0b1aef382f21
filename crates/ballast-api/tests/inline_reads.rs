//! Reads run on the async thread that decoded them, and so do small writes
//! (item and parameter writes) when the writer is free; other writes go to
//! the blocking pool, where waiting is allowed. Observed as a user would:
//! with the blocking pool busy, reads and small writes are still answered,
//! and other writes wait.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;
use support::{Api, Call};

fn runtime_with_one_blocking_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// The only blocking thread, taken until released.
struct BusyPool {
    release: mpsc::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), mpsc::RecvTimeoutError>>,
}

impl BusyPool {
    fn take() -> BusyPool {
        let (release, released) = mpsc::channel::<()>();
        let task =
            tokio::task::spawn_blocking(move || released.recv_timeout(Duration::from_secs(30)));
        BusyPool { release, task }
    }

    async fn release(self) {
        self.release.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

#[test]
fn reads_are_answered_while_the_blocking_pool_is_busy() {
    let rt = runtime_with_one_blocking_thread();
    rt.block_on(async {
        let api = Api::new();
        api.root(Call::json(
            "ssm",
            "PutParameter",
            json!({"Name": "/app/colour", "Value": "blue", "Type": "String"}),
        ))
        .await
        .ok();

        let busy = BusyPool::take();

        let read = api.root(Call::json(
            "ssm",
            "GetParameter",
            json!({"Name": "/app/colour"}),
        ));
        let read = tokio::time::timeout(Duration::from_secs(5), read).await;
        let small_write = api.root(Call::json(
            "ssm",
            "PutParameter",
            json!({"Name": "/app/size", "Value": "L", "Type": "String"}),
        ));
        let small_write = tokio::time::timeout(Duration::from_secs(5), small_write).await;

        let write = api.root(Call::json(
            "ssm",
            "AddTagsToResource",
            json!({"ResourceType": "Parameter", "ResourceId": "/app/size",
                   "Tags": [{"Key": "team", "Value": "web"}]}),
        ));
        tokio::pin!(write);
        let write_waited = tokio::time::timeout(Duration::from_millis(200), &mut write)
            .await
            .is_err();

        busy.release().await;
        let read = read.expect("the read waited for the blocking pool").ok();
        assert!(read.body.contains(r#""Value":"blue""#), "{}", read.body);
        let small_write = small_write
            .expect("the small write waited for the blocking pool")
            .ok();
        assert!(
            small_write.body.contains(r#""Version":1"#),
            "{}",
            small_write.body
        );
        assert!(
            write_waited,
            "a tagging write ran without the blocking pool"
        );
        write.await.ok();
        let size = api
            .root(Call::json(
                "ssm",
                "GetParameter",
                json!({"Name": "/app/size"}),
            ))
            .await
            .ok();
        assert!(size.body.contains(r#""Value":"L""#), "{}", size.body);
        let tags = api
            .root(Call::json(
                "ssm",
                "ListTagsForResource",
                json!({"ResourceType": "Parameter", "ResourceId": "/app/size"}),
            ))
            .await
            .ok();
        assert!(tags.body.contains(r#""Value":"web""#), "{}", tags.body);
    });
}

#[test]
fn small_writes_wait_for_the_blocking_pool_when_commits_are_synced() {
    let rt = runtime_with_one_blocking_thread();
    rt.block_on(async {
        let api = Api::with_durability(ballast_store::Durability::Machine);
        let busy = BusyPool::take();

        let write = api.root(Call::json(
            "ssm",
            "PutParameter",
            json!({"Name": "/app/size", "Value": "L", "Type": "String"}),
        ));
        tokio::pin!(write);
        let waited = tokio::time::timeout(Duration::from_millis(200), &mut write)
            .await
            .is_err();
        busy.release().await;
        assert!(waited, "a synced write ran on the async thread");
        write.await.ok();
    });
}

#[test]
fn a_read_that_fails_validation_or_authorization_answers_the_same_inline() {
    let rt = runtime_with_one_blocking_thread();
    rt.block_on(async {
        let api = Api::new();
        let missing = api
            .root(Call::json("ssm", "GetParameter", json!({"Name": "/nope"})))
            .await;
        missing.assert_code("ParameterNotFound");
        assert_eq!(missing.status, 400);

        let session = api
            .session("reader", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"*"}]}"#)
            .await;
        let denied = api
            .call(&session, Call::json("ssm", "GetParameter", json!({"Name": "/nope"})))
            .await;
        denied.assert_code("AccessDeniedException");
    });
}
