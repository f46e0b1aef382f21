//! Maintenance windows: a window (when it runs and for how long), the
//! targets registered with it, the tasks it runs on them, and the record of
//! its executions. This module holds the records and the rules AWS applies
//! when they are created and changed; [`schedule`] decides when a window
//! runs (with [`cron`] for `cron(…)` expressions); [`execution`] is what
//! the runner writes as it runs a window's tasks.
//!
//! Ids are AWS's: a window is `mw-` and 17 hex digits; targets, tasks and
//! executions are UUIDs.

pub mod execution;
pub mod run;
pub mod schedule;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::ids::Ids;
pub use crate::ssm::command::Target;
pub use schedule::{Expression, Schedule, ScheduleSpec};

/// The most windows one account keeps (Systems Manager's quota).
pub const MAX_WINDOWS: usize = 50;
/// The most targets one window keeps.
pub const MAX_TARGETS_PER_WINDOW: usize = 100;
/// The most tasks one window keeps.
pub const MAX_TASKS_PER_WINDOW: usize = 20;
/// The most tags one window carries.
pub const MAX_TAGS: usize = 50;
/// The priority a task gets when its registration names none.
pub const DEFAULT_PRIORITY: i32 = 1;
/// What AWS stores as MaxConcurrency and MaxErrors of a task with no
/// targets, which has no use for either.
pub const TARGETLESS_PLACEHOLDER: &str = "1";

/// Why a maintenance window request was refused. Each variant is one of
/// the modelled errors of these operations (or the protocol's validation
/// error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    DoesNotExist(String),
    #[error(
        "The idempotency token {0} was already used with different parameters. Use a new token, or repeat the original request."
    )]
    IdempotentParameterMismatch(String),
    #[error("{0}")]
    ResourceLimitExceeded(String),
    #[error("{0}")]
    FeatureNotAvailable(String),
    #[error("{0}")]
    TargetInUse(String),
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Validation(message.into())
}

/// `DoesNotExistException` for a window.
pub fn window_not_found(window_id: &str) -> Error {
    Error::DoesNotExist(format!("Maintenance window {window_id} does not exist"))
}

/// `DoesNotExistException` for a target of a window.
pub fn target_not_found(window_id: &str, target_id: &str) -> Error {
    Error::DoesNotExist(format!(
        "Target {target_id} does not exist in maintenance window {window_id}"
    ))
}

/// `DoesNotExistException` for a task of a window.
pub fn task_not_found(window_id: &str, task_id: &str) -> Error {
    Error::DoesNotExist(format!(
        "Task {task_id} does not exist in maintenance window {window_id}"
    ))
}

/// A new window's id: `mw-` and 17 hex digits.
pub fn new_window_id(ids: &Ids) -> String {
    format!("mw-{}", ids.hex(17))
}

/// A window's ARN, which authorization and tags name it by.
pub fn arn(region: &str, account: &str, window_id: &str) -> String {
    format!("arn:aws:ssm:{region}:{account}:maintenancewindow/{window_id}")
}

/// A maintenance window as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// As the request gave it (AWS echoes the text).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub schedule: String,
    pub schedule_timezone: Option<String>,
    pub schedule_offset: Option<i32>,
    /// Hours.
    pub duration: i32,
    /// Hours before the end when no new task starts.
    pub cutoff: i32,
    pub allow_unassociated_targets: bool,
    pub enabled: bool,
    pub created_millis: i64,
    pub modified_millis: i64,
    /// When the current schedule settings took effect; runs whose match
    /// came before are not due (see [`schedule`]).
    pub schedule_since_millis: i64,
}

/// CreateMaintenanceWindow's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateRequest {
    pub name: String,
    pub description: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub schedule: String,
    pub schedule_timezone: Option<String>,
    pub schedule_offset: Option<i32>,
    pub duration: i32,
    pub cutoff: i32,
    pub allow_unassociated_targets: bool,
}

impl CreateRequest {
    /// The new window, enabled, once its settings pass AWS's rules.
    pub fn apply(self, id: String, now_millis: i64) -> Result<Window, Error> {
        let window = Window {
            id,
            name: self.name,
            description: self.description,
            start_date: self.start_date,
            end_date: self.end_date,
            schedule: self.schedule,
            schedule_timezone: self.schedule_timezone,
            schedule_offset: self.schedule_offset,
            duration: self.duration,
            cutoff: self.cutoff,
            allow_unassociated_targets: self.allow_unassociated_targets,
            enabled: true,
            created_millis: now_millis,
            modified_millis: now_millis,
            schedule_since_millis: now_millis,
        };
        window.check()?;
        Ok(window)
    }
}

