//! The runner's decisions, as pure functions: when a window fires, how a
//! task's invocations map onto rate control (`ssm::rate`: which start now
//! under `MaxConcurrency`, when `MaxErrors` stops it), how a task and the
//! window execution end, and what the pseudo parameters
//! (`{{ TARGET_ID }}` …) become.

use serde_json::Value;

use std::time::Duration;

use super::execution::ExecutionStatus;
use super::{CutoffBehavior, TaskType, Window};
use crate::TimeScale;
use crate::ssm::rate::{Ending, Progress};

const HOUR: Duration = Duration::from_secs(3600);

fn scaled_hours(hours: i32, scale: TimeScale) -> i64 {
    let hours = u32::try_from(hours).unwrap_or(0);
    i64::try_from(scale.scale(HOUR * hours).as_millis()).unwrap_or(i64::MAX)
}

/// When a run that started at `start` ends: its `Duration` is a timer, so
/// it follows `--time-scale` (the schedule itself is wall-clock time).
pub fn ends_at(window: &Window, start: i64, scale: TimeScale) -> i64 {
    start.saturating_add(scaled_hours(window.duration, scale))
}

/// From when a run that started at `start` starts no new task: `Cutoff`
/// hours before its end, scaled alike.
pub fn cutoff_at(window: &Window, start: i64, scale: TimeScale) -> i64 {
    ends_at(window, start, scale).saturating_sub(scaled_hours(window.cutoff, scale))
}

/// Whether a running task is stopped at the cutoff: only a Run Command
/// task whose `CutoffBehavior` is `CANCEL_TASK` (its commands are
/// cancelled and the task ends `TIMED_OUT`). Other tasks run on, as with
/// `CONTINUE_TASK`, and start no new invocation either way.
pub fn stops_at_cutoff(task_type: TaskType, behavior: CutoffBehavior) -> bool {
    task_type == TaskType::RunCommand && behavior == CutoffBehavior::CancelTask
}

/// Whether a window should fire now, and for which scheduled run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    /// Nothing is due.
    Idle,
    /// The run scheduled at this instant is due and nothing of the
    /// window is running.
    Start(i64),
    /// The run scheduled at this instant is due while an earlier run is
    /// still going: AWS records it as `SKIPPED_OVERLAPPING`.
    Overlapping(i64),
}

/// What the window's schedule asks for at `now`, given the scheduled
/// instant of its latest run (`None` before the first one) and whether a
/// run is still open. Runs missed while Ballast was down are not made up:
/// only the latest one due counts, and only while its window is open.
pub fn firing(
    window: &Window,
    latest: Option<i64>,
    open: bool,
    now: i64,
    scale: TimeScale,
) -> Firing {
    if !window.enabled {
        return Firing::Idle;
    }
    let mut due = None;
    let mut after = latest.unwrap_or(window.schedule_since_millis.saturating_sub(1));
    while let Some(next) = window.next_execution(after) {
        if next > now {
            break;
        }
        due = Some(next);
        after = next;
    }
    match due {
        Some(at) if now < ends_at(window, at, scale) && open => Firing::Overlapping(at),
        Some(at) if now < ends_at(window, at, scale) => Firing::Start(at),
        _ => Firing::Idle,
    }
}

/// Where an invocation is, for rate control.
pub fn progress(status: ExecutionStatus) -> Progress {
    match status {
        ExecutionStatus::Pending => Progress::NotStarted,
        ExecutionStatus::InProgress | ExecutionStatus::Cancelling => Progress::Running,
        ExecutionStatus::Success => Progress::Succeeded,
        _ => Progress::Failed,
    }
}

/// A task's status when its rate control is over.
pub fn task_status(ending: Ending) -> ExecutionStatus {
    match ending {
        Ending::Success => ExecutionStatus::Success,
        Ending::Failed => ExecutionStatus::Failed,
        Ending::Incomplete => ExecutionStatus::TimedOut,
    }
}

/// How a window execution ends from its tasks' statuses, and whether some
/// task never started (`true` when the cutoff came first).
pub fn window_status(tasks: &[ExecutionStatus], never_started: bool) -> ExecutionStatus {
    if tasks.contains(&ExecutionStatus::Failed) {
        ExecutionStatus::Failed
    } else if never_started || tasks.contains(&ExecutionStatus::TimedOut) {
        ExecutionStatus::TimedOut
    } else if tasks.contains(&ExecutionStatus::Cancelled) {
        ExecutionStatus::Cancelled
    } else {
        ExecutionStatus::Success
    }
}

