//! DynamoDB: tables, items and secondary index entries.
//!
//! Items are rows keyed by `(table_id, bucket, hk, rk)`, the encoded key
//! of `ballast_core::dynamodb::key`, so SQLite's BLOB order is DynamoDB's
//! order. Query and Scan stream rows through a visitor in key order from a
//! start position; a page is never assembled by loading a table. Index
//! entries carry the index key and their item's table key, and are kept in
//! step with the item in the same transaction as every item write.
//!
//! Each item row also carries its Time to Live expiry second while its
//! table has TTL enabled (`ttl_expiry`, indexed), set by every item write
//! and by UpdateTimeToLive, so [`Tx::sweep_expired_ddb_items`] finds due
//! items by an index range instead of reading tables.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use ballast_core::dynamodb::expr::key_condition::KeyCondition;
use ballast_core::dynamodb::table::Index;
use ballast_core::dynamodb::{EncodedKey, Item, Table, ttl};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

use crate::{StoreError, Tx};

/// Where a Query or Scan resumes: after this item (table key) and, when
/// reading an index, this index key.
#[derive(Debug, Clone)]
pub struct StartAfter {
    pub table: EncodedKey,
    pub index: Option<EncodedKey>,
}

/// A row a Query or Scan visits.
#[derive(Debug)]
pub struct Row {
    pub item: Item,
    /// The stored size of the item, for the 1 MB page limit.
    pub size: usize,
}

/// Which rows a Scan reads: an index or the table, within buckets
/// `[start, end)` (a parallel scan segment), after a position.
#[derive(Debug, Clone)]
pub struct ScanRange<'a> {
    pub index: Option<&'a str>,
    pub buckets: (u64, u64),
    pub start_after: Option<StartAfter>,
}

/// What one TTL sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TtlSweep {
    /// Rows the expiry index offered (at most the sweep's limit).
    pub examined: usize,
    /// Items deleted.
    pub deleted: usize,
}

fn blob(bytes: &[u8]) -> Value {
    Value::Blob(bytes.to_vec())
}

fn int(n: u32) -> Value {
    Value::Integer(i64::from(n))
}

/// Adds (or replaces) an index entry; the parameters [`Tx::index_entry`] binds.
const INSERT_INDEX_ENTRY: &str =
    "INSERT OR REPLACE INTO ddb_index_items (table_id, index_name, bucket, hk, rk, t_bucket, t_hk, t_rk)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Removes an index entry; the parameters [`Tx::index_entry`] binds.
const DELETE_INDEX_ENTRY: &str =
    "DELETE FROM ddb_index_items WHERE table_id = ?1 AND index_name = ?2 AND bucket = ?3
     AND hk = ?4 AND rk = ?5 AND t_bucket = ?6 AND t_hk = ?7 AND t_rk = ?8";

/// How many tables [`TableCache`] holds before it starts afresh.
const CACHED_TABLES: usize = 256;

/// Tables by name as the writer connection last read them, so an item
/// write does not read and decode its table's record each time (a twelfth
/// of a small PutItem's CPU).
///
/// Only the writer has one: it is the one connection that changes tables,
/// and it always sees its own latest state, so the cache stays exact if it
/// is cleared whenever a table is written ([`Tx::insert_ddb_table`],
/// [`Tx::update_ddb_table`], [`Tx::purge_ddb_table`]) and whenever the
/// writer undoes anything (`writer.rs`), which may undo such a write.
#[derive(Debug, Default)]
pub(crate) struct TableCache(RefCell<HashMap<String, (i64, Arc<Table>)>>);

impl TableCache {
    pub(crate) fn clear(&self) {
        self.0.borrow_mut().clear();
    }

    fn get(&self, name: &str) -> Option<(i64, Arc<Table>)> {
        self.0
            .borrow()
            .get(name)
            .map(|(id, table)| (*id, Arc::clone(table)))
    }

    fn put(&self, name: &str, id: i64, table: &Arc<Table>) {
        let mut tables = self.0.borrow_mut();
        if tables.len() >= CACHED_TABLES {
            tables.clear();
        }
        tables.insert(name.to_owned(), (id, Arc::clone(table)));
    }
}

