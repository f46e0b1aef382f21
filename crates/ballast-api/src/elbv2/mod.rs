//! Elastic Load Balancing v2 (awsQuery). Today: target groups and tags.

pub mod model;
mod tags;
mod target_groups;

use ballast_core::elbv2::Error as Rule;
use ballast_wire::{ApiError, ApiRequest, Protocol, WireResponse};

use crate::dispatch::{call, operations};
use crate::error::{ErrorCode, HandlerError};
use crate::{ApiState, RequestContext};

operations! {
    /// The ELBv2 operations Ballast implements.
    pub enum Operation {
        CreateTargetGroup,
        DescribeTargetGroups,
        ModifyTargetGroup,
        DeleteTargetGroup,
        DescribeTargetGroupAttributes,
        ModifyTargetGroupAttributes,
        AddTags,
        RemoveTags,
        DescribeTags,
    }
}

/// Routes an ELBv2 request to its handler.
pub fn handle(
    state: &ApiState,
    ctx: &RequestContext,
    request: &ApiRequest,
) -> Result<WireResponse, ApiError> {
    let Some(operation) = Operation::from_name(&request.operation) else {
        return Err(ApiError::unknown_operation(
            Protocol::AwsQuery,
            &request.operation,
        ));
    };
    use Operation::*;
    match operation {
        CreateTargetGroup => call(ctx, request, |i| target_groups::create(state, i)),
        DescribeTargetGroups => call(ctx, request, |i| target_groups::describe(state, i)),
        ModifyTargetGroup => call(ctx, request, |i| target_groups::modify(state, i)),
        DeleteTargetGroup => call(ctx, request, |i| target_groups::delete(state, i)),
        DescribeTargetGroupAttributes => call(ctx, request, |i| {
            target_groups::describe_attributes(state, i)
        }),
        ModifyTargetGroupAttributes => {
            call(ctx, request, |i| target_groups::modify_attributes(state, i))
        }
        AddTags => call(ctx, request, |i| tags::add(state, i)),
        RemoveTags => call(ctx, request, |i| tags::remove(state, i)),
        DescribeTags => call(ctx, request, |i| tags::describe(state, i)),
    }
}

/// A failure inside an ELBv2 handler.
pub(crate) type Error = HandlerError<Rule>;

impl From<Rule> for Error {
    fn from(rule: Rule) -> Self {
        HandlerError::Rule(rule)
    }
}

impl ErrorCode for Rule {
    fn code(&self) -> &'static str {
        match self {
            Rule::Validation(_) => "ValidationError",
            Rule::DuplicateTargetGroupName(_) => "DuplicateTargetGroupName",
            Rule::TargetGroupNotFound => "TargetGroupNotFound",
            Rule::LoadBalancerNotFound => "LoadBalancerNotFound",
            Rule::DuplicateTagKeys(_) => "DuplicateTagKeys",
            Rule::TooManyTags => "TooManyTags",
            Rule::InvalidConfigurationRequest(_) => "InvalidConfigurationRequest",
            Rule::ResourceInUse(_) => "ResourceInUse",
            Rule::DuplicateLoadBalancerName(_) => "DuplicateLoadBalancerName",
            Rule::InvalidSubnet(_) => "InvalidSubnet",
            Rule::ListenerNotFound => "ListenerNotFound",
            Rule::RuleNotFound => "RuleNotFound",
            Rule::PriorityInUse(_) => "PriorityInUse",
            Rule::DuplicateListener => "DuplicateListener",
            Rule::InvalidTarget(_) => "InvalidTarget",
            Rule::UnsupportedProtocol(_) => "UnsupportedProtocol",
            Rule::OperationNotPermitted(_) => "OperationNotPermitted",
            Rule::InvalidLoadBalancerAction(_) => "InvalidLoadBalancerAction",
        }
    }

    fn internal_code() -> &'static str {
        "InternalFailure"
    }
}
