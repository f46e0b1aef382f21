//! Listening sockets: one per listener, on its load balancer's address.
//! The accept loop runs on the caller's runtime and hands each connection
//! to a serving thread ([`crate::threads`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::Proxy;
use crate::forward::{self, Conn};
use crate::threads::Threads;

/// How long a client may take to send request headers before a 408.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Binds `addr` and serves it on `threads` until the returned task is
/// aborted.
pub(crate) async fn start(
    proxy: Arc<Proxy>,
    threads: Threads,
    addr: SocketAddr,
) -> std::io::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listener up");
    Ok(tokio::spawn(accept_loop(proxy, threads, listener, addr)))
}

async fn accept_loop(
    proxy: Arc<Proxy>,
    threads: Threads,
    listener: TcpListener,
    local: SocketAddr,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%local, %error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // Out of this runtime's I/O driver, into the serving thread's.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%peer, %error, "cannot hand a connection over");
                continue;
            }
        };
        threads.spawn(serve(Arc::clone(&proxy), stream, local, peer));
    }
}

/// Serves one client connection, on the serving thread it was handed to.
async fn serve(
    proxy: Arc<Proxy>,
    stream: std::net::TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
) {
    let stream = match TcpStream::from_std(stream) {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%peer, %error, "cannot take a connection over");
            return;
        }
    };
    let conn = Conn::new(local, peer);
    let service = service_fn(move |request| {
        let proxy = Arc::clone(&proxy);
        let conn = conn.clone();
        async move { Ok::<_, Infallible>(forward::handle(proxy, &conn, request).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    if let Err(error) = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%peer, %error, "client connection ended");
    }
}
