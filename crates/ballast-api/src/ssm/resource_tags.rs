//! AddTagsToResource, ListTagsForResource, RemoveTagsFromResource for the
//! resource types Ballast keeps: `Document` (the account's own, by name),
//! `Parameter` (by name), `MaintenanceWindow` and `OpsItem` (by id). Tags
//! live in the store's `tags` table under the resource's ARN.

use ballast_core::ssm::document::{self, Error as Rule, MAX_TAGS};
use ballast_core::ssm::parameter::key_of;
use ballast_core::tags;
use ballast_model::ssm::{
    AddTagsToResourceInput, AddTagsToResourceOutput, ListTagsForResourceInput,
    ListTagsForResourceOutput, RemoveTagsFromResourceInput, RemoveTagsFromResourceOutput,
    ResourceTypeForTagging,
};
use ballast_store::Tx;

use super::documents::{Error, document_arn};
use super::{ops_item_arn, parameter_arn, window_arn};
use crate::ApiState;

/// The ARN the tags of `(kind, id)` are kept under; `InvalidResourceId`
/// when there is no such resource, `InvalidResourceType` for kinds
/// Ballast does not keep.
fn resource_arn(
    state: &ApiState,
    tx: &Tx<'_>,
    kind: &ResourceTypeForTagging,
    id: &str,
) -> Result<String, Error> {
    match kind {
        ResourceTypeForTagging::Document => {
            let name = document::name_of(id);
            match tx.document(name)? {
                Some(_) => Ok(document_arn(state, name)),
                None => Err(Rule::InvalidResourceId(id.to_owned()).into()),
            }
        }
        ResourceTypeForTagging::Parameter => match tx.latest_parameter(&key_of(id))? {
            Some(latest) => Ok(parameter_arn(state, &latest.name)),
            None => Err(Rule::InvalidResourceId(id.to_owned()).into()),
        },
        ResourceTypeForTagging::MaintenanceWindow => match tx.maintenance_window(id)? {
            Some(window) => Ok(window_arn(state, &window.id)),
            None => Err(Rule::InvalidResourceId(id.to_owned()).into()),
        },
        ResourceTypeForTagging::OpsItem => match tx.ops_item(id)? {
            Some(item) => Ok(ops_item_arn(state, &item.id)),
            None => Err(Rule::InvalidResourceId(id.to_owned()).into()),
        },
        other => Err(Rule::InvalidResourceType(other.as_str().to_owned()).into()),
    }
}

pub(super) fn add(
    state: &ApiState,
    input: AddTagsToResourceInput,
) -> Result<AddTagsToResourceOutput, Error> {
    let new = crate::tags::to_core(input.tags);
    tags::validate(&new).map_err(|e| Rule::Validation(e.to_string()))?;
    state.store.write(|tx| {
        let arn = resource_arn(state, tx, &input.resource_type, &input.resource_id)?;
        let existing = tx.tags(&arn)?;
        let added = new
            .iter()
            .filter(|t| !existing.iter().any(|(k, _)| *k == t.key))
            .count();
        if existing.len() + added > MAX_TAGS {
            return Err(Rule::TooManyTags.into());
        }
        tx.put_tags(&arn, &tags::pairs(&new))?;
        Ok(AddTagsToResourceOutput {})
    })
}

pub(super) fn list(
    state: &ApiState,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput, Error> {
    state.store.read(|tx| {
        let arn = resource_arn(state, tx, &input.resource_type, &input.resource_id)?;
        Ok(ListTagsForResourceOutput {
            tag_list: Some(crate::tags::from_pairs(tx.tags(&arn)?)),
        })
    })
}

pub(super) fn remove(
    state: &ApiState,
    input: RemoveTagsFromResourceInput,
) -> Result<RemoveTagsFromResourceOutput, Error> {
    state.store.write(|tx| {
        let arn = resource_arn(state, tx, &input.resource_type, &input.resource_id)?;
        tx.remove_tags(&arn, &input.tag_keys)?;
        Ok(RemoveTagsFromResourceOutput {})
    })
}
