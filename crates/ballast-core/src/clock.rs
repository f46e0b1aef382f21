//! Time, injected.
//!
//! Every timing decision takes its "now" from a [`Clock`], so state machines
//! are tested with a [`ManualClock`] and no sleeps. [`TimeScale`] shrinks
//! AWS-facing durations for tests and demos while the API keeps showing the
//! AWS values.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to, for tests.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    pub fn new(start: SystemTime) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A factor applied to every AWS-facing duration (health-check intervals,
/// deregistration delays, grace periods, heartbeat timeouts).
///
/// `TimeScale(0.01)` makes a 300-second deregistration delay take 3 seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeScale(f64);

impl TimeScale {
    /// Real time.
    pub const REAL: TimeScale = TimeScale(1.0);

    /// A scale; `None` unless the factor is finite and positive.
    pub fn new(factor: f64) -> Option<Self> {
        (factor.is_finite() && factor > 0.0).then_some(TimeScale(factor))
    }

    pub fn factor(self) -> f64 {
        self.0
    }

    /// The wall-clock duration that stands for `aws` at this scale.
    pub fn scale(self, aws: Duration) -> Duration {
        aws.mul_f64(self.0)
    }
}

impl Default for TimeScale {
    fn default() -> Self {
        TimeScale::REAL
    }
}

/// `2024-05-01T12:00:00Z`: an epoch-millis moment in ISO-8601 to the
/// second, as activity causes, state reasons and the metadata service
/// write times. Out-of-range moments print as the epoch.
pub fn iso8601(millis: i64) -> String {
    iso8601_parts(millis, false)
}

/// `2024-05-01T12:00:00.000Z`: the same to the millisecond, as EC2's
/// `create-time` filters (and the query protocols) show times.
pub fn iso8601_millis(millis: i64) -> String {
    iso8601_parts(millis, true)
}

fn iso8601_parts(millis: i64, with_millis: bool) -> String {
    let nanos = i128::from(millis) * 1_000_000;
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let seconds = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    );
    if with_millis {
        format!("{seconds}.{:03}Z", t.millisecond())
    } else {
        format!("{seconds}Z")
    }
}

/// Epoch millis of a moment (0 before the epoch, saturating far after).
pub fn epoch_millis(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_formats_to_the_second_or_the_millisecond() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_714_564_800_123), "2024-05-01T12:00:00Z");
        assert_eq!(
            iso8601_millis(1_714_564_800_123),
            "2024-05-01T12:00:00.123Z"
        );
        assert_eq!(iso8601(i64::MAX), "1970-01-01T00:00:00Z");
        assert_eq!(
            epoch_millis(SystemTime::UNIX_EPOCH + Duration::from_millis(7)),
            7
        );
    }

    #[test]
    fn manual_clock_advances() {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(5));
    }

    #[test]
    fn time_scale_shrinks_durations() {
        let scale = TimeScale::new(0.01).unwrap();
        assert_eq!(
            scale.scale(Duration::from_secs(300)),
            Duration::from_secs(3)
        );
        assert!(TimeScale::new(0.0).is_none());
        assert!(TimeScale::new(f64::NAN).is_none());
    }
}
