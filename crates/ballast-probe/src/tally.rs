//! Counts over a stretch of requests: sent, answered, failed by cause,
//! latency percentiles and who answered. One tally per second for the
//! live lines, one for the whole run.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::outcome::{Cause, Outcome};

/// The longest latency recorded exactly; longer ones count as this.
const MAX_MICROS: u64 = 3_600_000_000;

/// What a stretch of requests came to.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Requests whose outcome is known.
    pub done: u64,
    pub answered: u64,
    pub failed: BTreeMap<Cause, u64>,
    /// Answers by who gave them (only with `--answered-by`).
    pub answered_by: BTreeMap<String, u64>,
    latency: Histogram<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            done: 0,
            answered: 0,
            failed: BTreeMap::new(),
            answered_by: BTreeMap::new(),
            latency: new_latency(),
        }
    }
}

/// Three significant figures from 1 µs to an hour.
fn new_latency() -> Histogram<u64> {
    match Histogram::new_with_bounds(1, MAX_MICROS, 3) {
        Ok(histogram) => histogram,
        // Constant bounds hdrhistogram documents as valid.
        Err(error) => unreachable!("constant histogram bounds refused: {error}"),
    }
}

impl Tally {
    /// Counts one request, its latency measured from when it was meant to
    /// be sent.
    pub fn record(&mut self, outcome: &Outcome, latency: Duration) {
        self.done += 1;
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(MAX_MICROS)
            .clamp(1, MAX_MICROS);
        self.latency.saturating_record(micros);
        match outcome {
            Outcome::Answered { by, .. } => {
                self.answered += 1;
                if let Some(by) = by {
                    *self.answered_by.entry(by.clone()).or_default() += 1;
                }
            }
            Outcome::Failed(cause) => *self.failed.entry(cause.clone()).or_default() += 1,
        }
    }

    /// Adds another tally's counts to this one.
    pub fn absorb(&mut self, other: &Tally) {
        self.done += other.done;
        self.answered += other.answered;
        for (cause, n) in &other.failed {
            *self.failed.entry(cause.clone()).or_default() += n;
        }
        for (by, n) in &other.answered_by {
            *self.answered_by.entry(by.clone()).or_default() += n;
        }
        // Same bounds on both sides, so this cannot fail.
        let _ = self.latency.add(&other.latency);
    }

    /// Failed requests, whatever the cause.
    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    /// The latency below which `quantile` (0–1) of requests finished;
    /// `None` before any finished.
    pub fn latency_at(&self, quantile: f64) -> Option<Duration> {
        (self.done > 0).then(|| Duration::from_micros(self.latency.value_at_quantile(quantile)))
    }

    /// The slowest request.
    pub fn latency_max(&self) -> Option<Duration> {
        (self.done > 0).then(|| Duration::from_micros(self.latency.max()))
    }

    /// Requests per latency bucket, bucket upper bounds doubling from
    /// 1 ms: `(upper bound, count)`, empty buckets at either end left
    /// out.
    pub fn buckets(&self) -> Vec<(Duration, u64)> {
        let mut buckets = Vec::new();
        let mut low = 0_u64;
        let mut high = 1_000_u64;
        let max = self.latency.max();
        loop {
            let count = self.latency.count_between(low + 1, high);
            buckets.push((Duration::from_micros(high), count));
            if high >= max || high >= MAX_MICROS {
                break;
            }
            low = high;
            high *= 2;
        }
        let first = buckets.iter().position(|&(_, n)| n > 0).unwrap_or(0);
        buckets.drain(..first);
        buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(by: &str) -> Outcome {
        Outcome::Answered {
            status: 200,
            by: Some(by.into()),
        }
    }

    #[test]
    fn counts_by_cause_and_by_answerer() {
        let mut t = Tally::default();
        t.record(&ok("i-1"), Duration::from_millis(1));
        t.record(&ok("i-2"), Duration::from_millis(3));
        t.record(&ok("i-1"), Duration::from_millis(2));
        t.record(&Outcome::Failed(Cause::Refused), Duration::from_millis(1));
        t.record(
            &Outcome::Failed(Cause::Status(502)),
            Duration::from_millis(9),
        );
        assert_eq!((t.done, t.answered, t.failed_total()), (5, 3, 2));
        assert_eq!(t.answered_by["i-1"], 2);
        assert_eq!(t.failed[&Cause::Status(502)], 1);
        let p50 = t.latency_at(0.5).expect("a median");
        assert!(
            (Duration::from_micros(1990)..=Duration::from_micros(2010)).contains(&p50),
            "{p50:?}"
        );
        let max = t.latency_max().expect("a max");
        assert!(max >= Duration::from_micros(8990), "{max:?}");

        let mut total = Tally::default();
        total.absorb(&t);
        total.absorb(&t);
        assert_eq!((total.done, total.failed[&Cause::Refused]), (10, 2));
        assert_eq!(total.answered_by["i-2"], 2);
    }

    #[test]
    fn buckets_double_from_a_millisecond() {
        let mut t = Tally::default();
        assert_eq!(t.latency_at(0.5), None);
        for ms in [3, 3, 5, 30] {
            t.record(&ok("i-1"), Duration::from_millis(ms));
        }
        let buckets = t.buckets();
        assert_eq!(buckets[0], (Duration::from_millis(4), 2), "{buckets:?}");
        assert_eq!(buckets[1], (Duration::from_millis(8), 1));
        assert_eq!(buckets.last().map(|b| b.1), Some(1));
        assert_eq!(buckets.iter().map(|b| b.1).sum::<u64>(), 4);
    }
}
