//! Target group handlers.

use ballast_core::elbv2::Error as Rule;
use ballast_core::elbv2::{self, HealthCheckChange, TargetGroupSpec, TargetGroupUsage};
use ballast_core::paging::page;
use ballast_core::{Arn, tags};
use ballast_store::Tx;

use ballast_model::elbv2::*;

use super::{Error, attribute_changes, int, load_balancers, paging, port, usage};
use crate::ApiState;

/// Checks that text is a target group ARN of this region and account.
pub(super) fn parse_target_group_arn(text: &str) -> Result<(), Rule> {
    match text.parse::<Arn>() {
        Ok(arn)
            if arn.service == "elasticloadbalancing" && arn.resource_type() == "targetgroup" =>
        {
            Ok(())
        }
        _ => Err(Rule::Validation(format!(
            "'{text}' is not a valid target group ARN"
        ))),
    }
}

/// Loads a target group or fails with `TargetGroupNotFound`.
pub(super) fn load(tx: &Tx<'_>, arn: &str) -> Result<elbv2::TargetGroup, Error> {
    parse_target_group_arn(arn)?;
    tx.target_group(arn)?
        .ok_or_else(|| Rule::TargetGroupNotFound.into())
}

/// The health-check settings a Create or Modify request names; both inputs
/// spell them with the same members.
macro_rules! health_check_change {
    ($input:expr) => {
        HealthCheckChange {
            enabled: $input.health_check_enabled,
            protocol: $input.health_check_protocol.map(|p| p.as_str().to_owned()),
            port: $input.health_check_port,
            path: $input.health_check_path,
            interval_seconds: count($input.health_check_interval_seconds),
            timeout_seconds: count($input.health_check_timeout_seconds),
            healthy_threshold: count($input.healthy_threshold_count),
            unhealthy_threshold: count($input.unhealthy_threshold_count),
            matcher: matcher($input.matcher),
        }
    };
}

/// API integers arrive as i32; anything outside u32 fails the range checks.
fn count(value: Option<i32>) -> Option<u32> {
    value.map(|n| u32::try_from(n).unwrap_or(0))
}

fn matcher(m: Option<Matcher>) -> Option<elbv2::Matcher> {
    m.map(|m| elbv2::Matcher {
        http_code: m.http_code,
        grpc_code: m.grpc_code,
    })
}

fn view(group: &elbv2::TargetGroup, usage: &TargetGroupUsage) -> TargetGroup {
    let hc = &group.health_check;
    TargetGroup {
        target_group_arn: Some(group.arn.clone()),
        target_group_name: Some(group.name.clone()),
        protocol: group.protocol.as_deref().map(ProtocolEnum::from),
        port: group.port.map(i32::from),
        vpc_id: group.vpc_id.clone(),
        health_check_protocol: hc.protocol.as_deref().map(ProtocolEnum::from),
        health_check_port: Some(hc.port.clone()),
        health_check_enabled: Some(hc.enabled),
        health_check_interval_seconds: Some(int(hc.interval_seconds)),
        health_check_timeout_seconds: Some(int(hc.timeout_seconds)),
        healthy_threshold_count: Some(int(hc.healthy_threshold)),
        unhealthy_threshold_count: Some(int(hc.unhealthy_threshold)),
        health_check_path: hc.path.clone(),
        matcher: hc.matcher.clone().map(|m| Matcher {
            http_code: m.http_code,
            grpc_code: m.grpc_code,
        }),
        load_balancer_arns: Some(usage.load_balancers(&group.arn)),
        target_type: Some(TargetTypeEnum::from(group.target_type.as_str())),
        protocol_version: group.protocol_version.clone(),
        ip_address_type: Some(TargetGroupIpAddressTypeEnum::from(
            group.ip_address_type.as_str(),
        )),
        target_control_port: None,
    }
}

fn attributes_view(group: &elbv2::TargetGroup) -> Vec<TargetGroupAttribute> {
    group
        .attributes
        .iter()
        .map(|(k, v)| TargetGroupAttribute {
            key: Some(k.to_owned()),
            value: Some(v.to_owned()),
        })
        .collect()
}

