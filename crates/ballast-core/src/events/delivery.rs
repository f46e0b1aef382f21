//! What a matched event becomes for each of a rule's targets: the input the
//! target receives (the event, `Input`, the part at `InputPath`, or an
//! `InputTransformer`'s template filled in), and, for a Lambda function,
//! the asynchronous invocation EventBridge hands Lambda, when the
//! function's resource policy lets EventBridge invoke it for that rule.

use serde_json::Value;

use super::{Rule, Target};
use crate::Scope;
use crate::lambda::invoke::Queued;
use crate::lambda::{Named, ResourcePolicy};

/// The service principal EventBridge invokes functions as.
pub const EVENTS_PRINCIPAL: &str = "events.amazonaws.com";

/// Why a target gets nothing for an event (logged: EventBridge reports it
/// only as a failed invocation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undelivered {
    #[error("target {target} of rule {rule}: {arn} is not a Lambda function of this account")]
    NotAFunction {
        rule: String,
        target: String,
        arn: String,
    },
    #[error("target {target} of rule {rule}: function {function} does not exist")]
    NoFunction {
        rule: String,
        target: String,
        function: String,
    },
    #[error(
        "target {target} of rule {rule}: function {function}'s policy does not let EventBridge invoke it for this rule"
    )]
    NotPermitted {
        rule: String,
        target: String,
        function: String,
    },
}

/// The invocations an event makes: one per Lambda target of every enabled
/// rule of `rules` that matches it, each with a fresh id from `new_id`.
/// `policy` looks up the resource policy of the function, version or
/// alias a target names (`None` when there is no such thing).
pub fn invocations(
    scope: &Scope,
    event: &Value,
    rules: &[Rule],
    mut policy: impl FnMut(Named<'_>) -> Option<ResourcePolicy>,
    mut new_id: impl FnMut() -> String,
    now_millis: i64,
) -> (Vec<Queued>, Vec<Undelivered>) {
    let mut queued = Vec::new();
    let mut undelivered = Vec::new();
    for rule in rules.iter().filter(|rule| rule.matches(event)) {
        let (more, failed) =
            rule_invocations(scope, event, rule, &mut policy, &mut new_id, now_millis);
        queued.extend(more);
        undelivered.extend(failed);
    }
    (queued, undelivered)
}

/// The invocations `event` makes through `rule`'s targets, matched or not
/// (a scheduled rule's own event).
pub fn rule_invocations(
    scope: &Scope,
    event: &Value,
    rule: &Rule,
    mut policy: impl FnMut(Named<'_>) -> Option<ResourcePolicy>,
    mut new_id: impl FnMut() -> String,
    now_millis: i64,
) -> (Vec<Queued>, Vec<Undelivered>) {
    let rule_arn = rule.arn(scope);
    let mut queued = Vec::new();
    let mut undelivered = Vec::new();
    for target in &rule.targets {
        match invocation(scope, event, rule, &rule_arn, target, &mut policy) {
            Ok((named, input)) => queued.push(Queued {
                qualifier: named.qualifier.map(str::to_owned),
                ..Queued::new(new_id(), named.name.to_owned(), input, now_millis)
            }),
            Err(error) => undelivered.push(error),
        }
    }
    (queued, undelivered)
}

/// The event a scheduled rule sends its targets when it fires.
pub fn scheduled_event(scope: &Scope, rule: &Rule, id: &str, now_millis: i64) -> Value {
    serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": scope.account,
        "time": crate::clock::iso8601(now_millis),
        "region": scope.region,
        "resources": [rule.arn(scope)],
        "detail": {},
    })
}

/// The function (with the version or alias) a target names, and its
/// input, when its resource policy lets EventBridge invoke it for `rule`.
fn invocation<'t>(
    scope: &Scope,
    event: &Value,
    rule: &Rule,
    rule_arn: &str,
    target: &'t Target,
    policy: &mut impl FnMut(Named<'_>) -> Option<ResourcePolicy>,
) -> Result<(Named<'t>, String), Undelivered> {
    let named = crate::lambda::parse_name(scope, &target.arn)
        .ok()
        .filter(|_| target.arn.starts_with("arn:aws:lambda:"))
        .ok_or_else(|| Undelivered::NotAFunction {
            rule: rule.name.clone(),
            target: target.id.clone(),
            arn: target.arn.clone(),
        })?;
    let function = || match named.qualifier {
        Some(qualifier) => format!("{}:{qualifier}", named.name),
        None => named.name.to_owned(),
    };
    let found = policy(named).ok_or_else(|| Undelivered::NoFunction {
        rule: rule.name.clone(),
        target: target.id.clone(),
        function: function(),
    })?;
    if !found.allows_service(EVENTS_PRINCIPAL, rule_arn, &scope.account) {
        return Err(Undelivered::NotPermitted {
            rule: rule.name.clone(),
            target: target.id.clone(),
            function: function(),
        });
    }
    Ok((named, input(event, rule, rule_arn, target)))
}

