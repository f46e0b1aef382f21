//! SSM Automation: runbook executions and the decisions that move them.
//!
//! An [`Execution`] is one run of a schema 0.3 document: its resolved
//! steps, each with what happened to it so far ([`StepRun`]). Everything
//! here is a pure function of the execution, the time and what an action
//! observed, so the engine (`ballast-automation`) only observes and acts:
//!
//! - [`plan`]: from a document and StartAutomationExecution's parameters
//!   to a new execution (the steps and their options);
//! - [`placeholder`]: what a step's inputs become when it starts
//!   (`{{ Step.Output }}`, `{{ automation:EXECUTION_ID }}`, `{{ global:… }}`);
//! - [`selector`]: JSONPath selectors, `DesiredValues`, typed outputs;
//! - [`machine`]: the step state machine (attempts, timeouts, `onFailure`,
//!   `nextStep`, `isEnd`, cancellation, `aws:branch`);
//! - [`signal`]: SendAutomationSignal and the steps that wait for it
//!   (`aws:pause`, `aws:approve`).
//!
//! The engine calls AWS APIs as the execution's [`Identity`] through
//! [`ApiInvoker`], which the API implements and the binary wires in, the
//! same way the API reaches the engine through [`Automation`].

pub mod machine;
pub mod placeholder;
pub mod plan;
pub mod selector;
pub mod signal;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sts::RoleRef;

/// An execution's or a step's status, as AWS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Pending,
    InProgress,
    Waiting,
    Success,
    TimedOut,
    Cancelling,
    Cancelled,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::InProgress => "InProgress",
            Status::Waiting => "Waiting",
            Status::Success => "Success",
            Status::TimedOut => "TimedOut",
            Status::Cancelling => "Cancelling",
            Status::Cancelled => "Cancelled",
            Status::Failed => "Failed",
        }
    }

    /// Whether nothing will change it any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Success | Status::TimedOut | Status::Cancelled | Status::Failed
        )
    }
}

/// Who an execution acts as: every API call it makes is authorized as
/// this identity, as AWS runs a runbook as its `assumeRole` or, without
/// one, as whoever started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identity {
    /// The account's root user.
    Root,
    /// A role, acting through a session of this name.
    Role { role: RoleRef, session_name: String },
    /// An IAM user, as it was when the execution started.
    User(Box<crate::iam::User>),
}

impl Identity {
    /// The ARN AWS reports as `ExecutedBy`.
    pub fn arn(&self, account: &str) -> String {
        match self {
            Identity::Root => format!("arn:aws:iam::{account}:root"),
            Identity::Role { role, session_name } => {
                format!(
                    "arn:aws:sts::{account}:assumed-role/{}/{session_name}",
                    role.name
                )
            }
            Identity::User(user) => user.arn.clone(),
        }
    }
}

/// What the API needs from the Automation engine: a nudge when an
/// execution was started or asked to stop. The trait lives here so the
/// API and the engine depend on it and not on each other.
pub trait Automation: Send + Sync + std::fmt::Debug {
    fn changed(&self);
}

/// An engine that does nothing (the API's own tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAutomation;

impl Automation for NoAutomation {
    fn changed(&self) {}
}

/// Why an API call an execution made did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiCallError {
    /// The service or operation is not one Ballast implements.
    #[error("The {service} API {api} is not supported.")]
    Unsupported { service: String, api: String },
    /// The operation answered with an AWS error.
    #[error("An error occurred ({code}) when calling the {api} operation: {message}")]
    Service {
        api: String,
        code: String,
        message: String,
    },
}

/// Calls an operation of any service Ballast implements, as `identity`,
/// with input and output as JSON in the model's member names (what boto3
/// shows: `TargetHealthDescriptions[0].TargetHealth.State`). Blocking: the
/// engine calls it from a blocking thread.
pub trait ApiInvoker: Send + Sync + std::fmt::Debug {
    fn call(
        &self,
        identity: &Identity,
        service: &str,
        api: &str,
        input: Value,
    ) -> Result<Value, ApiCallError>;
}

/// What a step does when it fails (`onFailure`) or is cancelled
/// (`onCancel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnFailure {
    Abort,
    Continue,
    Step(String),
}

