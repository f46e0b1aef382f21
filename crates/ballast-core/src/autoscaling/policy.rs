//! Scaling policies: their settings (PutScalingPolicy), and what running
//! one does to the group's desired capacity (ExecutePolicy).
//!
//! Ballast has no CloudWatch, so no alarm ever runs a policy: simple and
//! step policies run when ExecutePolicy asks (as an alarm action would),
//! with AWS's adjustment arithmetic, bounds and cooldown. Target tracking
//! and predictive policies are kept and described (their configuration as
//! the request gave it) but not acted on.

use serde::{Deserialize, Serialize};

use super::group::Group;
use super::{Error, invalid, non_negative};

/// At most this many policies per group.
pub const MAX_POLICIES: usize = 50;

/// The adjustment types, as DescribeAdjustmentTypes lists them.
pub const ADJUSTMENT_TYPES: [&str; 3] = [
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

/// A policy's `PolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyType {
    SimpleScaling,
    StepScaling,
    TargetTrackingScaling,
    PredictiveScaling,
}

impl PolicyType {
    pub fn parse(text: Option<&str>) -> Result<PolicyType, Error> {
        match text.unwrap_or("SimpleScaling") {
            "SimpleScaling" => Ok(PolicyType::SimpleScaling),
            "StepScaling" => Ok(PolicyType::StepScaling),
            "TargetTrackingScaling" => Ok(PolicyType::TargetTrackingScaling),
            "PredictiveScaling" => Ok(PolicyType::PredictiveScaling),
            other => Err(invalid(format!("Invalid policy type: {other}"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PolicyType::SimpleScaling => "SimpleScaling",
            PolicyType::StepScaling => "StepScaling",
            PolicyType::TargetTrackingScaling => "TargetTrackingScaling",
            PolicyType::PredictiveScaling => "PredictiveScaling",
        }
    }
}

/// How a policy's adjustment is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdjustmentType {
    ChangeInCapacity,
    ExactCapacity,
    PercentChangeInCapacity,
}

impl AdjustmentType {
    pub fn parse(text: &str) -> Result<AdjustmentType, Error> {
        match text {
            "ChangeInCapacity" => Ok(AdjustmentType::ChangeInCapacity),
            "ExactCapacity" => Ok(AdjustmentType::ExactCapacity),
            "PercentChangeInCapacity" => Ok(AdjustmentType::PercentChangeInCapacity),
            other => Err(invalid(format!("Invalid adjustment type: {other}"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AdjustmentType::ChangeInCapacity => "ChangeInCapacity",
            AdjustmentType::ExactCapacity => "ExactCapacity",
            AdjustmentType::PercentChangeInCapacity => "PercentChangeInCapacity",
        }
    }
}

/// One step of a step policy: the adjustment when the metric's distance
/// from the breach threshold is between its bounds (an open end is
/// infinite): `[lower, upper)` above the threshold, `(lower, upper]`
/// below it, as AWS reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjustment: i32,
}

// Bounds are finite numbers (`check_steps`, and only step policies have
// steps), so equality is total.
impl Eq for Step {}

impl Step {
    fn contains(&self, distance: f64) -> bool {
        if distance >= 0.0 {
            self.lower.is_none_or(|l| distance >= l) && self.upper.is_none_or(|u| distance < u)
        } else {
            self.lower.is_none_or(|l| distance > l) && self.upper.is_none_or(|u| distance <= u)
        }
    }
}

/// A scaling policy, as stored with its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub name: String,
    pub arn: String,
    pub kind: PolicyType,
    pub adjustment_type: Option<AdjustmentType>,
    pub min_adjustment_magnitude: Option<i32>,
    pub scaling_adjustment: Option<i32>,
    /// Seconds (AWS time); simple policies only.
    pub cooldown: Option<u32>,
    pub steps: Vec<Step>,
    pub metric_aggregation_type: Option<String>,
    pub estimated_instance_warmup: Option<u32>,
    /// The request's `TargetTrackingConfiguration`, as its wire JSON.
    pub target_tracking: Option<serde_json::Value>,
    /// The request's `PredictiveScalingConfiguration`, as its wire JSON.
    pub predictive: Option<serde_json::Value>,
    pub enabled: bool,
}

/// The members of a PutScalingPolicy request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySpec {
    pub name: String,
    pub kind: Option<String>,
    pub adjustment_type: Option<String>,
    pub min_adjustment_magnitude: Option<i32>,
    pub scaling_adjustment: Option<i32>,
    pub cooldown: Option<i32>,
    pub steps: Vec<Step>,
    pub metric_aggregation_type: Option<String>,
    pub estimated_instance_warmup: Option<i32>,
    pub target_tracking: Option<serde_json::Value>,
    pub predictive: Option<serde_json::Value>,
    pub enabled: Option<bool>,
}

fn seconds(value: Option<i32>, member: &str) -> Result<Option<u32>, Error> {
    value.map(|v| non_negative(v, member)).transpose()
}

impl PolicySpec {
    /// Checks the request against its policy type and makes the policy
    /// (PutScalingPolicy replaces a policy of the same name whole).
    pub fn apply(self, arn: String) -> Result<ScalingPolicy, Error> {
        let kind = PolicyType::parse(self.kind.as_deref())?;
        let adjustment_type = self
            .adjustment_type
            .as_deref()
            .map(AdjustmentType::parse)
            .transpose()?;
        let simple_or_step = matches!(kind, PolicyType::SimpleScaling | PolicyType::StepScaling);
        if simple_or_step && adjustment_type.is_none() {
            return Err(invalid(format!(
                "AdjustmentType is required for policy type {}",
                kind.name()
            )));
        }
        if self.min_adjustment_magnitude.is_some()
            && adjustment_type != Some(AdjustmentType::PercentChangeInCapacity)
        {
            return Err(invalid(
                "MinAdjustmentMagnitude may only be used with the PercentChangeInCapacity adjustment type",
            ));
        }
        if self.min_adjustment_magnitude.is_some_and(|m| m < 1) {
            return Err(invalid("MinAdjustmentMagnitude must be at least 1"));
        }
        match kind {
            PolicyType::SimpleScaling => {
                if self.scaling_adjustment.is_none() {
                    return Err(invalid(
                        "Scaling increment must be specified for a SimpleScaling policy",
                    ));
                }
                if !self.steps.is_empty() {
                    return Err(invalid(
                        "StepAdjustments may not be used with policy type SimpleScaling",
                    ));
                }
            }
            PolicyType::StepScaling => {
                if self.steps.is_empty() {
                    return Err(invalid(
                        "StepAdjustments is required for policy type StepScaling",
                    ));
                }
                if self.cooldown.is_some() {
                    return Err(invalid(
                        "Cooldown may not be used with policy type StepScaling",
                    ));
                }
                check_steps(&self.steps)?;
            }
            PolicyType::TargetTrackingScaling | PolicyType::PredictiveScaling
                if !self.steps.is_empty() =>
            {
                return Err(invalid(format!(
                    "StepAdjustments may not be used with policy type {}",
                    kind.name()
                )));
            }
            PolicyType::TargetTrackingScaling => {
                if self.target_tracking.is_none() {
                    return Err(invalid(
                        "TargetTrackingConfiguration is required for policy type TargetTrackingScaling",
                    ));
                }
            }
            PolicyType::PredictiveScaling => {
                if self.predictive.is_none() {
                    return Err(invalid(
                        "PredictiveScalingConfiguration is required for policy type PredictiveScaling",
                    ));
                }
            }
        }
        if let Some(aggregation) = &self.metric_aggregation_type
            && !matches!(aggregation.as_str(), "Minimum" | "Maximum" | "Average")
        {
            return Err(invalid(format!(
                "Invalid metric aggregation type: {aggregation}. Valid values are Minimum, Maximum and Average"
            )));
        }
        Ok(ScalingPolicy {
            name: self.name,
            arn,
            kind,
            adjustment_type,
            min_adjustment_magnitude: self.min_adjustment_magnitude,
            scaling_adjustment: self.scaling_adjustment,
            cooldown: seconds(self.cooldown, "cooldown")?,
            metric_aggregation_type: match kind {
                PolicyType::StepScaling => Some(
                    self.metric_aggregation_type
                        .unwrap_or_else(|| "Average".to_owned()),
                ),
                _ => self.metric_aggregation_type,
            },
            steps: self.steps,
            estimated_instance_warmup: seconds(
                self.estimated_instance_warmup,
                "estimatedInstanceWarmup",
            )?,
            target_tracking: self.target_tracking,
            predictive: self.predictive,
            enabled: self.enabled.unwrap_or(true),
        })
    }
}

/// Step intervals: finite bounds, lower below upper, no overlaps or gaps,
/// and open at the top when any bound is above the threshold (at the
/// bottom when any is below it).
fn check_steps(steps: &[Step]) -> Result<(), Error> {
    if steps.iter().all(|s| s.upper.is_some()) && steps.iter().any(|s| s.upper > Some(0.0)) {
        return Err(invalid(
            "There must be a StepAdjustment with an unspecified upper bound (i.e., upper bound is null) when one StepAdjustment has a positive upper bound",
        ));
    }
    if steps.iter().all(|s| s.lower.is_some()) && steps.iter().any(|s| s.lower < Some(0.0)) {
        return Err(invalid(
            "There must be a StepAdjustment with an unspecified lower bound (i.e., lower bound is null) when one StepAdjustment has a negative lower bound",
        ));
    }
    let finite = |b: Option<f64>| b.is_none_or(f64::is_finite);
    if steps.iter().any(|s| !finite(s.lower) || !finite(s.upper)) {
        return Err(invalid("Step adjustment bounds must be finite numbers"));
    }
    if steps.iter().any(|s| s.lower.is_none() && s.upper.is_none()) && steps.len() > 1 {
        return Err(invalid("Step adjustments overlap"));
    }
    let mut sorted: Vec<&Step> = steps.iter().collect();
    sorted.sort_by(|a, b| {
        a.lower
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY))
    });
    for step in &sorted {
        if let (Some(lower), Some(upper)) = (step.lower, step.upper)
            && lower >= upper
        {
            return Err(invalid(
                "The upper bound of a step adjustment must be greater than its lower bound",
            ));
        }
    }
    for pair in sorted.windows(2) {
        let [a, b] = pair else { continue };
        match (a.upper, b.lower) {
            (Some(upper), Some(lower)) if upper == lower => {}
            (Some(upper), Some(lower)) if upper > lower => {
                return Err(invalid("Step adjustments overlap"));
            }
            _ => return Err(invalid("Step adjustments have gaps between them")),
        }
    }
    Ok(())
}

