//! Live per-target state that outlives routing snapshots: health,
//! the passive routing hold, and in-flight requests.
//!
//! Two kinds of health live here and must not mix. The active checks'
//! [`HealthTracker`] is what the API reports (through
//! [`Registry::health`]). The passive [`RoutingHold`] (a Ballast extension)
//! only makes the balancer skip a target the proxy just failed to reach; it
//! never changes the reported state.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ballast_core::Clock;
use ballast_core::elbv2::{CheckOutcome, CheckTicket, Eligibility, HealthTracker, RoutingHold};

/// `healthy_since_millis` when the target is not warming up.
const NOT_WARMING: i64 = i64::MIN;

pub(crate) use ballast_core::epoch_millis;

/// Identifies a registration: target group ARN, target id, port.
pub type TargetKey = (String, String, u16);

/// One registered target's live state.
#[derive(Debug)]
pub struct Target {
    pub id: String,
    pub addr: SocketAddr,
    /// When this registration was made; a re-registration starts over.
    registered_millis: i64,
    in_flight: AtomicUsize,
    /// What the active checks allow ([`Eligibility`] as a byte), mirroring
    /// `tracker` for the request path, which only needs this byte.
    status: AtomicU8,
    /// The active checks' state: the only health the API reports.
    tracker: Mutex<HealthTracker>,
    /// Passive health: routing only, never reported.
    hold: RoutingHold,
    /// When the target last became healthy, in epoch millis by the
    /// injected clock (slow start counts from here); [`NOT_WARMING`] when
    /// it is not healthy or skipped slow start. An atomic, so the request
    /// path reads it without a lock.
    healthy_since_millis: AtomicI64,
    clock: Arc<dyn Clock>,
}

impl Target {
    fn new(id: String, addr: SocketAddr, registered_millis: i64, clock: Arc<dyn Clock>) -> Self {
        Target {
            id,
            addr,
            registered_millis,
            in_flight: AtomicUsize::new(0),
            status: AtomicU8::new(Eligibility::Never.to_byte()),
            tracker: Mutex::new(HealthTracker::new()),
            hold: RoutingHold::new(),
            healthy_since_millis: AtomicI64::new(NOT_WARMING),
            clock,
        }
    }

    /// How far through a slow start of `duration` the target is at
    /// `now_millis` (the injected clock's), from 0 (just became healthy)
    /// to 1 (full share); 1 when not healthy. One atomic load.
    pub fn warmth(&self, duration: Duration, now_millis: i64) -> f64 {
        let since = self.healthy_since_millis.load(Ordering::Acquire);
        if since == NOT_WARMING || duration.is_zero() {
            return 1.0;
        }
        let elapsed = now_millis.saturating_sub(since).max(0) as f64 / 1000.0;
        (elapsed / duration.as_secs_f64()).min(1.0)
    }

