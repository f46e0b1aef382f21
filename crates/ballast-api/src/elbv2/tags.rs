//! Tag handlers for every taggable ELBv2 resource.

use ballast_core::elbv2::{self, Error as Rule};
use ballast_core::tags::{self, TagError};
use ballast_store::Tx;

use ballast_model::elbv2::*;

use super::{Error, listeners, load_balancers, rules, target_groups};
use crate::ApiState;

/// The most resources one DescribeTags call may name.
const MAX_DESCRIBE: usize = 20;

/// Checks that a taggable resource (load balancer, listener, rule or
/// target group) exists; each kind has its own not-found error.
fn ensure_exists(tx: &Tx<'_>, arn: &str) -> Result<(), Error> {
    let kind = arn
        .parse::<ballast_core::Arn>()
        .ok()
        .filter(|a| a.service == "elasticloadbalancing")
        .map(|a| a.resource_type().to_owned());
    match kind.as_deref() {
        Some("loadbalancer") => load_balancers::load(tx, arn).map(|_| ()),
        Some("listener") => listeners::load(tx, arn).map(|_| ()),
        Some("listener-rule") => rules::ensure_exists(tx, arn),
        // Anything else is reported as the target group check reports it.
        _ => target_groups::load(tx, arn).map(|_| ()),
    }
}

pub(super) fn add(state: &ApiState, input: AddTagsInput) -> Result<AddTagsOutput, Error> {
    let tags = crate::tags::to_core(input.tags);
    tags::validate(&tags).map_err(|e| match e {
        TagError::DuplicateKey(key) => {
            Rule::DuplicateTagKeys(format!("Tag key '{key}' is duplicated"))
        }
        other => Rule::Validation(other.to_string()),
    })?;
    let pairs = tags::pairs(&tags);
    state.store.write(|tx| -> Result<_, Error> {
        for arn in &input.resource_arns {
            ensure_exists(tx, arn)?;
            tx.put_tags(arn, &pairs)?;
            if tx.tags(arn)?.len() > elbv2::MAX_TAGS {
                return Err(Rule::TooManyTags.into());
            }
        }
        Ok(())
    })?;
    Ok(AddTagsOutput {})
}

pub(super) fn remove(state: &ApiState, input: RemoveTagsInput) -> Result<RemoveTagsOutput, Error> {
    state.store.write(|tx| -> Result<_, Error> {
        for arn in &input.resource_arns {
            ensure_exists(tx, arn)?;
            tx.remove_tags(arn, &input.tag_keys)?;
        }
        Ok(())
    })?;
    Ok(RemoveTagsOutput {})
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, Error> {
    if input.resource_arns.len() > MAX_DESCRIBE {
        return Err(Rule::Validation(format!(
            "At most {MAX_DESCRIBE} resource ARNs can be described at once"
        ))
        .into());
    }
    let descriptions = state.store.read(|tx| -> Result<_, Error> {
        input
            .resource_arns
            .iter()
            .map(|arn| {
                ensure_exists(tx, arn)?;
                Ok(TagDescription {
                    resource_arn: Some(arn.clone()),
                    tags: Some(crate::tags::from_core(tags::from_pairs(tx.tags(arn)?))),
                })
            })
            .collect()
    })?;
    Ok(DescribeTagsOutput {
        tag_descriptions: Some(descriptions),
    })
}
