//! Scaling policies: PutScalingPolicy, DescribePolicies, DeletePolicy,
//! ExecutePolicy and DescribeAdjustmentTypes. The rules are in
//! `ballast_core::autoscaling::policy`; ExecutePolicy changes the desired
//! capacity and the controller scales toward it.

use ballast_core::autoscaling::policy::{
    self, ADJUSTMENT_TYPES, Execution, PolicySpec, ScalingPolicy as Policy, Step,
};
use ballast_core::autoscaling::scaled_millis;
use ballast_core::paging::page;
use ballast_model::autoscaling::*;

use super::{Error, change, int, invalid, named_or_all, new_arn, paging};
use crate::ApiState;

/// A policy's ARN, as AWS builds it (with a UUID).
fn policy_arn(state: &ApiState, group: &str, name: &str) -> String {
    let path = format!("autoScalingGroupName/{group}:policyName/{name}");
    new_arn(state, "scalingPolicy", &path)
}

/// A configuration kept as its wire JSON: the generated type says what it
/// holds, the core only keeps it.
fn to_json<T: serde::Serialize>(value: Option<T>) -> Result<Option<serde_json::Value>, Error> {
    value
        .map(|v| serde_json::to_value(v).map_err(|e| invalid(e.to_string())))
        .transpose()
}

fn from_json<T: serde::de::DeserializeOwned>(value: &Option<serde_json::Value>) -> Option<T> {
    value
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

pub(super) fn put(
    state: &ApiState,
    input: PutScalingPolicyInput,
) -> Result<PutScalingPolicyOutput, Error> {
    let spec = PolicySpec {
        name: input.policy_name,
        kind: input.policy_type,
        adjustment_type: input.adjustment_type,
        // `MinAdjustmentStep` is the old name of the same setting.
        min_adjustment_magnitude: input.min_adjustment_magnitude.or(input.min_adjustment_step),
        scaling_adjustment: input.scaling_adjustment,
        cooldown: input.cooldown,
        steps: input
            .step_adjustments
            .unwrap_or_default()
            .into_iter()
            .map(|s| Step {
                lower: s.metric_interval_lower_bound,
                upper: s.metric_interval_upper_bound,
                adjustment: s.scaling_adjustment,
            })
            .collect(),
        metric_aggregation_type: input.metric_aggregation_type,
        estimated_instance_warmup: input.estimated_instance_warmup,
        target_tracking: to_json(input.target_tracking_configuration)?,
        predictive: to_json(input.predictive_scaling_configuration)?,
        enabled: input.enabled,
    };
    let group_name = input.auto_scaling_group_name;
    let new_arn = policy_arn(state, &group_name, &spec.name);
    let name = spec.name.clone();
    let arn = change(state, &group_name, |_, group| {
        group.put_policy(spec.apply(new_arn)?)?;
        Ok(group
            .policy(&name)
            .map(|p| p.arn.clone())
            .unwrap_or_default())
    })?;
    Ok(PutScalingPolicyOutput {
        policy_arn: Some(arn),
        alarms: Some(Vec::new()),
    })
}

pub(super) fn delete(state: &ApiState, input: DeletePolicyInput) -> Result<(), Error> {
    let group = match input.auto_scaling_group_name {
        Some(name) => name,
        None => group_of_arn(&input.policy_name)?,
    };
    change(state, &group, |_, group| {
        Ok(group.delete_policy(&input.policy_name)?)
    })
}

pub(super) fn execute(state: &ApiState, input: ExecutePolicyInput) -> Result<(), Error> {
    let group = match input.auto_scaling_group_name {
        Some(name) => name,
        None => group_of_arn(&input.policy_name)?,
    };
    let execution = Execution {
        honor_cooldown: input.honor_cooldown.unwrap_or(false),
        metric_value: input.metric_value,
        breach_threshold: input.breach_threshold,
    };
    let now = state.now().millis();
    let scale = state.time_scale;
    change(state, &group, |_, group| {
        Ok(group.execute_policy(
            &input.policy_name,
            execution,
            |seconds| scaled_millis(u64::from(seconds), scale),
            now,
        )?)
    })
}

/// The group a policy ARN names, for the calls that may name a policy by
/// ARN alone.
fn group_of_arn(policy: &str) -> Result<String, Error> {
    policy::group_of_arn(policy)
        .map(str::to_owned)
        .ok_or_else(|| {
            invalid("AutoScalingGroupName is required when PolicyName is not a policy ARN")
        })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribePoliciesInput,
) -> Result<DescribePoliciesOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 100)?;
    let groups = named_or_all(state, input.auto_scaling_group_name.as_deref())?;
    let names = input.policy_names.unwrap_or_default();
    let types = input.policy_types.unwrap_or_default();
    let mut found: Vec<(String, ScalingPolicy)> = groups
        .iter()
        .flat_map(|group| group.policies.iter().map(move |p| (group, p)))
        .filter(|(_, p)| names.is_empty() || names.iter().any(|n| *n == p.name || *n == p.arn))
        .filter(|(_, p)| types.is_empty() || types.iter().any(|t| t == p.kind.name()))
        .map(|(group, p)| (format!("{}\n{}", group.name, p.name), view(&group.name, p)))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let (found, next_token) = page(found, |(key, _)| key.as_str(), after.as_deref(), size);
    Ok(DescribePoliciesOutput {
        scaling_policies: Some(found.into_iter().map(|(_, p)| p).collect()),
        next_token,
    })
}

pub(super) fn adjustment_types() -> DescribeAdjustmentTypesOutput {
    DescribeAdjustmentTypesOutput {
        adjustment_types: Some(
            ADJUSTMENT_TYPES
                .iter()
                .map(|t| AdjustmentType {
                    adjustment_type: Some((*t).to_owned()),
                })
                .collect(),
        ),
    }
}

fn view(group: &str, p: &Policy) -> ScalingPolicy {
    ScalingPolicy {
        auto_scaling_group_name: Some(group.to_owned()),
        policy_name: Some(p.name.clone()),
        policy_arn: Some(p.arn.clone()),
        policy_type: Some(p.kind.name().to_owned()),
        adjustment_type: p.adjustment_type.map(|t| t.name().to_owned()),
        min_adjustment_step: p.min_adjustment_magnitude,
        min_adjustment_magnitude: p.min_adjustment_magnitude,
        scaling_adjustment: p.scaling_adjustment,
        cooldown: p.cooldown.map(int),
        step_adjustments: Some(
            p.steps
                .iter()
                .map(|s| StepAdjustment {
                    metric_interval_lower_bound: s.lower,
                    metric_interval_upper_bound: s.upper,
                    scaling_adjustment: s.adjustment,
                })
                .collect(),
        ),
        metric_aggregation_type: p.metric_aggregation_type.clone(),
        estimated_instance_warmup: p.estimated_instance_warmup.map(int),
        alarms: Some(Vec::new()),
        target_tracking_configuration: from_json(&p.target_tracking),
        enabled: Some(p.enabled),
        predictive_scaling_configuration: from_json(&p.predictive),
    }
}
