//! Ballast's durable store: one SQLite database in WAL mode.
//!
//! The store is the single source of truth. Every mutation runs in a
//! transaction ([`Store::write`]) that is committed before the API
//! acknowledges it, so an acknowledged change survives `kill -9`; with
//! [`Durability::Machine`] the commit is also synced to disk first, so it
//! survives power loss. Writes that arrive together share one transaction
//! (group commit, `writer.rs`), each in its own savepoint. Reads use their
//! own connections (a small pool: WAL lets readers run side by side), so
//! they never wait for a writer or, up to the pool's size, for each other.
//! Schema changes are versioned migrations ([`migrations`]) applied on
//! open.
//!
//! Each resource family adds methods to [`Tx`] in its own module.

mod addresses;
mod automation;
mod autoscaling;
mod checkpoint;
mod commands;
mod dynamodb;
mod ec2;
mod elbv2;
mod events;
mod iam;
mod instances;
mod lambda;
mod launch;
mod launch_templates;
mod maintenance_windows;
mod memo;
pub mod migrations;
mod ssm;
mod ssm_documents;
mod ssm_ops_items;
mod sts;
mod tags;
mod volumes;
mod writer;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use ballast_core::{Ids, Scope};

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use dynamodb::{
    Row as DdbRow, ScanRange as DdbScanRange, StartAfter as DdbStartAfter, TtlSweep,
};
pub use iam::{Holder, PolicyHolders, ProfileWithRole};
pub use launch::{LaunchResources, PreparedLaunch, TemplateChoice};
pub use maintenance_windows::ClientToken;
pub use memo::Memo;

/// A store failure. These are never the caller's fault; the API reports them
/// as internal errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the store {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database schema version {found} is newer than this Ballast knows ({known})")]
    SchemaTooNew { found: i64, known: i64 },
    /// A write inside [`without_writes`]: the caller runs the work again
    /// where waiting for a commit is allowed.
    #[error("a write was attempted where only reads may run")]
    WriteNotAllowedHere,
    /// The commit this write shared with others failed (its own error went
    /// to the write that committed).
    #[error("the commit shared with other writes failed: {0}")]
    GroupCommit(String),
    #[error("cannot start the checkpoint thread: {0}")]
    Checkpointer(std::io::Error),
    /// A Lambda function record saved as a published version was not one
    /// (a caller's mistake, never a request's).
    #[error("version {0} of a function is not a published version")]
    NotAVersion(String),
    /// Another process holds the database: one store, one process.
    #[error("another process (another `ballast up`?) is using the store in {path}")]
    InUse { path: PathBuf },
}

/// What an acknowledged write survives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// The end of Ballast's process (`kill -9`, a panic, the OOM killer).
    /// A commit is written to the WAL file, in the kernel's page cache,
    /// before the write returns; the kernel writes it to disk soon after.
    /// An OS crash or power loss may lose the last commits, never the
    /// database's consistency (SQLite's `synchronous=NORMAL` in WAL mode).
    #[default]
    Process,
    /// The machine's end too (an OS crash, power loss): every commit waits
    /// for the disk to sync the WAL (`synchronous=FULL`), about 0.2 ms on
    /// a virtual disk, shared by the writes of one commit group.
    Machine,
}

impl Durability {
    /// The `synchronous` pragma that gives it.
    fn synchronous(self) -> &'static str {
        match self {
            Durability::Process => "NORMAL",
            Durability::Machine => "FULL",
        }
    }
}

/// The database, with a writer connection and a pool of reader
/// connections.
#[derive(Debug)]
pub struct Store {
    writer: writer::Writer,
    durability: Durability,
    readers: Vec<Mutex<Connection>>,
    /// Where the next read starts looking for a free reader.
    next_reader: AtomicUsize,
    path: PathBuf,
    emitter: Option<Emitter>,
}

