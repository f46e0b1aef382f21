//! Instance profile handlers: the container that hands a role to EC2
//! instances (at most one role per profile, as on AWS).

use ballast_core::iam::{self as rules, Error as Rule, IdKind, InstanceProfile};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use ballast_model::iam::{self as model, *};

use super::{
    Error, check_tags, load_instance_profile, load_role, paging, path_or_root, path_prefix,
    role_summary, tags_view,
};
use crate::ApiState;

/// A profile as IAM shows it, with its role; `tags` only from Get/Create.
fn view(
    tx: &Tx<'_>,
    profile: &InstanceProfile,
    tags: Option<Vec<(String, String)>>,
) -> Result<model::InstanceProfile, Error> {
    let roles = match &profile.role_name {
        Some(name) => tx.role(name)?.iter().map(role_summary).collect(),
        None => Vec::new(),
    };
    Ok(model::InstanceProfile {
        path: profile.path.clone(),
        instance_profile_name: profile.name.clone(),
        instance_profile_id: profile.id.clone(),
        arn: profile.arn.clone(),
        create_date: Timestamp::from_millis(profile.created),
        roles,
        tags: tags.and_then(tags_view),
    })
}

pub(super) fn create(
    state: &ApiState,
    input: CreateInstanceProfileInput,
) -> Result<CreateInstanceProfileOutput, Error> {
    let path = path_or_root(input.path);
    let tags = check_tags(input.tags.as_deref().unwrap_or_default())?;
    let profile = InstanceProfile {
        arn: rules::instance_profile_arn(&state.scope.account, &path, &input.instance_profile_name),
        name: input.instance_profile_name,
        id: rules::new_id(&state.ids, IdKind::InstanceProfile),
        path,
        created: state.now().millis(),
        role_name: None,
    };
    let view = state.store.write(|tx| -> Result<_, Error> {
        if tx.instance_profile(&profile.name)?.is_some() {
            return Err(Rule::EntityAlreadyExists(format!(
                "Instance Profile {} already exists.",
                profile.name
            ))
            .into());
        }
        tx.save_instance_profile(&profile)?;
        tx.put_tags(&profile.arn, &tags)?;
        view(tx, &profile, Some(tx.tags(&profile.arn)?))
    })?;
    Ok(CreateInstanceProfileOutput {
        instance_profile: view,
    })
}

pub(super) fn get(
    state: &ApiState,
    input: GetInstanceProfileInput,
) -> Result<GetInstanceProfileOutput, Error> {
    let view = state.store.read(|tx| -> Result<_, Error> {
        let profile = load_instance_profile(tx, &input.instance_profile_name)?;
        view(tx, &profile, Some(tx.tags(&profile.arn)?))
    })?;
    Ok(GetInstanceProfileOutput {
        instance_profile: view,
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteInstanceProfileInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let profile = load_instance_profile(tx, &input.instance_profile_name)?;
        if profile.role_name.is_some() {
            return Err(Rule::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".to_owned(),
            )
            .into());
        }
        tx.delete_instance_profile(&profile.name)?;
        tx.clear_tags(&profile.arn)?;
        Ok(())
    })
}

pub(super) fn list(
    state: &ApiState,
    input: ListInstanceProfilesInput,
) -> Result<ListInstanceProfilesOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let prefix = path_prefix(input.path_prefix);
    let page = state.store.read(|tx| -> Result<_, Error> {
        let profiles = tx
            .instance_profiles()?
            .into_iter()
            .filter(|p| p.path.starts_with(&prefix))
            .collect();
        page_of_views(tx, &request, profiles)
    })?;
    Ok(ListInstanceProfilesOutput {
        instance_profiles: page.items,
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

pub(super) fn list_for_role(
    state: &ApiState,
    input: ListInstanceProfilesForRoleInput,
) -> Result<ListInstanceProfilesForRoleOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let page = state.store.read(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        let profiles = tx.instance_profiles_for_role(&role.name)?;
        page_of_views(tx, &request, profiles)
    })?;
    Ok(ListInstanceProfilesForRoleOutput {
        instance_profiles: page.items,
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

/// One page of profiles by name, each shown with its role.
fn page_of_views(
    tx: &Tx<'_>,
    request: &super::PageRequest,
    profiles: Vec<InstanceProfile>,
) -> Result<super::Page<model::InstanceProfile>, Error> {
    let page = request.apply(profiles, |p| p.name.as_str());
    Ok(super::Page {
        items: page
            .items
            .iter()
            .map(|p| view(tx, p, None))
            .collect::<Result<_, _>>()?,
        is_truncated: page.is_truncated,
        marker: page.marker,
    })
}

pub(super) fn add_role(
    state: &ApiState,
    input: AddRoleToInstanceProfileInput,
) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let mut profile = load_instance_profile(tx, &input.instance_profile_name)?;
        let role = load_role(tx, &input.role_name)?;
        if profile.role_name.is_some() {
            return Err(Rule::LimitExceeded(format!(
                "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {}",
                rules::MAX_ROLES_PER_INSTANCE_PROFILE
            ))
            .into());
        }
        profile.role_name = Some(role.name);
        tx.save_instance_profile(&profile)?;
        Ok(())
    })
}

pub(super) fn remove_role(
    state: &ApiState,
    input: RemoveRoleFromInstanceProfileInput,
) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let mut profile = load_instance_profile(tx, &input.instance_profile_name)?;
        let role = load_role(tx, &input.role_name)?;
        let holds = profile
            .role_name
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(&role.name));
        if !holds {
            return Err(Rule::NoSuchEntity(format!(
                "The role with name {} cannot be found in instance profile {}.",
                input.role_name, profile.name
            ))
            .into());
        }
        profile.role_name = None;
        tx.save_instance_profile(&profile)?;
        Ok(())
    })
}
