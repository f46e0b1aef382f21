//! SSM Automation: StartAutomationExecution, GetAutomationExecution,
//! DescribeAutomationExecutions, DescribeAutomationStepExecutions,
//! StopAutomationExecution and SendAutomationSignal.
//!
//! The handlers only read and write executions in the store: starting
//! one stores it `Pending`, stopping one marks it `Cancelling`, a signal
//! is kept on the step waiting for it; then they nudge the engine (`ballast-automation`), which runs the steps.

use std::collections::BTreeMap;

use ballast_core::ssm::automation::{
    Error as Rule, Execution, Identity, RateControl, Status, StepRun, TargetRun, plan, selector,
    signal,
};
use ballast_core::ssm::document::VersionSelector;
use ballast_core::sts::RoleRef;
use ballast_model::ssm::{
    AutomationExecution, AutomationExecutionFilterKey, AutomationExecutionMetadata,
    AutomationExecutionStatus, DescribeAutomationExecutionsInput,
    DescribeAutomationExecutionsOutput, DescribeAutomationStepExecutionsInput,
    DescribeAutomationStepExecutionsOutput, ExecutionMode, GetAutomationExecutionInput,
    GetAutomationExecutionOutput, SendAutomationSignalInput, SendAutomationSignalOutput,
    SignalType, StartAutomationExecutionInput, StartAutomationExecutionOutput, StepExecution,
    StepExecutionFilterKey, StopAutomationExecutionInput, StopAutomationExecutionOutput, StopType,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use crate::auth::Principal;
use crate::error::HandlerError;
use crate::{ApiState, RequestContext};

/// A failure inside an Automation handler.
pub(crate) type Error = HandlerError<Rule>;

/// DescribeAutomationExecutions' and DescribeAutomationStepExecutions'
/// page when MaxResults is not given.
const DEFAULT_PAGE: usize = 50;

/// Who the caller is, as the execution will act when the document names
/// no `assumeRole`.
fn caller_identity(principal: &Principal) -> Identity {
    match principal {
        Principal::Root => Identity::Root,
        Principal::User(user) => Identity::User(user.clone()),
        Principal::AssumedRole(session) => Identity::Role {
            role: session.role.clone(),
            session_name: session.session_name.clone(),
        },
    }
}

/// The role an `assumeRole` ARN names, if the account has it.
fn assumed_role(tx: &Tx<'_>, arn: &str) -> Result<Option<RoleRef>, Error> {
    Ok(tx.role_by_arn(arn)?.map(|role| role.reference()))
}

pub(crate) fn start(
    state: &ApiState,
    ctx: &RequestContext,
    input: StartAutomationExecutionInput,
) -> Result<StartAutomationExecutionOutput, Error> {
    if input.mode == Some(ExecutionMode::Interactive) {
        return Err(Rule::InvalidParameters(
            "Ballast runs executions in Auto mode only; Interactive mode is not supported."
                .to_owned(),
        )
        .into());
    }
    if input.target_locations.is_some() {
        return Err(Rule::InvalidParameters(
            "Ballast does not run multi-account or multi-Region executions (TargetLocations)."
                .to_owned(),
        )
        .into());
    }
    let target_maps = input.target_maps.clone().unwrap_or_default();
    if !target_maps.is_empty() && input.targets.is_some() {
        return Err(Rule::InvalidParameters(
            "Targets and TargetMaps cannot both be given.".to_owned(),
        )
        .into());
    }
    let targets: Vec<(String, Vec<String>)> = input
        .targets
        .iter()
        .flatten()
        .map(|t| {
            (
                t.key.clone().unwrap_or_default(),
                t.values.clone().unwrap_or_default(),
            )
        })
        .collect();
    let target_parameter = match (&input.target_parameter_name, targets.is_empty()) {
        (Some(name), false) => Some(name.clone()),
        (None, false) => {
            return Err(Rule::InvalidParameters(
                "TargetParameterName must be given with Targets.".to_owned(),
            )
            .into());
        }
        (_, true) => None,
    };
    let rate_controlled = target_parameter.is_some() || !target_maps.is_empty();
    let supplied = input.parameters.clone().unwrap_or_default();
    let now = state.now().millis();
    let id = state.ids.request_id();
    state.store.write(|tx| -> Result<_, Error> {
        let not_found = || {
            Rule::DefinitionNotFound(format!(
                "Automation document {} was not found.",
                input.document_name
            ))
        };
        let found = super::documents::find(tx, &input.document_name)
            .map_err(|_| not_found())?
            .ok_or_else(not_found)?;
        if found.document.document_type != "Automation" {
            return Err(Rule::DefinitionNotFound(format!(
                "Document {} is of type {}; only Automation documents can be executed.",
                found.document.name, found.document.document_type
            ))
            .into());
        }
        let version = VersionSelector::new(input.document_version.as_deref(), None)
            .pick(&found.document, &found.versions)
            .map_err(|_| {
                Rule::DefinitionVersionNotFound(format!(
                    "Automation document {} has no version {}.",
                    found.document.name,
                    input.document_version.as_deref().unwrap_or("$DEFAULT")
                ))
            })?;
        let runs = match &target_parameter {
            Some(name) => target_values(tx, &targets)?
                .into_iter()
                .map(|value| {
                    TargetRun::new(value.clone(), BTreeMap::from([(name.clone(), vec![value])]))
                })
                .collect(),
            None => map_runs(&target_maps, input.target_parameter_name.as_deref()),
        };
        // A rate-controlled runbook is checked as its first child will run.
        let mut checked = supplied.clone();
        if let Some(first) = runs.first() {
            checked.extend(first.parameters.clone());
        }
        let planned = plan::plan(version, &checked, |reference| {
            super::command_steps::parameter_value(tx, reference)
        })
        .map_err(|e| Rule::InvalidParameters(e.to_string()))?;
        let (identity, refused) = match planned.assume_role.clone() {
            None => (caller_identity(&ctx.principal), None),
            Some(arn) => match assumed_role(tx, &arn)? {
                Some(role) => (
                    Identity::Role {
                        role,
                        session_name: id.clone(),
                    },
                    None,
                ),
                None => (
                    caller_identity(&ctx.principal),
                    Some(format!(
                        "The defined assume role is unable to be assumed: {arn} does not exist."
                    )),
                ),
            },
        };
        let mut execution = plan::execution(
            planned,
            plan::Start {
                id: id.clone(),
                document_name: found.document.name.clone(),
                document_version: version.version.to_string(),
                executed_by: ctx.principal_arn.clone(),
                identity,
                parent_id: None,
                now_millis: now,
            },
        );
        if rate_controlled {
            // The parent runs no step of its own: its children do.
            execution.steps.clear();
            execution.current = None;
            execution.parameters = supplied.clone();
            execution.rate_control = Some(RateControl {
                parameter: input.target_parameter_name.clone().unwrap_or_default(),
                targets: targets.clone(),
                target_maps: target_maps.clone(),
                max_concurrency: input
                    .max_concurrency
                    .clone()
                    .unwrap_or_else(|| "10".to_owned()),
                max_errors: input.max_errors.clone().unwrap_or_else(|| "0".to_owned()),
                supplied: supplied.clone(),
                runs,
            });
        }
        if let Some(message) = refused {
            ballast_core::ssm::automation::machine::end(
                &mut execution,
                Status::Failed,
                Some(message),
                now,
            );
        }
        tx.save_automation_execution(&execution)?;
        Ok(())
    })?;
    state.automation.changed();
    Ok(StartAutomationExecutionOutput {
        automation_execution_id: Some(id),
    })
}

/// The values `Targets` resolve to: `ParameterValues` and `InstanceIds`
/// as given, `tag:NAME` and `tag-key` as the live instances carrying
/// them; `InvalidTarget` when they resolve to nothing.
fn target_values(tx: &Tx<'_>, targets: &[(String, Vec<String>)]) -> Result<Vec<String>, Error> {
    let mut values: Vec<String> = Vec::new();
    for (key, given) in targets {
        let found: Vec<String> = match key.as_str() {
            "ParameterValues" | "InstanceIds" => given.clone(),
            "tag-key" => selected_instances(tx, key, given)?,
            other if other.starts_with("tag:") => selected_instances(tx, key, given)?,
            other => {
                return Err(Rule::InvalidTarget(format!(
                    "The target key {other} is not supported; use ParameterValues, InstanceIds, tag:NAME or tag-key."
                ))
                .into());
            }
        };
        for value in found {
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }
    if values.is_empty() {
        return Err(Rule::InvalidTarget("The targets resolve to no value.".to_owned()).into());
    }
    Ok(values)
}

/// One run per map of `TargetMaps`, with the map's parameters; the
/// value shown is the map's `TargetParameterName` when it names one.
fn map_runs(
    maps: &[BTreeMap<String, Vec<String>>],
    target_parameter: Option<&str>,
) -> Vec<TargetRun> {
    maps.iter()
        .map(|map| {
            let value = target_parameter
                .and_then(|name| map.get(name))
                .and_then(|values| values.first())
                .cloned()
                .unwrap_or_default();
            TargetRun::new(value, map.clone())
        })
        .collect()
}

/// The live instances a `tag:NAME` or `tag-key` target selects, in id
/// order.
fn selected_instances(tx: &Tx<'_>, key: &str, values: &[String]) -> Result<Vec<String>, Error> {
    let target = ballast_core::ssm::command::Target {
        key: key.to_owned(),
        values: values.to_vec(),
    };
    let mut ids = Vec::new();
    for instance in tx.instances()? {
        if instance.state != ballast_core::ec2::instance::InstanceState::Terminated
            && target.selects(&instance.id, &tx.tags(&instance.id)?)
        {
            ids.push(instance.id);
        }
    }
    ids.sort();
    Ok(ids)
}

fn require(tx: &Tx<'_>, id: &str) -> Result<Execution, Error> {
    tx.automation_execution(id)?.ok_or_else(|| {
        Rule::ExecutionNotFound(format!("Automation execution {id} was not found.")).into()
    })
}

fn wire_status(status: Status) -> AutomationExecutionStatus {
    AutomationExecutionStatus::from(status.as_str())
}

fn time(millis: Option<i64>) -> Option<Timestamp> {
    millis.map(Timestamp::from_millis)
}

/// A step as GetAutomationExecution and DescribeAutomationStepExecutions
/// show it. Inputs are shown as JSON text, as AWS shows them.
fn step_view(step: &StepRun, execution: &Execution) -> StepExecution {
    let inputs = step.inputs.as_ref().unwrap_or(&step.def.inputs);
    let inputs: BTreeMap<String, String> = inputs
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let outputs: BTreeMap<String, Vec<String>> = step
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), selector::texts(v)))
        .collect();
    let status = step.status.unwrap_or(Status::Pending);
    let next = execution
        .steps
        .iter()
        .position(|s| std::ptr::eq(s, step))
        .and_then(|i| execution.steps.get(i + 1))
        .map(|s| s.def.name.clone());
    StepExecution {
        step_name: Some(step.def.name.clone()),
        action: Some(step.def.action.clone()),
        timeout_seconds: step.def.timeout_seconds,
        on_failure: Some(step.def.on_failure.as_text()),
        max_attempts: Some(i32::try_from(step.def.max_attempts).unwrap_or(i32::MAX)),
        execution_start_time: time(step.started_millis),
        execution_end_time: time(step.ended_millis),
        step_status: Some(wire_status(status)),
        response_code: step.response_code.clone(),
        inputs: Some(inputs),
        outputs: (!outputs.is_empty()).then_some(outputs),
        failure_message: step.failure_message.clone(),
        step_execution_id: step.id.clone(),
        is_end: Some(step.def.is_end),
        next_step: step.def.next_step.clone().or(next),
        is_critical: Some(step.def.is_critical),
        ..Default::default()
    }
}