/// What the store needs to put on EventBridge's default bus the events
/// AWS sends by itself when a record changes: EC2's state-change
/// notifications and Auto Scaling's launch and termination outcomes. They
/// are sent where the record is saved, in its transaction, so no way of
/// changing an instance or ending an activity can miss its event, and an
/// event is queued exactly when its change commits.
#[derive(Debug, Clone)]
pub struct Emitter {
    /// The account and region events name.
    pub scope: Scope,
    /// Event and request ids.
    pub ids: Arc<Ids>,
}

/// A transaction, extended by each resource module with typed accessors.
/// A read transaction ends when dropped; a write's is ended by the writer
/// (`writer.rs`).
///
/// Written here rather than with `rusqlite::Transaction`, which prepares
/// `BEGIN` and `COMMIT` anew each time: on a read of one row that was a
/// tenth of the store's time. These statements are cached.
pub struct Tx<'c> {
    conn: &'c Connection,
    emitter: Option<&'c Emitter>,
    /// The writer's cache of DynamoDB tables; `None` in a read.
    tables: Option<&'c dynamodb::TableCache>,
    open: bool,
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A read has nothing to keep, a failed write nothing to save;
            // if even the rollback fails, SQLite rolls back on next use.
            let _ = self.execute("ROLLBACK", []);
        }
    }
}

impl Store {
    /// The database file inside a data directory.
    pub const FILE_NAME: &'static str = "ballast.db";

    /// Opens (creating if needed) the store in `data_dir` and migrates it,
    /// with the default [`Durability`].
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(data_dir, Durability::default())
    }

    /// [`Store::open`] with a chosen [`Durability`].
    pub fn open_with(data_dir: &Path, durability: Durability) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(Self::FILE_NAME);
        migrations::image::install(&path).map_err(|source| StoreError::Create {
            path: path.clone(),
            source,
        })?;
        let mut writer = connect(&path, OpenFlags::default())?;
        configure(&writer, durability).map_err(|error| match error {
            StoreError::Sqlite(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                StoreError::InUse { path: path.clone() }
            }
            other => other,
        })?;
        migrations::apply(&mut writer)?;
        // The checkpoint thread checkpoints instead ([`checkpoint`]).
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = checkpoint::Checkpointer::start({
            let path = path.clone();
            move || {
                let conn = connect(&path, OpenFlags::default())?;
                configure(&conn, durability)?;
                Ok(conn)
            }
        })
        .map_err(StoreError::Checkpointer)?;
        let mut readers = Vec::new();
        for _ in 0..reader_count() {
            let reader = connect(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.busy_timeout(std::time::Duration::from_secs(5))?;
            reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            readers.push(Mutex::new(reader));
        }
        Ok(Store {
            writer: writer::Writer::new(writer, checkpointer),
            durability,
            readers,
            next_reader: AtomicUsize::new(0),
            path,
            emitter: None,
        })
    }

    /// The store, sending the events of [`Emitter`]; without one (as in
    /// unit tests) it sends none.
    #[must_use]
    pub fn with_emitter(mut self, emitter: Emitter) -> Store {
        self.emitter = Some(emitter);
        self
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What an acknowledged write survives.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Runs `f` in a read-only transaction over a consistent snapshot.
    pub fn read<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let conn = self.reader();
        let tx = Tx::begin_read(&conn)?;
        let result = f(&tx);
        // A read transaction has nothing to commit; dropping it ends it.
        drop(tx);
        result
    }

    /// Runs `f` in a write transaction, its changes kept only if `f`
    /// succeeds. The commit is durable when this returns. Writes that
    /// arrive while another runs share its commit (`writer.rs`); each sees
    /// the ones before it, as if they had run one after another.
    pub fn write<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        match WRITES.get() {
            Writes::Allowed => self.writer.write(self.emitter.as_ref(), f),
            Writes::IfFree => match self.writer.try_write(self.emitter.as_ref(), f) {
                Some(result) => {
                    // Something may be committed: the run must go on
                    // here, so its later writes wait if they must.
                    WRITES.set(Writes::Allowed);
                    result
                }
                None => {
                    WRITES.set(Writes::Attempted);
                    Err(StoreError::WriteNotAllowedHere.into())
                }
            },
            Writes::Refused | Writes::Attempted => {
                WRITES.set(Writes::Attempted);
                Err(StoreError::WriteNotAllowedHere.into())
            }
        }
    }

    /// The number of commits attempted since the store opened. Any
    /// committed change to the data comes with a new generation, counted
    /// after its commit and before [`Store::write`] returns for any write
    /// in it; [`Memo`] keeps values for one generation.
    pub fn generation(&self) -> u64 {
        self.writer.commits()
    }

    /// A free reader connection, or, when every one is busy, the next one
    /// in turn once it is free.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let count = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..count {
            match self.readers[(start + i) % count].try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        self.readers[start % count]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether this thread may write, and whether it tried to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    Allowed,
    Refused,
    /// The first write runs only if the writer is free ([`writes_if_free`]).
    IfFree,
    /// A write was refused.
    Attempted,
}

