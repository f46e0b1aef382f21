//! One pass: every open execution moved as far as it can go now.

use ballast_core::clock::epoch_millis;
use ballast_core::ssm::automation::machine::{self, Outcome};
use ballast_core::ssm::automation::placeholder::{self, Context};
use ballast_core::ssm::automation::{Execution, Status};
use ballast_store::StoreError;

use crate::Inner;
use crate::actions;

/// How many steps one execution may take in one pass: enough for a
/// runbook of quick API calls to finish at once, few enough that a loop
/// through `nextStep` cannot hold the pass.
const STEPS_PER_PASS: usize = 32;

pub(crate) fn run(inner: &Inner) -> Result<(), StoreError> {
    let open = inner.store.read(|tx| tx.open_automation_executions())?;
    for id in open {
        if let Err(error) = drive(inner, &id) {
            tracing::error!(%error, execution = id, "driving an automation execution");
        }
    }
    Ok(())
}

fn now(inner: &Inner) -> i64 {
    epoch_millis(inner.clock.now())
}

/// Moves one execution on, then saves it.
fn drive(inner: &Inner, id: &str) -> Result<(), StoreError> {
    let Some(mut execution) = inner.store.read(|tx| tx.automation_execution(id))? else {
        return Ok(());
    };
    if execution.rate_control.is_some() {
        if !execution.status.is_terminal() {
            crate::rate::drive(inner, &mut execution, now(inner));
        }
        return save(inner, execution);
    }
    for _ in 0..STEPS_PER_PASS {
        if execution.status.is_terminal() {
            break;
        }
        let now = now(inner);
        if machine::cancel_pending(&execution) {
            let waiting = machine::cancel(&mut execution, now);
            actions::abandon(inner, &execution, waiting);
            break;
        }
        let Some(index) = execution.current else {
            break;
        };
        let starting = matches!(
            execution.steps.get(index).and_then(|s| s.status),
            None | Some(Status::Pending)
        );
        if starting {
            let inputs = {
                let ctx = Context {
                    execution: &execution,
                    account: &inner.scope.account,
                    region: &inner.scope.region,
                    now_millis: now,
                };
                placeholder::substitute(&execution.steps[index].def.inputs, &ctx)
            };
            machine::start_attempt(
                &mut execution,
                index,
                inputs,
                inner.ids.request_id(),
                now,
                inner.scale,
            );
        }
        if machine::timed_out(&execution, now) {
            let waiting = execution.steps[index].wait.take();
            actions::abandon(inner, &execution, waiting);
            machine::finish_attempt(&mut execution, Outcome::Running(None), true, now);
            continue;
        }
        let outcome = actions::poll(inner, &mut execution, index, now);
        let waits = matches!(outcome, Outcome::Running(_));
        machine::finish_attempt(&mut execution, outcome, false, now);
        if waits {
            break;
        }
    }
    save(inner, execution)
}

/// Saves an execution, keeping what the API did meanwhile: a stop it was
/// asked for, signals sent to a step.
fn save(inner: &Inner, mut execution: Execution) -> Result<(), StoreError> {
    let stopped = inner.store.write(|tx| -> Result<bool, StoreError> {
        let stored = tx.automation_execution(&execution.id)?;
        if let Some(stored) = &stored {
            keep_signals(stored, &mut execution);
        }
        let asked = stored.is_some_and(|stored| stored.cancel_requested);
        let stopped = asked && !execution.cancel_requested && !execution.status.is_terminal();
        if stopped {
            execution.cancel_requested = true;
            execution.status = Status::Cancelling;
        }
        tx.save_automation_execution(&execution)?;
        Ok(stopped)
    })?;
    if stopped {
        // Cancel on the next pass, soon.
        use ballast_core::ssm::automation::Automation as _;
        inner.wake.changed();
    }
    Ok(())
}

/// Signals only the API adds, to the attempt a step is in: the stored
/// attempt's signals are all of them.
fn keep_signals(stored: &Execution, execution: &mut Execution) {
    for (ours, theirs) in execution.steps.iter_mut().zip(&stored.steps) {
        if ours.attempt == theirs.attempt && theirs.signals.len() > ours.signals.len() {
            ours.signals = theirs.signals.clone();
        }
    }
}

/// Asks the execution `id` to stop (a child whose parent stopped, a
/// window's runbook when the window is cancelled); the next pass cancels it.
pub(crate) fn request_stop(inner: &Inner, id: &str) -> Result<(), StoreError> {
    inner.store.write(|tx| {
        if let Some(mut execution) = tx.automation_execution(id)?
            && execution.request_cancel()
        {
            tx.save_automation_execution(&execution)?;
        }
        Ok(())
    })
}

/// Starts a child of `parent` (StartAutomationExecution through the API,
/// as the parent's identity, with `request` as its input) and records
/// the parent on it, as DescribeAutomationExecutions' `ParentExecutionId`
/// filter shows, and the `target` it runs for. The child's id, or why it
/// could not start.
pub(crate) fn start_child(
    inner: &Inner,
    parent: &Execution,
    request: serde_json::Map<String, serde_json::Value>,
    target: Option<String>,
) -> Result<String, String> {
    let started = inner
        .api
        .call(
            &parent.identity,
            "ssm",
            "StartAutomationExecution",
            serde_json::Value::Object(request),
        )
        .map_err(|e| e.to_string())?;
    let id = started
        .get("AutomationExecutionId")
        .and_then(serde_json::Value::as_str)
        .ok_or("StartAutomationExecution answered without an id.")?
        .to_owned();
    inner
        .store
        .write(|tx| {
            if let Some(mut child) = tx.automation_execution(&id)? {
                child.parent_id = Some(parent.id.clone());
                child.target = target;
                tx.save_automation_execution(&child)?;
            }
            Ok::<_, StoreError>(())
        })
        .map_err(|e| e.to_string())?;
    Ok(id)
}
