//! Lifecycle hooks and lifecycle actions.

use ballast_core::autoscaling::hook::{HookSpec, LAUNCHING, TERMINATING};
use ballast_core::autoscaling::scaled_millis;

use super::model::*;
use super::{Error, change, invalid, load};
use crate::ApiState;

pub(super) fn types() -> DescribeLifecycleHookTypesOutput {
    DescribeLifecycleHookTypesOutput {
        lifecycle_hook_types: vec![LAUNCHING.to_owned(), TERMINATING.to_owned()],
    }
}

pub(super) fn put(state: &ApiState, input: PutLifecycleHookInput) -> Result<Empty, Error> {
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
    Ok(Empty {})
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeLifecycleHooksInput,
) -> Result<DescribeLifecycleHooksOutput, Error> {
    let group = state
        .store
        .read(|tx| load(tx, &input.auto_scaling_group_name))?;
    let names = input.lifecycle_hook_names.unwrap_or_default();
    Ok(DescribeLifecycleHooksOutput {
        lifecycle_hooks: group
            .hooks
            .iter()
            .filter(|h| names.is_empty() || names.contains(&h.name))
            .map(|h| LifecycleHook {
                lifecycle_hook_name: h.name.clone(),
                auto_scaling_group_name: group.name.clone(),
                lifecycle_transition: h.transition.name().to_owned(),
                notification_target_arn: h.notification_target_arn.clone(),
                role_arn: h.role_arn.clone(),
                notification_metadata: h.notification_metadata.clone(),
                heartbeat_timeout: h.heartbeat_timeout,
                global_timeout: h.global_timeout(),
                default_result: h.default_result.clone(),
            })
            .collect(),
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteLifecycleHookInput) -> Result<Empty, Error> {
    change(state, &input.auto_scaling_group_name, |_, group| {
        Ok(group.delete_hook(&input.lifecycle_hook_name)?)
    })?;
    Ok(Empty {})
}

pub(super) fn complete(
    state: &ApiState,
    input: CompleteLifecycleActionInput,
) -> Result<Empty, Error> {
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
    Ok(Empty {})
}

pub(super) fn heartbeat(
    state: &ApiState,
    input: RecordLifecycleActionHeartbeatInput,
) -> Result<Empty, Error> {
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
    Ok(Empty {})
}
