//! A function's versions and aliases as Ballast keeps them: every
//! function is its `$LATEST` version only, since PublishVersion and
//! CreateAlias are not served, so ListVersionsByFunction answers that one
//! version and ListAliases none. Both still check the function exists and
//! the page request is valid, as AWS does (Ansible's `lambda_info` and
//! deploy tools read them).

use ballast_model::lambda::*;

use super::Error;
use super::functions::{existing, named, view};
use crate::ApiState;

pub(super) fn list_versions(
    state: &ApiState,
    input: ListVersionsByFunctionInput,
) -> Result<ListVersionsByFunctionOutput, Error> {
    super::page_request(input.max_items, input.marker.as_deref())?;
    let name = named(state, &input.function_name, None)?;
    let function = state.store.read(|tx| existing(state, tx, &name))?;
    let mut latest = view(state, function);
    // A version's ARN names it, `$LATEST` included.
    latest.function_arn = latest.function_arn.map(|arn| format!("{arn}:$LATEST"));
    Ok(ListVersionsByFunctionOutput {
        versions: Some(vec![latest]),
        next_marker: None,
    })
}

pub(super) fn list_aliases(
    state: &ApiState,
    input: ListAliasesInput,
) -> Result<ListAliasesOutput, Error> {
    super::page_request(input.max_items, input.marker.as_deref())?;
    let name = named(state, &input.function_name, None)?;
    state.store.read(|tx| existing(state, tx, &name))?;
    Ok(ListAliasesOutput {
        aliases: Some(Vec::new()),
        next_marker: None,
    })
}
