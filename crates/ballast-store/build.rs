//! Makes the image of a new store: an SQLite file in WAL mode with every
//! migration applied, which `migrations::image` writes out when a data
//! directory has no store yet.
//!
//! Applying the migrations at start-up means SQLite parsing some sixty
//! `CREATE` statements and writing their pages through a rollback journal
//! and then the WAL: about half of a new store's start-up on a 2-core
//! machine (docs/benchmarks.md). The migrations are the same list the
//! library applies to an older store, `include!`d from one file, so the
//! image and an upgraded store cannot differ.

use std::error::Error;
use std::fs;
use std::path::PathBuf;

use rusqlite::Connection;

include!("src/migrations/steps.rs");

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/migrations/steps.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    let path = out.join("new-store.db");
    for leftover in ["new-store.db", "new-store.db-wal", "new-store.db-shm"] {
        match fs::remove_file(out.join(leftover)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    let mut conn = Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let tx = conn.transaction()?;
    for sql in MIGRATIONS {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()?;
    // Everything into the database file, so that the image is one file.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}
