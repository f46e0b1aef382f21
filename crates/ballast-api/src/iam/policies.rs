//! Managed policy handlers: the account's own policies and their versions,
//! and AWS's from the core's catalogue (read-only, one version `v1`).

use std::collections::HashMap;

use ballast_core::iam::managed::{self, AwsManagedPolicy};
use ballast_core::iam::policy::{DocumentKind, PolicyDocument};
use ballast_core::iam::{self as rules, Error as Rule, IdKind, ManagedPolicy, PolicyOwner};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use ballast_model::iam::{self as model, *};

use super::{Error, check_tags, paging, tags_view};
use crate::ApiState;

/// A managed policy an ARN names: one of AWS's or one of the account's.
pub(super) enum Managed {
    Aws(&'static AwsManagedPolicy),
    Local(ManagedPolicy),
}

impl Managed {
    pub fn name(&self) -> &str {
        match self {
            Managed::Aws(p) => p.name,
            Managed::Local(p) => &p.name,
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Managed::Aws(p) => p.path,
            Managed::Local(p) => &p.path,
        }
    }

    pub fn arn(&self) -> String {
        match self {
            Managed::Aws(p) => p.arn(),
            Managed::Local(p) => p.arn.clone(),
        }
    }

    fn default_version(&self) -> u32 {
        match self {
            Managed::Aws(_) => 1,
            Managed::Local(p) => p.default_version,
        }
    }

    /// The policy as IAM shows it; `detail` adds the description and tags
    /// (GetPolicy and CreatePolicy, not ListPolicies).
    fn view(&self, usage: Usage, detail: Option<Vec<(String, String)>>) -> model::Policy {
        let (id, description, created, updated) = match self {
            Managed::Aws(p) => (
                p.id(),
                Some(p.description.to_owned()),
                managed::CREATED_MILLIS,
                managed::CREATED_MILLIS,
            ),
            Managed::Local(p) => (p.id.clone(), p.description.clone(), p.created, p.updated),
        };
        let with_detail = detail.is_some();
        model::Policy {
            policy_name: Some(self.name().to_owned()),
            policy_id: Some(id),
            arn: Some(self.arn()),
            path: Some(self.path().to_owned()),
            default_version_id: Some(rules::version_id(self.default_version())),
            attachment_count: Some(count(usage.attachments)),
            permissions_boundary_usage_count: Some(count(usage.boundaries)),
            is_attachable: Some(true),
            description: description.filter(|_| with_detail),
            create_date: Some(Timestamp::from_millis(created)),
            update_date: Some(Timestamp::from_millis(updated)),
            tags: detail.and_then(tags_view),
        }
    }
}

/// A count as the model's `attachmentCountType` (an `Integer`) carries it.
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// How many roles use a policy, as permissions and as boundary.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    attachments: u32,
    boundaries: u32,
}

fn usage(tx: &Tx<'_>, arn: &str) -> Result<Usage, Error> {
    let boundaries = tx
        .roles()?
        .iter()
        .filter(|r| r.permissions_boundary.as_deref() == Some(arn))
        .count();
    Ok(Usage {
        attachments: tx.policy_attachment_count(arn)?,
        boundaries: u32::try_from(boundaries).unwrap_or(u32::MAX),
    })
}

/// The policy an ARN names: `InvalidInput` for a malformed ARN,
/// `NoSuchEntity` for one that names nothing.
pub(super) fn resolve(tx: &Tx<'_>, arn: &str, account: &str) -> Result<Managed, Error> {
    let parsed = rules::parse_policy_arn(arn, account)?;
    let found = match parsed.owner {
        PolicyOwner::Aws => managed::by_arn(arn).map(Managed::Aws),
        PolicyOwner::Account => tx.managed_policy(arn)?.map(Managed::Local),
    };
    found.ok_or_else(|| {
        Rule::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable.")).into()
    })
}

