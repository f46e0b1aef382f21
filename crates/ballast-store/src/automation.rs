//! SSM Automation executions: one row each, the record holding its step
//! executions, so saving an execution after a step moves is one write and
//! a restarted engine finds every open one where it was.

use ballast_core::ssm::automation::Execution;
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// Creates or rewrites an execution.
    pub fn save_automation_execution(&self, execution: &Execution) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_automation_executions (id, open, started, record)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET open = excluded.open, record = excluded.record",
            params![
                execution.id,
                !execution.status.is_terminal(),
                execution.started_millis,
                serde_json::to_string(execution)?
            ],
        )?;
        Ok(())
    }

    /// One execution.
    pub fn automation_execution(&self, id: &str) -> Result<Option<Execution>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached("SELECT record FROM ssm_automation_executions WHERE id = ?1")?
            .query_row(params![id], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Every execution, newest first.
    pub fn automation_executions(&self) -> Result<Vec<Execution>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT record FROM ssm_automation_executions ORDER BY started DESC, id",
        )?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// The ids of the executions the engine still drives, oldest first.
    pub fn open_automation_executions(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id FROM ssm_automation_executions WHERE open = 1 ORDER BY started, id",
        )?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(r?)).collect()
    }
}
