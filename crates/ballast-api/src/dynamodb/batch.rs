//! BatchWriteItem (up to 25 puts and deletes) and BatchGetItem (up to 100
//! keys).
//!
//! Every request of a batch is validated before anything is written, and
//! the writes commit in one transaction, so a refused batch changes
//! nothing. Ballast never throttles, so `UnprocessedItems` is always
//! empty; `UnprocessedKeys` holds the keys past the 16 MB response limit.
//! The model bounds each table's requests (1 to 25 writes, 1 to 100 keys);
//! the totals across tables are checked here.

use std::collections::{BTreeMap, BTreeSet};

use ballast_core::dynamodb::EncodedKey;
use ballast_core::dynamodb::value::item_size;
use ballast_model::dynamodb::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput,
    KeysAndAttributes,
};

use super::reads::{parse_get, project};
use super::values::WireItem;
use super::writes::{check_new_item, checked_item, checked_key};
use super::{Error, active_table, invalid};
use crate::ApiState;

/// The most requests one BatchWriteItem may carry.
pub const MAX_BATCH_WRITES: usize = 25;
/// The most keys one BatchGetItem may ask for.
pub const MAX_BATCH_KEYS: usize = 100;
/// The most data one BatchGetItem returns.
const MAX_BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

/// Refuses a second request for `key` in one table's batch.
fn first_time(seen: &mut BTreeSet<EncodedKey>, key: &EncodedKey) -> Result<(), Error> {
    if seen.insert(key.clone()) {
        Ok(())
    } else {
        Err(invalid("Provided list of item keys contains duplicates"))
    }
}

pub(super) fn write(
    state: &ApiState,
    input: BatchWriteItemInput,
) -> Result<BatchWriteItemOutput, Error> {
    let total: usize = input.request_items.values().map(Vec::len).sum();
    if total > MAX_BATCH_WRITES {
        return Err(invalid(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    state.store.write(|tx| {
        // Validate everything first, then write.
        let mut plan = Vec::with_capacity(total);
        for (name, requests) in input.request_items {
            let (id, table) = active_table(state, tx, &name)?;
            let mut seen = BTreeSet::new();
            for request in requests {
                match (request.put_request, request.delete_request) {
                    (Some(put), None) => {
                        let item = checked_item(put.item)?;
                        let (key, size) = check_new_item(&table, &item)?;
                        first_time(&mut seen, &key)?;
                        plan.push((id, table.clone(), key, Some((item, size))));
                    }
                    (None, Some(delete)) => {
                        let (_, key) = checked_key(&table, delete.key)?;
                        first_time(&mut seen, &key)?;
                        plan.push((id, table.clone(), key, None));
                    }
                    _ => {
                        return Err(invalid(
                            "One or more parameter values were invalid: A WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                        ));
                    }
                }
            }
        }
        for (id, table, key, put) in plan {
            let old = tx.ddb_item(id, &key)?;
            match put {
                Some((item, size)) => tx.put_ddb_item(id, &table, &key, &item, size, old.as_ref())?,
                None => {
                    if let Some(old) = &old {
                        tx.delete_ddb_item(id, &table, &key, old)?;
                    }
                }
            }
        }
        Ok(BatchWriteItemOutput {
            unprocessed_items: Some(BTreeMap::new()),
            ..Default::default()
        })
    })
}

pub(super) fn get(state: &ApiState, input: BatchGetItemInput) -> Result<BatchGetItemOutput, Error> {
    let total: usize = input.request_items.values().map(|k| k.keys.len()).sum();
    if total > MAX_BATCH_KEYS {
        return Err(invalid(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut projections = BTreeMap::new();
    for (name, request) in &input.request_items {
        let projection = parse_get(
            request.expression_attribute_names.as_ref(),
            request.projection_expression.as_deref(),
            request.attributes_to_get.as_ref(),
        )?;
        projections.insert(name.clone(), projection);
    }
    state.store.read(|tx| {
        let mut responses: BTreeMap<String, Vec<WireItem>> = BTreeMap::new();
        let mut unprocessed: BTreeMap<String, KeysAndAttributes> = BTreeMap::new();
        let mut bytes = 0usize;
        for (name, request) in &input.request_items {
            let (id, table) = active_table(state, tx, name)?;
            let mut seen = BTreeSet::new();
            let mut keys = Vec::with_capacity(request.keys.len());
            for key in &request.keys {
                let (_, encoded) = checked_key(&table, key.clone())?;
                first_time(&mut seen, &encoded)?;
                keys.push((key, encoded));
            }
            let found = responses.entry(name.clone()).or_default();
            for (key, encoded) in keys {
                if bytes >= MAX_BATCH_GET_BYTES {
                    unprocessed
                        .entry(name.clone())
                        .or_insert_with(|| KeysAndAttributes {
                            keys: Vec::new(),
                            ..request.clone()
                        })
                        .keys
                        .push(key.clone());
                    continue;
                }
                if let Some(item) = tx.ddb_item(id, &encoded)? {
                    bytes += item_size(&item);
                    found.push(project(
                        item,
                        projections.get(name).and_then(Option::as_ref),
                    ));
                }
            }
        }
        Ok(BatchGetItemOutput {
            responses: Some(responses),
            unprocessed_keys: Some(unprocessed),
            ..Default::default()
        })
    })
}
