//! The writer connection and its group commit: writes that arrive while
//! another one runs share its transaction, and so its commit.
//!
//! Why: with [`crate::Durability::Machine`] every commit waits for the disk
//! to sync the WAL (about 0.2 ms on a virtual disk, more on many laptops).
//! One commit per write would cap writes at the device's sync rate however
//! many clients write at once. (Without the sync a commit still costs WAL
//! frame headers and lock traffic, which grouping shares too.) Instead a
//! write that finishes while others wait for the writer leaves the
//! transaction open for them, and the write that finds nobody waiting
//! commits for the whole group. Each write still returns only after the
//! commit that holds it, so an acknowledged write is as durable as one
//! committed alone.
//!
//! A write that joins an open transaction runs inside a savepoint, so its
//! failure (or panic) undoes only its own changes. A group is closed after
//! [`MAX_GROUP`] writes, so a steady stream of writers cannot hold its
//! first member's answer back for long.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};

use rusqlite::Connection;

use crate::checkpoint::Checkpointer;
use crate::dynamodb::TableCache;
use crate::{Emitter, StoreError, Tx};

/// The most writes one transaction gathers before it is committed.
const MAX_GROUP: usize = 32;

/// The single writer connection, and the commit group it is gathering.
#[derive(Debug)]
pub(crate) struct Writer {
    state: Mutex<State>,
    /// Threads waiting for `state`. While any is, a finished write hands
    /// the open transaction on instead of committing it.
    waiting: AtomicUsize,
    /// Commits attempted since the store opened ([`crate::Store::generation`]).
    commits: AtomicU64,
    /// Told of every commit, so the WAL is checkpointed off this path.
    checkpointer: Checkpointer,
}

#[derive(Debug)]
struct State {
    conn: Connection,
    /// DynamoDB tables as this connection last read them.
    tables: TableCache,
    /// The open transaction's group, if a transaction is open.
    group: Option<Arc<Group>>,
    /// How many writes have run in the open transaction.
    members: usize,
}

/// The writes of one transaction; those that handed it on wait here for
/// its commit.
#[derive(Debug, Default)]
struct Group {
    outcome: Mutex<Option<Result<(), String>>>,
    settled: Condvar,
}

impl Group {
    fn settle(&self, outcome: Result<(), String>) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.settled.notify_all();
    }

    /// Waits until the group's transaction committed or failed.
    fn wait(&self) -> Result<(), StoreError> {
        let mut outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return outcome.clone().map_err(StoreError::GroupCommit);
            }
            outcome = self
                .settled
                .wait(outcome)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// One write's place in a group: the group, and whether the write opened
/// the transaction (else it runs in a savepoint).
struct Member {
    group: Arc<Group>,
    opened: bool,
}

impl Writer {
    pub(crate) fn new(conn: Connection, checkpointer: Checkpointer) -> Writer {
        Writer {
            state: Mutex::new(State {
                conn,
                tables: TableCache::default(),
                group: None,
                members: 0,
            }),
            waiting: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            checkpointer,
        }
    }

    /// Commits attempted so far; counted after each commit, before any
    /// write in it returns.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Acquire)
    }

    /// Runs `f` in the open transaction (or a new one) and returns once
    /// what it wrote is committed; a failed `f` leaves nothing behind.
    pub(crate) fn write<T, E>(
        &self,
        emitter: Option<&Emitter>,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        self.run(state, emitter, f, Grouping::HandOn)
    }

    /// Runs `f` as [`Writer::write`] does, in a transaction of its own,
    /// if the writer is free; `None`, having run nothing, when another
    /// write holds it, waits for it, or has left its transaction open to
    /// one. So the caller never waits for another write.
    pub(crate) fn try_write<T, E>(
        &self,
        emitter: Option<&Emitter>,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Option<Result<T, E>>
    where
        E: From<StoreError>,
    {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let state = match self.state.try_lock() {
            Ok(state) => state,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        if state.group.is_some() {
            return None;
        }
        Some(self.run(state, emitter, f, Grouping::Alone))
    }

    fn run<T, E>(
        &self,
        mut state: MutexGuard<'_, State>,
        emitter: Option<&Emitter>,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
        grouping: Grouping,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let member = match state.join() {
            Ok(member) => member,
            Err(error) => {
                self.hand_on_or_commit(state, grouping);
                return Err(StoreError::Sqlite(error).into());
            }
        };
        let outcome = {
            let tx = Tx {
                conn: &state.conn,
                emitter,
                tables: Some(&state.tables),
                open: false,
            };
            panic::catch_unwind(AssertUnwindSafe(|| f(&tx)))
        };
        state.leave(&member, matches!(outcome, Ok(Ok(_))));
        let committed = self.hand_on_or_commit(state, grouping);

        let value = match outcome {
            Ok(result) => result?,
            Err(panic) => panic::resume_unwind(panic),
        };
        match committed {
            Some(committed) => committed?,
            None => member.group.wait()?,
        }
        Ok(value)
    }

    /// Leaves the open transaction to a write about to join it, or commits
    /// it (`Some` with the commit's result) when none is, the group is
    /// full, or the write is to be alone. Either way the writer is free
    /// again.
    fn hand_on_or_commit(
        &self,
        mut state: MutexGuard<'_, State>,
        grouping: Grouping,
    ) -> Option<Result<(), StoreError>> {
        let joiner = grouping == Grouping::HandOn
            && self.waiting.load(Ordering::SeqCst) > 0
            && state.members < MAX_GROUP;
        if state.group.is_none() || joiner {
            return None;
        }
        let committed = state.commit(&self.commits);
        drop(state);
        self.checkpointer.committed();
        Some(committed)
    }
}

/// Whether a write may leave its transaction open to writes waiting for
/// the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    HandOn,
    Alone,
}

