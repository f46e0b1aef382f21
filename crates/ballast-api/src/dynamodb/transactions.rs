//! TransactWriteItems and TransactGetItems.
//!
//! A write transaction is one store transaction: every action's condition
//! is evaluated against the items as they are, and if any fails nothing is
//! written and the request fails with `TransactionCanceledException`,
//! whose `CancellationReasons` has one entry per action in order
//! (`ConditionalCheckFailed` or `None`). Requests are serialised by the
//! store's single writer, so Ballast never reports `TransactionConflict`.
//! `ClientRequestToken` is accepted but not used for idempotency.

use std::collections::BTreeSet;

use ballast_core::dynamodb::expr::{Condition, Kind, Placeholders, Update, parse};
use ballast_core::dynamodb::{CancellationReason, EncodedKey, Error as Rule, Item, Table};

use super::model::*;
use super::reads::{parse_projection, project};
use super::writes::{
    apply_update, check_condition, check_new_item, checked_item, checked_key, return_old_on_failure,
};
use super::{Error, active_table, invalid};
use crate::ApiState;

/// The most actions one transaction may carry.
pub const MAX_TRANSACT_ITEMS: usize = 100;

enum Action {
    Check,
    Put(Item),
    Delete,
    Update(Update),
}

struct Planned {
    table_name: String,
    key: Item,
    condition: Option<Condition>,
    return_old: bool,
    action: Action,
}

fn size_error(len: usize) -> Error {
    invalid(format!(
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
        if len == 0 {
            "greater than or equal to 1".to_owned()
        } else {
            format!("less than or equal to {MAX_TRANSACT_ITEMS}")
        }
    ))
}

fn placeholders<'a>(
    names: Option<&'a Names>,
    values: Option<&'a Values>,
) -> Result<Placeholders<'a>, Error> {
    Ok(Placeholders::new(names, values)?)
}