thread_local! {
    static WRITES: Cell<Writes> = const { Cell::new(Writes::Allowed) };
}

/// Runs `f` with every [`Store::write`] on this thread refused
/// ([`StoreError::WriteNotAllowedHere`]). `None` when `f` tried to write:
/// its result is then meaningless, and the caller runs the work again
/// where a write may wait for its commit.
///
/// Why: the API runs read-only operations on its async threads, which must
/// not wait on an `fsync`; a write that slips into one (an operation
/// misjudged as a read) costs a second run, never a blocked thread or a lost
/// write. The marker is restored even if `f` panics.
pub fn without_writes<R>(f: impl FnOnce() -> R) -> Option<R> {
    run_marked(Writes::Refused, f)
}

/// Runs `f` with its first [`Store::write`] run only if the writer is
/// free at once, in a transaction of its own; later writes run as usual.
/// `None` when that first write was refused: nothing was written, and the
/// caller runs the work again where a write may wait.
///
/// Why: with [`Durability::Process`] a commit waits for no disk (the
/// checkpoint thread syncs), so an API thread can run a small write itself
/// instead of hopping to a blocking thread and back, as long as it never
/// waits for another write. The marker is restored even if `f` panics.
pub fn writes_if_free<R>(f: impl FnOnce() -> R) -> Option<R> {
    run_marked(Writes::IfFree, f)
}

/// Runs `f` with this thread's marker set to `mark`; `None` when a write
/// was refused.
fn run_marked<R>(mark: Writes, f: impl FnOnce() -> R) -> Option<R> {
    struct Restore(Writes);
    impl Drop for Restore {
        fn drop(&mut self) {
            let restored = match (self.0, WRITES.get()) {
                // An inner run's refusal is the outer run's too.
                (Writes::Refused | Writes::IfFree, Writes::Attempted) => Writes::Attempted,
                // An inner run wrote: the outer one must not be run again.
                (Writes::IfFree, Writes::Allowed) => Writes::Allowed,
                (outer, _) => outer,
            };
            WRITES.set(restored);
        }
    }
    let _restore = Restore(WRITES.replace(mark));
    let result = f();
    (WRITES.get() != Writes::Attempted).then_some(result)
}

/// How many reader connections the pool holds: one per core, at least two
/// (a read never waits for another while a core is idle) and at most
/// eight (each holds its own page cache).
fn reader_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// How many prepared statements each connection keeps: every statement the
/// store runs (a few hundred) stays compiled, where rusqlite's default of 16
/// would evict and re-prepare them under a mixed load.
const STATEMENT_CACHE: usize = 512;

/// SQLite's VFS for a database one process owns: it holds an exclusive
/// lock on the file from the first read, so no other process can open it,
/// and keeps the WAL index in this process's memory, so the connections
/// here coordinate through it without the `fcntl` lock calls every
/// transaction otherwise makes on the `-shm` file (about 7% of a small
/// write's CPU).
const VFS: &str = "unix-excl";

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    Ok(Connection::open_with_flags_and_vfs(path, flags, VFS)?)
}

