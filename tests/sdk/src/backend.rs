//! Real HTTP backends for load balancer tests: each answers with its name,
//! serves `/health` with a status the test controls, and can be killed
//! and restarted on the same port like a service being redeployed.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running backend.
pub struct Backend {
    pub name: String,
    pub addr: SocketAddr,
    /// The status `/health` answers.
    pub health_status: Arc<AtomicU16>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Backend {
    /// Starts on a free loopback port.
    pub async fn start(name: &str) -> Backend {
        Backend::start_on(name, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`, e.g. the port of a backend just stopped.
    pub async fn start_on(name: &str, addr: SocketAddr) -> Backend {
        let listener = bind_retrying(addr).await;
        let addr = listener.local_addr().expect("local addr");
        let health_status = Arc::new(AtomicU16::new(200));
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::new(Mutex::new(Vec::new()));
        let accept_tasks = Arc::clone(&tasks);
        let name_owned: Arc<str> = Arc::from(name);
        let status = Arc::clone(&health_status);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let name = Arc::clone(&name_owned);
                let status = Arc::clone(&status);
                let conn = tokio::spawn(async move {
                    let service =
                        service_fn(move |req| answer(Arc::clone(&name), Arc::clone(&status), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                if let Ok(mut list) = accept_tasks.lock() {
                    list.retain(|t| !t.is_finished());
                    list.push(conn);
                }
            }
        });
        tasks.lock().expect("tasks").push(accept);
        Backend {
            name: name.to_owned(),
            addr,
            health_status,
            tasks,
        }
    }

    /// Stops the backend abruptly: no more accepts, open connections cut.
    pub fn kill(&self) {
        if let Ok(mut list) = self.tasks.lock() {
            for task in list.drain(..) {
                task.abort();
            }
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Binding a just-released port can briefly fail while the old socket
/// winds down; retry for a moment.
async fn bind_retrying(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("cannot bind {addr}");
}

async fn answer(
    name: Arc<str>,
    status: Arc<AtomicU16>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/health" {
        let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
        *response.status_mut() =
            StatusCode::from_u16(status.load(Ordering::Relaxed)).unwrap_or(StatusCode::OK);
        return Ok(response);
    }
    Ok(Response::new(Full::new(Bytes::from(name.to_string()))))
}
