//! Lifecycle hooks and lifecycle actions.

use ballast_core::autoscaling::hook::{HookSpec, LAUNCHING, TERMINATING};
use ballast_core::autoscaling::scaled_millis;
use ballast_model::autoscaling::*;

use super::{Error, change, int, invalid, load};
use crate::ApiState;

pub(super) fn types() -> DescribeLifecycleHookTypesOutput {
    DescribeLifecycleHookTypesOutput {
        lifecycle_hook_types: Some(vec![LAUNCHING.to_owned(), TERMINATING.to_owned()]),
    }
}

pub(super) fn put(
    state: &ApiState,
    input: PutLifecycleHookInput,
) -> Result<PutLifecycleHookOutput, Error> {
    let spec = HookSpec {
        name: input.lifecycle_hook_name,
        transition: input.lifecycle_transition,
        notification_target_arn: input.notification_target_arn,
        role_arn: input.role_arn,
        notification_metadata: input.notification_metadata,
        heartbeat_timeout: input.heartbeat_timeout,
        default_result: input.default_result,
    };
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.put_hook(spec)?)
    })?;
    Ok(PutLifecycleHookOutput {})
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeLifecycleHooksInput,
) -> Result<DescribeLifecycleHooksOutput, Error> {
    let group = state
        .store
        .read(|tx| load(tx, &input.auto_scaling_group_name))?;
    let names = input.lifecycle_hook_names.unwrap_or_default();
    let hooks = group
        .hooks
        .iter()
        .filter(|h| names.is_empty() || names.contains(&h.name))
        .map(|h| LifecycleHook {
            lifecycle_hook_name: Some(h.name.clone()),
            auto_scaling_group_name: Some(group.name.clone()),
            lifecycle_transition: Some(h.transition.name().to_owned()),
            notification_target_arn: h.notification_target_arn.clone(),
            role_arn: h.role_arn.clone(),
            notification_metadata: h.notification_metadata.clone(),
            heartbeat_timeout: Some(int(h.heartbeat_timeout)),
            global_timeout: Some(i32::try_from(h.global_timeout()).unwrap_or(i32::MAX)),
            default_result: Some(h.default_result.clone()),
        })
        .collect();
    Ok(DescribeLifecycleHooksOutput {
        lifecycle_hooks: Some(hooks),
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteLifecycleHookInput,
) -> Result<DeleteLifecycleHookOutput, Error> {
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.delete_hook(&input.lifecycle_hook_name)?)
    })?;
    Ok(DeleteLifecycleHookOutput {})
}

pub(super) fn complete(
    state: &ApiState,
    input: CompleteLifecycleActionInput,
) -> Result<CompleteLifecycleActionOutput, Error> {
    if input.lifecycle_action_token.is_none() && input.instance_id.is_none() {
        return Err(invalid(
            "Either LifecycleActionToken or InstanceId must be specified",
        ));
    }
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.complete_action(
            &input.lifecycle_hook_name,
            input.lifecycle_action_token.as_deref(),
            input.instance_id.as_deref(),
            &input.lifecycle_action_result,
        )?)
    })?;
    Ok(CompleteLifecycleActionOutput {})
}

pub(super) fn heartbeat(
    state: &ApiState,
    input: RecordLifecycleActionHeartbeatInput,
) -> Result<RecordLifecycleActionHeartbeatOutput, Error> {
    let now = state.now().millis();
    let scale = state.time_scale;
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.heartbeat(
            &input.lifecycle_hook_name,
            input.lifecycle_action_token.as_deref(),
            input.instance_id.as_deref(),
            |seconds| scaled_millis(u64::from(seconds), scale),
            now,
        )?)
    })?;
    Ok(RecordLifecycleActionHeartbeatOutput {})
}