/// The account's own policy an ARN names; AWS's cannot be changed.
fn resolve_local(tx: &Tx<'_>, arn: &str, account: &str) -> Result<ManagedPolicy, Error> {
    match resolve(tx, arn, account)? {
        Managed::Local(policy) => Ok(policy),
        Managed::Aws(_) => Err(Rule::InvalidInput(format!(
            "Policy {arn} is an AWS managed policy and cannot be modified or deleted."
        ))
        .into()),
    }
}

/// Checks a permissions document for a managed policy (its characters and
/// length were checked against the model before the handler).
fn check_document(document: &str) -> Result<(), Rule> {
    PolicyDocument::parse(document, DocumentKind::Identity)?;
    rules::check_policy_size(document, "PolicySize", rules::MAX_MANAGED_POLICY_CHARS)
}

fn version_view(
    version: &rules::PolicyVersion,
    default: u32,
    with_document: bool,
) -> model::PolicyVersion {
    model::PolicyVersion {
        document: with_document.then(|| rules::url_encode(&version.document)),
        version_id: Some(rules::version_id(version.number)),
        is_default_version: Some(version.number == default),
        create_date: Some(Timestamp::from_millis(version.created)),
    }
}

/// Every version of a policy (AWS's have exactly one).
fn versions(tx: &Tx<'_>, policy: &Managed) -> Result<Vec<rules::PolicyVersion>, Error> {
    Ok(match policy {
        Managed::Aws(p) => vec![rules::PolicyVersion {
            number: 1,
            document: p.document.to_owned(),
            created: managed::CREATED_MILLIS,
        }],
        Managed::Local(p) => tx.policy_versions(&p.arn)?,
    })
}

pub(super) fn create(
    state: &ApiState,
    input: CreatePolicyInput,
) -> Result<CreatePolicyOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = check_tags(input.tags.as_deref().unwrap_or_default())?;
    check_document(&input.policy_document)?;
    let now = state.now().millis();
    let policy = ManagedPolicy {
        arn: rules::policy_arn(&state.scope.account, &path, &input.policy_name),
        name: input.policy_name,
        id: rules::new_id(&state.ids, IdKind::Policy),
        path,
        description: input.description.filter(|d| !d.is_empty()),
        default_version: 1,
        next_version: 2,
        created: now,
        updated: now,
    };
    let tags = state.store.write(|tx| -> Result<_, Error> {
        if tx.managed_policy_by_name(&policy.name)?.is_some() {
            return Err(Rule::EntityAlreadyExists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                policy.name
            ))
            .into());
        }
        tx.save_managed_policy(&policy)?;
        tx.insert_policy_version(
            &policy.arn,
            &rules::PolicyVersion {
                number: 1,
                document: input.policy_document,
                created: now,
            },
        )?;
        tx.put_tags(&policy.arn, &tags)?;
        Ok(tx.tags(&policy.arn)?)
    })?;
    Ok(CreatePolicyOutput {
        policy: Some(Managed::Local(policy).view(Usage::default(), Some(tags))),
    })
}

pub(super) fn get(state: &ApiState, input: GetPolicyInput) -> Result<GetPolicyOutput, Error> {
    let account = &state.scope.account;
    let policy = state.store.read(|tx| -> Result<_, Error> {
        let policy = resolve(tx, &input.policy_arn, account)?;
        let arn = policy.arn();
        Ok(policy.view(usage(tx, &arn)?, Some(tx.tags(&arn)?)))
    })?;
    Ok(GetPolicyOutput {
        policy: Some(policy),
    })
}

