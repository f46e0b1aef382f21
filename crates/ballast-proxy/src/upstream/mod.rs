//! Connections to targets: HTTP/1.1 with keep-alive, pooled per address.
//!
//! This is a small HTTP/1.1 client written for the proxy rather than
//! hyper's. hyper's client runs every connection as a task of its own and
//! hands each request to it through a channel, each response back through
//! a oneshot and each body through another channel: three task switches and
//! their allocations per proxied request, which made the data plane a third
//! slower than HAProxy (docs/benchmarks.md, "Proxy throughput"). Here the
//! client connection's task (hyper's server side) writes the request and
//! reads the response itself, in the same poll:
//!
//! - the request head is written straight from the client's request, with
//!   ALB's `X-Forwarded-*` headers, into a buffer the connection keeps, so
//!   sending a request again after a dead connection is a second write of
//!   the same bytes ([`head`]);
//! - the response head is parsed with `httparse` (hyper's own parser) and
//!   its header values share the read buffer instead of being copied;
//! - the response body is read from the socket as the client takes it, and
//!   the connection goes back to the pool when the body ends ([`body`]).
//!
//! Connection set-up is separate from sending, so a failure to connect is
//! known before any byte of the request has left, and the request can be
//! retried elsewhere intact.

pub(crate) mod batch;
mod body;
pub mod chunked;
pub mod head;

use std::collections::{HashMap, HashSet};
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use http::Method;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub use body::UpstreamBody;
pub use head::ResponseHead;

/// Idle connections kept per target: enough for every connection of a
/// busy target to be reused rather than made again for each request.
const MAX_IDLE_PER_TARGET: usize = 1024;

/// Request bodies up to this size go out in the same write as the head.
const COALESCE_LIMIT: usize = 64 * 1024;

/// How much room a read asks for: a 16 KiB response body arrives in one.
const READ_RESERVE: usize = 16 * 1024;

/// Why a connection to a target could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("connect timed out")]
    Timeout,
    #[error("connect failed: {0}")]
    Io(#[from] io::Error),
}

/// Why an exchange on a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The connection closed or broke before a byte of the response came
    /// back; the target may never have seen the request.
    #[error("the connection closed before any response: {0}")]
    Closed(io::Error),
    /// The connection closed or broke after part of the response head
    /// came back.
    #[error("the response broke off: {0}")]
    Broken(io::Error),
    /// The target's response head could not be parsed.
    #[error("malformed response: {0}")]
    Malformed(#[from] head::ParseError),
    /// The client's request body failed while it was being forwarded.
    #[error("the request body failed: {0}")]
    RequestBody(hyper::Error),
}

/// The request body as it is sent on: nothing, as is (the client gave its
/// length), or chunked (it did not).
#[derive(Debug)]
pub enum Outgoing {
    Empty,
    Length(Incoming),
    Chunked(Incoming),
}

impl Outgoing {
    /// How `body` goes on, given whether the request carries a
    /// `Content-Length` header.
    pub fn new(body: Incoming, has_length: bool) -> Outgoing {
        if body.is_end_stream() {
            Outgoing::Empty
        } else if has_length {
            Outgoing::Length(body)
        } else {
            Outgoing::Chunked(body)
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Outgoing::Empty)
    }
}

/// One keep-alive connection to a target.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    addr: SocketAddr,
    /// Bytes read and not yet consumed.
    read: BytesMut,
    /// The last request's bytes; kept so its allocation serves the next.
    write: Vec<u8>,
    /// Whether an earlier exchange used this connection: a reused one
    /// can have been closed by the target while it sat in the pool.
    reused: bool,
    /// Where a request waits to be written with the others of its turn.
    slot: Arc<batch::Slot>,
}