fn rate(execution: &Execution) -> Option<&RateControl> {
    execution.rate_control.as_ref()
}

fn wire_targets(rate: &RateControl) -> Vec<ballast_model::ssm::Target> {
    rate.targets
        .iter()
        .map(|(key, values)| ballast_model::ssm::Target {
            key: Some(key.clone()),
            values: Some(values.clone()),
        })
        .collect()
}

fn resolved(rate: &RateControl) -> ballast_model::ssm::ResolvedTargets {
    let values = rate
        .runs
        .iter()
        .map(|r| r.value.clone())
        .filter(|v| !v.is_empty());
    ballast_model::ssm::ResolvedTargets {
        parameter_values: Some(values.collect()),
        truncated: Some(false),
    }
}

fn current_action(execution: &Execution) -> Option<String> {
    execution.current_step().map(|s| s.def.action.clone())
}

pub(crate) fn get(
    state: &ApiState,
    input: GetAutomationExecutionInput,
) -> Result<GetAutomationExecutionOutput, Error> {
    let execution = state
        .store
        .read(|tx| require(tx, &input.automation_execution_id))?;
    // A running execution lists its steps to come as Pending; an ended
    // one only the steps that ran.
    let steps: Vec<StepExecution> = execution
        .steps
        .iter()
        .filter(|s| s.status.is_some() || !execution.status.is_terminal())
        .map(|s| step_view(s, &execution))
        .collect();
    Ok(GetAutomationExecutionOutput {
        automation_execution: Some(AutomationExecution {
            automation_execution_id: Some(execution.id.clone()),
            document_name: Some(execution.document_name.clone()),
            document_version: Some(execution.document_version.clone()),
            execution_start_time: time(Some(execution.started_millis)),
            execution_end_time: time(execution.ended_millis),
            automation_execution_status: Some(wire_status(execution.status)),
            step_executions: Some(steps),
            step_executions_truncated: Some(false),
            parameters: Some(execution.parameters.clone()),
            outputs: Some(execution.outputs()),
            failure_message: execution.failure_message.clone(),
            mode: Some(ExecutionMode::Auto),
            parent_automation_execution_id: execution.parent_id.clone(),
            target: execution.target.clone(),
            executed_by: Some(execution.executed_by.clone()),
            current_step_name: execution.current_step().map(|s| s.def.name.clone()),
            current_action: current_action(&execution),
            target_parameter_name: rate(&execution).map(|r| r.parameter.clone()),
            targets: rate(&execution).map(wire_targets),
            target_maps: rate(&execution).map(|r| r.target_maps.clone()),
            resolved_targets: rate(&execution).map(resolved),
            max_concurrency: rate(&execution).map(|r| r.max_concurrency.clone()),
            max_errors: rate(&execution).map(|r| r.max_errors.clone()),
            ..Default::default()
        }),
    })
}

