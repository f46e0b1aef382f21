//! Instance-level operations: terminate, health, protection, attach,
//! detach, standby.

use ballast_core::autoscaling::member::Entry;
use ballast_core::autoscaling::{
    self as asg, ActivityStatus, Health, Lifecycle, Member, iso8601, scaled_millis,
};
use ballast_core::ec2::InstanceState;

use super::{Error, activity, activity_view, change, invalid};
use crate::ApiState;
use ballast_model::autoscaling::*;

pub(super) fn terminate(
    state: &ApiState,
    input: TerminateInstanceInAutoScalingGroupInput,
) -> Result<TerminateInstanceInAutoScalingGroupOutput, Error> {
    let id = input.instance_id;
    let group = state
        .store
        .read(|tx| tx.asg_group_of_instance(&id))?
        .ok_or_else(|| {
            invalid(format!(
                "Instance Id not found - No managed instance found for instance ID: {id}"
            ))
        })?;
    let now = state.now().millis();
    let made = change(state, &group.name, |tx, group| {
        // A launch still in progress ends here.
        if let Some(mut pending) = group.member(&id).and_then(|m| m.activity.clone())
            && !pending.status.is_final()
        {
            pending.set(ActivityStatus::Cancelled, now);
            tx.save_activity(&pending)?;
        }
        let desired = group.desired;
        let shrink = if input.should_decrement_desired_capacity {
            format!(
                ", shrinking the capacity from {desired} to {}",
                desired.saturating_sub(1)
            )
        } else {
            String::new()
        };
        let made = activity(
            state,
            group,
            format!("Terminating EC2 instance: {id}"),
            format!(
                "At {} instance {id} was taken out of service in response to a user request{shrink}.",
                iso8601(now)
            ),
        );
        Ok(group.terminate_instance(&id, input.should_decrement_desired_capacity, made, now)?)
    })?;
    state.store.write(|tx| tx.save_activity(&made))?;
    Ok(TerminateInstanceInAutoScalingGroupOutput {
        activity: Some(activity_view(&made)),
    })
}

pub(super) fn set_health(state: &ApiState, input: SetInstanceHealthInput) -> Result<(), Error> {
    let id = input.instance_id;
    let group = state
        .store
        .read(|tx| tx.asg_group_of_instance(&id))?
        .ok_or_else(|| invalid(format!("Instance Id not found - {id}")))?;
    let now = state.now().millis();
    change(state, &group.name, |_, group| {
        let grace = scaled_millis(u64::from(group.health_check_grace_period), state.time_scale);
        Ok(group.set_health(
            &id,
            &input.health_status,
            input.should_respect_grace_period.unwrap_or(true),
            grace,
            now,
        )?)
    })
}

pub(super) fn set_protection(
    state: &ApiState,
    input: SetInstanceProtectionInput,
) -> Result<SetInstanceProtectionOutput, Error> {
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.set_protection(&input.instance_ids, input.protected_from_scale_in)?)
    })?;
    Ok(SetInstanceProtectionOutput {})
}

fn ids(list: Option<Vec<String>>) -> Vec<String> {
    let mut ids = list.unwrap_or_default();
    ids.dedup();
    ids
}

