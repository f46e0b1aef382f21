//! AWS Security Token Service (awsQuery): who am I.

use ballast_model::sts::{GetCallerIdentityInput, GetCallerIdentityOutput};
use ballast_wire::ApiError;

use crate::dispatch::{call, routes};
use crate::{ApiState, RequestContext};

routes! {
    /// The STS operations Ballast implements.
    pub enum Operation;

    /// Routes an STS request.
    fn handle(state, ctx, request) {
        GetCallerIdentity => call(ctx, request, |_: GetCallerIdentityInput| {
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
