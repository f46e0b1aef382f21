//! Maintenance window handlers: windows, their targets and tasks, their
//! schedule, and the executions a runner records. Each is decode → the
//! core's rules (`ballast_core::ssm::maintenance_window`) → one store
//! transaction → encode.

use std::collections::BTreeMap;

use ballast_core::paging::{self, decode_token, encode_token};
use ballast_core::ssm::maintenance_window::execution::{
    self, ExecutionStatus, TaskExecution, TaskInvocation, WindowExecution,
};
use ballast_core::ssm::maintenance_window::schedule::parse_instant;
use ballast_core::ssm::maintenance_window::{
    self as mw, CreateRequest, CutoffBehavior, DEFAULT_PRIORITY, Error as Rule, InvocationMembers,
    MAX_TAGS, MAX_TARGETS_PER_WINDOW, MAX_TASKS_PER_WINDOW, MAX_WINDOWS, TaskContext, TaskType,
    UpdateRequest, Window, WindowTarget, WindowTask, merge,
};
use ballast_core::tags;
use ballast_model::ssm::{self as wire, *};
use ballast_store::{ClientToken, StoreError, Tx};
use ballast_wire::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ApiState;
use crate::error::HandlerError;

/// A failure inside a maintenance window handler.
pub(crate) type Error = HandlerError<Rule>;

/// Largest and default page of the Describe calls (the model allows 10–100).
const MAX_PAGE: usize = 100;
const DEFAULT_PAGE: usize = 50;

fn invalid(message: impl Into<String>) -> Error {
    Rule::Validation(message.into()).into()
}

/// A window's ARN, which its tags and authorization use.
pub(crate) fn window_arn(state: &ApiState, window_id: &str) -> String {
    mw::arn(&state.scope.region, &state.scope.account, window_id)
}

fn require_window(tx: &Tx<'_>, id: &str) -> Result<Window, Error> {
    tx.maintenance_window(id)?
        .ok_or_else(|| mw::window_not_found(id).into())
}

fn now(state: &ApiState) -> i64 {
    state.now().millis()
}

fn core_targets(targets: Option<Vec<wire::Target>>) -> Vec<mw::Target> {
    targets
        .unwrap_or_default()
        .into_iter()
        .map(|t| mw::Target {
            key: t.key.unwrap_or_default(),
            values: t.values.unwrap_or_default(),
        })
        .collect()
}

fn wire_targets(targets: &[mw::Target]) -> Vec<wire::Target> {
    targets
        .iter()
        .map(|t| wire::Target {
            key: Some(t.key.clone()),
            values: Some(t.values.clone()),
        })
        .collect()
}

/// A wire member kept as AWS's JSON in the store.
fn to_json<T: Serialize>(value: &Option<T>) -> Result<Option<serde_json::Value>, Error> {
    value
        .as_ref()
        .map(|v| serde_json::to_value(v).map_err(|e| Error::Store(StoreError::Corrupt(e))))
        .transpose()
}

/// A member kept as JSON, read back as its wire type.
fn from_json<T: DeserializeOwned>(value: &Option<serde_json::Value>) -> Option<T> {
    value
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The page size a Describe call asks for (the model checked its range).
fn page_size(max_results: Option<i32>) -> usize {
    max_results
        .and_then(|n| usize::try_from(n).ok())
        .map_or(DEFAULT_PAGE, |n| n.clamp(1, MAX_PAGE))
}

/// One page of `items`, in their order, after the item whose key the
/// token names.
fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), Error> {
    let refused = || invalid("The NextToken is not valid.");
    let after = paging::page_after(token).map_err(|_| refused())?;
    paging::page_in_order(items, key, after.as_deref(), size).ok_or_else(refused)
}

/// A Describe call's filter: its key and values.
fn filters(filters: Option<Vec<MaintenanceWindowFilter>>) -> Vec<(String, Vec<String>)> {
    filters
        .unwrap_or_default()
        .into_iter()
        .map(|f| (f.key.unwrap_or_default(), f.values.unwrap_or_default()))
        .collect()
}

fn unknown_filter(key: &str, valid: &str) -> Error {
    invalid(format!(
        "The filter key {key} is not valid. Valid filter keys are: {valid}."
    ))
}

/// Idempotency of the create and register calls: the resource an earlier
/// call with this token created (when it still exists and the request is
/// the same), or `IdempotentParameterMismatch`.
fn replay(
    tx: &Tx<'_>,
    operation: &str,
    token: Option<&str>,
    fingerprint: &str,
    exists: impl Fn(&str) -> Result<bool, StoreError>,
) -> Result<Option<String>, Error> {
    let Some(token) = token else {
        return Ok(None);
    };
    match tx.window_client_token(operation, token)? {
        Some(used) if exists(&used.resource_id)? => {
            if used.fingerprint == fingerprint {
                Ok(Some(used.resource_id))
            } else {
                Err(Rule::IdempotentParameterMismatch(token.to_owned()).into())
            }
        }
        _ => Ok(None),
    }
}

fn remember(
    tx: &Tx<'_>,
    operation: &str,
    token: Option<&str>,
    fingerprint: String,
    resource_id: &str,
) -> Result<(), Error> {
    if let Some(token) = token {
        tx.save_window_client_token(
            operation,
            token,
            &ClientToken {
                fingerprint,
                resource_id: resource_id.to_owned(),
            },
        )?;
    }
    Ok(())
}

/// What identifies a request for idempotency: all of it but its token.
fn fingerprint<T: Serialize>(input: &T) -> Result<String, Error> {
    serde_json::to_string(input).map_err(|e| Error::Store(StoreError::Corrupt(e)))
}

// ---- Windows ----