/// UpdateMaintenanceWindow's settings: each one given replaces the
/// window's. With `replace`, the members CreateMaintenanceWindow requires
/// must be given and the optional ones not given are cleared. An empty
/// `StartDate`, `EndDate` or `ScheduleTimezone` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub schedule: Option<String>,
    pub schedule_timezone: Option<String>,
    pub schedule_offset: Option<i32>,
    pub duration: Option<i32>,
    pub cutoff: Option<i32>,
    pub allow_unassociated_targets: Option<bool>,
    pub enabled: Option<bool>,
    pub replace: bool,
}

/// What an update leaves in an optional member: the new value, else
/// nothing under `replace`, else the old one.
pub fn merge<T: Clone>(replace: bool, given: Option<T>, existing: &Option<T>) -> Option<T> {
    match given {
        Some(value) => Some(value),
        None if replace => None,
        None => existing.clone(),
    }
}

/// An update's value of a member the create call requires.
fn required<T: Clone>(
    replace: bool,
    member: &str,
    given: Option<T>,
    existing: &T,
) -> Result<T, Error> {
    match given {
        Some(value) => Ok(value),
        None if replace => Err(invalid(format!(
            "{member} is required when Replace is true."
        ))),
        None => Ok(existing.clone()),
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

impl UpdateRequest {
    /// The window after this update, checked as a new one would be.
    pub fn apply(self, window: &Window, now_millis: i64) -> Result<Window, Error> {
        let r = self.replace;
        let clears = |given: Option<String>, existing: &Option<String>| -> Option<String> {
            match given {
                Some(text) => non_empty(Some(text)),
                None if r => None,
                None => existing.clone(),
            }
        };
        let next = Window {
            id: window.id.clone(),
            name: required(r, "Name", self.name, &window.name)?,
            description: merge(r, self.description, &window.description),
            start_date: clears(self.start_date, &window.start_date),
            end_date: clears(self.end_date, &window.end_date),
            schedule: required(r, "Schedule", self.schedule, &window.schedule)?,
            schedule_timezone: clears(self.schedule_timezone, &window.schedule_timezone),
            schedule_offset: merge(r, self.schedule_offset, &window.schedule_offset),
            duration: required(r, "Duration", self.duration, &window.duration)?,
            cutoff: required(r, "Cutoff", self.cutoff, &window.cutoff)?,
            allow_unassociated_targets: required(
                r,
                "AllowUnassociatedTargets",
                self.allow_unassociated_targets,
                &window.allow_unassociated_targets,
            )?,
            enabled: match self.enabled {
                Some(enabled) => enabled,
                None if r => true,
                None => window.enabled,
            },
            created_millis: window.created_millis,
            modified_millis: now_millis,
            schedule_since_millis: window.schedule_since_millis,
        };
        let rescheduled = next.schedule != window.schedule
            || next.schedule_timezone != window.schedule_timezone
            || next.schedule_offset != window.schedule_offset
            || next.start_date != window.start_date
            || next.end_date != window.end_date
            || (next.enabled && !window.enabled);
        let next = Window {
            schedule_since_millis: if rescheduled {
                now_millis
            } else {
                window.schedule_since_millis
            },
            ..next
        };
        next.check()?;
        Ok(next)
    }
}

const MILLIS_PER_HOUR: i64 = 3_600_000;

impl Window {
    /// AWS's rules for a window's settings beyond the model's ranges.
    fn check(&self) -> Result<(), Error> {
        if self.cutoff >= self.duration {
            return Err(invalid(format!(
                "The maintenance window Cutoff ({} hours) must be less than its Duration ({} hours).",
                self.cutoff, self.duration
            )));
        }
        self.schedule().map(|_| ())
    }

    /// The window's schedule, read from its settings.
    pub fn schedule(&self) -> Result<Schedule, Error> {
        Schedule::new(&ScheduleSpec {
            expression: &self.schedule,
            timezone: self.schedule_timezone.as_deref(),
            offset_days: self.schedule_offset,
            start_date: self.start_date.as_deref(),
            end_date: self.end_date.as_deref(),
            since_millis: self.schedule_since_millis,
        })
    }

    /// When the window runs next after `after_millis`: `None` when it is
    /// disabled or its schedule has no run left.
    pub fn next_execution(&self, after_millis: i64) -> Option<i64> {
        if !self.enabled {
            return None;
        }
        self.schedule().ok()?.next_after(after_millis)
    }

    /// `NextExecutionTime` as AWS shows it (in the window's zone).
    pub fn next_execution_time(&self, now_millis: i64) -> Option<String> {
        let schedule = self.schedule().ok()?;
        let next = self.next_execution(now_millis)?;
        Some(schedule.format(next))
    }

    /// When a run that started at `start_millis` ends.
    pub fn ends_at(&self, start_millis: i64) -> i64 {
        start_millis.saturating_add(i64::from(self.duration) * MILLIS_PER_HOUR)
    }

    /// The cutoff of a run that started at `start_millis`: from then on no
    /// new task starts.
    pub fn cutoff_at(&self, start_millis: i64) -> i64 {
        self.ends_at(start_millis)
            .saturating_sub(i64::from(self.cutoff) * MILLIS_PER_HOUR)
    }
}

/// The kinds of resource a window target may be. Ballast supports
/// instances (resource groups need AWS Resource Groups).
pub const RESOURCE_TYPE_INSTANCE: &str = "INSTANCE";

/// A target registered with a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowTarget {
    pub window_id: String,
    pub id: String,
    pub resource_type: String,
    pub targets: Vec<Target>,
    pub owner_information: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

fn instance_id_is_valid(id: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    match id.strip_prefix("i-") {
        Some(rest) => (rest.len() == 8 || rest.len() == 17) && hex(rest),
        None => id
            .strip_prefix("mi-")
            .is_some_and(|rest| rest.len() == 17 && hex(rest)),
    }
}

/// One `Targets` entry naming instances: `InstanceIds`, `tag:NAME` or
/// `tag-key`.
fn check_instance_target(target: &Target) -> Result<(), Error> {
    let key = target.key.as_str();
    if target.values.is_empty() {
        return Err(invalid(format!("The target {key} has no values.")));
    }
    match key {
        "InstanceIds" => {
            for id in &target.values {
                if !instance_id_is_valid(id) {
                    return Err(invalid(format!("The instance ID {id} is not valid.")));
                }
            }
            Ok(())
        }
        "tag-key" => Ok(()),
        key if key.starts_with("tag:") && key.len() > 4 => Ok(()),
        key if key.starts_with("resource-groups:") => Err(invalid(
            "Resource group targets are not supported by Ballast: use InstanceIds, tag:NAME or tag-key.",
        )),
        key => Err(invalid(format!(
            "The target key {key} is not valid. Use InstanceIds, tag:NAME or tag-key."
        ))),
    }
}

/// The targets of RegisterTargetWithMaintenanceWindow (and its update).
pub fn check_window_targets(resource_type: &str, targets: &[Target]) -> Result<(), Error> {
    if resource_type != RESOURCE_TYPE_INSTANCE {
        return Err(invalid(format!(
            "The resource type {resource_type} is not supported by Ballast: use INSTANCE."
        )));
    }
    if targets.is_empty() {
        return Err(invalid("At least one target is required."));
    }
    targets.iter().try_for_each(check_instance_target)
}

/// The task types Ballast runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskType {
    RunCommand,
    Automation,
}

impl TaskType {
    /// A task type from its wire name: `FeatureNotAvailableException` for
    /// the types that need a service Ballast does not have.
    pub fn parse(text: &str) -> Result<TaskType, Error> {
        match text {
            "RUN_COMMAND" => Ok(TaskType::RunCommand),
            "AUTOMATION" => Ok(TaskType::Automation),
            "LAMBDA" | "STEP_FUNCTIONS" => Err(Error::FeatureNotAvailable(format!(
                "{text} tasks are not available in Ballast, which has no {} yet. Register a RUN_COMMAND or AUTOMATION task.",
                if text == "LAMBDA" {
                    "Lambda functions"
                } else {
                    "Step Functions state machines"
                }
            ))),
            other => Err(invalid(format!("The task type {other} is not valid."))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::RunCommand => "RUN_COMMAND",
            TaskType::Automation => "AUTOMATION",
        }
    }

    /// The `TaskInvocationParameters` member that goes with the type.
    fn invocation_member(self) -> &'static str {
        match self {
            TaskType::RunCommand => "RunCommand",
            TaskType::Automation => "Automation",
        }
    }
}

/// What a task does when the window's cutoff comes while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CutoffBehavior {
    /// Tasks already started finish; no new one starts (AWS's default).
    #[default]
    ContinueTask,
    /// Running tasks are cancelled.
    CancelTask,
}

