//! What the API needs from the Auto Scaling controller. The trait lives in
//! the core so the API and the controller both depend on it and not on
//! each other; the binary wires them together.

/// The live side of Auto Scaling: the reconciler that converges groups.
pub trait AutoScaling: Send + Sync + std::fmt::Debug {
    /// Groups changed in the store (created, resized, hooks completed,
    /// processes suspended…); the controller converges soon after.
    fn changed(&self);
}

/// A controller that does nothing (unit tests of the API alone).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAutoScaling;

impl AutoScaling for NoAutoScaling {
    fn changed(&self) {}
}
