//! Maintenance windows, run: each pass fires the windows whose schedule
//! is due (a window execution, on the wall clock), then moves every open
//! window execution on: its tasks by `Priority`, each task's invocations
//! (one per target) under `MaxConcurrency` and `MaxErrors`, each
//! invocation a Run Command command or an Automation execution started as
//! the task's service role, until the window's cutoff.
//!
//! The decisions are `ballast_core::ssm::maintenance_window::run`'s; this
//! module observes (the store, the API through [`ApiInvoker`]) and
//! records what happened in the store, where the API's Describe and Get
//! calls read it. Everything is saved as it happens, so a restarted
//! Ballast carries on with the same executions.

use std::collections::{BTreeMap, BTreeSet};

use ballast_core::clock::epoch_millis;
use ballast_core::ec2::instance::InstanceState;
use ballast_core::ssm::automation::Identity;
use ballast_core::ssm::command::{Limit, Target};
use ballast_core::ssm::maintenance_window::execution::{
    ExecutionStatus, TaskExecution, TaskInvocation, WindowExecution,
};
use ballast_core::ssm::maintenance_window::run::{self, Firing, Pseudo};
use ballast_core::ssm::maintenance_window::{CutoffBehavior, TaskType, Window, WindowTask};
use ballast_core::ssm::rate;
use ballast_store::{StoreError, Tx};
use serde_json::{Map, Value, json};

use crate::Inner;

/// The session name a task's service role acts under.
const SESSION: &str = "MaintenanceWindow";

pub(crate) fn run(inner: &Inner) -> Result<(), StoreError> {
    let windows = inner.store.read(|tx| tx.maintenance_windows())?;
    for window in windows {
        let open = inner
            .store
            .read(|tx| tx.open_window_executions(&window.id))?;
        if let Err(error) = fire(inner, &window, !open.is_empty()) {
            tracing::error!(%error, window = window.id, "firing a maintenance window");
        }
        for execution in open {
            if let Err(error) = drive(inner, &window, execution) {
                tracing::error!(%error, window = window.id, "running a maintenance window");
            }
        }
    }
    Ok(())
}

fn now(inner: &Inner) -> i64 {
    epoch_millis(inner.clock.now())
}

/// Starts a window execution when the schedule says so; `open` when a
/// run of the window is still going.
fn fire(inner: &Inner, window: &Window, open: bool) -> Result<(), StoreError> {
    let now = now(inner);
    inner.store.write(|tx| {
        let latest = tx.latest_window_execution_start(&window.id)?;
        let (at, status, details) = match run::firing(window, latest, open, now, inner.scale) {
            Firing::Idle => return Ok(()),
            Firing::Start(at) => (at, ExecutionStatus::InProgress, None),
            Firing::Overlapping(at) => (
                at,
                ExecutionStatus::SkippedOverlapping,
                Some("The previous execution of this window was still running.".to_owned()),
            ),
        };
        let end_millis = (status == ExecutionStatus::SkippedOverlapping).then_some(now);
        tracing::info!(
            window = window.id,
            status = status.as_str(),
            "maintenance window fires"
        );
        tx.save_window_execution(&WindowExecution {
            window_id: window.id.clone(),
            id: inner.ids.request_id(),
            status,
            status_details: details,
            start_millis: at,
            end_millis,
        })
    })
}