/// What the target receives for `event`.
pub fn input(event: &Value, rule: &Rule, rule_arn: &str, target: &Target) -> String {
    if let Some(constant) = &target.input {
        return constant.clone();
    }
    if let Some(path) = &target.input_path {
        return select(event, path).map_or_else(String::new, |v| v.to_string());
    }
    if let Some(transformer) = &target.input_transformer {
        return fill(&transformer.template, |name| match name {
            "aws.events.event" | "aws.events.event.json" => Some(event.clone()),
            "aws.events.rule-name" => Some(Value::String(rule.name.clone())),
            "aws.events.rule-arn" => Some(Value::String(rule_arn.to_owned())),
            "aws.events.event.ingestion-time" => event.get("time").cloned(),
            _ => transformer
                .paths
                .get(name)
                .and_then(|path| select(event, path)),
        });
    }
    event.to_string()
}

/// The one value `path` selects in `event`, if it selects one.
fn select(event: &Value, path: &str) -> Option<Value> {
    let path = crate::json_path::parse(path).ok()?;
    path.query(event).exactly_one().ok().cloned()
}

/// The template with each `<name>` replaced: a string by its text (the
/// template quotes it where it wants a JSON string, so quotes and
/// backslashes in it are escaped), anything else by its JSON; a name with
/// no value by nothing. Text that is not a known `<name>` stays.
fn fill(template: &str, value: impl Fn(&str) -> Option<Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        let known = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !known {
            out.push('<');
            rest = after;
            continue;
        }
        match value(name) {
            Some(Value::String(text)) => {
                let quoted = Value::String(text).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Some(other) => out.push_str(&other.to_string()),
            None => {}
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::events::rule::{InputTransformer, RuleSpec};
    use crate::lambda::Statement;

    fn scope() -> Scope {
        Scope::new("us-east-1")
    }

    fn event() -> Value {
        json!({
            "version": "0", "id": "e-1", "source": "aws.autoscaling",
            "detail-type": "EC2 Instance-launch Lifecycle Action",
            "account": "000000000000", "time": "2026-12-05T00:00:00Z", "region": "us-east-1",
            "resources": [],
            "detail": {"EC2InstanceId": "i-1", "LifecycleHookName": "attach", "Count": 2},
        })
    }

    fn rule(targets: Vec<Target>) -> Rule {
        let spec = RuleSpec {
            event_pattern: Some(r#"{"source":["aws.autoscaling"]}"#.to_owned()),
            ..RuleSpec::default()
        };
        let mut rule = Rule::put(None, "heal", "default", spec, 0).expect("a rule");
        rule.put_targets(targets).expect("targets");
        rule
    }

    fn target(id: &str, arn: &str) -> Target {
        Target {
            id: id.into(),
            arn: arn.into(),
            ..Target::default()
        }
    }

    fn policy(permitted_for: Option<&str>) -> ResourcePolicy {
        let mut policy = ResourcePolicy::default();
        if let Some(source_arn) = permitted_for {
            policy
                .add(Statement {
                    sid: "events".into(),
                    action: "lambda:InvokeFunction".into(),
                    principal: EVENTS_PRINCIPAL.into(),
                    source_arn: Some(source_arn.into()),
                    source_account: None,
                })
                .expect("added");
        }
        policy
    }

    const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:attach";

    #[test]
    fn a_permitted_function_gets_the_event() {
        let rule = rule(vec![target("t", FUNCTION_ARN)]);
        let rule_arn = rule.arn(&scope());
        let mut n = 0;
        let (queued, undelivered) = invocations(
            &scope(),
            &event(),
            &[rule],
            |named| (named.name == "attach").then(|| policy(Some(&rule_arn))),
            || {
                n += 1;
                format!("q-{n}")
            },
            5,
        );
        assert!(undelivered.is_empty(), "{undelivered:?}");
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].id, "q-1");
        assert_eq!(queued[0].function_name, "attach");
        let got: Value = serde_json::from_str(&queued[0].payload).expect("JSON");
        assert_eq!(got, event());
    }

    #[test]
    fn an_alias_target_is_decided_on_the_alias_policy_and_queued_with_it() {
        let rule = rule(vec![target("t", &format!("{FUNCTION_ARN}:live"))]);
        let rule_arn = rule.arn(&scope());
        // Only the alias's own policy lets EventBridge in.
        let lookup = |named: Named<'_>| match named.qualifier {
            Some("live") => Some(policy(Some(&rule_arn))),
            _ => Some(policy(None)),
        };
        let (queued, undelivered) = invocations(
            &scope(),
            &event(),
            std::slice::from_ref(&rule),
            lookup,
            || "q".into(),
            5,
        );
        assert!(undelivered.is_empty(), "{undelivered:?}");
        assert_eq!(
            (
                queued[0].function_name.as_str(),
                queued[0].qualifier.as_deref()
            ),
            ("attach", Some("live"))
        );
        let unqualified = |named: Named<'_>| match named.qualifier {
            None => Some(policy(Some(&rule_arn))),
            Some(_) => Some(policy(None)),
        };
        let (queued, undelivered) =
            invocations(&scope(), &event(), &[rule], unqualified, || "q".into(), 5);
        assert!(queued.is_empty());
        assert!(matches!(undelivered[0], Undelivered::NotPermitted { .. }));
    }

    #[test]
    fn without_permission_or_function_nothing_is_queued() {
        let rule = rule(vec![
            target("t", FUNCTION_ARN),
            target("q", "arn:aws:sqs:us-east-1:000000000000:queue"),
        ]);
        let other_rule = "arn:aws:events:us-east-1:000000000000:rule/other";
        let (queued, undelivered) = invocations(
            &scope(),
            &event(),
            std::slice::from_ref(&rule),
            |_| Some(policy(Some(other_rule))),
            || "id".into(),
            0,
        );
        assert!(queued.is_empty());
        assert!(matches!(undelivered[0], Undelivered::NotPermitted { .. }));
        assert!(matches!(undelivered[1], Undelivered::NotAFunction { .. }));
        let (queued, undelivered) =
            invocations(&scope(), &event(), &[rule], |_| None, || "id".into(), 0);
        assert!(queued.is_empty());
        assert!(matches!(undelivered[0], Undelivered::NoFunction { .. }));
    }

    #[test]
    fn inputs_are_the_event_a_constant_a_path_or_a_template() {
        let rule = rule(vec![]);
        let arn = rule.arn(&scope());
        let mut t = target("t", FUNCTION_ARN);
        t.input = Some(r#"{"fixed":true}"#.into());
        assert_eq!(input(&event(), &rule, &arn, &t), r#"{"fixed":true}"#);

        let mut t = target("t", FUNCTION_ARN);
        t.input_path = Some("$.detail".into());
        let got: Value = serde_json::from_str(&input(&event(), &rule, &arn, &t)).expect("JSON");
        assert_eq!(got, event()["detail"]);

        let mut t = target("t", FUNCTION_ARN);
        t.input_transformer = Some(InputTransformer {
            paths: BTreeMap::from([
                ("instance".to_owned(), "$.detail.EC2InstanceId".to_owned()),
                ("count".to_owned(), "$.detail.Count".to_owned()),
                ("missing".to_owned(), "$.detail.Nothing".to_owned()),
            ]),
            template: r#"{"id": "<instance>", "n": <count>, "rule": "<aws.events.rule-name>", "gone": "<missing>", "lt": "a < b"}"#.to_owned(),
        });
        let got: Value = serde_json::from_str(&input(&event(), &rule, &arn, &t)).expect("JSON");
        assert_eq!(
            got,
            json!({"id": "i-1", "n": 2, "rule": "heal", "gone": "", "lt": "a < b"})
        );

        t.input_transformer = Some(InputTransformer {
            paths: BTreeMap::from([("hook".to_owned(), "$.detail.LifecycleHookName".to_owned())]),
            template: r#""hook <hook> said \"hi\"""#.to_owned(),
        });
        assert_eq!(
            input(&event(), &rule, &arn, &t),
            r#""hook attach said \"hi\"""#
        );
    }
}