pub(super) fn create(
    state: &ApiState,
    input: CreateMaintenanceWindowInput,
) -> Result<CreateMaintenanceWindowOutput, Error> {
    const OPERATION: &str = "CreateMaintenanceWindow";
    let new_tags = input
        .tags
        .clone()
        .map(crate::tags::to_core)
        .unwrap_or_default();
    tags::validate(&new_tags).map_err(|e| Rule::Validation(e.to_string()))?;
    if new_tags.len() > MAX_TAGS {
        return Err(invalid(format!(
            "A maintenance window can have at most {MAX_TAGS} tags."
        )));
    }
    let token = input.client_token.clone();
    let print = fingerprint(&CreateMaintenanceWindowInput {
        client_token: None,
        ..input.clone()
    })?;
    let now = now(state);
    let window = CreateRequest {
        name: input.name,
        description: input.description,
        start_date: input.start_date,
        end_date: input.end_date,
        schedule: input.schedule,
        schedule_timezone: input.schedule_timezone,
        schedule_offset: input.schedule_offset,
        duration: input.duration,
        cutoff: input.cutoff,
        allow_unassociated_targets: input.allow_unassociated_targets,
    }
    .apply(mw::new_window_id(&state.ids), now)?;
    state.store.write(|tx| {
        if let Some(id) = replay(tx, OPERATION, token.as_deref(), &print, |id| {
            Ok(tx.maintenance_window(id)?.is_some())
        })? {
            return Ok(CreateMaintenanceWindowOutput {
                window_id: Some(id),
            });
        }
        if tx.count_maintenance_windows()? >= MAX_WINDOWS {
            return Err(Rule::ResourceLimitExceeded(format!(
                "The account already has {MAX_WINDOWS} maintenance windows, the most it can have. Delete one and try again."
            ))
            .into());
        }
        tx.save_maintenance_window(&window)?;
        if !new_tags.is_empty() {
            tx.put_tags(&window_arn(state, &window.id), &tags::pairs(&new_tags))?;
        }
        remember(tx, OPERATION, token.as_deref(), print, &window.id)?;
        Ok(CreateMaintenanceWindowOutput {
            window_id: Some(window.id),
        })
    })
}

pub(super) fn get(
    state: &ApiState,
    input: GetMaintenanceWindowInput,
) -> Result<GetMaintenanceWindowOutput, Error> {
    let w = state
        .store
        .read(|tx| require_window(tx, &input.window_id))?;
    Ok(GetMaintenanceWindowOutput {
        next_execution_time: w.next_execution_time(now(state)),
        window_id: Some(w.id),
        name: Some(w.name),
        description: w.description,
        start_date: w.start_date,
        end_date: w.end_date,
        schedule: Some(w.schedule),
        schedule_timezone: w.schedule_timezone,
        schedule_offset: w.schedule_offset,
        duration: Some(w.duration),
        cutoff: Some(w.cutoff),
        allow_unassociated_targets: Some(w.allow_unassociated_targets),
        enabled: Some(w.enabled),
        created_date: Some(Timestamp::from_millis(w.created_millis)),
        modified_date: Some(Timestamp::from_millis(w.modified_millis)),
    })
}

pub(super) fn update(
    state: &ApiState,
    input: UpdateMaintenanceWindowInput,
) -> Result<UpdateMaintenanceWindowOutput, Error> {
    let request = UpdateRequest {
        name: input.name,
        description: input.description,
        start_date: input.start_date,
        end_date: input.end_date,
        schedule: input.schedule,
        schedule_timezone: input.schedule_timezone,
        schedule_offset: input.schedule_offset,
        duration: input.duration,
        cutoff: input.cutoff,
        allow_unassociated_targets: input.allow_unassociated_targets,
        enabled: input.enabled,
        replace: input.replace.unwrap_or(false),
    };
    let now = now(state);
    let w = state.store.write(|tx| -> Result<Window, Error> {
        let window = require_window(tx, &input.window_id)?;
        let next = request.apply(&window, now)?;
        tx.save_maintenance_window(&next)?;
        Ok(next)
    })?;
    Ok(UpdateMaintenanceWindowOutput {
        window_id: Some(w.id),
        name: Some(w.name),
        description: w.description,
        start_date: w.start_date,
        end_date: w.end_date,
        schedule: Some(w.schedule),
        schedule_timezone: w.schedule_timezone,
        schedule_offset: w.schedule_offset,
        duration: Some(w.duration),
        cutoff: Some(w.cutoff),
        allow_unassociated_targets: Some(w.allow_unassociated_targets),
        enabled: Some(w.enabled),
    })
}

/// DeleteMaintenanceWindow: with its targets, tasks, executions and tags.
/// A window that does not exist is no error (the model lists none).
pub(super) fn delete(
    state: &ApiState,
    input: DeleteMaintenanceWindowInput,
) -> Result<DeleteMaintenanceWindowOutput, Error> {
    state.store.write(|tx| -> Result<(), Error> {
        if tx.delete_maintenance_window(&input.window_id)? {
            tx.clear_tags(&window_arn(state, &input.window_id))?;
        }
        Ok(())
    })?;
    Ok(DeleteMaintenanceWindowOutput {
        window_id: Some(input.window_id),
    })
}

fn identity(w: &Window, now: i64) -> MaintenanceWindowIdentity {
    MaintenanceWindowIdentity {
        next_execution_time: w.next_execution_time(now),
        window_id: Some(w.id.clone()),
        name: Some(w.name.clone()),
        description: w.description.clone(),
        enabled: Some(w.enabled),
        duration: Some(w.duration),
        cutoff: Some(w.cutoff),
        schedule: Some(w.schedule.clone()),
        schedule_timezone: w.schedule_timezone.clone(),
        schedule_offset: w.schedule_offset,
        end_date: w.end_date.clone(),
        start_date: w.start_date.clone(),
    }
}

/// DescribeMaintenanceWindows, oldest first; filters `Name` (any of the
/// names) and `Enabled` (`true`/`false`).
pub(super) fn describe(
    state: &ApiState,
    input: DescribeMaintenanceWindowsInput,
) -> Result<DescribeMaintenanceWindowsOutput, Error> {
    let filters = filters(input.filters);
    for (key, _) in &filters {
        if key != "Name" && key != "Enabled" {
            return Err(unknown_filter(key, "Name, Enabled"));
        }
    }
    let windows = state.store.read(|tx| tx.maintenance_windows())?;
    let matching: Vec<Window> = windows
        .into_iter()
        .filter(|w| {
            filters.iter().all(|(key, values)| match key.as_str() {
                "Name" => values.contains(&w.name),
                _ => values
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(&w.enabled.to_string())),
            })
        })
        .collect();
    let (windows, next_token) = page(
        matching,
        |w| w.id.as_str(),
        input.next_token.as_deref(),
        page_size(input.max_results),
    )?;
    let now = now(state);
    Ok(DescribeMaintenanceWindowsOutput {
        window_identities: Some(windows.iter().map(|w| identity(w, now)).collect()),
        next_token,
    })
}

