//! The load generator: N workers, each with its own keep-alive HTTP/1.1
//! connection, sending signed requests back to back for a fixed
//! time. Nothing here runs unbounded: every worker stops at the deadline and
//! every request has a timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::cpu::CpuSample;
use crate::endpoint::Endpoint;
use crate::sign::{Operation, SignMode, Signer};
use crate::stats::{LevelContext, LevelResult, Outcome, Tally};

/// How much of an error body is kept for the report.
const ERROR_BODY_CHARS: usize = 200;

/// What every level of one run shares.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub target: String,
    /// The operation's AWS name, for the results.
    pub operation_name: String,
    pub endpoint: Endpoint,
    pub operation: Operation,
    pub sign_mode: SignMode,
    pub warmup: Duration,
    pub duration: Duration,
    pub request_timeout: Duration,
    pub sign_us: f64,
    /// The server's pid, to read its CPU time; `None` skips that figure.
    pub server_pid: Option<u32>,
}

/// The time window of one level: requests started before `measure_from`
/// are warm-up and not recorded; none is started at or after `stop_at`.
#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    stop_at: Instant,
}

/// One worker's HTTP/1.1 connection: opened when first needed and again
/// only after the server closes it, so the count of openings says how the
/// server keeps connections alive and nothing else.
///
/// Written on hyper's connection API rather than hyper-util's pooled client
/// because that client hands a connection back to its pool from the
/// connection's own task once the response body ends: a worker sending its
/// next request at once could find the pool empty and open a second
/// connection. It did so for about every other DescribeInstances once that
/// answer outgrew one read (10 KB), which read as a server that drops
/// keep-alive.
pub struct Connection {
    /// `IP:PORT`.
    address: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    opened: Arc<AtomicU64>,
}

impl Connection {
    pub fn new(endpoint: &Endpoint, opened: Arc<AtomicU64>) -> Connection {
        Connection {
            address: endpoint.host().to_owned(),
            sender: None,
            opened,
        }
    }

    /// A sender ready for the next request, on the open connection while
    /// the server keeps it, else on a new one.
    async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        let open = match &mut self.sender {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !open {
            self.sender = Some(self.connect().await?);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| "no connection".to_owned())
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        self.opened.fetch_add(1, Ordering::Relaxed);
        let stream = TcpStream::connect(&self.address)
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.address))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("TCP_NODELAY: {e}"))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| error_chain(&e))?;
        // The connection's task ends when either side closes it.
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends one request (in origin form, as a client to a server sends it).
    async fn send(
        &mut self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, String> {
        *request.uri_mut() = Uri::from_static("/");
        let sender = self.ready().await?;
        sender
            .send_request(request)
            .await
            .map_err(|e| error_chain(&e))
    }
}

/// Runs one level: `concurrency` workers for warm-up plus duration.
pub async fn run_level(plan: &LoadPlan, concurrency: usize) -> anyhow::Result<LevelResult> {
    let opened = Arc::new(AtomicU64::new(0));
    let measure_from = Instant::now() + plan.warmup;
    let window = Window {
        measure_from,
        stop_at: measure_from + plan.duration,
    };
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = Connection::new(&plan.endpoint, opened.clone());
            let signer = Signer::new(
                plan.endpoint.clone(),
                plan.operation.clone(),
                plan.sign_mode,
            );
            tokio::spawn(worker(client, signer, window, plan.request_timeout))
        })
        .collect();
    let at_start = tokio::spawn(snapshot_at(opened.clone(), plan.server_pid, measure_from));
    let mut total = Tally::new();
    for handle in workers {
        total.merge(handle.await??);
    }
    let (opened_before, cpu_before) = at_start.await?;
    let connections = opened.load(Ordering::Relaxed);
    let (server_cpu_us, client_cpu_us) =
        CpuSample::take(plan.server_pid).per_request_us(&cpu_before, total.requests());
    let context = LevelContext {
        target: plan.target.clone(),
        operation: plan.operation_name.clone(),
        concurrency,
        sign_mode: plan.sign_mode.as_str().to_owned(),
        connections,
        new_connections: connections - opened_before,
        server_cpu_us,
        client_cpu_us,
        sign_us: plan.sign_us,
    };
    Ok(total.summarise(context, measure_from))
}

/// The connection count and CPU times when measurement starts.
async fn snapshot_at(
    opened: Arc<AtomicU64>,
    server_pid: Option<u32>,
    instant: Instant,
) -> (u64, CpuSample) {
    tokio::time::sleep_until(instant.into()).await;
    (opened.load(Ordering::Relaxed), CpuSample::take(server_pid))
}

/// Sends requests one after another until the window closes. The latency
/// of a request runs from before it is signed to its last body byte.
async fn worker(
    mut client: Connection,
    mut signer: Signer,
    window: Window,
    request_timeout: Duration,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::new();
    loop {
        let start = Instant::now();
        if start >= window.stop_at {
            return Ok(tally);
        }
        let request = signer.request()?;
        let outcome = tokio::time::timeout(request_timeout, exchange(&mut client, request))
            .await
            .unwrap_or(Outcome::Timeout);
        let done = Instant::now();
        if start >= window.measure_from {
            tally.record(outcome, done - start, done);
        }
    }
}

/// Sends one request and reads the whole response.
pub async fn exchange(client: &mut Connection, request: Request<Full<Bytes>>) -> Outcome {
    let response = match client.send(request).await {
        Ok(response) => response,
        Err(error) => return Outcome::Transport(error),
    };
    let status = response.status();
    let body = match response.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) => return Outcome::Transport(error_chain(&error)),
    };
    if status == StatusCode::OK {
        Outcome::Ok
    } else {
        let text = String::from_utf8_lossy(&body);
        Outcome::Status(
            status.as_u16(),
            text.chars().take(ERROR_BODY_CHARS).collect(),
        )
    }
}

/// An error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
