//! Identity and Access Management (awsQuery): roles, managed and inline
//! policies, instance profiles.
//!
//! IAM is global: ARNs carry the account and no region, and clients sign
//! IAM requests for `us-east-1` whatever region Ballast serves; the SigV4
//! check uses the region the client signed for, so both verify.
//! Policy documents are returned URL-encoded, as IAM returns them.

mod instance_profiles;
pub mod model;
mod policies;
mod role_policies;
mod roles;

use ballast_core::iam::{self as rules, Error as Rule, InstanceProfile, Role};
use ballast_core::paging::{decode_token, page};
use ballast_core::tags::{self as core_tags, Tag, TagError};
use ballast_store::Tx;
use ballast_wire::{ApiError, ApiRequest, WireResponse};
use http::StatusCode;

use crate::dispatch::{call_no_output, call_unvalidated as call, operations};
use crate::error::{ErrorCode, HandlerError};
use crate::{ApiState, RequestContext};

operations! {
    /// The IAM operations Ballast implements.
    pub enum Operation {
        CreateRole,
        GetRole,
        DeleteRole,
        ListRoles,
        UpdateRole,
        TagRole,
        UntagRole,
        ListRoleTags,
        CreatePolicy,
        GetPolicy,
        DeletePolicy,
        ListPolicies,
        GetPolicyVersion,
        CreatePolicyVersion,
        ListPolicyVersions,
        SetDefaultPolicyVersion,
        DeletePolicyVersion,
        AttachRolePolicy,
        DetachRolePolicy,
        ListAttachedRolePolicies,
        PutRolePolicy,
        GetRolePolicy,
        DeleteRolePolicy,
        ListRolePolicies,
        CreateInstanceProfile,
        GetInstanceProfile,
        DeleteInstanceProfile,
        ListInstanceProfiles,
        ListInstanceProfilesForRole,
        AddRoleToInstanceProfile,
        RemoveRoleFromInstanceProfile,
    }
}

/// Routes an IAM request to its handler.
pub fn handle(
    state: &ApiState,
    ctx: &RequestContext,
    request: &ApiRequest,
) -> Result<WireResponse, ApiError> {
    use Operation::*;
    match Operation::of(request)? {
        CreateRole => call(ctx, request, |i| roles::create(state, i)),
        GetRole => call(ctx, request, |i| roles::get(state, i)),
        DeleteRole => call_no_output(ctx, request, |i| roles::delete(state, i)),
        ListRoles => call(ctx, request, |i| roles::list(state, i)),
        UpdateRole => call(ctx, request, |i| roles::update(state, i)),
        TagRole => call_no_output(ctx, request, |i| roles::tag(state, i)),
        UntagRole => call_no_output(ctx, request, |i| roles::untag(state, i)),
        ListRoleTags => call(ctx, request, |i| roles::list_tags(state, i)),
        CreatePolicy => call(ctx, request, |i| policies::create(state, i)),
        GetPolicy => call(ctx, request, |i| policies::get(state, i)),
        DeletePolicy => call_no_output(ctx, request, |i| policies::delete(state, i)),
        ListPolicies => call(ctx, request, |i| policies::list(state, i)),
        GetPolicyVersion => call(ctx, request, |i| policies::get_version(state, i)),
        CreatePolicyVersion => call(ctx, request, |i| policies::create_version(state, i)),
        ListPolicyVersions => call(ctx, request, |i| policies::list_versions(state, i)),
        SetDefaultPolicyVersion => {
            call_no_output(ctx, request, |i| policies::set_default_version(state, i))
        }
        DeletePolicyVersion => call_no_output(ctx, request, |i| policies::delete_version(state, i)),
        AttachRolePolicy => call_no_output(ctx, request, |i| role_policies::attach(state, i)),
        DetachRolePolicy => call_no_output(ctx, request, |i| role_policies::detach(state, i)),
        ListAttachedRolePolicies => call(ctx, request, |i| role_policies::list_attached(state, i)),
        PutRolePolicy => call_no_output(ctx, request, |i| role_policies::put_inline(state, i)),
        GetRolePolicy => call(ctx, request, |i| role_policies::get_inline(state, i)),
        DeleteRolePolicy => {
            call_no_output(ctx, request, |i| role_policies::delete_inline(state, i))
        }
        ListRolePolicies => call(ctx, request, |i| role_policies::list_inline(state, i)),
        CreateInstanceProfile => call(ctx, request, |i| instance_profiles::create(state, i)),
        GetInstanceProfile => call(ctx, request, |i| instance_profiles::get(state, i)),
        DeleteInstanceProfile => {
            call_no_output(ctx, request, |i| instance_profiles::delete(state, i))
        }
        ListInstanceProfiles => call(ctx, request, |i| instance_profiles::list(state, i)),
        ListInstanceProfilesForRole => {
            call(ctx, request, |i| instance_profiles::list_for_role(state, i))
        }
        AddRoleToInstanceProfile => {
            call_no_output(ctx, request, |i| instance_profiles::add_role(state, i))
        }
        RemoveRoleFromInstanceProfile => {
            call_no_output(ctx, request, |i| instance_profiles::remove_role(state, i))
        }
    }
}

/// A failure inside an IAM handler.
pub(crate) type Error = HandlerError<Rule>;

impl From<Rule> for Error {
    fn from(rule: Rule) -> Self {
        HandlerError::Rule(rule)
    }
}