impl State {
    /// Opens a transaction for a new group, or a savepoint in the open one.
    fn join(&mut self) -> Result<Member, rusqlite::Error> {
        if self.group.is_some() && self.conn.is_autocommit() {
            // SQLite rolled the transaction back by itself after an error
            // (a full disk, an I/O error): its writes are gone.
            self.lose("SQLite rolled the transaction back after an error");
        }
        match &self.group {
            Some(group) => {
                self.run("SAVEPOINT member")?;
                self.members += 1;
                Ok(Member {
                    group: Arc::clone(group),
                    opened: false,
                })
            }
            None => {
                self.run("BEGIN IMMEDIATE")?;
                let group = Arc::new(Group::default());
                self.group = Some(Arc::clone(&group));
                self.members = 1;
                Ok(Member {
                    group,
                    opened: true,
                })
            }
        }
    }

    /// Ends a write's part: keeps its changes, or undoes them alone.
    fn leave(&mut self, member: &Member, kept: bool) {
        if !kept {
            // What is undone may include a table's write.
            self.tables.clear();
        }
        let undone = match (kept, member.opened) {
            (true, true) => Ok(()),
            (true, false) => self.run("RELEASE member"),
            // Nobody else is in the transaction yet: drop all of it.
            (false, true) => {
                self.lose("the write that opened it failed");
                Ok(())
            }
            (false, false) => self
                .run("ROLLBACK TO member")
                .and_then(|()| self.run("RELEASE member")),
        };
        if let Err(error) = undone {
            self.lose(&format!("ending a write's savepoint failed: {error}"));
        }
        if self.group.is_some() && self.conn.is_autocommit() {
            self.lose("SQLite rolled the transaction back after an error");
        }
    }

    /// Commits the open transaction for its group and wakes the group.
    fn commit(&mut self, commits: &AtomicU64) -> Result<(), StoreError> {
        let committed = self.run("COMMIT");
        if committed.is_err() {
            self.tables.clear();
            self.rollback_if_open();
        }
        // Counted even when the commit failed: whether anything changed is
        // then unknown, and a memo read again costs only time.
        commits.fetch_add(1, Ordering::Release);
        let outcome = committed.as_ref().map_err(ToString::to_string).copied();
        if let Some(group) = self.group.take() {
            group.settle(outcome);
        }
        self.members = 0;
        Ok(committed?)
    }

    /// Ends the group whose transaction is gone (or cannot go on),
    /// failing its writes.
    fn lose(&mut self, why: &str) {
        self.tables.clear();
        self.rollback_if_open();
        if let Some(group) = self.group.take() {
            group.settle(Err(why.to_owned()));
        }
        self.members = 0;
    }

    fn rollback_if_open(&self) {
        if !self.conn.is_autocommit() {
            // If even the rollback fails, SQLite rolls back on next use.
            let _ = self.run("ROLLBACK");
        }
    }

    fn run(&self, sql: &str) -> Result<(), rusqlite::Error> {
        self.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use crate::{Store, StoreError, Tx};

    fn tag(tx: &Tx<'_>, resource: &str) -> Result<(), StoreError> {
        tx.put_tags(resource, &[("k".into(), "v".into())])
    }

    fn tagged(store: &Store, resource: &str) -> bool {
        !store.read(|tx| tx.tags(resource)).unwrap().is_empty()
    }

    /// Blocks until another thread waits for the writer (deadline 10 s).
    fn until_another_waits(store: &Store) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while store
            .writer
            .waiting
            .load(std::sync::atomic::Ordering::SeqCst)
            == 0
        {
            assert!(Instant::now() < deadline, "no second write arrived");
            thread::yield_now();
        }
    }

