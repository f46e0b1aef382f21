//! Create, update, delete and describe groups; desired capacity; scaling
//! activities.

use ballast_core::autoscaling::group::{GroupSpec, GroupTag};
use ballast_core::autoscaling::hook::HookSpec;
use ballast_core::autoscaling::{self, Error as Rule, Group};
use ballast_core::paging::page;
use ballast_model::autoscaling::*;

use super::configurations::configuration_spec;
use super::{
    Error, activity_view, change, check_target_groups, group_arn, group_view, instance_view,
    invalid, load, paging, template_spec,
};
use crate::ApiState;

/// AWS's answer to a request naming no launch source, or more than one.
const ONE_LAUNCH_SOURCE: &str = "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.";

/// A group launches from a launch template or a launch configuration,
/// never both; groups made from an instance are not supported.
fn check_launch_source(
    launch_template: bool,
    launch_configuration: bool,
    instance_id: Option<&str>,
) -> Result<(), Error> {
    if launch_template && launch_configuration {
        return Err(invalid(ONE_LAUNCH_SOURCE));
    }
    if instance_id.is_some() {
        return Err(invalid(
            "Creating a group from an instance (InstanceId) is not supported by Ballast; use a launch template (LaunchTemplate) or a launch configuration (LaunchConfigurationName)",
        ));
    }
    Ok(())
}

fn spec(
    min: Option<i32>,
    max: Option<i32>,
    desired: Option<i32>,
    input_rest: SpecRest,
) -> GroupSpec {
    GroupSpec {
        min_size: min,
        max_size: max,
        desired,
        default_cooldown: input_rest.default_cooldown,
        zones: input_rest.zones,
        vpc_zone_identifier: input_rest.vpc_zone_identifier,
        health_check_type: input_rest.health_check_type,
        health_check_grace_period: input_rest.health_check_grace_period,
        termination_policies: input_rest.termination_policies,
        new_instances_protected: input_rest.new_instances_protected,
        default_instance_warmup: input_rest.default_instance_warmup,
        capacity_rebalance: input_rest.capacity_rebalance,
        max_instance_lifetime: input_rest.max_instance_lifetime,
    }
}

/// The members Create and Update share.
struct SpecRest {
    default_cooldown: Option<i32>,
    zones: Option<Vec<String>>,
    vpc_zone_identifier: Option<String>,
    health_check_type: Option<String>,
    health_check_grace_period: Option<i32>,
    termination_policies: Option<Vec<String>>,
    new_instances_protected: Option<bool>,
    default_instance_warmup: Option<i32>,
    capacity_rebalance: Option<bool>,
    max_instance_lifetime: Option<i32>,
}

/// The members CreateAutoScalingGroup and UpdateAutoScalingGroup share
/// beyond the sizes and the launch source, read alike from either input
/// (two generated types with the same member names).
macro_rules! spec_rest {
    ($input:ident) => {
        SpecRest {
            default_cooldown: $input.default_cooldown,
            zones: $input.availability_zones.clone(),
            vpc_zone_identifier: $input.vpc_zone_identifier.clone(),
            health_check_type: $input.health_check_type.clone(),
            health_check_grace_period: $input.health_check_grace_period,
            termination_policies: $input.termination_policies.clone(),
            new_instances_protected: $input.new_instances_protected_from_scale_in,
            default_instance_warmup: $input.default_instance_warmup,
            capacity_rebalance: $input.capacity_rebalance,
            max_instance_lifetime: $input.max_instance_lifetime,
        }
    };
}

