//! Amazon DynamoDB (awsJson 1.0): tables and their indexes, items, Query
//! and Scan, batches and transactions, PartiQL statements, Time to Live
//! and table tags, on the embedded store.
//!
//! Handlers are thin: decode and validate against the model (the generated
//! `ballast_model::dynamodb` types, through `dispatch::call`) → convert to
//! the core's types (`values`) → parse and check with
//! `ballast_core::dynamodb` (expressions, keys, sizes) → read or write in
//! one store transaction → encode. A rejected request changes nothing,
//! because every check that can fail runs before or inside the one
//! transaction that would commit the change.

mod batch;
mod reads;
mod statements;
mod tables;
mod tags;
mod time_to_live;
mod transactions;
mod values;
mod writes;

use std::sync::Arc;

use ballast_core::dynamodb::Error as Rule;
use ballast_core::dynamodb::table::{Status, TRANSITION, Table};
use ballast_model::dynamodb::{DescribeLimitsInput, errors};
use ballast_store::Tx;

use crate::ApiState;
use crate::dispatch::{call, call_no_output, routes};
use crate::error::{ErrorCode, HandlerError};

routes! {
    /// The DynamoDB operations Ballast implements.
    pub enum Operation;

    /// Routes a DynamoDB request to its handler.
    fn handle(state, ctx, request) {
        CreateTable => call(ctx, request, |i| tables::create(state, i)),
        DescribeTable => call(ctx, request, |i| tables::describe(state, i)),
        ListTables => call(ctx, request, |i| tables::list(state, i)),
        UpdateTable => call(ctx, request, |i| tables::update(state, i)),
        DeleteTable => call(ctx, request, |i| tables::delete(state, i)),
        PutItem => call(ctx, request, |i| writes::put(state, i)),
        GetItem => call(ctx, request, |i| reads::get(state, i)),
        UpdateItem => call(ctx, request, |i| writes::update(state, i)),
        DeleteItem => call(ctx, request, |i| writes::delete(state, i)),
        Query => call(ctx, request, |i| reads::query(state, i)),
        Scan => call(ctx, request, |i| reads::scan(state, i)),
        BatchWriteItem => call(ctx, request, |i| batch::write(state, i)),
        BatchGetItem => call(ctx, request, |i| batch::get(state, i)),
        TransactWriteItems => call(ctx, request, |i| transactions::write(state, i)),
        TransactGetItems => call(ctx, request, |i| transactions::get(state, i)),
        DescribeLimits => call(ctx, request, |_: DescribeLimitsInput| tables::limits()),
        DescribeTimeToLive => call(ctx, request, |i| time_to_live::describe(state, i)),
        UpdateTimeToLive => call(ctx, request, |i| time_to_live::update(state, i)),
        TagResource => call_no_output(ctx, request, |i| tags::tag(state, i)),
        UntagResource => call_no_output(ctx, request, |i| tags::untag(state, i)),
        ListTagsOfResource => call(ctx, request, |i| tags::list(state, i)),
        ExecuteStatement => call(ctx, request, |i| statements::execute(state, i)),
        BatchExecuteStatement => call(ctx, request, |i| statements::batch(state, i)),
        ExecuteTransaction => call(ctx, request, |i| statements::transaction(state, i)),
    }
}

/// A table's ARN.
pub(crate) fn table_arn(state: &ApiState, name: &str) -> String {
    format!(
        "arn:aws:dynamodb:{}:{}:table/{name}",
        state.scope.region, state.scope.account
    )
}

/// How long transitions (CREATING, UPDATING, DELETING) last at the
/// server's time scale.
pub(crate) fn transition(state: &ApiState) -> std::time::Duration {
    state.time_scale.scale(TRANSITION)
}

/// The table item operations act on: it must exist and be ACTIVE or
/// UPDATING, as on AWS (a CREATING or DELETING table is "not found").
pub(crate) fn active_table(
    state: &ApiState,
    tx: &Tx<'_>,
    name: &str,
) -> Result<(i64, Arc<Table>), Error> {
    let Some((id, table)) = tx.ddb_table_shared(name)? else {
        return Err(Rule::table_not_found().into());
    };
    match table.status(state.now().millis(), transition(state)) {
        Status::Active | Status::Updating => Ok((id, table)),
        Status::Creating | Status::Deleting | Status::Gone => Err(Rule::table_not_found().into()),
    }
}

/// A failure inside a DynamoDB handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    /// Validation is the protocol's error, not a shape in the model.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::ResourceNotFound(_) => errors::RESOURCE_NOT_FOUND_EXCEPTION,
            Rule::ResourceInUse(_) => errors::RESOURCE_IN_USE_EXCEPTION,
            Rule::LimitExceeded(_) => errors::LIMIT_EXCEEDED_EXCEPTION,
            Rule::ConditionalCheckFailed { .. } => errors::CONDITIONAL_CHECK_FAILED_EXCEPTION,
            Rule::TransactionCanceled { .. } => errors::TRANSACTION_CANCELED_EXCEPTION,
            Rule::DuplicateItem => errors::DUPLICATE_ITEM_EXCEPTION,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::DynamoDb;

    fn extra(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let mut extra = serde_json::Map::new();
        match self {
            Rule::ConditionalCheckFailed { item: Some(item) } => {
                extra.insert("Item".to_owned(), serde_json::to_value(item).ok()?);
            }
            Rule::TransactionCanceled { reasons } => {
                extra.insert(
                    "CancellationReasons".to_owned(),
                    serde_json::to_value(reasons).ok()?,
                );
            }
            _ => return None,
        }
        Some(extra)
    }
}

/// A validation error.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Rule::Validation(message.into()).into()
}