pub(super) fn attach(state: &ApiState, input: AttachInstancesInput) -> Result<(), Error> {
    let ids = ids(input.instance_ids);
    if ids.is_empty() {
        return Ok(());
    }
    let now = state.now().millis();
    change(state, &input.auto_scaling_group_name, |tx, group| {
        if group.is_suspended("Launch") {
            return Err(invalid(
                "AttachInstances is not allowed while the Launch process is suspended",
            ));
        }
        let mut members = Vec::new();
        let mut made = Vec::new();
        for id in &ids {
            let instance = tx
                .instance(id)?
                .ok_or_else(|| invalid(format!("Instance Id not found - {id}")))?;
            if instance.state != InstanceState::Running {
                return Err(invalid(format!(
                    "Instance {id} is not in correct state: it must be running to be attached"
                )));
            }
            if let Some(other) = tx.asg_group_of_instance(id)? {
                return Err(invalid(format!(
                    "The instance {id} is already part of the Auto Scaling group {}.",
                    other.name
                )));
            }
            let a = activity(
                state,
                group,
                format!("Attaching an existing EC2 instance: {id}"),
                format!(
                    "At {} an instance was added in response to a user request, increasing the capacity.",
                    iso8601(now)
                ),
            );
            made.push(a.clone());
            members.push(Member {
                instance_id: id.clone(),
                zone: instance.zone.clone(),
                instance_type: instance.instance_type.clone(),
                image_id: instance.image_id.clone(),
                launch_template: None,
                lifecycle: Lifecycle::Pending,
                health: Health::Healthy,
                unhealthy_cause: None,
                protected: group.new_instances_protected,
                since_millis: now,
                in_service_millis: None,
                entry: Entry::Attached,
                registered: false,
                no_load_balancer: false,
                waiting: Vec::new(),
                skip_terminate_hooks: false,
                decremented: false,
                activity: Some(a),
            });
        }
        group.attach(members)?;
        for a in &made {
            tx.save_activity(a)?;
        }
        Ok(())
    })
}

/// A group change that records an activity for each instance it moves,
/// described as "`doing`: <id>" with the cause "At <time> instance <id>
/// `done`.", in the group's transaction; returns the activities as the
/// API shows them.
fn with_activities(
    state: &ApiState,
    group_name: &str,
    (doing, done): (&str, &str),
    apply: impl FnOnce(
        &mut asg::Group,
        &mut dyn FnMut(&str) -> asg::Activity,
        i64,
    ) -> Result<Vec<asg::Activity>, asg::Error>,
) -> Result<Option<Vec<Activity>>, Error> {
    let now = state.now().millis();
    let at = iso8601(now);
    let made = change(state, group_name, |tx, group| {
        let template = group.clone();
        let mut record = |id: &str| {
            activity(
                state,
                &template,
                format!("{doing}: {id}"),
                format!("At {at} instance {id} {done}."),
            )
        };
        let made = apply(group, &mut record, now)?;
        for a in &made {
            tx.save_activity(a)?;
        }
        Ok(made)
    })?;
    Ok(Some(made.iter().map(activity_view).collect()))
}

pub(super) fn detach(
    state: &ApiState,
    input: DetachInstancesInput,
) -> Result<DetachInstancesOutput, Error> {
    let ids = ids(input.instance_ids);
    let decrement = input.should_decrement_desired_capacity;
    let activities = with_activities(
        state,
        &input.auto_scaling_group_name,
        (
            "Detaching EC2 instance",
            "was detached in response to a user request",
        ),
        |group, record, now| group.detach(&ids, decrement, record, now),
    )?;
    Ok(DetachInstancesOutput { activities })
}

pub(super) fn enter_standby(
    state: &ApiState,
    input: EnterStandbyInput,
) -> Result<EnterStandbyOutput, Error> {
    let ids = ids(input.instance_ids);
    let decrement = input.should_decrement_desired_capacity;
    let activities = with_activities(
        state,
        &input.auto_scaling_group_name,
        (
            "Moving EC2 instance to Standby",
            "was moved to standby in response to a user request",
        ),
        |group, record, now| group.enter_standby(&ids, decrement, record, now),
    )?;
    Ok(EnterStandbyOutput { activities })
}

pub(super) fn exit_standby(
    state: &ApiState,
    input: ExitStandbyInput,
) -> Result<ExitStandbyOutput, Error> {
    let ids = ids(input.instance_ids);
    let activities = with_activities(
        state,
        &input.auto_scaling_group_name,
        (
            "Moving EC2 instance out of Standby",
            "was moved out of standby in response to a user request, increasing the capacity",
        ),
        |group, record, now| group.exit_standby(&ids, record, now),
    )?;
    Ok(ExitStandbyOutput { activities })
}
