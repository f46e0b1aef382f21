//! PutItem, UpdateItem, DeleteItem, and the checks every item write
//! shares with batches and transactions.

use ballast_core::dynamodb::expr::{self, Condition, Kind, Placeholders, Update, parse};
use ballast_core::dynamodb::value::{item_size, validate_item};
use ballast_core::dynamodb::{EncodedKey, Error as Rule, Item, MAX_ITEM_BYTES, Table};
use ballast_store::Tx;

use super::model::*;
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

/// Parses `ReturnValues`; `allowed` is what the operation accepts.
pub(super) fn return_values(text: Option<&str>, allowed: &[&str]) -> Result<ReturnValues, Error> {
    let parsed = match text.unwrap_or("NONE") {
        "NONE" => ReturnValues::None,
        "ALL_OLD" => ReturnValues::AllOld,
        "UPDATED_OLD" => ReturnValues::UpdatedOld,
        "ALL_NEW" => ReturnValues::AllNew,
        "UPDATED_NEW" => ReturnValues::UpdatedNew,
        other => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"
            )));
        }
    };
    if !allowed.contains(&text.unwrap_or("NONE")) {
        return Err(invalid("Return values set to invalid value"));
    }
    Ok(parsed)
}

/// Parses `ReturnValuesOnConditionCheckFailure`: whether a failed
/// condition returns the old item.
pub(super) fn return_old_on_failure(text: Option<&str>) -> Result<bool, Error> {
    match text {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(invalid(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
    }
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

/// Validates and normalises an item from a request.
pub(super) fn checked_item(mut item: Item) -> Result<Item, Error> {
    validate_item(&mut item)?;
    Ok(item)
}

/// The encoded key of a `Key` parameter.
pub(super) fn checked_key(table: &Table, key: &Item) -> Result<EncodedKey, Error> {
    let key = checked_item(key.clone())?;
    Ok(table.key.exact_key(&key)?)
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

/// Parses an optional condition expression.
pub(super) fn parse_condition(
    text: Option<&str>,
    kind: Kind,
    placeholders: &mut Placeholders<'_>,
) -> Result<Option<Condition>, Error> {
    Ok(text
        .map(|t| parse::condition(t, kind, placeholders))
        .transpose()?)
}

pub(super) fn put(state: &ApiState, input: PutItemInput) -> Result<WriteItemOutput, Error> {
    refuse_legacy("Expected", input.expected.is_some())?;
    refuse_legacy("ConditionalOperator", input.conditional_operator.is_some())?;
    let returns = return_values(input.return_values.as_deref(), &["NONE", "ALL_OLD"])?;
    let return_old =
        return_old_on_failure(input.return_values_on_condition_check_failure.as_deref())?;
    let item = checked_item(input.item)?;
    let mut placeholders = Placeholders::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let condition = parse_condition(
        input.condition_expression.as_deref(),
        Kind::Condition,
        &mut placeholders,
    )?;
    placeholders.finish()?;
    state.store.write(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let (key, size) = check_new_item(&table, &item)?;
        let old = tx.ddb_item(id, &key)?;
        check_condition(condition.as_ref(), old.as_ref(), return_old)?;
        tx.put_ddb_item(id, &table, &key, &item, size, old.as_ref())?;
        Ok(WriteItemOutput {
            attributes: match returns {
                ReturnValues::AllOld => old,
                _ => None,
            },
        })
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteItemInput) -> Result<WriteItemOutput, Error> {
    refuse_legacy("Expected", input.expected.is_some())?;
    let returns = return_values(input.return_values.as_deref(), &["NONE", "ALL_OLD"])?;
    let return_old =
        return_old_on_failure(input.return_values_on_condition_check_failure.as_deref())?;
    let mut placeholders = Placeholders::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let condition = parse_condition(
        input.condition_expression.as_deref(),
        Kind::Condition,
        &mut placeholders,
    )?;
    placeholders.finish()?;
    state.store.write(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let key = checked_key(&table, &input.key)?;
        let old = tx.ddb_item(id, &key)?;
        check_condition(condition.as_ref(), old.as_ref(), return_old)?;
        if let Some(old) = &old {
            tx.delete_ddb_item(id, &table, &key, old)?;
        }
        Ok(WriteItemOutput {
            attributes: match returns {
                ReturnValues::AllOld => old,
                _ => None,
            },
        })
    })
}

/// Applies a parsed update to the item at `key` (creating it when it does
/// not exist), after the condition; returns the old and new items.
pub(super) fn apply_update(
    tx: &Tx<'_>,
    id: i64,
    table: &Table,
    key_item: &Item,
    update: Option<&Update>,
    condition: Option<&Condition>,
    return_old: bool,
) -> Result<(Option<Item>, Item), Error> {
    let key_item = checked_item(key_item.clone())?;
    let key = table.key.exact_key(&key_item)?;
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

pub(super) fn update(state: &ApiState, input: UpdateItemInput) -> Result<WriteItemOutput, Error> {
    refuse_legacy("Expected", input.expected.is_some())?;
    refuse_legacy("AttributeUpdates", input.attribute_updates.is_some())?;
    let returns = return_values(
        input.return_values.as_deref(),
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )?;
    let return_old =
        return_old_on_failure(input.return_values_on_condition_check_failure.as_deref())?;
    let mut placeholders = Placeholders::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let update = input
        .update_expression
        .as_deref()
        .map(|text| parse::update(text, &mut placeholders))
        .transpose()?;
    let condition = parse_condition(
        input.condition_expression.as_deref(),
        Kind::Condition,
        &mut placeholders,
    )?;
    placeholders.finish()?;
    state.store.write(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let (old, new) = apply_update(
            tx,
            id,
            &table,
            &input.key,
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
        Ok(WriteItemOutput {
            attributes: attributes.filter(|a| !a.is_empty()),
        })
    })
}
