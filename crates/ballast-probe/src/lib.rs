//! `ballast probe`: the instrument for "maintenance cost our users
//! nothing". A bounded loop of GET requests to one URL (Ballast's load
//! balancers or anything else, AWS included) that prints a line per
//! second (sent, answered, failed by cause, p50/p99 latency, which
//! backend answered) and, at the end, a summary table and a latency
//! histogram, or JSON lines for programs.
//!
//! Two ways to load: an open loop at a fixed rate (`--rate`), where each
//! request has an intended send time and its latency counts from then, so
//! a stall shows as latency instead of as fewer requests (the coordinated
//! omission a closed loop hides); or a closed loop of `--concurrency`
//! workers sending as fast as answers come.

mod outcome;
mod report;
mod send;
mod tally;
mod units;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use http::Uri;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use outcome::{Cause, Outcome};
pub use send::AnsweredBy;
pub use tally::Tally;
pub use units::{parse_duration, parse_rate};

/// Why a probe cannot start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--answered-by takes header:NAME, body:FIELD or body, not {0:?}")]
    AnsweredBy(String),
    #[error("the URL {0:?} is not an http:// or https:// URL")]
    Url(String),
    #[error("{0} must be a positive number")]
    NotPositive(&'static str),
    #[error("writing the report: {0}")]
    Write(#[from] std::io::Error),
}

/// How requests are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// An open loop: this many requests a second, whatever the answers.
    Rate(f64),
    /// A closed loop: this many workers, each sending its next request
    /// when its last one ends.
    Concurrency(u32),
}

/// What a probe does.
#[derive(Debug, Clone)]
pub struct Options {
    pub url: Uri,
    pub load: Load,
    /// Stop sending after this long.
    pub duration: Option<Duration>,
    /// Stop sending after this many requests.
    pub requests: Option<u64>,
    /// How long a request may take before it counts as a timeout.
    pub timeout: Duration,
    pub answered_by: Option<AnsweredBy>,
    /// JSON lines instead of text.
    pub json: bool,
}

impl Options {
    /// Options for `url` with the defaults: 10 requests a second (the
    /// seeds' `curl; sleep 0.1` loop) until interrupted, 5 s timeout.
    pub fn new(url: &str) -> Result<Options, Error> {
        let uri: Uri = url.parse().map_err(|_| Error::Url(url.to_owned()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(Error::Url(url.to_owned()));
        }
        Ok(Options {
            url: uri,
            load: Load::Rate(10.0),
            duration: None,
            requests: None,
            timeout: Duration::from_secs(5),
            answered_by: None,
            json: false,
        })
    }

    fn check(&self) -> Result<(), Error> {
        match self.load {
            Load::Rate(rate) if !(rate.is_finite() && rate > 0.0) => {
                Err(Error::NotPositive("--rate"))
            }
            Load::Concurrency(0) => Err(Error::NotPositive("--concurrency")),
            _ if self.timeout.is_zero() => Err(Error::NotPositive("--timeout")),
            _ => Ok(()),
        }
    }
}

/// What a whole probe came to.
#[derive(Debug, Clone)]
pub struct Summary {
    pub sent: u64,
    pub total: Tally,
    pub elapsed: Duration,
}

impl Summary {
    /// Failed requests, whatever the cause.
    pub fn failed(&self) -> u64 {
        self.total.failed_total()
    }
}

/// Runs a probe, writing its lines to `out`, until it has sent what
/// `options` bound it to or `interrupted` completes (Ctrl-C); requests
/// still in flight then finish (or time out) and count. Writes the
/// summary last and returns it.
pub async fn run(
    options: &Options,
    out: &mut (dyn Write + Send),
    interrupted: impl std::future::Future<Output = ()>,
) -> Result<Summary, Error> {
    options.check()?;
    let sender = send::Sender::new(
        options.url.clone(),
        options.timeout,
        options.answered_by.clone(),
    );
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (results, mut finished) = mpsc::unbounded_channel();
    let load = tokio::spawn(generate(
        options.clone(),
        sender,
        start,
        Arc::clone(&stop),
        Arc::clone(&sent),
        results,
    ));

    let mut total = Tally::default();
    let mut second = Tally::default();
    let mut seconds = 0_u64;
    let mut sent_before = 0_u64;
    let mut ticks =
        tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            result = finished.recv() => match result {
                Some((outcome, latency)) => second.record(&outcome, latency),
                None => break,
            },
            _ = ticks.tick() => {
                seconds += 1;
                let now_sent = sent.load(Ordering::Relaxed);
                write_second(options, out, seconds, now_sent - sent_before, &second)?;
                sent_before = now_sent;
                total.absorb(&second);
                second = Tally::default();
            }
            () = &mut interrupted, if !stop.load(Ordering::Relaxed) => {
                stop.store(true, Ordering::Relaxed);
            }
        }
    }
    // The generator ended once every request's result was in.
    let _ = load.await;
    let elapsed = start.elapsed();
    let now_sent = sent.load(Ordering::Relaxed);
    if second.done > 0 || now_sent > sent_before {
        write_second(options, out, seconds + 1, now_sent - sent_before, &second)?;
    }
    total.absorb(&second);
    let url = options.url.to_string();
    if options.json {
        writeln!(
            out,
            "{}",
            report::summary_json(&url, elapsed, now_sent, &total)
        )?;
    } else {
        write!(
            out,
            "{}",
            report::summary_text(&url, elapsed, now_sent, &total)
        )?;
    }
    out.flush()?;
    Ok(Summary {
        sent: now_sent,
        total,
        elapsed,
    })
}

