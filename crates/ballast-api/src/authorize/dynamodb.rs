//! DynamoDB: the tables (and indexes) a request names.

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
/// table as `dynamodb:PartiQLSelect`, `…Insert`, `…Update` or
/// `…Delete`; one that does not parse is left to the handler to refuse.
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
        if let Some((name, action)) = ballast_core::dynamodb::partiql::table_of(text) {
            let arn = table(&name);
            resources.push(Resource::tagged(names.tx, arn.clone(), &arn)?.decided_as(action));
        }
    }
    Ok(Access::on(resources).with_request_tags(json_request_tags(&body)))
}
