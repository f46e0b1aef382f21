//! The API's own threads: each runs a single-threaded tokio runtime and
//! serves the connections the accept loop hands it, in turn. The accept
//! loop runs on the first of them.
//!
//! Why: on tokio's multi-threaded runtime the I/O wake-up of a request is
//! queued where any worker may take it, and a parked worker is woken to
//! look for it; with one client connection, that second worker waking and
//! parking again was about a fifth of the server's CPU per read
//! (docs/benchmarks.md, "API threads"). On a thread of its own, a
//! connection's socket, its task and the runtime polling both stay
//! together. Accepting there too means no connection waits for the main
//! runtime, whose workers carry the data plane and the background loops
//! (at start, their first passes). Writes still hop to a blocking pool
//! (the thread runtime's).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// A connection on its way to an API thread: unregistered from the
/// accepting runtime, so the thread's own runtime can take it.
type Handoff = (std::net::TcpStream, SocketAddr);

/// The running API threads.
pub struct ApiThreads {
    threads: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl ApiThreads {
    /// Starts `count` threads (at least one) serving `router` on the
    /// connections of `listener` (a non-blocking listener), which the first
    /// thread accepts.
    pub fn start(
        count: usize,
        router: axum::Router,
        listener: std::net::TcpListener,
    ) -> anyhow::Result<Self> {
        let count = count.max(1);
        let local = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let (lanes, receivers): (Vec<_>, Vec<_>) =
            (0..count).map(|_| mpsc::unbounded_channel()).unzip();
        let mut accept = Some((listener, lanes));
        let mut threads = Vec::with_capacity(count);
        for (i, connections) in receivers.into_iter().enumerate() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting an API thread's runtime")?;
            let accept = match accept.take() {
                Some((listener, lanes)) => {
                    let _runtime = runtime.enter();
                    let listener =
                        TcpListener::from_std(listener).context("listening on an API thread")?;
                    Some(accept_loop(listener, lanes, stopped.clone()))
                }
                None => None,
            };
            let router = router.clone();
            let mut stopped = stopped.clone();
            let thread = std::thread::Builder::new()
                .name(format!("ballast-api-{i}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        if let Some(accept) = accept {
                            tokio::spawn(accept);
                        }
                        let listener = Handed { connections, local };
                        let stop = async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        };
                        if let Err(error) = axum::serve(listener, router)
                            .with_graceful_shutdown(stop)
                            .await
                        {
                            tracing::error!(%error, "an API thread stopped serving");
                        }
                    });
                })
                .context("starting an API thread")?;
            threads.push(thread);
        }
        Ok(ApiThreads { threads, stop })
    }

    /// Serves until `shutdown` resolves; then closes the listener, lets
    /// every thread finish its requests (axum's graceful shutdown) and
    /// waits for them.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let ApiThreads { threads, stop } = self;
        shutdown.await;
        stop.send_replace(true);
        tokio::task::spawn_blocking(move || {
            for thread in threads {
                if thread.join().is_err() {
                    tracing::error!("an API thread panicked");
                }
            }
        })
        .await
        .context("waiting for the API threads")
    }
}

/// Accepts connections on `listener`, handing them to the `lanes` in turn,
/// until `stopped` turns true; the listener closes when it returns.
async fn accept_loop(
    listener: TcpListener,
    lanes: Vec<mpsc::UnboundedSender<Handoff>>,
    mut stopped: watch::Receiver<bool>,
) {
    for lane in lanes.iter().cycle() {
        let (stream, peer) = tokio::select! {
            // (The guard `wait_for` returns is not `Send`: dropped at once.)
            _ = async { stopped.wait_for(|stop| *stop).await.map(drop) } => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after_accept_error(error).await;
                    continue;
                }
            },
        };
        match stream.into_std() {
            // A thread that is gone has stopped serving; so has Ballast.
            Ok(stream) => {
                let _ = lane.send((stream, peer));
            }
            Err(error) => tracing::warn!(%error, %peer, "could not hand a connection over"),
        }
    }
}

/// What to do when `accept` fails: a connection reset before it was taken
/// costs nothing; running out of descriptors (or memory) is waited out, as
/// axum's own listener does, rather than spun on.
async fn wait_after_accept_error(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting an API connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// An API thread's listener: the connections the accept loop hands it.
struct Handed {
    connections: mpsc::UnboundedReceiver<Handoff>,
    local: SocketAddr,
}

impl axum::serve::Listener for Handed {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Some((stream, peer)) = self.connections.recv().await else {
                // The accept loop has ended: only the graceful shutdown
                // that follows ends this server.
                return std::future::pending().await;
            };
            match TcpStream::from_std(stream) {
                Ok(stream) => return (stream, peer),
                Err(error) => tracing::warn!(%error, %peer, "could not take a connection over"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which thread served a request, by name.
    async fn thread_name() -> String {
        std::thread::current().name().unwrap_or_default().to_owned()
    }

    async fn get(addr: SocketAddr) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn connections_are_served_on_the_threads_in_turn_until_shutdown() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let router = axum::Router::new().route("/", axum::routing::get(thread_name));
        let threads = ApiThreads::start(2, router, listener).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(threads.serve(async {
            let _ = stopped.await;
        }));

        let mut served_by = Vec::new();
        for _ in 0..4 {
            let response = get(addr).await;
            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
            served_by.push(response.rsplit("\r\n").next().unwrap().to_owned());
        }
        assert_eq!(
            served_by,
            [
                "ballast-api-0",
                "ballast-api-1",
                "ballast-api-0",
                "ballast-api-1"
            ]
        );

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the threads stopped")
            .unwrap()
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "the listener is closed"
        );
    }
}