impl Connection {
    /// Opens a new connection to `addr`.
    pub async fn open(addr: SocketAddr, timeout: Duration) -> Result<Connection, ConnectError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| ConnectError::Timeout)??;
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            stream,
            addr,
            read: BytesMut::new(),
            write: Vec::new(),
            reused: false,
            slot: Arc::default(),
        })
    }

    /// Whether an earlier exchange used this connection.
    pub fn is_reused(&self) -> bool {
        self.reused
    }

    /// The connection's write buffer, emptied, for the next request head.
    pub fn take_buffer(&mut self) -> Vec<u8> {
        let mut buffer = std::mem::take(&mut self.write);
        buffer.clear();
        buffer
    }

    /// Gives a request buffer back for the next exchange to reuse, unless
    /// a large body grew it: an idle connection should hold little.
    pub fn keep_buffer(&mut self, buffer: Vec<u8>) {
        if buffer.capacity() <= COALESCE_LIMIT {
            self.write = buffer;
        }
    }

    /// Sends a request (`head` as written by [`head::write_request`], then
    /// `body`) and reads the response head. When the body fits in one
    /// write with the head, `head` is left as it came; otherwise it is left
    /// holding the body's last part.
    pub async fn exchange(
        &mut self,
        head: &mut Vec<u8>,
        body: &mut Outgoing,
        method: &Method,
    ) -> Result<ResponseHead, SendError> {
        let head_len = head.len();
        if !self.gather(head, body).await? {
            self.write_all(head).await?;
            return self.read_head(method).await;
        }
        let result = self.exchange_in_batch(head, method).await;
        // Leave only the head, so what is kept is what was asked for.
        head.truncate(head_len);
        result
    }

    /// [`Connection::exchange`] once the whole request is in `head`: it is
    /// written with the others of this scheduler turn ([`batch`]), or at
    /// once on a thread that does not batch.
    async fn exchange_in_batch(
        &mut self,
        head: &mut Vec<u8>,
        method: &Method,
    ) -> Result<ResponseHead, SendError> {
        // SAFETY: `self` (and so the socket) is borrowed for as long as
        // this function runs, and the `Queued` does not outlive it.
        let Some(queued) = (unsafe { batch::Queued::push(&self.slot, &self.stream, head) }) else {
            self.write_all(head).await?;
            return self.read_head(method).await;
        };
        // Wait for the response, unless the write needs this task.
        let (stream, read) = (&mut self.stream, &mut self.read);
        let first = std::future::poll_fn(|cx| {
            if queued.poll_trouble(cx).is_ready() {
                return Poll::Ready(None);
            }
            fill(stream, read, cx).map(Some)
        })
        .await;
        let outcome = queued.finish();
        match (outcome, first) {
            (batch::Outcome::Failed(error), _) => Err(SendError::Closed(error)),
            (batch::Outcome::Partial(written), _) => {
                self.write_all(&head[written..]).await?;
                self.read_head(method).await
            }
            (_, Some(Err(error))) => Err(SendError::Closed(error)),
            (_, Some(Ok(0))) => Err(SendError::Closed(io::ErrorKind::UnexpectedEof.into())),
            (batch::Outcome::Sent, _) => self.read_head(method).await,
            // The target sent something before it had the request.
            (batch::Outcome::Waiting, _) => Err(SendError::Closed(io::Error::new(
                io::ErrorKind::InvalidData,
                "the target sent data before the request",
            ))),
        }
    }

    /// Appends the request body to `head` as it is to be sent (chunked if
    /// it has no length), writing what would pass [`COALESCE_LIMIT`]
    /// first. `true` when the whole request is in `head`, unwritten.
    async fn gather(&mut self, head: &mut Vec<u8>, body: &mut Outgoing) -> Result<bool, SendError> {
        let (incoming, chunked) = match body {
            Outgoing::Empty => return Ok(true),
            Outgoing::Length(incoming) => (incoming, false),
            Outgoing::Chunked(incoming) => (incoming, true),
        };
        let mut whole = true;
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(SendError::RequestBody)?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers are not forwarded
            };
            if data.is_empty() {
                continue;
            }
            if head.len() + data.len() > COALESCE_LIMIT {
                self.write_all(head).await?;
                head.clear();
                whole = false;
            }
            if chunked {
                // Writing into a Vec cannot fail.
                let _ = write!(head, "{:x}\r\n", data.len());
                head.extend_from_slice(&data);
                head.extend_from_slice(b"\r\n");
            } else {
                head.extend_from_slice(&data);
            }
        }
        if chunked {
            head.extend_from_slice(b"0\r\n\r\n");
        }
        Ok(whole)
    }

    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(SendError::Closed)
    }

    /// Reads until a final response head (1xx other than 101 are skipped).
    async fn read_head(&mut self, method: &Method) -> Result<ResponseHead, SendError> {
        let mut any = false;
        loop {
            if !self.read.is_empty() {
                any = true;
                if let Some(head) = head::parse_response(&mut self.read, method)? {
                    return Ok(head);
                }
            }
            let read = std::future::poll_fn(|cx| self.poll_fill(cx)).await;
            match read {
                Ok(0) => {
                    let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
                    return Err(if any {
                        SendError::Broken(eof)
                    } else {
                        SendError::Closed(eof)
                    });
                }
                Ok(_) => {}
                Err(error) if any => return Err(SendError::Broken(error)),
                Err(error) => return Err(SendError::Closed(error)),
            }
        }
    }

    /// Reads what the socket has into the read buffer; `Ok(0)` at its end.
    /// Through `AsyncRead`, which clears the socket's readiness after a
    /// short read: the next wait then costs no `read` that finds nothing.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        fill(&mut self.stream, &mut self.read, cx)
    }

    /// Whether the connection is still open with nothing unread: a target
    /// that closed it, or sent bytes nobody asked for, makes it useless.
    fn is_idle_and_open(&self) -> bool {
        if !self.read.is_empty() {
            return false;
        }
        let mut probe = [0u8; 1];
        matches!(self.stream.try_read(&mut probe), Err(error) if error.kind() == io::ErrorKind::WouldBlock)
    }

    /// The socket and whatever the target sent after the response head,
    /// for a protocol switch.
    pub fn into_parts(self) -> (TcpStream, BytesMut) {
        (self.stream, self.read)
    }
}

