//! IAM: roles, users, groups, managed policies and instance profiles by
//! their ARNs (`arn:aws:iam::ACCOUNT:role/PATH/NAME`, …), with their tags
//! (groups have none).

use ballast_core::tags::Tag;
use ballast_store::{StoreError, Tx};
use serde::Deserialize;

use super::{Access, Names, Resource, Unnamed, pairs};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    role_name: Option<String>,
    user_name: Option<String>,
    group_name: Option<String>,
    policy_arn: Option<String>,
    policy_name: Option<String>,
    instance_profile_name: Option<String>,
    path: Option<String>,
    tags: Option<Vec<Tag>>,
}

/// `ListRoles`, `ListPolicies`, `ListInstanceProfiles`, `ListUsers` and
/// `ListGroups` are authorized on `*`; the Create calls on the ARN they
/// create; calls on an instance profile on the profile
/// (AddRoleToInstanceProfile also passes its role); calls naming a role,
/// group or user on it (AttachRolePolicy too: its policy is a condition in
/// AWS, not a resource; AddUserToGroup on the group), and the calls on a
/// user's credentials that name no user on the calling user; the rest on
/// the policy.
pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let operation = names.operation();
    if matches!(
        operation,
        "ListRoles" | "ListPolicies" | "ListInstanceProfiles" | "ListUsers" | "ListGroups"
    ) {
        return Ok(Access::default());
    }
    let params: Params = names.params()?;
    let tx = names.tx;
    let arn = |kind: &str, name: &str| {
        let path = params.path.as_deref().unwrap_or("/");
        format!("arn:aws:iam::{}:{kind}{path}{name}", names.account())
    };
    let resources = match operation {
        "CreateRole" => vec![Resource::untagged(arn("role", or_any(&params.role_name)))],
        "CreatePolicy" => vec![Resource::untagged(arn(
            "policy",
            or_any(&params.policy_name),
        ))],
        "CreateInstanceProfile" => vec![Resource::untagged(arn(
            "instance-profile",
            or_any(&params.instance_profile_name),
        ))],
        "CreateUser" => vec![Resource::untagged(arn("user", or_any(&params.user_name)))],
        "CreateGroup" => vec![Resource::untagged(arn("group", or_any(&params.group_name)))],
        // Without a UserName, these act on the calling user.
        "GetUser"
        | "CreateAccessKey"
        | "ListAccessKeys"
        | "UpdateAccessKey"
        | "DeleteAccessKey"
        | "CreateLoginProfile"
        | "GetLoginProfile"
        | "DeleteLoginProfile"
        | "ListSSHPublicKeys"
        | "ListMFADevices"
        | "ListSigningCertificates"
        | "ListServiceSpecificCredentials"
            if params.user_name.is_none() =>
        {
            vec![Resource::tagged(tx, names.caller, names.caller)?]
        }
        _ => existing(names, tx, &params)?,
    };
    let passed_roles = match &params.role_name {
        Some(role) if operation == "AddRoleToInstanceProfile" => {
            vec![role_resource(names, tx, role)?.arn]
        }
        _ => Vec::new(),
    };
    Ok(Access {
        resources,
        request_tags: params.tags.as_deref().map(pairs).unwrap_or_default(),
        passed_roles,
    })
}

fn or_any(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("*")
}

/// The one existing resource a call names: the instance profile, else
/// the role, else the group, else the user, else the policy.
fn existing(names: &Names<'_>, tx: &Tx<'_>, params: &Params) -> Result<Vec<Resource>, StoreError> {
    let account = names.account();
    if let Some(name) = &params.instance_profile_name {
        let arn = match tx.instance_profile(name)? {
            Some(profile) => profile.arn,
            None => format!("arn:aws:iam::{account}:instance-profile/{name}"),
        };
        return Ok(vec![Resource::tagged(tx, arn.clone(), &arn)?]);
    }
    if let Some(name) = &params.role_name {
        return Ok(vec![role_resource(names, tx, name)?]);
    }
    if let Some(name) = &params.group_name {
        let arn = match tx.group(name)? {
            Some(group) => group.arn,
            None => format!("arn:aws:iam::{account}:group/{name}"),
        };
        return Ok(vec![Resource::untagged(arn)]);
    }
    if let Some(name) = &params.user_name {
        let arn = match tx.user(name)? {
            Some(user) => user.arn,
            None => format!("arn:aws:iam::{account}:user/{name}"),
        };
        return Ok(vec![Resource::tagged(tx, arn.clone(), &arn)?]);
    }
    match &params.policy_arn {
        Some(arn) => Ok(vec![Resource::tagged(tx, arn.clone(), arn)?]),
        None => Ok(Vec::new()),
    }
}

/// A role by name: its ARN (with its path) and tags; a role that does
/// not exist is named at the root path.
fn role_resource(names: &Names<'_>, tx: &Tx<'_>, name: &str) -> Result<Resource, StoreError> {
    let arn = match tx.role(name)? {
        Some(role) => role.arn,
        None => format!("arn:aws:iam::{}:role/{name}", names.account()),
    };
    Resource::tagged(tx, arn.clone(), &arn)
}
