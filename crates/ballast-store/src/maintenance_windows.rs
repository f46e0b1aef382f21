//! Maintenance windows, their targets and tasks, and their executions
//! (window executions, task executions, task invocations). Targets, tasks
//! and executions go with their window: deleting it deletes them.

use ballast_core::ssm::maintenance_window::execution::{
    TaskExecution, TaskInvocation, WindowExecution,
};
use ballast_core::ssm::maintenance_window::{Window, WindowTarget, WindowTask};
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

/// An idempotency token already used: what the request that used it
/// looked like, and what it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientToken {
    pub fingerprint: String,
    pub resource_id: String,
}

impl Tx<'_> {
    /// A window by id.
    pub fn maintenance_window(&self, id: &str) -> Result<Option<Window>, StoreError> {
        self.record("SELECT record FROM ssm_windows WHERE id = ?1", params![id])
    }

    /// Every window, oldest first.
    pub fn maintenance_windows(&self) -> Result<Vec<Window>, StoreError> {
        self.records("SELECT record FROM ssm_windows ORDER BY seq", [])
    }

    /// How many windows the account has.
    pub fn count_maintenance_windows(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn()
            .prepare_cached("SELECT COUNT(*) FROM ssm_windows")?
            .query_row([], |row| row.get(0))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Creates a window, or rewrites it keeping its place in the order.
    pub fn save_maintenance_window(&self, window: &Window) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_windows (id, seq, record)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_windows), ?2)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![window.id, serde_json::to_string(window)?],
        )?;
        Ok(())
    }

    /// Deletes a window with its targets, tasks and executions; `false`
    /// if there was none.
    pub fn delete_maintenance_window(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM ssm_windows WHERE id = ?1", params![id])? > 0)
    }

    /// A window's targets, in registration order.
    pub fn window_targets(&self, window_id: &str) -> Result<Vec<WindowTarget>, StoreError> {
        self.records(
            "SELECT record FROM ssm_window_targets WHERE window_id = ?1 ORDER BY seq",
            params![window_id],
        )
    }

    /// Every window target of every window, windows and targets in order.
    pub fn all_window_targets(&self) -> Result<Vec<WindowTarget>, StoreError> {
        self.records(
            "SELECT t.record FROM ssm_window_targets t JOIN ssm_windows w ON w.id = t.window_id
             ORDER BY w.seq, t.seq",
            [],
        )
    }

    pub fn window_target(
        &self,
        window_id: &str,
        id: &str,
    ) -> Result<Option<WindowTarget>, StoreError> {
        self.record(
            "SELECT record FROM ssm_window_targets WHERE window_id = ?1 AND id = ?2",
            params![window_id, id],
        )
    }

    /// Registers a target, or rewrites it keeping its place.
    pub fn save_window_target(&self, target: &WindowTarget) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_window_targets (window_id, id, seq, record)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_window_targets), ?3)
             ON CONFLICT (window_id, id) DO UPDATE SET record = excluded.record",
            params![target.window_id, target.id, serde_json::to_string(target)?],
        )?;
        Ok(())
    }

    pub fn delete_window_target(&self, window_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "DELETE FROM ssm_window_targets WHERE window_id = ?1 AND id = ?2",
            params![window_id, id],
        )? > 0)
    }

    /// A window's tasks, in registration order.
    pub fn window_tasks(&self, window_id: &str) -> Result<Vec<WindowTask>, StoreError> {
        self.records(
            "SELECT record FROM ssm_window_tasks WHERE window_id = ?1 ORDER BY seq",
            params![window_id],
        )
    }

    pub fn window_task(&self, window_id: &str, id: &str) -> Result<Option<WindowTask>, StoreError> {
        self.record(
            "SELECT record FROM ssm_window_tasks WHERE window_id = ?1 AND id = ?2",
            params![window_id, id],
        )
    }

    /// Registers a task, or rewrites it keeping its place.
    pub fn save_window_task(&self, task: &WindowTask) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_window_tasks (window_id, id, seq, record)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_window_tasks), ?3)
             ON CONFLICT (window_id, id) DO UPDATE SET record = excluded.record",
            params![task.window_id, task.id, serde_json::to_string(task)?],
        )?;
        Ok(())
    }

    pub fn delete_window_task(&self, window_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "DELETE FROM ssm_window_tasks WHERE window_id = ?1 AND id = ?2",
            params![window_id, id],
        )? > 0)
    }

    /// A window's executions, latest first (as AWS lists them).
    pub fn window_executions(&self, window_id: &str) -> Result<Vec<WindowExecution>, StoreError> {
        self.records(
            "SELECT record FROM ssm_window_executions WHERE window_id = ?1
             ORDER BY start_millis DESC, id",
            params![window_id],
        )
    }

    /// The executions of a window that are not finished, oldest first: what
    /// a runner resumes.
    /// When the latest run of a window was scheduled, if it ever ran.
    pub fn latest_window_execution_start(
        &self,
        window_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT MAX(start_millis) FROM ssm_window_executions WHERE window_id = ?1",
            )?
            .query_row(params![window_id], |row| row.get(0))?)
    }

    pub fn open_window_executions(
        &self,
        window_id: &str,
    ) -> Result<Vec<WindowExecution>, StoreError> {
        self.records(
            "SELECT record FROM ssm_window_executions WHERE window_id = ?1 AND open = 1
             ORDER BY start_millis, id",
            params![window_id],
        )
    }

    pub fn window_execution(&self, id: &str) -> Result<Option<WindowExecution>, StoreError> {
        self.record(
            "SELECT record FROM ssm_window_executions WHERE id = ?1",
            params![id],
        )
    }

    /// Creates or rewrites a window execution.
    pub fn save_window_execution(&self, execution: &WindowExecution) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_window_executions (id, window_id, start_millis, open, record)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET
                 start_millis = excluded.start_millis,
                 open = excluded.open,
                 record = excluded.record",
            params![
                execution.id,
                execution.window_id,
                execution.start_millis,
                !execution.status.is_final(),
                serde_json::to_string(execution)?
            ],
        )?;
        Ok(())
    }

    /// An execution's task executions, in the order they were written.
    pub fn task_executions(&self, execution_id: &str) -> Result<Vec<TaskExecution>, StoreError> {
        self.records(
            "SELECT record FROM ssm_window_task_executions WHERE execution_id = ?1 ORDER BY seq",
            params![execution_id],
        )
    }

    pub fn task_execution(
        &self,
        execution_id: &str,
        id: &str,
    ) -> Result<Option<TaskExecution>, StoreError> {
        self.record(
            "SELECT record FROM ssm_window_task_executions WHERE execution_id = ?1 AND id = ?2",
            params![execution_id, id],
        )
    }

    /// Creates or rewrites a task execution (its window execution saved).
    pub fn save_task_execution(&self, task: &TaskExecution) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_window_task_executions (execution_id, id, seq, record)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_window_task_executions), ?3)
             ON CONFLICT (execution_id, id) DO UPDATE SET record = excluded.record",
            params![
                task.window_execution_id,
                task.id,
                serde_json::to_string(task)?
            ],
        )?;
        Ok(())
    }

    /// A task execution's invocations, in the order they were written.
    pub fn task_invocations(
        &self,
        execution_id: &str,
        task_execution_id: &str,
    ) -> Result<Vec<TaskInvocation>, StoreError> {
        self.records(
            "SELECT record FROM ssm_window_task_invocations
             WHERE execution_id = ?1 AND task_execution_id = ?2 ORDER BY seq",
            params![execution_id, task_execution_id],
        )
    }

    pub fn task_invocation(
        &self,
        execution_id: &str,
        task_execution_id: &str,
        id: &str,
    ) -> Result<Option<TaskInvocation>, StoreError> {
        self.record(
            "SELECT record FROM ssm_window_task_invocations
             WHERE execution_id = ?1 AND task_execution_id = ?2 AND id = ?3",
            params![execution_id, task_execution_id, id],
        )
    }

    /// Creates or rewrites an invocation (its task execution saved).
    pub fn save_task_invocation(&self, invocation: &TaskInvocation) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_window_task_invocations
                 (execution_id, task_execution_id, id, seq, record)
             VALUES (?1, ?2, ?3,
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_window_task_invocations), ?4)
             ON CONFLICT (execution_id, task_execution_id, id)
                 DO UPDATE SET record = excluded.record",
            params![
                invocation.window_execution_id,
                invocation.task_execution_id,
                invocation.id,
                serde_json::to_string(invocation)?
            ],
        )?;
        Ok(())
    }

    /// The request an idempotency token of `operation` was first used with.
    pub fn window_client_token(
        &self,
        operation: &str,
        token: &str,
    ) -> Result<Option<ClientToken>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT fingerprint, resource_id FROM ssm_window_client_tokens
                 WHERE operation = ?1 AND token = ?2",
            )?
            .query_row(params![operation, token], |row| {
                Ok(ClientToken {
                    fingerprint: row.get(0)?,
                    resource_id: row.get(1)?,
                })
            })
            .optional()?)
    }

    /// Remembers an idempotency token (replacing one whose resource is
    /// gone).
    pub fn save_window_client_token(
        &self,
        operation: &str,
        token: &str,
        used: &ClientToken,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_window_client_tokens (operation, token, fingerprint, resource_id)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (operation, token) DO UPDATE SET
                 fingerprint = excluded.fingerprint, resource_id = excluded.resource_id",
            params![operation, token, used.fingerprint, used.resource_id],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::ssm::maintenance_window::execution::ExecutionStatus;
    use ballast_core::ssm::maintenance_window::{CreateRequest, CutoffBehavior, Target, TaskType};

    use crate::Store;

    use super::*;

    fn window(id: &str) -> Window {
        CreateRequest {
            name: "patching".to_owned(),
            schedule: "rate(1 day)".to_owned(),
            duration: 2,
            cutoff: 1,
            ..CreateRequest::default()
        }
        .apply(id.to_owned(), 1_000)
        .unwrap()
    }

    fn target(window_id: &str, id: &str) -> WindowTarget {
        WindowTarget {
            window_id: window_id.to_owned(),
            id: id.to_owned(),
            resource_type: "INSTANCE".to_owned(),
            targets: vec![Target {
                key: "tag:Role".to_owned(),
                values: vec!["web".to_owned()],
            }],
            owner_information: None,
            name: None,
            description: None,
        }
    }

    fn task(window_id: &str, id: &str) -> WindowTask {
        WindowTask {
            window_id: window_id.to_owned(),
            id: id.to_owned(),
            task_arn: "AWS-RunShellScript".to_owned(),
            task_type: TaskType::RunCommand,
            targets: vec![],
            service_role_arn: None,
            task_parameters: None,
            invocation_parameters: Some(serde_json::json!({"RunCommand": {}})),
            priority: 1,
            max_concurrency: Some("1".to_owned()),
            max_errors: Some("0".to_owned()),
            logging_info: None,
            name: None,
            description: None,
            cutoff_behavior: CutoffBehavior::ContinueTask,
            alarm_configuration: None,
        }
    }

    #[test]
    fn deleting_a_window_deletes_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let w = "mw-0123456789abcdef0";
        store
            .write(|tx| -> Result<(), StoreError> {
                tx.save_maintenance_window(&window(w))?;
                tx.save_maintenance_window(&window("mw-0123456789abcdef1"))?;
                tx.save_window_target(&target(w, "t1"))?;
                tx.save_window_task(&task(w, "k1"))?;
                let execution = WindowExecution {
                    window_id: w.to_owned(),
                    id: "e1".to_owned(),
                    status: ExecutionStatus::InProgress,
                    status_details: None,
                    start_millis: 5,
                    end_millis: None,
                };
                tx.save_window_execution(&execution)?;
                tx.save_task_execution(&TaskExecution {
                    window_execution_id: "e1".to_owned(),
                    id: "x1".to_owned(),
                    window_task_id: "k1".to_owned(),
                    task_arn: "AWS-RunShellScript".to_owned(),
                    task_type: TaskType::RunCommand,
                    service_role: None,
                    task_parameters: None,
                    priority: 1,
                    max_concurrency: None,
                    max_errors: None,
                    status: ExecutionStatus::InProgress,
                    status_details: None,
                    start_millis: 5,
                    end_millis: None,
                    alarm_configuration: None,
                })?;
                tx.save_task_invocation(&TaskInvocation {
                    window_execution_id: "e1".to_owned(),
                    task_execution_id: "x1".to_owned(),
                    id: "v1".to_owned(),
                    execution_id: None,
                    task_type: TaskType::RunCommand,
                    parameters: None,
                    status: ExecutionStatus::Pending,
                    status_details: None,
                    start_millis: 5,
                    end_millis: None,
                    owner_information: None,
                    window_target_id: Some("t1".to_owned()),
                    target_id: None,
                })?;
                Ok(())
            })
            .unwrap();
        store
            .read(|tx| -> Result<(), StoreError> {
                assert_eq!(tx.count_maintenance_windows()?, 2);
                assert_eq!(tx.window_targets(w)?.len(), 1);
                assert_eq!(tx.open_window_executions(w)?.len(), 1);
                assert_eq!(tx.task_invocations("e1", "x1")?.len(), 1);
                Ok(())
            })
            .unwrap();
        store
            .write(|tx| {
                assert!(tx.delete_maintenance_window(w)?);
                assert!(!tx.delete_maintenance_window(w)?);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        store
            .read(|tx| -> Result<(), StoreError> {
                assert_eq!(tx.count_maintenance_windows()?, 1);
                assert!(tx.window_targets(w)?.is_empty());
                assert!(tx.window_tasks(w)?.is_empty());
                assert!(tx.window_execution("e1")?.is_none());
                assert!(tx.task_execution("e1", "x1")?.is_none());
                assert!(tx.task_invocation("e1", "x1", "v1")?.is_none());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn rewriting_keeps_the_order_and_tokens_are_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .write(|tx| -> Result<(), StoreError> {
                let mut first = window("mw-00000000000000001");
                tx.save_maintenance_window(&first)?;
                tx.save_maintenance_window(&window("mw-00000000000000002"))?;
                first.name = "renamed".to_owned();
                tx.save_maintenance_window(&first)?;
                let ids: Vec<String> = tx
                    .maintenance_windows()?
                    .into_iter()
                    .map(|w| w.id)
                    .collect();
                assert_eq!(ids, ["mw-00000000000000001", "mw-00000000000000002"]);
                let used = ClientToken {
                    fingerprint: "f".to_owned(),
                    resource_id: "mw-00000000000000001".to_owned(),
                };
                assert_eq!(
                    tx.window_client_token("CreateMaintenanceWindow", "t")?,
                    None
                );
                tx.save_window_client_token("CreateMaintenanceWindow", "t", &used)?;
                assert_eq!(
                    tx.window_client_token("CreateMaintenanceWindow", "t")?,
                    Some(used)
                );
                assert_eq!(
                    tx.window_client_token("RegisterTaskWithMaintenanceWindow", "t")?,
                    None
                );
                Ok(())
            })
            .unwrap();
    }
}
