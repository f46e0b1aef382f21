//! Connections to targets: HTTP/1.1 with keep-alive, pooled per address.
//!
//! Connection set-up is separate from sending, so a failure to connect is
//! known before any byte of the request has left, and the request can be
//! retried elsewhere intact.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::body::ProxyBody;

/// Idle connections kept per target.
const MAX_IDLE_PER_TARGET: usize = 64;

/// Why a connection to a target could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("connect timed out")]
    Timeout,
    #[error("connect failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP handshake failed: {0}")]
    Handshake(#[from] hyper::Error),
}

/// Keep-alive connections to targets.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<SendRequest<ProxyBody>>>>,
}

impl Pool {
    /// An idle connection to `addr` ready for a request, if there is one.
    pub fn take_idle(&self, addr: SocketAddr) -> Option<SendRequest<ProxyBody>> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(&addr)?;
        // Closed ones are dropped; busy ones (a response body still
        // streaming) are kept for later.
        list.retain(|s| !s.is_closed());
        let ready = list.iter().position(SendRequest::is_ready)?;
        Some(list.swap_remove(ready))
    }

    /// Returns a connection for reuse once its current response is done.
    pub fn put_back(&self, addr: SocketAddr, sender: SendRequest<ProxyBody>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.entry(addr).or_default();
        if list.len() < MAX_IDLE_PER_TARGET {
            list.push(sender);
        }
    }

    /// Drops every pooled connection to `addr` (the target went away).
    pub fn forget(&self, addr: SocketAddr) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&addr);
    }
}

/// Opens a new HTTP/1.1 connection to `addr`.
pub async fn connect(
    addr: SocketAddr,
    timeout: Duration,
) -> Result<SendRequest<ProxyBody>, ConnectError> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| ConnectError::Timeout)??;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await?;
    tokio::spawn(async move {
        if let Err(error) = connection.with_upgrades().await {
            tracing::debug!(%addr, %error, "upstream connection ended");
        }
    });
    Ok(sender)
}
