//! Suspended processes, target group attachments and their traffic source
//! forms.

use ballast_core::autoscaling::{self as asg, AttachmentState, check_processes};
use ballast_core::paging::page;

use ballast_model::autoscaling::*;

use super::groups::check_traffic_type;
use super::{Error, change, check_target_groups, load, paging};
use crate::ApiState;

pub(super) fn process_types() -> DescribeScalingProcessTypesOutput {
    DescribeScalingProcessTypesOutput {
        processes: Some(
            asg::PROCESSES
                .iter()
                .map(|p| ProcessType {
                    process_name: (*p).to_owned(),
                })
                .collect(),
        ),
    }
}

pub(super) fn suspend(state: &ApiState, input: SuspendProcessesInput) -> Result<(), Error> {
    let processes = check_processes(input.scaling_processes.as_deref())?;
    let now = state.now().millis();
    change(state, &input.auto_scaling_group_name, |_, group| {
        group.suspend(&processes, now);
        Ok(())
    })
}

pub(super) fn resume(state: &ApiState, input: ResumeProcessesInput) -> Result<(), Error> {
    let processes = check_processes(input.scaling_processes.as_deref())?;
    change(state, &input.auto_scaling_group_name, |_, group| {
        group.resume(&processes);
        Ok(())
    })
}

fn attach(state: &ApiState, name: &str, arns: Vec<String>) -> Result<(), Error> {
    change(state, name, |tx, group| {
        check_target_groups(tx, &arns)?;
        for arn in arns {
            group.attach_target_group(arn);
        }
        Ok(())
    })
}

fn detach(state: &ApiState, name: &str, arns: &[String]) -> Result<(), Error> {
    change(state, name, |_, group| {
        for arn in arns {
            group.detach_target_group(arn);
        }
        Ok(())
    })
}

pub(super) fn attach_target_groups(
    state: &ApiState,
    input: AttachLoadBalancerTargetGroupsInput,
) -> Result<AttachLoadBalancerTargetGroupsOutput, Error> {
    attach(
        state,
        &input.auto_scaling_group_name,
        input.target_group_arns,
    )?;
    Ok(AttachLoadBalancerTargetGroupsOutput {})
}

pub(super) fn detach_target_groups(
    state: &ApiState,
    input: DetachLoadBalancerTargetGroupsInput,
) -> Result<DetachLoadBalancerTargetGroupsOutput, Error> {
    detach(
        state,
        &input.auto_scaling_group_name,
        &input.target_group_arns,
    )?;
    Ok(DetachLoadBalancerTargetGroupsOutput {})
}

/// One page of a group's target group attachments, in ARN order: what
/// DescribeLoadBalancerTargetGroups and DescribeTrafficSources list.
fn attachments(
    state: &ApiState,
    group: &str,
    (size, after): (usize, Option<String>),
) -> Result<(Vec<asg::Attachment>, Option<String>), Error> {
    let group = state.store.read(|tx| load(tx, group))?;
    Ok(page(
        group.target_groups,
        |a| a.target_group_arn.as_str(),
        after.as_deref(),
        size,
    ))
}

pub(super) fn describe_target_groups(
    state: &ApiState,
    input: DescribeLoadBalancerTargetGroupsInput,
) -> Result<DescribeLoadBalancerTargetGroupsOutput, Error> {
    let (attached, next_token) = attachments(
        state,
        &input.auto_scaling_group_name,
        paging(input.max_records, input.next_token.as_deref(), 100, 100)?,
    )?;
    let states = attached
        .iter()
        .map(|a| LoadBalancerTargetGroupState {
            load_balancer_target_group_arn: Some(a.target_group_arn.clone()),
            state: Some(a.state.name().to_owned()),
        })
        .collect();
    Ok(DescribeLoadBalancerTargetGroupsOutput {
        load_balancer_target_groups: Some(states),
        next_token,
    })
}

fn traffic_arns(sources: Vec<TrafficSourceIdentifier>) -> Result<Vec<String>, Error> {
    let mut arns = Vec::new();
    for source in sources {
        check_traffic_type(source.r#type.as_deref())?;
        arns.push(source.identifier);
    }
    Ok(arns)
}

pub(super) fn attach_traffic(
    state: &ApiState,
    input: AttachTrafficSourcesInput,
) -> Result<AttachTrafficSourcesOutput, Error> {
    let arns = traffic_arns(input.traffic_sources)?;
    attach(state, &input.auto_scaling_group_name, arns)?;
    Ok(AttachTrafficSourcesOutput {})
}

pub(super) fn detach_traffic(
    state: &ApiState,
    input: DetachTrafficSourcesInput,
) -> Result<DetachTrafficSourcesOutput, Error> {
    let arns = traffic_arns(input.traffic_sources)?;
    detach(state, &input.auto_scaling_group_name, &arns)?;
    Ok(DetachTrafficSourcesOutput {})
}

pub(super) fn describe_traffic(
    state: &ApiState,
    input: DescribeTrafficSourcesInput,
) -> Result<DescribeTrafficSourcesOutput, Error> {
    check_traffic_type(input.traffic_source_type.as_deref())?;
    let (attached, next_token) = attachments(
        state,
        &input.auto_scaling_group_name,
        paging(input.max_records, input.next_token.as_deref(), 50, 50)?,
    )?;
    let states = attached
        .iter()
        .map(|a| TrafficSourceState {
            traffic_source: Some(a.target_group_arn.clone()),
            state: Some(
                match a.state {
                    AttachmentState::Removing => "Removing",
                    other => other.name(),
                }
                .to_owned(),
            ),
            identifier: Some(a.target_group_arn.clone()),
            r#type: Some("elbv2".to_owned()),
        })
        .collect();
    Ok(DescribeTrafficSourcesOutput {
        traffic_sources: Some(states),
        next_token,
    })
}