// ---- Targets ----

pub(super) fn register_target(
    state: &ApiState,
    input: RegisterTargetWithMaintenanceWindowInput,
) -> Result<RegisterTargetWithMaintenanceWindowOutput, Error> {
    const OPERATION: &str = "RegisterTargetWithMaintenanceWindow";
    let token = input.client_token.clone();
    let print = fingerprint(&RegisterTargetWithMaintenanceWindowInput {
        client_token: None,
        ..input.clone()
    })?;
    let targets = core_targets(Some(input.targets));
    mw::check_window_targets(input.resource_type.as_str(), &targets)?;
    let target = WindowTarget {
        window_id: input.window_id.clone(),
        id: state.ids.request_id(),
        resource_type: input.resource_type.as_str().to_owned(),
        targets,
        owner_information: input.owner_information,
        name: input.name,
        description: input.description,
    };
    state.store.write(|tx| {
        require_window(tx, &input.window_id)?;
        if let Some(id) = replay(tx, OPERATION, token.as_deref(), &print, |id| {
            Ok(tx.window_target(&input.window_id, id)?.is_some())
        })? {
            return Ok(RegisterTargetWithMaintenanceWindowOutput {
                window_target_id: Some(id),
            });
        }
        below_limit(
            tx.window_targets(&input.window_id)?.len(),
            MAX_TARGETS_PER_WINDOW,
            &input.window_id,
            "targets",
        )?;
        tx.save_window_target(&target)?;
        remember(tx, OPERATION, token.as_deref(), print, &target.id)?;
        Ok(RegisterTargetWithMaintenanceWindowOutput {
            window_target_id: Some(target.id),
        })
    })
}

/// DeregisterTargetFromMaintenanceWindow. With `Safe`, a target a task
/// still names is `TargetInUseException`; without it, the tasks stop
/// naming it.
pub(super) fn deregister_target(
    state: &ApiState,
    input: DeregisterTargetFromMaintenanceWindowInput,
) -> Result<DeregisterTargetFromMaintenanceWindowOutput, Error> {
    let (window_id, target_id) = (&input.window_id, &input.window_target_id);
    state.store.write(|tx| -> Result<(), Error> {
        require_window(tx, window_id)?;
        if tx.window_target(window_id, target_id)?.is_none() {
            return Err(mw::target_not_found(window_id, target_id).into());
        }
        let names_it = |task: &WindowTask| {
            task.targets
                .iter()
                .any(|t| t.key == "WindowTargetIds" && t.values.contains(target_id))
        };
        let users: Vec<WindowTask> = tx
            .window_tasks(window_id)?
            .into_iter()
            .filter(names_it)
            .collect();
        if input.safe == Some(true) && !users.is_empty() {
            let ids: Vec<&str> = users.iter().map(|t| t.id.as_str()).collect();
            return Err(Rule::TargetInUse(format!(
                "Target {target_id} is in use by the tasks {} of maintenance window {window_id}. Deregister them first, or deregister the target without Safe.",
                ids.join(", ")
            ))
            .into());
        }
        for mut task in users {
            for t in &mut task.targets {
                if t.key == "WindowTargetIds" {
                    t.values.retain(|v| v != target_id);
                }
            }
            task.targets.retain(|t| !t.values.is_empty());
            tx.save_window_task(&task)?;
        }
        tx.delete_window_target(window_id, target_id)?;
        Ok(())
    })?;
    Ok(DeregisterTargetFromMaintenanceWindowOutput {
        window_id: Some(input.window_id),
        window_target_id: Some(input.window_target_id),
    })
}

pub(super) fn update_target(
    state: &ApiState,
    input: UpdateMaintenanceWindowTargetInput,
) -> Result<UpdateMaintenanceWindowTargetOutput, Error> {
    let replace = input.replace.unwrap_or(false);
    if replace && input.targets.is_none() {
        return Err(invalid("Targets is required when Replace is true."));
    }
    let target = state.store.write(|tx| -> Result<WindowTarget, Error> {
        require_window(tx, &input.window_id)?;
        let existing = tx
            .window_target(&input.window_id, &input.window_target_id)?
            .ok_or_else(|| mw::target_not_found(&input.window_id, &input.window_target_id))?;
        let targets = match input.targets.clone() {
            Some(given) => core_targets(Some(given)),
            None => existing.targets.clone(),
        };
        mw::check_window_targets(&existing.resource_type, &targets)?;
        let updated = WindowTarget {
            targets,
            owner_information: merge(
                replace,
                input.owner_information.clone(),
                &existing.owner_information,
            ),
            name: merge(replace, input.name.clone(), &existing.name),
            description: merge(replace, input.description.clone(), &existing.description),
            ..existing
        };
        tx.save_window_target(&updated)?;
        Ok(updated)
    })?;
    Ok(UpdateMaintenanceWindowTargetOutput {
        window_id: Some(target.window_id),
        window_target_id: Some(target.id),
        targets: Some(wire_targets(&target.targets)),
        owner_information: target.owner_information,
        name: target.name,
        description: target.description,
    })
}

fn wire_target(t: &WindowTarget) -> MaintenanceWindowTarget {
    MaintenanceWindowTarget {
        window_id: Some(t.window_id.clone()),
        window_target_id: Some(t.id.clone()),
        resource_type: Some(MaintenanceWindowResourceType::from(
            t.resource_type.as_str(),
        )),
        targets: Some(wire_targets(&t.targets)),
        owner_information: t.owner_information.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
    }
}

