//! PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule,
//! the target calls (PutTargets, ListTargetsByRule, RemoveTargets,
//! ListRuleNamesByTarget) and TestEventPattern.

use ballast_core::events::pattern::Pattern;
use ballast_core::events::rule::{InputTransformer, RetryPolicy, RuleSpec, RuleState};
use ballast_core::events::{Error as Rule, Rule as EventRule, Target, bus, event};
use ballast_core::paging;
use ballast_model::events as wire;
use ballast_model::events::{
    DeleteRuleInput, DescribeRuleInput, DescribeRuleOutput, DisableRuleInput, EnableRuleInput,
    ListRuleNamesByTargetInput, ListRuleNamesByTargetOutput, ListRulesInput, ListRulesOutput,
    ListTargetsByRuleInput, ListTargetsByRuleOutput, PutRuleInput, PutRuleOutput, PutTargetsInput,
    PutTargetsOutput, RemoveTargetsInput, RemoveTargetsOutput, TestEventPatternInput,
    TestEventPatternOutput,
};
use ballast_store::Tx;

use super::{Error, page};
use crate::ApiState;
use crate::tags::to_pairs;

pub(super) fn put(state: &ApiState, input: PutRuleInput) -> Result<PutRuleOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    let spec = RuleSpec {
        event_pattern: input.event_pattern,
        schedule_expression: input.schedule_expression,
        state: input.state.map_or(RuleState::Enabled, core_state),
        description: input.description,
        role_arn: input.role_arn,
    };
    let tags = to_pairs(input.tags.unwrap_or_default());
    let now = state.now().millis();
    let arn = state.store.write(|tx| -> Result<String, Error> {
        check_bus(tx, &bus)?;
        let existing = tx.event_rule(&bus, &input.name)?;
        let rule = EventRule::put(existing, &input.name, &bus, spec, now)?;
        let arn = rule.arn(&state.scope);
        tx.save_event_rule(&rule)?;
        tx.put_tags(&arn, &tags)?;
        Ok(arn)
    })?;
    Ok(PutRuleOutput {
        rule_arn: Some(arn),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeRuleInput,
) -> Result<DescribeRuleOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    let rule = state.store.read(|tx| existing(tx, &bus, &input.name))?;
    let view = view(state, rule);
    Ok(DescribeRuleOutput {
        name: view.name,
        arn: view.arn,
        event_pattern: view.event_pattern,
        schedule_expression: view.schedule_expression,
        state: view.state,
        description: view.description,
        role_arn: view.role_arn,
        event_bus_name: view.event_bus_name,
        created_by: Some(state.scope.account.clone()),
        managed_by: None,
    })
}

pub(super) fn list(state: &ApiState, input: ListRulesInput) -> Result<ListRulesOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    let (size, after) = page(input.limit, input.next_token.as_deref())?;
    let prefix = input.name_prefix.unwrap_or_default();
    let rules = state.store.read(|tx| -> Result<Vec<EventRule>, Error> {
        check_bus(tx, &bus)?;
        Ok(tx.event_rules(&bus)?)
    })?;
    let rules: Vec<EventRule> = rules
        .into_iter()
        .filter(|r| r.name.starts_with(&prefix))
        .collect();
    let (rules, next_token) = paging::page(rules, |r| &r.name, after.as_deref(), size);
    Ok(ListRulesOutput {
        rules: Some(rules.into_iter().map(|r| view(state, r)).collect()),
        next_token,
    })
}

pub(super) fn enable(state: &ApiState, input: EnableRuleInput) -> Result<(), Error> {
    set_state(state, input.event_bus_name, &input.name, RuleState::Enabled)
}

pub(super) fn disable(state: &ApiState, input: DisableRuleInput) -> Result<(), Error> {
    set_state(
        state,
        input.event_bus_name,
        &input.name,
        RuleState::Disabled,
    )
}