/// [`Connection::poll_fill`], on the connection's parts.
fn fill(
    stream: &mut TcpStream,
    read: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    read.reserve(READ_RESERVE);
    tokio_util::io::poll_read_buf(Pin::new(stream), cx, read)
}

/// Keep-alive connections to targets, a set per serving thread: a
/// connection is registered with the I/O driver of the thread that opened
/// it, and used from another thread every readiness event would cross
/// between the two.
#[derive(Debug)]
pub struct Pool {
    threads: Box<[Idle]>,
}

type Idle = Mutex<HashMap<SocketAddr, Vec<Connection>>>;

impl Pool {
    /// A pool for `threads` serving threads.
    pub fn new(threads: NonZeroUsize) -> Pool {
        Pool {
            threads: (0..threads.get()).map(|_| Idle::default()).collect(),
        }
    }

    /// The calling thread's idle connections.
    fn idle(&self) -> MutexGuard<'_, HashMap<SocketAddr, Vec<Connection>>> {
        let idle = &self.threads[crate::threads::current() % self.threads.len()];
        idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection to `addr` that is still open, if the calling
    /// thread has one.
    pub fn take_idle(&self, addr: SocketAddr) -> Option<Connection> {
        let mut idle = self.idle();
        let list = idle.get_mut(&addr)?;
        while let Some(connection) = list.pop() {
            if connection.is_idle_and_open() {
                return Some(connection);
            }
        }
        None
    }