/// The group a policy's ARN names
/// (`…:autoScalingGroupName/G:policyName/P`), for the calls that may name
/// a policy by its ARN alone.
pub fn group_of_arn(arn: &str) -> Option<&str> {
    arn.split_once(":autoScalingGroupName/")
        .and_then(|(_, rest)| rest.split_once(":policyName/"))
        .map(|(group, _)| group)
}

/// What an ExecutePolicy request gives besides the policy's name.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Execution {
    pub honor_cooldown: bool,
    pub metric_value: Option<f64>,
    pub breach_threshold: Option<f64>,
}

impl ScalingPolicy {
    /// The desired capacity this policy asks for from `current`, before
    /// the group's bounds.
    fn target(&self, current: u32, execution: Execution) -> Result<i64, Error> {
        let adjustment = match self.kind {
            PolicyType::SimpleScaling => self.scaling_adjustment.unwrap_or(0),
            PolicyType::StepScaling => {
                let (Some(metric), Some(threshold)) =
                    (execution.metric_value, execution.breach_threshold)
                else {
                    return Err(invalid(
                        "MetricValue and BreachThreshold are required for step scaling policies",
                    ));
                };
                let distance = metric - threshold;
                self.steps
                    .iter()
                    .find(|s| s.contains(distance))
                    .map(|s| s.adjustment)
                    .ok_or_else(|| {
                        invalid(format!(
                            "No step adjustment found for metric value {metric} and breach threshold {threshold}"
                        ))
                    })?
            }
            PolicyType::TargetTrackingScaling | PolicyType::PredictiveScaling => {
                return Err(invalid(format!(
                    "ExecutePolicy is not supported for policy type {}",
                    self.kind.name()
                )));
            }
        };
        let current = i64::from(current);
        let adjustment = i64::from(adjustment);
        Ok(match self.adjustment_type {
            Some(AdjustmentType::ExactCapacity) => adjustment,
            Some(AdjustmentType::PercentChangeInCapacity) => {
                current + percent_change(current, adjustment, self.min_adjustment_magnitude)
            }
            Some(AdjustmentType::ChangeInCapacity) | None => current + adjustment,
        })
    }
}

