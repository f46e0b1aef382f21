//! What the control plane needs from the data plane. The trait lives in
//! the core so the API and the proxy both depend on it and not on each
//! other; the binary wires them together.

use super::health::HealthTracker;

/// The live side of load balancing: target health and reconciliation.
pub trait DataPlane: Send + Sync + std::fmt::Debug {
    /// The current health of one registered target, if the data plane has
    /// started checking it: the active health checks' verdict only, as AWS
    /// reports it. Routing-only extensions (passive health) never show here.
    fn target_health(&self, target_group_arn: &str, id: &str, port: u16) -> Option<HealthTracker>;

    /// Load balancers, listeners, rules or registrations changed in the
    /// store; the data plane reconciles soon after.
    fn changed(&self);
}

/// A data plane that serves nothing (unit tests of the API alone).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDataPlane;

impl DataPlane for NoDataPlane {
    fn target_health(&self, _: &str, _: &str, _: u16) -> Option<HealthTracker> {
        None
    }

    fn changed(&self) {}
}
