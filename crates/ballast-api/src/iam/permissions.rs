//! The permissions of a role, a user or a group: managed policies
//! attached to it and its inline policies. All three keep them alike; only
//! the quotas and the words of the errors differ.

use ballast_core::iam::policy::{DocumentKind, PolicyDocument};
use ballast_core::iam::{self as rules, Error as Rule, group, user};
use ballast_model::iam::*;
use ballast_store::{Holder, Tx};

use super::groups::load_group;
use super::policies::{Managed, resolve};
use super::{Error, Page, load_role, load_user, paging};
use crate::ApiState;

/// What kind of entity holds the policies a call names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Role,
    User,
    Group,
}

impl Kind {
    /// The entity's stored name; `NoSuchEntity` when there is none.
    fn load(self, tx: &Tx<'_>, name: &str) -> Result<String, Error> {
        Ok(match self {
            Kind::Role => load_role(tx, name)?.name,
            Kind::User => load_user(tx, name)?.name,
            Kind::Group => load_group(tx, name)?.name,
        })
    }

    fn holder(self, stored_name: &str) -> Holder<'_> {
        match self {
            Kind::Role => Holder::Role(stored_name),
            Kind::User => Holder::User(stored_name),
            Kind::Group => Holder::Group(stored_name),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
        }
    }

    /// The quota on attached managed policies and IAM's name for it.
    fn attached_quota(self) -> (usize, &'static str) {
        match self {
            Kind::Role => (rules::MAX_ATTACHED_POLICIES_PER_ROLE, "PoliciesPerRole"),
            Kind::User => (user::MAX_ATTACHED_POLICIES_PER_USER, "PoliciesPerUser"),
            Kind::Group => (group::MAX_ATTACHED_POLICIES_PER_GROUP, "PoliciesPerGroup"),
        }
    }

    /// The characters all inline policies may hold together.
    fn inline_quota(self) -> usize {
        match self {
            Kind::Role => rules::MAX_ROLE_INLINE_POLICY_CHARS,
            Kind::User => user::MAX_USER_INLINE_POLICY_CHARS,
            Kind::Group => group::MAX_GROUP_INLINE_POLICY_CHARS,
        }
    }

    fn no_such_inline(self, name: &str) -> Rule {
        Rule::NoSuchEntity(format!(
            "The {} policy with name {name} cannot be found.",
            self.word()
        ))
    }
}

pub(super) fn attach(
    state: &ApiState,
    kind: Kind,
    name: &str,
    policy_arn: &str,
) -> Result<(), Error> {
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        let policy = resolve(tx, policy_arn, account)?;
        let arn = policy.arn();
        let attached = tx.attached_policy_arns(kind.holder(&stored))?;
        if attached.contains(&arn) {
            // Attaching again changes nothing and succeeds, as on AWS.
            return Ok(());
        }
        let (quota, quota_name) = kind.attached_quota();
        if attached.len() >= quota {
            return Err(Rule::LimitExceeded(format!(
                "Cannot exceed quota for {quota_name}: {quota}"
            ))
            .into());
        }
        tx.attach_policy(kind.holder(&stored), &arn)?;
        Ok(())
    })
}

pub(super) fn detach(
    state: &ApiState,
    kind: Kind,
    name: &str,
    policy_arn: &str,
) -> Result<(), Error> {
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        rules::parse_policy_arn(policy_arn, account)?;
        if !tx.detach_policy(kind.holder(&stored), policy_arn)? {
            return Err(Rule::NoSuchEntity(format!("Policy {policy_arn} was not found.")).into());
        }
        Ok(())
    })
}

/// The managed policies attached to a role, user or group under
/// `path_prefix`, one page of them by ARN.
pub(super) fn list_attached(
    state: &ApiState,
    kind: Kind,
    name: &str,
    path_prefix: Option<String>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<Page<AttachedPolicy>, Error> {
    let request = paging(marker, max_items)?;
    let prefix = path_prefix.unwrap_or_else(|| "/".to_owned());
    let account = &state.scope.account;
    let policies: Vec<Managed> = state.store.read(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        let mut policies = Vec::new();
        for arn in tx.attached_policy_arns(kind.holder(&stored))? {
            policies.push(resolve(tx, &arn, account)?);
        }
        Ok(policies)
    })?;
    let attached: Vec<AttachedPolicy> = policies
        .iter()
        .filter(|p| p.path().starts_with(&prefix))
        .map(|p| AttachedPolicy {
            policy_name: Some(p.name().to_owned()),
            policy_arn: Some(p.arn()),
        })
        .collect();
    Ok(request.apply(attached, |p| p.policy_arn.as_deref().unwrap_or_default()))
}

