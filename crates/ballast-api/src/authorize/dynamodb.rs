//! DynamoDB: the tables (and indexes) a request names.

use ballast_core::dynamodb::partiql;
use ballast_wire::{ApiError, Service};
use http::StatusCode;
use serde_json::Value;

use super::{Access, Names, Resource, Unnamed, json_request_tags};
use crate::dynamodb::table_arn;

/// `TableName` (with `IndexName`, the index's ARN), `ResourceArn`, the
/// tables of a batch's `RequestItems` and each `TransactItems` entry's
/// table. ListTables has none and is decided on `*`. Tables carry their
/// tags; an index is decided with its table's. CreateTable's and
/// TagResource's `Tags` are the request's tags. A PartiQL statement
/// (`Statement`, or each of a batch's `Statements` or a transaction's
/// `TransactStatements`) is decided on its
/// table (a SELECT from an index, on the index's ARN) as
/// `dynamodb:PartiQLSelect`, `…Insert`, `…Update` or `…Delete`; its head
/// (verb, table, index) is read without its parameters, so what is
/// decided on is what runs, and a statement whose head does not read is
/// refused with the handler's `ValidationException`.
pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let Some(Value::Object(body)) = names.params::<Option<Value>>()? else {
        return Ok(Access::default());
    };
    let table = |name: &str| table_arn(names.state, name);
    let mut named: Vec<(String, String)> = Vec::new(); // (ARN, the table's ARN)
    if let Some(name) = body.get("TableName").and_then(Value::as_str) {
        let arn = table(name);
        match body.get("IndexName").and_then(Value::as_str) {
            Some(index) => named.push((format!("{arn}/index/{index}"), arn)),
            None => named.push((arn.clone(), arn)),
        }
    }
    if let Some(arn) = body
        .get("ResourceArn")
        .and_then(Value::as_str)
        .filter(|arn| !arn.is_empty())
    {
        named.push((arn.to_owned(), arn.to_owned()));
    }
    if let Some(Value::Object(items)) = body.get("RequestItems") {
        named.extend(items.keys().map(|name| (table(name), table(name))));
    }
    if let Some(Value::Array(items)) = body.get("TransactItems") {
        let tables = items.iter().filter_map(|entry| {
            entry
                .as_object()?
                .values()
                .next()?
                .get("TableName")?
                .as_str()
        });
        named.extend(tables.map(|name| (table(name), table(name))));
    }
    let mut resources = named
        .into_iter()
        .map(|(arn, table)| Resource::tagged(names.tx, arn, &table))
        .collect::<Result<Vec<_>, _>>()?;
    let statements = body
        .get("Statement")
        .into_iter()
        .chain(
            ["Statements", "TransactStatements"]
                .into_iter()
                .filter_map(|list| body.get(list)?.as_array())
                .flatten()
                .filter_map(|entry| entry.get("Statement")),
        )
        .filter_map(Value::as_str);
    for text in statements {
        // A statement whose head does not read would name nothing to
        // decide on: it is refused here, as the handler would refuse it.
        let target = partiql::target(text).map_err(|error| {
            Unnamed::Params(
                ApiError::sender(Service::DynamoDb.validation_error_code(), error.to_string())
                    .with_status(StatusCode::BAD_REQUEST),
            )
        })?;
        let arn = table(&target.table);
        let resource = match &target.index {
            Some(index) => format!("{arn}/index/{index}"),
            None => arn.clone(),
        };
        resources.push(Resource::tagged(names.tx, resource, &arn)?.decided_as(target.action));
    }
    Ok(Access::on(resources).with_request_tags(json_request_tags(&body)))
}
