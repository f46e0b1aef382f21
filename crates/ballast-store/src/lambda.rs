//! Lambda functions and their deployment packages.

use ballast_core::lambda::Function;
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A function by name.
    pub fn function(&self, name: &str) -> Result<Option<Function>, StoreError> {
        self.record(
            "SELECT record FROM lambda_functions WHERE name = ?1",
            [name],
        )
    }

    /// Every function, by name.
    pub fn functions(&self) -> Result<Vec<Function>, StoreError> {
        self.records("SELECT record FROM lambda_functions ORDER BY name", [])
    }

    /// Inserts or replaces a function (its package must be stored).
    pub fn save_function(&self, function: &Function) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO lambda_functions (name, record) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            params![function.name, serde_json::to_string(function)?],
        )?;
        self.forget_unused_code()
    }

    /// Deletes a function; `false` when there was none.
    pub fn delete_function(&self, name: &str) -> Result<bool, StoreError> {
        let deleted = self.execute("DELETE FROM lambda_functions WHERE name = ?1", [name])?;
        self.forget_unused_code()?;
        Ok(deleted == 1)
    }

    /// Keeps a deployment package under its hash.
    pub fn put_code(&self, sha256: &str, zip: &[u8]) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO lambda_code (sha256, zip) VALUES (?1, ?2)
             ON CONFLICT (sha256) DO NOTHING",
            params![sha256, zip],
        )?;
        Ok(())
    }

    /// A deployment package by hash.
    pub fn code(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT zip FROM lambda_code WHERE sha256 = ?1")?
            .query_row([sha256], |row| row.get(0))
            .optional()?)
    }

    /// Drops the packages no function uses any more.
    fn forget_unused_code(&self) -> Result<(), StoreError> {
        let used: Vec<String> = self
            .functions()?
            .into_iter()
            .map(|f| f.code.sha256)
            .collect();
        let stored: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare_cached("SELECT sha256 FROM lambda_code")?;
            stmt.query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        for sha in stored.iter().filter(|s| !used.contains(s)) {
            self.execute("DELETE FROM lambda_code WHERE sha256 = ?1", [sha])?;
        }
        Ok(())
    }
}
