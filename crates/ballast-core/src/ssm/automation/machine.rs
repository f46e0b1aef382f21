//! The step state machine: starting a step's attempt, what an attempt's
//! outcome does (retry while `maxAttempts` allows, then `onFailure`),
//! timeouts, which step comes next (`nextStep`, `isEnd`, an `aws:branch`
//! choice), how an execution ends, and cancellation.
//!
//! Durations in documents are AWS seconds; deadlines are on the scaled
//! clock (`--time-scale`), while the API keeps showing the documented
//! values.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::{Execution, OnFailure, Status, Wait};
use crate::TimeScale;

/// The end of AWS's failure messages.
pub const GUIDE: &str =
    "Please refer to Automation Service Troubleshooting Guide for more diagnosis details.";

/// `aws:waitForAwsResourceProperty`'s timeout when the step sets none.
pub const WAIT_FOR_DEFAULT_TIMEOUT_SECONDS: i64 = 3600;

/// What one attempt of a step came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Still going: the engine looks again on a later pass.
    Running(Option<Wait>),
    /// Done; `next` is the step an `aws:branch` chose.
    Success {
        outputs: BTreeMap<String, Value>,
        next: Option<String>,
    },
    Failed {
        message: String,
        outputs: BTreeMap<String, Value>,
    },
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The timeout of a step's attempt in AWS seconds, if it has one.
pub fn timeout_seconds(action: &str, timeout: Option<i64>) -> Option<i64> {
    match (action, timeout) {
        (_, Some(t)) => Some(t),
        ("aws:waitForAwsResourceProperty", None) => Some(WAIT_FOR_DEFAULT_TIMEOUT_SECONDS),
        (super::signal::APPROVE, None) => Some(super::signal::APPROVE_DEFAULT_TIMEOUT_SECONDS),
        _ => None,
    }
}

/// Starts the next attempt of step `index` with `inputs` (placeholders
/// replaced). `step_id` is used the first time the step starts.
pub fn start_attempt(
    execution: &mut Execution,
    index: usize,
    inputs: Value,
    step_id: String,
    now: i64,
    scale: TimeScale,
) {
    execution.status = if execution.cancel_handled {
        Status::Cancelling
    } else {
        Status::InProgress
    };
    execution.current = Some(index);
    let Some(step) = execution.steps.get_mut(index) else {
        return;
    };
    step.id.get_or_insert(step_id);
    step.started_millis.get_or_insert(now);
    step.status = Some(Status::InProgress);
    step.attempt += 1;
    step.inputs = Some(inputs);
    step.wait = None;
    step.signals.clear();
    step.failure_message = None;
    step.deadline_millis = timeout_seconds(&step.def.action, step.def.timeout_seconds).map(|t| {
        now.saturating_add(millis(
            scale.scale(Duration::from_secs(u64::try_from(t).unwrap_or(0))),
        ))
    });
}

/// Whether the current attempt of the running step ran out of time.
pub fn timed_out(execution: &Execution, now: i64) -> bool {
    execution
        .current_step()
        .and_then(|s| s.deadline_millis)
        .is_some_and(|deadline| now >= deadline)
}

