//! What a window's runs leave behind: a window execution per run, a task
//! execution per task it started, and a task invocation per target (or
//! one for a task without targets). The runner writes them; the API reads
//! them and cancels executions.

use serde::{Deserialize, Serialize};

use super::{Error, TaskType};

/// The statuses AWS reports for executions, task executions and
/// invocations alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionStatus {
    Pending,
    InProgress,
    Success,
    Failed,
    TimedOut,
    Cancelling,
    Cancelled,
    SkippedOverlapping,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 8] = [
        ExecutionStatus::Pending,
        ExecutionStatus::InProgress,
        ExecutionStatus::Success,
        ExecutionStatus::Failed,
        ExecutionStatus::TimedOut,
        ExecutionStatus::Cancelling,
        ExecutionStatus::Cancelled,
        ExecutionStatus::SkippedOverlapping,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Pending => "PENDING",
            ExecutionStatus::InProgress => "IN_PROGRESS",
            ExecutionStatus::Success => "SUCCESS",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Cancelling => "CANCELLING",
            ExecutionStatus::Cancelled => "CANCELLED",
            ExecutionStatus::SkippedOverlapping => "SKIPPED_OVERLAPPING",
        }
    }

    pub fn parse(text: &str) -> Option<ExecutionStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether nothing more will happen to what has this status.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            ExecutionStatus::Pending | ExecutionStatus::InProgress | ExecutionStatus::Cancelling
        )
    }
}

/// One run of a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowExecution {
    pub window_id: String,
    pub id: String,
    pub status: ExecutionStatus,
    pub status_details: Option<String>,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
}

impl WindowExecution {
    /// CancelMaintenanceWindowExecution: a run that has not started is
    /// cancelled at once; one in progress is `CANCELLING` until the runner
    /// has stopped its tasks; a finished one stays as it is. Whether it
    /// changed.
    pub fn cancel(&mut self, now_millis: i64) -> bool {
        match self.status {
            ExecutionStatus::Pending => {
                self.status = ExecutionStatus::Cancelled;
                self.status_details = Some("Cancelled before it started.".to_owned());
                self.end_millis = Some(now_millis);
                true
            }
            ExecutionStatus::InProgress => {
                self.status = ExecutionStatus::Cancelling;
                true
            }
            _ => false,
        }
    }
}

/// One task started by a window execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskExecution {
    pub window_execution_id: String,
    pub id: String,
    pub window_task_id: String,
    pub task_arn: String,
    pub task_type: TaskType,
    pub service_role: Option<String>,
    /// The parameters the task ran with, as AWS's JSON.
    pub task_parameters: Option<serde_json::Value>,
    pub priority: i32,
    pub max_concurrency: Option<String>,
    pub max_errors: Option<String>,
    pub status: ExecutionStatus,
    pub status_details: Option<String>,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
    pub alarm_configuration: Option<serde_json::Value>,
}

/// One invocation of a task (on one target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInvocation {
    pub window_execution_id: String,
    pub task_execution_id: String,
    pub id: String,
    /// The Run Command command id or the Automation execution id.
    pub execution_id: Option<String>,
    pub task_type: TaskType,
    /// The parameters the invocation ran with, as text.
    pub parameters: Option<String>,
    pub status: ExecutionStatus,
    pub status_details: Option<String>,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
    pub owner_information: Option<String>,
    pub window_target_id: Option<String>,
    /// The instance it runs on (`{{ TARGET_ID }}`); `None` for a task
    /// without targets.
    #[serde(default)]
    pub target_id: Option<String>,
}

/// `DoesNotExistException` for a window execution.
pub fn execution_not_found(execution_id: &str) -> Error {
    Error::DoesNotExist(format!(
        "Maintenance window execution {execution_id} does not exist"
    ))
}

/// `DoesNotExistException` for a task execution.
pub fn task_execution_not_found(execution_id: &str, task_id: &str) -> Error {
    Error::DoesNotExist(format!(
        "Task execution {task_id} does not exist in maintenance window execution {execution_id}"
    ))
}

/// `DoesNotExistException` for an invocation.
pub fn invocation_not_found(task_id: &str, invocation_id: &str) -> Error {
    Error::DoesNotExist(format!(
        "Invocation {invocation_id} does not exist in task execution {task_id}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution(status: ExecutionStatus) -> WindowExecution {
        WindowExecution {
            window_id: "mw-0123456789abcdef0".to_owned(),
            id: "11111111-2222-4333-a444-555555555555".to_owned(),
            status,
            status_details: None,
            start_millis: 1,
            end_millis: None,
        }
    }

    #[test]
    fn cancelling() {
        let mut pending = execution(ExecutionStatus::Pending);
        assert!(pending.cancel(9));
        assert_eq!(pending.status, ExecutionStatus::Cancelled);
        assert_eq!(pending.end_millis, Some(9));
        let mut running = execution(ExecutionStatus::InProgress);
        assert!(running.cancel(9));
        assert_eq!(running.status, ExecutionStatus::Cancelling);
        assert_eq!(running.end_millis, None);
        let mut done = execution(ExecutionStatus::Success);
        assert!(!done.cancel(9));
        assert_eq!(done.status, ExecutionStatus::Success);
    }

    #[test]
    fn statuses_round_trip() {
        for status in ExecutionStatus::ALL {
            assert_eq!(ExecutionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ExecutionStatus::parse("DONE"), None);
        assert!(!ExecutionStatus::Cancelling.is_final());
        assert!(ExecutionStatus::SkippedOverlapping.is_final());
    }
}
