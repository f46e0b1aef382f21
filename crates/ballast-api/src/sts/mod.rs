//! AWS Security Token Service (awsQuery): who am I.

use ballast_model::sts::{GetCallerIdentityInput, GetCallerIdentityOutput};
use ballast_wire::{ApiError, ApiRequest, WireResponse};

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

fn get_caller_identity(state: &ApiState, ctx: &RequestContext) -> GetCallerIdentityOutput {
    GetCallerIdentityOutput {
        user_id: Some(ctx.user_id.clone()),
        account: Some(state.scope.account.clone()),
        arn: Some(ctx.principal_arn.clone()),
    }
}