/// What the pseudo parameters of one invocation stand for.
#[derive(Debug, Clone)]
pub struct Pseudo<'a> {
    pub window_id: &'a str,
    pub window_execution_id: &'a str,
    pub window_task_id: &'a str,
    /// The instance, for a task with targets.
    pub target_id: Option<&'a str>,
    pub window_target_id: Option<&'a str>,
}

impl Pseudo<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        match name {
            "WINDOW_ID" => Some(self.window_id),
            "WINDOW_EXECUTION_ID" => Some(self.window_execution_id),
            "WINDOW_TASK_ID" => Some(self.window_task_id),
            "TARGET_ID" | "RESOURCE_ID" => self.target_id,
            "TARGET_TYPE" => self.target_id.map(|_| super::RESOURCE_TYPE_INSTANCE),
            "WINDOW_TARGET_ID" => self.window_target_id,
            _ => None,
        }
    }

    /// `{{ TARGET_ID }}` and the others replaced in every string of
    /// `value`; anything else in braces is left for the task's own
    /// document to resolve.
    pub fn substitute(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.replace(text)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.substitute(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.substitute(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn replace(&self, text: &str) -> String {
        crate::ssm::document::resolve::replace_each(text, |inner| {
            self.value(inner.trim()).map(str::to_owned)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExecutionStatus::{Failed, Success};

    #[test]
    fn pseudo_parameters_are_replaced_and_others_kept() {
        let pseudo = Pseudo {
            window_id: "mw-0123456789abcdef0",
            window_execution_id: "e",
            window_task_id: "t",
            target_id: Some("i-0123456789abcdef0"),
            window_target_id: Some("wt"),
        };
        let value = serde_json::json!({
            "Parameters": {
                "InstanceId": ["{{ TARGET_ID }}"],
                "Note": ["{{WINDOW_ID}}/{{ WINDOW_EXECUTION_ID }} {{ Other }}"]
            }
        });
        assert_eq!(
            pseudo.substitute(&value),
            serde_json::json!({
                "Parameters": {
                    "InstanceId": ["i-0123456789abcdef0"],
                    "Note": ["mw-0123456789abcdef0/e {{ Other }}"]
                }
            })
        );
    }

    fn window(schedule: &str, created: i64) -> Window {
        super::super::CreateRequest {
            name: "w".to_owned(),
            schedule: schedule.to_owned(),
            duration: 2,
            cutoff: 1,
            ..Default::default()
        }
        .apply("mw-0123456789abcdef0".to_owned(), created)
        .unwrap()
    }

    const T0: i64 = 1_780_000_000_000; // 2026-05-28T20:26:40Z

    #[test]
    fn a_one_time_window_fires_once_while_it_is_open() {
        let real = TimeScale::REAL;
        let w = window("at(2026-05-28T20:30:00)", T0);
        let at = T0 + 200_000;
        assert_eq!(firing(&w, None, false, T0, real), Firing::Idle);
        assert_eq!(firing(&w, None, false, at + 5, real), Firing::Start(at));
        assert_eq!(firing(&w, Some(at), false, at + 10, real), Firing::Idle);
        // Two hours later the window is over: a Ballast that was down does
        // not make the run up.
        assert_eq!(
            firing(&w, None, false, at + 2 * 3_600_000, real),
            Firing::Idle
        );
        let fast = TimeScale::new(0.01).unwrap();
        assert_eq!(cutoff_at(&w, at, fast), at + 36_000);
    }

    #[test]
    fn a_rate_window_due_while_running_overlaps() {
        let w = window("rate(30 minutes)", T0);
        let first = w.next_execution(T0).unwrap();
        assert_eq!(
            firing(&w, None, false, first, TimeScale::REAL),
            Firing::Start(first)
        );
        let second = w.next_execution(first).unwrap();
        assert_eq!(
            firing(&w, Some(first), true, second + 1, TimeScale::REAL),
            Firing::Overlapping(second)
        );
    }

    #[test]
    fn only_run_command_tasks_stop_at_a_cancel_task_cutoff() {
        use super::super::{CutoffBehavior, TaskType};
        assert!(stops_at_cutoff(
            TaskType::RunCommand,
            CutoffBehavior::CancelTask
        ));
        assert!(!stops_at_cutoff(
            TaskType::RunCommand,
            CutoffBehavior::ContinueTask
        ));
        assert!(!stops_at_cutoff(
            TaskType::Automation,
            CutoffBehavior::CancelTask
        ));
    }

    #[test]
    fn window_status_from_tasks() {
        assert_eq!(window_status(&[Success, Success], false), Success);
        assert_eq!(window_status(&[Success, Failed], false), Failed);
        assert_eq!(window_status(&[Success], true), ExecutionStatus::TimedOut);
    }
}
