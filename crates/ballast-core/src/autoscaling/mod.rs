//! EC2 Auto Scaling rules: groups and their validation, the lifecycle of
//! instances in a group, suspended processes, lifecycle hooks, scaling
//! activities, zone balancing and termination policies, instance refresh,
//! launch configurations ([`configuration`]), tags set after creation
//! ([`tags`]), metrics collection ([`metrics`]), scheduled actions
//! ([`schedule`]), scaling policies ([`policy`]),
//! and the controller's decisions ([`step`]) as plain functions of the
//! group, what the world looks like and the time.
//!
//! The API validates requests and changes groups here; the controller
//! (`ballast-autoscaling`) observes instances and target health, calls
//! [`step::step`] and carries out the actions it returns. Nothing here
//! sleeps or touches a socket, so every rule is unit-tested with plain
//! values.

pub mod activity;
pub mod configuration;
pub mod controller;
pub mod group;
pub mod hook;
pub mod member;
pub mod metrics;
pub mod policy;
pub mod refresh;
pub mod schedule;
pub mod step;
pub mod tags;
pub mod template;

pub use activity::{Activity, ActivityStatus};
pub use configuration::LaunchConfiguration;
pub use controller::{AutoScaling, NoAutoScaling};
pub use group::{Attachment, AttachmentState, Group, GroupSpec, GroupTag};
pub use hook::{LifecycleHook, Transition, WaitingAction};
pub use member::{Health, Lifecycle, Member};
pub use refresh::{InstanceRefresh, RefreshStatus};
pub use template::TemplateSpec;

/// Why an Auto Scaling request was refused; each variant is one error code
/// of the autoscaling 2011-01-01 model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ValidationError`.
    #[error("{0}")]
    Validation(String),
    /// `AlreadyExists`.
    #[error("{0}")]
    AlreadyExists(String),
    /// `LimitExceeded`.
    #[error("{0}")]
    LimitExceeded(String),
    /// `ResourceInUse`.
    #[error("{0}")]
    ResourceInUse(String),
    /// `ScalingActivityInProgress`.
    #[error("{0}")]
    ScalingActivityInProgress(String),
    /// `ResourceContention` (HTTP 500 in the model).
    #[error("{0}")]
    ResourceContention(String),
    /// `InstanceRefreshInProgress`.
    #[error("{0}")]
    InstanceRefreshInProgress(String),
    /// `ActiveInstanceRefreshNotFound`.
    #[error("{0}")]
    ActiveInstanceRefreshNotFound(String),
    /// `InvalidNextToken`.
    #[error("{0}")]
    InvalidNextToken(String),
    /// `IrreversibleInstanceRefresh`: a rollback of a refresh that cannot
    /// be rolled back.
    #[error("{0}")]
    IrreversibleInstanceRefresh(String),
}

impl Error {
    /// The model's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationError",
            Error::AlreadyExists(_) => "AlreadyExists",
            Error::LimitExceeded(_) => "LimitExceeded",
            Error::ResourceInUse(_) => "ResourceInUse",
            Error::ScalingActivityInProgress(_) => "ScalingActivityInProgress",
            Error::ResourceContention(_) => "ResourceContention",
            Error::InstanceRefreshInProgress(_) => "InstanceRefreshInProgress",
            Error::ActiveInstanceRefreshNotFound(_) => "ActiveInstanceRefreshNotFound",
            Error::InvalidNextToken(_) => "InvalidNextToken",
            Error::IrreversibleInstanceRefresh(_) => "IrreversibleInstanceRefresh",
        }
    }

    /// The model's HTTP status: 500 for `ResourceContention`, else 400.
    pub fn status(&self) -> u16 {
        match self {
            Error::ResourceContention(_) => 500,
            _ => 400,
        }
    }
}

/// The cause AWS records for every instance an Auto Scaling decision or
/// request takes out of service: "At <time> an instance was taken out of
/// service in response to <reason>."
fn taken_out_of_service(now_millis: i64, reason: &str) -> String {
    format!(
        "At {} an instance was taken out of service in response to {reason}.",
        iso8601(now_millis)
    )
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Validation(message.into())
}

/// A count or a number of seconds a request gives, which may not be
/// negative: the model's "1 validation error" when it is.
fn non_negative(value: i32, member: &str) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| {
        invalid(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to 0"
        ))
    })
}

/// The scaling processes SuspendProcesses and ResumeProcesses name, in
/// the order DescribeScalingProcessTypes lists them.
pub const PROCESSES: [&str; 9] = [
    "AZRebalance",
    "AddToLoadBalancer",
    "AlarmNotification",
    "HealthCheck",
    "InstanceRefresh",
    "Launch",
    "ReplaceUnhealthy",
    "ScheduledActions",
    "Terminate",
];

/// Deprecated; accepted and ignored, as AWS documents.
pub const DEPRECATED_PROCESS: &str = "RemoveFromLoadBalancerLowPriority";

/// The named termination policies (besides a Lambda function's ARN).
pub const TERMINATION_POLICIES: [&str; 7] = [
    "Default",
    "AllocationStrategy",
    "OldestLaunchTemplate",
    "OldestLaunchConfiguration",
    "ClosestToNextInstanceHour",
    "NewestInstance",
    "OldestInstance",
];

