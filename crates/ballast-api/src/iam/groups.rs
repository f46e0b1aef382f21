//! Group handlers: create, read, list and delete groups, and their
//! members. A group's policies are handled with roles' and users' in
//! `permissions`.

use ballast_core::iam::{Error as Rule, Group, group};
use ballast_model::iam::{self as model, *};
use ballast_store::{Holder, Tx};

use super::{Error, load_user, paging, path_or_root, path_prefix, users};
use crate::ApiState;

/// A group as IAM shows it.
fn view(group: &Group) -> model::Group {
    model::Group {
        path: group.path.clone(),
        group_name: group.name.clone(),
        group_id: group.id.clone(),
        arn: group.arn.clone(),
        create_date: ballast_wire::Timestamp::from_millis(group.created),
    }
}

/// Loads a group (by name, whatever its case) or fails with `NoSuchEntity`.
pub(super) fn load_group(tx: &Tx<'_>, name: &str) -> Result<Group, Error> {
    tx.group(name)?.ok_or_else(|| {
        Rule::NoSuchEntity(format!("The group with name {name} cannot be found.")).into()
    })
}

pub(super) fn create(
    state: &ApiState,
    input: CreateGroupInput,
) -> Result<CreateGroupOutput, Error> {
    let group = Group::new(
        &state.ids,
        &state.scope.account,
        path_or_root(input.path),
        input.group_name,
        state.now().millis(),
    );
    state.store.write(|tx| -> Result<_, Error> {
        if tx.group(&group.name)?.is_some() {
            return Err(Rule::EntityAlreadyExists(format!(
                "Group with name {} already exists.",
                group.name
            ))
            .into());
        }
        tx.save_group(&group)?;
        Ok(())
    })?;
    Ok(CreateGroupOutput {
        group: view(&group),
    })
}

/// GetGroup: the group and one page of its users, by name.
pub(super) fn get(state: &ApiState, input: GetGroupInput) -> Result<GetGroupOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let (group, members) = state.store.read(|tx| -> Result<_, Error> {
        let group = load_group(tx, &input.group_name)?;
        let members = tx.group_members(&group.name)?;
        Ok((group, members))
    })?;
    let page = request.apply(members, |u| u.name.as_str());
    Ok(GetGroupOutput {
        group: view(&group),
        users: page.items.iter().map(|u| users::view(u, None)).collect(),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

pub(super) fn list(state: &ApiState, input: ListGroupsInput) -> Result<ListGroupsOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let prefix = path_prefix(input.path_prefix);
    let groups: Vec<Group> = state
        .store
        .read(|tx| tx.groups())?
        .into_iter()
        .filter(|g| g.path.starts_with(&prefix))
        .collect();
    let page = request.apply(groups, |g| g.name.as_str());
    Ok(ListGroupsOutput {
        groups: page.items.iter().map(view).collect(),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

/// DeleteGroup: only a group with no members and no policies, as on AWS
/// (`DeleteConflict`).
pub(super) fn delete(state: &ApiState, input: DeleteGroupInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let group = load_group(tx, &input.group_name)?;
        let conflict = |what: &str| -> Result<(), Error> {
            Err(Rule::DeleteConflict(format!("Cannot delete entity, must {what} first.")).into())
        };
        if !tx.group_members(&group.name)?.is_empty() {
            return conflict("remove users from group");
        }
        if !tx
            .attached_policy_arns(Holder::Group(&group.name))?
            .is_empty()
        {
            return conflict("detach all policies");
        }
        if !tx.inline_policies(Holder::Group(&group.name))?.is_empty() {
            return conflict("delete policies");
        }
        tx.delete_group(&group.name)?;
        Ok(())
    })
}

/// AddUserToGroup; adding a member again changes nothing and succeeds,
/// as on AWS.
pub(super) fn add_user(state: &ApiState, input: AddUserToGroupInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let group = load_group(tx, &input.group_name)?;
        let user = load_user(tx, &input.user_name)?;
        let memberships = tx.groups_of_user(&user.name)?;
        if memberships.iter().any(|g| g.name == group.name) {
            return Ok(());
        }
        group::check_can_join(memberships.len())?;
        tx.add_group_member(&group.name, &user.name)?;
        Ok(())
    })
}

/// RemoveUserFromGroup; removing a user who is not a member succeeds, as
/// on AWS, once both exist.
pub(super) fn remove_user(state: &ApiState, input: RemoveUserFromGroupInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let group = load_group(tx, &input.group_name)?;
        let user = load_user(tx, &input.user_name)?;
        tx.remove_group_member(&group.name, &user.name)?;
        Ok(())
    })
}

pub(super) fn list_for_user(
    state: &ApiState,
    input: ListGroupsForUserInput,
) -> Result<ListGroupsForUserOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let groups = state.store.read(|tx| -> Result<_, Error> {
        let user = load_user(tx, &input.user_name)?;
        Ok(tx.groups_of_user(&user.name)?)
    })?;
    let page = request.apply(groups, |g| g.name.as_str());
    Ok(ListGroupsForUserOutput {
        groups: page.items.iter().map(view).collect(),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}