/// DescribeMaintenanceWindowTargets; filters `Type`, `WindowTargetId`,
/// `OwnerInformation`.
pub(super) fn describe_targets(
    state: &ApiState,
    input: DescribeMaintenanceWindowTargetsInput,
) -> Result<DescribeMaintenanceWindowTargetsOutput, Error> {
    let filters = filters(input.filters);
    for (key, _) in &filters {
        if !matches!(key.as_str(), "Type" | "WindowTargetId" | "OwnerInformation") {
            return Err(unknown_filter(
                key,
                "Type, WindowTargetId, OwnerInformation",
            ));
        }
    }
    let targets = state.store.read(|tx| -> Result<_, Error> {
        require_window(tx, &input.window_id)?;
        Ok(tx.window_targets(&input.window_id)?)
    })?;
    let matching: Vec<WindowTarget> = targets
        .into_iter()
        .filter(|t| {
            filters.iter().all(|(key, values)| {
                let field = match key.as_str() {
                    "Type" => Some(&t.resource_type),
                    "WindowTargetId" => Some(&t.id),
                    _ => t.owner_information.as_ref(),
                };
                field.is_some_and(|f| values.contains(f))
            })
        })
        .collect();
    let (targets, next_token) = page(
        matching,
        |t| t.id.as_str(),
        input.next_token.as_deref(),
        page_size(input.max_results),
    )?;
    Ok(DescribeMaintenanceWindowTargetsOutput {
        targets: Some(targets.iter().map(wire_target).collect()),
        next_token,
    })
}

// ---- Tasks ----

fn invocation_members(
    params: &Option<MaintenanceWindowTaskInvocationParameters>,
) -> InvocationMembers {
    params
        .as_ref()
        .map_or_else(InvocationMembers::default, |p| InvocationMembers {
            run_command: p.run_command.is_some(),
            automation: p.automation.is_some(),
            step_functions: p.step_functions.is_some(),
            lambda: p.lambda.is_some(),
        })
}

/// Checks a task against its window's rules and targets.
fn check_task(
    tx: &Tx<'_>,
    window: &Window,
    task: &mut WindowTask,
    members: InvocationMembers,
) -> Result<(), Error> {
    let target_ids: Vec<String> = tx
        .window_targets(&window.id)?
        .into_iter()
        .map(|t| t.id)
        .collect();
    task.check(
        members,
        TaskContext {
            window,
            window_target_ids: &target_ids,
        },
    )?;
    Ok(())
}

pub(super) fn register_task(
    state: &ApiState,
    input: RegisterTaskWithMaintenanceWindowInput,
) -> Result<RegisterTaskWithMaintenanceWindowOutput, Error> {
    const OPERATION: &str = "RegisterTaskWithMaintenanceWindow";
    let token = input.client_token.clone();
    let print = fingerprint(&RegisterTaskWithMaintenanceWindowInput {
        client_token: None,
        ..input.clone()
    })?;
    let task_type = TaskType::parse(input.task_type.as_str())?;
    let cutoff_behavior = match &input.cutoff_behavior {
        Some(b) => CutoffBehavior::parse(b.as_str())?,
        None => CutoffBehavior::default(),
    };
    let members = invocation_members(&input.task_invocation_parameters);
    let mut task = WindowTask {
        window_id: input.window_id.clone(),
        id: state.ids.request_id(),
        task_arn: input.task_arn,
        task_type,
        targets: core_targets(input.targets),
        service_role_arn: input.service_role_arn,
        task_parameters: to_json(&input.task_parameters)?,
        invocation_parameters: to_json(&input.task_invocation_parameters)?,
        priority: input.priority.unwrap_or(DEFAULT_PRIORITY),
        max_concurrency: input.max_concurrency,
        max_errors: input.max_errors,
        logging_info: to_json(&input.logging_info)?,
        name: input.name,
        description: input.description,
        cutoff_behavior,
        alarm_configuration: to_json(&input.alarm_configuration)?,
    };
    state.store.write(|tx| {
        let window = require_window(tx, &input.window_id)?;
        if let Some(id) = replay(tx, OPERATION, token.as_deref(), &print, |id| {
            Ok(tx.window_task(&input.window_id, id)?.is_some())
        })? {
            return Ok(RegisterTaskWithMaintenanceWindowOutput {
                window_task_id: Some(id),
            });
        }
        check_task(tx, &window, &mut task, members)?;
        below_limit(
            tx.window_tasks(&input.window_id)?.len(),
            MAX_TASKS_PER_WINDOW,
            &input.window_id,
            "tasks",
        )?;
        tx.save_window_task(&task)?;
        remember(tx, OPERATION, token.as_deref(), print, &task.id)?;
        Ok(RegisterTaskWithMaintenanceWindowOutput {
            window_task_id: Some(task.id),
        })
    })
}

/// `ResourceLimitExceededException` when a window already has `max` of
/// its `what` (targets, tasks).
fn below_limit(count: usize, max: usize, window_id: &str, what: &str) -> Result<(), Rule> {
    if count >= max {
        return Err(Rule::ResourceLimitExceeded(format!(
            "Maintenance window {window_id} already has {max} {what}, the most it can have."
        )));
    }
    Ok(())
}

pub(super) fn deregister_task(
    state: &ApiState,
    input: DeregisterTaskFromMaintenanceWindowInput,
) -> Result<DeregisterTaskFromMaintenanceWindowOutput, Error> {
    state.store.write(|tx| -> Result<(), Error> {
        require_window(tx, &input.window_id)?;
        if !tx.delete_window_task(&input.window_id, &input.window_task_id)? {
            return Err(mw::task_not_found(&input.window_id, &input.window_task_id).into());
        }
        Ok(())
    })?;
    Ok(DeregisterTaskFromMaintenanceWindowOutput {
        window_id: Some(input.window_id),
        window_task_id: Some(input.window_task_id),
    })
}

fn require_task(tx: &Tx<'_>, window_id: &str, task_id: &str) -> Result<WindowTask, Error> {
    require_window(tx, window_id)?;
    tx.window_task(window_id, task_id)?
        .ok_or_else(|| mw::task_not_found(window_id, task_id).into())
}