impl Tx<'_> {
    /// A table by name with its row id, whatever its status.
    pub fn ddb_table(&self, name: &str) -> Result<Option<(i64, Table)>, StoreError> {
        Ok(self
            .ddb_table_shared(name)?
            .map(|(id, table)| (id, Arc::unwrap_or_clone(table))))
    }

    /// [`Tx::ddb_table`] for a caller that only looks at the table: in a
    /// write, the writer's [`TableCache`] answers without reading it.
    pub fn ddb_table_shared(&self, name: &str) -> Result<Option<(i64, Arc<Table>)>, StoreError> {
        if let Some(found) = self.tables.and_then(|cache| cache.get(name)) {
            return Ok(Some(found));
        }
        let row: Option<(i64, String)> = self
            .conn()
            .prepare_cached("SELECT id, record FROM ddb_tables WHERE name = ?1")?
            .query_row(params![name], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let Some((id, record)) = row else {
            return Ok(None);
        };
        let table = Arc::new(serde_json::from_str::<Table>(&record)?);
        if let Some(cache) = self.tables {
            cache.put(name, id, &table);
        }
        Ok(Some((id, table)))
    }

    /// Forgets the writer's cached tables: a table is being written.
    fn tables_changed(&self) {
        if let Some(cache) = self.tables {
            cache.clear();
        }
    }

    /// A table by row id, whatever its status.
    pub fn ddb_table_by_id(&self, id: i64) -> Result<Option<Table>, StoreError> {
        self.record("SELECT record FROM ddb_tables WHERE id = ?1", params![id])
    }

    /// Table names after `after`, in name order, at most `limit` + 1 (so
    /// the caller knows whether another page follows).
    pub fn ddb_table_names(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Table)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT name, record FROM ddb_tables WHERE name > ?1 ORDER BY name LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after.unwrap_or(""), limit as i64 + 1], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (name, record) = r?;
            Ok((name, serde_json::from_str(&record)?))
        })
        .collect()
    }

    /// Stores a new table; returns its row id.
    pub fn insert_ddb_table(&self, table: &Table) -> Result<i64, StoreError> {
        self.tables_changed();
        self.execute(
            "INSERT INTO ddb_tables (name, record) VALUES (?1, ?2)",
            params![table.name, serde_json::to_string(table)?],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Replaces a table's record.
    pub fn update_ddb_table(&self, id: i64, table: &Table) -> Result<(), StoreError> {
        self.tables_changed();
        self.execute(
            "UPDATE ddb_tables SET record = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(table)?],
        )?;
        Ok(())
    }

    /// Removes a table's row (once its DELETING period is over) and
    /// anything left of its items.
    pub fn purge_ddb_table(&self, id: i64) -> Result<(), StoreError> {
        self.tables_changed();
        self.delete_ddb_items(id)?;
        self.execute("DELETE FROM ddb_tables WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Deletes every item and index entry of a table.
    pub fn delete_ddb_items(&self, id: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM ddb_items WHERE table_id = ?1", params![id])?;
        self.execute(
            "DELETE FROM ddb_index_items WHERE table_id = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// One item by its table key.
    pub fn ddb_item(&self, id: i64, key: &EncodedKey) -> Result<Option<Item>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT item FROM ddb_items WHERE table_id = ?1 AND bucket = ?2 AND hk = ?3 AND rk = ?4",
            )?
            .query_row(
                params![id, i64::from(key.bucket), key.hash, key.range],
                |row| row.get(0),
            )
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Writes an item (insert or replace) and brings its index entries in
    /// line; `old` is the item it replaces, if any (read only for a table
    /// with live indexes: nothing else here looks at it).
    pub fn put_ddb_item(
        &self,
        id: i64,
        table: &Table,
        key: &EncodedKey,
        item: &Item,
        size: usize,
        old: Option<&Item>,
    ) -> Result<(), StoreError> {
        let expiry = table
            .time_to_live
            .as_deref()
            .and_then(|attribute| ttl::expiry(item, attribute));
        self.execute(
            "INSERT INTO ddb_items (table_id, bucket, hk, rk, size, item, ttl_expiry) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (table_id, bucket, hk, rk) DO UPDATE
             SET size = excluded.size, item = excluded.item, ttl_expiry = excluded.ttl_expiry",
            params![
                id,
                i64::from(key.bucket),
                key.hash,
                key.range,
                size as i64,
                serde_json::to_string(item)?,
                expiry
            ],
        )?;
        for index in table.live_indexes() {
            let before = old.and_then(|o| index.key.index_key(o));
            let after = index.key.index_key(item);
            if before == after {
                continue;
            }
            if let Some(before) = before {
                self.index_entry(DELETE_INDEX_ENTRY, id, &index.name, &before, key)?;
            }
            if let Some(after) = after {
                self.index_entry(INSERT_INDEX_ENTRY, id, &index.name, &after, key)?;
            }
        }
        Ok(())
    }

    /// Deletes an item and its index entries.
    pub fn delete_ddb_item(
        &self,
        id: i64,
        table: &Table,
        key: &EncodedKey,
        old: &Item,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM ddb_items WHERE table_id = ?1 AND bucket = ?2 AND hk = ?3 AND rk = ?4",
            params![id, i64::from(key.bucket), key.hash, key.range],
        )?;
        for index in table.live_indexes() {
            if let Some(before) = index.key.index_key(old) {
                self.index_entry(DELETE_INDEX_ENTRY, id, &index.name, &before, key)?;
            }
        }
        Ok(())
    }

    /// Runs [`INSERT_INDEX_ENTRY`] or [`DELETE_INDEX_ENTRY`] on the entry
    /// of `item` at key `at` in `index`.
    fn index_entry(
        &self,
        sql: &str,
        id: i64,
        index: &str,
        at: &EncodedKey,
        item: &EncodedKey,
    ) -> Result<(), StoreError> {
        self.execute(
            sql,
            params![
                id,
                index,
                i64::from(at.bucket),
                at.hash,
                at.range,
                i64::from(item.bucket),
                item.hash,
                item.range
            ],
        )?;
        Ok(())
    }

    /// Fills a new index from the table's items (UpdateTable adding a
    /// global secondary index).
    pub fn backfill_ddb_index(&self, id: i64, index: &Index) -> Result<(), StoreError> {
        self.walk_ddb_items(id, |batch| {
            for (key, item) in batch {
                if let Some(at) = index.key.index_key(&item) {
                    self.index_entry(INSERT_INDEX_ENTRY, id, &index.name, &at, &key)?;
                }
            }
            Ok(())
        })
    }

    /// Brings every item's TTL expiry in line with the table's TTL
    /// attribute (UpdateTimeToLive): cleared when TTL is disabled,
    /// recomputed from each item when it is enabled.
    pub fn refresh_ddb_ttl(&self, id: i64, table: &Table) -> Result<(), StoreError> {
        let Some(attribute) = table.time_to_live.as_deref() else {
            self.execute(
                "UPDATE ddb_items SET ttl_expiry = NULL WHERE table_id = ?1 AND ttl_expiry IS NOT NULL",
                params![id],
            )?;
            return Ok(());
        };
        self.walk_ddb_items(id, |batch| {
            for (key, item) in batch {
                self.set_ttl_expiry(id, &key, ttl::expiry(&item, attribute))?;
            }
            Ok(())
        })
    }

    fn set_ttl_expiry(
        &self,
        id: i64,
        key: &EncodedKey,
        expiry: Option<i64>,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE ddb_items SET ttl_expiry = ?5 WHERE table_id = ?1 AND bucket = ?2 AND hk = ?3 AND rk = ?4",
            params![
                id,
                i64::from(key.bucket),
                key.hash,
                key.range,
                expiry
            ],
        )?;
        Ok(())
    }

    /// Hands a table's items to `f` in key order, in batches read with the
    /// statement closed (so `f` may write), so a large table is never held
    /// in memory.
    fn walk_ddb_items(
        &self,
        id: i64,
        mut f: impl FnMut(Vec<(EncodedKey, Item)>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut after = EncodedKey {
            bucket: 0,
            hash: Vec::new(),
            range: Vec::new(),
        };
        let mut first = true;
        loop {
            let mut batch = Vec::new();
            {
                let mut stmt = self.conn().prepare_cached(
                    "SELECT bucket, hk, rk, item FROM ddb_items WHERE table_id = ?1
                     AND (bucket, hk, rk) >= (?2, ?3, ?4) ORDER BY bucket, hk, rk LIMIT 1024 OFFSET ?5",
                )?;
                let mut rows = stmt.query(params![
                    id,
                    i64::from(after.bucket),
                    after.hash,
                    after.range,
                    i64::from(!first)
                ])?;
                while let Some(row) = rows.next()? {
                    let key = EncodedKey {
                        bucket: row.get::<_, i64>(0)? as u32,
                        hash: row.get(1)?,
                        range: row.get(2)?,
                    };
                    let item: Item = serde_json::from_str(&row.get::<_, String>(3)?)?;
                    batch.push((key, item));
                }
            }
            let Some((last, _)) = batch.last() else { break };
            after = last.clone();
            first = false;
            f(batch)?;
        }
        Ok(())
    }

    /// Whether any item is due for TTL deletion at `now_millis`: a cheap
    /// read, so an idle sweeper never takes the writer.
    pub fn has_expired_ddb_items(&self, now_millis: i64) -> Result<bool, StoreError> {
        let range = ttl::expired_range(now_millis);
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM ddb_items WHERE ttl_expiry IS NOT NULL
                 AND ttl_expiry BETWEEN ?1 AND ?2 LIMIT 1",
            )?
            .query_row(params![range.start(), range.end()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Deletes up to `limit` items whose TTL expiry is due at `now_millis`
    /// (oldest expiry first), with their index entries, through the same
    /// path as DeleteItem. Each candidate is checked again against its
    /// table's TTL attribute ([`ttl::item_expired`]); a row whose stored
    /// expiry is stale is corrected instead, so every sweep makes progress.
    pub fn sweep_expired_ddb_items(
        &self,
        now_millis: i64,
        limit: usize,
    ) -> Result<TtlSweep, StoreError> {
        let range = ttl::expired_range(now_millis);
        let mut candidates = Vec::new();
        {
            let mut stmt = self.conn().prepare_cached(
                "SELECT table_id, bucket, hk, rk, item FROM ddb_items
                 WHERE ttl_expiry IS NOT NULL AND ttl_expiry BETWEEN ?1 AND ?2
                 ORDER BY ttl_expiry LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![range.start(), range.end(), limit as i64])?;
            while let Some(row) = rows.next()? {
                let table_id: i64 = row.get(0)?;
                let key = EncodedKey {
                    bucket: row.get::<_, i64>(1)? as u32,
                    hash: row.get(2)?,
                    range: row.get(3)?,
                };
                let item: Item = serde_json::from_str(&row.get::<_, String>(4)?)?;
                candidates.push((table_id, key, item));
            }
        }
        let mut tables: HashMap<i64, Option<Table>> = HashMap::new();
        let mut sweep = TtlSweep {
            examined: candidates.len(),
            deleted: 0,
        };
        for (table_id, key, item) in candidates {
            let table = match tables.entry(table_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(self.ddb_table_by_id(table_id)?),
            };
            let table = table.as_ref();
            let attribute = table.and_then(|t| t.time_to_live.as_deref());
            match table {
                Some(table) if ttl::item_expired(&item, attribute, now_millis) => {
                    self.delete_ddb_item(table_id, table, &key, &item)?;
                    sweep.deleted += 1;
                }
                _ => {
                    let expiry = attribute.and_then(|a| ttl::expiry(&item, a));
                    self.set_ttl_expiry(table_id, &key, expiry)?;
                }
            }
        }
        Ok(sweep)
    }

    /// Deletes an index's entries (UpdateTable removing it).
    pub fn delete_ddb_index(&self, id: i64, index: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM ddb_index_items WHERE table_id = ?1 AND index_name = ?2",
            params![id, index],
        )?;
        Ok(())
    }

    /// The item count and total size of a table.
    pub fn ddb_table_stats(&self, id: i64) -> Result<(i64, i64), StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ?1",
            )?
            .query_row(params![id], |row| Ok((row.get(0)?, row.get(1)?)))?)
    }

    /// The item count and total size of an index.
    pub fn ddb_index_stats(&self, id: i64, index: &str) -> Result<(i64, i64), StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(i.size), 0) FROM ddb_index_items x
                 JOIN ddb_items i ON i.table_id = x.table_id AND i.bucket = x.t_bucket AND i.hk = x.t_hk AND i.rk = x.t_rk
                 WHERE x.table_id = ?1 AND x.index_name = ?2",
            )?
            .query_row(params![id, index], |row| Ok((row.get(0)?, row.get(1)?)))?)
    }

    /// Visits the items of one partition in sort key order (reversed when
    /// `forward` is false) within the key condition's range, after
    /// `start_after`, until `visit` returns false.
    pub fn query_ddb(
        &self,
        id: i64,
        index: Option<&str>,
        condition: &KeyCondition,
        forward: bool,
        start_after: Option<&StartAfter>,
        mut visit: impl FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let (source, join, prefix) = source(index);
        let mut sql =
            format!("SELECT i.item, i.size FROM {source} {join} WHERE {prefix}table_id = ?");
        let mut args: Vec<Value> = vec![Value::Integer(id)];
        if let Some(index) = index {
            sql.push_str(&format!(" AND {prefix}index_name = ?"));
            args.push(Value::Text(index.to_owned()));
        }
        sql.push_str(&format!(" AND {prefix}bucket = ? AND {prefix}hk = ?"));
        args.push(int(condition.bucket));
        args.push(blob(&condition.hash));
        if let Some(range) = &condition.range {
            let (low, high) = range.bounds();
            if let Some((low, exclusive)) = low {
                sql.push_str(&format!(
                    " AND {prefix}rk {} ?",
                    if exclusive { ">" } else { ">=" }
                ));
                args.push(blob(&low));
            }
            if let Some((high, exclusive)) = high {
                sql.push_str(&format!(
                    " AND {prefix}rk {} ?",
                    if exclusive { "<" } else { "<=" }
                ));
                args.push(blob(&high));
            }
        }
        let direction = if forward { "" } else { " DESC" };
        let cmp = if forward { ">" } else { "<" };
        match (index, start_after) {
            (None, Some(start)) => {
                sql.push_str(&format!(" AND i.rk {cmp} ?"));
                args.push(blob(&start.table.range));
            }
            (Some(_), Some(start)) => {
                let at = start.index.as_ref().unwrap_or(&start.table);
                sql.push_str(&format!(
                    " AND (x.rk, x.t_bucket, x.t_hk, x.t_rk) {cmp} (?, ?, ?, ?)"
                ));
                args.extend([
                    blob(&at.range),
                    int(start.table.bucket),
                    blob(&start.table.hash),
                    blob(&start.table.range),
                ]);
            }
            _ => {}
        }
        if index.is_some() {
            sql.push_str(&format!(
                " ORDER BY x.rk{direction}, x.t_bucket{direction}, x.t_hk{direction}, x.t_rk{direction}"
            ));
        } else {
            sql.push_str(&format!(" ORDER BY i.rk{direction}"));
        }
        self.visit_rows(&sql, args, &mut visit)
    }

    /// Visits a table's or index's items in storage order (bucket, then
    /// key) within a bucket range, after a position.
    pub fn scan_ddb(
        &self,
        id: i64,
        range: &ScanRange<'_>,
        mut visit: impl FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let (source, join, prefix) = source(range.index);
        let mut sql = format!(
            "SELECT i.item, i.size FROM {source} {join} WHERE {prefix}table_id = ? AND {prefix}bucket >= ? AND {prefix}bucket < ?"
        );
        let mut args: Vec<Value> = vec![
            Value::Integer(id),
            Value::Integer(range.buckets.0 as i64),
            Value::Integer(range.buckets.1 as i64),
        ];
        if let Some(index) = range.index {
            sql.push_str(" AND x.index_name = ?");
            args.push(Value::Text(index.to_owned()));
        }
        match (range.index, &range.start_after) {
            (None, Some(start)) => {
                sql.push_str(" AND (i.bucket, i.hk, i.rk) > (?, ?, ?)");
                args.extend([
                    int(start.table.bucket),
                    blob(&start.table.hash),
                    blob(&start.table.range),
                ]);
            }
            (Some(_), Some(start)) => {
                let at = start.index.as_ref().unwrap_or(&start.table);
                sql.push_str(
                    " AND (x.bucket, x.hk, x.rk, x.t_bucket, x.t_hk, x.t_rk) > (?, ?, ?, ?, ?, ?)",
                );
                args.extend([
                    int(at.bucket),
                    blob(&at.hash),
                    blob(&at.range),
                    int(start.table.bucket),
                    blob(&start.table.hash),
                    blob(&start.table.range),
                ]);
            }
            _ => {}
        }
        if range.index.is_some() {
            sql.push_str(" ORDER BY x.bucket, x.hk, x.rk, x.t_bucket, x.t_hk, x.t_rk");
        } else {
            sql.push_str(" ORDER BY i.bucket, i.hk, i.rk");
        }
        self.visit_rows(&sql, args, &mut visit)
    }

    fn visit_rows(
        &self,
        sql: &str,
        args: Vec<Value>,
        visit: &mut impl FnMut(Row) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            let item: Item = serde_json::from_str(&row.get::<_, String>(0)?)?;
            let size = row.get::<_, i64>(1)? as usize;
            if !visit(Row { item, size })? {
                break;
            }
        }
        Ok(())
    }
}

