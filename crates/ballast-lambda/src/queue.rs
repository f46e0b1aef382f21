//! Lambda's asynchronous invocation queue: what an `Event` Invoke or an
//! EventBridge rule queued in the store is run here, each invocation at
//! least once; a failed run is retried as Lambda retries (twice, a minute
//! then two later, time-scaled) and taken out of the queue only when a
//! run ended, so a restart in between runs it again. One that found its
//! function's reserved concurrency in use waits a second (time-scaled) and
//! is tried again, without using up a retry.

use std::collections::HashSet;
use std::time::Duration;

use ballast_core::clock::epoch_millis;
use ballast_core::lambda::Qualifier;
use ballast_core::lambda::invoke::{Invocation, NotRun, Queued};
use ballast_store::StoreError;
use tokio::sync::mpsc;

use crate::Lambda;

/// How many queued invocations run at once.
const CONCURRENCY: usize = 8;

/// The longest the loop sleeps when nothing is due (it also retires idle
/// environments on each turn).
const IDLE_TICK: Duration = Duration::from_secs(1);

pub(crate) async fn run(lambda: Lambda) {
    let mut stop = lambda.inner.stop.subscribe();
    let mut running: HashSet<String> = HashSet::new();
    let (done_tx, mut done) = mpsc::unbounded_channel::<String>();
    while !*stop.borrow() {
        lambda.retire_idle();
        let now = epoch_millis(lambda.inner.clock.now());
        let due = match lambda
            .inner
            .store
            .read(|tx| tx.due_invocations(now, u32::try_from(CONCURRENCY * 2).unwrap_or(16)))
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "reading Lambda's queue");
                Vec::new()
            }
        };
        for queued in due {
            if running.len() >= CONCURRENCY || !running.insert(queued.id.clone()) {
                continue;
            }
            let lambda = lambda.clone();
            let done = done_tx.clone();
            tokio::spawn(async move {
                let id = queued.id.clone();
                if let Err(error) = run_one(&lambda, queued).await {
                    tracing::warn!(%error, id, "an asynchronous invocation");
                }
                let _ = done.send(id);
            });
        }
        let wait = next_wait(&lambda);
        tokio::select! {
            () = lambda.inner.queued.notified() => {}
            finished = done.recv() => {
                if let Some(id) = finished {
                    running.remove(&id);
                }
            }
            _ = stop.changed() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// How long until the next queued invocation is due, at most
/// [`IDLE_TICK`].
fn next_wait(lambda: &Lambda) -> Duration {
    let now = epoch_millis(lambda.inner.clock.now());
    match lambda.inner.store.read(|tx| tx.next_invocation_due()) {
        Ok(Some(due)) => {
            Duration::from_millis(u64::try_from(due - now).unwrap_or(0)).min(IDLE_TICK)
        }
        _ => IDLE_TICK,
    }
}

/// Runs one queued invocation and records how it went.
async fn run_one(lambda: &Lambda, queued: Queued) -> Result<(), StoreError> {
    let inner = &lambda.inner;
    let qualifier = queued.qualifier.as_deref();
    let roll = inner.ids.fraction();
    let function = inner
        .store
        .read(|tx| tx.invoked_version(&queued.function_name, Qualifier::parse(qualifier), roll))?;
    let Some(function) = function else {
        // The function, version or alias was deleted while its event waited.
        return inner.store.write(|tx| tx.dequeue_invocation(&queued.id));
    };
    let invocation = Invocation {
        function_arn: ballast_core::lambda::qualified_arn(&inner.scope, &function.name, qualifier),
        function,
        payload: queued.payload.clone().into_bytes(),
        client_context: None,
        request_id: queued.id.clone(),
    };
    let ran = lambda.invoke_now(invocation).await;
    let now = epoch_millis(inner.clock.now());
    let scale = |d| inner.time_scale.scale(d);
    let next = match ran {
        Ok(outcome) if outcome.function_error.is_none() => None,
        Ok(_) => queued.after_failure(now, scale),
        // Throttled events wait for a free slot without using a retry.
        Err(NotRun::Throttled) => queued.after_throttle(now, scale),
        Err(error) => {
            tracing::warn!(%error, function = queued.function_name, "could not run an asynchronous invocation");
            queued.after_failure(now, scale)
        }
    };
    inner.store.write(|tx| match next {
        Some(again) => tx.queue_invocation(&again),
        None => tx.dequeue_invocation(&queued.id),
    })
}