    /// How the balancer may use the target: the active checks' verdict,
    /// narrowed by the passive hold. One or three atomic loads, no lock.
    pub fn eligibility(&self) -> Eligibility {
        let active = Eligibility::from_byte(self.status.load(Ordering::Acquire));
        match active {
            Eligibility::InRotation => active.held(self.hold.is_held()),
            other => other,
        }
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

    /// Called as an active check starts; its result goes to
    /// [`Target::record`] with the ticket.
    pub fn check_started(&self) -> CheckTicket {
        self.hold.ticket()
    }

    /// Feeds an active health-check result; returns whether the reported
    /// state changed. A success also ends a passive hold from before the
    /// check started.
    pub fn record(
        &self,
        ticket: CheckTicket,
        outcome: CheckOutcome,
        healthy: u32,
        unhealthy: u32,
    ) -> bool {
        if outcome == CheckOutcome::Success && self.hold.check_succeeded(ticket) {
            tracing::info!(addr = %self.addr, "target back in rotation after a passing health check");
        }
        let mut tracker = self.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = tracker.record(outcome, healthy, unhealthy);
        self.mirror(&tracker);
        changed
    }

    /// Passive health: the proxy failed to reach the target, so the
    /// balancer skips it until an active check started after now passes.
    /// Routing only: the reported health is left alone, as AWS would.
    /// Returns whether this started a hold (it was not held already).
    pub fn mark_unreachable(&self) -> bool {
        self.hold.mark()
    }

    /// Copies the tracker's verdict to the byte the request path reads,
    /// and starts or ends the slow-start clock.
    fn mirror(&self, tracker: &HealthTracker) {
        let status = Eligibility::of(tracker.state());
        let was = Eligibility::from_byte(self.status.swap(status.to_byte(), Ordering::AcqRel));
        let healthy = status == Eligibility::InRotation;
        if healthy && was != Eligibility::InRotation {
            let now = epoch_millis(self.clock.now());
            self.healthy_since_millis.store(now, Ordering::Release);
        } else if !healthy {
            self.healthy_since_millis
                .store(NOT_WARMING, Ordering::Release);
        }
    }

    /// Marks a target that was healthy before slow start applied to it
    /// (registered into a group with no healthy target), so it takes a full
    /// share at once, as ALB does.
    pub fn skip_slow_start(&self) {
        self.healthy_since_millis
            .store(NOT_WARMING, Ordering::Release);
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
#[derive(Debug)]
pub struct Registry {
    targets: Mutex<HashMap<TargetKey, Arc<Target>>>,
    /// Handed to each target for its slow-start clock.
    clock: Arc<dyn Clock>,
}

impl Registry {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Registry {
            targets: Mutex::default(),
            clock,
        }
    }

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
                let target = Arc::new(Target::new(
                    key.1.clone(),
                    addr,
                    registered_millis,
                    Arc::clone(&self.clock),
                ));
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
    use std::time::SystemTime;

    use ballast_core::ManualClock;

    use super::*;

    fn clock() -> Arc<dyn Clock> {
        Arc::new(ballast_core::SystemClock)
    }

    #[test]
    fn slow_start_warms_by_the_injected_clock() {
        let manual = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000));
        let t = Target::new(
            "a".into(),
            "127.0.0.1:1".parse().unwrap(),
            0,
            Arc::new(manual.clone()),
        );
        let ramp = Duration::from_secs(100);
        let now = || epoch_millis(manual.now());
        assert_eq!(t.warmth(ramp, now()), 1.0, "not healthy: no ramp");
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
        assert_eq!(t.warmth(ramp, now()), 0.0);
        manual.advance(Duration::from_secs(25));
        assert!((t.warmth(ramp, now()) - 0.25).abs() < 1e-9);
        manual.advance(Duration::from_secs(75));
        assert_eq!(t.warmth(ramp, now()), 1.0);
        // Unhealthy ends the ramp; healthy again starts a new one.
        t.record(t.check_started(), CheckOutcome::Failed, 5, 1);
        t.record(t.check_started(), CheckOutcome::Success, 1, 1);
        assert_eq!(t.warmth(ramp, now()), 0.0);
        t.skip_slow_start();
        assert_eq!(t.warmth(ramp, now()), 1.0);
    }

    #[test]
    fn in_flight_guards_count() {
        let t = Arc::new(Target::new(
            "a".into(),
            "127.0.0.1:1".parse().unwrap(),
            0,
            clock(),
        ));
        let g1 = t.begin_request();
        let g2 = t.begin_request();
        assert_eq!(t.in_flight(), 2);
        drop(g1);
        drop(g2);
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn status_mirrors_the_tracker() {
        let t = Target::new("a".into(), "127.0.0.1:1".parse().unwrap(), 0, clock());
        assert_eq!(t.eligibility(), Eligibility::Never);
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
        assert_eq!(t.eligibility(), Eligibility::InRotation);
        t.record(t.check_started(), CheckOutcome::Timeout, 5, 1);
        assert_eq!(t.eligibility(), Eligibility::FailOpen);
    }

    #[test]
    fn unreachable_targets_leave_rotation_but_not_the_reported_health() {
        let t = Target::new("a".into(), "127.0.0.1:1".parse().unwrap(), 0, clock());
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
        let in_flight_check = t.check_started();
        assert!(t.mark_unreachable());
        assert_eq!(t.eligibility(), Eligibility::FailOpen);
        assert_eq!(t.tracker().describe(), ("healthy", None, None));
        t.record(in_flight_check, CheckOutcome::Success, 5, 2);
        assert_eq!(
            t.eligibility(),
            Eligibility::FailOpen,
            "a check begun before the failure proves nothing"
        );
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
        assert_eq!(t.eligibility(), Eligibility::InRotation);
        assert_eq!(t.tracker().describe(), ("healthy", None, None));
    }

    #[test]
    fn a_hold_does_not_reset_slow_start() {
        let t = Target::new("a".into(), "127.0.0.1:1".parse().unwrap(), 0, clock());
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
        t.skip_slow_start();
        t.mark_unreachable();
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
        assert_eq!(
            t.warmth(Duration::from_secs(3600), epoch_millis(SystemTime::now())),
            1.0
        );
    }
}
