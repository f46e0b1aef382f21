//! AWS Security Token Service (awsQuery): who am I, sessions of roles,
//! and GetSessionToken's sessions of users ([`session_token`]).
//!
//! AssumeRole issues the same kind of session an instance gets from its
//! metadata service (`ballast_core::sts`), for a role whose trust policy
//! names the caller. Ballast's own credentials (`test`/`test`) stand for
//! the account's principal: AWS refuses AssumeRole to the root user, but
//! locally those credentials are the developer's own, as an IAM user's
//! or an SSO role's are on AWS (see docs/behaviour.md).

mod session_token;

use ballast_core::iam::policy::Context;
use ballast_core::sts::assume_role::{self, Caller, Error as Rule, Packed};
use ballast_core::sts::{Origin, Session};
use ballast_model::sts::{
    AssumeRoleInput, AssumeRoleOutput, AssumedRoleUser, Credentials, GetCallerIdentityInput,
    GetCallerIdentityOutput, errors,
};
use ballast_wire::{ApiError, Timestamp};

use crate::auth::Principal;
use crate::dispatch::{call, routes};
use crate::error::{ErrorCode, HandlerError};
use crate::{ApiState, RequestContext};

routes! {
    /// The STS operations Ballast implements.
    pub enum Operation;

    /// Routes an STS request.
    fn handle(state, ctx, request) {
        GetCallerIdentity => call(ctx, request, |_: GetCallerIdentityInput| {
            Ok::<_, ApiError>(get_caller_identity(state, ctx))
        }),
        AssumeRole => call(ctx, request, |i| assume(state, ctx, i)),
        GetSessionToken => call(ctx, request, |i| session_token::get(state, ctx, i)),
    }
}

/// A failure inside an STS handler.
type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    const SERVICE: ballast_wire::Service = ballast_wire::Service::Sts;

    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        match self {
            Rule::Validation(_) | Rule::AccessDenied(_) => None,
            Rule::MalformedPolicyDocument(_) => Some(errors::MALFORMED_POLICY_DOCUMENT_EXCEPTION),
            Rule::PackedPolicyTooLarge(_) => Some(errors::PACKED_POLICY_TOO_LARGE_EXCEPTION),
        }
    }

    /// `AccessDenied` is no shape in STS's model: it is the code every
    /// query service answers a refused call with.
    fn code(&self) -> &'static str {
        match (self, self.shape()) {
            (Rule::AccessDenied(_), _) => "AccessDenied",
            (_, Some(shape)) => shape.code,
            (_, None) => Self::SERVICE.validation_error_code(),
        }
    }

    fn status(&self) -> http::StatusCode {
        match (self, self.shape()) {
            (Rule::AccessDenied(_), _) => http::StatusCode::FORBIDDEN,
            (_, Some(shape)) => {
                http::StatusCode::from_u16(shape.status).unwrap_or(http::StatusCode::BAD_REQUEST)
            }
            (_, None) => http::StatusCode::BAD_REQUEST,
        }
    }
}

fn get_caller_identity(state: &ApiState, ctx: &RequestContext) -> GetCallerIdentityOutput {
    GetCallerIdentityOutput {
        user_id: Some(ctx.user_id.clone()),
        account: Some(state.scope.account.clone()),
        arn: Some(ctx.principal_arn.clone()),
    }
}

/// AssumeRole: a session of the role, when its trust policy names the
/// caller (and the caller's own policies allow `sts:AssumeRole` on it,
/// which `crate::authorize` has checked).
fn assume(
    state: &ApiState,
    ctx: &RequestContext,
    input: AssumeRoleInput,
) -> Result<AssumeRoleOutput, Error> {
    let root_arn = state.scope.root_arn();
    let caller = match &ctx.principal {
        Principal::Root => Caller::Principal { arn: &root_arn },
        Principal::User(user) => Caller::Principal { arn: &user.arn },
        Principal::AssumedRole(session) => Caller::RoleSession {
            role_arn: &session.role.arn,
            session_arn: &ctx.principal_arn,
        },
    };
    let denied = || {
        Rule::AccessDenied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
            ctx.principal_arn, input.role_arn
        ))
    };
    let target = assume_role::parse_role_arn(&input.role_arn)?;
    let tags: Vec<(String, String)> = input
        .tags
        .iter()
        .flatten()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let policy_arns: Vec<String> = input
        .policy_arns
        .iter()
        .flatten()
        .filter_map(|p| p.arn.clone())
        .collect();
    let packed_policy_size = Packed {
        policy: input.policy.as_deref(),
        policy_arns: &policy_arns,
        tags: &tags,
    }
    .size()?;
    let mut session_policies = Vec::new();
    if let Some(policy) = &input.policy {
        assume_role::session_policy(policy)?;
        session_policies.push(policy.clone());
    }
    let context = Context {
        requested_region: Some(&state.scope.region),
        principal_arn: Some(caller_principal_arn(&ctx.principal, &root_arn)),
        principal_account: Some(&state.scope.account),
        external_id: input.external_id.as_deref(),
        role_session_name: Some(&input.role_session_name),
        ..Context::default()
    };
    let now = state.now().millis();
    let session = state.store.write(|tx| -> Result<Session, Error> {
        let role = target
            .filter(|t| t.account == state.scope.account)
            .map(|t| tx.role(&t.name))
            .transpose()?
            .flatten()
            .filter(|role| role.arn == input.role_arn)
            .ok_or_else(denied)?;
        if !assume_role::trusts(&role.assume_role_policy_document, caller, &context) {
            return Err(denied().into());
        }
        let lifetime = assume_role::duration(
            input.duration_seconds,
            role.max_session_duration,
            caller.is_role_session(),
        )?;
        for arn in &policy_arns {
            let document = tx.managed_policy_document(arn)?.ok_or_else(|| {
                Rule::Validation(format!("Policy {arn} does not exist or is not attachable."))
            })?;
            session_policies.push(document);
        }
        let mut session = Session::issue(
            &state.ids,
            role.reference(),
            &input.role_session_name,
            now,
            lifetime,
        );
        session.origin = Origin::AssumeRole;
        session.session_policies = session_policies;
        tx.insert_session(&session)?;
        Ok(session)
    })?;
    Ok(AssumeRoleOutput {
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: session.user_id(),
            arn: session.assumed_role_arn(&state.scope.account),
        }),
        credentials: Some(Credentials {
            access_key_id: session.access_key_id,
            secret_access_key: session.secret_access_key,
            session_token: session.session_token,
            expiration: Timestamp::from_millis(session.expires_millis),
        }),
        packed_policy_size,
        source_identity: input.source_identity,
    })
}

/// `aws:PrincipalArn` of the caller: the root's or user's ARN, or a
/// session's role ARN (not its assumed-role ARN), as AWS defines the key.
fn caller_principal_arn<'a>(principal: &'a Principal, root_arn: &'a str) -> &'a str {
    match principal {
        Principal::Root => root_arn,
        Principal::User(user) => &user.arn,
        Principal::AssumedRole(session) => &session.role.arn,
    }
}