pub(super) fn put_inline(
    state: &ApiState,
    kind: Kind,
    name: &str,
    policy_name: &str,
    document: &str,
) -> Result<(), Error> {
    PolicyDocument::parse(document, DocumentKind::Identity).map_err(Rule::from)?;
    state.store.write(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        // The quota covers all of an entity's inline policies together.
        let others: usize = tx
            .inline_policies(kind.holder(&stored))?
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case(policy_name))
            .map(|(_, document)| rules::policy_size(document))
            .sum();
        if others + rules::policy_size(document) > kind.inline_quota() {
            return Err(Rule::LimitExceeded(format!(
                "Maximum policy size of {} bytes exceeded for {} {stored}",
                kind.inline_quota(),
                kind.word()
            ))
            .into());
        }
        tx.put_inline_policy(kind.holder(&stored), policy_name, document)?;
        Ok(())
    })
}

/// One inline policy as the Get…Policy operations answer it.
pub(super) struct InlinePolicy {
    /// The stored name of the role, user or group that holds it.
    holder: String,
    /// The policy's stored name.
    name: String,
    /// The document, URL-encoded as IAM returns it.
    document: String,
}

pub(super) fn get_inline(
    state: &ApiState,
    kind: Kind,
    name: &str,
    policy_name: &str,
) -> Result<InlinePolicy, Error> {
    state.store.read(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        let (policy, document) = tx
            .inline_policy(kind.holder(&stored), policy_name)?
            .ok_or_else(|| kind.no_such_inline(policy_name))?;
        Ok(InlinePolicy {
            holder: stored,
            name: policy,
            document: rules::url_encode(&document),
        })
    })
}

pub(super) fn delete_inline(
    state: &ApiState,
    kind: Kind,
    name: &str,
    policy_name: &str,
) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        if !tx.delete_inline_policy(kind.holder(&stored), policy_name)? {
            return Err(kind.no_such_inline(policy_name).into());
        }
        Ok(())
    })
}

/// The names of an entity's inline policies, one page of them.
pub(super) fn list_inline(
    state: &ApiState,
    kind: Kind,
    name: &str,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<Page<String>, Error> {
    let request = paging(marker, max_items)?;
    let names: Vec<String> = state.store.read(|tx| -> Result<_, Error> {
        let stored = kind.load(tx, name)?;
        Ok(tx
            .inline_policies(kind.holder(&stored))?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    })?;
    Ok(request.apply(names, String::as_str))
}

// The three kinds' outputs, made from the same answers.

/// `From<Page<AttachedPolicy>>` for the ListAttached…Policies outputs.
macro_rules! attached_policies_outputs {
    ($($output:ty),*) => {$(
        impl From<Page<AttachedPolicy>> for $output {
            fn from(page: Page<AttachedPolicy>) -> Self {
                Self {
                    attached_policies: Some(page.items),
                    is_truncated: Some(page.is_truncated),
                    marker: page.marker,
                }
            }
        }
    )*};
}

/// `From<Page<String>>` for the List…Policies outputs (inline names).
macro_rules! inline_names_outputs {
    ($($output:ty),*) => {$(
        impl From<Page<String>> for $output {
            fn from(page: Page<String>) -> Self {
                Self {
                    policy_names: page.items,
                    is_truncated: Some(page.is_truncated),
                    marker: page.marker,
                }
            }
        }
    )*};
}

/// `From<InlinePolicy>` for the Get…Policy outputs, each naming its
/// holder in its own member.
macro_rules! inline_policy_outputs {
    ($($output:ty => $holder:ident),*) => {$(
        impl From<InlinePolicy> for $output {
            fn from(policy: InlinePolicy) -> Self {
                Self {
                    $holder: policy.holder,
                    policy_name: policy.name,
                    policy_document: policy.document,
                }
            }
        }
    )*};
}

attached_policies_outputs!(
    ListAttachedRolePoliciesOutput,
    ListAttachedUserPoliciesOutput,
    ListAttachedGroupPoliciesOutput
);
inline_names_outputs!(
    ListRolePoliciesOutput,
    ListUserPoliciesOutput,
    ListGroupPoliciesOutput
);
inline_policy_outputs!(
    GetRolePolicyOutput => role_name,
    GetUserPolicyOutput => user_name,
    GetGroupPolicyOutput => group_name
);