/// Parses one action's expressions.
fn plan(item: TransactWriteItem) -> Result<Planned, Error> {
    let TransactWriteItem {
        condition_check,
        put,
        delete,
        update,
    } = item;
    match (condition_check, put, delete, update) {
        (Some(check), None, None, None) => {
            let mut p = placeholders(
                check.expression_attribute_names.as_ref(),
                check.expression_attribute_values.as_ref(),
            )?;
            let condition = parse::condition(&check.condition_expression, Kind::Condition, &mut p)?;
            p.finish()?;
            Ok(Planned {
                table_name: check.table_name,
                key: check.key,
                condition: Some(condition),
                return_old: return_old_on_failure(
                    check.return_values_on_condition_check_failure.as_deref(),
                )?,
                action: Action::Check,
            })
        }
        (None, Some(put), None, None) => {
            let mut p = placeholders(
                put.expression_attribute_names.as_ref(),
                put.expression_attribute_values.as_ref(),
            )?;
            let condition = put
                .condition_expression
                .as_deref()
                .map(|t| parse::condition(t, Kind::Condition, &mut p))
                .transpose()?;
            p.finish()?;
            let item = checked_item(put.item)?;
            Ok(Planned {
                table_name: put.table_name,
                key: Item::new(),
                condition,
                return_old: return_old_on_failure(
                    put.return_values_on_condition_check_failure.as_deref(),
                )?,
                action: Action::Put(item),
            })
        }
        (None, None, Some(delete), None) => {
            let mut p = placeholders(
                delete.expression_attribute_names.as_ref(),
                delete.expression_attribute_values.as_ref(),
            )?;
            let condition = delete
                .condition_expression
                .as_deref()
                .map(|t| parse::condition(t, Kind::Condition, &mut p))
                .transpose()?;
            p.finish()?;
            Ok(Planned {
                table_name: delete.table_name,
                key: delete.key,
                condition,
                return_old: return_old_on_failure(
                    delete.return_values_on_condition_check_failure.as_deref(),
                )?,
                action: Action::Delete,
            })
        }
        (None, None, None, Some(update)) => {
            let mut p = placeholders(
                update.expression_attribute_names.as_ref(),
                update.expression_attribute_values.as_ref(),
            )?;
            let parsed = parse::update(&update.update_expression, &mut p)?;
            let condition = update
                .condition_expression
                .as_deref()
                .map(|t| parse::condition(t, Kind::Condition, &mut p))
                .transpose()?;
            p.finish()?;
            Ok(Planned {
                table_name: update.table_name,
                key: update.key,
                condition,
                return_old: return_old_on_failure(
                    update.return_values_on_condition_check_failure.as_deref(),
                )?,
                action: Action::Update(parsed),
            })
        }
        _ => Err(invalid(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

pub(super) fn write(
    state: &ApiState,
    input: TransactWriteItemsInput,
) -> Result<TransactWriteItemsOutput, Error> {
    let len = input.transact_items.len();
    if len == 0 || len > MAX_TRANSACT_ITEMS {
        return Err(size_error(len));
    }
    let planned = input
        .transact_items
        .into_iter()
        .map(plan)
        .collect::<Result<Vec<_>, _>>()?;
    state.store.write(|tx| {
        // Resolve tables and keys; refuse two actions on one item.
        let mut resolved: Vec<(i64, Table, EncodedKey)> = Vec::with_capacity(planned.len());
        let mut seen: BTreeSet<(String, EncodedKey)> = BTreeSet::new();
        for p in &planned {
            let (id, table) = active_table(state, tx, &p.table_name)?;
            let key = match &p.action {
                Action::Put(item) => check_new_item(&table, item)?.0,
                _ => checked_key(&table, &p.key)?,
            };
            if !seen.insert((p.table_name.clone(), key.clone())) {
                return Err(invalid(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            resolved.push((id, table, key));
        }
        // Every condition against the items as they are now.
        let mut reasons = Vec::with_capacity(planned.len());
        let mut failed = false;
        for (p, (id, _, key)) in planned.iter().zip(&resolved) {
            let old = tx.ddb_item(*id, key)?;
            match check_condition(p.condition.as_ref(), old.as_ref(), p.return_old) {
                Ok(()) => reasons.push(CancellationReason::none()),
                Err(Rule::ConditionalCheckFailed { item }) => {
                    failed = true;
                    reasons.push(CancellationReason {
                        code: "ConditionalCheckFailed".to_owned(),
                        message: Some("The conditional request failed".to_owned()),
                        item,
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        if failed {
            return Err(Rule::TransactionCanceled { reasons }.into());
        }
        for (p, (id, table, key)) in planned.iter().zip(&resolved) {
            let old = tx.ddb_item(*id, key)?;
            match &p.action {
                Action::Check => {}
                Action::Put(item) => {
                    let (_, size) = check_new_item(table, item)?;
                    tx.put_ddb_item(*id, table, key, item, size, old.as_ref())?;
                }
                Action::Delete => {
                    if let Some(old) = &old {
                        tx.delete_ddb_item(*id, table, key, old)?;
                    }
                }
                Action::Update(update) => {
                    apply_update(tx, *id, table, &p.key, Some(update), None, false)?;
                }
            }
        }
        Ok(TransactWriteItemsOutput {})
    })
}

pub(super) fn get(
    state: &ApiState,
    input: TransactGetItemsInput,
) -> Result<TransactGetItemsOutput, Error> {
    let len = input.transact_items.len();
    if len == 0 || len > MAX_TRANSACT_ITEMS {
        return Err(size_error(len));
    }
    let mut projections = Vec::with_capacity(len);
    for item in &input.transact_items {
        let mut p = placeholders(item.get.expression_attribute_names.as_ref(), None)?;
        projections.push(parse_projection(
            item.get.projection_expression.as_deref(),
            None,
            &mut p,
        )?);
        p.finish()?;
    }
    state.store.read(|tx| {
        let mut responses = Vec::with_capacity(len);
        let mut seen: BTreeSet<(String, EncodedKey)> = BTreeSet::new();
        for (item, projection) in input.transact_items.iter().zip(&projections) {
            let (id, table) = active_table(state, tx, &item.get.table_name)?;
            let key = checked_key(&table, &item.get.key)?;
            if !seen.insert((item.get.table_name.clone(), key.clone())) {
                return Err(invalid(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            let found = tx.ddb_item(id, &key)?;
            responses.push(ItemResponse {
                item: found.map(|i| project(i, projection.as_ref())),
            });
        }
        Ok(TransactGetItemsOutput { responses })
    })
}
