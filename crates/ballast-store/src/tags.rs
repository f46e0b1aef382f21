//! Tags of any resource, keyed by its ARN (or other unique id).

use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// The tags of a resource, in key order.
    pub fn tags(&self, resource: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT key, value FROM tags WHERE resource = ?1 ORDER BY key")?;
        let rows = stmt.query_map(params![resource], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every tag of every resource whose key starts with one of `prefixes`,
    /// as (resource, key, value), ordered by resource and key.
    pub fn tags_with_prefixes(
        &self,
        prefixes: &[&str],
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT resource, key, value FROM tags
             WHERE substr(resource, 1, length(?1)) = ?1 ORDER BY resource, key",
        )?;
        let mut out = Vec::new();
        for prefix in prefixes {
            let rows = stmt.query_map(params![prefix], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Adds or replaces tags on a resource.
    pub fn put_tags(&self, resource: &str, tags: &[(String, String)]) -> Result<(), StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "INSERT INTO tags (resource, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (resource, key) DO UPDATE SET value = excluded.value",
        )?;
        for (key, value) in tags {
            stmt.execute(params![resource, key, value])?;
        }
        Ok(())
    }

    /// Removes the named tag keys from a resource; absent keys are ignored.
    pub fn remove_tags(&self, resource: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("DELETE FROM tags WHERE resource = ?1 AND key = ?2")?;
        for key in keys {
            stmt.execute(params![resource, key])?;
        }
        Ok(())
    }

    /// Removes every tag of a resource (when it is deleted).
    pub fn clear_tags(&self, resource: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM tags WHERE resource = ?1", params![resource])?;
        Ok(())
    }
}