/// UpdateMaintenanceWindowTask: the members given replace the task's;
/// with `Replace`, `TaskArn` is required and the optional members not
/// given are cleared.
pub(super) fn update_task(
    state: &ApiState,
    input: UpdateMaintenanceWindowTaskInput,
) -> Result<UpdateMaintenanceWindowTaskOutput, Error> {
    let r = input.replace.unwrap_or(false);
    if r && input.task_arn.is_none() {
        return Err(invalid("TaskArn is required when Replace is true."));
    }
    let cutoff_behavior = input
        .cutoff_behavior
        .as_ref()
        .map(|b| CutoffBehavior::parse(b.as_str()))
        .transpose()?;
    let given_members = input
        .task_invocation_parameters
        .is_some()
        .then(|| invocation_members(&input.task_invocation_parameters));
    let task_parameters = to_json(&input.task_parameters)?;
    let invocation_parameters = to_json(&input.task_invocation_parameters)?;
    let logging_info = to_json(&input.logging_info)?;
    let alarm_configuration = to_json(&input.alarm_configuration)?;
    let task = state.store.write(|tx| -> Result<WindowTask, Error> {
        let window = require_window(tx, &input.window_id)?;
        let existing = require_task(tx, &input.window_id, &input.window_task_id)?;
        // The invocation parameters the task keeps decide which members it
        // has, when the update leaves them alone.
        let members = given_members.unwrap_or_else(|| {
            if r {
                InvocationMembers::default()
            } else {
                invocation_members(&from_json(&existing.invocation_parameters))
            }
        });
        let mut task = WindowTask {
            targets: match input.targets.clone() {
                Some(given) => core_targets(Some(given)),
                None if r => Vec::new(),
                None => existing.targets.clone(),
            },
            task_arn: input.task_arn.clone().unwrap_or(existing.task_arn.clone()),
            service_role_arn: merge(
                r,
                input.service_role_arn.clone(),
                &existing.service_role_arn,
            ),
            task_parameters: merge(r, task_parameters.clone(), &existing.task_parameters),
            invocation_parameters: merge(
                r,
                invocation_parameters.clone(),
                &existing.invocation_parameters,
            ),
            priority: match input.priority {
                Some(p) => p,
                None if r => DEFAULT_PRIORITY,
                None => existing.priority,
            },
            max_concurrency: merge(r, input.max_concurrency.clone(), &existing.max_concurrency),
            max_errors: merge(r, input.max_errors.clone(), &existing.max_errors),
            logging_info: merge(r, logging_info.clone(), &existing.logging_info),
            name: merge(r, input.name.clone(), &existing.name),
            description: merge(r, input.description.clone(), &existing.description),
            cutoff_behavior: match cutoff_behavior {
                Some(b) => b,
                None if r => CutoffBehavior::default(),
                None => existing.cutoff_behavior,
            },
            alarm_configuration: merge(
                r,
                alarm_configuration.clone(),
                &existing.alarm_configuration,
            ),
            ..existing
        };
        check_task(tx, &window, &mut task, members)?;
        tx.save_window_task(&task)?;
        Ok(task)
    })?;
    Ok(UpdateMaintenanceWindowTaskOutput {
        window_id: Some(task.window_id.clone()),
        window_task_id: Some(task.id.clone()),
        targets: Some(wire_targets(&task.targets)),
        task_arn: Some(task.task_arn.clone()),
        service_role_arn: task.service_role_arn.clone(),
        task_parameters: from_json(&task.task_parameters),
        task_invocation_parameters: from_json(&task.invocation_parameters),
        priority: Some(task.priority),
        max_concurrency: task.max_concurrency.clone(),
        max_errors: task.max_errors.clone(),
        logging_info: from_json(&task.logging_info),
        name: task.name.clone(),
        description: task.description.clone(),
        cutoff_behavior: Some(MaintenanceWindowTaskCutoffBehavior::from(
            task.cutoff_behavior.as_str(),
        )),
        alarm_configuration: from_json(&task.alarm_configuration),
    })
}

pub(super) fn get_task(
    state: &ApiState,
    input: GetMaintenanceWindowTaskInput,
) -> Result<GetMaintenanceWindowTaskOutput, Error> {
    let task = state
        .store
        .read(|tx| require_task(tx, &input.window_id, &input.window_task_id))?;
    Ok(GetMaintenanceWindowTaskOutput {
        window_id: Some(task.window_id.clone()),
        window_task_id: Some(task.id.clone()),
        targets: Some(wire_targets(&task.targets)),
        task_arn: Some(task.task_arn.clone()),
        service_role_arn: task.service_role_arn.clone(),
        task_type: Some(MaintenanceWindowTaskType::from(task.task_type.as_str())),
        task_parameters: from_json(&task.task_parameters),
        task_invocation_parameters: from_json(&task.invocation_parameters),
        priority: Some(task.priority),
        max_concurrency: task.max_concurrency.clone(),
        max_errors: task.max_errors.clone(),
        logging_info: from_json(&task.logging_info),
        name: task.name.clone(),
        description: task.description.clone(),
        cutoff_behavior: Some(MaintenanceWindowTaskCutoffBehavior::from(
            task.cutoff_behavior.as_str(),
        )),
        alarm_configuration: from_json(&task.alarm_configuration),
    })
}

fn wire_task(task: &WindowTask) -> MaintenanceWindowTask {
    MaintenanceWindowTask {
        window_id: Some(task.window_id.clone()),
        window_task_id: Some(task.id.clone()),
        task_arn: Some(task.task_arn.clone()),
        r#type: Some(MaintenanceWindowTaskType::from(task.task_type.as_str())),
        targets: Some(wire_targets(&task.targets)),
        task_parameters: from_json(&task.task_parameters),
        priority: Some(task.priority),
        logging_info: from_json(&task.logging_info),
        service_role_arn: task.service_role_arn.clone(),
        max_concurrency: task.max_concurrency.clone(),
        max_errors: task.max_errors.clone(),
        name: task.name.clone(),
        description: task.description.clone(),
        cutoff_behavior: Some(MaintenanceWindowTaskCutoffBehavior::from(
            task.cutoff_behavior.as_str(),
        )),
        alarm_configuration: from_json(&task.alarm_configuration),
    }
}

