//! AWS Security Token Service (awsQuery): who am I.

use ballast_wire::{ApiError, ApiRequest, WireResponse};
use serde::{Deserialize, Serialize};

use crate::dispatch::{call, operations};
use crate::{ApiState, RequestContext};

operations! {
    /// The STS operations Ballast implements.
    pub enum Operation {
        GetCallerIdentity,
    }
}

/// Routes an STS request.
pub fn handle(
    state: &ApiState,
    ctx: &RequestContext,
    request: &ApiRequest,
) -> Result<WireResponse, ApiError> {
    match Operation::of(request)? {
        Operation::GetCallerIdentity => call(ctx, request, |_: GetCallerIdentityInput| {
            Ok::<_, ApiError>(get_caller_identity(state, ctx))
        }),
    }
}

#[derive(Debug, Deserialize)]
pub struct GetCallerIdentityInput {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCallerIdentityOutput {
    pub user_id: String,
    pub account: String,
    pub arn: String,
}

fn get_caller_identity(state: &ApiState, ctx: &RequestContext) -> GetCallerIdentityOutput {
    GetCallerIdentityOutput {
        user_id: ctx.user_id.clone(),
        account: state.scope.account.clone(),
        arn: ctx.principal_arn.clone(),
    }
}
