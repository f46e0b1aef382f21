//! CreateTags, DeleteTags and DescribeTags for VPCs, subnets, security
//! groups, key pairs and images. Tags live in the store's `tags` table,
//! keyed by resource id.

use ballast_core::ec2::{self, Error as Rule, ResourceKind, TagEntry, filter};
use ballast_core::paging::page;
use ballast_store::Tx;

use ballast_model::ec2::{
    CreateTagsInput, DeleteTagsInput, DescribeTagsInput, DescribeTagsOutput, TagDescription,
};

use super::{Error, describe_page, dry_run, filters, non_empty, resource_exists};
use crate::ApiState;

/// Checks that every resource exists, each kind with its own not-found
/// code; an id of no taggable kind is `InvalidID`.
fn check_resources(state: &ApiState, tx: &Tx<'_>, resources: &[String]) -> Result<(), Error> {
    for id in resources {
        let kind = ResourceKind::of_id(id).ok_or_else(|| Rule::InvalidId(id.clone()))?;
        if !resource_exists(state, tx, kind, id)? {
            return Err(kind.not_found(id).into());
        }
    }
    Ok(())
}

/// CreateTags: the model gives it no output, so the response carries only
/// its `requestId`.
pub(super) fn create(state: &ApiState, input: CreateTagsInput) -> Result<(), Error> {
    let resources = non_empty(input.resources.into_inner(), "ResourceId")?;
    let tags = non_empty(input.tags, "Tag")?;
    let core_tags = crate::tags::to_core(tags);
    ec2::check_tags(&core_tags)?;
    let pairs = ballast_core::tags::pairs(&core_tags);
    state.store.write(|tx| -> Result<_, Error> {
        check_resources(state, tx, &resources)?;
        dry_run(input.dry_run)?;
        for id in &resources {
            tx.put_tags(id, &pairs)?;
            if tx.tags(id)?.len() > ec2::MAX_TAGS {
                return Err(Rule::TagLimitExceeded.into());
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// DeleteTags: no output, as CreateTags.
pub(super) fn delete(state: &ApiState, input: DeleteTagsInput) -> Result<(), Error> {
    let resources = non_empty(input.resources.into_inner(), "ResourceId")?;
    state.store.write(|tx| -> Result<_, Error> {
        check_resources(state, tx, &resources)?;
        dry_run(input.dry_run)?;
        for id in &resources {
            match &input.tags {
                // No tags named: every tag goes.
                None => tx.clear_tags(id)?,
                Some(wanted) => {
                    let current = tx.tags(id)?;
                    let keys: Vec<String> = wanted
                        .iter()
                        .filter(|w| {
                            current.iter().any(|(k, v)| {
                                w.key.as_ref() == Some(k)
                                    && w.value.as_ref().is_none_or(|wv| wv == v)
                            })
                        })
                        .filter_map(|w| w.key.clone())
                        .collect();
                    tx.remove_tags(id, &keys)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<TagEntry>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let prefixes: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.prefix()).collect();
    let rows = state.store.read(|tx| tx.tags_with_prefixes(&prefixes))?;
    let mut entries: Vec<TagEntry> = rows
        .into_iter()
        .filter_map(|(resource_id, key, value)| {
            let kind = ResourceKind::of_id(&resource_id)?;
            Some(TagEntry {
                resource_type: kind.resource_type(),
                resource_id,
                key,
                value,
            })
        })
        .filter(|e| filter::matches(e, &[], &filters))
        .collect();
    entries.sort_by_key(TagEntry::sort_key);
    let keyed: Vec<(String, TagEntry)> = entries.into_iter().map(|e| (e.sort_key(), e)).collect();
    let (entries, next_token) = page(keyed, |(k, _)| k.as_str(), after.as_deref(), size);
    Ok(DescribeTagsOutput {
        tags: Some(
            entries
                .into_iter()
                .map(|(_, e)| TagDescription {
                    resource_id: Some(e.resource_id),
                    resource_type: Some(e.resource_type.into()),
                    key: Some(e.key),
                    value: Some(e.value),
                })
                .collect(),
        ),
        next_token,
    })
}
