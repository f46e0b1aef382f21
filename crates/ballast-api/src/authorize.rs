//! May this principal call this operation on these resources?
//!
//! The root user may do everything. A role session (instance credentials)
//! is allowed what its role's identity policies allow: the action is
//! `PREFIX:Operation` (`ssm:GetParameter`, `ec2:RunInstances`), each
//! resource the request touches is evaluated (an operation on several
//! resources needs every one allowed), explicit Deny beats Allow beats the
//! implicit deny (`ballast_core::iam::policy`). A denied call is answered
//! with the service's own error: `AccessDeniedException` for the JSON
//! services, `UnauthorizedOperation` for EC2, `AccessDenied` for the query
//! services.
//!
//! The role is read at each request, so a policy change applies to the
//! next call; which role a session acts as is fixed when it is issued.

use ballast_core::iam::policy::{self, Context, Decision, DocumentKind, PolicyDocument};
use ballast_core::sts::Session;
use ballast_wire::{ApiError, ApiRequest, Protocol, Service};
use http::StatusCode;

use crate::auth::Principal;
use crate::{ApiState, RequestContext, dynamodb, ssm};

/// Operations any authenticated principal may call, as on AWS.
const ALWAYS_ALLOWED: &[(Service, &str)] = &[(Service::Sts, "GetCallerIdentity")];

/// Checks the request against the principal's permissions.
pub fn check(state: &ApiState, ctx: &RequestContext, request: &ApiRequest) -> Result<(), ApiError> {
    let Principal::AssumedRole(session) = &ctx.principal else {
        return Ok(());
    };
    if ALWAYS_ALLOWED.contains(&(request.service, request.operation.as_str())) {
        return Ok(());
    }
    let action = format!("{}:{}", action_prefix(request.service), request.operation);
    let policies = role_policies(state, session)?;
    let context = Context {
        requested_region: Some(&state.scope.region),
        principal_arn: Some(&session.role.arn),
        principal_account: Some(&state.scope.account),
    };
    for resource in resources(state, request) {
        let decision = policy::evaluate(
            &policies,
            &policy::Request {
                action: &action,
                resource: &resource,
                context,
            },
        );
        if decision != Decision::Allow {
            return Err(denied(request, ctx, &action, &resource, decision));
        }
    }
    Ok(())
}

/// The IAM service prefix of a service's actions.
fn action_prefix(service: Service) -> &'static str {
    match service {
        Service::Ssm => "ssm",
        Service::Sts => "sts",
        Service::Elbv2 => "elasticloadbalancing",
        Service::Ec2 => "ec2",
        Service::Iam => "iam",
        Service::AutoScaling => "autoscaling",
        Service::DynamoDb => "dynamodb",
    }
}

/// The resources a request acts on, as ARNs; `*` for operations whose
/// resources Ballast does not name yet (see docs/behaviour.md).
fn resources(state: &ApiState, request: &ApiRequest) -> Vec<String> {
    let named = match request.service {
        Service::Ssm => ssm::resources(state, request),
        Service::DynamoDb => dynamodb::resources(state, request),
        _ => Vec::new(),
    };
    if named.is_empty() {
        vec!["*".to_owned()]
    } else {
        named
    }
}

/// The parsed identity policies of the session's role, read now.
fn role_policies(state: &ApiState, session: &Session) -> Result<Vec<PolicyDocument>, ApiError> {
    let documents = state
        .store
        .read(|tx| tx.role_policy_documents(&session.role.name))
        .map_err(|error| {
            tracing::error!(%error, "reading role policies");
            ApiError::internal_for(Protocol::AwsQuery, "could not read the role's policies")
        })?;
    Ok(documents
        .iter()
        .filter_map(
            |text| match PolicyDocument::parse(text, DocumentKind::Identity) {
                Ok(document) => Some(document),
                Err(error) => {
                    // Documents are validated when stored; one that no longer
                    // parses grants nothing.
                    tracing::warn!(%error, role = session.role.name, "unparseable stored policy");
                    None
                }
            },
        )
        .collect())
}

fn denied(
    request: &ApiRequest,
    ctx: &RequestContext,
    action: &str,
    resource: &str,
    decision: Decision,
) -> ApiError {
    let because = if decision == Decision::ExplicitDeny {
        "with an explicit deny in an identity-based policy".to_owned()
    } else {
        format!("because no identity-based policy allows the {action} action")
    };
    let message = format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {because}",
        ctx.principal_arn
    );
    let (code, status) = match request.service.protocol() {
        Protocol::AwsJson10 | Protocol::AwsJson11 => {
            ("AccessDeniedException", StatusCode::BAD_REQUEST)
        }
        Protocol::Ec2Query => ("UnauthorizedOperation", StatusCode::FORBIDDEN),
        Protocol::AwsQuery => ("AccessDenied", StatusCode::FORBIDDEN),
    };
    ApiError::sender(code, message).with_status(status)
}