/// DescribeMaintenanceWindowTasks; filters `WindowTaskId`, `TaskArn`,
/// `Priority`, `TaskType`.
pub(super) fn describe_tasks(
    state: &ApiState,
    input: DescribeMaintenanceWindowTasksInput,
) -> Result<DescribeMaintenanceWindowTasksOutput, Error> {
    let filters = filters(input.filters);
    for (key, _) in &filters {
        if !matches!(
            key.as_str(),
            "WindowTaskId" | "TaskArn" | "Priority" | "TaskType"
        ) {
            return Err(unknown_filter(
                key,
                "WindowTaskId, TaskArn, Priority, TaskType",
            ));
        }
    }
    let tasks = state.store.read(|tx| -> Result<_, Error> {
        require_window(tx, &input.window_id)?;
        Ok(tx.window_tasks(&input.window_id)?)
    })?;
    let matching: Vec<WindowTask> = tasks
        .into_iter()
        .filter(|t| {
            filters.iter().all(|(key, values)| {
                let field = match key.as_str() {
                    "WindowTaskId" => t.id.clone(),
                    "TaskArn" => t.task_arn.clone(),
                    "Priority" => t.priority.to_string(),
                    _ => t.task_type.as_str().to_owned(),
                };
                values.contains(&field)
            })
        })
        .collect();
    let (tasks, next_token) = page(
        matching,
        |t| t.id.as_str(),
        input.next_token.as_deref(),
        page_size(input.max_results),
    )?;
    Ok(DescribeMaintenanceWindowTasksOutput {
        tasks: Some(tasks.iter().map(wire_task).collect()),
        next_token,
    })
}

// ---- Schedule and windows of a target ----

/// Whether a registered target covers a requested one: the same key with
/// a value in common (an instance id, a tag value, a tag key).
fn covers(registered: &[mw::Target], requested: &[mw::Target]) -> bool {
    requested.iter().any(|want| {
        registered
            .iter()
            .any(|have| have.key == want.key && have.values.iter().any(|v| want.values.contains(v)))
    })
}

/// The windows with a registered target covering `targets`.
fn windows_for(tx: &Tx<'_>, targets: &[mw::Target]) -> Result<Vec<String>, Error> {
    let mut ids: Vec<String> = Vec::new();
    for target in tx.all_window_targets()? {
        if covers(&target.targets, targets) && !ids.contains(&target.window_id) {
            ids.push(target.window_id);
        }
    }
    Ok(ids)
}

fn check_resource_type(resource_type: &MaintenanceWindowResourceType) -> Result<(), Error> {
    if resource_type.as_str() != mw::RESOURCE_TYPE_INSTANCE {
        return Err(invalid(format!(
            "The resource type {} is not supported by Ballast: use INSTANCE.",
            resource_type.as_str()
        )));
    }
    Ok(())
}

/// DescribeMaintenanceWindowsForTarget: the windows that registered a
/// target naming the same instances or tags.
pub(super) fn describe_for_target(
    state: &ApiState,
    input: DescribeMaintenanceWindowsForTargetInput,
) -> Result<DescribeMaintenanceWindowsForTargetOutput, Error> {
    check_resource_type(&input.resource_type)?;
    let requested = core_targets(Some(input.targets));
    let windows = state.store.read(|tx| -> Result<Vec<Window>, Error> {
        let ids = windows_for(tx, &requested)?;
        Ok(tx
            .maintenance_windows()?
            .into_iter()
            .filter(|w| ids.contains(&w.id))
            .collect())
    })?;
    let (windows, next_token) = page(
        windows,
        |w| w.id.as_str(),
        input.next_token.as_deref(),
        input
            .max_results
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, 1000),
    )?;
    Ok(DescribeMaintenanceWindowsForTargetOutput {
        window_identities: Some(
            windows
                .into_iter()
                .map(|w| MaintenanceWindowIdentityForTarget {
                    window_id: Some(w.id),
                    name: Some(w.name),
                })
                .collect(),
        ),
        next_token,
    })
}

/// DescribeMaintenanceWindowSchedule: the coming runs of one window
/// (`WindowId`), of the windows registered for `Targets`, or of every
/// window, soonest first; filters `ScheduledAfter` and `ScheduledBefore`
/// (ISO 8601). Disabled windows have no runs.
pub(super) fn describe_schedule(
    state: &ApiState,
    input: DescribeMaintenanceWindowScheduleInput,
) -> Result<DescribeMaintenanceWindowScheduleOutput, Error> {
    if let Some(kind) = &input.resource_type {
        check_resource_type(kind)?;
    }
    let mut after = now(state);
    let mut before: Option<i64> = None;
    for f in input.filters.unwrap_or_default() {
        let key = f.key.unwrap_or_default();
        let values = f.values.unwrap_or_default();
        let [value] = values.as_slice() else {
            return Err(invalid(format!(
                "The filter {key} takes exactly one value."
            )));
        };
        let at = parse_instant(&key, value)?;
        match key.as_str() {
            "ScheduledAfter" => after = after.max(at),
            "ScheduledBefore" => before = Some(at),
            other => return Err(unknown_filter(other, "ScheduledAfter, ScheduledBefore")),
        }
    }
    let size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, 1000);
    // A token is the last run returned: its instant and window.
    let resume: Option<(i64, String)> = match input.next_token.as_deref().filter(|t| !t.is_empty())
    {
        None => None,
        Some(token) => {
            let text = decode_token(token).ok_or_else(|| invalid("The NextToken is not valid."))?;
            let (millis, id) = text
                .split_once('|')
                .ok_or_else(|| invalid("The NextToken is not valid."))?;
            let millis: i64 = millis
                .parse()
                .map_err(|_| invalid("The NextToken is not valid."))?;
            Some((millis, id.to_owned()))
        }
    };
    let windows = state.store.read(|tx| -> Result<Vec<Window>, Error> {
        if let Some(id) = &input.window_id {
            return Ok(vec![require_window(tx, id)?]);
        }
        let all = tx.maintenance_windows()?;
        match input.targets.clone() {
            Some(targets) if !targets.is_empty() => {
                let ids = windows_for(tx, &core_targets(Some(targets)))?;
                Ok(all.into_iter().filter(|w| ids.contains(&w.id)).collect())
            }
            _ => Ok(all),
        }
    })?;
    // Each window's next `size + 1` runs after the resume point, merged
    // (one more is computed: the run the token names is among them).
    let mut runs: Vec<(i64, &Window, String)> = Vec::new();
    for w in &windows {
        let Ok(schedule) = w.schedule() else { continue };
        if !w.enabled {
            continue;
        }
        let from = match &resume {
            Some((millis, _)) => (*millis - 1).max(after),
            None => after,
        };
        for run in schedule.runs_after(from, size + 2) {
            let past_resume = resume
                .as_ref()
                .is_none_or(|(millis, id)| (run, &w.id) > (*millis, id));
            if past_resume && before.is_none_or(|b| run <= b) {
                runs.push((run, w, schedule.format(run)));
            }
        }
    }
    runs.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    let next_token = if runs.len() > size {
        runs.truncate(size);
        runs.last()
            .map(|(millis, w, _)| encode_token(&format!("{millis}|{}", w.id)))
    } else {
        None
    };
    Ok(DescribeMaintenanceWindowScheduleOutput {
        scheduled_window_executions: Some(
            runs.into_iter()
                .map(|(_, w, time)| ScheduledWindowExecution {
                    window_id: Some(w.id.clone()),
                    name: Some(w.name.clone()),
                    execution_time: Some(time),
                })
                .collect(),
        ),
        next_token,
    })
}