/// AWS's rounding of a percentage of `current`: toward zero past one
/// instance, away from zero under one, and at least `min_magnitude`.
fn percent_change(current: i64, percent: i64, min_magnitude: Option<i32>) -> i64 {
    let exact = current * percent;
    let mut change = exact / 100;
    if change == 0 && exact != 0 {
        change = exact.signum();
    }
    // From zero instances, the sign of the percentage says which way.
    match min_magnitude {
        Some(min) if change.abs() < i64::from(min) => percent.signum() * i64::from(min),
        _ => change,
    }
}

impl Group {
    /// The policy of this name.
    pub fn policy(&self, name: &str) -> Option<&ScalingPolicy> {
        self.policies.iter().find(|p| p.name == name)
    }

    /// PutScalingPolicy: adds the policy, or replaces the one of its name
    /// (keeping its ARN).
    pub fn put_policy(&mut self, mut policy: ScalingPolicy) -> Result<(), Error> {
        match self.policies.iter_mut().find(|p| p.name == policy.name) {
            Some(existing) => {
                policy.arn = std::mem::take(&mut existing.arn);
                *existing = policy;
            }
            None => {
                if self.policies.len() >= MAX_POLICIES {
                    return Err(Error::LimitExceeded(format!(
                        "Maximum number of scaling policies ({MAX_POLICIES}) reached for AutoScalingGroup {}",
                        self.name
                    )));
                }
                self.policies.push(policy);
            }
        }
        Ok(())
    }

