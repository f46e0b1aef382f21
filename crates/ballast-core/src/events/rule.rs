//! Rules: what a rule matches (an event pattern or a schedule), whether it
//! is enabled, and the targets it sends matched events to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pattern::Pattern;
use super::{Error, bus};
use crate::Scope;
use crate::ssm::maintenance_window::schedule::Expression;

/// The most targets a rule may have (an AWS quota).
pub const MAX_TARGETS: usize = 5;

/// A rule on a bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub bus: String,
    #[serde(flatten)]
    pub spec: RuleSpec,
    pub targets: Vec<Target>,
    pub created_millis: i64,
}

/// What PutRule sets: everything about a rule but its targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub event_pattern: Option<String>,
    pub schedule_expression: Option<String>,
    pub state: RuleState,
    pub description: Option<String>,
    pub role_arn: Option<String>,
}

/// A rule's `State`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleState {
    #[default]
    Enabled,
    Disabled,
    /// Enabled, and also matching CloudTrail's read-only management events
    /// (Ballast emits none, so it behaves as `Enabled`).
    EnabledWithAllCloudtrailManagementEvents,
}

impl RuleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Enabled => "ENABLED",
            RuleState::Disabled => "DISABLED",
            RuleState::EnabledWithAllCloudtrailManagementEvents => {
                "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
            }
        }
    }

    pub fn is_enabled(self) -> bool {
        self != RuleState::Disabled
    }
}

/// Where a rule sends the events it matches, and in what form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub arn: String,
    pub role_arn: Option<String>,
    /// Constant JSON sent instead of the event.
    pub input: Option<String>,
    /// A JSONPath into the event: that part is sent.
    pub input_path: Option<String>,
    pub input_transformer: Option<InputTransformer>,
    pub retry_policy: Option<RetryPolicy>,
    pub dead_letter_arn: Option<String>,
}

/// `InputTransformer`: values picked from the event by JSONPath, put into
/// a template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTransformer {
    pub paths: BTreeMap<String, String>,
    pub template: String,
}

/// How long and how often a failed delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub maximum_retry_attempts: i32,
    pub maximum_event_age_seconds: i32,
}

impl Default for RetryPolicy {
    /// AWS's defaults: 185 attempts over at most 24 hours.
    fn default() -> Self {
        RetryPolicy {
            maximum_retry_attempts: 185,
            maximum_event_age_seconds: 86_400,
        }
    }
}

impl RuleSpec {
    /// Checks what PutRule asks for a rule on `bus`: a pattern or a
    /// schedule (schedules only on the default bus), each well-formed.
    pub fn check(&self, bus: &str) -> Result<(), Error> {
        if self.event_pattern.is_none() && self.schedule_expression.is_none() {
            return Err(Error::Validation(
                "Parameter(s) EventPattern or ScheduleExpression must be specified.".to_owned(),
            ));
        }
        if let Some(pattern) = &self.event_pattern {
            Pattern::parse(pattern).map_err(|e| Error::InvalidEventPattern(e.to_string()))?;
        }
        if let Some(schedule) = &self.schedule_expression {
            if bus != bus::DEFAULT {
                return Err(Error::Validation(
                    "ScheduleExpression is supported only on the default event bus.".to_owned(),
                ));
            }
            check_schedule(schedule)?;
        }
        Ok(())
    }
}

/// A rule's `ScheduleExpression`: `rate(N minutes|hours|days)` or a
/// six-field `cron(…)` (not `at(…)`, which only EventBridge Scheduler
/// takes).
fn check_schedule(text: &str) -> Result<(), Error> {
    match Expression::parse(text) {
        Ok(Expression::Cron(_) | Expression::Rate { .. }) => Ok(()),
        Ok(Expression::At(_)) | Err(_) => Err(Error::Validation(
            "Parameter ScheduleExpression is not valid.".to_owned(),
        )),
    }
}

impl Rule {
    /// A new rule, or `existing` with `spec` in place of what it had (its
    /// targets kept), as PutRule does.
    pub fn put(
        existing: Option<Rule>,
        name: &str,
        bus: &str,
        spec: RuleSpec,
        now_millis: i64,
    ) -> Result<Rule, Error> {
        spec.check(bus)?;
        Ok(match existing {
            Some(rule) => Rule { spec, ..rule },
            None => Rule {
                name: name.to_owned(),
                bus: bus.to_owned(),
                spec,
                targets: Vec::new(),
                created_millis: now_millis,
            },
        })
    }

    /// `arn:aws:events:REGION:ACCOUNT:rule/NAME` on the default bus,
    /// `…:rule/BUS/NAME` on a custom one.
    pub fn arn(&self, scope: &Scope) -> String {
        arn(scope, &self.bus, &self.name)
    }

