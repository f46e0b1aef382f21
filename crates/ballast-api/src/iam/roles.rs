//! Role handlers: create, read, update, delete, list, and tags.

use ballast_core::iam::policy::{DocumentKind, PolicyDocument};
use ballast_core::iam::{self as rules, Error as Rule, IdKind, PolicyOwner, Role};
use ballast_model::iam::{self as model, *};
use ballast_store::Holder;

use super::{Error, check_tag_count, check_tags, load_role, paging, path_or_root, path_prefix};
use crate::ApiState;

/// The quota name IAM reports for a role's tags.
const TAG_QUOTA: &str = "TagsPerRole";

/// A role as Create and GetRole show it: everything, tags included.
fn full_view(role: &Role, tags: Vec<(String, String)>) -> model::Role {
    let mut view = super::role_summary(role);
    view.permissions_boundary =
        role.permissions_boundary
            .clone()
            .map(|arn| AttachedPermissionsBoundary {
                permissions_boundary_type: Some(
                    PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy,
                ),
                permissions_boundary_arn: Some(arn),
            });
    view.tags = super::tags_view(tags);
    view
}

pub(super) fn create(state: &ApiState, input: CreateRoleInput) -> Result<CreateRoleOutput, Error> {
    let path = path_or_root(input.path);
    let max_session_duration = input
        .max_session_duration
        .map_or(rules::DEFAULT_MAX_SESSION_DURATION, session_seconds);
    let tags = check_tags(input.tags.as_deref().unwrap_or_default())?;
    PolicyDocument::parse(&input.assume_role_policy_document, DocumentKind::Trust)
        .map_err(Rule::from)?;
    rules::check_policy_size(
        &input.assume_role_policy_document,
        "ACLSizePerRole",
        rules::MAX_TRUST_POLICY_CHARS,
    )?;
    let account = &state.scope.account;
    if let Some(boundary) = &input.permissions_boundary {
        rules::parse_policy_arn(boundary, account)?;
    }
    let role = Role {
        arn: rules::role_arn(account, &path, &input.role_name),
        name: input.role_name,
        id: rules::new_id(&state.ids, IdKind::Role),
        path,
        assume_role_policy_document: input.assume_role_policy_document,
        description: input.description.filter(|d| !d.is_empty()),
        max_session_duration,
        permissions_boundary: input.permissions_boundary,
        created: state.now().millis(),
    };
    let tags = state.store.write(|tx| -> Result<_, Error> {
        if tx.role(&role.name)?.is_some() {
            return Err(Rule::EntityAlreadyExists(format!(
                "Role with name {} already exists.",
                role.name
            ))
            .into());
        }
        if let Some(boundary) = &role.permissions_boundary {
            ensure_boundary_exists(tx, boundary, account)?;
        }
        tx.save_role(&role)?;
        tx.put_tags(&role.arn, &tags)?;
        Ok(tx.tags(&role.arn)?)
    })?;
    Ok(CreateRoleOutput {
        role: full_view(&role, tags),
    })
}

/// A `MaxSessionDuration` the model bounded to 3600–43200 seconds.
fn session_seconds(seconds: i32) -> u32 {
    seconds.unsigned_abs()
}

/// A permissions boundary must name a managed policy that exists.
fn ensure_boundary_exists(
    tx: &ballast_store::Tx<'_>,
    arn: &str,
    account: &str,
) -> Result<(), Error> {
    let exists = match rules::parse_policy_arn(arn, account)?.owner {
        PolicyOwner::Aws => rules::managed::by_arn(arn).is_some(),
        PolicyOwner::Account => tx.managed_policy(arn)?.is_some(),
    };
    if exists {
        Ok(())
    } else {
        Err(Rule::InvalidInput(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        ))
        .into())
    }
}

pub(super) fn get(state: &ApiState, input: GetRoleInput) -> Result<GetRoleOutput, Error> {
    let (role, tags) = state.store.read(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        let tags = tx.tags(&role.arn)?;
        Ok((role, tags))
    })?;
    Ok(GetRoleOutput {
        role: full_view(&role, tags),
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteRoleInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        let conflict = |message: &str| Err(Rule::DeleteConflict(message.to_owned()).into());
        if !tx.instance_profiles_for_role(&role.name)?.is_empty() {
            return conflict(
                "Cannot delete entity, must remove roles from instance profile first.",
            );
        }
        if !tx
            .attached_policy_arns(Holder::Role(&role.name))?
            .is_empty()
        {
            return conflict("Cannot delete entity, must detach all policies first.");
        }
        if !tx.inline_policies(Holder::Role(&role.name))?.is_empty() {
            return conflict("Cannot delete entity, must delete policies first.");
        }
        tx.delete_role(&role.name)?;
        tx.clear_tags(&role.arn)?;
        Ok(())
    })
}

pub(super) fn list(state: &ApiState, input: ListRolesInput) -> Result<ListRolesOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let prefix = path_prefix(input.path_prefix);
    let roles = state.store.read(|tx| tx.roles())?;
    let roles = roles
        .into_iter()
        .filter(|r| r.path.starts_with(&prefix))
        .collect();
    let page = request.apply(roles, |r| r.name.as_str());
    Ok(ListRolesOutput {
        roles: page.items.iter().map(super::role_summary).collect(),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

pub(super) fn update(state: &ApiState, input: UpdateRoleInput) -> Result<UpdateRoleOutput, Error> {
    let max_session_duration = input.max_session_duration.map(session_seconds);
    state.store.write(|tx| -> Result<_, Error> {
        let mut role = load_role(tx, &input.role_name)?;
        if let Some(description) = input.description {
            role.description = Some(description).filter(|d| !d.is_empty());
        }
        if let Some(seconds) = max_session_duration {
            role.max_session_duration = seconds;
        }
        tx.save_role(&role)?;
        Ok(())
    })?;
    Ok(UpdateRoleOutput {})
}

pub(super) fn tag(state: &ApiState, input: TagRoleInput) -> Result<(), Error> {
    let pairs = check_tags(&input.tags)?;
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        tx.put_tags(&role.arn, &pairs)?;
        check_tag_count(tx, &role.arn, TAG_QUOTA)
    })
}

pub(super) fn untag(state: &ApiState, input: UntagRoleInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        tx.remove_tags(&role.arn, &input.tag_keys)?;
        Ok(())
    })
}

pub(super) fn list_tags(
    state: &ApiState,
    input: ListRoleTagsInput,
) -> Result<ListRoleTagsOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let tags = state.store.read(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        Ok(tx.tags(&role.arn)?)
    })?;
    let tags: Vec<Tag> = crate::tags::from_pairs(tags);
    let page = request.apply(tags, |t| t.key.as_str());
    Ok(ListRoleTagsOutput {
        tags: page.items,
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}
