//! Identity and Access Management (awsQuery): roles, users and their
//! access keys, login profiles and SSH public keys, groups, managed and
//! inline policies, instance profiles.
//!
//! IAM is global: ARNs carry the account and no region, and clients sign
//! IAM requests for `us-east-1` whatever region Ballast serves; the SigV4
//! check uses the region the client signed for, so both verify.
//! Policy documents are returned URL-encoded, as IAM returns them.

mod access_keys;
mod credential_lists;
mod groups;
mod instance_profiles;
mod login_profiles;
mod permissions;
mod policies;
mod policy_entities;
mod roles;
mod ssh_public_keys;
mod users;

use ballast_core::iam::{self as rules, Error as Rule, InstanceProfile, Role};
use ballast_core::paging::{decode_token, page};
use ballast_core::tags::{self as core_tags, TagError};
use ballast_model::iam::{self as model, errors, *};
use ballast_store::Tx;
use permissions::Kind;

use crate::RequestContext;
use crate::auth::Principal;
use crate::dispatch::{call, call_no_output, routes};
use crate::error::{ErrorCode, HandlerError};

routes! {
    /// The IAM operations Ballast implements.
    pub enum Operation;

    /// Routes an IAM request to its handler.
    fn handle(state, ctx, request) {
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
        ListEntitiesForPolicy => call(ctx, request, |i| policy_entities::list(state, i)),
        GetPolicyVersion => call(ctx, request, |i| policies::get_version(state, i)),
        CreatePolicyVersion => call(ctx, request, |i| policies::create_version(state, i)),
        ListPolicyVersions => call(ctx, request, |i| policies::list_versions(state, i)),
        SetDefaultPolicyVersion => {
            call_no_output(ctx, request, |i| policies::set_default_version(state, i))
        },
        DeletePolicyVersion => call_no_output(ctx, request, |i| policies::delete_version(state, i)),
        AttachRolePolicy => call_no_output(ctx, request, |i: AttachRolePolicyInput| {
            permissions::attach(state, Kind::Role, &i.role_name, &i.policy_arn)
        }),
        DetachRolePolicy => call_no_output(ctx, request, |i: DetachRolePolicyInput| {
            permissions::detach(state, Kind::Role, &i.role_name, &i.policy_arn)
        }),
        ListAttachedRolePolicies => call(ctx, request, |i: ListAttachedRolePoliciesInput| {
            permissions::list_attached(
                state,
                Kind::Role,
                &i.role_name,
                i.path_prefix,
                i.marker.as_deref(),
                i.max_items,
            )
            .map(ListAttachedRolePoliciesOutput::from)
        }),
        PutRolePolicy => call_no_output(ctx, request, |i: PutRolePolicyInput| {
            permissions::put_inline(
                state,
                Kind::Role,
                &i.role_name,
                &i.policy_name,
                &i.policy_document,
            )
        }),
        GetRolePolicy => call(ctx, request, |i: GetRolePolicyInput| {
            permissions::get_inline(state, Kind::Role, &i.role_name, &i.policy_name)
                .map(GetRolePolicyOutput::from)
        }),
        DeleteRolePolicy => call_no_output(ctx, request, |i: DeleteRolePolicyInput| {
            permissions::delete_inline(state, Kind::Role, &i.role_name, &i.policy_name)
        }),
        ListRolePolicies => call(ctx, request, |i: ListRolePoliciesInput| {
            permissions::list_inline(
                state,
                Kind::Role,
                &i.role_name,
                i.marker.as_deref(),
                i.max_items,
            )
            .map(ListRolePoliciesOutput::from)
        }),
        CreateInstanceProfile => call(ctx, request, |i| instance_profiles::create(state, i)),
        GetInstanceProfile => call(ctx, request, |i| instance_profiles::get(state, i)),
        DeleteInstanceProfile => {
            call_no_output(ctx, request, |i| instance_profiles::delete(state, i))
        },
        ListInstanceProfiles => call(ctx, request, |i| instance_profiles::list(state, i)),
        ListInstanceProfilesForRole => {
            call(ctx, request, |i| instance_profiles::list_for_role(state, i))
        },
        AddRoleToInstanceProfile => {
            call_no_output(ctx, request, |i| instance_profiles::add_role(state, i))
        },
        RemoveRoleFromInstanceProfile => {
            call_no_output(ctx, request, |i| instance_profiles::remove_role(state, i))
        },
        CreateUser => call(ctx, request, |i| users::create(state, i)),
        GetUser => call(ctx, request, |i| users::get(state, ctx, i)),
        ListUsers => call(ctx, request, |i| users::list(state, i)),
        DeleteUser => call_no_output(ctx, request, |i| users::delete(state, i)),
        CreateAccessKey => call(ctx, request, |i| access_keys::create(state, ctx, i)),
        ListAccessKeys => call(ctx, request, |i| access_keys::list(state, ctx, i)),
        UpdateAccessKey => call_no_output(ctx, request, |i| access_keys::update(state, ctx, i)),
        DeleteAccessKey => call_no_output(ctx, request, |i| access_keys::delete(state, ctx, i)),
        AttachUserPolicy => call_no_output(ctx, request, |i: AttachUserPolicyInput| {
            permissions::attach(state, Kind::User, &i.user_name, &i.policy_arn)
        }),
        DetachUserPolicy => call_no_output(ctx, request, |i: DetachUserPolicyInput| {
            permissions::detach(state, Kind::User, &i.user_name, &i.policy_arn)
        }),
        ListAttachedUserPolicies => call(ctx, request, |i: ListAttachedUserPoliciesInput| {
            permissions::list_attached(
                state,
                Kind::User,
                &i.user_name,
                i.path_prefix,
                i.marker.as_deref(),
                i.max_items,
            )
            .map(ListAttachedUserPoliciesOutput::from)
        }),
        PutUserPolicy => call_no_output(ctx, request, |i: PutUserPolicyInput| {
            permissions::put_inline(
                state,
                Kind::User,
                &i.user_name,
                &i.policy_name,
                &i.policy_document,
            )
        }),
        GetUserPolicy => call(ctx, request, |i: GetUserPolicyInput| {
            permissions::get_inline(state, Kind::User, &i.user_name, &i.policy_name)
                .map(GetUserPolicyOutput::from)
        }),
        DeleteUserPolicy => call_no_output(ctx, request, |i: DeleteUserPolicyInput| {
            permissions::delete_inline(state, Kind::User, &i.user_name, &i.policy_name)
        }),
        ListUserPolicies => call(ctx, request, |i: ListUserPoliciesInput| {
            permissions::list_inline(
                state,
                Kind::User,
                &i.user_name,
                i.marker.as_deref(),
                i.max_items,
            )
            .map(ListUserPoliciesOutput::from)
        }),
        CreateLoginProfile => call(ctx, request, |i| login_profiles::create(state, ctx, i)),
        GetLoginProfile => call(ctx, request, |i| login_profiles::get(state, ctx, i)),
        UpdateLoginProfile => call_no_output(ctx, request, |i| login_profiles::update(state, i)),
        DeleteLoginProfile => {
            call_no_output(ctx, request, |i| login_profiles::delete(state, ctx, i))
        },
        UploadSSHPublicKey => call(ctx, request, |i| ssh_public_keys::upload(state, i)),
        GetSSHPublicKey => call(ctx, request, |i| ssh_public_keys::get(state, i)),
        ListSSHPublicKeys => call(ctx, request, |i| ssh_public_keys::list(state, ctx, i)),
        UpdateSSHPublicKey => call_no_output(ctx, request, |i| ssh_public_keys::update(state, i)),
        DeleteSSHPublicKey => call_no_output(ctx, request, |i| ssh_public_keys::delete(state, i)),
        ListMFADevices => call(ctx, request, |i| credential_lists::mfa_devices(state, ctx, i)),
        ListSigningCertificates => {
            call(ctx, request, |i| credential_lists::signing_certificates(state, ctx, i))
        },
        ListServiceSpecificCredentials => {
            call(ctx, request, |i| credential_lists::service_specific(state, ctx, i))
        },
        CreateGroup => call(ctx, request, |i| groups::create(state, i)),
        GetGroup => call(ctx, request, |i| groups::get(state, i)),
        ListGroups => call(ctx, request, |i| groups::list(state, i)),
        DeleteGroup => call_no_output(ctx, request, |i| groups::delete(state, i)),
        AddUserToGroup => call_no_output(ctx, request, |i| groups::add_user(state, i)),
        RemoveUserFromGroup => call_no_output(ctx, request, |i| groups::remove_user(state, i)),
        ListGroupsForUser => call(ctx, request, |i| groups::list_for_user(state, i)),
        AttachGroupPolicy => call_no_output(ctx, request, |i: AttachGroupPolicyInput| {
            permissions::attach(state, Kind::Group, &i.group_name, &i.policy_arn)
        }),
        DetachGroupPolicy => call_no_output(ctx, request, |i: DetachGroupPolicyInput| {
            permissions::detach(state, Kind::Group, &i.group_name, &i.policy_arn)
        }),
        ListAttachedGroupPolicies => call(ctx, request, |i: ListAttachedGroupPoliciesInput| {
            permissions::list_attached(
                state,
                Kind::Group,
                &i.group_name,
                i.path_prefix,
                i.marker.as_deref(),
                i.max_items,
            )
            .map(ListAttachedGroupPoliciesOutput::from)
        }),
        PutGroupPolicy => call_no_output(ctx, request, |i: PutGroupPolicyInput| {
            permissions::put_inline(
                state,
                Kind::Group,
                &i.group_name,
                &i.policy_name,
                &i.policy_document,
            )
        }),
        GetGroupPolicy => call(ctx, request, |i: GetGroupPolicyInput| {
            permissions::get_inline(state, Kind::Group, &i.group_name, &i.policy_name)
                .map(GetGroupPolicyOutput::from)
        }),
        DeleteGroupPolicy => call_no_output(ctx, request, |i: DeleteGroupPolicyInput| {
            permissions::delete_inline(state, Kind::Group, &i.group_name, &i.policy_name)
        }),
        ListGroupPolicies => call(ctx, request, |i: ListGroupPoliciesInput| {
            permissions::list_inline(
                state,
                Kind::Group,
                &i.group_name,
                i.marker.as_deref(),
                i.max_items,
            )
            .map(ListGroupPoliciesOutput::from)
        }),
    }
}

