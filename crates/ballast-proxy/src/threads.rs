//! The threads that serve client connections. Each runs a single-threaded
//! tokio runtime; the accept loops hand each new connection to one of them
//! in turn, and the connection, the upstream connections it opens and the
//! runtime polling them all stay on that thread. Each also runs the
//! flusher that writes the requests of one scheduler turn together
//! (`upstream/batch.rs`).
//!
//! Why: on tokio's multi-threaded runtime a connection's I/O wake-ups land
//! with whichever worker turns the I/O driver, idle workers are woken to
//! steal them, and a worker's queue spills into a shared one under many
//! connections. HAProxy's threads and nginx's workers each own their
//! connections instead; so do these threads (as the API's do,
//! `ballast/src/api_threads.rs`). Measured in docs/benchmarks.md ("Serving
//! threads").

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Handle;
use tokio::sync::watch;

thread_local! {
    static INDEX: Cell<usize> = const { Cell::new(0) };
}

/// Which serving thread the caller runs on (0 on any other thread), for
/// state kept per thread such as the upstream connection pool.
pub(crate) fn current() -> usize {
    INDEX.with(Cell::get)
}

/// How many serving threads to run by default: one per core the process
/// may run on.
pub fn default_count() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// The running serving threads. They stop when the last clone is dropped
/// (with the tasks still on them).
#[derive(Debug, Clone)]
pub(crate) struct Threads {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    handles: Vec<Handle>,
    next: AtomicUsize,
    /// Dropped with the last clone: each thread's receiver then wakes and
    /// its runtime returns.
    _stop: watch::Sender<()>,
}

impl Threads {
    /// Starts `count` threads.
    pub(crate) fn start(count: NonZeroUsize) -> io::Result<Threads> {
        let (stop, stopped) = watch::channel(());
        let mut handles = Vec::with_capacity(count.get());
        for index in 0..count.get() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let mut stopped = stopped.clone();
            std::thread::Builder::new()
                .name(format!("ballast-proxy-{index}"))
                .spawn(move || {
                    INDEX.with(|cell| cell.set(index));
                    runtime.spawn(crate::upstream::batch::flusher());
                    runtime.block_on(async move {
                        // Never sent to: this returns when the sender drops.
                        let _ = stopped.changed().await;
                    });
                })?;
        }
        Ok(Threads {
            inner: Arc::new(Inner {
                handles,
                next: AtomicUsize::new(0),
                _stop: stop,
            }),
        })
    }

    /// Runs `task` on the next thread in turn. Once the threads have
    /// stopped, the task is dropped unrun.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let turn = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let handle = &self.inner.handles[turn % self.inner.handles.len()];
        drop(handle.spawn(task));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tasks_go_to_each_thread_in_turn() {
        let threads = Threads::start(NonZeroUsize::new(2).unwrap()).unwrap();
        let (sent, received) = std::sync::mpsc::channel();
        for _ in 0..4 {
            let sent = sent.clone();
            threads.spawn(async move {
                sent.send((current(), std::thread::current().id())).unwrap();
            });
        }
        let mut seen: Vec<_> = (0..4)
            .map(|_| received.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        seen.sort_by_key(|(index, _)| *index);
        assert_eq!(
            seen.iter().map(|(index, _)| *index).collect::<Vec<_>>(),
            [0, 0, 1, 1]
        );
        assert_eq!(seen[0].1, seen[1].1);
        assert_ne!(seen[1].1, seen[2].1);
    }

    #[test]
    fn dropping_the_last_clone_stops_the_threads() {
        let threads = Threads::start(NonZeroUsize::MIN).unwrap();
        let (sent, received) = std::sync::mpsc::channel::<()>();
        // A task that never ends holds the sender; it is dropped with its
        // runtime.
        threads.spawn(async move {
            let _sent = sent;
            std::future::pending::<()>().await;
        });
        drop(threads);
        // The sender is dropped when the task is, so the channel closes.
        assert_eq!(
            received.recv_timeout(Duration::from_secs(5)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
    }
}
