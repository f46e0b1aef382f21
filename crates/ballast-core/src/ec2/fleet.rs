//! What the control plane needs from the fleet, the part of Ballast that
//! runs instances. The trait lives in the core so the API and the fleet
//! both depend on it and not on each other; the binary wires them
//! together.

use std::collections::HashSet;
use std::net::Ipv4Addr;

/// The live side of EC2: instance processes and what they print.
pub trait Fleet: Send + Sync + std::fmt::Debug {
    /// Instances changed in the store (launched, stopped, started,
    /// rebooted, terminated); the fleet converges soon after.
    fn changed(&self);

    /// The instance's console output so far (boot messages, and what its
    /// user data and boot hook printed), newest last, at most `limit`
    /// bytes from the end.
    fn console_output(&self, instance_id: &str, limit: usize) -> Option<Vec<u8>>;

    /// Addresses a launch must not hand out because something outside
    /// Ballast already uses them where instances live.
    fn addresses_in_use(&self) -> HashSet<Ipv4Addr> {
        HashSet::new()
    }
}

/// A fleet that runs nothing (unit tests of the API alone).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFleet;

impl Fleet for NoFleet {
    fn changed(&self) {}

    fn console_output(&self, _: &str, _: usize) -> Option<Vec<u8>> {
        None
    }
}