pub(super) fn create(state: &ApiState, input: CreateAutoScalingGroupInput) -> Result<(), Error> {
    check_launch_source(
        input.launch_template.is_some(),
        input.launch_configuration_name.is_some(),
        input.instance_id.as_deref(),
    )?;
    if input.launch_template.is_none() && input.launch_configuration_name.is_none() {
        return Err(invalid(ONE_LAUNCH_SOURCE));
    }
    if input
        .load_balancer_names
        .as_ref()
        .is_some_and(|names| !names.is_empty())
    {
        return Err(invalid(
            "Classic Load Balancers (LoadBalancerNames) are not supported by Ballast; attach target groups (TargetGroupARNs)",
        ));
    }
    let mut target_groups = input.target_group_arns.clone().unwrap_or_default();
    for source in input.traffic_sources.clone().unwrap_or_default() {
        check_traffic_type(source.r#type.as_deref())?;
        if !target_groups.contains(&source.identifier) {
            target_groups.push(source.identifier);
        }
    }
    let tags: Vec<GroupTag> = input
        .tags
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|t| GroupTag {
            key: t.key,
            value: t.value.unwrap_or_default(),
            propagate: t.propagate_at_launch.unwrap_or(false),
        })
        .collect();
    let hooks: Vec<HookSpec> = input
        .lifecycle_hook_specification_list
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|h| HookSpec {
            name: h.lifecycle_hook_name,
            transition: Some(h.lifecycle_transition),
            notification_target_arn: h.notification_target_arn,
            role_arn: h.role_arn,
            notification_metadata: h.notification_metadata,
            heartbeat_timeout: h.heartbeat_timeout,
            default_result: h.default_result,
        })
        .collect();
    let rest = spec_rest!(input);
    let name = input.auto_scaling_group_name.clone();
    let arn = group_arn(state, &name);
    let now = state.now().millis();
    state.store.write(|tx| -> Result<(), Error> {
        if tx.asg_group(&name)?.is_some() {
            return Err(Rule::AlreadyExists(format!(
                "AutoScalingGroup by this name already exists - A group with the name {name} already exists"
            ))
            .into());
        }
        if tx.asg_counts()?.0 >= autoscaling::MAX_GROUPS {
            return Err(Rule::LimitExceeded(format!(
                "You have reached your limit of {} Auto Scaling groups in this region",
                autoscaling::MAX_GROUPS
            ))
            .into());
        }
        let template = match (&input.launch_template, &input.launch_configuration_name) {
            (Some(template), _) => template_spec(tx, template)?,
            (None, Some(name)) => configuration_spec(tx, name)?,
            (None, None) => return Err(invalid(ONE_LAUNCH_SOURCE)),
        };
        check_target_groups(tx, &target_groups)?;
        let mut group = Group::create(
            name.clone(),
            arn,
            &state.scope.region,
            template,
            spec(
                Some(input.min_size),
                Some(input.max_size),
                input.desired_capacity,
                rest,
            ),
            target_groups,
            tags,
            hooks,
            now,
        )?;
        group.note_desired_change(0, "a user request created an AutoScalingGroup", now);
        tx.save_asg_group(&group)?;
        Ok(())
    })?;
    state.autoscaling.changed();
    Ok(())
}

/// Traffic sources Ballast attaches: ELBv2 target groups.
pub(super) fn check_traffic_type(kind: Option<&str>) -> Result<(), Error> {
    match kind {
        None | Some("elbv2") => Ok(()),
        Some(other) => Err(invalid(format!(
            "Traffic source type '{other}' is not supported by Ballast; attach ELBv2 target groups (Type elbv2)"
        ))),
    }
}

