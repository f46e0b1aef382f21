//! AddPermission, RemovePermission and GetPolicy: a function's resource
//! policy, which says who may invoke it (EventBridge rules among them).

use ballast_core::lambda::{self, Statement};
use ballast_model::lambda::{
    AddPermissionInput, AddPermissionOutput, GetPolicyInput, GetPolicyOutput, RemovePermissionInput,
};

use super::Error;
use super::functions::{existing, named, revision};
use crate::ApiState;

pub(super) fn add(
    state: &ApiState,
    input: AddPermissionInput,
) -> Result<AddPermissionOutput, Error> {
    let name = named(state, &input.function_name, input.qualifier.as_deref())?;
    let statement = Statement {
        sid: input.statement_id,
        action: input.action,
        principal: input.principal,
        source_arn: input.source_arn,
        source_account: input.source_account,
    };
    let document = state.store.write(|tx| -> Result<String, Error> {
        let mut function = existing(state, tx, &name)?;
        function.check_revision(input.revision_id.as_deref())?;
        function.add_permission(statement.clone())?;
        function.revision_id = revision(state);
        tx.save_function(&function)?;
        Ok(statement
            .document(&lambda::arn(&state.scope, &name))
            .to_string())
    })?;
    Ok(AddPermissionOutput {
        statement: Some(document),
    })
}

pub(super) fn remove(state: &ApiState, input: RemovePermissionInput) -> Result<(), Error> {
    let name = named(state, &input.function_name, input.qualifier.as_deref())?;
    state.store.write(|tx| -> Result<(), Error> {
        let mut function = existing(state, tx, &name)?;
        function.check_revision(input.revision_id.as_deref())?;
        function.remove_permission(&input.statement_id)?;
        function.revision_id = revision(state);
        tx.save_function(&function)?;
        Ok(())
    })
}

pub(super) fn get(state: &ApiState, input: GetPolicyInput) -> Result<GetPolicyOutput, Error> {
    let name = named(state, &input.function_name, input.qualifier.as_deref())?;
    let function = state.store.read(|tx| existing(state, tx, &name))?;
    Ok(GetPolicyOutput {
        policy: Some(function.policy_document(&state.scope)?),
        revision_id: Some(function.revision_id),
    })
}
