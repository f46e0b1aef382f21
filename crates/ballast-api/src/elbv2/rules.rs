//! Listener rule handlers. Every listener has a default rule, stored with
//! the listener (its actions are the listener's default actions); the
//! other rules are stored on their own.

use std::collections::{BTreeMap, HashMap};

use ballast_core::elbv2::{self, Error as Rule};
use ballast_core::paging::page;
use ballast_store::Tx;

use ballast_model::elbv2::{self as model, *};

use super::{Error, actions, check_arn, creation_tags, listeners, paging};
use crate::ApiState;

/// What a rule ARN names.
enum Found {
    /// A listener's default rule.
    Default(elbv2::Listener),
    Rule(elbv2::Rule),
}

/// Finds a rule, default or not, or fails with `RuleNotFound`.
fn find(tx: &Tx<'_>, arn: &str) -> Result<Found, Error> {
    check_arn(arn, "listener-rule", "rule")?;
    if let Some(rule) = tx.rule(arn)? {
        return Ok(Found::Rule(rule));
    }
    if let Some(listener_arn) = listeners::listener_arn_of_rule(arn)
        && let Some(listener) = tx.listener(&listener_arn)?
        && listener.default_rule_arn == arn
    {
        return Ok(Found::Default(listener));
    }
    Err(Rule::RuleNotFound.into())
}

/// Checks that a rule ARN names an existing rule (for tags).
pub(super) fn ensure_exists(tx: &Tx<'_>, arn: &str) -> Result<(), Error> {
    find(tx, arn).map(|_| ())
}

fn view(rule: &elbv2::Rule) -> model::Rule {
    model::Rule {
        rule_arn: Some(rule.arn.clone()),
        priority: Some(rule.priority.to_string()),
        conditions: Some(
            rule.conditions
                .iter()
                .map(actions::condition_view)
                .collect(),
        ),
        actions: Some(rule.actions.iter().map(actions::view).collect()),
        is_default: Some(false),
        transforms: None,
    }
}

fn default_view(listener: &elbv2::Listener) -> model::Rule {
    model::Rule {
        rule_arn: Some(listener.default_rule_arn.clone()),
        priority: Some("default".to_owned()),
        conditions: Some(Vec::new()),
        actions: Some(listener.default_actions.iter().map(actions::view).collect()),
        is_default: Some(true),
        transforms: None,
    }
}

/// A priority the model bounds to 1–50000 (`RulePriority`).
fn priority(priority: i32) -> u32 {
    priority.unsigned_abs()
}

/// The order DescribeRules lists rules in: by listener, then priority,
/// with the default rule last.
fn sort_key(listener_arn: &str, priority: Option<u32>) -> String {
    match priority {
        Some(p) => format!("{listener_arn}/{p:05}"),
        None => format!("{listener_arn}/default"),
    }
}