// ---- Executions ----

fn status(s: ExecutionStatus) -> MaintenanceWindowExecutionStatus {
    MaintenanceWindowExecutionStatus::from(s.as_str())
}

fn millis(m: Option<i64>) -> Option<Timestamp> {
    m.map(Timestamp::from_millis)
}

/// The `Status` filter of the execution task and invocation calls.
fn status_filter(filters: Vec<(String, Vec<String>)>) -> Result<Vec<Vec<String>>, Error> {
    filters
        .into_iter()
        .map(|(key, values)| {
            if key != "Status" {
                return Err(unknown_filter(&key, "Status"));
            }
            if let Some(bad) = values.iter().find(|v| ExecutionStatus::parse(v).is_none()) {
                return Err(invalid(format!("The status {bad} is not valid.")));
            }
            Ok(values)
        })
        .collect()
}

fn status_passes(s: ExecutionStatus, filters: &[Vec<String>]) -> bool {
    filters
        .iter()
        .all(|values| values.iter().any(|v| v == s.as_str()))
}

/// DescribeMaintenanceWindowExecutions: latest first; filters
/// `ExecutedAfter` and `ExecutedBefore` on the start time. A window with
/// no executions (or none at all) answers an empty list.
pub(super) fn describe_executions(
    state: &ApiState,
    input: DescribeMaintenanceWindowExecutionsInput,
) -> Result<DescribeMaintenanceWindowExecutionsOutput, Error> {
    let mut bounds: Vec<(bool, i64)> = Vec::new();
    for (key, values) in filters(input.filters) {
        let after = match key.as_str() {
            "ExecutedAfter" => true,
            "ExecutedBefore" => false,
            other => return Err(unknown_filter(other, "ExecutedAfter, ExecutedBefore")),
        };
        for value in values {
            bounds.push((after, parse_instant(&key, &value)?));
        }
    }
    let executions = state
        .store
        .read(|tx| tx.window_executions(&input.window_id))?;
    let matching: Vec<WindowExecution> = executions
        .into_iter()
        .filter(|e| {
            bounds.iter().all(|(after, at)| {
                if *after {
                    e.start_millis >= *at
                } else {
                    e.start_millis <= *at
                }
            })
        })
        .collect();
    let (executions, next_token) = page(
        matching,
        |e| e.id.as_str(),
        input.next_token.as_deref(),
        page_size(input.max_results),
    )?;
    Ok(DescribeMaintenanceWindowExecutionsOutput {
        window_executions: Some(
            executions
                .into_iter()
                .map(|e| MaintenanceWindowExecution {
                    window_id: Some(e.window_id),
                    window_execution_id: Some(e.id),
                    status: Some(status(e.status)),
                    status_details: e.status_details,
                    start_time: Some(Timestamp::from_millis(e.start_millis)),
                    end_time: millis(e.end_millis),
                })
                .collect(),
        ),
        next_token,
    })
}

fn require_execution(tx: &Tx<'_>, id: &str) -> Result<WindowExecution, Error> {
    tx.window_execution(id)?
        .ok_or_else(|| execution::execution_not_found(id).into())
}

fn require_task_execution(
    tx: &Tx<'_>,
    execution_id: &str,
    task_id: &str,
) -> Result<TaskExecution, Error> {
    require_execution(tx, execution_id)?;
    tx.task_execution(execution_id, task_id)?
        .ok_or_else(|| execution::task_execution_not_found(execution_id, task_id).into())
}

pub(super) fn get_execution(
    state: &ApiState,
    input: GetMaintenanceWindowExecutionInput,
) -> Result<GetMaintenanceWindowExecutionOutput, Error> {
    let (e, tasks) = state.store.read(|tx| -> Result<_, Error> {
        let e = require_execution(tx, &input.window_execution_id)?;
        let tasks = tx.task_executions(&e.id)?;
        Ok((e, tasks))
    })?;
    Ok(GetMaintenanceWindowExecutionOutput {
        window_execution_id: Some(e.id),
        task_ids: Some(tasks.into_iter().map(|t| t.id).collect()),
        status: Some(status(e.status)),
        status_details: e.status_details,
        start_time: Some(Timestamp::from_millis(e.start_millis)),
        end_time: millis(e.end_millis),
    })
}

/// DescribeMaintenanceWindowExecutionTasks; filter `Status`.
pub(super) fn describe_execution_tasks(
    state: &ApiState,
    input: DescribeMaintenanceWindowExecutionTasksInput,
) -> Result<DescribeMaintenanceWindowExecutionTasksOutput, Error> {
    let statuses = status_filter(filters(input.filters))?;
    let tasks = state.store.read(|tx| -> Result<_, Error> {
        require_execution(tx, &input.window_execution_id)?;
        Ok(tx.task_executions(&input.window_execution_id)?)
    })?;
    let matching: Vec<TaskExecution> = tasks
        .into_iter()
        .filter(|t| status_passes(t.status, &statuses))
        .collect();
    let (tasks, next_token) = page(
        matching,
        |t| t.id.as_str(),
        input.next_token.as_deref(),
        page_size(input.max_results),
    )?;
    Ok(DescribeMaintenanceWindowExecutionTasksOutput {
        window_execution_task_identities: Some(
            tasks
                .into_iter()
                .map(|t| MaintenanceWindowExecutionTaskIdentity {
                    window_execution_id: Some(t.window_execution_id),
                    task_execution_id: Some(t.id),
                    status: Some(status(t.status)),
                    status_details: t.status_details,
                    start_time: Some(Timestamp::from_millis(t.start_millis)),
                    end_time: millis(t.end_millis),
                    task_arn: Some(t.task_arn),
                    task_type: Some(MaintenanceWindowTaskType::from(t.task_type.as_str())),
                    alarm_configuration: from_json(&t.alarm_configuration),
                    triggered_alarms: None,
                })
                .collect(),
        ),
        next_token,
    })
}

