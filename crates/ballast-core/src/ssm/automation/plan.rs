//! From a runbook and StartAutomationExecution's parameters to a new
//! [`Execution`]: the parameters checked and substituted (by
//! `document::resolve`, as for Run Command), each step's options read
//! (`maxAttempts`, `timeoutSeconds`, `onFailure`, `onCancel`, `isEnd`,
//! `nextStep`, `isCritical`), and the document's `outputs` and
//! `assumeRole` noted.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Execution, Identity, OnFailure, OutputDef, Status, StepDef, StepRun};
use crate::ssm::document::DocumentVersion;
use crate::ssm::document::resolve::{self, Resolution};

/// Why a runbook cannot start with these parameters: AWS answers all of
/// them with `InvalidAutomationExecutionParametersException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Parameters(#[from] resolve::Error),
    #[error("Step {step}: {message}")]
    StepOption { step: String, message: String },
}

/// A runbook resolved for one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub parameters: BTreeMap<String, Vec<String>>,
    pub steps: Vec<StepDef>,
    pub output_refs: Vec<String>,
    /// The role the document says to act as (`assumeRole`), resolved.
    pub assume_role: Option<String>,
}

/// Resolves `document` with `supplied` parameters. `lookup` answers
/// `{{ ssm:NAME }}` references.
pub fn plan(
    document: &DocumentVersion,
    supplied: &BTreeMap<String, Vec<String>>,
    lookup: impl FnMut(&str) -> Option<String>,
) -> Result<Plan, Error> {
    let Resolution { parameters, steps } = resolve::resolve(document, supplied, lookup)?;
    let tree = document
        .parsed()
        .map_err(|e| resolve::Error::Content(e.to_string()))?;
    let raw_steps: Vec<Map<String, Value>> = match tree.get("mainSteps") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|s| s.as_object().cloned())
            .collect(),
        _ => Vec::new(),
    };
    let mut defs = Vec::with_capacity(steps.len());
    for (step, raw) in steps.into_iter().zip(raw_steps.iter()) {
        defs.push(step_def(step, raw)?);
    }
    let output_refs = match tree.get("outputs") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let assume_role = tree
        .get("assumeRole")
        .and_then(Value::as_str)
        .map(|text| substitute_parameter(text, &parameters))
        .filter(|text| !text.trim().is_empty());
    Ok(Plan {
        parameters,
        steps: defs,
        output_refs,
        assume_role,
    })
}

/// `{{ Name }}` in `text` replaced by the parameter's (first) value.
fn substitute_parameter(text: &str, parameters: &BTreeMap<String, Vec<String>>) -> String {
    let trimmed = text.trim();
    if let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        && let Some(values) = parameters.get(inner.trim())
    {
        return values.first().cloned().unwrap_or_default();
    }
    text.to_owned()
}

fn step_def(step: resolve::Step, raw: &Map<String, Value>) -> Result<StepDef, Error> {
    let bad = |message: String| Error::StepOption {
        step: step.name.clone(),
        message,
    };
    let integer = |key: &str| -> Result<Option<i64>, Error> {
        match raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| bad(format!("{key} must be an integer."))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| bad(format!("{key} must be an integer."))),
            Some(_) => Err(bad(format!("{key} must be an integer."))),
        }
    };
    let boolean = |key: &str, default: bool| -> Result<bool, Error> {
        match raw.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(bad(format!("{key} must be true or false."))),
        }
    };
    let on = |key: &str| -> Result<OnFailure, Error> {
        match raw.get(key).and_then(Value::as_str) {
            None | Some("Abort") => Ok(OnFailure::Abort),
            Some("Continue") => Ok(OnFailure::Continue),
            Some(other) => match other.strip_prefix("step:") {
                Some(name) if !name.is_empty() => Ok(OnFailure::Step(name.to_owned())),
                _ => Err(bad(format!(
                    "{key} must be Abort, Continue or step:NAME, not {other}."
                ))),
            },
        }
    };
    let max_attempts = integer("maxAttempts")?.unwrap_or(1);
    if !(1..=100).contains(&max_attempts) {
        return Err(bad("maxAttempts must be between 1 and 100.".to_owned()));
    }
    let timeout_seconds = integer("timeoutSeconds")?;
    if timeout_seconds.is_some_and(|t| t < 1) {
        return Err(bad("timeoutSeconds must be positive.".to_owned()));
    }
    let outputs = step_outputs(raw.get("outputs")).map_err(bad)?;
    Ok(StepDef {
        outputs,
        max_attempts: max_attempts as u32,
        timeout_seconds,
        on_failure: on("onFailure")?,
        on_cancel: on("onCancel")?,
        is_end: boolean("isEnd", false)?,
        next_step: raw
            .get("nextStep")
            .and_then(Value::as_str)
            .map(str::to_owned),
        is_critical: boolean("isCritical", true)?,
        name: step.name,
        action: step.action,
        inputs: step.inputs,
    })
}

/// What StartAutomationExecution knows besides the plan.
#[derive(Debug, Clone)]
pub struct Start {
    pub id: String,
    pub document_name: String,
    pub document_version: String,
    pub executed_by: String,
    pub identity: Identity,
    pub parent_id: Option<String>,
    pub now_millis: i64,
}

/// A new execution of `plan`: `Pending`, its first step next.
pub fn execution(plan: Plan, start: Start) -> Execution {
    let current = (!plan.steps.is_empty()).then_some(0);
    Execution {
        id: start.id,
        document_name: start.document_name,
        document_version: start.document_version,
        parameters: plan.parameters,
        status: Status::Pending,
        failure_message: None,
        started_millis: start.now_millis,
        ended_millis: None,
        executed_by: start.executed_by,
        identity: start.identity,
        parent_id: start.parent_id,
        current,
        steps: plan.steps.into_iter().map(StepRun::new).collect(),
        output_refs: plan.output_refs,
        cancel_requested: false,
        cancel_handled: false,
        target: None,
        rate_control: None,
    }
}

/// A step's `outputs` list: each needs `Name` and `Selector`; `Type`
/// defaults to `String`, as AWS's does.
fn step_outputs(raw: Option<&Value>) -> Result<Vec<OutputDef>, String> {
    let items = match raw {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("outputs must be a list.".to_owned()),
    };
    items
        .iter()
        .map(|item| {
            let field = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
            Ok(OutputDef {
                name: field("Name").ok_or("Each output needs a Name.")?,
                selector: field("Selector").ok_or("Each output needs a Selector.")?,
                kind: field("Type").unwrap_or_else(|| "String".to_owned()),
            })
        })
        .collect()
}
