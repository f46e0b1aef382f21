//! Scheduled actions: Put and BatchPut (create or update), Describe,
//! Delete and BatchDelete. The controller runs them
//! (`Group::run_scheduled_actions`, called by each pass).

use ballast_core::autoscaling::Group;
use ballast_core::autoscaling::schedule::{MAX_BATCH, ScheduleSpec, ScheduledAction};
use ballast_core::paging::page;
use ballast_model::autoscaling::*;
use ballast_wire::Timestamp;

use super::{Error, Rule, change, int, invalid, named_or_all, new_arn, paging};
use crate::ApiState;

/// A scheduled action's ARN, as AWS builds it (with a UUID).
fn action_arn(state: &ApiState, group: &str, name: &str) -> String {
    let path = format!("autoScalingGroupName/{group}:scheduledActionName/{name}");
    new_arn(state, "scheduledUpdateGroupAction", &path)
}

/// `Time` is the old name of `StartTime`: either may be given, but not
/// two different times.
fn start_of(time: Option<Timestamp>, start: Option<Timestamp>) -> Result<Option<i64>, Error> {
    match (time, start) {
        (Some(time), Some(start)) if time.millis() != start.millis() => Err(invalid(
            "Both time and startTime parameters are specified and they are not equal",
        )),
        (time, start) => Ok(start.or(time).map(Timestamp::millis)),
    }
}

/// Puts one action on `group`, over the one of its name.
fn put_on(state: &ApiState, group: &mut Group, spec: ScheduleSpec, now: i64) -> Result<(), Rule> {
    let arn = action_arn(state, &group.name, &spec.name);
    let existing = group.scheduled_action(&spec.name).cloned();
    let action = spec.apply(existing.as_ref(), arn, now)?;
    group.put_scheduled_action(action)
}

pub(super) fn put(
    state: &ApiState,
    input: PutScheduledUpdateGroupActionInput,
) -> Result<(), Error> {
    let spec = ScheduleSpec {
        name: input.scheduled_action_name,
        start_millis: start_of(input.time, input.start_time)?,
        end_millis: input.end_time.map(Timestamp::millis),
        recurrence: input.recurrence,
        time_zone: input.time_zone,
        min_size: input.min_size,
        max_size: input.max_size,
        desired: input.desired_capacity,
    };
    let now = state.now().millis();
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(put_on(state, group, spec, now)?)
    })
}

fn check_batch<T>(items: &[T], member: &str) -> Result<(), Error> {
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(invalid(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length between 1 and {MAX_BATCH}"
        )));
    }
    Ok(())
}

fn failure(name: String, error: &Rule) -> FailedScheduledUpdateGroupActionRequest {
    FailedScheduledUpdateGroupActionRequest {
        scheduled_action_name: name,
        error_code: Some(error.code().to_owned()),
        error_message: Some(error.to_string()),
    }
}

pub(super) fn batch_put(
    state: &ApiState,
    input: BatchPutScheduledUpdateGroupActionInput,
) -> Result<BatchPutScheduledUpdateGroupActionOutput, Error> {
    let requests = input.scheduled_update_group_actions;
    check_batch(&requests, "scheduledUpdateGroupActions")?;
    let now = state.now().millis();
    let failed = change(state, &input.auto_scaling_group_name, |_, group| {
        let mut failed = Vec::new();
        for request in requests {
            let name = request.scheduled_action_name.clone();
            let spec = ScheduleSpec {
                name: request.scheduled_action_name,
                start_millis: request.start_time.map(Timestamp::millis),
                end_millis: request.end_time.map(Timestamp::millis),
                recurrence: request.recurrence,
                time_zone: request.time_zone,
                min_size: request.min_size,
                max_size: request.max_size,
                desired: request.desired_capacity,
            };
            if let Err(error) = put_on(state, group, spec, now) {
                failed.push(failure(name, &error));
            }
        }
        Ok(failed)
    })?;
    Ok(BatchPutScheduledUpdateGroupActionOutput {
        failed_scheduled_update_group_actions: Some(failed),
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteScheduledActionInput) -> Result<(), Error> {
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.delete_scheduled_action(&input.scheduled_action_name)?)
    })
}

pub(super) fn batch_delete(
    state: &ApiState,
    input: BatchDeleteScheduledActionInput,
) -> Result<BatchDeleteScheduledActionOutput, Error> {
    let names = input.scheduled_action_names;
    check_batch(&names, "scheduledActionNames")?;
    let failed = change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(names
            .into_iter()
            .filter_map(|name| match group.delete_scheduled_action(&name) {
                Ok(()) => None,
                Err(error) => Some(failure(name, &error)),
            })
            .collect())
    })?;
    Ok(BatchDeleteScheduledActionOutput {
        failed_scheduled_actions: Some(failed),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeScheduledActionsInput,
) -> Result<DescribeScheduledActionsOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 100)?;
    let groups = named_or_all(state, input.auto_scaling_group_name.as_deref())?;
    let names = input.scheduled_action_names.unwrap_or_default();
    // The time filters apply to the next run, and only when no names are
    // given.
    let (from, to) = match names.is_empty() {
        true => (
            input.start_time.map(Timestamp::millis),
            input.end_time.map(Timestamp::millis),
        ),
        false => (None, None),
    };
    let mut found: Vec<(String, ScheduledUpdateGroupAction)> = groups
        .iter()
        .flat_map(|group| group.scheduled_actions.iter().map(move |a| (group, a)))
        .filter(|(_, a)| names.is_empty() || names.contains(&a.name))
        .filter(|(_, a)| {
            let start = a.shown_start();
            from.is_none_or(|from| start.is_some_and(|s| s >= from))
                && to.is_none_or(|to| start.is_some_and(|s| s <= to))
        })
        .map(|(group, a)| (format!("{}\n{}", group.name, a.name), view(&group.name, a)))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let (found, next_token) = page(found, |(key, _)| key.as_str(), after.as_deref(), size);
    Ok(DescribeScheduledActionsOutput {
        scheduled_update_group_actions: Some(found.into_iter().map(|(_, a)| a).collect()),
        next_token,
    })
}

fn view(group: &str, action: &ScheduledAction) -> ScheduledUpdateGroupAction {
    let start = action.shown_start().map(Timestamp::from_millis);
    ScheduledUpdateGroupAction {
        auto_scaling_group_name: Some(group.to_owned()),
        scheduled_action_name: Some(action.name.clone()),
        scheduled_action_arn: Some(action.arn.clone()),
        time: start,
        start_time: start,
        end_time: action.end_millis.map(Timestamp::from_millis),
        recurrence: action.recurrence.clone(),
        min_size: action.min_size.map(int),
        max_size: action.max_size.map(int),
        desired_capacity: action.desired.map(int),
        time_zone: action.time_zone.clone(),
    }
}