fn metadata(execution: &Execution) -> AutomationExecutionMetadata {
    AutomationExecutionMetadata {
        automation_execution_id: Some(execution.id.clone()),
        document_name: Some(execution.document_name.clone()),
        document_version: Some(execution.document_version.clone()),
        automation_execution_status: Some(wire_status(execution.status)),
        execution_start_time: time(Some(execution.started_millis)),
        execution_end_time: time(execution.ended_millis),
        executed_by: Some(execution.executed_by.clone()),
        log_file: Some(String::new()),
        outputs: Some(execution.outputs()),
        mode: Some(ExecutionMode::Auto),
        parent_automation_execution_id: execution.parent_id.clone(),
        target: execution.target.clone(),
        current_step_name: execution.current_step().map(|s| s.def.name.clone()),
        current_action: current_action(execution),
        failure_message: execution.failure_message.clone(),
        automation_type: Some(ballast_model::ssm::AutomationType::Local),
        target_parameter_name: rate(execution).map(|r| r.parameter.clone()),
        targets: rate(execution).map(wire_targets),
        target_maps: rate(execution).map(|r| r.target_maps.clone()),
        resolved_targets: rate(execution).map(resolved),
        max_concurrency: rate(execution).map(|r| r.max_concurrency.clone()),
        max_errors: rate(execution).map(|r| r.max_errors.clone()),
        ..Default::default()
    }
}