pub(super) fn update(state: &ApiState, input: UpdateAutoScalingGroupInput) -> Result<(), Error> {
    check_launch_source(
        input.launch_template.is_some(),
        input.launch_configuration_name.is_some(),
        None,
    )?;
    let rest = spec_rest!(input);
    let region = state.scope.region.clone();
    let now = state.now().millis();
    change(state, &input.auto_scaling_group_name, |tx, group| {
        if group.deleting {
            return Err(
                Rule::ScalingActivityInProgress("The group is being deleted".to_owned()).into(),
            );
        }
        // Naming the other kind of source switches the group to it.
        let template = match (&input.launch_template, &input.launch_configuration_name) {
            (Some(template), _) => Some(template_spec(tx, template)?),
            (None, Some(name)) => Some(configuration_spec(tx, name)?),
            (None, None) => None,
        };
        let before = group.desired;
        group.update(
            &region,
            template,
            spec(input.min_size, input.max_size, input.desired_capacity, rest),
        )?;
        let reason = group.constraints_update("a user request");
        group.note_desired_change(before, &reason, now);
        Ok(())
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteAutoScalingGroupInput) -> Result<(), Error> {
    let name = input.auto_scaling_group_name;
    state.store.write(|tx| -> Result<(), Error> {
        let mut group = load(tx, &name)?;
        if group.delete(input.force_delete.unwrap_or(false))? {
            tx.delete_asg_group(&name)?;
        } else {
            tx.save_asg_group(&group)?;
        }
        Ok(())
    })?;
    state.autoscaling.changed();
    Ok(())
}

/// Whether a group passes DescribeAutoScalingGroups' filters
/// (`tag-key`, `tag-value`, `tag:KEY`).
fn matches(group: &Group, filters: &[Filter]) -> Result<bool, Error> {
    for filter in filters {
        let name = filter.name.as_deref().unwrap_or_default();
        let values = filter.values.clone().unwrap_or_default();
        let hit = match name {
            "tag-key" => group.tags.iter().any(|t| values.contains(&t.key)),
            "tag-value" => group.tags.iter().any(|t| values.contains(&t.value)),
            _ if name.starts_with("tag:") => {
                let key = &name[4..];
                group
                    .tags
                    .iter()
                    .any(|t| t.key == key && values.contains(&t.value))
            }
            other => return Err(invalid(format!("Filter name '{other}' is not valid"))),
        };
        if !hit {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeAutoScalingGroupsInput,
) -> Result<DescribeAutoScalingGroupsOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 100)?;
    let filters = input.filters.unwrap_or_default();
    let groups = state.store.read(|tx| tx.asg_groups())?;
    let mut selected = Vec::new();
    for group in groups {
        if let Some(names) = &input.auto_scaling_group_names
            && !names.is_empty()
            && !names.contains(&group.name)
        {
            continue;
        }
        if matches(&group, &filters)? {
            selected.push(group);
        }
    }
    let (selected, next_token) = page(selected, |g| g.name.as_str(), after.as_deref(), size);
    let include_instances = input.include_instances.unwrap_or(true);
    Ok(DescribeAutoScalingGroupsOutput {
        auto_scaling_groups: selected
            .iter()
            .map(|g| {
                let mut view = group_view(state, g);
                if !include_instances {
                    view.instances = Some(Vec::new());
                }
                view
            })
            .collect(),
        next_token,
    })
}

pub(super) fn describe_instances(
    state: &ApiState,
    input: DescribeAutoScalingInstancesInput,
) -> Result<DescribeAutoScalingInstancesOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 50)?;
    let groups = state.store.read(|tx| tx.asg_groups())?;
    let mut found: Vec<AutoScalingInstanceDetails> = Vec::new();
    for group in &groups {
        for m in &group.instances {
            if input
                .instance_ids
                .as_ref()
                .is_some_and(|ids| !ids.is_empty() && !ids.contains(&m.instance_id))
            {
                continue;
            }
            let view = instance_view(state, m);
            found.push(AutoScalingInstanceDetails {
                instance_id: view.instance_id,
                instance_type: view.instance_type,
                auto_scaling_group_name: group.name.clone(),
                availability_zone: view.availability_zone,
                availability_zone_id: view.availability_zone_id,
                lifecycle_state: view.lifecycle_state.as_str().to_owned(),
                health_status: view.health_status,
                launch_configuration_name: view.launch_configuration_name,
                launch_template: view.launch_template,
                image_id: view.image_id,
                protected_from_scale_in: view.protected_from_scale_in,
                weighted_capacity: None,
            });
        }
    }
    found.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    let (found, next_token) = page(found, |i| i.instance_id.as_str(), after.as_deref(), size);
    Ok(DescribeAutoScalingInstancesOutput {
        auto_scaling_instances: Some(found),
        next_token,
    })
}

pub(super) fn set_desired(state: &ApiState, input: SetDesiredCapacityInput) -> Result<(), Error> {
    let now = state.now().millis();
    change(state, &input.auto_scaling_group_name, |_, group| {
        let before = group.desired;
        group.set_desired(input.desired_capacity)?;
        group.note_desired_change(
            before,
            "a user request explicitly set group desired capacity",
            now,
        );
        Ok(())
    })
}

pub(super) fn describe_activities(
    state: &ApiState,
    input: DescribeScalingActivitiesInput,
) -> Result<DescribeScalingActivitiesOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 100, 100)?;
    let name = input.auto_scaling_group_name.as_deref();
    let (activities, exists) = state.store.read(|tx| -> Result<_, Error> {
        let exists = match name {
            Some(name) => tx.asg_group(name)?.is_some(),
            None => true,
        };
        Ok((tx.activities(name)?, exists))
    })?;
    if !exists && !input.include_deleted_groups.unwrap_or(false) {
        return Ok(DescribeScalingActivitiesOutput {
            activities: Vec::new(),
            next_token: None,
        });
    }
    let selected: Vec<_> = activities
        .into_iter()
        .filter(|a| {
            input
                .activity_ids
                .as_ref()
                .is_none_or(|ids| ids.is_empty() || ids.contains(&a.id))
        })
        .enumerate()
        .map(|(i, a)| (format!("{i:010}"), a))
        .collect();
    let (selected, next_token) = page(selected, |(k, _)| k.as_str(), after.as_deref(), size);
    Ok(DescribeScalingActivitiesOutput {
        activities: selected.iter().map(|(_, a)| activity_view(a)).collect(),
        next_token,
    })
}