    /// DeletePolicy.
    pub fn delete_policy(&mut self, name: &str) -> Result<(), Error> {
        let before = self.policies.len();
        self.policies.retain(|p| p.name != name && p.arn != name);
        if self.policies.len() == before {
            return Err(invalid(format!("Policy {name} not found")));
        }
        Ok(())
    }

    /// ExecutePolicy: moves the desired capacity as the policy says,
    /// within the group's bounds, and starts its cooldown (simple
    /// policies). With `honor_cooldown` (which only simple policies
    /// take), a group still cooling down from the last simple policy is
    /// refused.
    pub fn execute_policy(
        &mut self,
        name: &str,
        execution: Execution,
        cooldown_millis: impl Fn(u32) -> i64,
        now_millis: i64,
    ) -> Result<(), Error> {
        let policy = self
            .policies
            .iter()
            .find(|p| p.name == name || p.arn == name)
            .cloned()
            .ok_or_else(|| invalid(format!("Policy {name} not found")))?;
        if !policy.enabled {
            return Err(invalid(format!("Policy {} is disabled", policy.name)));
        }
        if execution.honor_cooldown
            && policy.kind == PolicyType::SimpleScaling
            && now_millis < self.cooldown_until
        {
            return Err(Error::ScalingActivityInProgress(format!(
                "The AutoScalingGroup {} is in a cooldown period",
                self.name
            )));
        }
        let before = self.desired;
        let target = policy.target(before, execution)?;
        let bounded = target.clamp(i64::from(self.min_size), i64::from(self.max_size));
        self.desired = u32::try_from(bounded).unwrap_or(self.min_size);
        if policy.kind == PolicyType::SimpleScaling {
            let cooldown = policy.cooldown.unwrap_or(self.default_cooldown);
            self.cooldown_until = now_millis.saturating_add(cooldown_millis(cooldown));
        }
        let reason = format!("a user request executed policy {}", policy.name);
        self.note_desired_change(before, &reason, now_millis);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::group::tests::group;

    fn simple(name: &str, kind: &str, adjustment: i32) -> PolicySpec {
        PolicySpec {
            name: name.to_owned(),
            adjustment_type: Some(kind.to_owned()),
            scaling_adjustment: Some(adjustment),
            ..PolicySpec::default()
        }
    }

    fn step(lower: Option<f64>, upper: Option<f64>, adjustment: i32) -> Step {
        Step {
            lower,
            upper,
            adjustment,
        }
    }

    fn run(g: &mut Group, name: &str, execution: Execution, now: i64) -> Result<(), Error> {
        g.execute_policy(name, execution, |s| i64::from(s) * 1000, now)
    }

    #[test]
    fn requests_are_checked_against_their_type() {
        assert!(
            simple("a", "ChangeInCapacity", 1)
                .apply(String::new())
                .is_ok()
        );
        let refused = [
            PolicySpec {
                adjustment_type: None,
                ..simple("a", "ChangeInCapacity", 1)
            },
            PolicySpec {
                scaling_adjustment: None,
                ..simple("a", "ChangeInCapacity", 1)
            },
            simple("a", "Doubling", 1),
            PolicySpec {
                min_adjustment_magnitude: Some(2),
                ..simple("a", "ChangeInCapacity", 1)
            },
            PolicySpec {
                kind: Some("StepScaling".into()),
                ..simple("a", "ChangeInCapacity", 1)
            },
            PolicySpec {
                kind: Some("StepScaling".into()),
                steps: vec![step(Some(0.0), Some(10.0), 1), step(Some(5.0), None, 2)],
                ..simple("a", "ChangeInCapacity", 1)
            },
            PolicySpec {
                kind: Some("StepScaling".into()),
                scaling_adjustment: None,
                steps: vec![step(Some(0.0), Some(10.0), 1)],
                ..simple("a", "ChangeInCapacity", 1)
            },
            PolicySpec {
                kind: Some("TargetTrackingScaling".into()),
                ..PolicySpec::default()
            },
        ];
        for spec in refused {
            assert!(spec.clone().apply(String::new()).is_err(), "{spec:?}");
        }
        let steps = PolicySpec {
            kind: Some("StepScaling".into()),
            scaling_adjustment: None,
            steps: vec![step(None, Some(0.0), -1), step(Some(0.0), None, 2)],
            ..simple("a", "ChangeInCapacity", 0)
        };
        let policy = steps.apply(String::new()).unwrap();
        assert_eq!(policy.metric_aggregation_type.as_deref(), Some("Average"));
        assert!(policy.enabled);
    }

    #[test]
    fn simple_policies_change_capacity_within_bounds_and_cool_down() {
        let mut g = group(1, 5, Some(2));
        g.put_policy(
            simple("out", "ChangeInCapacity", 2)
                .apply("arn:out".into())
                .unwrap(),
        )
        .unwrap();
        g.put_policy(
            simple("exact", "ExactCapacity", 9)
                .apply("arn:exact".into())
                .unwrap(),
        )
        .unwrap();
        run(&mut g, "out", Execution::default(), 0).unwrap();
        assert_eq!(g.desired, 4);
        assert_eq!(
            g.capacity_cause.as_deref(),
            Some(
                "At 1970-01-01T00:00:00Z a user request executed policy out changing the desired capacity from 2 to 4."
            )
        );
        // Within the default cooldown (300 s): refused only when honoured.
        let honour = Execution {
            honor_cooldown: true,
            ..Execution::default()
        };
        assert!(matches!(
            run(&mut g, "out", honour, 1_000),
            Err(Error::ScalingActivityInProgress(_))
        ));
        run(&mut g, "arn:exact", Execution::default(), 1_000).unwrap();
        assert_eq!(g.desired, 5, "capped at the maximum");
        run(&mut g, "out", honour, 302_000).unwrap();
        assert!(run(&mut g, "missing", Execution::default(), 0).is_err());
    }

    #[test]
    fn percentages_round_as_aws_does() {
        assert_eq!(percent_change(10, 25, None), 2);
        assert_eq!(percent_change(10, -25, None), -2);
        assert_eq!(percent_change(2, 10, None), 1);
        assert_eq!(percent_change(2, -10, None), -1);
        assert_eq!(percent_change(10, 10, Some(3)), 3);
        assert_eq!(percent_change(0, 50, None), 0);
        assert_eq!(percent_change(0, 50, Some(1)), 1);
        assert_eq!(percent_change(0, -50, Some(2)), -2);
    }

    #[test]
    fn step_policies_pick_the_step_the_breach_falls_in() {
        let mut g = group(0, 10, Some(4));
        let spec = PolicySpec {
            name: "steps".into(),
            kind: Some("StepScaling".into()),
            adjustment_type: Some("ChangeInCapacity".into()),
            steps: vec![
                step(Some(0.0), Some(10.0), 1),
                step(Some(10.0), None, 3),
                step(None, Some(0.0), -1),
            ],
            ..PolicySpec::default()
        };
        g.put_policy(spec.apply("arn:steps".into()).unwrap())
            .unwrap();
        let at = |metric| Execution {
            metric_value: Some(metric),
            breach_threshold: Some(50.0),
            ..Execution::default()
        };
        run(&mut g, "steps", at(55.0), 0).unwrap();
        assert_eq!(g.desired, 5);
        run(&mut g, "steps", at(60.0), 0).unwrap();
        assert_eq!(g.desired, 8);
        run(&mut g, "steps", at(10.0), 0).unwrap();
        assert_eq!(g.desired, 7);
        // Exactly on the threshold is the step above it.
        run(&mut g, "steps", at(50.0), 0).unwrap();
        assert_eq!(g.desired, 8);
        assert!(run(&mut g, "steps", Execution::default(), 0).is_err());
    }

    #[test]
    fn put_replaces_by_name_and_delete_takes_a_name_or_an_arn() {
        let mut g = group(0, 4, Some(0));
        g.put_policy(
            simple("p", "ChangeInCapacity", 1)
                .apply("arn:1".into())
                .unwrap(),
        )
        .unwrap();
        g.put_policy(
            simple("p", "ChangeInCapacity", 2)
                .apply("arn:2".into())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(g.policies.len(), 1);
        assert_eq!(
            (g.policies[0].arn.as_str(), g.policies[0].scaling_adjustment),
            ("arn:1", Some(2))
        );
        g.delete_policy("arn:1").unwrap();
        assert!(g.delete_policy("p").is_err());
    }
}
