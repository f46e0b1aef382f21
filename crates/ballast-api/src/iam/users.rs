//! User handlers: create, read, list, delete.

use ballast_core::iam::{Error as Rule, User};
use ballast_model::iam::{self as model, *};
use ballast_store::Holder;

use super::{Error, check_tags, load_user, paging, path_or_root, path_prefix, tags_view};
use crate::auth::Principal;
use crate::{ApiState, RequestContext};

/// A user as IAM shows it; tags only where the call returns them.
pub(super) fn view(user: &User, tags: Option<Vec<(String, String)>>) -> model::User {
    model::User {
        path: user.path.clone(),
        user_name: user.name.clone(),
        user_id: user.id.clone(),
        arn: user.arn.clone(),
        create_date: ballast_wire::Timestamp::from_millis(user.created),
        password_last_used: None,
        permissions_boundary: None,
        tags: tags.and_then(tags_view),
    }
}

pub(super) fn create(state: &ApiState, input: CreateUserInput) -> Result<CreateUserOutput, Error> {
    let tags = check_tags(input.tags.as_deref().unwrap_or_default())?;
    if input.permissions_boundary.is_some() {
        return Err(Rule::InvalidInput(
            "Permissions boundaries on users are not supported by Ballast".to_owned(),
        )
        .into());
    }
    let user = User::new(
        &state.ids,
        &state.scope.account,
        path_or_root(input.path),
        input.user_name,
        state.now().millis(),
    );
    let tags = state.store.write(|tx| -> Result<_, Error> {
        if tx.user(&user.name)?.is_some() {
            return Err(Rule::EntityAlreadyExists(format!(
                "User with name {} already exists.",
                user.name
            ))
            .into());
        }
        tx.save_user(&user)?;
        tx.put_tags(&user.arn, &tags)?;
        Ok(tx.tags(&user.arn)?)
    })?;
    Ok(CreateUserOutput {
        user: Some(view(&user, Some(tags))),
    })
}

/// GetUser: the named user, or without a name the caller. Role sessions
/// have no user, as on AWS; the account's own credentials get the root.
pub(super) fn get(
    state: &ApiState,
    ctx: &RequestContext,
    input: GetUserInput,
) -> Result<GetUserOutput, Error> {
    let name = match (input.user_name, &ctx.principal) {
        (Some(name), _) => name,
        (None, Principal::User(user)) => user.name.clone(),
        (None, Principal::Root) => {
            return Ok(GetUserOutput {
                user: model::User {
                    path: "/".to_owned(),
                    user_name: String::new(),
                    user_id: state.scope.account.clone(),
                    arn: state.scope.root_arn(),
                    create_date: ballast_wire::Timestamp::from_millis(0),
                    password_last_used: None,
                    permissions_boundary: None,
                    tags: None,
                },
            });
        }
        (None, Principal::AssumedRole(_)) => {
            return Err(Rule::Validation(
                "Must specify userName when calling with non-User credentials".to_owned(),
            )
            .into());
        }
    };
    let (user, tags) = state.store.read(|tx| -> Result<_, Error> {
        let user = load_user(tx, &name)?;
        let tags = tx.tags(&user.arn)?;
        Ok((user, tags))
    })?;
    Ok(GetUserOutput {
        user: view(&user, Some(tags)),
    })
}

pub(super) fn list(state: &ApiState, input: ListUsersInput) -> Result<ListUsersOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let prefix = path_prefix(input.path_prefix);
    let users = state.store.read(|tx| tx.users())?;
    let users: Vec<User> = users
        .into_iter()
        .filter(|u| u.path.starts_with(&prefix))
        .collect();
    let page = request.apply(users, |u| u.name.as_str());
    Ok(ListUsersOutput {
        users: page.items.iter().map(|u| view(u, None)).collect(),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

/// DeleteUser: only a user with no login profile, no access keys, no
/// policies and no groups, as on AWS (`DeleteConflict`).
pub(super) fn delete(state: &ApiState, input: DeleteUserInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let user = load_user(tx, &input.user_name)?;
        let conflict = |what: &str| -> Result<(), Error> {
            Err(Rule::DeleteConflict(format!("Cannot delete entity, must {what} first.")).into())
        };
        if user.login_profile.is_some() {
            return conflict("delete login profile");
        }
        if !tx.access_keys(&user.name)?.is_empty() {
            return conflict("delete access keys");
        }
        if !user.ssh_public_keys.is_empty() {
            return conflict("delete SSH public keys");
        }
        if !tx
            .attached_policy_arns(Holder::User(&user.name))?
            .is_empty()
        {
            return conflict("detach all policies");
        }
        if !tx.inline_policies(Holder::User(&user.name))?.is_empty() {
            return conflict("delete policies");
        }
        if !tx.groups_of_user(&user.name)?.is_empty() {
            return conflict("remove users from group");
        }
        tx.delete_user(&user.name)?;
        tx.clear_tags(&user.arn)?;
        Ok(())
    })
}
