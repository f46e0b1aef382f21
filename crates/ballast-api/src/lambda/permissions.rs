//! AddPermission, RemovePermission and GetPolicy: the resource policy of a
//! function, or of one of its versions or aliases (by `Qualifier`), which
//! says who may invoke it (EventBridge rules among them).

use ballast_core::lambda::{Error as Rule, LATEST, Qualifier, ResourcePolicy, Statement};
use ballast_model::lambda::{
    AddPermissionInput, AddPermissionOutput, GetPolicyInput, GetPolicyOutput, RemovePermissionInput,
};
use ballast_store::Tx;

use super::Error;
use super::functions::{Target, existing, revision, target};
use crate::ApiState;

pub(super) fn add(
    state: &ApiState,
    input: AddPermissionInput,
) -> Result<AddPermissionOutput, Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    if target.qualifier.as_deref() == Some(LATEST) {
        return Err(Rule::InvalidParameter(
            "We currently do not support adding policies for $LATEST.".to_owned(),
        )
        .into());
    }
    let statement = Statement {
        sid: input.statement_id,
        action: input.action,
        principal: input.principal,
        source_arn: input.source_arn,
        source_account: input.source_account,
    };
    let document = statement.document(&target.arn(state)).to_string();
    state.store.write(|tx| {
        change(state, tx, &target, input.revision_id.as_deref(), |policy| {
            policy.add(statement)
        })
    })?;
    Ok(AddPermissionOutput {
        statement: Some(document),
    })
}

pub(super) fn remove(state: &ApiState, input: RemovePermissionInput) -> Result<(), Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    state.store.write(|tx| {
        change(state, tx, &target, input.revision_id.as_deref(), |policy| {
            policy.remove(&input.statement_id)
        })
    })
}

pub(super) fn get(state: &ApiState, input: GetPolicyInput) -> Result<GetPolicyOutput, Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    let holder = state.store.read(|tx| holder(state, tx, &target))?;
    let (policy, revision_id) = match holder {
        Holder::Version(version) => (version.policy, version.revision_id),
        Holder::Alias(alias) => (alias.policy, alias.revision_id),
    };
    Ok(GetPolicyOutput {
        policy: Some(policy.document(&target.arn(state))?),
        revision_id: Some(revision_id),
    })
}

/// What holds the policy a request names: `$LATEST` or a version, or an
/// alias.
enum Holder {
    Version(ballast_core::lambda::Function),
    Alias(ballast_core::lambda::Alias),
}

fn holder(state: &ApiState, tx: &Tx<'_>, target: &Target) -> Result<Holder, Error> {
    existing(state, tx, &target.name)?;
    let found = match target.qualifier() {
        Qualifier::Alias(alias) => tx.alias(&target.name, alias)?.map(Holder::Alias),
        qualifier => tx
            .function_at(&target.name, qualifier)?
            .map(Holder::Version),
    };
    found.ok_or_else(|| target.not_found(state).into())
}

/// Changes the policy of what `target` names, checking the holder's
/// `RevisionId` and giving it a new one, as Lambda does.
fn change(
    state: &ApiState,
    tx: &Tx<'_>,
    target: &Target,
    expected_revision: Option<&str>,
    edit: impl FnOnce(&mut ResourcePolicy) -> Result<(), Rule>,
) -> Result<(), Error> {
    match holder(state, tx, target)? {
        Holder::Version(mut version) => {
            version.check_revision(expected_revision)?;
            edit(&mut version.policy)?;
            version.revision_id = revision(state);
            if version.is_latest() {
                tx.save_function(&version)?;
            } else {
                tx.update_function_version(&version)?;
            }
        }
        Holder::Alias(mut alias) => {
            alias.check_revision(expected_revision)?;
            edit(&mut alias.policy)?;
            alias.revision_id = revision(state);
            tx.save_alias(&alias)?;
        }
    }
    Ok(())
}