/// A failure inside an IAM handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    const SERVICE: ballast_wire::Service = ballast_wire::Service::Iam;

    /// The model's shapes (statuses: 404 for a missing entity, 409 for
    /// conflicts and quotas, 400 for the rest); `ValidationError` is the
    /// protocol's.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::InvalidInput(_) => errors::INVALID_INPUT_EXCEPTION,
            Rule::EntityAlreadyExists(_) => errors::ENTITY_ALREADY_EXISTS_EXCEPTION,
            Rule::NoSuchEntity(_) => errors::NO_SUCH_ENTITY_EXCEPTION,
            Rule::DeleteConflict(_) => errors::DELETE_CONFLICT_EXCEPTION,
            Rule::LimitExceeded(_) => errors::LIMIT_EXCEEDED_EXCEPTION,
            Rule::MalformedPolicyDocument(_) => errors::MALFORMED_POLICY_DOCUMENT_EXCEPTION,
            Rule::PasswordPolicyViolation(_) => errors::PASSWORD_POLICY_VIOLATION_EXCEPTION,
            Rule::InvalidPublicKey(_) => errors::INVALID_PUBLIC_KEY_EXCEPTION,
            Rule::UnrecognizedPublicKeyEncoding(_) => {
                errors::UNRECOGNIZED_PUBLIC_KEY_ENCODING_EXCEPTION
            }
            Rule::DuplicateSshPublicKey(_) => errors::DUPLICATE_SSH_PUBLIC_KEY_EXCEPTION,
        })
    }
}

