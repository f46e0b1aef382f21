//! Lambda functions, their published versions and aliases, and their
//! deployment packages.

use ballast_core::lambda::invoke::Queued;
use ballast_core::lambda::{Alias, Function, Named, Qualifier, ResourcePolicy};
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

    /// Deletes a function with its versions and aliases; `false` when
    /// there was none.
    pub fn delete_function(&self, name: &str) -> Result<bool, StoreError> {
        let deleted = self.execute("DELETE FROM lambda_functions WHERE name = ?1", [name])?;
        self.execute("DELETE FROM lambda_versions WHERE name = ?1", [name])?;
        self.execute("DELETE FROM lambda_aliases WHERE function = ?1", [name])?;
        self.forget_unused_code()?;
        Ok(deleted == 1)
    }

    /// A published version of a function.
    pub fn function_version(
        &self,
        name: &str,
        version: u32,
    ) -> Result<Option<Function>, StoreError> {
        self.record(
            "SELECT record FROM lambda_versions WHERE name = ?1 AND version = ?2",
            params![name, version],
        )
    }

    /// A function's published versions, oldest first.
    pub fn function_versions(&self, name: &str) -> Result<Vec<Function>, StoreError> {
        self.records(
            "SELECT record FROM lambda_versions WHERE name = ?1 ORDER BY version",
            [name],
        )
    }

    /// Keeps a new published version (its package must be stored); a
    /// number already taken is an error, never an overwrite.
    pub fn insert_function_version(&self, version: &Function) -> Result<(), StoreError> {
        let number = version
            .number()
            .ok_or_else(|| StoreError::NotAVersion(version.version.clone()))?;
        self.execute(
            "INSERT INTO lambda_versions (name, version, record) VALUES (?1, ?2, ?3)",
            params![version.name, number, serde_json::to_string(version)?],
        )?;
        Ok(())
    }

    /// Saves what may change on a published version: its resource policy
    /// and revision.
    pub fn update_function_version(&self, version: &Function) -> Result<(), StoreError> {
        let number = version
            .number()
            .ok_or_else(|| StoreError::NotAVersion(version.version.clone()))?;
        self.execute(
            "UPDATE lambda_versions SET record = ?3 WHERE name = ?1 AND version = ?2",
            params![version.name, number, serde_json::to_string(version)?],
        )?;
        Ok(())
    }

    /// Every function's published versions, by function and number.
    pub fn all_function_versions(&self) -> Result<Vec<Function>, StoreError> {
        self.records(
            "SELECT record FROM lambda_versions ORDER BY name, version",
            [],
        )
    }

    /// Deletes a published version; `false` when there was none.
    pub fn delete_function_version(&self, name: &str, version: u32) -> Result<bool, StoreError> {
        let deleted = self.execute(
            "DELETE FROM lambda_versions WHERE name = ?1 AND version = ?2",
            params![name, version],
        )?;
        self.forget_unused_code()?;
        Ok(deleted == 1)
    }

    /// `$LATEST` or a published version, as `qualifier` names it; an
    /// alias names none here (see [`Tx::invoked_version`]).
    pub fn function_at(
        &self,
        name: &str,
        qualifier: Qualifier<'_>,
    ) -> Result<Option<Function>, StoreError> {
        match qualifier {
            Qualifier::Latest => self.function(name),
            Qualifier::Version(number) => self.function_version(name, number),
            Qualifier::Alias(_) => Ok(None),
        }
    }

    /// The version one invocation of `name:qualifier` runs: `$LATEST`, the
    /// version named, or the one the alias picks with `roll` (uniform in
    /// `[0, 1)`), with the function's reserved concurrency, which every
    /// version shares.
    pub fn invoked_version(
        &self,
        name: &str,
        qualifier: Qualifier<'_>,
        roll: f64,
    ) -> Result<Option<Function>, StoreError> {
        let Some(latest) = self.function(name)? else {
            return Ok(None);
        };
        let number = match qualifier {
            Qualifier::Latest => return Ok(Some(latest)),
            Qualifier::Version(number) => number,
            Qualifier::Alias(alias) => match self.alias(name, alias)? {
                // An alias points at `$LATEST` or a number.
                Some(alias) => match Qualifier::parse(Some(alias.pick(roll))) {
                    Qualifier::Version(number) => number,
                    _ => return Ok(Some(latest)),
                },
                None => return Ok(None),
            },
        };
        Ok(self
            .function_version(name, number)?
            .map(|version| version.invoked_with(&latest)))
    }

    /// The resource policy of the function, version or alias `named`
    /// names; `None` when there is no such thing.
    pub fn resource_policy(&self, named: Named<'_>) -> Result<Option<ResourcePolicy>, StoreError> {
        Ok(match Qualifier::parse(named.qualifier) {
            Qualifier::Alias(alias) => self.alias(named.name, alias)?.map(|a| a.policy),
            qualifier => self.function_at(named.name, qualifier)?.map(|f| f.policy),
        })
    }

    /// An alias of a function.
    pub fn alias(&self, function: &str, name: &str) -> Result<Option<Alias>, StoreError> {
        self.record(
            "SELECT record FROM lambda_aliases WHERE function = ?1 AND name = ?2",
            [function, name],
        )
    }

    /// A function's aliases, by name.
    pub fn aliases(&self, function: &str) -> Result<Vec<Alias>, StoreError> {
        self.records(
            "SELECT record FROM lambda_aliases WHERE function = ?1 ORDER BY name",
            [function],
        )
    }

    /// Inserts or replaces an alias.
    pub fn save_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO lambda_aliases (function, name, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (function, name) DO UPDATE SET record = excluded.record",
            params![alias.function, alias.name, serde_json::to_string(alias)?],
        )?;
        Ok(())
    }

    /// Deletes an alias; `false` when there was none.
    pub fn delete_alias(&self, function: &str, name: &str) -> Result<bool, StoreError> {
        let deleted = self.execute(
            "DELETE FROM lambda_aliases WHERE function = ?1 AND name = ?2",
            [function, name],
        )?;
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

    /// Drops the packages no function or version uses any more.
    fn forget_unused_code(&self) -> Result<(), StoreError> {
        let versions = self.all_function_versions()?;
        let used: Vec<String> = self
            .functions()?
            .into_iter()
            .chain(versions)
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

    /// Puts an asynchronous invocation in the queue, or replaces it (a
    /// retry).
    pub fn queue_invocation(&self, queued: &Queued) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO lambda_queue (id, not_before, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET not_before = excluded.not_before,
                                            record = excluded.record",
            params![
                queued.id,
                queued.not_before_millis,
                serde_json::to_string(queued)?
            ],
        )?;
        Ok(())
    }

    /// The queued invocations due at `now_millis`, oldest first.
    pub fn due_invocations(&self, now_millis: i64, limit: u32) -> Result<Vec<Queued>, StoreError> {
        self.records(
            "SELECT record FROM lambda_queue WHERE not_before <= ?1
             ORDER BY not_before, id LIMIT ?2",
            params![now_millis, limit],
        )
    }

    /// When the next queued invocation is due, if any is queued.
    pub fn next_invocation_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT MIN(not_before) FROM lambda_queue")?
            .query_row([], |row| row.get(0))?)
    }

    /// Takes an invocation out of the queue (it ran, or was given up).
    pub fn dequeue_invocation(&self, id: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM lambda_queue WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::lambda::invoke::Queued;

    use crate::{Store, StoreError};

    #[test]
    fn the_queue_gives_what_is_due_oldest_first_and_survives_a_reopen() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).expect("a store");
        let later = Queued::new("b".into(), "f".into(), "{}".into(), 2_000);
        let sooner = Queued::new("a".into(), "f".into(), "{\"k\":1}".into(), 1_000);
        store
            .write(|tx| -> Result<(), StoreError> {
                tx.queue_invocation(&later)?;
                tx.queue_invocation(&sooner)
            })
            .expect("queued");
        drop(store);
        let store = Store::open(dir.path()).expect("reopened");
        let (due, next, all) = store
            .read(|tx| -> Result<_, StoreError> {
                Ok((
                    tx.due_invocations(1_500, 10)?,
                    tx.next_invocation_due()?,
                    tx.due_invocations(i64::MAX, 10)?,
                ))
            })
            .expect("read");
        assert_eq!(due, vec![sooner.clone()]);
        assert_eq!(next, Some(1_000));
        assert_eq!(all, vec![sooner.clone(), later.clone()]);

        let retry = sooner.after_failure(1_000, |d| d).expect("a retry");
        store
            .write(|tx| -> Result<(), StoreError> {
                tx.queue_invocation(&retry)?;
                tx.dequeue_invocation("b")
            })
            .expect("rescheduled");
        let (next, all) = store
            .read(|tx| -> Result<_, StoreError> {
                Ok((tx.next_invocation_due()?, tx.due_invocations(i64::MAX, 10)?))
            })
            .expect("read");
        assert_eq!(next, Some(61_000));
        assert_eq!(all, vec![retry]);
    }
}
