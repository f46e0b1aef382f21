//! Managed instances: what an instance's agent reports of itself, and the
//! `PingStatus` DescribeInstanceInformation derives from it.

use serde::{Deserialize, Serialize};

/// How often an agent reports (AWS's agent: every five minutes), in AWS
/// time.
pub const PING_INTERVAL_SECS: u64 = 300;

/// An instance the agent registered, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedInstance {
    pub instance_id: String,
    pub agent_name: String,
    pub agent_version: String,
    pub platform_type: String,
    pub platform_name: String,
    pub platform_version: String,
    pub ip_address: String,
    pub computer_name: String,
    pub registered_millis: i64,
    pub last_ping_millis: i64,
}

/// `PingStatus`: `Online` while the instance is up and its agent reported
/// within two intervals (scaled by `scale`), `ConnectionLost` otherwise.
pub fn ping_status(
    instance: &ManagedInstance,
    instance_up: bool,
    now_millis: i64,
    scale: f64,
) -> &'static str {
    let window = (2.0 * PING_INTERVAL_SECS as f64 * 1000.0 * scale) as i64;
    if instance_up && now_millis - instance.last_ping_millis <= window {
        "Online"
    } else {
        "ConnectionLost"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_or_stopped_instance_loses_its_connection() {
        let instance = ManagedInstance {
            instance_id: "i-1".into(),
            agent_name: "amazon-ssm-agent".into(),
            agent_version: "3".into(),
            platform_type: "Linux".into(),
            platform_name: "Amazon Linux".into(),
            platform_version: "2023".into(),
            ip_address: "172.31.0.4".into(),
            computer_name: "ip-172-31-0-4.ec2.internal".into(),
            registered_millis: 0,
            last_ping_millis: 0,
        };
        assert_eq!(ping_status(&instance, true, 600_000, 1.0), "Online");
        assert_eq!(ping_status(&instance, true, 600_001, 1.0), "ConnectionLost");
        assert_eq!(ping_status(&instance, true, 60_001, 0.1), "ConnectionLost");
        assert_eq!(ping_status(&instance, false, 1, 1.0), "ConnectionLost");
    }
}
