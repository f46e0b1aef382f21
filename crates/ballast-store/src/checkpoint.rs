//! Checkpoints on a thread of their own: copying the WAL back into the
//! database file happens here, never in a write.
//!
//! Why: SQLite checkpoints by default inside the commit that makes the WAL
//! pass 1,000 pages, and a checkpoint syncs the WAL and the database file
//! (two `fsync`s, whatever the durability). That write, and the thread
//! running it (an API thread, for a write that runs inline), would wait for
//! them. Here the writer connection's automatic checkpoints are off, and
//! this thread, with a connection of its own, runs a `PASSIVE` checkpoint
//! (which waits for no reader or writer) after every [`EVERY`] commits, or
//! within a second of a commit when fewer came.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::StoreError;

/// Commits between checkpoints under a steady load. A small write's
/// commit adds two to four pages to the WAL, so this keeps the WAL near
/// SQLite's own threshold of 1,000 pages.
const EVERY: u64 = 256;

/// How long after its first commit a smaller batch is checkpointed.
const IDLE: Duration = Duration::from_secs(1);

/// The checkpoint thread; stopped when dropped (closing the last
/// connection checkpoints what is left).
#[derive(Debug)]
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    due: Mutex<Due>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct Due {
    /// Commits since the last checkpoint.
    commits: u64,
    stop: bool,
}

impl Checkpointer {
    /// Starts the thread, which checkpoints through a connection that
    /// `open` makes there (so start-up does not wait for it), and makes
    /// again at the next checkpoint if it failed.
    pub(crate) fn start(
        open: impl Fn() -> Result<Connection, StoreError> + Send + 'static,
    ) -> std::io::Result<Checkpointer> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("ballast-checkpoint".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.run(open)
            })?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Counts a commit; wakes the thread when a checkpoint is due.
    pub(crate) fn committed(&self) {
        let mut due = self.shared.lock();
        due.commits += 1;
        if due.commits == 1 || due.commits >= EVERY {
            self.shared.wake.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // A panic on that thread has already been reported.
            let _ = thread.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Due> {
        self.due.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self, open: impl Fn() -> Result<Connection, StoreError>) {
        let mut conn = None;
        let mut due = self.lock();
        while !due.stop {
            due = match due.commits {
                0 => self.wake.wait(due).unwrap_or_else(PoisonError::into_inner),
                n if n < EVERY => {
                    let (due, waited) = self
                        .wake
                        .wait_timeout(due, IDLE)
                        .unwrap_or_else(PoisonError::into_inner);
                    if waited.timed_out() && !due.stop {
                        self.checkpoint(&mut conn, &open, due)
                    } else {
                        due
                    }
                }
                _ => self.checkpoint(&mut conn, &open, due),
            };
        }
    }

    /// Checkpoints what the WAL holds, without holding the lock meanwhile.
    fn checkpoint<'a>(
        &'a self,
        conn: &mut Option<Connection>,
        open: &impl Fn() -> Result<Connection, StoreError>,
        mut due: MutexGuard<'a, Due>,
    ) -> MutexGuard<'a, Due> {
        due.commits = 0;
        drop(due);
        let checkpointed = match conn {
            Some(conn) => passive(conn),
            None => open().and_then(|opened| passive(conn.insert(opened))),
        };
        if let Err(error) = checkpointed {
            tracing::warn!(%error, "checkpointing the store's WAL");
        }
        self.lock()
    }
}

/// A checkpoint that waits for no reader or writer.
fn passive(conn: &Connection) -> Result<(), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rusqlite::{Connection, OpenFlags};

    use crate::{Store, StoreError};

    /// Whether the database file alone (a copy, without its WAL) holds
    /// the tag `r1` (any failure to read the copy counts as no).
    fn file_alone_holds_the_write(store: &Store, copy: &std::path::Path) -> bool {
        let read = || -> Result<bool, Box<dyn std::error::Error>> {
            std::fs::copy(store.path(), copy)?;
            let conn = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let count: i64 = conn.query_row(
                "SELECT count(*) FROM tags WHERE resource = 'r1'",
                [],
                |row| row.get(0),
            )?;
            Ok(count > 0)
        };
        read().unwrap_or(false)
    }

    #[test]
    fn a_commit_reaches_the_database_file_without_a_write_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let copies = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .write(|tx| -> Result<(), StoreError> {
                tx.put_tags("r1", &[("k".into(), "v".into())])
            })
            .unwrap();

        let copy = copies.path().join("copy.db");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !file_alone_holds_the_write(&store, &copy) {
            assert!(
                Instant::now() < deadline,
                "the write never reached the database file"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Nothing else wrote: the checkpoint thread did.
        assert_eq!(store.generation(), 1);
    }
}
