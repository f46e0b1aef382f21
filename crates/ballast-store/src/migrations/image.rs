//! A new store, written whole from an image made at build time
//! (`build.rs`): the schema at [`super::latest_version`] without running
//! a migration, which halves the start-up of `ballast up` on a new data
//! directory.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// The database file of a store with every migration applied and no
/// data, in WAL mode.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/new-store.db"));

/// Makes `path` a new store from the image, unless a file is there
/// already. The image is written beside it, synced, and then linked into
/// place, so `path` is never seen half-written, and of two processes
/// starting on one data directory only one creates it. Where the file
/// system has no hard links, nothing is made and the migrations create
/// the store as they would an old one's missing tables.
pub(crate) fn install(path: &Path) -> io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut staging = path.as_os_str().to_owned();
    staging.push(format!(".new-{}", std::process::id()));
    let staging = Path::new(&staging);
    let linked = write_synced(staging).and_then(|()| fs::hard_link(staging, path));
    // The staging name goes whatever happened; the store, if linked,
    // keeps the data under its own name.
    let _ = fs::remove_file(staging);
    match linked {
        Ok(()) => sync_dir(path),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) if no_hard_links(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

fn write_synced(path: &Path) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(IMAGE)?;
    file.sync_all()
}

/// The new name survives a crash of the machine, as SQLite's own creation
/// of a database makes sure of.
fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
}

/// What `link(2)` answers on a file system without hard links: `EPERM`
/// (FAT, some FUSE ones) or `EOPNOTSUPP`.
fn no_hard_links(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Unsupported | io::ErrorKind::PermissionDenied
    )
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn schema(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut rows = conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn the_image_is_the_migrated_schema_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ballast.db");
        install(&path).unwrap();
        // Nothing but the store is left behind (the staging file goes).
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["ballast.db"]);
        let installed = Connection::open(&path).unwrap();
        let mut migrated = Connection::open_in_memory().unwrap();
        super::super::apply(&mut migrated).unwrap();

        assert_eq!(version(&installed), super::super::latest_version());
        assert_eq!(schema(&installed), schema(&migrated));
        let mode: String = installed
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let check: String = installed
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn an_existing_file_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ballast.db");
        fs::write(&path, b"not a store").unwrap();
        install(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"not a store");
    }
}
