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
use std::sync::Arc;

use ballast_core::dynamodb::expr::{Condition, Update};
use ballast_core::dynamodb::{CancellationReason, EncodedKey, Error as Rule, Item, Table};
use ballast_model::dynamodb::{
    ItemResponse, ReturnValuesOnConditionCheckFailure, TransactGetItemsInput,
    TransactGetItemsOutput, TransactWriteItem, TransactWriteItemsInput, TransactWriteItemsOutput,
};

use super::reads::{parse_get, project};
use super::values::WireItem;
use super::writes::{
    apply_update, check_condition, check_new_item, checked_item, checked_key, parse_write,
    return_old_on_failure,
};
use super::{Error, active_table, invalid};
use crate::ApiState;

enum Action {
    Check,
    Put(Item),
    Delete,
    Update(Update),
}

struct Planned {
    table_name: String,
    /// The key of a check, delete or update (a put's is in its item).
    key: WireItem,
    condition: Option<Condition>,
    return_old: bool,
    action: Action,
}

/// What every action carries beside its own parameters.
struct Common<'a> {
    table_name: String,
    key: WireItem,
    names: Option<&'a std::collections::BTreeMap<String, String>>,
    values: Option<WireItem>,
    condition: Option<&'a str>,
    update: Option<&'a str>,
    return_old: Option<&'a ReturnValuesOnConditionCheckFailure>,
}

impl Common<'_> {
    /// Parses the action's expressions; `action` builds the action from
    /// its parsed update.
    fn plan(
        self,
        action: impl FnOnce(Option<Update>) -> Result<Action, Error>,
    ) -> Result<Planned, Error> {
        let (update, condition) =
            parse_write(self.names, self.values, self.update, self.condition)?;
        Ok(Planned {
            table_name: self.table_name,
            key: self.key,
            condition,
            return_old: return_old_on_failure(self.return_old),
            action: action(update)?,
        })
    }
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
        (Some(check), None, None, None) => Common {
            table_name: check.table_name,
            key: check.key,
            names: check.expression_attribute_names.as_ref(),
            values: check.expression_attribute_values,
            condition: Some(&check.condition_expression),
            update: None,
            return_old: check.return_values_on_condition_check_failure.as_ref(),
        }
        .plan(|_| Ok(Action::Check)),
        (None, Some(put), None, None) => {
            let item = put.item;
            Common {
                table_name: put.table_name,
                key: WireItem::new(),
                names: put.expression_attribute_names.as_ref(),
                values: put.expression_attribute_values,
                condition: put.condition_expression.as_deref(),
                update: None,
                return_old: put.return_values_on_condition_check_failure.as_ref(),
            }
            .plan(|_| Ok(Action::Put(checked_item(item)?)))
        }
        (None, None, Some(delete), None) => Common {
            table_name: delete.table_name,
            key: delete.key,
            names: delete.expression_attribute_names.as_ref(),
            values: delete.expression_attribute_values,
            condition: delete.condition_expression.as_deref(),
            update: None,
            return_old: delete.return_values_on_condition_check_failure.as_ref(),
        }
        .plan(|_| Ok(Action::Delete)),
        (None, None, None, Some(update)) => Common {
            table_name: update.table_name,
            key: update.key,
            names: update.expression_attribute_names.as_ref(),
            values: update.expression_attribute_values,
            condition: update.condition_expression.as_deref(),
            update: Some(&update.update_expression),
            return_old: update.return_values_on_condition_check_failure.as_ref(),
        }
        .plan(|parsed| {
            parsed
                .map(Action::Update)
                .ok_or_else(|| invalid("Update expression is required"))
        }),
        _ => Err(invalid(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

/// Refuses a second action on one item.
fn first_time(
    seen: &mut BTreeSet<(String, EncodedKey)>,
    table: &str,
    key: &EncodedKey,
) -> Result<(), Error> {
    if seen.insert((table.to_owned(), key.clone())) {
        Ok(())
    } else {
        Err(invalid(
            "Transaction request cannot include multiple operations on one item",
        ))
    }
}

pub(super) fn write(
    state: &ApiState,
    input: TransactWriteItemsInput,
) -> Result<TransactWriteItemsOutput, Error> {
    let planned = input
        .transact_items
        .into_iter()
        .map(plan)
        .collect::<Result<Vec<_>, _>>()?;
    state.store.write(|tx| {
        // Resolve tables and keys; refuse two actions on one item.
        let mut resolved: Vec<(i64, Arc<Table>, Item, EncodedKey)> =
            Vec::with_capacity(planned.len());
        let mut seen = BTreeSet::new();
        for p in &planned {
            let (id, table) = active_table(state, tx, &p.table_name)?;
            let (key_item, key) = match &p.action {
                Action::Put(item) => (Item::new(), check_new_item(&table, item)?.0),
                _ => checked_key(&table, p.key.clone())?,
            };
            first_time(&mut seen, &p.table_name, &key)?;
            resolved.push((id, table, key_item, key));
        }
        // Every condition against the items as they are now.
        let mut reasons = Vec::with_capacity(planned.len());
        let mut failed = false;
        for (p, (id, _, _, key)) in planned.iter().zip(&resolved) {
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
        for (p, (id, table, key_item, key)) in planned.iter().zip(resolved) {
            let old = tx.ddb_item(id, &key)?;
            match &p.action {
                Action::Check => {}
                Action::Put(item) => {
                    let (_, size) = check_new_item(&table, item)?;
                    tx.put_ddb_item(id, &table, &key, item, size, old.as_ref())?;
                }
                Action::Delete => {
                    if let Some(old) = &old {
                        tx.delete_ddb_item(id, &table, &key, old)?;
                    }
                }
                Action::Update(update) => {
                    apply_update(tx, id, &table, (key_item, key), Some(update), None, false)?;
                }
            }
        }
        Ok(TransactWriteItemsOutput::default())
    })
}

pub(super) fn get(
    state: &ApiState,
    input: TransactGetItemsInput,
) -> Result<TransactGetItemsOutput, Error> {
    let len = input.transact_items.len();
    let projections = input
        .transact_items
        .iter()
        .map(|item| {
            parse_get(
                item.get.expression_attribute_names.as_ref(),
                item.get.projection_expression.as_deref(),
                None,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    state.store.read(|tx| {
        let mut responses = Vec::with_capacity(len);
        let mut seen = BTreeSet::new();
        for (item, projection) in input.transact_items.into_iter().zip(&projections) {
            let (id, table) = active_table(state, tx, &item.get.table_name)?;
            let (_, key) = checked_key(&table, item.get.key)?;
            first_time(&mut seen, &item.get.table_name, &key)?;
            let found = tx.ddb_item(id, &key)?;
            responses.push(ItemResponse {
                item: found.map(|i| project(i, projection.as_ref())),
            });
        }
        Ok(TransactGetItemsOutput {
            responses: Some(responses),
            ..Default::default()
        })
    })
}