    /// Runs the write `first` on a thread, holding the writer until
    /// `second` (run on another thread) waits for it; both results, and
    /// the commits made meanwhile.
    fn pair<B: Send + 'static>(
        first: impl FnOnce(&Tx<'_>) -> Result<(), StoreError> + Send + 'static,
        second: impl FnOnce(&Store) -> B + Send + 'static,
    ) -> (
        Arc<Store>,
        Result<(), StoreError>,
        B,
        u64,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let before = store.generation();
        let (inside, is_inside) = std::sync::mpsc::channel();
        let a = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                store.write(|tx| {
                    inside.send(()).unwrap();
                    until_another_waits(&store);
                    first(tx)
                })
            })
        };
        is_inside.recv().unwrap();
        let b = {
            let store = Arc::clone(&store);
            thread::spawn(move || second(&store))
        };
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        let commits = store.generation() - before;
        (store, a, b, commits, dir)
    }

    #[test]
    fn a_write_that_waited_shares_the_commit_of_the_one_before() {
        let (store, a, b, commits, _dir) =
            pair(|tx| tag(tx, "a"), |store| store.write(|tx| tag(tx, "b")));
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(commits, 1, "two writes, one commit");
        assert!(tagged(&store, "a") && tagged(&store, "b"));
    }

    #[test]
    fn a_failed_write_in_a_group_undoes_only_itself() {
        let (store, a, b, commits, _dir) = pair(
            |tx| tag(tx, "a"),
            |store| {
                store.write(|tx| {
                    tag(tx, "b")?;
                    Err::<(), _>(StoreError::GroupCommit("refused".into()))
                })
            },
        );
        assert!(a.is_ok());
        assert!(matches!(b, Err(StoreError::GroupCommit(why)) if why == "refused"));
        assert_eq!(commits, 1);
        assert!(tagged(&store, "a"));
        assert!(!tagged(&store, "b"), "the failed write left its change");
    }

    #[test]
    fn a_table_written_by_an_undone_write_in_a_group_is_not_cached() {
        let (store, a, b, _, _dir) = pair(
            |tx| tag(tx, "a"),
            |store| {
                store.write(|tx| {
                    tx.insert_ddb_table(&crate::dynamodb::tests::table())?;
                    assert!(tx.ddb_table_shared("numbers")?.is_some());
                    Err::<(), _>(StoreError::GroupCommit("refused".into()))
                })
            },
        );
        assert!(a.is_ok() && b.is_err());
        let table = store.write(|tx| tx.ddb_table_shared("numbers")).unwrap();
        assert!(table.is_none(), "the writer kept a table its write undid");
    }

    #[test]
    fn a_panicking_write_in_a_group_undoes_only_itself() {
        let (store, a, b, _, _dir) = pair(
            |tx| tag(tx, "a"),
            |store| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    store.write(|tx| -> Result<(), StoreError> {
                        tag(tx, "b")?;
                        panic!("handler bug")
                    })
                }))
            },
        );
        assert!(a.is_ok());
        assert!(b.is_err(), "the panic reached its caller");
        assert!(tagged(&store, "a"));
        assert!(!tagged(&store, "b"));
        store.write(|tx| tag(tx, "c")).unwrap();
        assert!(tagged(&store, "c"), "the writer works after a panic");
    }

    #[test]
    fn a_failed_first_write_leaves_the_transaction_to_the_next() {
        let (store, a, b, _, _dir) = pair(
            |tx| {
                tag(tx, "a")?;
                Err(StoreError::GroupCommit("refused".into()))
            },
            |store| store.write(|tx| tag(tx, "b")),
        );
        assert!(a.is_err());
        assert!(b.is_ok());
        assert!(!tagged(&store, "a"));
        assert!(tagged(&store, "b"));
    }

    #[test]
    fn no_write_of_a_transaction_that_vanished_is_acknowledged() {
        // As SQLite does by itself after some I/O errors: the transaction
        // is rolled back under the group's feet.
        let (store, a, b, _, _dir) = pair(
            |tx| tag(tx, "a"),
            |store| {
                store.write(|tx| {
                    tag(tx, "b")?;
                    tx.execute("ROLLBACK", []).map(drop)
                })
            },
        );
        assert!(matches!(a, Err(StoreError::GroupCommit(_))), "{a:?}");
        assert!(matches!(b, Err(StoreError::GroupCommit(_))), "{b:?}");
        assert!(!tagged(&store, "a") && !tagged(&store, "b"));
        store.write(|tx| tag(tx, "c")).unwrap();
        assert!(tagged(&store, "c"), "the writer works afterwards");
    }

    #[test]
    fn many_writers_at_once_all_commit_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let store = Arc::clone(&store);
                thread::spawn(move || {
                    for i in 0..50 {
                        store.write(|tx| tag(tx, &format!("w{w}-{i}"))).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        assert!(store.generation() <= 400);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        for w in 0..8 {
            for i in 0..50 {
                assert!(tagged(&store, &format!("w{w}-{i}")), "w{w}-{i} lost");
            }
        }
    }
}