/// The groups a region may have (AWS's default quota).
pub const MAX_GROUPS: usize = 500;

/// The notification types a group's notifications may name
/// (DescribeAutoScalingNotificationTypes).
pub const NOTIFICATION_TYPES: [&str; 5] = [
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    "autoscaling:TEST_NOTIFICATION",
];

/// The health check types a group may list.
pub const HEALTH_CHECK_TYPES: [&str; 4] = ["EC2", "EBS", "ELB", "VPC_LATTICE"];

/// AWS's default cooldown, in seconds.
pub const DEFAULT_COOLDOWN: u32 = 300;

/// At most this many instances per EnterStandby, ExitStandby,
/// AttachInstances, DetachInstances or SetInstanceProtection call.
pub const MAX_INSTANCES_PER_CALL: usize = 20;

/// At most this many lifecycle hooks per group.
pub const MAX_HOOKS: usize = 50;

/// At most this many tags per group.
pub const MAX_TAGS: usize = 50;

/// Checks a group name: 1–255 characters, no `:` (AWS reserves it for
/// ARNs), no control characters.
pub fn check_group_name(name: &str) -> Result<(), Error> {
    let len = name.chars().count();
    if len == 0 || len > 255 {
        return Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'autoScalingGroupName' failed to satisfy constraint: Member must have length between 1 and 255"
        )));
    }
    if name.contains(':') || name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "The Auto Scaling group name '{name}' is not valid: it may not contain ':' or control characters"
        )));
    }
    Ok(())
}

/// Checks the processes a Suspend/ResumeProcesses call names; an omitted
/// or empty list means all of them. Returns the processes meant.
pub fn check_processes(named: Option<&[String]>) -> Result<Vec<String>, Error> {
    let named = match named {
        None | Some([]) => return Ok(PROCESSES.iter().map(|p| (*p).to_owned()).collect()),
        Some(named) => named,
    };
    let mut out = Vec::new();
    for name in named {
        if name == DEPRECATED_PROCESS {
            continue;
        }
        if !PROCESSES.contains(&name.as_str()) {
            return Err(invalid(format!("Process '{name}' is not a valid process")));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// Checks a `HealthCheckType` (a comma-separated list of types) and
/// returns it normalised (EC2 first, no duplicates).
pub fn check_health_check_type(text: &str) -> Result<String, Error> {
    let mut types: Vec<&str> = Vec::new();
    for part in text.split(',').map(str::trim) {
        if !HEALTH_CHECK_TYPES.contains(&part) {
            return Err(invalid(format!(
                "Invalid health check type '{text}'. Valid values are EC2, EBS, ELB and VPC_LATTICE, separated by commas"
            )));
        }
        if !types.contains(&part) {
            types.push(part);
        }
    }
    Ok(types.join(","))
}

/// Whether a group's health check type uses ELB health.
pub fn uses_elb_health(health_check_type: &str) -> bool {
    health_check_type.split(',').any(|t| t.trim() == "ELB")
}

/// Checks termination policies: named ones or a Lambda function ARN.
pub fn check_termination_policies(policies: &[String]) -> Result<(), Error> {
    for policy in policies {
        if !TERMINATION_POLICIES.contains(&policy.as_str())
            && !policy.starts_with("arn:aws:lambda:")
        {
            return Err(invalid(format!(
                "Termination policy '{policy}' is not valid. Valid policies are {} or the ARN of a Lambda function",
                TERMINATION_POLICIES.join(", ")
            )));
        }
    }
    Ok(())
}

/// How activity causes write a time (`2024-05-01T12:00:00Z`).
pub use crate::clock::iso8601;

/// A duration in AWS seconds as wall-clock milliseconds at a time scale.
pub fn scaled_millis(seconds: u64, scale: crate::TimeScale) -> i64 {
    let d = scale.scale(std::time::Duration::from_secs(seconds));
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_group_name("web-asg").is_ok());
        assert!(check_group_name("").is_err());
        assert!(check_group_name("a:b").is_err());
        assert!(check_group_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn processes() {
        assert_eq!(check_processes(None).unwrap().len(), 9);
        assert_eq!(
            check_processes(Some(&["Launch".into(), "Launch".into()])).unwrap(),
            ["Launch"]
        );
        assert!(check_processes(Some(&["Nope".into()])).is_err());
        assert!(
            check_processes(Some(&[DEPRECATED_PROCESS.into()]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn health_types_and_policies() {
        assert_eq!(check_health_check_type("ELB").unwrap(), "ELB");
        assert_eq!(check_health_check_type("EC2,ELB,ELB").unwrap(), "EC2,ELB");
        assert!(check_health_check_type("HTTP").is_err());
        assert!(uses_elb_health("EC2,ELB"));
        assert!(!uses_elb_health("EC2"));
        assert!(check_termination_policies(&["OldestInstance".into()]).is_ok());
        assert!(check_termination_policies(&["Whatever".into()]).is_err());
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
    }
}
