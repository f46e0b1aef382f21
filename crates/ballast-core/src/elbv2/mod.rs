//! Elastic Load Balancing v2 rules: load balancers, listeners, rules,
//! target groups, registrations and their health.

pub mod attributes;
pub mod data_plane;
pub mod health;
pub mod listener;
pub mod load_balancer;
pub mod passive;
pub mod rule;
pub mod target;
pub mod target_group;
pub mod usage;

pub use attributes::Attributes;
pub use data_plane::{DataPlane, NoDataPlane};
pub use health::{CheckOutcome, HealthState, HealthTracker};
pub use listener::{Action, FixedResponse, ForwardConfig, Listener, Redirect, WeightedTargetGroup};
pub use load_balancer::{LoadBalancer, LoadBalancerSpec, Zone};
pub use passive::{CheckTicket, Eligibility, RoutingHold};
pub use rule::{Condition, RequestView, Rule};
pub use target::{
    Change as TargetChange, Drain, HealthReport, MAX_TARGETS, Registration, TargetRequest,
};
pub use target_group::{
    Algorithm, HealthCheck, HealthCheckChange, Matcher, TargetGroup, TargetGroupSpec,
};
pub use usage::TargetGroupUsage;

/// Why an ELBv2 request was refused; each variant is a modelled error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("A target group with the same name '{0}' exists, but with different settings")]
    DuplicateTargetGroupName(String),
    #[error("One or more target groups not found")]
    TargetGroupNotFound,
    #[error("One or more load balancers not found")]
    LoadBalancerNotFound,
    #[error("{0}")]
    DuplicateTagKeys(String),
    #[error("You've reached the limit on the number of tags for this resource")]
    TooManyTags,
    #[error("{0}")]
    InvalidConfigurationRequest(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("A load balancer with the same name '{0}' exists, but with different settings")]
    DuplicateLoadBalancerName(String),
    #[error("{0}")]
    InvalidSubnet(String),
    #[error("One or more listeners not found")]
    ListenerNotFound,
    #[error("One or more rules not found")]
    RuleNotFound,
    #[error("Priority '{0}' is currently in use")]
    PriorityInUse(String),
    #[error("A listener already exists on this port for this load balancer")]
    DuplicateListener,
    #[error("{0}")]
    InvalidTarget(String),
    #[error("{0}")]
    UnsupportedProtocol(String),
    #[error("{0}")]
    OperationNotPermitted(String),
    #[error("{0}")]
    InvalidLoadBalancerAction(String),
    #[error(
        "The following target groups cannot be associated with more than one load balancer: {0}"
    )]
    TargetGroupAssociationLimit(String),
    #[error("{0}")]
    IncompatibleProtocols(String),
    #[error("{0}")]
    InvalidSecurityGroup(String),
    #[error("You've reached the limit on the number of targets")]
    TooManyTargets,
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::Validation(message.into())
}

/// The most tags an ELBv2 resource may carry.
pub const MAX_TAGS: usize = 50;