impl OnFailure {
    /// AWS's spelling, as StepExecution's `OnFailure` shows it.
    pub fn as_text(&self) -> String {
        match self {
            OnFailure::Abort => "Abort".to_owned(),
            OnFailure::Continue => "Continue".to_owned(),
            OnFailure::Step(name) => format!("step:{name}"),
        }
    }
}

/// One step of a runbook, its inputs resolved against the execution's
/// parameters (step outputs still as placeholders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDef {
    pub name: String,
    pub action: String,
    pub inputs: Value,
    pub max_attempts: u32,
    /// As written (AWS seconds); `None` for the action's default.
    pub timeout_seconds: Option<i64>,
    pub on_failure: OnFailure,
    pub on_cancel: OnFailure,
    pub is_end: bool,
    pub next_step: Option<String>,
    pub is_critical: bool,
    /// The step's `outputs`: values picked from its action's response.
    #[serde(default)]
    pub outputs: Vec<OutputDef>,
}

/// One of a step's `outputs`: `Name`, a JSONPath `Selector` into the
/// action's response, and the `Type` the value takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputDef {
    pub name: String,
    pub selector: String,
    pub kind: String,
}

/// What a running step waits on between passes of the engine; kept in the
/// store so a restarted Ballast resumes the wait instead of redoing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wait {
    /// `aws:sleep`: until this moment (epoch millis, scaled).
    Until(i64),
    /// `aws:runCommand`: the command it sent.
    Command(String),
    /// `aws:executeAutomation`: the child execution it started.
    Child(String),
    /// `aws:waitForAwsResourceProperty`: asks again at this moment.
    Poll(i64),
    /// `aws:pause`, `aws:approve`: a SendAutomationSignal.
    Signal,
}

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRun {
    pub def: StepDef,
    /// Set when the step first starts.
    pub id: Option<String>,
    /// `None` until the step starts (shown as `Pending`).
    pub status: Option<Status>,
    pub attempt: u32,
    pub started_millis: Option<i64>,
    pub ended_millis: Option<i64>,
    /// When the current attempt times out (epoch millis, scaled).
    pub deadline_millis: Option<i64>,
    /// The inputs as the step started with them (placeholders replaced).
    pub inputs: Option<Value>,
    pub outputs: BTreeMap<String, Value>,
    pub failure_message: Option<String>,
    pub response_code: Option<String>,
    pub wait: Option<Wait>,
    /// What SendAutomationSignal sent this attempt.
    #[serde(default)]
    pub signals: Vec<signal::Signal>,
}

impl StepRun {
    pub fn new(def: StepDef) -> Self {
        StepRun {
            def,
            id: None,
            status: None,
            attempt: 0,
            started_millis: None,
            ended_millis: None,
            deadline_millis: None,
            inputs: None,
            outputs: BTreeMap::new(),
            failure_message: None,
            response_code: None,
            wait: None,
            signals: Vec::new(),
        }
    }
}

/// One execution of a runbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub id: String,
    pub document_name: String,
    pub document_version: String,
    /// Every declared parameter, supplied or default, as strings.
    pub parameters: BTreeMap<String, Vec<String>>,
    pub status: Status,
    pub failure_message: Option<String>,
    pub started_millis: i64,
    pub ended_millis: Option<i64>,
    /// The ARN of whoever started it.
    pub executed_by: String,
    /// Who its steps act as.
    pub identity: Identity,
    pub parent_id: Option<String>,
    /// The target value a rate-controlled parent started this child for
    /// (GetAutomationExecution's `Target`).
    #[serde(default)]
    pub target: Option<String>,
    /// The step running or about to run; `None` once it ended.
    pub current: Option<usize>,
    pub steps: Vec<StepRun>,
    /// The document's `outputs` (`Step.Output`).
    pub output_refs: Vec<String>,
    pub cancel_requested: bool,
    /// Set once a cancellation was acted on and the execution went on to
    /// the step the cancelled step's `onCancel` names: it runs on from
    /// there, `Cancelling`, and ends `Cancelled`.
    #[serde(default)]
    pub cancel_handled: bool,
    /// Set for a rate-controlled execution: it runs no steps itself but a
    /// child execution per target.
    #[serde(default)]
    pub rate_control: Option<RateControl>,
}

