//! The load generator: N workers, each with its own pooled keep-alive
//! HTTP/1.1 connection, sending signed requests back to back for a fixed
//! time. Nothing here runs unbounded: every worker stops at the deadline and
//! every request has a timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_service::Service;

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

/// A client pooling at most one idle connection, which is all a worker that
/// sends one request at a time needs.
pub type Pooled = Client<CountingConnector, Full<Bytes>>;

/// `HttpConnector` (with `TCP_NODELAY`) that counts the connections it opens,
/// so a peer that drops keep-alive shows up in the results.
#[derive(Clone)]
pub struct CountingConnector {
    inner: HttpConnector,
    opened: Arc<AtomicU64>,
}

impl Service<Uri> for CountingConnector {
    type Response = <HttpConnector as Service<Uri>>::Response;
    type Error = <HttpConnector as Service<Uri>>::Error;
    type Future = <HttpConnector as Service<Uri>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.inner.call(uri)
    }
}

pub fn pooled_client(opened: Arc<AtomicU64>) -> Pooled {
    let mut inner = HttpConnector::new();
    inner.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build(CountingConnector { inner, opened })
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
            let client = pooled_client(opened.clone());
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
    client: Pooled,
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
        let outcome = tokio::time::timeout(request_timeout, exchange(&client, request))
            .await
            .unwrap_or(Outcome::Timeout);
        let done = Instant::now();
        if start >= window.measure_from {
            tally.record(outcome, done - start, done);
        }
    }
}

/// Sends one request and reads the whole response.
pub async fn exchange(client: &Pooled, request: Request<Full<Bytes>>) -> Outcome {
    let response = match client.request(request).await {
        Ok(response) => response,
        Err(error) => return Outcome::Transport(error_chain(&error)),
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