pub(super) fn create(state: &ApiState, input: CreateRuleInput) -> Result<CreateRuleOutput, Error> {
    let priority = priority(input.priority);
    let conditions = actions::conditions_to_core(&input.conditions)?;
    let rule_actions = actions::to_core(&input.actions)?;
    let tags = creation_tags(input.tags)?;
    let id = state.ids.hex(16);
    let rule = state.store.write(|tx| -> Result<_, Error> {
        let listener = listeners::load(tx, &input.listener_arn)?;
        if tx
            .rules_of(&listener.arn)?
            .iter()
            .any(|r| r.priority == priority)
        {
            return Err(Rule::PriorityInUse(priority.to_string()).into());
        }
        actions::check_target_groups(tx, &listener.load_balancer_arn, &rule_actions)?;
        let rule = elbv2::Rule {
            arn: listeners::rule_arn(&listener.arn, &id),
            listener_arn: listener.arn.clone(),
            priority,
            conditions,
            actions: rule_actions,
        };
        tx.save_rule(&rule)?;
        tx.put_tags(&rule.arn, &tags)?;
        Ok(rule)
    })?;
    state.data_plane.changed();
    Ok(CreateRuleOutput {
        rules: Some(vec![view(&rule)]),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeRulesInput,
) -> Result<DescribeRulesOutput, Error> {
    let (size, after) = paging(input.page_size, input.marker.as_deref())?;
    let mut rules = state.store.read(|tx| -> Result<_, Error> {
        let mut out: Vec<(String, model::Rule)> = Vec::new();
        match (&input.listener_arn, &input.rule_arns) {
            (Some(listener), None) => {
                let listener = listeners::load(tx, listener)?;
                for rule in tx.rules_of(&listener.arn)? {
                    out.push((sort_key(&listener.arn, Some(rule.priority)), view(&rule)));
                }
                out.push((sort_key(&listener.arn, None), default_view(&listener)));
            }
            (None, Some(arns)) => {
                for arn in arns {
                    out.push(match find(tx, arn)? {
                        Found::Rule(rule) => (
                            sort_key(&rule.listener_arn, Some(rule.priority)),
                            view(&rule),
                        ),
                        Found::Default(listener) => {
                            (sort_key(&listener.arn, None), default_view(&listener))
                        }
                    });
                }
            }
            _ => {
                return Err(Rule::Validation(
                    "You must specify either a listener ARN or rule ARNs".to_owned(),
                )
                .into());
            }
        }
        Ok(out)
    })?;
    rules.sort_by(|a, b| a.0.cmp(&b.0));
    rules.dedup_by(|a, b| a.0 == b.0);
    let (rules, next_marker) = page(rules, |(k, _)| k.as_str(), after.as_deref(), size);
    Ok(DescribeRulesOutput {
        rules: Some(rules.into_iter().map(|(_, r)| r).collect()),
        next_marker,
    })
}

pub(super) fn modify(state: &ApiState, input: ModifyRuleInput) -> Result<ModifyRuleOutput, Error> {
    let conditions = input
        .conditions
        .as_deref()
        .map(actions::conditions_to_core)
        .transpose()?;
    let rule_actions = input.actions.as_deref().map(actions::to_core).transpose()?;
    let rule = state.store.write(|tx| -> Result<_, Error> {
        let mut rule = match find(tx, &input.rule_arn)? {
            Found::Rule(rule) => rule,
            Found::Default(_) => {
                return Err(Rule::OperationNotPermitted(
                    "The default rule cannot be modified; use ModifyListener to change its actions"
                        .to_owned(),
                )
                .into());
            }
        };
        if let Some(conditions) = conditions {
            rule.conditions = conditions;
        }
        if let Some(rule_actions) = rule_actions {
            let listener = listeners::load(tx, &rule.listener_arn)?;
            actions::check_target_groups(tx, &listener.load_balancer_arn, &rule_actions)?;
            rule.actions = rule_actions;
        }
        tx.save_rule(&rule)?;
        Ok(rule)
    })?;
    state.data_plane.changed();
    Ok(ModifyRuleOutput {
        rules: Some(vec![view(&rule)]),
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteRuleInput) -> Result<DeleteRuleOutput, Error> {
    state.store.write(|tx| -> Result<_, Error> {
        match find(tx, &input.rule_arn)? {
            Found::Default(_) => Err(Rule::OperationNotPermitted(
                "The default rule cannot be deleted; it goes with its listener".to_owned(),
            )
            .into()),
            Found::Rule(rule) => {
                tx.clear_tags(&rule.arn)?;
                tx.delete_rule(&rule.arn)?;
                Ok(())
            }
        }
    })?;
    state.data_plane.changed();
    Ok(DeleteRuleOutput {})
}

pub(super) fn set_priorities(
    state: &ApiState,
    input: SetRulePrioritiesInput,
) -> Result<SetRulePrioritiesOutput, Error> {
    if input.rule_priorities.is_empty() {
        return Err(
            Rule::Validation("At least one rule priority must be specified".to_owned()).into(),
        );
    }
    let mut wanted: Vec<(String, u32)> = Vec::with_capacity(input.rule_priorities.len());
    for pair in &input.rule_priorities {
        let arn = pair
            .rule_arn
            .clone()
            .ok_or_else(|| Rule::Validation("Each rule priority must name a RuleArn".to_owned()))?;
        let priority = priority(pair.priority.ok_or_else(|| {
            Rule::Validation("Each rule priority must name a Priority".to_owned())
        })?);
        if wanted.iter().any(|(a, _)| *a == arn) {
            return Err(
                Rule::Validation(format!("Rule '{arn}' is specified more than once")).into(),
            );
        }
        wanted.push((arn, priority));
    }
    let changed = state.store.write(|tx| -> Result<_, Error> {
        // Load every rule first: all or nothing.
        let mut changed: Vec<elbv2::Rule> = Vec::with_capacity(wanted.len());
        for (arn, priority) in &wanted {
            match find(tx, arn)? {
                Found::Default(_) => {
                    return Err(Rule::OperationNotPermitted(
                        "The priority of a default rule cannot be changed".to_owned(),
                    )
                    .into());
                }
                Found::Rule(rule) => changed.push(elbv2::Rule {
                    priority: *priority,
                    ..rule
                }),
            }
        }
        // Each listener's priorities must stay unique once all changes apply.
        let mut by_listener: BTreeMap<&str, HashMap<String, u32>> = BTreeMap::new();
        for rule in &changed {
            if !by_listener.contains_key(rule.listener_arn.as_str()) {
                let current = tx
                    .rules_of(&rule.listener_arn)?
                    .into_iter()
                    .map(|r| (r.arn, r.priority))
                    .collect();
                by_listener.insert(&rule.listener_arn, current);
            }
        }
        for rule in &changed {
            if let Some(priorities) = by_listener.get_mut(rule.listener_arn.as_str()) {
                priorities.insert(rule.arn.clone(), rule.priority);
            }
        }
        for rule in &changed {
            let clashes = by_listener
                .get(rule.listener_arn.as_str())
                .is_some_and(|p| p.values().filter(|v| **v == rule.priority).count() > 1);
            if clashes {
                return Err(Rule::PriorityInUse(rule.priority.to_string()).into());
            }
        }
        // Priorities are unique per listener in the store too, so remove
        // the rules before saving them back with their new priorities.
        for rule in &changed {
            tx.delete_rule(&rule.arn)?;
        }
        for rule in &changed {
            tx.save_rule(rule)?;
        }
        Ok(changed)
    })?;
    state.data_plane.changed();
    let mut changed = changed;
    changed.sort_by(|a, b| (&a.listener_arn, a.priority).cmp(&(&b.listener_arn, b.priority)));
    Ok(SetRulePrioritiesOutput {
        rules: Some(changed.iter().map(view).collect()),
    })
}
