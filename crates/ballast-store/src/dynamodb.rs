//! DynamoDB: tables, items and secondary index entries.
//!
//! Items are rows keyed by `(table_id, bucket, hk, rk)`, the encoded key
//! of `ballast_core::dynamodb::key`, so SQLite's BLOB order is DynamoDB's
//! order. Query and Scan stream rows through a visitor in key order from a
//! start position; a page is never assembled by loading a table. Index
//! entries carry the index key and their item's table key, and are kept in
//! step with the item in the same transaction as every item write.

use ballast_core::dynamodb::expr::key_condition::KeyCondition;
use ballast_core::dynamodb::table::Index;
use ballast_core::dynamodb::{EncodedKey, Item, Table};
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

fn blob(bytes: &[u8]) -> Value {
    Value::Blob(bytes.to_vec())
}

fn int(n: u32) -> Value {
    Value::Integer(i64::from(n))
}

impl Tx<'_> {
    /// A table by name with its row id, whatever its status.
    pub fn ddb_table(&self, name: &str) -> Result<Option<(i64, Table)>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn()
            .prepare_cached("SELECT id, record FROM ddb_tables WHERE name = ?1")?
            .query_row(params![name], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        row.map(|(id, record)| Ok((id, serde_json::from_str(&record)?)))
            .transpose()
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
        self.conn()
            .prepare_cached("INSERT INTO ddb_tables (name, record) VALUES (?1, ?2)")?
            .execute(params![table.name, serde_json::to_string(table)?])?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Replaces a table's record.
    pub fn update_ddb_table(&self, id: i64, table: &Table) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("UPDATE ddb_tables SET record = ?2 WHERE id = ?1")?
            .execute(params![id, serde_json::to_string(table)?])?;
        Ok(())
    }

    /// Removes a table's row (once its DELETING period is over) and
    /// anything left of its items.
    pub fn purge_ddb_table(&self, id: i64) -> Result<(), StoreError> {
        self.delete_ddb_items(id)?;
        self.conn()
            .prepare_cached("DELETE FROM ddb_tables WHERE id = ?1")?
            .execute(params![id])?;
        Ok(())
    }

    /// Deletes every item and index entry of a table.
    pub fn delete_ddb_items(&self, id: i64) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM ddb_items WHERE table_id = ?1")?
            .execute(params![id])?;
        self.conn()
            .prepare_cached("DELETE FROM ddb_index_items WHERE table_id = ?1")?
            .execute(params![id])?;
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
    /// line; `old` is the item it replaces, if any.
    pub fn put_ddb_item(
        &self,
        id: i64,
        table: &Table,
        key: &EncodedKey,
        item: &Item,
        size: usize,
        old: Option<&Item>,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO ddb_items (table_id, bucket, hk, rk, size, item) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (table_id, bucket, hk, rk) DO UPDATE SET size = excluded.size, item = excluded.item",
            )?
            .execute(params![
                id,
                i64::from(key.bucket),
                key.hash,
                key.range,
                size as i64,
                serde_json::to_string(item)?
            ])?;
        for index in table.live_indexes() {
            let before = old.and_then(|o| index.key.index_key(o));
            let after = index.key.index_key(item);
            if before == after {
                continue;
            }
            if let Some(before) = before {
                self.delete_index_entry(id, &index.name, &before, key)?;
            }
            if let Some(after) = after {
                self.insert_index_entry(id, &index.name, &after, key)?;
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
        self.conn()
            .prepare_cached(
                "DELETE FROM ddb_items WHERE table_id = ?1 AND bucket = ?2 AND hk = ?3 AND rk = ?4",
            )?
            .execute(params![id, i64::from(key.bucket), key.hash, key.range])?;
        for index in table.live_indexes() {
            if let Some(before) = index.key.index_key(old) {
                self.delete_index_entry(id, &index.name, &before, key)?;
            }
        }
        Ok(())
    }

    fn insert_index_entry(
        &self,
        id: i64,
        index: &str,
        at: &EncodedKey,
        item: &EncodedKey,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT OR REPLACE INTO ddb_index_items (table_id, index_name, bucket, hk, rk, t_bucket, t_hk, t_rk)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                index,
                i64::from(at.bucket),
                at.hash,
                at.range,
                i64::from(item.bucket),
                item.hash,
                item.range
            ])?;
        Ok(())
    }

    fn delete_index_entry(
        &self,
        id: i64,
        index: &str,
        at: &EncodedKey,
        item: &EncodedKey,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "DELETE FROM ddb_index_items WHERE table_id = ?1 AND index_name = ?2 AND bucket = ?3
                 AND hk = ?4 AND rk = ?5 AND t_bucket = ?6 AND t_hk = ?7 AND t_rk = ?8",
            )?
            .execute(params![
                id,
                index,
                i64::from(at.bucket),
                at.hash,
                at.range,
                i64::from(item.bucket),
                item.hash,
                item.range
            ])?;
        Ok(())
    }

    /// Fills a new index from the table's items (UpdateTable adding a
    /// global secondary index), walking the items in key order in batches
    /// so a large table is never held in memory.
    pub fn backfill_ddb_index(&self, id: i64, index: &Index) -> Result<(), StoreError> {
        let mut after = EncodedKey {
            bucket: 0,
            hash: Vec::new(),
            range: Vec::new(),
        };
        let mut first = true;
        loop {
            let mut batch = Vec::new();
            let mut last = None;
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
                    if let Some(at) = index.key.index_key(&item) {
                        batch.push((at, key.clone()));
                    }
                    last = Some(key);
                }
            }
            let Some(last) = last else { break };
            for (at, key) in batch {
                self.insert_index_entry(id, &index.name, &at, &key)?;
            }
            after = last;
            first = false;
        }
        Ok(())
    }

    /// Deletes an index's entries (UpdateTable removing it).
    pub fn delete_ddb_index(&self, id: i64, index: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM ddb_index_items WHERE table_id = ?1 AND index_name = ?2")?
            .execute(params![id, index])?;
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
mod tests {
    use ballast_core::dynamodb::AttributeValue;
    use ballast_core::dynamodb::expr::key_condition::{KeyCondition, RangeCondition};
    use ballast_core::dynamodb::key::{AttributeDefinition, KeySchemaElement, scalar_bytes};
    use ballast_core::dynamodb::table::CreateSpec;

    use super::*;
    use crate::Store;

    fn table() -> Table {
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
}
