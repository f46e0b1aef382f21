//! Elastic Load Balancing v2 (awsQuery): load balancers, listeners, rules,
//! target groups, target registration and health, and tags.

mod actions;
mod listeners;
mod load_balancers;
pub mod model;
mod rules;
mod tags;
mod target_groups;
mod targets;

use ballast_core::elbv2::{self, Error as Rule, TargetGroupUsage};
use ballast_core::paging::{PageError, PageLimits, parse_page};
use ballast_core::{Arn, tags as core_tags};
use ballast_store::Tx;
use ballast_wire::{ApiError, ApiRequest, WireResponse};

use crate::dispatch::{call_unvalidated as call, operations};
use crate::error::{ErrorCode, HandlerError};
use crate::{ApiState, RequestContext};

operations! {
    /// The ELBv2 operations Ballast implements.
    pub enum Operation {
        CreateLoadBalancer,
        DescribeLoadBalancers,
        DeleteLoadBalancer,
        DescribeLoadBalancerAttributes,
        ModifyLoadBalancerAttributes,
        CreateListener,
        DescribeListeners,
        ModifyListener,
        DeleteListener,
        CreateRule,
        DescribeRules,
        ModifyRule,
        DeleteRule,
        SetRulePriorities,
        RegisterTargets,
        DeregisterTargets,
        DescribeTargetHealth,
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
    let operation = Operation::of(request)?;
    use Operation::*;
    match operation {
        CreateLoadBalancer => call(ctx, request, |i| load_balancers::create(state, i)),
        DescribeLoadBalancers => call(ctx, request, |i| load_balancers::describe(state, i)),
        DeleteLoadBalancer => call(ctx, request, |i| load_balancers::delete(state, i)),
        DescribeLoadBalancerAttributes => call(ctx, request, |i| {
            load_balancers::describe_attributes(state, i)
        }),
        ModifyLoadBalancerAttributes => call(ctx, request, |i| {
            load_balancers::modify_attributes(state, i)
        }),
        CreateListener => call(ctx, request, |i| listeners::create(state, i)),
        DescribeListeners => call(ctx, request, |i| listeners::describe(state, i)),
        ModifyListener => call(ctx, request, |i| listeners::modify(state, i)),
        DeleteListener => call(ctx, request, |i| listeners::delete(state, i)),
        CreateRule => call(ctx, request, |i| rules::create(state, i)),
        DescribeRules => call(ctx, request, |i| rules::describe(state, i)),
        ModifyRule => call(ctx, request, |i| rules::modify(state, i)),
        DeleteRule => call(ctx, request, |i| rules::delete(state, i)),
        SetRulePriorities => call(ctx, request, |i| rules::set_priorities(state, i)),
        RegisterTargets => call(ctx, request, |i| targets::register(state, i)),
        DeregisterTargets => call(ctx, request, |i| targets::deregister(state, i)),
        DescribeTargetHealth => call(ctx, request, |i| targets::describe_health(state, i)),
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
            Rule::TargetGroupAssociationLimit(_) => "TargetGroupAssociationLimit",
            Rule::IncompatibleProtocols(_) => "IncompatibleProtocols",
            Rule::InvalidSecurityGroup(_) => "InvalidSecurityGroup",
            Rule::TooManyTargets => "TooManyTargets",
        }
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Elbv2;
}

/// The largest (and default) page of every ELBv2 Describe operation.
const MAX_PAGE_SIZE: usize = 400;
const MAX_PAGE_SIZE_I64: i64 = 400;

/// Checks `PageSize` (1–400) and decodes `Marker` into the key after which
/// the page starts.
pub(super) fn paging(
    page_size: Option<i64>,
    marker: Option<&str>,
) -> Result<(usize, Option<String>), Rule> {
    let limits = PageLimits {
        min: 1,
        max: MAX_PAGE_SIZE_I64,
        default: MAX_PAGE_SIZE,
    };
    parse_page(page_size, marker, limits).map_err(|e| match e {
        PageError::Size { value, .. } => Rule::Validation(format!(
            "1 validation error detected: Value '{value}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and {MAX_PAGE_SIZE}"
        )),
        PageError::Token(_) => Rule::Validation("The marker is not valid".to_owned()),
    })
}

/// Checks that text is an ELBv2 ARN of a resource type (`loadbalancer`,
/// `listener`, `listener-rule`, `targetgroup`).
pub(super) fn check_arn(text: &str, resource_type: &str, noun: &str) -> Result<(), Rule> {
    match text.parse::<Arn>() {
        Ok(arn)
            if arn.service == "elasticloadbalancing" && arn.resource_type() == resource_type =>
        {
            Ok(())
        }
        _ => Err(Rule::Validation(format!(
            "'{text}' is not a valid {noun} ARN"
        ))),
    }
}

/// Checks the tags of a create request; returns them as pairs.
pub(super) fn creation_tags(
    tags: Option<&[core_tags::Tag]>,
) -> Result<Vec<(String, String)>, Rule> {
    let tags = tags.unwrap_or_default();
    core_tags::validate(tags).map_err(|e| match e {
        core_tags::TagError::DuplicateKey(key) => {
            Rule::DuplicateTagKeys(format!("Tag key '{key}' is duplicated"))
        }
        other => Rule::Validation(other.to_string()),
    })?;
    if tags.len() > elbv2::MAX_TAGS {
        return Err(Rule::TooManyTags);
    }
    Ok(ballast_core::tags::pairs(tags))
}

/// Which load balancers forward to which target groups, as stored now.
pub(super) fn usage(tx: &Tx<'_>) -> Result<TargetGroupUsage, Error> {
    Ok(TargetGroupUsage::new(&tx.listeners()?, &tx.rules()?))
}
