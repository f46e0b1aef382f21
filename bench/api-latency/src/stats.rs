//! Per-worker tallies, their merge, and the summary a level reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// What became of one request.
#[derive(Debug)]
pub enum Outcome {
    /// A 200 response, body read in full.
    Ok,
    /// Any other status, with the start of its body.
    Status(u16, String),
    /// The connection or the HTTP exchange failed.
    Transport(String),
    /// No response within the per-request timeout.
    Timeout,
}

/// The tally of one worker (or, merged, of a whole level).
#[derive(Debug)]
pub struct Tally {
    /// Latency of every 200 response, in nanoseconds.
    latencies: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    timeouts: u64,
    first_error: Option<String>,
    last_done: Option<Instant>,
}

impl Tally {
    /// An empty tally tracking 1 ns to 60 s at 3 significant figures.
    pub fn new() -> Tally {
        Tally {
            latencies: Histogram::new_with_bounds(1, 60_000_000_000, 3)
                .expect("static histogram bounds are valid"),
            statuses: BTreeMap::new(),
            transport_errors: 0,
            timeouts: 0,
            first_error: None,
            last_done: None,
        }
    }

    /// Records a request that took `latency` and finished at `done`.
    pub fn record(&mut self, outcome: Outcome, latency: Duration, done: Instant) {
        self.last_done = self.last_done.max(Some(done));
        let error = match outcome {
            Outcome::Ok => {
                let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
                self.latencies.saturating_record(nanos.max(1));
                return;
            }
            Outcome::Status(status, body) => {
                *self.statuses.entry(status).or_default() += 1;
                format!("HTTP {status}: {body}")
            }
            Outcome::Transport(message) => {
                self.transport_errors += 1;
                format!("transport: {message}")
            }
            Outcome::Timeout => {
                self.timeouts += 1;
                "timed out".to_owned()
            }
        };
        self.first_error.get_or_insert(error);
    }

    /// Folds another worker's tally into this one.
    pub fn merge(&mut self, other: Tally) {
        self.latencies
            .add(&other.latencies)
            .expect("histograms share bounds");
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.transport_errors += other.transport_errors;
        self.timeouts += other.timeouts;
        self.first_error = self.first_error.take().or(other.first_error);
        self.last_done = self.last_done.max(other.last_done);
    }

    /// Every request recorded, whatever its outcome.
    pub fn requests(&self) -> u64 {
        self.latencies.len() + self.errors()
    }

    /// Every request that did not get a 200.
    fn errors(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.transport_errors + self.timeouts
    }

    /// A short breakdown such as `HTTP 400 x3, timeout x1`, empty when clean.
    fn error_breakdown(&self) -> String {
        let mut out = String::new();
        let mut item = |label: String, count: u64| {
            if count > 0 {
                let sep = if out.is_empty() { "" } else { ", " };
                let _ = write!(out, "{sep}{label} x{count}");
            }
        };
        for (status, count) in &self.statuses {
            item(format!("HTTP {status}"), *count);
        }
        item("transport".to_owned(), self.transport_errors);
        item("timeout".to_owned(), self.timeouts);
        out
    }

    /// Summarises the measured window that began at `measure_from`.
    pub fn summarise(&self, context: LevelContext, measure_from: Instant) -> LevelResult {
        let window = self.last_done.map_or(Duration::ZERO, |done| {
            done.saturating_duration_since(measure_from)
        });
        let ok = self.latencies.len();
        let ms = |nanos: u64| nanos as f64 / 1e6;
        let q = |quantile: f64| ms(self.latencies.value_at_quantile(quantile));
        LevelResult {
            target: context.target,
            operation: context.operation,
            concurrency: context.concurrency,
            sign_mode: context.sign_mode,
            window_s: window.as_secs_f64(),
            ok,
            errors: self.errors(),
            error_breakdown: self.error_breakdown(),
            first_error: self.first_error.clone(),
            rps: if window.is_zero() {
                0.0
            } else {
                ok as f64 / window.as_secs_f64()
            },
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p99_ms: q(0.99),
            max_ms: ms(self.latencies.max()),
            connections: context.connections,
            new_connections: context.new_connections,
            server_cpu_us: context.server_cpu_us,
            client_cpu_us: context.client_cpu_us,
            sign_us: context.sign_us,
        }
    }
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new()
    }
}