pub(super) fn get_execution_task(
    state: &ApiState,
    input: GetMaintenanceWindowExecutionTaskInput,
) -> Result<GetMaintenanceWindowExecutionTaskOutput, Error> {
    let t = state
        .store
        .read(|tx| require_task_execution(tx, &input.window_execution_id, &input.task_id))?;
    let task_parameters: Option<BTreeMap<String, MaintenanceWindowTaskParameterValueExpression>> =
        from_json(&t.task_parameters);
    Ok(GetMaintenanceWindowExecutionTaskOutput {
        window_execution_id: Some(t.window_execution_id.clone()),
        task_execution_id: Some(t.id.clone()),
        task_arn: Some(t.task_arn.clone()),
        service_role: t.service_role.clone(),
        r#type: Some(MaintenanceWindowTaskType::from(t.task_type.as_str())),
        task_parameters: task_parameters.map(|p| vec![p]),
        priority: Some(t.priority),
        max_concurrency: t.max_concurrency.clone(),
        max_errors: t.max_errors.clone(),
        status: Some(status(t.status)),
        status_details: t.status_details.clone(),
        start_time: Some(Timestamp::from_millis(t.start_millis)),
        end_time: millis(t.end_millis),
        alarm_configuration: from_json(&t.alarm_configuration),
        triggered_alarms: None,
    })
}

fn wire_invocation(i: TaskInvocation) -> MaintenanceWindowExecutionTaskInvocationIdentity {
    MaintenanceWindowExecutionTaskInvocationIdentity {
        window_execution_id: Some(i.window_execution_id),
        task_execution_id: Some(i.task_execution_id),
        invocation_id: Some(i.id),
        execution_id: i.execution_id,
        task_type: Some(MaintenanceWindowTaskType::from(i.task_type.as_str())),
        parameters: i.parameters,
        status: Some(status(i.status)),
        status_details: i.status_details,
        start_time: Some(Timestamp::from_millis(i.start_millis)),
        end_time: millis(i.end_millis),
        owner_information: i.owner_information,
        window_target_id: i.window_target_id,
    }
}

/// DescribeMaintenanceWindowExecutionTaskInvocations; filter `Status`.
pub(super) fn describe_invocations(
    state: &ApiState,
    input: DescribeMaintenanceWindowExecutionTaskInvocationsInput,
) -> Result<DescribeMaintenanceWindowExecutionTaskInvocationsOutput, Error> {
    let statuses = status_filter(filters(input.filters))?;
    let invocations = state.store.read(|tx| -> Result<_, Error> {
        require_task_execution(tx, &input.window_execution_id, &input.task_id)?;
        Ok(tx.task_invocations(&input.window_execution_id, &input.task_id)?)
    })?;
    let matching: Vec<TaskInvocation> = invocations
        .into_iter()
        .filter(|i| status_passes(i.status, &statuses))
        .collect();
    let (invocations, next_token) = page(
        matching,
        |i| i.id.as_str(),
        input.next_token.as_deref(),
        page_size(input.max_results),
    )?;
    Ok(DescribeMaintenanceWindowExecutionTaskInvocationsOutput {
        window_execution_task_invocation_identities: Some(
            invocations.into_iter().map(wire_invocation).collect(),
        ),
        next_token,
    })
}

pub(super) fn get_invocation(
    state: &ApiState,
    input: GetMaintenanceWindowExecutionTaskInvocationInput,
) -> Result<GetMaintenanceWindowExecutionTaskInvocationOutput, Error> {
    let i = state.store.read(|tx| -> Result<TaskInvocation, Error> {
        require_task_execution(tx, &input.window_execution_id, &input.task_id)?;
        tx.task_invocation(
            &input.window_execution_id,
            &input.task_id,
            &input.invocation_id,
        )?
        .ok_or_else(|| execution::invocation_not_found(&input.task_id, &input.invocation_id).into())
    })?;
    let w = wire_invocation(i);
    Ok(GetMaintenanceWindowExecutionTaskInvocationOutput {
        window_execution_id: w.window_execution_id,
        task_execution_id: w.task_execution_id,
        invocation_id: w.invocation_id,
        execution_id: w.execution_id,
        task_type: w.task_type,
        parameters: w.parameters,
        status: w.status,
        status_details: w.status_details,
        start_time: w.start_time,
        end_time: w.end_time,
        owner_information: w.owner_information,
        window_target_id: w.window_target_id,
    })
}

/// CancelMaintenanceWindowExecution: the runner stops a run in progress
/// (it is `CANCELLING` until then); a finished one is left as it is.
pub(super) fn cancel_execution(
    state: &ApiState,
    input: CancelMaintenanceWindowExecutionInput,
) -> Result<CancelMaintenanceWindowExecutionOutput, Error> {
    let now = now(state);
    state.store.write(|tx| -> Result<(), Error> {
        let mut e = require_execution(tx, &input.window_execution_id)?;
        if e.cancel(now) {
            tx.save_window_execution(&e)?;
        }
        Ok(())
    })?;
    Ok(CancelMaintenanceWindowExecutionOutput {
        window_execution_id: Some(input.window_execution_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covering_targets() {
        let t = |k: &str, v: &[&str]| mw::Target {
            key: k.to_owned(),
            values: v.iter().map(|s| (*s).to_owned()).collect(),
        };
        let registered = [t("tag:Role", &["web", "db"])];
        assert!(covers(&registered, &[t("tag:Role", &["web"])]));
        assert!(!covers(&registered, &[t("tag:Role", &["cache"])]));
        assert!(!covers(&registered, &[t("InstanceIds", &["web"])]));
    }
}
