//! Lambda functions and their deployment packages.

use ballast_core::lambda::Function;
use ballast_core::lambda::invoke::Queued;
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
