//! A role's permissions: managed policies attached to it and its inline
//! policies.

use ballast_core::iam::policy::{DocumentKind, PolicyDocument};
use ballast_core::iam::{self as rules, Error as Rule};

use ballast_model::iam::*;

use super::policies::{Managed, resolve};
use super::{Error, load_role, paging};
use crate::ApiState;

pub(super) fn attach(state: &ApiState, input: AttachRolePolicyInput) -> Result<(), Error> {
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        let policy = resolve(tx, &input.policy_arn, account)?;
        let arn = policy.arn();
        let attached = tx.attached_policy_arns(&role.name)?;
        if attached.contains(&arn) {
            // Attaching again changes nothing and succeeds, as on AWS.
            return Ok(());
        }
        if attached.len() >= rules::MAX_ATTACHED_POLICIES_PER_ROLE {
            return Err(Rule::LimitExceeded(format!(
                "Cannot exceed quota for PoliciesPerRole: {}",
                rules::MAX_ATTACHED_POLICIES_PER_ROLE
            ))
            .into());
        }
        tx.attach_role_policy(&role.name, &arn)?;
        Ok(())
    })
}

pub(super) fn detach(state: &ApiState, input: DetachRolePolicyInput) -> Result<(), Error> {
    let account = &state.scope.account;
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        rules::parse_policy_arn(&input.policy_arn, account)?;
        if !tx.detach_role_policy(&role.name, &input.policy_arn)? {
            return Err(
                Rule::NoSuchEntity(format!("Policy {} was not found.", input.policy_arn)).into(),
            );
        }
        Ok(())
    })
}

pub(super) fn list_attached(
    state: &ApiState,
    input: ListAttachedRolePoliciesInput,
) -> Result<ListAttachedRolePoliciesOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".to_owned());
    let account = &state.scope.account;
    let policies: Vec<Managed> = state.store.read(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        let mut policies = Vec::new();
        for arn in tx.attached_policy_arns(&role.name)? {
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
    let page = request.apply(attached, |p| p.policy_arn.as_deref().unwrap_or_default());
    Ok(ListAttachedRolePoliciesOutput {
        attached_policies: Some(page.items),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

pub(super) fn put_inline(state: &ApiState, input: PutRolePolicyInput) -> Result<(), Error> {
    PolicyDocument::parse(&input.policy_document, DocumentKind::Identity).map_err(Rule::from)?;
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        // The quota covers all of a role's inline policies together.
        let others: usize = tx
            .role_inline_policies(&role.name)?
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case(&input.policy_name))
            .map(|(_, document)| rules::policy_size(document))
            .sum();
        if others + rules::policy_size(&input.policy_document) > rules::MAX_ROLE_INLINE_POLICY_CHARS
        {
            return Err(Rule::LimitExceeded(format!(
                "Maximum policy size of {} bytes exceeded for role {}",
                rules::MAX_ROLE_INLINE_POLICY_CHARS,
                role.name
            ))
            .into());
        }
        tx.put_role_inline_policy(&role.name, &input.policy_name, &input.policy_document)?;
        Ok(())
    })
}

fn no_such_inline(name: &str) -> Rule {
    Rule::NoSuchEntity(format!("The role policy with name {name} cannot be found."))
}

pub(super) fn get_inline(
    state: &ApiState,
    input: GetRolePolicyInput,
) -> Result<GetRolePolicyOutput, Error> {
    state.store.read(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        let (name, document) = tx
            .role_inline_policy(&role.name, &input.policy_name)?
            .ok_or_else(|| no_such_inline(&input.policy_name))?;
        Ok(GetRolePolicyOutput {
            role_name: role.name,
            policy_name: name,
            policy_document: rules::url_encode(&document),
        })
    })
}

pub(super) fn delete_inline(state: &ApiState, input: DeleteRolePolicyInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        if !tx.delete_role_inline_policy(&role.name, &input.policy_name)? {
            return Err(no_such_inline(&input.policy_name).into());
        }
        Ok(())
    })
}

pub(super) fn list_inline(
    state: &ApiState,
    input: ListRolePoliciesInput,
) -> Result<ListRolePoliciesOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let names: Vec<String> = state.store.read(|tx| -> Result<_, Error> {
        let role = load_role(tx, &input.role_name)?;
        Ok(tx
            .role_inline_policies(&role.name)?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    })?;
    let page = request.apply(names, String::as_str);
    Ok(ListRolePoliciesOutput {
        policy_names: page.items,
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}
