//! PutItem, UpdateItem, DeleteItem, and the checks every item write
//! shares with batches and transactions.

use std::collections::BTreeMap;

use ballast_core::dynamodb::expr::{self, Condition, Kind, Placeholders, Update, parse};
use ballast_core::dynamodb::value::{item_size, validate_item};
use ballast_core::dynamodb::{EncodedKey, Error as Rule, Item, MAX_ITEM_BYTES, Table};
use ballast_model::dynamodb::{
    DeleteItemInput, DeleteItemOutput, PutItemInput, PutItemOutput, ReturnValue,
    ReturnValuesOnConditionCheckFailure, UpdateItemInput, UpdateItemOutput,
};
use ballast_store::Tx;

use super::values::{self, WireItem, item_opt, wire_item};
use super::{Error, active_table, invalid};
use crate::ApiState;

/// What a write returns of the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReturnValues {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

/// Reads `ReturnValues` (the model has refused values outside its enum);
/// `allowed` is what the operation accepts.
fn return_values(
    value: Option<&ReturnValue>,
    allowed: &[ReturnValues],
) -> Result<ReturnValues, Error> {
    let parsed = match value {
        None | Some(ReturnValue::None) => ReturnValues::None,
        Some(ReturnValue::AllOld) => ReturnValues::AllOld,
        Some(ReturnValue::UpdatedOld) => ReturnValues::UpdatedOld,
        Some(ReturnValue::AllNew) => ReturnValues::AllNew,
        Some(ReturnValue::UpdatedNew) => ReturnValues::UpdatedNew,
        Some(ReturnValue::Unknown(_)) => {
            return Err(invalid("Return values set to invalid value"));
        }
    };
    if !allowed.contains(&parsed) {
        return Err(invalid("Return values set to invalid value"));
    }
    Ok(parsed)
}

/// What PutItem and DeleteItem may return.
const OLD_OR_NOTHING: &[ReturnValues] = &[ReturnValues::None, ReturnValues::AllOld];

/// Reads `ReturnValuesOnConditionCheckFailure`: whether a failed
/// condition returns the old item.
pub(super) fn return_old_on_failure(value: Option<&ReturnValuesOnConditionCheckFailure>) -> bool {
    matches!(value, Some(ReturnValuesOnConditionCheckFailure::AllOld))
}

/// The expressions of a write (PutItem, UpdateItem, DeleteItem and each
/// transaction action): its placeholders checked, then its update and its
/// condition parsed, every placeholder used.
pub(super) fn parse_write(
    names: Option<&BTreeMap<String, String>>,
    values: Option<WireItem>,
    update: Option<&str>,
    condition: Option<&str>,
) -> Result<(Option<Update>, Option<Condition>), Error> {
    let values = item_opt(values);
    let mut placeholders = Placeholders::new(names, values.as_ref())?;
    let update = update
        .map(|text| parse::update(text, &mut placeholders))
        .transpose()?;
    let condition = condition
        .map(|text| parse::condition(text, Kind::Condition, &mut placeholders))
        .transpose()?;
    placeholders.finish()?;
    Ok((update, condition))
}

/// Refuses the pre-expression parameters (`Expected`, `AttributeUpdates`,
/// `KeyConditions`, …), which Ballast does not implement.
pub(super) fn refuse_legacy(name: &str, present: bool) -> Result<(), Error> {
    if present {
        return Err(invalid(format!(
            "Ballast does not support the legacy parameter {name}; use the expression parameters instead"
        )));
    }
    Ok(())
}

/// Validates and normalises an item (or key) from a request.
pub(super) fn checked_item(item: WireItem) -> Result<Item, Error> {
    let mut item = values::item(item);
    validate_item(&mut item)?;
    Ok(item)
}

/// A `Key` parameter, validated, and its encoding.
pub(super) fn checked_key(table: &Table, key: WireItem) -> Result<(Item, EncodedKey), Error> {
    let key = checked_item(key)?;
    let encoded = table.key.exact_key(&key)?;
    Ok((key, encoded))
}

/// Checks an item about to be stored: its key, the types of the index
/// keys it carries, its size. Returns the key and size.
pub(super) fn check_new_item(table: &Table, item: &Item) -> Result<(EncodedKey, usize), Error> {
    let key = table.key.item_key(item)?;
    for index in table.live_indexes() {
        for attr in std::iter::once(&index.key.hash).chain(&index.key.range) {
            if let Some(value) = item.get(&attr.name)
                && value.type_name() != attr.kind.as_str()
            {
                return Err(invalid(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attr.name,
                    attr.kind.as_str(),
                    value.type_name(),
                    index.name
                )));
            }
        }
    }
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(invalid("Item size has exceeded the maximum allowed size"));
    }
    Ok((key, size))
}