/// One DescribeAutomationExecutions filter, as a test of an execution.
type ExecutionTest = Box<dyn Fn(&Execution) -> bool>;

/// A `StartTimeBefore`/`StartTimeAfter` value: ISO 8601.
fn parse_time(text: &str) -> Result<i64, Rule> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
        .map_err(|_| {
            Rule::InvalidFilterValue(format!(
                "The filter value {text} is not a valid time: use ISO 8601, such as 2024-05-01T12:00:00Z."
            ))
        })
}

/// Page size and offset from MaxResults and NextToken (an offset).
fn page(max: Option<i32>, token: Option<&str>) -> Result<(usize, usize), Rule> {
    let size = max.map_or(DEFAULT_PAGE, |m| usize::try_from(m).unwrap_or(DEFAULT_PAGE));
    let offset = match token {
        None => 0,
        Some(token) => token.parse().map_err(|_| Rule::InvalidNextToken)?,
    };
    Ok((size, offset))
}

fn paged<T>(items: Vec<T>, size: usize, offset: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let next = (offset + size < total).then(|| (offset + size).to_string());
    (page, next)
}

pub(crate) fn describe(
    state: &ApiState,
    input: DescribeAutomationExecutionsInput,
) -> Result<DescribeAutomationExecutionsOutput, Error> {
    let (size, offset) = page(input.max_results, input.next_token.as_deref())?;
    let filters = input.filters.unwrap_or_default();
    let mut tests: Vec<ExecutionTest> = Vec::new();
    for filter in filters {
        let values = filter.values;
        tests.push(match filter.key {
            AutomationExecutionFilterKey::DocumentNamePrefix => Box::new(move |e| {
                values
                    .iter()
                    .any(|v| e.document_name.starts_with(v.as_str()))
            }),
            AutomationExecutionFilterKey::ExecutionStatus => {
                Box::new(move |e| values.iter().any(|v| v == e.status.as_str()))
            }
            AutomationExecutionFilterKey::ExecutionId => Box::new(move |e| values.contains(&e.id)),
            AutomationExecutionFilterKey::ParentExecutionId => {
                Box::new(move |e| e.parent_id.as_ref().is_some_and(|p| values.contains(p)))
            }
            AutomationExecutionFilterKey::CurrentAction => {
                Box::new(move |e| current_action(e).is_some_and(|a| values.contains(&a)))
            }
            AutomationExecutionFilterKey::StartTimeBefore => {
                let at = parse_time(values.first().map_or("", String::as_str))?;
                Box::new(move |e| e.started_millis <= at)
            }
            AutomationExecutionFilterKey::StartTimeAfter => {
                let at = parse_time(values.first().map_or("", String::as_str))?;
                Box::new(move |e| e.started_millis >= at)
            }
            AutomationExecutionFilterKey::AutomationType => {
                Box::new(move |_| values.iter().any(|v| v == "Local"))
            }
            other => {
                return Err(Rule::InvalidFilterKey(format!(
                    "Ballast does not filter executions by {}.",
                    other.as_str()
                ))
                .into());
            }
        });
    }
    let executions = state.store.read(|tx| tx.automation_executions())?;
    let matching: Vec<AutomationExecutionMetadata> = executions
        .iter()
        .filter(|e| tests.iter().all(|t| t(e)))
        .map(metadata)
        .collect();
    let (list, next_token) = paged(matching, size, offset);
    Ok(DescribeAutomationExecutionsOutput {
        automation_execution_metadata_list: Some(list),
        next_token,
    })
}

