//! Run Command: commands, invocations and managed instances.

use ballast_core::ssm::command::{Command, Invocation};
use ballast_core::ssm::managed::ManagedInstance;
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A command by id.
    pub fn command(&self, id: &str) -> Result<Option<Command>, StoreError> {
        self.record("SELECT record FROM ssm_commands WHERE id = ?1", [id])
    }

    /// Every command, newest first (as ListCommands lists them).
    pub fn commands(&self) -> Result<Vec<Command>, StoreError> {
        self.records("SELECT record FROM ssm_commands ORDER BY seq DESC", [])
    }

    /// The commands with invocations not yet over, oldest first.
    pub fn open_commands(&self) -> Result<Vec<Command>, StoreError> {
        self.records(
            "SELECT record FROM ssm_commands WHERE open = 1 ORDER BY seq",
            [],
        )
    }

    /// Inserts or replaces a command; `open` says whether any of its
    /// invocations is still to finish.
    pub fn save_command(&self, command: &Command, open: bool) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_commands (id, seq, open, record)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_commands), ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET open = excluded.open, record = excluded.record",
            params![command.id, open, serde_json::to_string(command)?],
        )?;
        Ok(())
    }

    /// A command's invocations, by instance id.
    pub fn invocations(&self, command_id: &str) -> Result<Vec<Invocation>, StoreError> {
        self.records(
            "SELECT record FROM ssm_invocations WHERE command_id = ?1 ORDER BY instance_id",
            [command_id],
        )
    }

    /// The ids of the commands an instance has open invocations of
    /// ([`Invocation::is_open`]).
    pub fn open_command_ids_for(&self, instance_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT i.command_id FROM ssm_invocations i JOIN ssm_commands c ON c.id = i.command_id
             WHERE i.instance_id = ?1 AND i.open = 1 ORDER BY c.seq",
        )?;
        let rows = stmt.query_map([instance_id], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(r?)).collect()
    }

    /// Inserts or replaces an invocation.
    pub fn save_invocation(&self, invocation: &Invocation) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_invocations (command_id, instance_id, open, record)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (command_id, instance_id) DO UPDATE SET
             open = excluded.open, record = excluded.record",
            params![
                invocation.command_id,
                invocation.instance_id,
                invocation.is_open(),
                serde_json::to_string(invocation)?
            ],
        )?;
        Ok(())
    }

    /// A managed instance by id.
    pub fn managed_instance(&self, id: &str) -> Result<Option<ManagedInstance>, StoreError> {
        self.record(
            "SELECT record FROM ssm_managed_instances WHERE instance_id = ?1",
            [id],
        )
    }

    /// Every managed instance, by id.
    pub fn managed_instances(&self) -> Result<Vec<ManagedInstance>, StoreError> {
        self.records(
            "SELECT record FROM ssm_managed_instances ORDER BY instance_id",
            [],
        )
    }

    /// Inserts or replaces a managed instance.
    pub fn save_managed_instance(&self, instance: &ManagedInstance) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_managed_instances (instance_id, record) VALUES (?1, ?2)
             ON CONFLICT (instance_id) DO UPDATE SET record = excluded.record",
            params![instance.instance_id, serde_json::to_string(instance)?],
        )?;
        Ok(())
    }
}
