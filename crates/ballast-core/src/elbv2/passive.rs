//! Passive health, a Ballast extension that steers routing only.
//!
//! When the proxy fails to connect to a target, or a request's connection
//! to it dies before any response, the balancer skips that target until an
//! active health check that *started after* the failure has succeeded. The
//! verdict never reaches the API: DescribeTargetHealth, the Auto Scaling
//! controller's ELB health and everything else visible come only from the
//! configured active checks ([`super::HealthTracker`]), exactly as on AWS,
//! where an app that closes request connections while its health check
//! answers 200 stays `healthy`.
//!
//! [`RoutingHold`] is lock-free because the request path reads it for every
//! candidate: two atomic loads, no lock.

use std::sync::atomic::{AtomicU64, Ordering};

use super::health::HealthState;

/// The passive "recently unreachable" flag of one target.
///
/// Two monotonic counters: `marks` counts failures seen by the proxy, and
/// `cleared` is the highest mark count a successful check had seen when it
/// started. The target is held while `marks > cleared`, so a check already
/// in flight when the failure happened cannot release it: its success
/// proves nothing about the connection that just failed.
#[derive(Debug, Default)]
pub struct RoutingHold {
    marks: AtomicU64,
    cleared: AtomicU64,
}

/// Taken when an active check starts; handed back with its success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckTicket(u64);

impl RoutingHold {
    pub fn new() -> Self {
        RoutingHold::default()
    }

    /// The proxy failed to reach the target: hold it out of rotation.
    /// Returns whether this started a hold (it was not held already), for
    /// logging.
    pub fn mark(&self) -> bool {
        let was_held = self.is_held();
        self.marks.fetch_add(1, Ordering::AcqRel);
        !was_held
    }

    /// Called as an active check starts.
    pub fn ticket(&self) -> CheckTicket {
        CheckTicket(self.marks.load(Ordering::Acquire))
    }

    /// An active check that started with `ticket` succeeded: failures from
    /// before it started no longer hold the target. Returns whether this
    /// released the target.
    pub fn check_succeeded(&self, ticket: CheckTicket) -> bool {
        let before = self.cleared.fetch_max(ticket.0, Ordering::AcqRel);
        let marks = self.marks.load(Ordering::Acquire);
        before < marks && ticket.0 >= marks
    }

    /// Whether the balancer should skip the target (fail-open aside).
    pub fn is_held(&self) -> bool {
        // `cleared` never exceeds `marks` (tickets are read from it), and
        // both only grow, so reading `cleared` first can only err towards
        // "not held" for a mark racing this read, never hold forever.
        let cleared = self.cleared.load(Ordering::Acquire);
        self.marks.load(Ordering::Acquire) > cleared
    }
}

/// How the balancer may use a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Eligibility {
    /// Never takes requests: still `initial`.
    Never = 0,
    /// Takes requests.
    InRotation = 1,
    /// Takes requests only when no target of its group is in rotation
    /// (ALB's fail-open, widened to targets held by passive health).
    FailOpen = 2,
}

impl Eligibility {
    /// What the active checks alone allow.
    pub fn of(state: HealthState) -> Eligibility {
        match state {
            HealthState::Initial { .. } => Eligibility::Never,
            HealthState::Healthy => Eligibility::InRotation,
            HealthState::Unhealthy(_) => Eligibility::FailOpen,
        }
    }

    /// Narrowed by the passive hold. A held healthy target is skipped like
    /// an unhealthy one but stays in the fail-open pool: when every target
    /// is held or unhealthy, ALB (whose checks say the held ones are fine)
    /// would still route to them, and so does Ballast.
    pub fn held(self, held: bool) -> Eligibility {
        match self {
            Eligibility::InRotation if held => Eligibility::FailOpen,
            other => other,
        }
    }

    /// As one byte, so the request path can read it from an atomic.
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    /// The inverse of [`Eligibility::to_byte`]; an unknown byte never
    /// routes.
    pub fn from_byte(byte: u8) -> Eligibility {
        match byte {
            1 => Eligibility::InRotation,
            2 => Eligibility::FailOpen,
            _ => Eligibility::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elbv2::CheckOutcome;

    #[test]
    fn a_new_target_is_not_held() {
        assert!(!RoutingHold::new().is_held());
    }

    #[test]
    fn a_failure_holds_until_a_later_check_succeeds() {
        let hold = RoutingHold::new();
        assert!(hold.mark(), "the first mark starts a hold");
        assert!(hold.is_held());
        assert!(!hold.mark(), "already held");
        let ticket = hold.ticket();
        assert!(hold.is_held(), "starting a check releases nothing");
        assert!(hold.check_succeeded(ticket));
        assert!(!hold.is_held());
    }

    #[test]
    fn a_check_already_running_at_the_failure_does_not_release() {
        let hold = RoutingHold::new();
        let early = hold.ticket();
        hold.mark();
        assert!(!hold.check_succeeded(early));
        assert!(hold.is_held());
        let late = hold.ticket();
        assert!(hold.check_succeeded(late));
        assert!(!hold.is_held());
    }

    #[test]
    fn a_failure_after_a_release_holds_again() {
        let hold = RoutingHold::new();
        hold.mark();
        hold.check_succeeded(hold.ticket());
        assert!(hold.mark());
        assert!(hold.is_held());
    }

    #[test]
    fn an_old_success_arriving_late_changes_nothing() {
        let hold = RoutingHold::new();
        let old = hold.ticket();
        hold.mark();
        let new = hold.ticket();
        assert!(hold.check_succeeded(new));
        assert!(!hold.check_succeeded(old), "cleared never moves back");
        assert!(!hold.is_held());
    }

    #[test]
    fn successes_without_a_failure_release_nothing() {
        let hold = RoutingHold::new();
        assert!(!hold.check_succeeded(hold.ticket()));
        assert!(!hold.is_held());
    }

    #[test]
    fn held_healthy_targets_only_fail_open() {
        let healthy = Eligibility::of(HealthState::Healthy);
        let unhealthy = Eligibility::of(HealthState::Unhealthy(CheckOutcome::Failed));
        let initial = Eligibility::of(HealthState::Initial { checked: true });
        assert_eq!(healthy.held(false), Eligibility::InRotation);
        assert_eq!(healthy.held(true), Eligibility::FailOpen);
        assert_eq!(unhealthy.held(false), Eligibility::FailOpen);
        assert_eq!(unhealthy.held(true), Eligibility::FailOpen);
        assert_eq!(initial.held(true), Eligibility::Never);
        assert_eq!(
            Eligibility::of(HealthState::Initial { checked: false }),
            Eligibility::Never
        );
    }

    #[test]
    fn eligibility_survives_a_byte() {
        for e in [
            Eligibility::Never,
            Eligibility::InRotation,
            Eligibility::FailOpen,
        ] {
            assert_eq!(Eligibility::from_byte(e.to_byte()), e);
        }
        assert_eq!(Eligibility::from_byte(9), Eligibility::Never);
    }
}
