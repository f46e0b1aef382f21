//! PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
//!
//! A statement is parsed by `ballast_core::dynamodb::partiql` into the
//! conditions, projections and updates the expression language uses, and
//! then runs as the call it stands for: SELECT as a Query (its `WHERE`
//! pins the partition) or a Scan, INSERT as a PutItem that refuses a
//! taken key, UPDATE as an UpdateItem and DELETE as a DeleteItem of the
//! one item the `WHERE` pins by its whole key, the rest of the `WHERE`
//! being the condition the existing item must meet.

use ballast_core::dynamodb::expr::{self, Condition};
use ballast_core::dynamodb::partiql::{self, Statement};
use ballast_core::dynamodb::{
    AttributeValue, CancellationReason, EncodedKey, Error as Rule, Item, Table,
};
use ballast_core::paging;
use ballast_model::dynamodb::{
    AttributeValue as WireValue, BatchExecuteStatementInput, BatchExecuteStatementOutput,
    BatchStatementError, BatchStatementErrorCodeEnum, BatchStatementResponse,
    ExecuteStatementInput, ExecuteStatementOutput, ExecuteTransactionInput,
    ExecuteTransactionOutput, ItemResponse, ReturnValuesOnConditionCheckFailure,
};
use ballast_store::Tx;

use super::reads::Selection;
use super::values::{WireItem, wire_item};
use super::writes::{check_condition, check_new_item, checked_item, return_old_on_failure};
use super::{Error, active_table, invalid};
use crate::ApiState;

pub(super) fn execute(
    state: &ApiState,
    input: ExecuteStatementInput,
) -> Result<ExecuteStatementOutput, Error> {
    let statement = parse(&input.statement, input.parameters)?;
    let return_old = return_old_on_failure(input.return_values_on_condition_check_failure.as_ref());
    match statement {
        Statement::Select {
            table,
            index,
            projection,
            condition,
        } => {
            let start = input.next_token.as_deref().map(start_key).transpose()?;
            let (items, last_key) = Selection {
                table: &table,
                index: index.as_deref(),
                condition: condition.as_ref(),
                projection,
                limit: input.limit.and_then(|n| usize::try_from(n).ok()),
                start,
            }
            .read(state)?;
            let next_token = last_key.as_ref().map(next_token).transpose()?;
            Ok(ExecuteStatementOutput {
                items: Some(items),
                next_token,
                last_evaluated_key: last_key,
                ..Default::default()
            })
        }
        write => {
            if input.next_token.is_some() || input.limit.is_some() {
                return Err(invalid(
                    "Limit and NextToken apply only to SELECT statements",
                ));
            }
            state
                .store
                .write(|tx| run_write(state, tx, &write, return_old))?;
            Ok(ExecuteStatementOutput {
                items: Some(Vec::new()),
                ..Default::default()
            })
        }
    }
}

