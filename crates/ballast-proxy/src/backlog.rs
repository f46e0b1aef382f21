//! Letting a batch of ready connections receive before any of them sends.
//!
//! Why: under a heavy load, one turn of the runtime's I/O driver makes
//! hundreds of connections ready at once. If each connection's task
//! receives and then sends straight away, the sends trickle out one by one
//! and the peers (the target, the client), quicker than that trickle, go
//! back to sleep between them: every send then wakes a sleeping task on
//! another core, an inter-processor interrupt. HAProxy receives on the
//! whole batch and then sends, so a peer is woken once per burst. Measured
//! at 512 connections (docs/benchmarks.md, "Proxy throughput"): Ballast
//! woke its peers four times as often as HAProxy, and yielding before each
//! send when the runtime is backlogged took its throughput from 0.85× to
//! 0.95× HAProxy's and its p99 below HAProxy's.
//!
//! Under a light load a yield would only add a trip through the scheduler
//! to every request, so it happens only when the runtime's shared queue
//! holds tasks: a worker's own queue (256 tasks) has overflowed, which is
//! what a large batch of wake-ups does.

/// Yields to the other ready tasks when the runtime is backlogged; under
/// a light load, returns at once.
pub(crate) async fn yield_if_backlogged() {
    if backlogged() {
        tokio::task::yield_now().await;
    }
}

/// Whether tasks wait in the current runtime's shared queue.
fn backlogged() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|runtime| runtime.metrics().global_queue_depth() > 0)
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn polled_once(future: impl Future<Output = ()>) -> Poll<()> {
        let mut context = Context::from_waker(Waker::noop());
        pin!(future).poll(&mut context)
    }

    #[test]
    fn an_idle_runtime_is_not_yielded_to() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _inside = runtime.enter();
        assert_eq!(polled_once(yield_if_backlogged()), Poll::Ready(()));
    }

    #[test]
    fn a_backlogged_runtime_is_yielded_to() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        // Tasks spawned from outside the runtime wait in its shared queue.
        std::thread::spawn(move || {
            for _ in 0..4 {
                handle.spawn(async {});
            }
        })
        .join()
        .unwrap();
        let _inside = runtime.enter();
        assert!(backlogged());
        assert_eq!(polled_once(yield_if_backlogged()), Poll::Pending);
    }
}