/// Moves one window execution on, and saves what changed.
fn drive(inner: &Inner, window: &Window, mut execution: WindowExecution) -> Result<(), StoreError> {
    let now = now(inner);
    let tasks = inner.store.read(|tx| tx.task_executions(&execution.id))?;
    if execution.status == ExecutionStatus::Cancelling {
        for task in tasks.iter().filter(|t| !t.status.is_final()) {
            cancel_task(inner, task, ExecutionStatus::Cancelled, now)?;
        }
        execution.status = ExecutionStatus::Cancelled;
        execution.end_millis = Some(now);
        return inner.store.write(|tx| tx.save_window_execution(&execution));
    }
    let past_cutoff = now >= run::cutoff_at(window, execution.start_millis, inner.scale);
    // Which registered tasks a cutoff stops; read only once it has come.
    let cutoff_behavior: BTreeMap<String, CutoffBehavior> = if past_cutoff {
        inner
            .store
            .read(|tx| tx.window_tasks(&window.id))?
            .into_iter()
            .map(|t| (t.id, t.cutoff_behavior))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut open = false;
    for task in tasks.iter().filter(|t| !t.status.is_final()) {
        let stops = cutoff_behavior
            .get(&task.window_task_id)
            .is_some_and(|b| run::stops_at_cutoff(task.task_type, *b));
        if stops {
            cancel_task(inner, task, ExecutionStatus::TimedOut, now)?;
            continue;
        }
        open |= !advance_task(inner, window, &execution, task.clone(), past_cutoff, now)?;
    }
    if open {
        return Ok(());
    }
    // Every started task is over (as just saved): the next priority, or
    // the end.
    let tasks = inner.store.read(|tx| tx.task_executions(&execution.id))?;
    let registered = inner.store.read(|tx| tx.window_tasks(&window.id))?;
    let started: BTreeSet<&str> = tasks.iter().map(|t| t.window_task_id.as_str()).collect();
    let next_priority = registered
        .iter()
        .filter(|t| !started.contains(t.id.as_str()))
        .map(|t| t.priority)
        .min();
    match next_priority {
        Some(priority) if !past_cutoff => {
            let group: Vec<&WindowTask> = registered
                .iter()
                .filter(|t| t.priority == priority && !started.contains(t.id.as_str()))
                .collect();
            inner.store.write(|tx| {
                for task in group {
                    start_task(inner, tx, window, &execution, task, now)?;
                }
                Ok(())
            })
        }
        remaining => {
            let statuses: Vec<ExecutionStatus> = tasks.iter().map(|t| t.status).collect();
            execution.status = run::window_status(&statuses, remaining.is_some());
            execution.end_millis = Some(now);
            tracing::info!(
                window = window.id,
                status = execution.status.as_str(),
                "maintenance window execution ends"
            );
            inner.store.write(|tx| tx.save_window_execution(&execution))
        }
    }
}

/// A task execution for `task`, with a pending invocation per target.
fn start_task(
    inner: &Inner,
    tx: &Tx<'_>,
    window: &Window,
    execution: &WindowExecution,
    task: &WindowTask,
    now: i64,
) -> Result<(), StoreError> {
    let task_execution = TaskExecution {
        window_execution_id: execution.id.clone(),
        id: inner.ids.request_id(),
        window_task_id: task.id.clone(),
        task_arn: task.task_arn.clone(),
        task_type: task.task_type,
        service_role: task.service_role_arn.clone(),
        task_parameters: task.invocation_parameters.clone(),
        priority: task.priority,
        max_concurrency: task.max_concurrency.clone(),
        max_errors: task.max_errors.clone(),
        status: ExecutionStatus::InProgress,
        status_details: None,
        start_millis: now,
        end_millis: None,
        alarm_configuration: task.alarm_configuration.clone(),
    };
    tx.save_task_execution(&task_execution)?;
    let targets = task_targets(tx, window, task)?;
    for (instance, window_target) in targets {
        tx.save_task_invocation(&TaskInvocation {
            window_execution_id: execution.id.clone(),
            task_execution_id: task_execution.id.clone(),
            id: inner.ids.request_id(),
            execution_id: None,
            task_type: task.task_type,
            parameters: None,
            status: ExecutionStatus::Pending,
            status_details: None,
            start_millis: now,
            end_millis: None,
            owner_information: None,
            window_target_id: window_target,
            target_id: instance,
        })?;
    }
    Ok(())
}

/// One invocation's target: the instance (none for a task without
/// targets) and the window target that named it, if one did.
type InvocationTarget = (Option<String>, Option<String>);

/// The instances a task runs on, each with the window target that named
/// it; one entry with no instance for a task without targets.
fn task_targets(
    tx: &Tx<'_>,
    window: &Window,
    task: &WindowTask,
) -> Result<Vec<InvocationTarget>, StoreError> {
    if task.targets.is_empty() {
        return Ok(vec![(None, None)]);
    }
    let mut out: Vec<InvocationTarget> = Vec::new();
    let mut seen = BTreeSet::new();
    for target in &task.targets {
        if target.key == "WindowTargetIds" {
            for id in &target.values {
                let Some(registered) = tx.window_target(&window.id, id)? else {
                    continue;
                };
                for instance in instances_matching(tx, &registered.targets)? {
                    if seen.insert(instance.clone()) {
                        out.push((Some(instance), Some(id.clone())));
                    }
                }
            }
        } else {
            for instance in instances_matching(tx, std::slice::from_ref(target))? {
                if seen.insert(instance.clone()) {
                    out.push((Some(instance), None));
                }
            }
        }
    }
    Ok(out)
}

/// The live instances every one of `targets` selects (`InstanceIds`,
/// `tag:NAME`, `tag-key`), in id order.
fn instances_matching(tx: &Tx<'_>, targets: &[Target]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for instance in tx.instances()? {
        if instance.state == InstanceState::Terminated {
            continue;
        }
        let tags = tx.tags(&instance.id)?;
        if targets.iter().all(|t| t.selects(&instance.id, &tags)) {
            out.push(instance.id.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// Looks in on a task's invocations, starts the ones its limits allow,
/// and ends it when they are all over. Whether the task is over.
fn advance_task(
    inner: &Inner,
    window: &Window,
    execution: &WindowExecution,
    mut task: TaskExecution,
    past_cutoff: bool,
    now: i64,
) -> Result<bool, StoreError> {
    let identity = identity(inner, task.service_role.as_deref())?;
    let mut invocations = inner
        .store
        .read(|tx| tx.task_invocations(&execution.id, &task.id))?;
    for invocation in invocations
        .iter_mut()
        .filter(|i| i.status == ExecutionStatus::InProgress)
    {
        if let Some((status, details)) = observe(inner, &identity, invocation) {
            invocation.status = status;
            invocation.status_details = Some(details);
            invocation.end_millis = Some(now);
            inner
                .store
                .write(|tx| tx.save_task_invocation(invocation))?;
        }
    }
    let progress: Vec<rate::Progress> = invocations
        .iter()
        .map(|i| run::progress(i.status))
        .collect();
    let concurrency = limit(
        task.max_concurrency.as_deref(),
        "1",
        "MaxConcurrency",
        false,
    );
    let errors = limit(task.max_errors.as_deref(), "0", "MaxErrors", true);
    match rate::step(&progress, concurrency, errors, past_cutoff) {
        rate::Step::Wait => Ok(false),
        rate::Step::Start(indexes) => {
            for index in indexes {
                if let Some(invocation) = invocations.get_mut(index) {
                    start_invocation(inner, window, execution, &task, &identity, invocation, now);
                    inner
                        .store
                        .write(|tx| tx.save_task_invocation(invocation))?;
                }
            }
            Ok(false)
        }
        rate::Step::Done(ending) => {
            for invocation in invocations
                .iter_mut()
                .filter(|i| i.status == ExecutionStatus::Pending)
            {
                invocation.status = ExecutionStatus::Cancelled;
                invocation.status_details = Some(
                    "Not started: the task's MaxErrors or the window's cutoff stopped it."
                        .to_owned(),
                );
                invocation.end_millis = Some(now);
                inner
                    .store
                    .write(|tx| tx.save_task_invocation(invocation))?;
            }
            task.status = run::task_status(ending);
            task.end_millis = Some(now);
            inner.store.write(|tx| tx.save_task_execution(&task))?;
            Ok(true)
        }
    }
}

fn limit(text: Option<&str>, default: &str, name: &str, zero_allowed: bool) -> Limit {
    Limit::parse(text.unwrap_or(default), name, zero_allowed)
        .or_else(|_| Limit::parse(default, name, zero_allowed))
        .unwrap_or(Limit::Count(1))
}

/// Who a task's calls act as: its service role, or the account's root
/// when it has none (AWS's service-linked role may do what the window
/// needs).
fn identity(inner: &Inner, role_arn: Option<&str>) -> Result<Identity, StoreError> {
    let Some(arn) = role_arn else {
        return Ok(Identity::Root);
    };
    let role = inner.store.read(|tx| tx.role_by_arn(arn))?;
    Ok(match role {
        Some(role) => Identity::Role {
            role: role.reference(),
            session_name: SESSION.to_owned(),
        },
        None => Identity::Root,
    })
}

/// Starts one invocation: its parameters with the pseudo parameters
/// replaced, sent as SendCommand or StartAutomationExecution.
fn start_invocation(
    inner: &Inner,
    window: &Window,
    execution: &WindowExecution,
    task: &TaskExecution,
    identity: &Identity,
    invocation: &mut TaskInvocation,
    now: i64,
) {
    let target = invocation.target_id.clone();
    let pseudo = Pseudo {
        window_id: &window.id,
        window_execution_id: &execution.id,
        window_task_id: &task.window_task_id,
        target_id: target.as_deref(),
        window_target_id: invocation.window_target_id.as_deref(),
    };
    let parameters = task.task_parameters.clone().unwrap_or(Value::Null);
    let (api, input) = match task.task_type {
        TaskType::Automation => {
            let given = pseudo.substitute(parameters.get("Automation").unwrap_or(&Value::Null));
            let mut input = Map::new();
            input.insert(
                "DocumentName".to_owned(),
                Value::String(task.task_arn.clone()),
            );
            for key in ["DocumentVersion", "Parameters"] {
                if let Some(value) = given.get(key) {
                    input.insert(key.to_owned(), value.clone());
                }
            }
            ("StartAutomationExecution", Value::Object(input))
        }
        _ => {
            let given = pseudo.substitute(parameters.get("RunCommand").unwrap_or(&json!({})));
            let mut input = given.as_object().cloned().unwrap_or_default();
            input.insert(
                "DocumentName".to_owned(),
                Value::String(task.task_arn.clone()),
            );
            if let Some(target) = &target {
                input.insert("InstanceIds".to_owned(), json!([target]));
            }
            ("SendCommand", Value::Object(input))
        }
    };
    invocation.parameters = Some(input.to_string());
    invocation.start_millis = now;
    match inner.api.call(identity, "ssm", api, input) {
        Ok(response) => {
            let id = response
                .get("AutomationExecutionId")
                .or_else(|| response.pointer("/Command/CommandId"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            invocation.execution_id = id;
            invocation.status = ExecutionStatus::InProgress;
        }
        Err(error) => {
            invocation.status = ExecutionStatus::Failed;
            invocation.status_details = Some(error.to_string());
            invocation.end_millis = Some(now);
        }
    }
}

/// What became of a running invocation, once it is over: its status and
/// AWS's details text.
fn observe(
    inner: &Inner,
    identity: &Identity,
    invocation: &TaskInvocation,
) -> Option<(ExecutionStatus, String)> {
    let id = invocation.execution_id.as_deref()?;
    let status = match invocation.task_type {
        TaskType::Automation => inner
            .store
            .read(|tx| tx.automation_execution(id))
            .ok()??
            .status
            .as_str()
            .to_owned(),
        _ => {
            let listed = inner
                .api
                .call(identity, "ssm", "ListCommands", json!({ "CommandId": id }))
                .ok()?;
            listed.pointer("/Commands/0/Status")?.as_str()?.to_owned()
        }
    };
    let ended = match status.as_str() {
        "Success" => ExecutionStatus::Success,
        "Failed" => ExecutionStatus::Failed,
        "TimedOut" => ExecutionStatus::TimedOut,
        "Cancelled" => ExecutionStatus::Cancelled,
        _ => return None,
    };
    Some((ended, status))
}

/// Stops a task: its running invocations are stopped, the rest never
/// start, and all end `status` (`CANCELLED` for
/// CancelMaintenanceWindowExecution, `TIMED_OUT` at a `CANCEL_TASK`
/// cutoff).
fn cancel_task(
    inner: &Inner,
    task: &TaskExecution,
    status: ExecutionStatus,
    now: i64,
) -> Result<(), StoreError> {
    let identity = identity(inner, task.service_role.as_deref())?;
    let mut invocations = inner
        .store
        .read(|tx| tx.task_invocations(&task.window_execution_id, &task.id))?;
    for invocation in invocations.iter_mut().filter(|i| !i.status.is_final()) {
        if invocation.status == ExecutionStatus::InProgress
            && let Some(id) = invocation.execution_id.as_deref()
        {
            stop(inner, &identity, invocation.task_type, id)?;
        }
        invocation.status = status;
        invocation.end_millis = Some(now);
        inner
            .store
            .write(|tx| tx.save_task_invocation(invocation))?;
    }
    let mut task = task.clone();
    task.status = status;
    task.end_millis = Some(now);
    inner.store.write(|tx| tx.save_task_execution(&task))
}

fn stop(
    inner: &Inner,
    identity: &Identity,
    task_type: TaskType,
    id: &str,
) -> Result<(), StoreError> {
    match task_type {
        TaskType::Automation => crate::pass::request_stop(inner, id),
        _ => {
            let _ = inner
                .api
                .call(identity, "ssm", "CancelCommand", json!({ "CommandId": id }));
            Ok(())
        }
    }
}