/// BatchExecuteStatement: every statement on its own, each answered in
/// its entry; all of them reads (each a GetItem of the item its `WHERE`
/// pins) or all writes, as DynamoDB requires.
pub(super) fn batch(
    state: &ApiState,
    input: BatchExecuteStatementInput,
) -> Result<BatchExecuteStatementOutput, Error> {
    let parsed: Vec<(Result<Statement, Rule>, bool)> = input
        .statements
        .into_iter()
        .map(|request| {
            let return_old = request.return_values_on_condition_check_failure
                == Some(ReturnValuesOnConditionCheckFailure::AllOld);
            (parse(&request.statement, request.parameters), return_old)
        })
        .collect();
    let reads = parsed
        .iter()
        .filter(|(s, _)| s.as_ref().is_ok_and(Statement::is_read))
        .count();
    let writes = parsed.iter().filter(|(s, _)| s.is_ok()).count() - reads;
    if reads > 0 && writes > 0 {
        return Err(invalid(
            "Batch must consist of only read statements or only write statements",
        ));
    }
    // A statement's own failure is its entry's error; the store failing
    // fails the whole request, as any internal error does.
    let responses = parsed
        .into_iter()
        .map(|(statement, return_old)| {
            let table = statement.as_ref().ok().map(|s| s.table().to_owned());
            let outcome = match statement {
                Ok(s) => run_one(state, &s, return_old),
                Err(rule) => Err(Error::Rule(rule)),
            };
            Ok(match outcome {
                Ok(item) => BatchStatementResponse {
                    table_name: table,
                    item: item.map(wire_item),
                    error: None,
                },
                Err(Error::Rule(rule)) => BatchStatementResponse {
                    table_name: table,
                    item: None,
                    error: Some(batch_error(rule)),
                },
                Err(other) => return Err(other),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(BatchExecuteStatementOutput {
        responses: Some(responses),
        consumed_capacity: None,
    })
}

/// One statement of a batch: a read gives the item its key pins, if any.
fn run_one(
    state: &ApiState,
    statement: &Statement,
    return_old: bool,
) -> Result<Option<Item>, Error> {
    if statement.is_read() {
        state.store.read(|tx| read_pinned(state, tx, statement))
    } else {
        state
            .store
            .write(|tx| run_write(state, tx, statement, return_old))
            .map(|()| None)
    }
}

/// A SELECT of a batch or transaction: a GetItem of the item its `WHERE`
/// pins by its whole key, if it meets the rest of the `WHERE`.
fn read_pinned(
    state: &ApiState,
    tx: &Tx<'_>,
    statement: &Statement,
) -> Result<Option<Item>, Error> {
    let Statement::Select {
        table,
        index: None,
        projection,
        condition,
    } = statement
    else {
        return Err(invalid(
            "A batch or transaction reads items of a table by their key",
        ));
    };
    let (id, found) = active_table(state, tx, table)?;
    let condition = condition.as_ref().ok_or_else(|| {
        Rule::validation("Where clause does not contain a mandatory equality on all key attributes")
    })?;
    let key = partiql::pinned_key(condition, &found.key)?;
    let encoded = found.key.exact_key(&key)?;
    Ok(tx
        .ddb_item(id, &encoded)?
        .filter(|item| expr::eval::matches(condition, item))
        .map(|item| match projection {
            Some(paths) => expr::eval::project(&item, paths),
            None => item,
        }))
}

/// How a batch entry reports a failure.
fn batch_error(rule: Rule) -> BatchStatementError {
    let (code, item) = match &rule {
        Rule::ConditionalCheckFailed { item } => (
            BatchStatementErrorCodeEnum::ConditionalCheckFailed,
            item.clone(),
        ),
        Rule::DuplicateItem => (BatchStatementErrorCodeEnum::DuplicateItem, None),
        Rule::ResourceNotFound(_) => (BatchStatementErrorCodeEnum::ResourceNotFound, None),
        _ => (BatchStatementErrorCodeEnum::ValidationError, None),
    };
    BatchStatementError {
        code: Some(code),
        message: Some(rule.to_string()),
        item: item.map(wire_item),
    }
}

/// What a write statement will do, decided against the items as they
/// are; nothing is written until it is applied.
enum Planned {
    Put {
        key: EncodedKey,
        item: Item,
        size: usize,
    },
    Replace {
        key: EncodedKey,
        old: Item,
        new: Item,
        size: usize,
    },
    Remove {
        key: EncodedKey,
        old: Item,
    },
}

impl Planned {
    fn key(&self) -> &EncodedKey {
        match self {
            Planned::Put { key, .. }
            | Planned::Replace { key, .. }
            | Planned::Remove { key, .. } => key,
        }
    }

    fn apply(self, tx: &Tx<'_>, id: i64, table: &Table) -> Result<(), Error> {
        match self {
            Planned::Put { key, item, size } => {
                tx.put_ddb_item(id, table, &key, &item, size, None)?
            }
            Planned::Replace {
                key,
                old,
                new,
                size,
            } => tx.put_ddb_item(id, table, &key, &new, size, Some(&old))?,
            Planned::Remove { key, old } => tx.delete_ddb_item(id, table, &key, &old)?,
        }
        Ok(())
    }
}

/// Plans an INSERT, UPDATE or DELETE on `table`.
fn plan_write(
    tx: &Tx<'_>,
    id: i64,
    table: &Table,
    statement: &Statement,
    return_old: bool,
) -> Result<Planned, Error> {
    Ok(match statement {
        Statement::Insert { item, .. } => {
            let (key, size) = check_new_item(table, item)?;
            if tx.ddb_item(id, &key)?.is_some() {
                return Err(Rule::DuplicateItem.into());
            }
            Planned::Put {
                key,
                item: item.clone(),
                size,
            }
        }
        Statement::Update {
            update, condition, ..
        } => {
            expr::update::check_keys(update, &table.key)?;
            let (old, key) = existing(tx, id, table, condition, return_old)?;
            let new = expr::update::apply(update, &old)?;
            let (_, size) = check_new_item(table, &new)?;
            Planned::Replace {
                key,
                old,
                new,
                size,
            }
        }
        Statement::Delete { condition, .. } => {
            let (old, key) = existing(tx, id, table, condition, return_old)?;
            Planned::Remove { key, old }
        }
        Statement::Select { .. } => {
            return Err(invalid("A SELECT is not a write"));
        }
    })
}

/// Runs an INSERT, UPDATE or DELETE in `tx`.
fn run_write(
    state: &ApiState,
    tx: &Tx<'_>,
    statement: &Statement,
    return_old: bool,
) -> Result<(), Error> {
    let (id, table) = active_table(state, tx, statement.table())?;
    plan_write(tx, id, &table, statement, return_old)?.apply(tx, id, &table)
}

/// ExecuteTransaction: all reads (each a GetItem of the item its `WHERE`
/// pins, answered in order) or all writes, which happen together or not
/// at all. A write whose item is taken or whose condition fails cancels
/// the transaction with one reason per statement, as
/// TransactWriteItems does.
pub(super) fn transaction(
    state: &ApiState,
    input: ExecuteTransactionInput,
) -> Result<ExecuteTransactionOutput, Error> {
    let statements = input
        .transact_statements
        .into_iter()
        .map(|s| {
            let return_old = s.return_values_on_condition_check_failure
                == Some(ReturnValuesOnConditionCheckFailure::AllOld);
            Ok((parse(&s.statement, s.parameters)?, return_old))
        })
        .collect::<Result<Vec<_>, Rule>>()?;
    let reads = statements.iter().filter(|(s, _)| s.is_read()).count();
    if reads == statements.len() {
        // One read: the items as they were at one moment.
        let responses = state.store.read(|tx| {
            statements
                .iter()
                .map(|(statement, _)| {
                    Ok(ItemResponse {
                        item: read_pinned(state, tx, statement)?.map(wire_item),
                    })
                })
                .collect::<Result<Vec<_>, Error>>()
        })?;
        return Ok(ExecuteTransactionOutput {
            responses: Some(responses),
            consumed_capacity: None,
        });
    }
    if reads > 0 {
        return Err(invalid(
            "A transaction must consist of only read statements or only write statements",
        ));
    }
    state.store.write(|tx| {
        let mut planned = Vec::with_capacity(statements.len());
        let mut reasons = Vec::with_capacity(statements.len());
        let mut failed = false;
        let mut seen = std::collections::BTreeSet::new();
        for (statement, return_old) in &statements {
            let (id, table) = active_table(state, tx, statement.table())?;
            match plan_write(tx, id, &table, statement, *return_old) {
                Ok(plan) => {
                    if !seen.insert((statement.table().to_owned(), plan.key().clone())) {
                        return Err(invalid(
                            "Transaction request cannot include multiple operations on one item",
                        ));
                    }
                    reasons.push(CancellationReason::none());
                    planned.push((id, table, plan));
                }
                Err(Error::Rule(
                    rule @ (Rule::ConditionalCheckFailed { .. } | Rule::DuplicateItem),
                )) => {
                    failed = true;
                    let code = match &rule {
                        Rule::DuplicateItem => "DuplicateItem",
                        _ => "ConditionalCheckFailed",
                    };
                    let item = match &rule {
                        Rule::ConditionalCheckFailed { item } => item.clone(),
                        _ => None,
                    };
                    reasons.push(CancellationReason {
                        code: code.to_owned(),
                        message: Some(rule.to_string()),
                        item,
                    });
                }
                Err(other) => return Err(other),
            }
        }
        if failed {
            return Err(Rule::TransactionCanceled { reasons }.into());
        }
        for (id, table, plan) in planned {
            plan.apply(tx, id, &table)?;
        }
        Ok(ExecuteTransactionOutput {
            responses: Some(Vec::new()),
            consumed_capacity: None,
        })
    })
}

/// The item a write's `WHERE` pins, which must exist and meet the rest of
/// the `WHERE`: PartiQL's UPDATE and DELETE change one existing item.
fn existing(
    tx: &Tx<'_>,
    id: i64,
    table: &Table,
    condition: &Condition,
    return_old: bool,
) -> Result<(Item, EncodedKey), Error> {
    let key = partiql::pinned_key(condition, &table.key)?;
    let encoded = table.key.exact_key(&key)?;
    let old = tx.ddb_item(id, &encoded)?;
    check_condition(Some(condition), old.as_ref(), return_old)?;
    let old = old.ok_or(Rule::ConditionalCheckFailed { item: None })?;
    Ok((old, encoded))
}

/// A statement with its parameters, each checked as an item's values are.
fn parse(text: &str, parameters: Option<Vec<WireValue>>) -> Result<Statement, Rule> {
    let parameters = checked_parameters(parameters.unwrap_or_default())?;
    partiql::parse(text, &parameters)
}

fn checked_parameters(parameters: Vec<WireValue>) -> Result<Vec<AttributeValue>, Rule> {
    // Checked as one item, keyed so the map keeps their order.
    let as_item: WireItem = parameters
        .into_iter()
        .enumerate()
        .map(|(i, value)| (format!("{i:05}"), value))
        .collect();
    let checked = checked_item(as_item).map_err(|error| match error {
        Error::Rule(rule) => rule,
        other => Rule::validation(other.to_string()),
    })?;
    Ok(checked.into_values().collect())
}

/// The token for the page after `last_key`.
fn next_token(last_key: &WireItem) -> Result<String, Error> {
    let json = serde_json::to_string(last_key)
        .map_err(|e| Error::Store(ballast_store::StoreError::Corrupt(e)))?;
    Ok(paging::encode_token(&json))
}

/// The key a `NextToken` resumes after.
fn start_key(token: &str) -> Result<WireItem, Error> {
    paging::decode_token(token)
        .and_then(|json| serde_json::from_str::<WireItem>(&json).ok())
        .ok_or_else(|| invalid("The NextToken is not valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_order_past_ten() {
        let parameters = (0..12)
            .map(|i| WireValue::N(i.to_string()))
            .collect::<Vec<_>>();
        let checked = checked_parameters(parameters).expect("valid");
        let numbers: Vec<_> = checked
            .iter()
            .map(|v| match v {
                AttributeValue::N(n) => n.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(numbers[10], "10");
        assert_eq!(numbers[2], "2");
    }
}