/// StartAutomationExecution's rate control: the runbook run once per
/// target value of `TargetParameterName`, as child executions, under
/// `MaxConcurrency` and `MaxErrors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateControl {
    /// `TargetParameterName` (empty when `TargetMaps` name none).
    pub parameter: String,
    /// `Targets` as given (key, values), shown back by the API.
    pub targets: Vec<(String, Vec<String>)>,
    /// `TargetMaps` as given: one child per map, with its parameters.
    #[serde(default)]
    pub target_maps: Vec<BTreeMap<String, Vec<String>>>,
    pub max_concurrency: String,
    pub max_errors: String,
    /// The parameters every child gets besides the target's.
    pub supplied: BTreeMap<String, Vec<String>>,
    /// One per resolved target value, in order.
    pub runs: Vec<TargetRun>,
}

/// One target of a rate-controlled execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRun {
    /// The target value shown in `ResolvedTargets`.
    pub value: String,
    /// The parameters this target's child gets over the supplied ones
    /// (`TargetParameterName` = value, or a whole `TargetMaps` map).
    #[serde(default)]
    pub parameters: BTreeMap<String, Vec<String>>,
    /// The child execution, once started.
    pub child: Option<String>,
    /// The child's status as last seen; `Failed` for one that could not
    /// start.
    pub status: Option<Status>,
}

impl TargetRun {
    /// A target not started yet.
    pub fn new(value: String, parameters: BTreeMap<String, Vec<String>>) -> Self {
        TargetRun {
            value,
            parameters,
            child: None,
            status: None,
        }
    }

    /// Where this target is, for rate control.
    pub fn progress(&self) -> crate::ssm::rate::Progress {
        use crate::ssm::rate::Progress;
        match self.status {
            None => Progress::NotStarted,
            Some(Status::Success) => Progress::Succeeded,
            Some(status) if status.is_terminal() => Progress::Failed,
            Some(_) => Progress::Running,
        }
    }
}

impl Execution {
    /// The document's `outputs` with their values, as AWS reports them
    /// (`No output available yet because the step is not successfully
    /// executed` for a step that has none).
    pub fn outputs(&self) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for reference in &self.output_refs {
            let value = reference.split_once('.').and_then(|(step, name)| {
                self.steps
                    .iter()
                    .find(|s| s.def.name == step)
                    .and_then(|s| s.outputs.get(name))
            });
            let shown = match value {
                Some(value) => selector::texts(value),
                None => vec![
                    "No output available yet because the step is not successfully executed"
                        .to_owned(),
                ],
            };
            out.insert(reference.clone(), shown);
        }
        out
    }

    /// StopAutomationExecution: a running execution becomes `Cancelling`
    /// until the engine has stopped it. Whether it was still running.
    pub fn request_cancel(&mut self) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        self.cancel_requested = true;
        self.status = Status::Cancelling;
        true
    }

    /// The step running now, if any.
    pub fn current_step(&self) -> Option<&StepRun> {
        self.current.and_then(|i| self.steps.get(i))
    }
}

/// Why an Automation request is refused, each with AWS's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The protocol's `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `AutomationDefinitionNotFoundException`.
    #[error("{0}")]
    DefinitionNotFound(String),
    /// `AutomationDefinitionVersionNotFoundException`.
    #[error("{0}")]
    DefinitionVersionNotFound(String),
    /// `InvalidAutomationExecutionParametersException`.
    #[error("{0}")]
    InvalidParameters(String),
    /// `AutomationExecutionNotFoundException`.
    #[error("{0}")]
    ExecutionNotFound(String),
    /// `InvalidAutomationStatusUpdateException`.
    #[error("{0}")]
    InvalidStatusUpdate(String),
    /// `InvalidNextToken`.
    #[error("The specified token isn't valid.")]
    InvalidNextToken,
    /// `InvalidTarget`.
    #[error("{0}")]
    InvalidTarget(String),
    /// `InvalidFilterKey`.
    #[error("{0}")]
    InvalidFilterKey(String),
    /// `InvalidFilterValue`.
    #[error("{0}")]
    InvalidFilterValue(String),
    /// `InvalidAutomationSignalException`.
    #[error("{0}")]
    InvalidSignal(String),
    /// `AutomationStepNotFoundException`.
    #[error("{0}")]
    StepNotFound(String),
}