/// Applies what the running step's attempt came to; `timed_out` when its
/// deadline passed first.
pub fn finish_attempt(execution: &mut Execution, outcome: Outcome, timed_out: bool, now: i64) {
    let Some(index) = execution.current else {
        return;
    };
    let Some(step) = execution.steps.get_mut(index) else {
        return;
    };
    let (status, message, outputs, next) = match (outcome, timed_out) {
        (_, true) => (
            Status::TimedOut,
            format!(
                "Step timed out while step is verifying the {} action. {GUIDE}",
                step.def.action
            ),
            BTreeMap::new(),
            None,
        ),
        (Outcome::Running(wait), false) => {
            // Paused for a person: the step and the execution show it.
            let paused = wait == Some(Wait::Signal);
            if paused {
                step.status = Some(Status::Waiting);
            }
            step.wait = wait;
            if paused {
                execution.status = Status::Waiting;
            }
            return;
        }
        (Outcome::Success { outputs, next }, false) => {
            (Status::Success, String::new(), outputs, next)
        }
        (Outcome::Failed { message, outputs }, false) => (Status::Failed, message, outputs, None),
    };
    step.outputs.extend(outputs);
    step.wait = None;
    if status != Status::Success && step.attempt < step.def.max_attempts {
        // Another attempt, on the next pass.
        step.status = Some(Status::Pending);
        step.failure_message = Some(message);
        return;
    }
    step.status = Some(status);
    step.ended_millis = Some(now);
    step.deadline_millis = None;
    if status == Status::Success {
        step.failure_message = None;
        let after = if step.def.is_end {
            None
        } else if let Some(name) = next.or_else(|| step.def.next_step.clone()) {
            execution.steps.iter().position(|s| s.def.name == name)
        } else {
            Some(index + 1)
        };
        go_to(execution, after, now);
        return;
    }
    step.failure_message = Some(message.clone());
    match step.def.on_failure.clone() {
        OnFailure::Abort => {
            let name = step.def.name.clone();
            end(
                execution,
                status,
                Some(format!(
                    "Step fails when it is executing step {name}. {message} {GUIDE}"
                )),
                now,
            );
        }
        OnFailure::Continue => go_to(execution, Some(index + 1), now),
        OnFailure::Step(name) => {
            let after = execution.steps.iter().position(|s| s.def.name == name);
            go_to(execution, after, now);
        }
    }
}

/// Moves to step `after`, or ends the execution when there is none.
fn go_to(execution: &mut Execution, after: Option<usize>, now: i64) {
    match after.filter(|i| *i < execution.steps.len()) {
        Some(i) => {
            execution.current = Some(i);
            // A step run again (a loop through nextStep) starts afresh.
            if let Some(step) = execution.steps.get_mut(i)
                && step.status.is_some_and(Status::is_terminal)
            {
                step.status = None;
                step.attempt = 0;
                step.ended_millis = None;
                step.outputs.clear();
                step.signals.clear();
            }
        }
        None => {
            // A critical step that failed (and let the runbook go on)
            // makes the whole execution fail.
            let failed = execution.steps.iter().find(|s| {
                s.def.is_critical
                    && matches!(s.status, Some(Status::Failed) | Some(Status::TimedOut))
            });
            match failed {
                Some(step) => {
                    let message = format!(
                        "Step fails when it is executing step {}. {} {GUIDE}",
                        step.def.name,
                        step.failure_message.clone().unwrap_or_default()
                    );
                    end(execution, Status::Failed, Some(message), now);
                }
                None => end(execution, Status::Success, None, now),
            }
        }
    }
}

/// Ends the execution with `status`; one that went on to its `onCancel`
/// step ends `Cancelled` whatever that step came to.
pub fn end(execution: &mut Execution, status: Status, message: Option<String>, now: i64) {
    let status = if execution.cancel_handled {
        Status::Cancelled
    } else {
        status
    };
    execution.status = status;
    execution.failure_message = message;
    execution.ended_millis = Some(now);
    execution.current = None;
}

/// StopAutomationExecution (Cancel): the running step is `Cancelled`;
/// then the execution goes on from the step its `onCancel` names (still
/// `Cancelling`; a stop asked for meanwhile changes nothing more), or
/// ends `Cancelled`.
/// Returns what the step was waiting on, for the engine to cancel too (a
/// command, a child execution).
pub fn cancel(execution: &mut Execution, now: i64) -> Option<Wait> {
    let mut waiting = None;
    let mut on_cancel = OnFailure::Abort;
    if let Some(step) = execution.current.and_then(|i| execution.steps.get_mut(i))
        && step.status.is_some()
    {
        step.status = Some(Status::Cancelled);
        step.ended_millis = Some(now);
        step.deadline_millis = None;
        waiting = step.wait.take();
        on_cancel = step.def.on_cancel.clone();
    }
    let cleanup = match on_cancel {
        OnFailure::Step(name) if !execution.cancel_handled => {
            execution.steps.iter().position(|s| s.def.name == name)
        }
        _ => None,
    };
    match cleanup {
        Some(index) => {
            execution.cancel_handled = true;
            execution.status = Status::Cancelling;
            go_to(execution, Some(index), now);
        }
        None => end(execution, Status::Cancelled, None, now),
    }
    waiting
}

