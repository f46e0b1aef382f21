//! OpsCenter's OpsItems.

use ballast_core::ssm::ops_item::OpsItem;
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// An OpsItem by id.
    pub fn ops_item(&self, id: &str) -> Result<Option<OpsItem>, StoreError> {
        self.record("SELECT record FROM ssm_ops_items WHERE id = ?1", [id])
    }

    /// Every OpsItem, by id.
    pub fn ops_items(&self) -> Result<Vec<OpsItem>, StoreError> {
        self.records("SELECT record FROM ssm_ops_items ORDER BY id", [])
    }

    /// Inserts or replaces an OpsItem.
    pub fn save_ops_item(&self, item: &OpsItem) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_ops_items (id, record) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![item.id, serde_json::to_string(item)?],
        )?;
        Ok(())
    }

    /// Deletes an OpsItem; `false` when there was none.
    pub fn delete_ops_item(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM ssm_ops_items WHERE id = ?1", [id])? == 1)
    }
}