pub(crate) fn describe_steps(
    state: &ApiState,
    input: DescribeAutomationStepExecutionsInput,
) -> Result<DescribeAutomationStepExecutionsOutput, Error> {
    let (size, offset) = page(input.max_results, input.next_token.as_deref())?;
    let execution = state
        .store
        .read(|tx| require(tx, &input.automation_execution_id))?;
    let filters = input.filters.unwrap_or_default();
    let mut views: Vec<StepExecution> = Vec::new();
    for step in execution.steps.iter().filter(|s| s.status.is_some()) {
        let view = step_view(step, &execution);
        let mut keep = true;
        for filter in &filters {
            let values = &filter.values;
            keep &= match filter.key {
                StepExecutionFilterKey::StepName => values.contains(&step.def.name),
                StepExecutionFilterKey::Action => values.contains(&step.def.action),
                StepExecutionFilterKey::StepExecutionId => {
                    step.id.as_ref().is_some_and(|id| values.contains(id))
                }
                StepExecutionFilterKey::StepExecutionStatus => values
                    .iter()
                    .any(|v| Some(v.as_str()) == step.status.map(Status::as_str)),
                StepExecutionFilterKey::StartTimeBefore => {
                    let at = parse_time(values.first().map_or("", String::as_str))?;
                    step.started_millis.is_some_and(|s| s <= at)
                }
                StepExecutionFilterKey::StartTimeAfter => {
                    let at = parse_time(values.first().map_or("", String::as_str))?;
                    step.started_millis.is_some_and(|s| s >= at)
                }
                _ => false,
            };
        }
        if keep {
            views.push(view);
        }
    }
    if input.reverse_order == Some(true) {
        views.reverse();
    }
    let (step_executions, next_token) = paged(views, size, offset);
    Ok(DescribeAutomationStepExecutionsOutput {
        step_executions: Some(step_executions),
        next_token,
    })
}

