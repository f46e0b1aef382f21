//! TagResource, UntagResource, ListTagsOfResource on table ARNs.
//!
//! Tags live in the store's generic `tags` table keyed by the table's ARN;
//! CreateTable adds its `Tags` there and DeleteTable clears them.

use ballast_core::dynamodb::Error as Rule;
use ballast_core::dynamodb::Table;
use ballast_core::dynamodb::table::Status;
use ballast_core::dynamodb::tags::{self as table_tags, Resource};
use ballast_core::paging;
use ballast_model::dynamodb::{
    ListTagsOfResourceInput, ListTagsOfResourceOutput, TagResourceInput, UntagResourceInput,
};
use ballast_store::Tx;

use super::{Error, invalid, transition};
use crate::ApiState;
use crate::tags::{from_pairs, to_core};

/// The table a `ResourceArn` names, as it is now; `writing` refuses a
/// table that is being deleted (its tags are already gone).
fn table(state: &ApiState, tx: &Tx<'_>, arn: &str, writing: bool) -> Result<Table, Error> {
    let name = match table_tags::resource(arn, &state.scope.region, &state.scope.account)? {
        Resource::Table(name) => name,
        Resource::Elsewhere => return Err(table_tags::not_found(arn).into()),
    };
    let Some((_, table)) = tx.ddb_table(name)? else {
        return Err(table_tags::not_found(arn).into());
    };
    match table.status(state.now().millis(), transition(state)) {
        Status::Gone => Err(table_tags::not_found(arn).into()),
        Status::Deleting if writing => Err(Rule::ResourceInUse(format!(
            "Attempt to change a resource which is still in use: Table is being deleted: {}",
            table.name
        ))
        .into()),
        _ => Ok(table),
    }
}

/// Checks the ARN's form before anything else, as AWS does.
fn check_arn(state: &ApiState, arn: &str) -> Result<(), Error> {
    table_tags::resource(arn, &state.scope.region, &state.scope.account)?;
    Ok(())
}

pub(super) fn tag(state: &ApiState, input: TagResourceInput) -> Result<(), Error> {
    check_arn(state, &input.resource_arn)?;
    let tags = to_core(input.tags);
    if tags.is_empty() {
        return Err(invalid("Atleast one Tag needs to be provided as Input."));
    }
    table_tags::validate(&tags)?;
    let pairs: Vec<(String, String)> = tags.into_iter().map(|t| (t.key, t.value)).collect();
    state.store.write(|tx| {
        let table = table(state, tx, &input.resource_arn, true)?;
        tx.put_tags(&table.arn, &pairs)?;
        // Replacing a value does not add a tag, so the limit is checked on
        // the result; the error rolls the transaction back.
        if tx.tags(&table.arn)?.len() > table_tags::MAX_TAGS {
            return Err(table_tags::too_many().into());
        }
        Ok(())
    })
}

pub(super) fn untag(state: &ApiState, input: UntagResourceInput) -> Result<(), Error> {
    check_arn(state, &input.resource_arn)?;
    // The model bounds each key's length.
    let keys = input.tag_keys;
    if keys.is_empty() {
        return Err(invalid(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    state.store.write(|tx| {
        let table = table(state, tx, &input.resource_arn, true)?;
        // Keys the table does not have are ignored, as on AWS.
        tx.remove_tags(&table.arn, &keys)?;
        Ok(())
    })
}

pub(super) fn list(
    state: &ApiState,
    input: ListTagsOfResourceInput,
) -> Result<ListTagsOfResourceOutput, Error> {
    check_arn(state, &input.resource_arn)?;
    let after = match input.next_token.as_deref() {
        None => None,
        Some(token) => {
            Some(paging::decode_token(token).ok_or_else(|| invalid("Invalid NextToken provided"))?)
        }
    };
    state.store.read(|tx| {
        let table = table(state, tx, &input.resource_arn, false)?;
        // At most 50 tags, in key order: one small read.
        let (tags, next_token) = paging::page(
            tx.tags(&table.arn)?,
            |(key, _)| key.as_str(),
            after.as_deref(),
            table_tags::LIST_PAGE,
        );
        Ok(ListTagsOfResourceOutput {
            tags: Some(from_pairs(tags)),
            next_token,
        })
    })
}
