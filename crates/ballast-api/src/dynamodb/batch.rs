//! BatchWriteItem (up to 25 puts and deletes) and BatchGetItem (up to 100
//! keys).
//!
//! Every request of a batch is validated before anything is written, and
//! the writes commit in one transaction, so a refused batch changes
//! nothing. Ballast never throttles, so `UnprocessedItems` is always
//! empty; `UnprocessedKeys` holds the keys past the 16 MB response limit.

use std::collections::{BTreeMap, BTreeSet};

use ballast_core::dynamodb::expr::Placeholders;
use ballast_core::dynamodb::value::item_size;
use ballast_core::dynamodb::{EncodedKey, Item};

use super::model::*;
use super::reads::{parse_projection, project};
use super::writes::{check_new_item, checked_item, checked_key};
use super::{Error, active_table, invalid};
use crate::ApiState;

/// The most requests one BatchWriteItem may carry.
pub const MAX_BATCH_WRITES: usize = 25;
/// The most keys one BatchGetItem may ask for.
pub const MAX_BATCH_KEYS: usize = 100;
/// The most data one BatchGetItem returns.
const MAX_BATCH_GET_BYTES: usize = 16 * 1024 * 1024;

fn duplicates() -> Error {
    invalid("Provided list of item keys contains duplicates")
}

pub(super) fn write(
    state: &ApiState,
    input: BatchWriteItemInput,
) -> Result<BatchWriteItemOutput, Error> {
    let total: usize = input.request_items.values().map(Vec::len).sum();
    if input.request_items.is_empty()
        || input.request_items.values().any(Vec::is_empty)
        || total > MAX_BATCH_WRITES
    {
        return Err(invalid(format!(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_BATCH_WRITES}, Member must have length greater than or equal to 1]"
        )));
    }
    state.store.write(|tx| {
        // Validate everything first, then write.
        let mut plan = Vec::with_capacity(total);
        for (name, requests) in &input.request_items {
            let (id, table) = active_table(state, tx, name)?;
            let mut seen: BTreeSet<EncodedKey> = BTreeSet::new();
            for request in requests {
                match (&request.put_request, &request.delete_request) {
                    (Some(put), None) => {
                        let item = checked_item(put.item.clone())?;
                        let (key, size) = check_new_item(&table, &item)?;
                        if !seen.insert(key.clone()) {
                            return Err(duplicates());
                        }
                        plan.push((id, table.clone(), key, Some((item, size))));
                    }
                    (None, Some(delete)) => {
                        let key = checked_key(&table, &delete.key)?;
                        if !seen.insert(key.clone()) {
                            return Err(duplicates());
                        }
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
            unprocessed_items: BTreeMap::new(),
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
    if input.request_items.is_empty() || input.request_items.values().any(|k| k.keys.is_empty()) {
        return Err(invalid(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let mut projections = BTreeMap::new();
    for (name, request) in &input.request_items {
        let mut placeholders =
            Placeholders::new(request.expression_attribute_names.as_ref(), None)?;
        let projection = parse_projection(
            request.projection_expression.as_deref(),
            request.attributes_to_get.as_ref(),
            &mut placeholders,
        )?;
        placeholders.finish()?;
        projections.insert(name.clone(), projection);
    }
    state.store.read(|tx| {
        let mut responses: BTreeMap<String, Vec<Item>> = BTreeMap::new();
        let mut unprocessed: BTreeMap<String, KeysAndAttributes> = BTreeMap::new();
        let mut bytes = 0usize;
        for (name, request) in &input.request_items {
            let (id, table) = active_table(state, tx, name)?;
            let mut seen = BTreeSet::new();
            let mut keys = Vec::with_capacity(request.keys.len());
            for key in &request.keys {
                let encoded = checked_key(&table, key)?;
                if !seen.insert(encoded.clone()) {
                    return Err(duplicates());
                }
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
            responses,
            unprocessed_keys: unprocessed,
        })
    })
}