/// Whether a stop was asked for that the engine has not acted on yet.
pub fn cancel_pending(execution: &Execution) -> bool {
    execution.cancel_requested && !execution.cancel_handled
}

/// `aws:branch`: the `NextStep` of the first of `Choices` that holds,
/// else `Default`; `Err` when none holds and there is no default.
pub fn branch(inputs: &Value) -> Result<String, String> {
    if let Some(Value::Array(choices)) = inputs.get("Choices") {
        for choice in choices {
            if holds(choice)? {
                return choice
                    .get("NextStep")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| "A choice has no NextStep.".to_owned());
            }
        }
    }
    inputs
        .get("Default")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("No choice matched and the step has no Default. {GUIDE}"))
}

const OPERATORS: &[&str] = &[
    "StringEquals",
    "EqualsIgnoreCase",
    "StartsWith",
    "EndsWith",
    "Contains",
    "NumericEquals",
    "NumericGreater",
    "NumericLesser",
    "NumericGreaterOrEquals",
    "NumericLesserOrEquals",
    "BooleanEquals",
];

/// Whether one choice (or a nested `And`/`Or`/`Not`) holds.
fn holds(choice: &Value) -> Result<bool, String> {
    if let Some(Value::Array(all)) = choice.get("And") {
        for c in all {
            if !holds(c)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(Value::Array(any)) = choice.get("Or") {
        for c in any {
            if holds(c)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(inner) = choice.get("Not") {
        return Ok(!holds(inner)?);
    }
    let variable = choice
        .get("Variable")
        .map(super::selector::text)
        .ok_or_else(|| "A choice has no Variable.".to_owned())?;
    let Some((operator, expected)) = OPERATORS
        .iter()
        .find_map(|op| choice.get(*op).map(|v| (*op, super::selector::text(v))))
    else {
        return Err("A choice has no operator.".to_owned());
    };
    let number = |s: &str| s.trim().parse::<f64>().ok();
    Ok(match operator {
        "StringEquals" => variable == expected,
        "EqualsIgnoreCase" => variable.eq_ignore_ascii_case(&expected),
        "StartsWith" => variable.starts_with(&expected),
        "EndsWith" => variable.ends_with(&expected),
        "Contains" => variable.contains(&expected),
        "BooleanEquals" => variable.eq_ignore_ascii_case(&expected),
        numeric => {
            let (Some(a), Some(b)) = (number(&variable), number(&expected)) else {
                return Ok(false);
            };
            match numeric {
                "NumericEquals" => a == b,
                "NumericGreater" => a > b,
                "NumericLesser" => a < b,
                "NumericGreaterOrEquals" => a >= b,
                _ => a <= b,
            }
        }
    })
}

/// `aws:sleep`'s wait in AWS milliseconds: `Duration` (ISO 8601, `PT10S`,
/// `PT1M30S`, up to a week) or `Timestamp` (an ISO 8601 moment).
pub fn sleep_millis(inputs: &Value, now: i64) -> Result<i64, String> {
    if let Some(text) = inputs.get("Duration").and_then(Value::as_str) {
        return iso_duration_millis(text)
            .ok_or_else(|| format!("Duration {text} is not an ISO 8601 duration such as PT10S."));
    }
    if let Some(text) = inputs.get("Timestamp").and_then(Value::as_str) {
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|_| format!("Timestamp {text} is not an ISO 8601 time."))?;
        let at = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        return Ok((at - now).max(0));
    }
    Err("aws:sleep needs a Duration or a Timestamp.".to_owned())
}

/// `PT1H2M3S`, `P1D`, `PT0.5S` in milliseconds.
fn iso_duration_millis(text: &str) -> Option<i64> {
    let rest = text.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total = 0f64;
    let mut any = false;
    let mut parse = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let factor = units.iter().find(|(u, _)| *u == c)?.1;
                total += number.parse::<f64>().ok()? * factor;
                number.clear();
                any = true;
            }
        }
        number.is_empty().then_some(())
    };
    parse(days, &[('W', 604_800_000.0), ('D', 86_400_000.0)])?;
    parse(time, &[('H', 3_600_000.0), ('M', 60_000.0), ('S', 1000.0)])?;
    any.then_some(total as i64)
}