fn set_state(
    state: &ApiState,
    bus: Option<String>,
    name: &str,
    to: RuleState,
) -> Result<(), Error> {
    let bus = bus::bus_name(bus.as_deref());
    state.store.write(|tx| -> Result<(), Error> {
        let mut rule = existing(tx, &bus, name)?;
        rule.spec.state = to;
        tx.save_event_rule(&rule)?;
        Ok(())
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteRuleInput) -> Result<(), Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    state.store.write(|tx| -> Result<(), Error> {
        // Deleting a rule that does not exist succeeds, as on AWS.
        let Some(rule) = tx.event_rule(&bus, &input.name)? else {
            return Ok(());
        };
        // `Force` is for rules AWS services manage; it does not remove
        // targets.
        rule.check_delete()?;
        tx.clear_tags(&rule.arn(&state.scope))?;
        tx.delete_event_rule(&bus, &input.name)?;
        Ok(())
    })
}

pub(super) fn put_targets(
    state: &ApiState,
    input: PutTargetsInput,
) -> Result<PutTargetsOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    let targets: Vec<Target> = input.targets.into_iter().map(core_target).collect();
    state.store.write(|tx| -> Result<(), Error> {
        let mut rule = existing(tx, &bus, &input.rule)?;
        rule.put_targets(targets)?;
        tx.save_event_rule(&rule)?;
        Ok(())
    })?;
    Ok(PutTargetsOutput {
        failed_entry_count: Some(0),
        failed_entries: Some(Vec::new()),
    })
}

pub(super) fn list_targets(
    state: &ApiState,
    input: ListTargetsByRuleInput,
) -> Result<ListTargetsByRuleOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    let (size, after) = page(input.limit, input.next_token.as_deref())?;
    let rule = state.store.read(|tx| existing(tx, &bus, &input.rule))?;
    let (targets, next_token) = paging::page(rule.targets, |t| &t.id, after.as_deref(), size);
    Ok(ListTargetsByRuleOutput {
        targets: Some(targets.into_iter().map(wire_target).collect()),
        next_token,
    })
}

pub(super) fn remove_targets(
    state: &ApiState,
    input: RemoveTargetsInput,
) -> Result<RemoveTargetsOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    state.store.write(|tx| -> Result<(), Error> {
        let mut rule = existing(tx, &bus, &input.rule)?;
        rule.remove_targets(&input.ids);
        tx.save_event_rule(&rule)?;
        Ok(())
    })?;
    Ok(RemoveTargetsOutput {
        failed_entry_count: Some(0),
        failed_entries: Some(Vec::new()),
    })
}

pub(super) fn names_by_target(
    state: &ApiState,
    input: ListRuleNamesByTargetInput,
) -> Result<ListRuleNamesByTargetOutput, Error> {
    let bus = bus::bus_name(input.event_bus_name.as_deref());
    let (size, after) = page(input.limit, input.next_token.as_deref())?;
    let rules = state.store.read(|tx| -> Result<Vec<EventRule>, Error> {
        check_bus(tx, &bus)?;
        Ok(tx.event_rules(&bus)?)
    })?;
    let names: Vec<String> = rules
        .into_iter()
        .filter(|r| r.targets.iter().any(|t| t.arn == input.target_arn))
        .map(|r| r.name)
        .collect();
    let (names, next_token) = paging::page(names, String::as_str, after.as_deref(), size);
    Ok(ListRuleNamesByTargetOutput {
        rule_names: Some(names),
        next_token,
    })
}

pub(super) fn test_event_pattern(
    input: TestEventPatternInput,
) -> Result<TestEventPatternOutput, Error> {
    let pattern = Pattern::parse(&input.event_pattern)
        .map_err(|e| Rule::InvalidEventPattern(e.to_string()))?;
    let event = event::parse_test_event(&input.event)?;
    Ok(TestEventPatternOutput {
        result: Some(pattern.matches(&event)),
    })
}