/// Evaluates a write's condition against the current item.
pub(super) fn check_condition(
    condition: Option<&Condition>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<(), Rule> {
    let Some(condition) = condition else {
        return Ok(());
    };
    let empty = Item::new();
    if expr::eval::matches(condition, old.unwrap_or(&empty)) {
        return Ok(());
    }
    Err(Rule::ConditionalCheckFailed {
        item: if return_old { old.cloned() } else { None },
    })
}

/// What PutItem, UpdateItem and DeleteItem read alike from their inputs
/// (generated types whose members share their names): the legacy
/// parameters refused, `ReturnValues` (one of `allowed`),
/// `ReturnValuesOnConditionCheckFailure`, and the parsed update (given its
/// text) and condition.
macro_rules! write_options {
    ($input:ident, $allowed:expr, $update:expr) => {{
        refuse_legacy("Expected", $input.expected.is_some())?;
        refuse_legacy("ConditionalOperator", $input.conditional_operator.is_some())?;
        let returns = return_values($input.return_values.as_ref(), $allowed)?;
        let return_old =
            return_old_on_failure($input.return_values_on_condition_check_failure.as_ref());
        let (update, condition) = parse_write(
            $input.expression_attribute_names.as_ref(),
            $input.expression_attribute_values,
            $update,
            $input.condition_expression.as_deref(),
        )?;
        (returns, return_old, update, condition)
    }};
}

pub(super) fn put(state: &ApiState, input: PutItemInput) -> Result<PutItemOutput, Error> {
    let (returns, return_old, _, condition) = write_options!(input, OLD_OR_NOTHING, None);
    let item = checked_item(input.item)?;
    state.store.write(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let (key, size) = check_new_item(&table, &item)?;
        // The old item is read only when something looks at it: most puts
        // replace an item no condition, answer or index cares about.
        let needs_old = condition.is_some()
            || returns == ReturnValues::AllOld
            || table.live_indexes().next().is_some();
        let old = if needs_old {
            tx.ddb_item(id, &key)?
        } else {
            None
        };
        check_condition(condition.as_ref(), old.as_ref(), return_old)?;
        tx.put_ddb_item(id, &table, &key, &item, size, old.as_ref())?;
        Ok(PutItemOutput {
            attributes: old_if(returns, old),
            ..Default::default()
        })
    })
}

/// The old item, when `ReturnValues` is ALL_OLD.
fn old_if(returns: ReturnValues, old: Option<Item>) -> Option<WireItem> {
    old.filter(|_| returns == ReturnValues::AllOld)
        .map(wire_item)
}

pub(super) fn delete(state: &ApiState, input: DeleteItemInput) -> Result<DeleteItemOutput, Error> {
    let (returns, return_old, _, condition) = write_options!(input, OLD_OR_NOTHING, None);
    state.store.write(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let (_, key) = checked_key(&table, input.key)?;
        let old = tx.ddb_item(id, &key)?;
        check_condition(condition.as_ref(), old.as_ref(), return_old)?;
        if let Some(old) = &old {
            tx.delete_ddb_item(id, &table, &key, old)?;
        }
        Ok(DeleteItemOutput {
            attributes: old_if(returns, old),
            ..Default::default()
        })
    })
}

/// Applies a parsed update to the item at `key` (creating it when it does
/// not exist), after the condition; returns the old and new items.
pub(super) fn apply_update(
    tx: &Tx<'_>,
    id: i64,
    table: &Table,
    (key_item, key): (Item, EncodedKey),
    update: Option<&Update>,
    condition: Option<&Condition>,
    return_old: bool,
) -> Result<(Option<Item>, Item), Error> {
    if let Some(update) = update {
        expr::update::check_keys(update, &table.key)?;
    }
    let old = tx.ddb_item(id, &key)?;
    check_condition(condition, old.as_ref(), return_old)?;
    let base = old.clone().unwrap_or(key_item);
    let new = match update {
        Some(update) => expr::update::apply(update, &base)?,
        None => base,
    };
    let (_, size) = check_new_item(table, &new)?;
    tx.put_ddb_item(id, table, &key, &new, size, old.as_ref())?;
    Ok((old, new))
}

pub(super) fn update(state: &ApiState, input: UpdateItemInput) -> Result<UpdateItemOutput, Error> {
    refuse_legacy("AttributeUpdates", input.attribute_updates.is_some())?;
    let update_text = input.update_expression.as_deref();
    let (returns, return_old, update, condition) = write_options!(
        input,
        &[
            ReturnValues::None,
            ReturnValues::AllOld,
            ReturnValues::UpdatedOld,
            ReturnValues::AllNew,
            ReturnValues::UpdatedNew,
        ],
        update_text
    );
    let key = input.key;
    state.store.write(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let (old, new) = apply_update(
            tx,
            id,
            &table,
            checked_key(&table, key)?,
            update.as_ref(),
            condition.as_ref(),
            return_old,
        )?;
        let touched = update
            .as_ref()
            .map(expr::update::touched)
            .unwrap_or_default();
        let pick = |item: &Item| -> Item {
            item.iter()
                .filter(|(k, _)| touched.contains(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let attributes = match returns {
            ReturnValues::None => None,
            ReturnValues::AllOld => old,
            ReturnValues::UpdatedOld => old.as_ref().map(pick),
            ReturnValues::AllNew => Some(new),
            ReturnValues::UpdatedNew => Some(pick(&new)),
        };
        Ok(UpdateItemOutput {
            attributes: attributes.filter(|a| !a.is_empty()).map(wire_item),
            ..Default::default()
        })
    })
}