pub(super) fn create(
    state: &ApiState,
    input: CreateTargetGroupInput,
) -> Result<CreateTargetGroupOutput, Error> {
    let spec = TargetGroupSpec {
        name: input.name,
        protocol: input.protocol.map(|p| p.as_str().to_owned()),
        protocol_version: input.protocol_version,
        port: input.port.map(port),
        vpc_id: input.vpc_id,
        target_type: input.target_type.map(|t| t.as_str().to_owned()),
        ip_address_type: input.ip_address_type.map(|t| t.as_str().to_owned()),
        health_check: health_check_change!(input),
    };
    let tags = crate::tags::to_core(input.tags.unwrap_or_default());
    tags::validate(&tags).map_err(|e| Rule::Validation(e.to_string()))?;
    if tags.len() > elbv2::MAX_TAGS {
        return Err(Rule::TooManyTags.into());
    }
    let arn = Arn::new(
        "elasticloadbalancing",
        &state.scope.region,
        &state.scope.account,
        format!("targetgroup/{}/{}", spec.name, state.ids.hex(16)),
    )
    .to_string();
    let now = state.now().millis();
    let (group, usage) = state.store.write(|tx| -> Result<_, Error> {
        if let Some(existing) = tx.target_group_by_name(&spec.name)? {
            return if existing.matches(&spec) {
                Ok((existing, usage(tx)?))
            } else {
                Err(Rule::DuplicateTargetGroupName(spec.name.clone()).into())
            };
        }
        let group = elbv2::TargetGroup::create(arn, &spec, now)?;
        tx.save_target_group(&group)?;
        let pairs = ballast_core::tags::pairs(&tags);
        tx.put_tags(&group.arn, &pairs)?;
        Ok((group, TargetGroupUsage::default()))
    })?;
    Ok(CreateTargetGroupOutput {
        target_groups: Some(vec![view(&group, &usage)]),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeTargetGroupsInput,
) -> Result<DescribeTargetGroupsOutput, Error> {
    let (size, after) = paging(input.page_size, input.marker.as_deref())?;
    let given = [
        input.load_balancer_arn.is_some(),
        input.target_group_arns.is_some(),
        input.names.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(Rule::Validation(
            "You can specify only one of load balancer ARN, target group ARNs, or names".to_owned(),
        )
        .into());
    }
    let (mut groups, usage) = state.store.read(|tx| -> Result<_, Error> {
        let usage = usage(tx)?;
        if let Some(lb) = &input.load_balancer_arn {
            let lb = load_balancers::load(tx, lb)?;
            let groups = usage
                .target_groups_of(&lb.arn)
                .iter()
                .map(|arn| load(tx, arn))
                .collect::<Result<_, _>>()?;
            return Ok((groups, usage));
        }
        if let Some(arns) = &input.target_group_arns {
            let groups = arns
                .iter()
                .map(|arn| load(tx, arn))
                .collect::<Result<_, _>>()?;
            return Ok((groups, usage));
        }
        if let Some(names) = &input.names {
            let groups = names
                .iter()
                .map(|name| {
                    tx.target_group_by_name(name)?
                        .ok_or_else(|| Error::from(Rule::TargetGroupNotFound))
                })
                .collect::<Result<_, _>>()?;
            return Ok((groups, usage));
        }
        Ok((tx.target_groups()?, usage))
    })?;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    groups.dedup_by(|a, b| a.arn == b.arn);
    let (groups, next_marker) = page(groups, |g| g.name.as_str(), after.as_deref(), size);
    Ok(DescribeTargetGroupsOutput {
        target_groups: Some(groups.iter().map(|g| view(g, &usage)).collect()),
        next_marker,
    })
}

pub(super) fn modify(
    state: &ApiState,
    input: ModifyTargetGroupInput,
) -> Result<ModifyTargetGroupOutput, Error> {
    let change = health_check_change!(input);
    let (group, usage) = state.store.write(|tx| -> Result<_, Error> {
        let mut group = load(tx, &input.target_group_arn)?;
        group.modify_health_check(&change)?;
        tx.save_target_group(&group)?;
        Ok((group, usage(tx)?))
    })?;
    state.data_plane.changed();
    Ok(ModifyTargetGroupOutput {
        target_groups: Some(vec![view(&group, &usage)]),
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteTargetGroupInput,
) -> Result<DeleteTargetGroupOutput, Error> {
    parse_target_group_arn(&input.target_group_arn)?;
    // Deleting a group that does not exist succeeds, as on AWS.
    let deleted = state.store.write(|tx| -> Result<_, Error> {
        let arn = &input.target_group_arn;
        if usage(tx)?.is_used(arn) {
            return Err(Rule::ResourceInUse(format!(
                "Target group '{arn}' is currently in use by a listener or a rule"
            ))
            .into());
        }
        // Its registrations go with it (ON DELETE CASCADE).
        let deleted = tx.delete_target_group(arn)?;
        if deleted {
            tx.clear_tags(arn)?;
        }
        Ok(deleted)
    })?;
    if deleted {
        state.data_plane.changed();
    }
    Ok(DeleteTargetGroupOutput {})
}

pub(super) fn describe_attributes(
    state: &ApiState,
    input: DescribeTargetGroupAttributesInput,
) -> Result<DescribeTargetGroupAttributesOutput, Error> {
    let group = state.store.read(|tx| load(tx, &input.target_group_arn))?;
    Ok(DescribeTargetGroupAttributesOutput {
        attributes: Some(attributes_view(&group)),
    })
}

pub(super) fn modify_attributes(
    state: &ApiState,
    input: ModifyTargetGroupAttributesInput,
) -> Result<ModifyTargetGroupAttributesOutput, Error> {
    let changes = attribute_changes(input.attributes.iter().map(|a| (&a.key, &a.value)))?;
    let group = state.store.write(|tx| -> Result<_, Error> {
        let mut group = load(tx, &input.target_group_arn)?;
        group.attributes = group.attributes.modify(changes)?;
        tx.save_target_group(&group)?;
        Ok(group)
    })?;
    state.data_plane.changed();
    Ok(ModifyTargetGroupAttributesOutput {
        attributes: Some(attributes_view(&group)),
    })
}
