//! ListEntitiesForPolicy: the groups, users and roles a managed policy is
//! attached to, and the roles it bounds, filtered by kind, path and use,
//! and paged together (groups, then users, then roles, each by name).

use ballast_core::iam::PolicyOwner;
use ballast_model::iam::*;
use ballast_store::Tx;

use super::policies::{Managed, UsageFilter, resolve, usage_filter};
use super::{Error, paging};
use crate::ApiState;

/// Which kind of entity an [`Entity`] is; the order of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Group,
    User,
    Role,
}

/// One entity the policy applies to.
#[derive(Debug)]
struct Entity {
    kind: Kind,
    name: String,
    id: String,
    path: String,
    /// The paging key: the kind's place, then the name.
    key: String,
}

impl Entity {
    fn new(kind: Kind, name: String, id: String, path: String) -> Entity {
        let key = format!("{}/{name}", kind as u8);
        Entity {
            kind,
            name,
            id,
            path,
            key,
        }
    }
}

/// Every group, user and role the policy `arn` applies to as `filter`
/// says; a role both attached and bounded comes once.
fn entities(tx: &Tx<'_>, arn: &str, filter: UsageFilter) -> Result<Vec<Entity>, Error> {
    let mut found = Vec::new();
    if filter != UsageFilter::Boundary {
        let holders = tx.policy_holders(arn)?;
        for name in holders.groups {
            if let Some(group) = tx.group(&name)? {
                found.push(Entity::new(Kind::Group, group.name, group.id, group.path));
            }
        }
        for name in holders.users {
            if let Some(user) = tx.user(&name)? {
                found.push(Entity::new(Kind::User, user.name, user.id, user.path));
            }
        }
        for name in holders.roles {
            if let Some(role) = tx.role(&name)? {
                found.push(Entity::new(Kind::Role, role.name, role.id, role.path));
            }
        }
    }
    if filter != UsageFilter::Permissions {
        for role in tx.roles()? {
            if role.permissions_boundary.as_deref() == Some(arn) {
                found.push(Entity::new(Kind::Role, role.name, role.id, role.path));
            }
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    found.dedup_by(|a, b| a.key == b.key);
    Ok(found)
}

/// Whether `EntityFilter` keeps an entity: a kind keeps that kind; a
/// policy owner keeps everything when the policy is that owner's.
fn kept(filter: Option<&EntityType>, owner: PolicyOwner, entity: &Entity) -> bool {
    match filter {
        None | Some(EntityType::Unknown(_)) => true,
        Some(EntityType::Group) => entity.kind == Kind::Group,
        Some(EntityType::User) => entity.kind == Kind::User,
        Some(EntityType::Role) => entity.kind == Kind::Role,
        Some(EntityType::LocalManagedPolicy) => owner == PolicyOwner::Account,
        Some(EntityType::AWSManagedPolicy) => owner == PolicyOwner::Aws,
    }
}

pub(super) fn list(
    state: &ApiState,
    input: ListEntitiesForPolicyInput,
) -> Result<ListEntitiesForPolicyOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let filter = usage_filter(input.policy_usage_filter.as_ref());
    let account = &state.scope.account;
    let (owner, found) = state.store.read(|tx| -> Result<_, Error> {
        let policy = resolve(tx, &input.policy_arn, account)?;
        let owner = match &policy {
            Managed::Aws(_) => PolicyOwner::Aws,
            Managed::Local(_) => PolicyOwner::Account,
        };
        Ok((owner, entities(tx, &policy.arn(), filter)?))
    })?;
    let found: Vec<Entity> = found
        .into_iter()
        .filter(|e| e.path.starts_with(prefix) && kept(input.entity_filter.as_ref(), owner, e))
        .collect();
    let page = request.apply(found, |e| e.key.as_str());
    let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for entity in page.items {
        let (name, id) = (Some(entity.name), Some(entity.id));
        match entity.kind {
            Kind::Group => groups.push(PolicyGroup {
                group_name: name,
                group_id: id,
            }),
            Kind::User => users.push(PolicyUser {
                user_name: name,
                user_id: id,
            }),
            Kind::Role => roles.push(PolicyRole {
                role_name: name,
                role_id: id,
            }),
        }
    }
    Ok(ListEntitiesForPolicyOutput {
        policy_groups: Some(groups),
        policy_users: Some(users),
        policy_roles: Some(roles),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}
