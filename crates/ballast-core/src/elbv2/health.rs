//! The target health state machine, as ALB runs it.
//!
//! A new target is `initial` until its first check: one success makes it
//! `healthy`; `UnhealthyThresholdCount` consecutive failures make it
//! `unhealthy`. A healthy target turns unhealthy after that many failures in
//! a row, and an unhealthy one healthy after `HealthyThresholdCount`
//! successes in a row. Pure: the checker feeds outcomes in, the API reads
//! states out.
//!
//! Only the configured active checks feed this tracker, so everything the
//! API shows (DescribeTargetHealth, the Auto Scaling controller's ELB
//! health) is what AWS would show. Ballast's passive health extension
//! steers routing through [`super::passive`] and never changes it.

/// What one health check observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The response code was in the matcher.
    Success,
    /// A response arrived with a code outside the matcher.
    CodeMismatch(u16),
    /// No response within the timeout.
    Timeout,
    /// The connection failed or the response was malformed.
    Failed,
}

/// A target's health as DescribeTargetHealth reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    /// Registered; `checked` once the first check has run.
    Initial {
        checked: bool,
    },
    Healthy,
    /// Out of service, with the failure that put it there.
    Unhealthy(CheckOutcome),
}

/// Consecutive-result counting for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthTracker {
    state: HealthState,
    successes: u32,
    failures: u32,
}

impl Default for HealthTracker {
    fn default() -> Self {
        HealthTracker::new()
    }
}

impl HealthTracker {
    /// A freshly registered target.
    pub fn new() -> Self {
        HealthTracker {
            state: HealthState::Initial { checked: false },
            successes: 0,
            failures: 0,
        }
    }

    pub fn state(&self) -> HealthState {
        self.state
    }

    /// Whether the target takes new requests (fail-open aside).
    pub fn is_healthy(&self) -> bool {
        self.state == HealthState::Healthy
    }

    /// Whether fail-open may route to this target: it failed its checks
    /// (initial targets are never picked).
    pub fn is_unhealthy(&self) -> bool {
        matches!(self.state, HealthState::Unhealthy(_))
    }

    /// Feeds one check result in; returns whether the state changed.
    pub fn record(
        &mut self,
        outcome: CheckOutcome,
        healthy_threshold: u32,
        unhealthy_threshold: u32,
    ) -> bool {
        let before = self.state;
        if outcome == CheckOutcome::Success {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            self.state = match self.state {
                HealthState::Initial { .. } | HealthState::Healthy => HealthState::Healthy,
                HealthState::Unhealthy(_) if self.successes >= healthy_threshold => {
                    HealthState::Healthy
                }
                unhealthy @ HealthState::Unhealthy(_) => unhealthy,
            };
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
            self.state = match self.state {
                HealthState::Unhealthy(_) => HealthState::Unhealthy(outcome),
                _ if self.failures >= unhealthy_threshold => HealthState::Unhealthy(outcome),
                HealthState::Initial { .. } => HealthState::Initial { checked: true },
                HealthState::Healthy => HealthState::Healthy,
            };
        }
        self.state != before
    }

    /// The `State`, `Reason` and `Description` DescribeTargetHealth shows.
    pub fn describe(&self) -> (&'static str, Option<&'static str>, Option<String>) {
        match self.state {
            HealthState::Initial { checked: false } => (
                "initial",
                Some("Elb.RegistrationInProgress"),
                Some("Target registration is in progress".to_owned()),
            ),
            HealthState::Initial { checked: true } => (
                "initial",
                Some("Elb.InitialHealthChecking"),
                Some("Initial health checks in progress".to_owned()),
            ),
            HealthState::Healthy => ("healthy", None, None),
            HealthState::Unhealthy(CheckOutcome::CodeMismatch(code)) => (
                "unhealthy",
                Some("Target.ResponseCodeMismatch"),
                Some(format!("Health checks failed with these codes: [{code}]")),
            ),
            HealthState::Unhealthy(CheckOutcome::Timeout) => (
                "unhealthy",
                Some("Target.Timeout"),
                Some("Request timed out".to_owned()),
            ),
            HealthState::Unhealthy(_) => (
                "unhealthy",
                Some("Target.FailedHealthChecks"),
                Some("Health checks failed".to_owned()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: CheckOutcome = CheckOutcome::Success;
    const BAD: CheckOutcome = CheckOutcome::CodeMismatch(500);

    #[test]
    fn one_success_makes_a_new_target_healthy() {
        let mut t = HealthTracker::new();
        assert_eq!(t.describe().1, Some("Elb.RegistrationInProgress"));
        assert!(t.record(OK, 5, 2));
        assert!(t.is_healthy());
    }

    #[test]
    fn initial_failures_show_initial_checking_then_unhealthy() {
        let mut t = HealthTracker::new();
        t.record(BAD, 5, 3);
        assert_eq!(t.describe().1, Some("Elb.InitialHealthChecking"));
        t.record(BAD, 5, 3);
        t.record(BAD, 5, 3);
        assert_eq!(t.describe().0, "unhealthy");
        assert_eq!(
            t.describe().2.as_deref(),
            Some("Health checks failed with these codes: [500]")
        );
    }

    #[test]
    fn thresholds_apply_both_ways() {
        let mut t = HealthTracker::new();
        t.record(OK, 3, 2);
        t.record(CheckOutcome::Timeout, 3, 2);
        assert!(
            t.is_healthy(),
            "one failure is below the unhealthy threshold"
        );
        t.record(CheckOutcome::Timeout, 3, 2);
        assert_eq!(t.describe().1, Some("Target.Timeout"));
        t.record(OK, 3, 2);
        t.record(OK, 3, 2);
        assert!(t.is_unhealthy());
        t.record(OK, 3, 2);
        assert!(t.is_healthy());
    }

    #[test]
    fn a_failure_resets_the_success_run() {
        let mut t = HealthTracker::new();
        t.record(BAD, 2, 2);
        t.record(BAD, 2, 2);
        assert!(t.is_unhealthy());
        t.record(OK, 2, 2);
        t.record(BAD, 2, 2);
        t.record(OK, 2, 2);
        assert!(t.is_unhealthy());
        t.record(OK, 2, 2);
        assert!(t.is_healthy());
    }
}
