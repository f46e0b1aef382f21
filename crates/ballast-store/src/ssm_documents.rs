//! SSM documents and their versions (the account's own; Amazon's are a
//! catalogue in the core).

use ballast_core::ssm::document::{Document, DocumentVersion};
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A document, if the account has one of this name.
    pub fn document(&self, name: &str) -> Result<Option<Document>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached("SELECT record FROM ssm_documents WHERE name = ?1")?
            .query_row(params![name], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Every version of a document, oldest first.
    pub fn document_versions(&self, name: &str) -> Result<Vec<DocumentVersion>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT record FROM ssm_document_versions WHERE name = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map(params![name], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// One version of a document.
    pub fn document_version(
        &self,
        name: &str,
        version: i64,
    ) -> Result<Option<DocumentVersion>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT record FROM ssm_document_versions WHERE name = ?1 AND version = ?2",
            )?
            .query_row(params![name, version], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Calls `visit` with each document whose name sorts after `after`, in
    /// name order, until it returns `false`. Rows are streamed.
    pub fn scan_documents(
        &self,
        after: Option<&str>,
        mut visit: impl FnMut(Document) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT record FROM ssm_documents WHERE name > ?1 ORDER BY name")?;
        let mut rows = stmt.query(params![after.unwrap_or("")])?;
        while let Some(row) = rows.next()? {
            let record: String = row.get(0)?;
            if !visit(serde_json::from_str(&record)?)? {
                break;
            }
        }
        Ok(())
    }

    /// Creates or rewrites a document's shared record.
    pub fn save_document(&self, document: &Document) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_documents (name, record) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            params![document.name, serde_json::to_string(document)?],
        )?;
        Ok(())
    }

    /// Stores a version of a (saved) document.
    pub fn insert_document_version(
        &self,
        name: &str,
        version: &DocumentVersion,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ssm_document_versions (name, version, record) VALUES (?1, ?2, ?3)",
            params![name, version.version, serde_json::to_string(version)?],
        )?;
        Ok(())
    }

    /// Drops one version of a document.
    pub fn delete_document_version(&self, name: &str, version: i64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM ssm_document_versions WHERE name = ?1 AND version = ?2",
            params![name, version],
        )?;
        Ok(())
    }

    /// Deletes a document and every version; `false` if there was none.
    pub fn delete_document(&self, name: &str) -> Result<bool, StoreError> {
        let n = self.execute("DELETE FROM ssm_documents WHERE name = ?1", params![name])?;
        Ok(n > 0)
    }
}