    /// Keeps a connection whose exchange is complete for the calling
    /// thread's next request.
    pub fn put_back(&self, mut connection: Connection) {
        connection.reused = true;
        let mut idle = self.idle();
        let list = idle.entry(connection.addr).or_default();
        if list.len() < MAX_IDLE_PER_TARGET {
            list.push(connection);
        }
    }

    /// Closes the idle connections to every address not in `registered`:
    /// a target that is no longer registered anywhere keeps none open.
    pub fn retain(&self, registered: &HashSet<SocketAddr>) {
        for idle in &self.threads {
            idle.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|addr, _| registered.contains(addr));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    type BoxFuture<'a, T> = Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

    #[tokio::test]
    async fn idle_connections_to_unregistered_targets_are_closed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pool = Pool::new(NonZeroUsize::MIN);
        pool.put_back(
            Connection::open(addr, Duration::from_secs(5))
                .await
                .unwrap(),
        );
        pool.retain(&HashSet::from([addr]));
        let kept = pool
            .take_idle(addr)
            .expect("a registered target keeps its connection");
        pool.put_back(kept);
        pool.retain(&HashSet::new());
        assert!(pool.take_idle(addr).is_none());
    }

    /// A request the socket took only in part is finished by the
    /// exchange itself once the target reads again.
    #[test]
    fn a_batched_request_the_socket_took_in_part_is_finished_by_its_exchange() {
        batch::with_flusher(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let size = 32 << 20; // more than a loopback socket holds
            // The target waits before it reads, then answers once it has
            // the whole request.
            let target = std::thread::spawn(move || {
                let (mut stream, _) = listener.accept().unwrap();
                std::thread::sleep(Duration::from_millis(200));
                let mut received = 0;
                let mut chunk = vec![0u8; 1 << 16];
                while received < size {
                    received += std::io::Read::read(&mut stream, &mut chunk).unwrap();
                }
                std::io::Write::write_all(&mut stream, b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
                received
            });
            let mut connection = Connection::open(addr, Duration::from_secs(5))
                .await
                .unwrap();
            let mut head = b"GET / HTTP/1.1\r\nx-fill: ".to_vec();
            head.resize(size - 4, b'x');
            head.extend_from_slice(b"\r\n\r\n");
            let response = tokio::time::timeout(
                Duration::from_secs(10),
                connection.exchange(&mut head, &mut Outgoing::Empty, &Method::GET),
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(response.parts.status, 204);
            assert_eq!(head.len(), size, "the request bytes come back");
            assert_eq!(target.join().unwrap(), size);
        });
    }

    #[test]
    fn a_thread_reuses_only_the_connections_it_opened() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let pool = Arc::new(Pool::new(NonZeroUsize::new(2).unwrap()));
        let threads = crate::threads::Threads::start(NonZeroUsize::new(2).unwrap()).unwrap();
        // Threads take tasks in turn: the first and third run on one
        // thread, the second on the other.
        let on_a_thread = |work: fn(&Pool, SocketAddr) -> BoxFuture<'_, bool>| {
            let pool = Arc::clone(&pool);
            let (sent, received) = std::sync::mpsc::channel();
            threads.spawn(async move {
                let _ = sent.send(work(&pool, addr).await);
            });
            received.recv_timeout(Duration::from_secs(5)).unwrap()
        };
        fn open(pool: &Pool, addr: SocketAddr) -> BoxFuture<'_, bool> {
            Box::pin(async move {
                let connection = Connection::open(addr, Duration::from_secs(5)).await;
                connection
                    .map(|connection| pool.put_back(connection))
                    .is_ok()
            })
        }
        fn reuse(pool: &Pool, addr: SocketAddr) -> BoxFuture<'_, bool> {
            Box::pin(async move { pool.take_idle(addr).is_some() })
        }
        let opened = on_a_thread(open);
        assert!(opened);
        assert!(
            !on_a_thread(reuse),
            "the other thread has no idle connection"
        );
        assert!(
            on_a_thread(reuse),
            "the opening thread reuses its connection"
        );
    }
}