pub(super) fn delete(state: &ApiState, input: DeletePolicyInput) -> Result<(), Error> {
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let policy = resolve_local(tx, &input.policy_arn, account)?;
        let usage = usage(tx, &policy.arn)?;
        if usage.attachments > 0 || usage.boundaries > 0 {
            return Err(
                Rule::DeleteConflict("Cannot delete a policy attached to entities.".to_owned())
                    .into(),
            );
        }
        if tx.policy_versions(&policy.arn)?.len() > 1 {
            return Err(Rule::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".to_owned(),
            )
            .into());
        }
        tx.delete_managed_policy(&policy.arn)?;
        tx.clear_tags(&policy.arn)?;
        Ok(())
    })
}

/// `Scope`: which owners' policies ListPolicies shows, as (AWS's, the
/// account's). Validation refuses values outside the model's enum.
fn scope(scope: Option<&PolicyScopeType>) -> (bool, bool) {
    match scope {
        Some(PolicyScopeType::Aws) => (true, false),
        Some(PolicyScopeType::Local) => (false, true),
        None | Some(PolicyScopeType::All | PolicyScopeType::Unknown(_)) => (true, true),
    }
}

/// `PolicyUsageFilter` with `OnlyAttached`: which use counts as attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UsageFilter {
    Any,
    Permissions,
    Boundary,
}

pub(super) fn usage_filter(filter: Option<&PolicyUsageType>) -> UsageFilter {
    match filter {
        Some(PolicyUsageType::PermissionsPolicy) => UsageFilter::Permissions,
        Some(PolicyUsageType::PermissionsBoundary) => UsageFilter::Boundary,
        None | Some(PolicyUsageType::Unknown(_)) => UsageFilter::Any,
    }
}

