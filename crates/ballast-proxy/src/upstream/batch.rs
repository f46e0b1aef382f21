//! Request heads sent to targets together, once per scheduler turn.
//!
//! A serving thread's runtime wakes every connection that became ready
//! in one turn of its I/O driver, then polls them in order. If each sent
//! its request to the target as soon as it had one, the target (often
//! quicker than the stream of single requests) would be woken for each,
//! and a wake-up of a process on another core is an inter-processor
//! interrupt, dear in a virtual machine. HAProxy receives on every ready
//! connection first and sends afterwards, so a target gets one burst per
//! turn. Measured in docs/benchmarks.md ("Requests written once per
//! scheduler turn").
//!
//! Here a request is queued instead of written, once the client's body
//! (if any) is in the same buffer as the head (up to 64 KiB): the
//! connection's task goes straight on to wait for the response, and a
//! flusher task, woken by the first request queued and so placed behind
//! every connection already woken, writes the whole queue. The task is
//! not polled again for the write: it is woken by the response, or by the
//! flusher when the write did not go through whole.
//!
//! Only serving threads run a flusher ([`flusher`]); elsewhere (health
//! checks, tests on their own runtime) [`Queued::push`] declines and the
//! request is written at once.

use std::cell::RefCell;
use std::io::{self, Write as _};
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd as _, FromRawFd as _, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::net::TcpStream;

thread_local! {
    /// This thread's queue; `None` where no flusher runs.
    static QUEUE: RefCell<Option<Queue>> = const { RefCell::new(None) };
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<Arc<Slot>>,
    /// The flusher's waker, from its last poll.
    flusher: Option<Waker>,
    /// Whether the flusher has been woken and not yet run.
    woken: bool,
}

/// One connection's request while it is queued; a connection keeps its
/// slot from one request to the next.
#[derive(Debug, Default)]
pub struct Slot {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The socket's descriptor, owned by the connection, which outlives
    /// the queued request (see [`Queued`]).
    fd: Option<RawFd>,
    bytes: Vec<u8>,
    outcome: Outcome,
    /// The connection's task, woken when the write needs it.
    waker: Option<Waker>,
}

/// What became of a queued request.
#[derive(Debug, Default)]
pub enum Outcome {
    /// Not written yet (or, once the request is done with, never).
    #[default]
    Waiting,
    /// Written whole.
    Sent,
    /// The socket took only this many bytes; the rest is the task's to
    /// write.
    Partial(usize),
    /// The write failed.
    Failed(io::Error),
}

impl Slot {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the queued bytes, if they are still wanted.
    fn flush(&self) {
        let mut state = self.state();
        let Some(fd) = state.fd.take() else {
            return; // withdrawn
        };
        // SAFETY: `fd` is the socket of the connection that queued this
        // request, which `Queued::push`'s caller keeps open until the
        // `Queued` goes; the `Queued` takes `fd` out of the slot (under
        // this lock) before it does. `ManuallyDrop` leaves the descriptor
        // open.
        let socket = ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) });
        let outcome = write_some(&socket, &state.bytes);
        let trouble = !matches!(outcome, Outcome::Sent);
        state.outcome = outcome;
        if trouble && let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
}

/// Writes as much of `bytes` as the (non-blocking) socket takes now.
fn write_some(mut socket: &std::net::TcpStream, bytes: &[u8]) -> Outcome {
    let mut written = 0;
    while written < bytes.len() {
        match socket.write(&bytes[written..]) {
            Ok(0) => return Outcome::Partial(written),
            Ok(n) => written += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Outcome::Partial(written);
            }
            Err(error) => return Outcome::Failed(error),
        }
    }
    Outcome::Sent
}

/// Runs this thread's flusher until the runtime drops it. Spawned once on
/// each serving thread.
pub(crate) async fn flusher() {
    struct Registered;
    impl Drop for Registered {
        fn drop(&mut self) {
            // Nothing would write what is queued from now on.
            QUEUE.with(|queue| queue.borrow_mut().take());
        }
    }
    let _registered = Registered;
    let mut writing = Vec::new();
    std::future::poll_fn(|cx| {
        QUEUE.with(|queue| {
            let mut queue = queue.borrow_mut();
            let queue = queue.get_or_insert_with(Queue::default);
            std::mem::swap(&mut queue.waiting, &mut writing);
            queue.woken = false;
            if !queue
                .flusher
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                queue.flusher = Some(cx.waker().clone());
            }
        });
        for slot in writing.drain(..) {
            slot.flush();
        }
        Poll::<()>::Pending
    })
    .await;
}

/// A request queued on its connection's behalf. Dropping it withdraws the
/// request if it was not written yet and hands the bytes back.
#[derive(Debug)]
pub struct Queued<'a> {
    slot: &'a Arc<Slot>,
    bytes: &'a mut Vec<u8>,
    /// Whether [`Queued::finish`] already withdrew the request.
    finished: bool,
}