impl CutoffBehavior {
    pub fn parse(text: &str) -> Result<CutoffBehavior, Error> {
        match text {
            "CONTINUE_TASK" => Ok(CutoffBehavior::ContinueTask),
            "CANCEL_TASK" => Ok(CutoffBehavior::CancelTask),
            other => Err(invalid(format!(
                "The cutoff behavior {other} is not valid."
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CutoffBehavior::ContinueTask => "CONTINUE_TASK",
            CutoffBehavior::CancelTask => "CANCEL_TASK",
        }
    }
}

/// A task registered with a window. The members the runner hands on
/// unchanged (invocation parameters, the deprecated `TaskParameters`,
/// logging and alarms) are kept as AWS's JSON, with the API's member
/// names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowTask {
    pub window_id: String,
    pub id: String,
    /// The document (name or ARN) a RUN_COMMAND or AUTOMATION task runs.
    pub task_arn: String,
    pub task_type: TaskType,
    pub targets: Vec<Target>,
    pub service_role_arn: Option<String>,
    pub task_parameters: Option<serde_json::Value>,
    /// `TaskInvocationParameters`, e.g. `{"Automation": {"Parameters":
    /// {"InstanceId": ["{{ TARGET_ID }}"]}}}`.
    pub invocation_parameters: Option<serde_json::Value>,
    pub priority: i32,
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    pub logging_info: Option<serde_json::Value>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub cutoff_behavior: CutoffBehavior,
    pub alarm_configuration: Option<serde_json::Value>,
}

/// The `TaskInvocationParameters` members a request set (only their
/// presence matters to the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InvocationMembers {
    pub run_command: bool,
    pub automation: bool,
    pub step_functions: bool,
    pub lambda: bool,
}

impl InvocationMembers {
    fn named(self) -> Vec<&'static str> {
        [
            (self.run_command, "RunCommand"),
            (self.automation, "Automation"),
            (self.step_functions, "StepFunctions"),
            (self.lambda, "Lambda"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// What a window offers a task's targets: whether it takes targets it has
/// not registered, and the ids of those it has.
#[derive(Debug, Clone, Copy)]
pub struct TaskContext<'a> {
    pub window: &'a Window,
    pub window_target_ids: &'a [String],
}

/// A task's targets: registered window targets (`WindowTargetIds`), or,
/// when the window allows unassociated targets, instances named directly.
fn check_task_targets(targets: &[Target], context: TaskContext<'_>) -> Result<(), Error> {
    let by_window_target = targets.iter().any(|t| t.key == "WindowTargetIds");
    if by_window_target && targets.len() > 1 {
        return Err(invalid(
            "WindowTargetIds cannot be combined with other target keys.",
        ));
    }
    for target in targets {
        if target.key == "WindowTargetIds" {
            if target.values.is_empty() {
                return Err(invalid("The target WindowTargetIds has no values."));
            }
            for id in &target.values {
                if !context.window_target_ids.contains(id) {
                    return Err(target_not_found(&context.window.id, id));
                }
            }
            continue;
        }
        check_instance_target(target)?;
        if !context.window.allow_unassociated_targets {
            return Err(invalid(format!(
                "Maintenance window {} does not allow unassociated targets: register the targets with RegisterTargetWithMaintenanceWindow and name them with WindowTargetIds, or set AllowUnassociatedTargets.",
                context.window.id
            )));
        }
    }
    Ok(())
}

impl WindowTask {
    /// AWS's rules for a task (new or updated) beyond the model: which
    /// invocation parameters go with its type, targets, rate controls.
    /// A task without targets gets the placeholder rate controls AWS
    /// reports for one.
    pub fn check(
        &mut self,
        members: InvocationMembers,
        context: TaskContext<'_>,
    ) -> Result<(), Error> {
        let named = members.named();
        let expected = self.task_type.invocation_member();
        if let Some(other) = named.iter().find(|m| **m != expected) {
            return Err(invalid(format!(
                "TaskInvocationParameters.{other} does not apply to a {} task: use TaskInvocationParameters.{expected}.",
                self.task_type.as_str()
            )));
        }
        if self.task_arn.trim().is_empty() {
            return Err(invalid("TaskArn must name a document."));
        }
        if let Some(role) = &self.service_role_arn
            && (!role.starts_with("arn:") || !role.contains(":role/"))
        {
            return Err(invalid(format!(
                "The ServiceRoleArn {role} is not the ARN of an IAM role."
            )));
        }
        if self.targets.is_empty() {
            if self.task_type == TaskType::RunCommand {
                return Err(invalid("A RUN_COMMAND task requires Targets."));
            }
            // A task without targets has nothing to pace: AWS keeps a
            // placeholder where the caller gave no value.
            self.max_concurrency
                .get_or_insert_with(|| TARGETLESS_PLACEHOLDER.to_owned());
            self.max_errors
                .get_or_insert_with(|| TARGETLESS_PLACEHOLDER.to_owned());
            return Ok(());
        }
        check_task_targets(&self.targets, context)?;
        if self.max_concurrency.is_none() || self.max_errors.is_none() {
            return Err(invalid(
                "MaxConcurrency and MaxErrors are required for a task with targets.",
            ));
        }
        Ok(())
    }
}