fn write_second(
    options: &Options,
    out: &mut (dyn Write + Send),
    second: u64,
    sent: u64,
    tally: &Tally,
) -> Result<(), Error> {
    if options.json {
        writeln!(out, "{}", report::second_json(second, sent, tally))?;
    } else {
        writeln!(out, "{}", report::second_text(second, sent, tally))?;
    }
    out.flush()?;
    Ok(())
}

type Results = mpsc::UnboundedSender<(Outcome, Duration)>;

/// Sends requests as `options.load` says until a bound or `stop`; each
/// result goes to `results`, with its latency.
async fn generate(
    options: Options,
    sender: send::Sender,
    start: Instant,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    results: Results,
) {
    let deadline = options.duration.map(|d| start + d);
    let more = move |n: u64| {
        !stop.load(Ordering::Relaxed)
            && options.requests.is_none_or(|limit| n < limit)
            && deadline.is_none_or(|d| Instant::now() < d)
    };
    match options.load {
        Load::Rate(rate) => {
            let period = Duration::from_secs_f64(1.0 / rate);
            let mut n = 0_u64;
            loop {
                let intended = start + period.mul_f64(n as f64);
                tokio::time::sleep_until(intended).await;
                if !more(n) {
                    break;
                }
                n += 1;
                sent.fetch_add(1, Ordering::Relaxed);
                let (sender, results) = (sender.clone(), results.clone());
                tokio::spawn(async move {
                    let outcome = sender.send().await;
                    let _ = results.send((outcome, intended.elapsed()));
                });
            }
        }
        Load::Concurrency(workers) => {
            let more = Arc::new(more);
            let mut tasks = Vec::new();
            for _ in 0..workers {
                let (sender, results, sent, more) = (
                    sender.clone(),
                    results.clone(),
                    Arc::clone(&sent),
                    Arc::clone(&more),
                );
                tasks.push(tokio::spawn(async move {
                    loop {
                        let n = sent.fetch_add(1, Ordering::Relaxed);
                        if !more(n) {
                            sent.fetch_sub(1, Ordering::Relaxed);
                            break;
                        }
                        let began = Instant::now();
                        let outcome = sender.send().await;
                        let _ = results.send((outcome, began.elapsed()));
                    }
                }));
            }
            for task in tasks {
                let _ = task.await;
            }
        }
    }
}
