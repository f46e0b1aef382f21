//! The probe against real loopback servers: what it counts is what a
//! user would have seen (answers by backend, refused connections, 5xx,
//! timeouts), and it stops on its bounds or when interrupted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use ballast_probe::{AnsweredBy, Cause, Load, Options, run};
use tokio::net::TcpListener;

/// Serves `app` on a free loopback port; returns its URL.
async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/")
}

fn options(url: &str, load: Load, requests: u64) -> Options {
    let mut options = Options::new(url).expect("a URL");
    options.load = load;
    options.requests = Some(requests);
    options.timeout = Duration::from_millis(500);
    options
}

async fn never() {
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn an_open_loop_counts_answers_by_backend_and_ends_with_json() {
    let url = serve(Router::new().route(
        "/",
        get(|| async { ([("x-backend", "blue")], r#"{"instance":"i-1"}"#) }),
    ))
    .await;
    let mut options = options(&url, Load::Rate(200.0), 20);
    options.answered_by = Some("header:x-backend".parse::<AnsweredBy>().expect("a spec"));
    options.json = true;
    let mut out = Vec::new();
    let summary = run(&options, &mut out, never()).await.expect("a run");
    assert_eq!(
        (summary.sent, summary.total.answered, summary.failed()),
        (20, 20, 0)
    );
    assert_eq!(summary.total.answered_by["blue"], 20);
    // 20 requests at 200/s take about 0.1 s, not less.
    assert!(
        summary.elapsed >= Duration::from_millis(90),
        "{:?}",
        summary.elapsed
    );
    let text = String::from_utf8(out).expect("UTF-8");
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a line")).expect("JSON");
    assert_eq!(
        (
            last["sent"].as_u64(),
            last["ok"].as_u64(),
            last["failed"].as_u64()
        ),
        (Some(20), Some(20), Some(0))
    );
    assert_eq!(last["answered_by"]["blue"], 20);
}

#[tokio::test]
async fn failures_are_counted_by_cause() {
    // Nothing listens on a port just given back.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        format!("http://{}/", listener.local_addr().expect("an address"))
    };
    let mut out = Vec::new();
    let summary = run(
        &options(&closed, Load::Concurrency(2), 6),
        &mut out,
        never(),
    )
    .await
    .expect("a run");
    assert_eq!((summary.sent, summary.failed()), (6, 6));
    assert_eq!(summary.total.failed[&Cause::Refused], 6);
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(text.contains("connection refused"), "{text}");

    let url = serve(Router::new().route("/", get(|| async { StatusCode::BAD_GATEWAY }))).await;
    let summary = run(
        &options(&url, Load::Rate(100.0), 5),
        &mut Vec::new(),
        never(),
    )
    .await
    .expect("a run");
    assert_eq!(summary.total.failed[&Cause::Status(502)], 5);

    let url = serve(Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    ))
    .await;
    let summary = run(
        &options(&url, Load::Concurrency(3), 3),
        &mut Vec::new(),
        never(),
    )
    .await
    .expect("a run");
    assert_eq!(summary.total.failed[&Cause::Timeout], 3);
}

#[tokio::test]
async fn an_interrupt_ends_an_unbounded_probe_with_its_summary() {
    let url = serve(Router::new().route("/", get(|| async { "ok" }))).await;
    let mut options = Options::new(&url).expect("a URL");
    options.load = Load::Rate(100.0);
    let mut out = Vec::new();
    let summary = run(
        &options,
        &mut out,
        tokio::time::sleep(Duration::from_millis(1500)),
    )
    .await
    .expect("a run");
    assert!(summary.sent >= 100, "sent {}", summary.sent);
    assert_eq!(summary.total.answered, summary.sent);
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(
        text.contains("   1s  sent"),
        "a line for the first second: {text}"
    );
    assert!(text.contains("latency histogram"), "{text}");
}

#[test]
fn bad_options_are_refused() {
    assert!(Options::new("ftp://x/").is_err());
    assert!(Options::new("not a url").is_err());
    assert!("cookie:x".parse::<AnsweredBy>().is_err());
}
