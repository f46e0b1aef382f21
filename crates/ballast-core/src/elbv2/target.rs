//! Target registrations.

use serde::{Deserialize, Serialize};

/// One registered target of a target group, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub target_group_arn: String,
    /// An instance id, or an IPv4 address for `ip` target groups.
    pub id: String,
    pub port: u16,
    pub availability_zone: Option<String>,
    pub registered_millis: i64,
    /// When deregistration began; the target drains until the group's
    /// deregistration delay has passed, then the registration is removed.
    pub draining_since_millis: Option<i64>,
}

impl Registration {
    pub fn is_draining(&self) -> bool {
        self.draining_since_millis.is_some()
    }

    /// When draining ends, in epoch millis, for a delay of `delay_millis`
    /// (already scaled to wall-clock time).
    pub fn drained_at(&self, delay_millis: i64) -> Option<i64> {
        self.draining_since_millis.map(|since| since + delay_millis)
    }
}
