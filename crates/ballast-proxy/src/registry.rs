//! Live per-target state that outlives routing snapshots: health and
//! in-flight requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ballast_core::elbv2::{CheckOutcome, HealthTracker};

/// Identifies a registration: target group ARN, target id, port.
pub type TargetKey = (String, String, u16);

const INITIAL: u8 = 0;
const HEALTHY: u8 = 1;
const UNHEALTHY: u8 = 2;

/// One registered target's live state.
#[derive(Debug)]
pub struct Target {
    pub id: String,
    pub addr: SocketAddr,
    /// When this registration was made; a re-registration starts over.
    registered_millis: i64,
    in_flight: AtomicUsize,
    /// Mirrors `tracker` for the request path, which only needs this byte.
    status: AtomicU8,
    tracker: Mutex<HealthTracker>,
    /// When the target last became healthy (slow start counts from here).
    healthy_since: Mutex<Option<Instant>>,
}

impl Target {
    fn new(id: String, addr: SocketAddr, registered_millis: i64) -> Self {
        Target {
            id,
            addr,
            registered_millis,
            in_flight: AtomicUsize::new(0),
            status: AtomicU8::new(INITIAL),
            tracker: Mutex::new(HealthTracker::new()),
            healthy_since: Mutex::new(None),
        }
    }

    /// How far through a slow start of `duration` the target is, from 0
    /// (just became healthy) to 1 (full share); 1 when not healthy.
    pub fn warmth(&self, duration: Duration) -> f64 {
        let since = *self
            .healthy_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match since {
            Some(since) if !duration.is_zero() => {
                (since.elapsed().as_secs_f64() / duration.as_secs_f64()).min(1.0)
            }
            _ => 1.0,
        }
    }

    pub fn is_healthy(&self) -> bool {
        self.status.load(Ordering::Acquire) == HEALTHY
    }

    pub fn is_unhealthy(&self) -> bool {
        self.status.load(Ordering::Acquire) == UNHEALTHY
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Counts a request until the returned guard drops.
    pub fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(self))
    }

    pub fn tracker(&self) -> HealthTracker {
        *self.tracker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Feeds a health-check result; returns whether the state changed.
    pub fn record(&self, outcome: CheckOutcome, healthy: u32, unhealthy: u32) -> bool {
        self.update(|t| t.record(outcome, healthy, unhealthy))
    }

    /// Passive health: a connection to the target failed.
    pub fn mark_unreachable(&self) -> bool {
        self.update(HealthTracker::mark_unreachable)
    }

    fn update(&self, change: impl FnOnce(&mut HealthTracker) -> bool) -> bool {
        let mut tracker = self.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = change(&mut tracker);
        let status = if tracker.is_healthy() {
            HEALTHY
        } else if tracker.is_unhealthy() {
            UNHEALTHY
        } else {
            INITIAL
        };
        let was = self.status.swap(status, Ordering::AcqRel);
        if status == HEALTHY && was != HEALTHY {
            *self
                .healthy_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        } else if status != HEALTHY {
            *self
                .healthy_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
        changed
    }

    /// Marks a target that was healthy before slow start applied to it
    /// (registered into a group with no healthy target), so it takes a full
    /// share at once, as ALB does.
    pub fn skip_slow_start(&self) {
        *self
            .healthy_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Decrements a target's in-flight count when dropped.
#[derive(Debug)]
pub struct InFlight(Arc<Target>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Every registered target's live state.
#[derive(Debug, Default)]
pub struct Registry {
    targets: Mutex<HashMap<TargetKey, Arc<Target>>>,
}

impl Registry {
    /// The state of a registration, created fresh (initial health) when it
    /// is new, was registered again, or its address changed.
    pub fn entry(&self, key: TargetKey, addr: SocketAddr, registered_millis: i64) -> Arc<Target> {
        let mut targets = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        match targets.get(&key) {
            Some(existing)
                if existing.addr == addr && existing.registered_millis == registered_millis =>
            {
                Arc::clone(existing)
            }
            _ => {
                let target = Arc::new(Target::new(key.1.clone(), addr, registered_millis));
                targets.insert(key, Arc::clone(&target));
                target
            }
        }
    }

    /// Forgets registrations not in `keep` (deregistered and drained, or
    /// re-registered after a drain, which starts over as initial).
    pub fn retain(&self, keep: &std::collections::HashSet<TargetKey>) {
        self.targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| keep.contains(key));
    }

    /// The health of one registration, if it is known.
    pub fn health(&self, target_group_arn: &str, id: &str, port: u16) -> Option<HealthTracker> {
        let targets = self.targets.lock().unwrap_or_else(PoisonError::into_inner);
        targets
            .get(&(target_group_arn.to_owned(), id.to_owned(), port))
            .map(|t| t.tracker())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_guards_count() {
        let t = Arc::new(Target::new("a".into(), "127.0.0.1:1".parse().unwrap(), 0));
        let g1 = t.begin_request();
        let g2 = t.begin_request();
        assert_eq!(t.in_flight(), 2);
        drop(g1);
        drop(g2);
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn status_mirrors_the_tracker() {
        let t = Target::new("a".into(), "127.0.0.1:1".parse().unwrap(), 0);
        assert!(!t.is_healthy() && !t.is_unhealthy());
        t.record(CheckOutcome::Success, 5, 2);
        assert!(t.is_healthy());
        t.mark_unreachable();
        assert!(t.is_unhealthy());
    }
}
