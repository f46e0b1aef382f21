//! Parameter Store: parameters and their versions.

use ballast_core::ssm::ParameterVersion;
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// Every stored version of a parameter, oldest first; empty if the
    /// parameter does not exist.
    pub fn parameter_versions(&self, key: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT record FROM ssm_parameter_versions WHERE key = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map(params![key], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// The newest version of a parameter.
    pub fn latest_parameter(&self, key: &str) -> Result<Option<ParameterVersion>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT v.record FROM ssm_parameters p
                 JOIN ssm_parameter_versions v ON v.key = p.key AND v.version = p.latest_version
                 WHERE p.key = ?1",
            )?
            .query_row(params![key], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// One version of a parameter.
    pub fn parameter_version(
        &self,
        key: &str,
        version: i64,
    ) -> Result<Option<ParameterVersion>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT record FROM ssm_parameter_versions WHERE key = ?1 AND version = ?2",
            )?
            .query_row(params![key, version], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Calls `visit` with the newest version of each parameter whose key
    /// sorts after `after`, in key order, until it returns `false`. Rows are
    /// streamed, never collected.
    pub fn scan_parameters(
        &self,
        after: Option<&str>,
        mut visit: impl FnMut(&str, ParameterVersion) -> bool,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT p.key, v.record FROM ssm_parameters p
             JOIN ssm_parameter_versions v ON v.key = p.key AND v.version = p.latest_version
             WHERE p.key > ?1 ORDER BY p.key",
        )?;
        let mut rows = stmt.query(params![after.unwrap_or("")])?;
        while let Some(row) = rows.next()? {
            let key: String = row.get(0)?;
            let record: String = row.get(1)?;
            if !visit(&key, serde_json::from_str(&record)?) {
                break;
            }
        }
        Ok(())
    }

    /// Stores a new version and makes it the latest.
    pub fn insert_parameter_version(
        &self,
        key: &str,
        version: &ParameterVersion,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_parameters (key, latest_version) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET latest_version = excluded.latest_version",
            params![key, version.version],
        )?;
        self.save_parameter_version(key, version)
    }

    /// Rewrites a stored version (its labels change).
    pub fn save_parameter_version(
        &self,
        key: &str,
        version: &ParameterVersion,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_parameter_versions (key, version, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (key, version) DO UPDATE SET record = excluded.record",
            params![key, version.version, serde_json::to_string(version)?],
        )?;
        Ok(())
    }

    /// Drops one old version.
    pub fn delete_parameter_version(&self, key: &str, version: i64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM ssm_parameter_versions WHERE key = ?1 AND version = ?2",
            params![key, version],
        )?;
        Ok(())
    }

    /// Deletes a parameter and its history; `false` if it did not exist.
    pub fn delete_parameter(&self, key: &str) -> Result<bool, StoreError> {
        let n = self.execute("DELETE FROM ssm_parameters WHERE key = ?1", params![key])?;
        Ok(n > 0)
    }
}
