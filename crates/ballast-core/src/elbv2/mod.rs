//! Elastic Load Balancing v2 rules: target groups and their attributes.

pub mod attributes;
pub mod target_group;

pub use attributes::Attributes;
pub use target_group::{HealthCheck, HealthCheckChange, Matcher, TargetGroup, TargetGroupSpec};

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
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::Validation(message.into())
}

/// The most tags an ELBv2 resource may carry.
pub const MAX_TAGS: usize = 50;