pub(crate) fn stop(
    state: &ApiState,
    input: StopAutomationExecutionInput,
) -> Result<StopAutomationExecutionOutput, Error> {
    if input.r#type == Some(StopType::Complete) {
        return Err(Rule::InvalidStatusUpdate(
            "Ballast stops executions with Type Cancel only.".to_owned(),
        )
        .into());
    }
    state.store.write(|tx| -> Result<_, Error> {
        let mut execution = require(tx, &input.automation_execution_id)?;
        if !execution.request_cancel() {
            return Err(Rule::InvalidStatusUpdate(format!(
                "The execution {} is already {}; only a running execution can be stopped.",
                execution.id,
                execution.status.as_str()
            ))
            .into());
        }
        tx.save_automation_execution(&execution)?;
        Ok(())
    })?;
    state.automation.changed();
    Ok(StopAutomationExecutionOutput {})
}

pub(crate) fn send_signal(
    state: &ApiState,
    ctx: &RequestContext,
    input: SendAutomationSignalInput,
) -> Result<SendAutomationSignalOutput, Error> {
    let kind = signal_type(&input.signal_type)?;
    let payload = input.payload.unwrap_or_default();
    let now = state.now().millis();
    state.store.write(|tx| -> Result<_, Error> {
        let mut execution = require(tx, &input.automation_execution_id)?;
        let index = signal::recipient(&execution, kind, &payload, &ctx.principal_arn)?;
        execution.steps[index].signals.push(signal::Signal {
            kind,
            payload,
            sender: ctx.principal_arn.clone(),
            at_millis: now,
        });
        tx.save_automation_execution(&execution)?;
        Ok(())
    })?;
    state.automation.changed();
    Ok(SendAutomationSignalOutput {})
}

fn signal_type(wire: &SignalType) -> Result<signal::SignalType, Error> {
    use signal::SignalType as S;
    Ok(match wire {
        SignalType::Approve => S::Approve,
        SignalType::Reject => S::Reject,
        SignalType::StartStep => S::StartStep,
        SignalType::StopStep => S::StopStep,
        SignalType::Resume => S::Resume,
        SignalType::Revoke => S::Revoke,
        SignalType::Unknown(other) => {
            return Err(Rule::Validation(format!(
                "1 validation error detected: Value '{other}' at 'signalType' failed to satisfy constraint: Member must satisfy enum value set: [Approve, Reject, StartStep, StopStep, Resume, Revoke]"
            ))
            .into());
        }
    })
}
