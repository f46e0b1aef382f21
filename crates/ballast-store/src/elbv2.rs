//! ELBv2 target groups.

use ballast_core::elbv2::TargetGroup;
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A target group by ARN.
    pub fn target_group(&self, arn: &str) -> Result<Option<TargetGroup>, StoreError> {
        self.one_target_group("SELECT record FROM elbv2_target_groups WHERE arn = ?1", arn)
    }

    /// A target group by name.
    pub fn target_group_by_name(&self, name: &str) -> Result<Option<TargetGroup>, StoreError> {
        self.one_target_group(
            "SELECT record FROM elbv2_target_groups WHERE name = ?1",
            name,
        )
    }

    fn one_target_group(&self, sql: &str, key: &str) -> Result<Option<TargetGroup>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached(sql)?
            .query_row(params![key], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Every target group, in creation order.
    pub fn target_groups(&self) -> Result<Vec<TargetGroup>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT record FROM elbv2_target_groups ORDER BY seq")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// Inserts a new target group or saves changes to an existing one.
    pub fn save_target_group(&self, group: &TargetGroup) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO elbv2_target_groups (arn, name, seq, record)
                 VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM elbv2_target_groups), ?3)
                 ON CONFLICT (arn) DO UPDATE SET record = excluded.record",
            )?
            .execute(params![
                group.arn,
                group.name,
                serde_json::to_string(group)?
            ])?;
        Ok(())
    }

    /// Deletes a target group; `false` if it did not exist.
    pub fn delete_target_group(&self, arn: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .prepare_cached("DELETE FROM elbv2_target_groups WHERE arn = ?1")?
            .execute(params![arn])?;
        Ok(n > 0)
    }
}
