//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Migrations are append-only (`steps.rs`): never edit one that has
//! shipped; add the next. An upgrade runs all that a store lacks in one
//! transaction with the version bump. A new store is not migrated but
//! written whole from an image of the latest schema ([`image`]).

use rusqlite::Connection;

use crate::StoreError;

pub(crate) mod image;

include!("steps.rs");

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database up to [`latest_version`], in one transaction: a
/// new store is made with one commit, and a failed upgrade leaves the
/// schema as it was.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current > latest_version() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: latest_version(),
        });
    }
    if current == latest_version() {
        return Ok(());
    }
    // The upgrade acknowledges nothing to anyone, so its commit need not
    // wait for the disk: in WAL mode a crash can only undo it whole (and
    // the next start does it again), and the first acknowledged write,
    // under the connection's own `synchronous`, syncs it with itself.
    let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let upgraded = upgrade(conn, current);
    conn.pragma_update(None, "synchronous", synchronous)?;
    upgraded?;
    tracing::info!(
        from = current,
        to = latest_version(),
        "applied store migrations"
    );
    Ok(())
}

fn upgrade(conn: &mut Connection, current: i64) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for sql in MIGRATIONS.iter().skip(current as usize) {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", latest_version())?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_new_store_gets_every_migration_and_an_old_one_the_rest() {
        let mut fresh = Connection::open_in_memory().unwrap();
        apply(&mut fresh).unwrap();
        assert_eq!(version(&fresh), latest_version());
        apply(&mut fresh).unwrap();
        assert_eq!(version(&fresh), latest_version());

        let mut old = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            old.execute_batch(sql).unwrap();
        }
        old.pragma_update(None, "user_version", 3).unwrap();
        apply(&mut old).unwrap();
        assert_eq!(version(&old), latest_version());
        let tables = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
                .unwrap()
        };
        assert_eq!(tables(&old), tables(&fresh));
    }

    #[test]
    fn a_failed_upgrade_leaves_the_schema_as_it_was() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        // A table a later migration creates is already there: that
        // migration fails, and so does the whole upgrade.
        conn.execute_batch("CREATE TABLE lambda_queue (x)").unwrap();
        assert!(apply(&mut conn).is_err());
        assert_eq!(version(&conn), 3);
    }

    #[test]
    fn the_connection_keeps_its_own_synchronous_setting() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        apply(&mut conn).unwrap();
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
    }

    #[test]
    fn a_store_from_a_newer_ballast_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        assert!(matches!(
            apply(&mut conn),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }
}