/// The bus must exist (the default always does).
fn check_bus(tx: &Tx<'_>, name: &str) -> Result<(), Error> {
    if name == bus::DEFAULT || tx.event_bus(name)?.is_some() {
        Ok(())
    } else {
        Err(Rule::bus_not_found(name).into())
    }
}

/// The rule `name` on `bus`, or AWS's error for a missing bus or rule.
fn existing(tx: &Tx<'_>, bus: &str, name: &str) -> Result<EventRule, Error> {
    check_bus(tx, bus)?;
    tx.event_rule(bus, name)?
        .ok_or_else(|| Rule::rule_not_found(name, bus).into())
}

fn view(state: &ApiState, rule: EventRule) -> wire::Rule {
    wire::Rule {
        arn: Some(rule.arn(&state.scope)),
        name: Some(rule.name),
        event_pattern: rule.spec.event_pattern,
        schedule_expression: rule.spec.schedule_expression,
        state: Some(wire_state(rule.spec.state)),
        description: rule.spec.description,
        role_arn: rule.spec.role_arn,
        event_bus_name: Some(rule.bus),
        managed_by: None,
    }
}

fn core_state(state: wire::RuleState) -> RuleState {
    match state {
        wire::RuleState::Enabled => RuleState::Enabled,
        wire::RuleState::Disabled => RuleState::Disabled,
        wire::RuleState::EnabledWithAllCloudtrailManagementEvents => {
            RuleState::EnabledWithAllCloudtrailManagementEvents
        }
        // Validation refuses a state the model does not list.
        wire::RuleState::Unknown(_) => RuleState::Enabled,
    }
}

fn wire_state(state: RuleState) -> wire::RuleState {
    match state {
        RuleState::Enabled => wire::RuleState::Enabled,
        RuleState::Disabled => wire::RuleState::Disabled,
        RuleState::EnabledWithAllCloudtrailManagementEvents => {
            wire::RuleState::EnabledWithAllCloudtrailManagementEvents
        }
    }
}

/// A request's target as the core keeps it. The service-specific
/// parameters (ECS, Batch, Kinesis, …) name targets Ballast does not run
/// and are not kept.
fn core_target(target: wire::Target) -> Target {
    Target {
        id: target.id,
        arn: target.arn,
        role_arn: target.role_arn,
        input: target.input,
        input_path: target.input_path,
        input_transformer: target.input_transformer.map(|t| InputTransformer {
            paths: t.input_paths_map.unwrap_or_default(),
            template: t.input_template,
        }),
        retry_policy: target.retry_policy.map(|p| {
            let default = RetryPolicy::default();
            RetryPolicy {
                maximum_retry_attempts: p
                    .maximum_retry_attempts
                    .unwrap_or(default.maximum_retry_attempts),
                maximum_event_age_seconds: p
                    .maximum_event_age_in_seconds
                    .unwrap_or(default.maximum_event_age_seconds),
            }
        }),
        dead_letter_arn: target.dead_letter_config.and_then(|d| d.arn),
    }
}

fn wire_target(target: Target) -> wire::Target {
    wire::Target {
        id: target.id,
        arn: target.arn,
        role_arn: target.role_arn,
        input: target.input,
        input_path: target.input_path,
        input_transformer: target.input_transformer.map(|t| wire::InputTransformer {
            input_paths_map: (!t.paths.is_empty()).then_some(t.paths),
            input_template: t.template,
        }),
        retry_policy: target.retry_policy.map(|p| wire::RetryPolicy {
            maximum_retry_attempts: Some(p.maximum_retry_attempts),
            maximum_event_age_in_seconds: Some(p.maximum_event_age_seconds),
        }),
        dead_letter_config: target
            .dead_letter_arn
            .map(|arn| wire::DeadLetterConfig { arn: Some(arn) }),
        kinesis_parameters: None,
        run_command_parameters: None,
        ecs_parameters: None,
        batch_parameters: None,
        sqs_parameters: None,
        http_parameters: None,
        redshift_data_parameters: None,
        sage_maker_pipeline_parameters: None,
        app_sync_parameters: None,
    }
}
