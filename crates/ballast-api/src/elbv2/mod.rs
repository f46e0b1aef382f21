//! Elastic Load Balancing v2 (awsQuery): load balancers, listeners, rules,
//! target groups, target registration and health, and tags.

mod actions;
mod listeners;
mod load_balancers;
mod rules;
mod tags;
mod target_groups;
mod targets;

pub(crate) use targets::HealthInputs;

use ballast_core::elbv2::{self, Error as Rule, TargetGroupUsage};
use ballast_core::paging::page_after;
use ballast_core::{Arn, tags as core_tags};
use ballast_model::elbv2::{Tag, errors};
use ballast_store::Tx;

use crate::dispatch::{call, routes};
use crate::error::{ErrorCode, HandlerError};

routes! {
    /// The ELBv2 operations Ballast implements.
    pub enum Operation;

    /// Routes an ELBv2 request to its handler.
    fn handle(state, ctx, request) {
        CreateLoadBalancer => call(ctx, request, |i| load_balancers::create(state, i)),
        DescribeLoadBalancers => call(ctx, request, |i| load_balancers::describe(state, i)),
        DeleteLoadBalancer => call(ctx, request, |i| load_balancers::delete(state, i)),
        SetSubnets => call(ctx, request, |i| load_balancers::set_subnets(state, i)),
        SetSecurityGroups => call(ctx, request, |i| load_balancers::set_security_groups(state, i)),
        SetIpAddressType => call(ctx, request, |i| load_balancers::set_ip_address_type(state, i)),
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
        },
        AddTags => call(ctx, request, |i| tags::add(state, i)),
        RemoveTags => call(ctx, request, |i| tags::remove(state, i)),
        DescribeTags => call(ctx, request, |i| tags::describe(state, i)),
    }
}

/// A failure inside an ELBv2 handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    const SERVICE: ballast_wire::Service = ballast_wire::Service::Elbv2;

    /// The model's shapes (400 for every shape Ballast raises);
    /// `ValidationError` is the protocol's.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::DuplicateTargetGroupName(_) => errors::DUPLICATE_TARGET_GROUP_NAME_EXCEPTION,
            Rule::TargetGroupNotFound => errors::TARGET_GROUP_NOT_FOUND_EXCEPTION,
            Rule::LoadBalancerNotFound => errors::LOAD_BALANCER_NOT_FOUND_EXCEPTION,
            Rule::DuplicateTagKeys(_) => errors::DUPLICATE_TAG_KEYS_EXCEPTION,
            Rule::TooManyTags => errors::TOO_MANY_TAGS_EXCEPTION,
            Rule::InvalidConfigurationRequest(_) => errors::INVALID_CONFIGURATION_REQUEST_EXCEPTION,
            Rule::ResourceInUse(_) => errors::RESOURCE_IN_USE_EXCEPTION,
            Rule::DuplicateLoadBalancerName(_) => errors::DUPLICATE_LOAD_BALANCER_NAME_EXCEPTION,
            Rule::InvalidSubnet(_) => errors::INVALID_SUBNET_EXCEPTION,
            Rule::ListenerNotFound => errors::LISTENER_NOT_FOUND_EXCEPTION,
            Rule::RuleNotFound => errors::RULE_NOT_FOUND_EXCEPTION,
            Rule::PriorityInUse(_) => errors::PRIORITY_IN_USE_EXCEPTION,
            Rule::DuplicateListener => errors::DUPLICATE_LISTENER_EXCEPTION,
            Rule::InvalidTarget(_) => errors::INVALID_TARGET_EXCEPTION,
            Rule::UnsupportedProtocol(_) => errors::UNSUPPORTED_PROTOCOL_EXCEPTION,
            Rule::OperationNotPermitted(_) => errors::OPERATION_NOT_PERMITTED_EXCEPTION,
            Rule::InvalidLoadBalancerAction(_) => errors::INVALID_LOAD_BALANCER_ACTION_EXCEPTION,
            Rule::TargetGroupAssociationLimit(_) => {
                errors::TARGET_GROUP_ASSOCIATION_LIMIT_EXCEPTION
            }
            Rule::IncompatibleProtocols(_) => errors::INCOMPATIBLE_PROTOCOLS_EXCEPTION,
            Rule::InvalidSecurityGroup(_) => errors::INVALID_SECURITY_GROUP_EXCEPTION,
            Rule::TooManyTargets => errors::TOO_MANY_TARGETS_EXCEPTION,
        })
    }
}

/// The largest (and default) page of every ELBv2 Describe operation.
const MAX_PAGE_SIZE: usize = 400;

/// The page `PageSize` asks for (the model bounds it to 1–400; 400 when
/// absent) and the key `Marker` decodes to.
pub(super) fn paging(
    page_size: Option<i32>,
    marker: Option<&str>,
) -> Result<(usize, Option<String>), Rule> {
    let size = page_size
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(MAX_PAGE_SIZE);
    let after =
        page_after(marker).map_err(|_| Rule::Validation("The marker is not valid".to_owned()))?;
    Ok((size, after))
}

/// The changes a Modify*Attributes request names, as `(key, value)`
/// pairs (absent is empty); at least one is required.
pub(super) fn attribute_changes<'a>(
    attributes: impl ExactSizeIterator<Item = (&'a Option<String>, &'a Option<String>)>,
) -> Result<Vec<(&'a str, &'a str)>, Rule> {
    if attributes.len() == 0 {
        return Err(Rule::Validation(
            "At least one attribute must be specified".to_owned(),
        ));
    }
    Ok(attributes
        .map(|(key, value)| {
            (
                key.as_deref().unwrap_or_default(),
                value.as_deref().unwrap_or_default(),
            )
        })
        .collect())
}

/// A port the model bounds to 1–65535 (`Port`), as the core keeps it.
pub(super) fn port(port: i32) -> u16 {
    u16::try_from(port).unwrap_or(u16::MAX)
}

/// A count the core keeps unsigned, as the model's `Integer`.
pub(super) fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
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
pub(super) fn creation_tags(tags: Option<Vec<Tag>>) -> Result<Vec<(String, String)>, Rule> {
    let tags = crate::tags::to_core(tags.unwrap_or_default());
    core_tags::validate(&tags).map_err(|e| match e {
        core_tags::TagError::DuplicateKey(key) => {
            Rule::DuplicateTagKeys(format!("Tag key '{key}' is duplicated"))
        }
        other => Rule::Validation(other.to_string()),
    })?;
    if tags.len() > elbv2::MAX_TAGS {
        return Err(Rule::TooManyTags);
    }
    Ok(ballast_core::tags::pairs(&tags))
}

/// Which load balancers forward to which target groups, as stored now.
pub(super) fn usage(tx: &Tx<'_>) -> Result<TargetGroupUsage, Error> {
    Ok(TargetGroupUsage::new(&tx.listeners()?, &tx.rules()?))
}