/// A page request: how many items, and the key after which to start.
pub(super) struct PageRequest {
    size: usize,
    after: Option<String>,
}

/// The page `MaxItems` asks for (the model bounds it to 1–1000; 100 when
/// absent) and the key `Marker` decodes to.
pub(super) fn paging(marker: Option<&str>, max_items: Option<i32>) -> Result<PageRequest, Rule> {
    let size = max_items
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(rules::DEFAULT_MAX_ITEMS);
    let after = match marker {
        None => None,
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

/// The user a call names, or the caller when it names none (access keys,
/// login profiles). The account's own credentials and role sessions are no
/// user: they must name one.
pub(super) fn user_named(ctx: &RequestContext, name: Option<String>) -> Result<String, Error> {
    match (name, &ctx.principal) {
        (Some(name), _) => Ok(name),
        (None, Principal::User(user)) => Ok(user.name.clone()),
        (None, _) => Err(Rule::Validation(
            "Must specify userName when calling with non-User credentials".to_owned(),
        )
        .into()),
    }
}

/// A key's status as IAM shows it.
pub(super) fn status(status: rules::AccessKeyStatus) -> StatusType {
    StatusType::from(status.as_str())
}

/// The status an Update call asks for: `Active` or `Inactive` (the model
/// also lists `Expired`, which only AWS sets).
pub(super) fn key_status(status: &StatusType) -> Result<rules::AccessKeyStatus, Error> {
    match status {
        StatusType::Active => Ok(rules::AccessKeyStatus::Active),
        StatusType::Inactive => Ok(rules::AccessKeyStatus::Inactive),
        other => Err(Rule::Validation(format!(
            "1 validation error detected: Value '{}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]",
            other.as_str()
        ))
        .into()),
    }
}

/// Loads a user (by name, whatever its case) or fails with `NoSuchEntity`.
pub(super) fn load_user(tx: &Tx<'_>, name: &str) -> Result<rules::User, Error> {
    tx.user(name)?.ok_or_else(|| {
        Rule::NoSuchEntity(format!("The user with name {name} cannot be found.")).into()
    })
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
        max_session_duration: i32::try_from(role.max_session_duration).ok(),
        permissions_boundary: None,
        tags: None,
        role_last_used: None,
    }
}

/// The tags of a resource as IAM returns them: absent when there are none.
pub(super) fn tags_view(pairs: Vec<(String, String)>) -> Option<Vec<Tag>> {
    (!pairs.is_empty()).then(|| crate::tags::from_pairs(pairs))
}

/// Checks tags on a create or TagRole request beyond the model's
/// constraints (count, lengths and patterns were checked before the
/// handler): duplicate keys and the reserved `aws:` prefix. Returns them
/// as pairs.
pub(super) fn check_tags(tags: &[Tag]) -> Result<Vec<(String, String)>, Rule> {
    let tags = crate::tags::to_core(tags.iter().cloned());
    core_tags::validate(&tags).map_err(|e| match e {
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

/// The path a create request names (the model checked its pattern); `/`
/// when absent.
pub(super) fn path_or_root(path: Option<String>) -> String {
    path.unwrap_or_else(|| "/".to_owned())
}

/// An optional `PathPrefix` (the model checked its pattern); `/`
/// (everything) when absent.
pub(super) fn path_prefix(prefix: Option<String>) -> String {
    prefix.unwrap_or_else(|| "/".to_owned())
}