/// The FROM clause of a read: the items themselves, or an index's entries
/// joined to their items; and the alias the key columns are read from.
fn source(index: Option<&str>) -> (&'static str, &'static str, &'static str) {
    match index {
        None => ("ddb_items i", "", "i."),
        Some(_) => (
            "ddb_index_items x",
            "JOIN ddb_items i ON i.table_id = x.table_id AND i.bucket = x.t_bucket AND i.hk = x.t_hk AND i.rk = x.t_rk",
            "x.",
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use ballast_core::dynamodb::AttributeValue;
    use ballast_core::dynamodb::expr::key_condition::{KeyCondition, RangeCondition};
    use ballast_core::dynamodb::key::{AttributeDefinition, KeySchemaElement, scalar_bytes};
    use ballast_core::dynamodb::table::CreateSpec;

    use super::*;
    use crate::Store;

    /// A table `numbers` keyed by a string `pk` and a number `sk`.
    pub(crate) fn table() -> Table {
        let definitions = [("pk", "S"), ("sk", "N")].map(|(n, t)| AttributeDefinition {
            attribute_name: n.into(),
            attribute_type: t.into(),
        });
        let schema = [("pk", "HASH"), ("sk", "RANGE")].map(|(n, t)| KeySchemaElement {
            attribute_name: n.into(),
            key_type: t.into(),
        });
        Table::create(
            &CreateSpec {
                name: "numbers",
                attribute_definitions: &definitions,
                key_schema: &schema,
                billing_mode: Some("PAY_PER_REQUEST"),
                throughput: None,
                global_indexes: &[],
                local_indexes: &[],
                deletion_protection: false,
            },
            "id".into(),
            "arn".into(),
            0,
        )
        .unwrap()
    }

    fn item(sk: &str) -> Item {
        [
            ("pk".to_owned(), AttributeValue::S("p".into())),
            ("sk".to_owned(), AttributeValue::N(sk.into())),
        ]
        .into_iter()
        .collect()
    }

    fn sort_keys(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match &r.item["sk"] {
                AttributeValue::N(n) => n.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    /// The writer's cached tables follow every change and every undo: a
    /// write sees the table as last written, and a failed write's change
    /// to a table is gone for the next write too.
    #[test]
    fn the_writers_tables_follow_writes_and_undos() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let protected = |tx: &Tx<'_>| -> Result<bool, StoreError> {
            Ok(tx
                .ddb_table_shared("numbers")?
                .is_some_and(|(_, t)| t.deletion_protection))
        };
        let id = store
            .write(|tx| {
                assert!(tx.ddb_table_shared("numbers")?.is_none());
                let id = tx.insert_ddb_table(&table())?;
                assert!(!protected(tx)?, "cached before the change");
                let mut changed = table();
                changed.deletion_protection = true;
                tx.update_ddb_table(id, &changed)?;
                assert!(protected(tx)?, "the change is seen in its own write");
                Ok::<_, StoreError>(id)
            })
            .unwrap();
        let failed: Result<(), StoreError> = store.write(|tx| {
            assert!(protected(tx)?);
            tx.update_ddb_table(id, &table())?;
            assert!(!protected(tx)?);
            Err(StoreError::WriteNotAllowedHere)
        });
        assert!(failed.is_err());
        assert!(
            store.write(protected).unwrap(),
            "the undone change is still cached"
        );
        assert!(store.read(protected).unwrap());
        store.write(|tx| tx.purge_ddb_table(id)).unwrap();
        assert!(
            store
                .write(|tx| tx.ddb_table_shared("numbers"))
                .unwrap()
                .is_none()
        );
    }

    /// A Query is a range scan in DynamoDB's numeric order, forwards and
    /// backwards, resumable after any item, and stops when told to.
    #[test]
    fn queries_scan_ranges_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let table = table();
        let shuffled = ["3", "-1.5", "0", "-10", "2.25", "-0.5", "100", "1"];
        let id = store
            .write(|tx| {
                let id = tx.insert_ddb_table(&table)?;
                for sk in shuffled {
                    let item = item(sk);
                    let key = table.key.item_key(&item).unwrap();
                    tx.put_ddb_item(id, &table, &key, &item, 10, None)?;
                }
                Ok::<_, StoreError>(id)
            })
            .unwrap();
        let hash = b"p".to_vec();
        let query =
            |range: Option<RangeCondition>, forward: bool, start: Option<&str>, stop: usize| {
                let condition = KeyCondition {
                    bucket: ballast_core::dynamodb::key::bucket_of(&hash),
                    hash: hash.clone(),
                    range,
                };
                let start = start.map(|sk| StartAfter {
                    table: table.key.item_key(&item(sk)).unwrap(),
                    index: None,
                });
                let mut rows = Vec::new();
                store
                    .read(|tx| {
                        tx.query_ddb(id, None, &condition, forward, start.as_ref(), |row| {
                            rows.push(row);
                            Ok(rows.len() < stop)
                        })
                    })
                    .unwrap();
                sort_keys(&rows)
            };
        let bytes = |n: &str| scalar_bytes(&AttributeValue::N(n.into())).unwrap();
        assert_eq!(
            query(None, true, None, 100),
            ["-10", "-1.5", "-0.5", "0", "1", "2.25", "3", "100"]
        );
        assert_eq!(query(None, false, None, 3), ["100", "3", "2.25"]);
        assert_eq!(
            query(
                Some(RangeCondition::Between(bytes("-1.5"), bytes("1"))),
                true,
                None,
                100
            ),
            ["-1.5", "-0.5", "0", "1"]
        );
        assert_eq!(
            query(
                Some(RangeCondition::Lt(bytes("0"))),
                false,
                Some("-0.5"),
                100
            ),
            ["-1.5", "-10"]
        );
        assert_eq!(query(None, true, Some("2.25"), 100), ["3", "100"]);
    }

    fn ttl_table() -> Table {
        let definitions = [("pk", "S"), ("kind", "S")].map(|(n, t)| AttributeDefinition {
            attribute_name: n.into(),
            attribute_type: t.into(),
        });
        let schema = [KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: "HASH".into(),
        }];
        let gsi = ballast_core::dynamodb::table::IndexSpec {
            index_name: "by-kind".into(),
            key_schema: vec![KeySchemaElement {
                attribute_name: "kind".into(),
                key_type: "HASH".into(),
            }],
            projection: ballast_core::dynamodb::table::Projection {
                projection_type: Some("ALL".into()),
                non_key_attributes: None,
            },
            provisioned_throughput: None,
        };
        Table::create(
            &CreateSpec {
                name: "sessions",
                attribute_definitions: &definitions,
                key_schema: &schema,
                billing_mode: Some("PAY_PER_REQUEST"),
                throughput: None,
                global_indexes: &[gsi],
                local_indexes: &[],
                deletion_protection: false,
            },
            "id".into(),
            "arn".into(),
            0,
        )
        .unwrap()
    }

    /// The sweep deletes exactly the items the core calls expired, with
    /// their index entries, at most `limit` per call; items written
    /// before TTL was enabled are found once UpdateTimeToLive refreshes
    /// the table, and disabling TTL stops all expiry.
    #[test]
    fn ttl_sweeps_expired_items_and_their_index_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now_secs: i64 = 1_704_067_200;
        let now = now_secs * 1000;
        let mut table = ttl_table();
        let ttl_item = |pk: &str, ttl: Option<AttributeValue>| -> Item {
            let mut item: Item = [
                ("pk".to_owned(), AttributeValue::S(pk.into())),
                ("kind".to_owned(), AttributeValue::S("session".into())),
            ]
            .into_iter()
            .collect();
            if let Some(ttl) = ttl {
                item.insert("expires".to_owned(), ttl);
            }
            item
        };
        let n = |v: i64| Some(AttributeValue::N(v.to_string()));
        let items = [
            ttl_item("early", n(now_secs - 60)),
            ttl_item("expired-1", n(now_secs - 30)),
            ttl_item("expired-2", n(now_secs - 10)),
            ttl_item("future", n(now_secs + 3600)),
            ttl_item(
                "string",
                Some(AttributeValue::S((now_secs - 60).to_string())),
            ),
            ttl_item("ancient", n(now_secs - 6 * 365 * 86_400)),
            ttl_item("none", None),
        ];
        let id = store
            .write(|tx| {
                let id = tx.insert_ddb_table(&table)?;
                // "early" is written before TTL is enabled.
                let key = table.key.item_key(&items[0]).unwrap();
                tx.put_ddb_item(id, &table, &key, &items[0], 10, None)?;
                Ok::<_, StoreError>(id)
            })
            .unwrap();
        table.time_to_live = Some("expires".into());
        store
            .write(|tx| {
                tx.update_ddb_table(id, &table)?;
                tx.refresh_ddb_ttl(id, &table)?;
                for item in &items[1..] {
                    let key = table.key.item_key(item).unwrap();
                    tx.put_ddb_item(id, &table, &key, item, 10, None)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let remaining = |store: &Store| -> (Vec<String>, i64) {
            store
                .read(|tx| {
                    let mut names = Vec::new();
                    let range = ScanRange {
                        index: None,
                        buckets: ballast_core::dynamodb::key::segment_buckets(0, 1),
                        start_after: None,
                    };
                    tx.scan_ddb(id, &range, |row| {
                        if let AttributeValue::S(pk) = &row.item["pk"] {
                            names.push(pk.clone());
                        }
                        Ok(true)
                    })?;
                    names.sort();
                    let (index_count, _) = tx.ddb_index_stats(id, "by-kind")?;
                    Ok::<_, StoreError>((names, index_count))
                })
                .unwrap()
        };
        assert!(store.read(|tx| tx.has_expired_ddb_items(now)).unwrap());
        // Nothing is due a minute and a half earlier.
        assert!(
            !store
                .read(|tx| tx.has_expired_ddb_items(now - 90_000))
                .unwrap()
        );

        let first = store
            .write(|tx| tx.sweep_expired_ddb_items(now, 2))
            .unwrap();
        assert_eq!(
            first,
            TtlSweep {
                examined: 2,
                deleted: 2
            }
        );
        let (names, _) = remaining(&store);
        // Oldest expiry first.
        assert!(!names.contains(&"early".to_owned()), "{names:?}");
        let second = store
            .write(|tx| tx.sweep_expired_ddb_items(now, 2))
            .unwrap();
        assert_eq!(
            second,
            TtlSweep {
                examined: 1,
                deleted: 1
            }
        );
        assert!(!store.read(|tx| tx.has_expired_ddb_items(now)).unwrap());
        let (names, index_count) = remaining(&store);
        assert_eq!(names, ["ancient", "future", "none", "string"]);
        assert_eq!(index_count, 4);

        // With TTL disabled, nothing expires any more.
        table.time_to_live = None;
        store
            .write(|tx| {
                tx.update_ddb_table(id, &table)?;
                tx.refresh_ddb_ttl(id, &table)
            })
            .unwrap();
        let later = (now_secs + 7200) * 1000;
        assert!(!store.read(|tx| tx.has_expired_ddb_items(later)).unwrap());
        assert_eq!(
            store
                .write(|tx| tx.sweep_expired_ddb_items(later, 10))
                .unwrap(),
            TtlSweep::default()
        );
        assert_eq!(remaining(&store).0.len(), 4);
    }
}
