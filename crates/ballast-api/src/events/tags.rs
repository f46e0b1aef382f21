//! TagResource, UntagResource and ListTagsForResource on bus and rule
//! ARNs. Tags live in the store's generic table under the resource's ARN.

use ballast_core::events::{Error as Rule, bus, rule};
use ballast_model::events::{
    ListTagsForResourceInput, ListTagsForResourceOutput, TagResourceInput, TagResourceOutput,
    UntagResourceInput, UntagResourceOutput,
};
use ballast_store::Tx;

use super::Error;
use crate::ApiState;
use crate::tags::{from_pairs, to_pairs};

/// The most tags a bus or rule may have (an AWS quota).
const MAX_TAGS: usize = 50;

pub(super) fn tag(state: &ApiState, input: TagResourceInput) -> Result<TagResourceOutput, Error> {
    let tags = to_pairs(input.tags);
    state.store.write(|tx| -> Result<(), Error> {
        check_exists(state, tx, &input.resource_arn)?;
        tx.put_tags(&input.resource_arn, &tags)?;
        if tx.tags(&input.resource_arn)?.len() > MAX_TAGS {
            return Err(
                Rule::LimitExceeded(format!("A resource has at most {MAX_TAGS} tags.")).into(),
            );
        }
        Ok(())
    })?;
    Ok(TagResourceOutput {})
}

pub(super) fn untag(
    state: &ApiState,
    input: UntagResourceInput,
) -> Result<UntagResourceOutput, Error> {
    state.store.write(|tx| -> Result<(), Error> {
        check_exists(state, tx, &input.resource_arn)?;
        tx.remove_tags(&input.resource_arn, &input.tag_keys)?;
        Ok(())
    })?;
    Ok(UntagResourceOutput {})
}

pub(super) fn list(
    state: &ApiState,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput, Error> {
    let tags = state.store.read(|tx| -> Result<_, Error> {
        check_exists(state, tx, &input.resource_arn)?;
        Ok(tx.tags(&input.resource_arn)?)
    })?;
    Ok(ListTagsForResourceOutput {
        tags: Some(from_pairs(tags)),
    })
}

/// The ARN names a bus or a rule of this account and region that exists.
fn check_exists(state: &ApiState, tx: &Tx<'_>, arn: &str) -> Result<(), Error> {
    let prefix = format!(
        "arn:aws:events:{}:{}:",
        state.scope.region, state.scope.account
    );
    let not_found = || Rule::NotFound(format!("Resource {arn} does not exist."));
    let resource = arn.strip_prefix(&prefix).ok_or_else(not_found)?;
    let exists = if let Some(name) = resource.strip_prefix("event-bus/") {
        name == bus::DEFAULT || tx.event_bus(name)?.is_some()
    } else if let Some(path) = resource.strip_prefix("rule/") {
        let (bus, name) = path.split_once('/').unwrap_or((bus::DEFAULT, path));
        tx.event_rule(bus, name)?
            .is_some_and(|r| rule::arn(&state.scope, &r.bus, &r.name) == arn)
    } else {
        false
    };
    if exists {
        Ok(())
    } else {
        Err(not_found().into())
    }
}