pub(super) fn list(
    state: &ApiState,
    input: ListPoliciesInput,
) -> Result<ListPoliciesOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let (aws, local) = scope(input.scope.as_ref());
    let filter = usage_filter(input.policy_usage_filter.as_ref());
    let prefix = input.path_prefix.unwrap_or_else(|| "/".to_owned());
    let only_attached = input.only_attached.unwrap_or(false);

    let (policies, attachments, boundaries) = state.store.read(|tx| -> Result<_, Error> {
        let mut policies: Vec<Managed> = Vec::new();
        if aws {
            policies.extend(managed::all().iter().map(Managed::Aws));
        }
        if local {
            policies.extend(tx.managed_policies()?.into_iter().map(Managed::Local));
        }
        let mut boundaries: HashMap<String, u32> = HashMap::new();
        for role in tx.roles()? {
            if let Some(arn) = role.permissions_boundary {
                *boundaries.entry(arn).or_default() += 1;
            }
        }
        Ok((policies, tx.policy_attachment_counts()?, boundaries))
    })?;
    let mut listed: Vec<(String, Managed, Usage)> = policies
        .into_iter()
        .map(|p| {
            let arn = p.arn();
            let usage = Usage {
                attachments: attachments.get(&arn).copied().unwrap_or(0),
                boundaries: boundaries.get(&arn).copied().unwrap_or(0),
            };
            (arn, p, usage)
        })
        .collect();
    listed.retain(|(_, p, usage)| {
        let attached = match filter {
            UsageFilter::Any => usage.attachments > 0 || usage.boundaries > 0,
            UsageFilter::Permissions => usage.attachments > 0,
            UsageFilter::Boundary => usage.boundaries > 0,
        };
        p.path().starts_with(&prefix) && (!only_attached || attached)
    });
    let page = request.apply(listed, |(arn, _, _)| arn.as_str());
    Ok(ListPoliciesOutput {
        policies: Some(
            page.items
                .iter()
                .map(|(_, p, usage)| p.view(*usage, None))
                .collect(),
        ),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

pub(super) fn get_version(
    state: &ApiState,
    input: GetPolicyVersionInput,
) -> Result<GetPolicyVersionOutput, Error> {
    let number = rules::version_number(&input.version_id);
    let account = &state.scope.account;
    let view = state.store.read(|tx| -> Result<_, Error> {
        let policy = resolve(tx, &input.policy_arn, account)?;
        let version = versions(tx, &policy)?
            .into_iter()
            .find(|v| v.number == number)
            .ok_or_else(|| {
                Rule::NoSuchEntity(format!(
                    "Policy {} version {} does not exist or is not attachable.",
                    input.policy_arn, input.version_id
                ))
            })?;
        Ok(version_view(&version, policy.default_version(), true))
    })?;
    Ok(GetPolicyVersionOutput {
        policy_version: Some(view),
    })
}

pub(super) fn create_version(
    state: &ApiState,
    input: CreatePolicyVersionInput,
) -> Result<CreatePolicyVersionOutput, Error> {
    check_document(&input.policy_document)?;
    let account = &state.scope.account;
    let now = state.now().millis();
    let view = state.store.write(|tx| -> Result<_, Error> {
        let mut policy = resolve_local(tx, &input.policy_arn, account)?;
        if tx.policy_versions(&policy.arn)?.len() >= rules::MAX_POLICY_VERSIONS {
            return Err(Rule::LimitExceeded(format!(
                "A managed policy can have up to {} versions. Before you create a new version, you must delete an existing version.",
                rules::MAX_POLICY_VERSIONS
            ))
            .into());
        }
        let version = rules::PolicyVersion {
            number: policy.next_version,
            document: input.policy_document,
            created: now,
        };
        tx.insert_policy_version(&policy.arn, &version)?;
        policy.next_version += 1;
        policy.updated = now;
        if input.set_as_default.unwrap_or(false) {
            policy.default_version = version.number;
        }
        tx.save_managed_policy(&policy)?;
        Ok(version_view(&version, policy.default_version, false))
    })?;
    Ok(CreatePolicyVersionOutput {
        policy_version: Some(view),
    })
}

pub(super) fn list_versions(
    state: &ApiState,
    input: ListPolicyVersionsInput,
) -> Result<ListPolicyVersionsOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let account = &state.scope.account;
    let (versions, default) = state.store.read(|tx| -> Result<_, Error> {
        let policy = resolve(tx, &input.policy_arn, account)?;
        Ok((versions(tx, &policy)?, policy.default_version()))
    })?;
    // Newest first, as IAM lists them: the key counts down.
    let keyed: Vec<(String, rules::PolicyVersion)> = versions
        .into_iter()
        .map(|v| (format!("{:010}", u32::MAX - v.number), v))
        .collect();
    let page = request.apply(keyed, |(key, _)| key.as_str());
    Ok(ListPolicyVersionsOutput {
        versions: Some(
            page.items
                .iter()
                .map(|(_, v)| version_view(v, default, false))
                .collect(),
        ),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

pub(super) fn set_default_version(
    state: &ApiState,
    input: SetDefaultPolicyVersionInput,
) -> Result<(), Error> {
    let number = rules::version_number(&input.version_id);
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let mut policy = resolve_local(tx, &input.policy_arn, account)?;
        if tx.policy_version(&policy.arn, number)?.is_none() {
            return Err(Rule::NoSuchEntity(format!(
                "Policy {} version {} does not exist.",
                input.policy_arn, input.version_id
            ))
            .into());
        }
        policy.default_version = number;
        tx.save_managed_policy(&policy)?;
        Ok(())
    })
}

pub(super) fn delete_version(
    state: &ApiState,
    input: DeletePolicyVersionInput,
) -> Result<(), Error> {
    let number = rules::version_number(&input.version_id);
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let policy = resolve_local(tx, &input.policy_arn, account)?;
        if policy.default_version == number {
            return Err(Rule::DeleteConflict(
                "Cannot delete the default version of a policy.".to_owned(),
            )
            .into());
        }
        if !tx.delete_policy_version(&policy.arn, number)? {
            return Err(Rule::NoSuchEntity(format!(
                "Policy {} version {} does not exist or is not deletable.",
                input.policy_arn, input.version_id
            ))
            .into());
        }
        Ok(())
    })
}