    /// DeleteRule refuses a rule that still has targets.
    pub fn check_delete(&self) -> Result<(), Error> {
        if self.targets.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(
                "Rule can't be deleted since it has targets.".to_owned(),
            ))
        }
    }

    /// Adds `targets`, replacing those with the same ids, as PutTargets
    /// does; a rule ends with at most [`MAX_TARGETS`].
    pub fn put_targets(&mut self, targets: Vec<Target>) -> Result<(), Error> {
        let mut ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(Error::Validation(
                "The same target id appears more than once in the request.".to_owned(),
            ));
        }
        for target in &targets {
            target.check()?;
        }
        let mut merged: Vec<Target> = self
            .targets
            .iter()
            .filter(|t| !targets.iter().any(|new| new.id == t.id))
            .cloned()
            .collect();
        merged.extend(targets);
        if merged.len() > MAX_TARGETS {
            return Err(Error::LimitExceeded(format!(
                "The requested resource exceeds the maximum number allowed: a rule has at most {MAX_TARGETS} targets."
            )));
        }
        self.targets = merged;
        Ok(())
    }

    /// Removes the targets with these ids (ids it does not have are no
    /// failure, as on AWS).
    pub fn remove_targets(&mut self, ids: &[String]) {
        self.targets.retain(|t| !ids.contains(&t.id));
    }

    /// Whether this rule sends `event` to its targets: enabled, with a
    /// pattern that matches it.
    pub fn matches(&self, event: &serde_json::Value) -> bool {
        self.spec.state.is_enabled()
            && self
                .spec
                .event_pattern
                .as_deref()
                .and_then(|text| Pattern::parse(text).ok())
                .is_some_and(|pattern| pattern.matches(event))
    }
}

impl Rule {
    /// When a scheduled rule fires next after `after_millis`: a `rate(…)`
    /// one interval later (the interval shortened by `scale`, as
    /// `--time-scale` does), a `cron(…)` at its next time in UTC. `None`
    /// for a disabled rule or one without a schedule.
    pub fn next_fire(
        &self,
        after_millis: i64,
        scale: impl Fn(std::time::Duration) -> std::time::Duration,
    ) -> Option<i64> {
        if !self.spec.state.is_enabled() {
            return None;
        }
        let text = self.spec.schedule_expression.as_deref()?;
        match Expression::parse(text).ok()? {
            Expression::Rate { every_millis } => {
                let every = scale(std::time::Duration::from_millis(
                    u64::try_from(every_millis).ok()?,
                ));
                let every = i64::try_from(every.as_millis()).ok()?.max(1);
                Some(after_millis.saturating_add(every))
            }
            Expression::Cron(_) => {
                let spec = crate::ssm::maintenance_window::schedule::ScheduleSpec {
                    expression: text,
                    timezone: None,
                    offset_days: None,
                    start_date: None,
                    end_date: None,
                    since_millis: after_millis,
                };
                crate::ssm::maintenance_window::schedule::Schedule::new(&spec)
                    .ok()?
                    .next_after(after_millis)
            }
            Expression::At(_) => None,
        }
    }
}

/// The ARN of rule `name` on `bus`.
pub fn arn(scope: &Scope, bus: &str, name: &str) -> String {
    let path = if bus == bus::DEFAULT {
        name.to_owned()
    } else {
        format!("{bus}/{name}")
    };
    format!(
        "arn:aws:events:{}:{}:rule/{path}",
        scope.region, scope.account
    )
}