impl ErrorCode for Rule {
    fn code(&self) -> &'static str {
        match self {
            Rule::Validation(_) => "ValidationError",
            Rule::InvalidInput(_) => "InvalidInput",
            Rule::EntityAlreadyExists(_) => "EntityAlreadyExists",
            Rule::NoSuchEntity(_) => "NoSuchEntity",
            Rule::DeleteConflict(_) => "DeleteConflict",
            Rule::LimitExceeded(_) => "LimitExceeded",
            Rule::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
        }
    }

    fn internal_code() -> &'static str {
        ballast_wire::Service::Iam.internal_error_code()
    }

    /// The model's statuses: 404 for a missing entity, 409 for conflicts
    /// and quotas, 400 for the rest.
    fn status(&self) -> StatusCode {
        match self {
            Rule::NoSuchEntity(_) => StatusCode::NOT_FOUND,
            Rule::EntityAlreadyExists(_) | Rule::DeleteConflict(_) | Rule::LimitExceeded(_) => {
                StatusCode::CONFLICT
            }
            Rule::Validation(_) | Rule::InvalidInput(_) | Rule::MalformedPolicyDocument(_) => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

/// A page request: how many items, and the key after which to start.
pub(super) struct PageRequest {
    size: usize,
    after: Option<String>,
}

/// Checks `MaxItems` and decodes `Marker`.
pub(super) fn paging(marker: Option<&str>, max_items: Option<i64>) -> Result<PageRequest, Rule> {
    let size = rules::page_size(max_items)?;
    let after = match marker {
        None | Some("") => None,
        Some(marker) => Some(
            decode_token(marker).ok_or_else(|| Rule::Validation("Invalid Marker".to_owned()))?,
        ),
    };
    Ok(PageRequest { size, after })
}

/// One page of a list IAM returns with `IsTruncated` and `Marker`.
pub(super) struct Page<T> {
    pub items: Vec<T>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

impl PageRequest {
    /// Sorts `items` by their unique `key` and cuts this page out of them.
    pub fn apply<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> &str) -> Page<T> {
        items.sort_by(|a, b| key(a).cmp(key(b)));
        let (items, marker) = page(items, key, self.after.as_deref(), self.size);
        Page {
            items,
            is_truncated: marker.is_some(),
            marker,
        }
    }
}

/// Loads a role (by name, whatever its case) or fails with `NoSuchEntity`.
pub(super) fn load_role(tx: &Tx<'_>, name: &str) -> Result<Role, Error> {
    tx.role(name)?.ok_or_else(|| no_such_role(name).into())
}

pub(super) fn no_such_role(name: &str) -> Rule {
    Rule::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

/// Loads an instance profile or fails with `NoSuchEntity`.
pub(super) fn load_instance_profile(tx: &Tx<'_>, name: &str) -> Result<InstanceProfile, Error> {
    tx.instance_profile(name)?.ok_or_else(|| {
        Rule::NoSuchEntity(format!("Instance Profile {name} cannot be found.")).into()
    })
}

/// A role as List operations and instance profiles show it: the trust
/// policy, description and session duration, but no tags or boundary.
pub(super) fn role_summary(role: &Role) -> model::Role {
    model::Role {
        path: role.path.clone(),
        role_name: role.name.clone(),
        role_id: role.id.clone(),
        arn: role.arn.clone(),
        create_date: ballast_wire::Timestamp::from_millis(role.created),
        assume_role_policy_document: Some(rules::url_encode(&role.assume_role_policy_document)),
        description: role.description.clone(),
        max_session_duration: Some(role.max_session_duration),
        permissions_boundary: None,
        tags: None,
    }
}

/// The tags of a resource as IAM returns them: absent when there are none.
pub(super) fn tags_view(pairs: Vec<(String, String)>) -> Option<Vec<Tag>> {
    (!pairs.is_empty()).then(|| {
        pairs
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect()
    })
}

/// Checks tags on a create or TagRole request; returns them as pairs.
pub(super) fn check_tags(tags: &[Tag]) -> Result<Vec<(String, String)>, Rule> {
    if tags.len() > rules::MAX_TAGS {
        return Err(Rule::Validation(format!(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {}",
            rules::MAX_TAGS
        )));
    }
    core_tags::validate(tags).map_err(|e| match e {
        TagError::DuplicateKey(_) => Rule::InvalidInput(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.".to_owned(),
        ),
        TagError::InvalidKey(key) if key.to_ascii_lowercase().starts_with("aws:") => {
            Rule::InvalidInput(format!(
                "User-defined tag keys can't start with 'aws:'. The key '{key}' is reserved."
            ))
        }
        other => Rule::Validation(other.to_string()),
    })?;
    Ok(tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect())
}

/// The tag quota: a resource keeps at most 50 tags.
pub(super) fn check_tag_count(tx: &Tx<'_>, arn: &str, quota: &str) -> Result<(), Error> {
    if tx.tags(arn)?.len() > rules::MAX_TAGS {
        return Err(Rule::LimitExceeded(format!(
            "Cannot exceed quota for {quota}: {}",
            rules::MAX_TAGS
        ))
        .into());
    }
    Ok(())
}

/// The path a create request names, checked; `/` when absent.
pub(super) fn path_or_root(path: Option<String>) -> Result<String, Rule> {
    let path = path.unwrap_or_else(|| "/".to_owned());
    rules::validate_path(&path)?;
    Ok(path)
}

/// Checks an optional `PathPrefix`; `/` (everything) when absent.
pub(super) fn path_prefix(prefix: Option<String>) -> Result<String, Rule> {
    let prefix = prefix.unwrap_or_else(|| "/".to_owned());
    rules::validate_path_prefix(&prefix)?;
    Ok(prefix)
}