fn configure(conn: &Connection, durability: Durability) -> Result<(), StoreError> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", durability.synchronous())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl Tx<'_> {
    /// A read transaction on `conn`: a consistent snapshot until dropped.
    fn begin_read(conn: &Connection) -> Result<Tx<'_>, StoreError> {
        let mut tx = Tx {
            conn,
            emitter: None,
            tables: None,
            open: false,
        };
        tx.execute("BEGIN DEFERRED", [])?;
        tx.open = true;
        Ok(tx)
    }

    fn conn(&self) -> &Connection {
        self.conn
    }

    /// Runs one (cached) statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: impl rusqlite::Params) -> Result<usize, StoreError> {
        Ok(self.conn().prepare_cached(sql)?.execute(args)?)
    }

    /// The JSON `record` column of the one row `sql` selects, decoded.
    fn record<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Option<T>, StoreError> {
        use rusqlite::OptionalExtension as _;
        let record: Option<String> = self
            .conn()
            .prepare_cached(sql)?
            .query_row(args, |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// The JSON `record` column of every row `sql` selects, decoded.
    fn records<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt.query_map(args, |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::thread::JoinHandle;

    use super::*;

    /// A transaction held open on another thread until released.
    struct Held<T> {
        release: mpsc::Sender<()>,
        thread: JoinHandle<T>,
    }

    impl<T: Send + 'static> Held<T> {
        /// Runs `transaction` (a read or a write of `store`) on another
        /// thread; it calls the function it is given where it is to stay
        /// until released. Returns once it is there.
        fn start(
            store: &Arc<Store>,
            transaction: impl FnOnce(&Store, &dyn Fn()) -> T + Send + 'static,
        ) -> Held<T> {
            let (inside, is_inside) = mpsc::channel();
            let (release, released) = mpsc::channel::<()>();
            let store = Arc::clone(store);
            let thread = std::thread::spawn(move || {
                transaction(&store, &|| {
                    inside.send(()).unwrap();
                    released.recv().unwrap();
                })
            });
            is_inside.recv().unwrap();
            Held { release, thread }
        }

        fn release(self) -> T {
            self.release.send(()).unwrap();
            self.thread.join().unwrap()
        }
    }

    #[test]
    fn a_read_does_not_wait_for_another() {
        use std::time::Duration;

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let holder = Held::start(&store, |store, stay| {
            store.read(|tx| {
                stay();
                tx.instances()
            })
        });
        let (done, is_done) = mpsc::channel();
        let reader = {
            let store = Arc::clone(&store);
            std::thread::spawn(move || done.send(store.read(|tx| tx.instances()).is_ok()))
        };
        // With one shared reader this read would wait for the holder.
        let finished = is_done.recv_timeout(Duration::from_secs(5));
        holder.release().unwrap();
        reader.join().unwrap().unwrap();
        assert_eq!(finished, Ok(true), "the second read waited for the first");
    }

    #[test]
    fn failed_writes_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let result: Result<(), StoreError> = store.write(|tx| {
            tx.put_tags("r1", &[("k".into(), "v".into())])?;
            Err(StoreError::SchemaTooNew { found: 0, known: 0 })
        });
        assert!(result.is_err());
        let tags = store.read(|tx| tx.tags("r1")).unwrap();
        assert!(tags.is_empty());
    }

    #[test]
    fn committed_writes_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())]))
                .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let tags = store.read(|tx| tx.tags("r1")).unwrap();
        assert_eq!(tags, [("k".to_owned(), "v".to_owned())]);
    }

    /// Set in the child process [`another_process_is_refused_the_store`]
    /// starts: the data directory whose store it holds.
    const HOLD_ENV: &str = "BALLAST_STORE_TEST_HOLD";

    #[test]
    fn another_process_is_refused_the_store() {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};

        if let Some(dir) = std::env::var_os(HOLD_ENV) {
            // The child: hold the store until the parent closes stdin.
            let store = Store::open(Path::new(&dir)).unwrap();
            store.read(|tx| tx.tags("r1")).unwrap();
            println!("holding");
            let _ = std::io::stdin().read_line(&mut String::new());
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tests::another_process_is_refused_the_store",
                "--nocapture",
            ])
            .env(HOLD_ENV, dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let held = (&mut stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("holding"));
        assert!(held, "the child never held the store");

        let refused = Store::open(dir.path());
        drop(child.stdin.take());
        // Read the child's last words, so it is not cut off mid-line.
        std::io::copy(&mut stdout, &mut std::io::sink()).unwrap();
        child.wait().unwrap();
        assert!(
            matches!(&refused, Err(StoreError::InUse { path }) if path.starts_with(dir.path())),
            "{refused:?}"
        );
        // Once the holder is gone the store opens.
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn durability_chooses_whether_a_commit_waits_for_the_disk() {
        let synchronous = |durability| {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open_with(dir.path(), durability).unwrap();
            store
                .write(|tx| -> Result<i64, StoreError> {
                    Ok(tx
                        .conn()
                        .pragma_query_value(None, "synchronous", |row| row.get(0))?)
                })
                .unwrap()
        };
        assert_eq!(synchronous(Durability::Process), 1, "NORMAL");
        assert_eq!(synchronous(Durability::Machine), 2, "FULL");
        assert_eq!(Durability::default(), Durability::Process);
    }

    #[test]
    fn without_writes_refuses_a_write_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let read = without_writes(|| store.read(|tx| tx.tags("r1")));
        assert_eq!(read.map(|r| r.unwrap()), Some(vec![]), "a read runs");

        let wrote =
            without_writes(|| store.write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())])));
        assert!(wrote.is_none(), "a write is reported");
        assert!(
            store.read(|tx| tx.tags("r1")).unwrap().is_empty(),
            "and changed nothing"
        );

        // Outside, writes run again, also after a run that panicked.
        let panicked = std::panic::catch_unwind(|| without_writes(|| panic!("handler bug")));
        assert!(panicked.is_err());
        store
            .write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())]))
            .unwrap();
        assert_eq!(store.read(|tx| tx.tags("r1")).unwrap().len(), 1);
    }

    #[test]
    fn writes_if_free_writes_when_the_writer_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ran = writes_if_free(|| {
            store.write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())]))?;
            // Once one write ran, the next may wait: it is not refused.
            store.write(|tx| tx.put_tags("r2", &[("k".into(), "v".into())]))
        });
        assert!(matches!(ran, Some(Ok(()))), "{ran:?}");
        assert_eq!(store.read(|tx| tx.tags("r1")).unwrap().len(), 1);
        assert_eq!(store.read(|tx| tx.tags("r2")).unwrap().len(), 1);
        assert_eq!(store.generation(), 2, "each write committed alone");
    }

    #[test]
    fn writes_if_free_refuses_while_another_write_holds_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let holder = Held::start(&store, |store, stay| {
            store.write(|tx| {
                stay();
                tx.put_tags("held", &[("k".into(), "v".into())])
            })
        });
        let refused =
            writes_if_free(|| store.write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())])));
        holder.release().unwrap();
        assert!(refused.is_none(), "the write should have been refused");
        assert!(store.read(|tx| tx.tags("r1")).unwrap().is_empty());
        assert_eq!(store.read(|tx| tx.tags("held")).unwrap().len(), 1);

        // Outside the run, writes wait as usual again.
        store
            .write(|tx| tx.put_tags("r1", &[("k".into(), "v".into())]))
            .unwrap();
        assert_eq!(store.read(|tx| tx.tags("r1")).unwrap().len(), 1);
    }

    #[test]
    fn a_write_in_a_nested_run_is_the_outer_runs_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let outer = without_writes(|| {
            let inner = without_writes(|| store.write(|tx| tx.put_tags("r1", &[])));
            assert!(inner.is_none());
        });
        assert!(outer.is_none());
    }
}