impl Target {
    /// A target's input options exclude each other, and constant input is
    /// JSON.
    fn check(&self) -> Result<(), Error> {
        let given = [
            self.input.is_some(),
            self.input_path.is_some(),
            self.input_transformer.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Error::Validation(format!(
                "Target {}: only one of Input, InputPath and InputTransformer may be given.",
                self.id
            )));
        }
        if let Some(input) = &self.input
            && serde_json::from_str::<serde_json::Value>(input).is_err()
        {
            return Err(Error::Validation(format!(
                "Target {}: Input is not valid JSON text.",
                self.id
            )));
        }
        if let Some(path) = &self.input_path
            && !path.starts_with('$')
        {
            return Err(Error::Validation(format!(
                "Target {}: InputPath is not a valid JSONPath.",
                self.id
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_rules_fire_on_their_rate_or_cron() {
        let rate = Rule::put(None, "r", "default", spec(None, Some("rate(5 minutes)")), 0)
            .expect("a rule");
        assert_eq!(rate.next_fire(1_000, |d| d), Some(301_000));
        assert_eq!(rate.next_fire(1_000, |d| d / 100), Some(4_000));
        // 2026-12-05T00:00:00Z; every day at 06:30 UTC.
        let midnight = 1_796_428_800_000;
        let cron = Rule::put(
            None,
            "c",
            "default",
            spec(None, Some("cron(30 6 * * ? *)")),
            0,
        )
        .expect("a rule");
        assert_eq!(
            cron.next_fire(midnight, |d| d),
            Some(midnight + (6 * 60 + 30) * 60_000)
        );
        let pattern = Rule::put(
            None,
            "p",
            "default",
            spec(Some(r#"{"source":["x"]}"#), None),
            0,
        )
        .expect("a rule");
        assert_eq!(pattern.next_fire(0, |d| d), None);
    }

    fn spec(pattern: Option<&str>, schedule: Option<&str>) -> RuleSpec {
        RuleSpec {
            event_pattern: pattern.map(str::to_owned),
            schedule_expression: schedule.map(str::to_owned),
            ..RuleSpec::default()
        }
    }

    fn target(id: &str) -> Target {
        Target {
            id: id.to_owned(),
            arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{id}"),
            ..Target::default()
        }
    }

    const PATTERN: &str = r#"{"source":["aws.autoscaling"]}"#;

    #[test]
    fn a_rule_needs_a_pattern_or_a_schedule_and_schedules_live_on_default() {
        assert!(matches!(
            Rule::put(None, "r", "default", spec(None, None), 0),
            Err(Error::Validation(_))
        ));
        assert!(Rule::put(None, "r", "default", spec(None, Some("rate(5 minutes)")), 0).is_ok());
        assert!(
            Rule::put(
                None,
                "r",
                "default",
                spec(None, Some("cron(0 12 * * ? *)")),
                0
            )
            .is_ok()
        );
        for bad in ["rate(0 minutes)", "at(2030-01-01T00:00:00)", "every day"] {
            assert!(
                matches!(
                    Rule::put(None, "r", "default", spec(None, Some(bad)), 0),
                    Err(Error::Validation(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            Rule::put(None, "r", "orders", spec(None, Some("rate(1 hour)")), 0),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            Rule::put(
                None,
                "r",
                "default",
                spec(Some(r#"{"source":"x"}"#), None),
                0
            ),
            Err(Error::InvalidEventPattern(_))
        ));
    }

    #[test]
    fn put_rule_again_keeps_the_targets_and_creation_time() {
        let mut rule = Rule::put(None, "r", "default", spec(Some(PATTERN), None), 5).unwrap();
        rule.put_targets(vec![target("a")]).unwrap();
        let mut again = spec(Some(PATTERN), None);
        again.state = RuleState::Disabled;
        let rule = Rule::put(Some(rule), "r", "default", again, 9).unwrap();
        assert_eq!(rule.targets.len(), 1);
        assert_eq!(rule.created_millis, 5);
        assert_eq!(rule.spec.state, RuleState::Disabled);
    }

    #[test]
    fn targets_are_replaced_by_id_and_limited_to_five() {
        let mut rule = Rule::put(None, "r", "default", spec(Some(PATTERN), None), 0).unwrap();
        rule.put_targets(vec![target("a"), target("b")]).unwrap();
        let mut a = target("a");
        a.input = Some(r#"{"k":1}"#.to_owned());
        rule.put_targets(vec![a]).unwrap();
        assert_eq!(rule.targets.len(), 2);
        assert!(rule.targets.iter().any(|t| t.input.is_some()));
        assert!(matches!(
            rule.put_targets(vec![target("c"), target("d"), target("e"), target("f")]),
            Err(Error::LimitExceeded(_))
        ));
        assert_eq!(rule.targets.len(), 2, "a refused request changes nothing");
        assert!(matches!(
            rule.put_targets(vec![target("c"), target("c")]),
            Err(Error::Validation(_))
        ));
        assert!(matches!(rule.check_delete(), Err(Error::Validation(_))));
        rule.remove_targets(&["a".to_owned(), "b".to_owned(), "zzz".to_owned()]);
        assert!(rule.check_delete().is_ok());
    }

    #[test]
    fn a_target_takes_one_input_option_and_constant_input_is_json() {
        let mut both = target("a");
        both.input = Some("{}".to_owned());
        both.input_path = Some("$.detail".to_owned());
        let mut not_json = target("b");
        not_json.input = Some("{".to_owned());
        let mut rule = Rule::put(None, "r", "default", spec(Some(PATTERN), None), 0).unwrap();
        for bad in [both, not_json] {
            assert!(matches!(
                rule.put_targets(vec![bad]),
                Err(Error::Validation(_))
            ));
        }
    }

    #[test]
    fn only_enabled_rules_match_and_arns_name_custom_buses() {
        let scope = Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        };
        let mut rule = Rule::put(None, "r", "default", spec(Some(PATTERN), None), 0).unwrap();
        let event = serde_json::json!({"source": "aws.autoscaling", "detail": {}});
        assert!(rule.matches(&event));
        rule.spec.state = RuleState::Disabled;
        assert!(!rule.matches(&event));
        assert_eq!(
            rule.arn(&scope),
            "arn:aws:events:us-east-1:000000000000:rule/r"
        );
        assert_eq!(
            arn(&scope, "orders", "r"),
            "arn:aws:events:us-east-1:000000000000:rule/orders/r"
        );
    }
}