/// Facts about a level that the tally itself does not know.
#[derive(Debug, Clone)]
pub struct LevelContext {
    pub target: String,
    pub operation: String,
    pub concurrency: usize,
    pub sign_mode: String,
    pub connections: u64,
    pub new_connections: u64,
    pub server_cpu_us: Option<f64>,
    pub client_cpu_us: Option<f64>,
    pub sign_us: f64,
}

/// The result of one concurrency level: one JSON line in `--json-out`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LevelResult {
    /// The label of the server under test (`ballast`, `moto`).
    pub target: String,
    /// The operation sent (`GetParameter`, `PutItem`, ...).
    pub operation: String,
    pub concurrency: usize,
    pub sign_mode: String,
    /// From the start of measurement to the last response.
    pub window_s: f64,
    /// 200 responses in the window.
    pub ok: u64,
    /// Non-200 responses, transport failures and timeouts in the window.
    pub errors: u64,
    pub error_breakdown: String,
    pub first_error: Option<String>,
    /// 200 responses per second.
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// TCP connections the client opened, warm-up included.
    pub connections: u64,
    /// Of those, the ones opened during the measured window: zero when the
    /// server keeps every worker's connection alive.
    pub new_connections: u64,
    /// Server CPU time (user + system, all threads) per request while
    /// measuring, in microseconds; absent when its pid was not given.
    pub server_cpu_us: Option<f64>,
    /// This client's CPU time per request while measuring, in microseconds.
    pub client_cpu_us: Option<f64>,
    /// Mean client-side cost of one SigV4 signature, in microseconds.
    pub sign_us: f64,
}

impl LevelResult {
    /// One human-readable line.
    pub fn line(&self) -> String {
        let cpu = |us: Option<f64>| us.map_or_else(|| "?".to_owned(), |us| format!("{us:.0} µs"));
        let mut line = format!(
            "{:<8} c={:<3} {:>9.1} req/s  p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  errors {}\n\
             {:>14} {} ok in {:.1} s; {} connections ({} opened while measuring); \
             CPU per request: server {}, client {}",
            self.target,
            self.concurrency,
            self.rps,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.errors,
            "",
            self.ok,
            self.window_s,
            self.connections,
            self.new_connections,
            cpu(self.server_cpu_us),
            cpu(self.client_cpu_us),
        );
        if self.errors > 0 {
            let _ = write!(line, "\n{:>14} errors: {}", "", self.error_breakdown);
            if let Some(first) = &self.first_error {
                let _ = write!(line, "; first: {first}");
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> LevelContext {
        LevelContext {
            target: "t".into(),
            operation: "GetParameter".into(),
            concurrency: 2,
            sign_mode: "per-request".into(),
            connections: 2,
            new_connections: 0,
            server_cpu_us: None,
            client_cpu_us: None,
            sign_us: 10.0,
        }
    }

    #[test]
    fn merges_and_summarises() {
        let start = Instant::now();
        let mut a = Tally::new();
        let mut b = Tally::new();
        for i in 1..=100u64 {
            a.record(Outcome::Ok, Duration::from_micros(i * 10), start);
        }
        b.record(Outcome::Status(400, "bad".into()), Duration::ZERO, start);
        b.record(
            Outcome::Timeout,
            Duration::ZERO,
            start + Duration::from_secs(2),
        );
        a.merge(b);
        let result = a.summarise(context(), start);
        assert_eq!(result.ok, 100);
        assert_eq!(result.errors, 2);
        assert_eq!(result.error_breakdown, "HTTP 400 x1, timeout x1");
        assert_eq!(result.first_error.as_deref(), Some("HTTP 400: bad"));
        assert!((result.rps - 50.0).abs() < 1e-9);
        assert!((result.p50_ms - 0.5).abs() < 0.001);
        assert!((result.max_ms - 1.0).abs() < 0.001);
    }
}