impl<'a> Queued<'a> {
    /// Queues `bytes` for `stream`, or does nothing (`None`) on a thread
    /// without a flusher. The bytes sit in the slot until the request is
    /// done with.
    ///
    /// # Safety
    ///
    /// `stream` must stay open until the returned `Queued` is dropped or
    /// finished: the flusher writes to its descriptor. (A borrow cannot
    /// say so: the caller reads from the same stream meanwhile.)
    pub unsafe fn push(
        slot: &'a Arc<Slot>,
        stream: &TcpStream,
        bytes: &'a mut Vec<u8>,
    ) -> Option<Queued<'a>> {
        QUEUE.with(|queue| {
            let mut queue = queue.borrow_mut();
            let queue = queue.as_mut()?;
            {
                let mut state = slot.state();
                state.fd = Some(stream.as_raw_fd());
                state.bytes = std::mem::take(bytes);
                state.outcome = Outcome::Waiting;
            }
            queue.waiting.push(Arc::clone(slot));
            if !queue.woken {
                queue.woken = true;
                if let Some(flusher) = &queue.flusher {
                    flusher.wake_by_ref();
                }
            }
            Some(Queued {
                slot,
                bytes,
                finished: false,
            })
        })
    }

    /// `Ready` when the write went wrong or only in part, so that the
    /// caller stops waiting for a response; otherwise the caller's task is
    /// woken for that.
    pub fn poll_trouble(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.slot.state();
        match state.outcome {
            Outcome::Waiting => {
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            Outcome::Sent => Poll::Pending,
            Outcome::Partial(_) | Outcome::Failed(_) => Poll::Ready(()),
        }
    }

    /// Ends the request's time in the queue: what became of it (`Waiting`
    /// if it was never written, and now never will be), with the bytes
    /// back where they came from.
    pub fn finish(mut self) -> Outcome {
        let outcome = self.withdraw();
        self.finished = true;
        outcome
    }

    fn withdraw(&mut self) -> Outcome {
        let mut state = self.slot.state();
        state.fd = None;
        state.waker = None;
        *self.bytes = std::mem::take(&mut state.bytes);
        std::mem::take(&mut state.outcome)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.withdraw();
        }
    }
}

/// Runs `test` on a single-threaded runtime whose flusher is running, as
/// on a serving thread.
#[cfg(test)]
pub(crate) fn with_flusher(test: impl std::future::Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("a test runtime: {error}"));
    runtime.block_on(async {
        tokio::spawn(flusher());
        tokio::task::yield_now().await; // the flusher registers
        test.await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;
    use std::time::Duration;

    /// A connected pair: the proxy's side (tokio) and the target's (std).
    async fn pair() -> (TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_side = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (target_side, _) = listener.accept().unwrap();
        target_side
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (proxy_side, target_side)
    }

    /// Whether the target has anything to read right now.
    fn has_data(target: &std::net::TcpStream) -> bool {
        target.set_nonblocking(true).unwrap();
        let mut probe = [0u8; 1];
        let has = target.peek(&mut probe).is_ok_and(|n| n > 0);
        target.set_nonblocking(false).unwrap();
        has
    }

    #[test]
    fn without_a_flusher_nothing_is_queued() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (stream, _target) = pair().await;
            let slot = Arc::default();
            let mut bytes = b"GET / HTTP/1.1\r\n\r\n".to_vec();
            // SAFETY: `stream` lives to the end of the block.
            let queued = unsafe { Queued::push(&slot, &stream, &mut bytes) };
            assert!(queued.is_none());
            drop(queued);
            assert_eq!(bytes, b"GET / HTTP/1.1\r\n\r\n");
        });
    }

    #[test]
    fn requests_of_one_turn_are_written_after_it() {
        with_flusher(async {
            let (first, mut first_target) = pair().await;
            let (second, mut second_target) = pair().await;
            let (first_slot, second_slot) = (Arc::default(), Arc::default());
            let (mut first_bytes, mut second_bytes) = (b"first".to_vec(), b"second".to_vec());
            // SAFETY: the streams outlive the `Queued`s, finished below.
            let first_queued =
                unsafe { Queued::push(&first_slot, &first, &mut first_bytes) }.unwrap();
            let second_queued =
                unsafe { Queued::push(&second_slot, &second, &mut second_bytes) }.unwrap();
            assert!(!has_data(&first_target), "nothing is written in the turn");
            tokio::task::yield_now().await; // the flusher runs
            assert!(matches!(first_queued.finish(), Outcome::Sent));
            assert!(matches!(second_queued.finish(), Outcome::Sent));
            let mut read = [0u8; 6];
            first_target.read_exact(&mut read[..5]).unwrap();
            second_target.read_exact(&mut read).unwrap();
            assert_eq!(&read, b"second");
            assert_eq!(first_bytes, b"first", "the bytes come back");
        });
    }

    #[test]
    fn a_request_dropped_before_its_turn_ends_is_never_written() {
        with_flusher(async {
            let (stream, target) = pair().await;
            let slot = Arc::default();
            let mut bytes = b"GET / HTTP/1.1\r\n\r\n".to_vec();
            // SAFETY: `stream` outlives the `Queued`, dropped at once.
            drop(unsafe { Queued::push(&slot, &stream, &mut bytes) });
            tokio::task::yield_now().await;
            assert!(!has_data(&target));
            assert_eq!(bytes, b"GET / HTTP/1.1\r\n\r\n");
        });
    }

    #[test]
    fn a_write_the_socket_takes_in_part_wakes_the_task() {
        with_flusher(async {
            // The target reads nothing, so the socket's buffers fill.
            let (stream, _target) = pair().await;
            let slot = Arc::default();
            let mut bytes = vec![b'x'; 64 << 20];
            // SAFETY: `stream` outlives the `Queued`, finished below.
            let queued = unsafe { Queued::push(&slot, &stream, &mut bytes) }.unwrap();
            tokio::time::timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| queued.poll_trouble(cx)),
            )
            .await
            .expect("the flusher wakes the task");
            match queued.finish() {
                Outcome::Partial(written) => assert!(0 < written && written < 64 << 20),
                other => panic!("expected a partial write, got {other:?}"),
            }
            assert_eq!(bytes.len(), 64 << 20);
        });
    }
}
