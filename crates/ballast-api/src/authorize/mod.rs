//! May this principal call this operation on these resources?
//!
//! The root user may do everything. An IAM user is allowed what its
//! identity policies allow; a role session (instance credentials, or an
//! AssumeRole session) what its role's allow, and, when AssumeRole gave it
//! session policies, only what those allow too. Each request is
//! decided as AWS's Service Authorization Reference describes it:
//!
//! - the action is `PREFIX:Operation` (`ssm:GetParameter`,
//!   `elasticloadbalancing:RegisterTargets`);
//! - each resource the operation acts on is decided by its ARN (an
//!   operation on several resources needs every one allowed); operations
//!   AWS authorizes on `*` (the `Describe*`/`List*` calls) are decided on
//!   `*`. A resource the request creates has an ARN whose id is not known
//!   yet: its id part is `*`, which only a wildcard in a policy matches;
//! - the condition context carries the resource's tags
//!   (`aws:ResourceTag/…`, `ec2:ResourceTag/…`, …) and the tags the request
//!   sets (`aws:RequestTag/…`);
//! - an operation that hands a role to a service (RunInstances with an
//!   instance profile, AddRoleToInstanceProfile, …) also needs
//!   `iam:PassRole` on that role.
//!
//! Explicit Deny beats Allow beats the implicit deny
//! (`ballast_core::iam::policy`). A denied call is answered with the
//! service's own error: `AccessDeniedException` for the JSON services,
//! `UnauthorizedOperation` for EC2, `AccessDenied` for the query services.
//!
//! Which resources each operation names lives in one module per service
//! (`ec2`, `elbv2`, …). The role is read at each request, so a policy
//! change applies to the next call; which role a session acts as is fixed
//! when it is issued.

mod autoscaling;
mod dynamodb;
mod ec2;
mod elbv2;
mod events;
mod iam;
mod lambda;
mod ssm;
mod sts;

use ballast_core::iam::policy::{self, Context, Decision, DocumentKind, PolicyDocument};
use ballast_store::{Holder, StoreError, Tx};
use ballast_wire::{ApiError, ApiRequest, Protocol, Service};
use http::StatusCode;
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::{ApiState, RequestContext};

/// Operations any authenticated principal may call, as on AWS (which
/// needs no permission for GetSessionToken: it authenticates, and
/// policies cannot control authentication).
const ALWAYS_ALLOWED: &[(Service, &str)] = &[
    (Service::Sts, "GetCallerIdentity"),
    (Service::Sts, "GetSessionToken"),
];

/// What one request asks to be allowed.
#[derive(Debug, Default)]
pub(crate) struct Access {
    /// The resources it acts on; none means the operation is authorized
    /// on `*`.
    resources: Vec<Resource>,
    /// The tags it sets (`aws:RequestTag/…`).
    request_tags: Vec<(String, String)>,
    /// The ARNs of roles it hands to a service (`iam:PassRole`).
    passed_roles: Vec<String>,
}

/// One resource a request acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    arn: String,
    /// Its tags now (none for a resource the request creates).
    tags: Vec<(String, String)>,
    /// The action decided on this resource when it is not the
    /// operation's own: DynamoDB's PartiQL calls are decided per
    /// statement as `dynamodb:PartiQLSelect`, `…Insert`, `…Update` or
    /// `…Delete`.
    action: Option<&'static str>,
}

impl Resource {
    /// A resource with no tags: one being created, or one whose kind
    /// Ballast keeps no tags for.
    fn untagged(arn: impl Into<String>) -> Self {
        Resource {
            arn: arn.into(),
            tags: Vec::new(),
            action: None,
        }
    }

    /// A resource with the tags the store holds under `key` (its ARN, or
    /// its id for EC2 resources).
    fn tagged(tx: &Tx<'_>, arn: impl Into<String>, key: &str) -> Result<Self, StoreError> {
        Ok(Resource {
            arn: arn.into(),
            tags: tx.tags(key)?,
            action: None,
        })
    }

    /// A resource with the tags a caller read itself.
    fn with_tags(arn: impl Into<String>, tags: Vec<(String, String)>) -> Self {
        Resource {
            arn: arn.into(),
            tags,
            action: None,
        }
    }

    /// The resource, decided as `action` rather than the operation.
    fn decided_as(self, action: &'static str) -> Self {
        Resource {
            action: Some(action),
            ..self
        }
    }
}

impl Access {
    fn on(resources: Vec<Resource>) -> Self {
        Access {
            resources,
            ..Access::default()
        }
    }

    fn with_request_tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.request_tags = tags;
        self
    }
}

/// Checks the request against the principal's permissions.
pub fn check(state: &ApiState, ctx: &RequestContext, request: &ApiRequest) -> Result<(), ApiError> {
    if ctx.via_session_token {
        check_session_token(request)?;
    }
    // Whose policies decide, the ARN `aws:PrincipalArn` names, and the
    // session policies that narrow them.
    let (holder, principal_arn, session_policies) = match &ctx.principal {
        Principal::Root => return Ok(()),
        Principal::AssumedRole(session) => (
            Holder::Role(&session.role.name),
            session.role.arn.as_str(),
            session.session_policies.as_slice(),
        ),
        Principal::User(user) => (Holder::User(&user.name), user.arn.as_str(), &[][..]),
    };
    if ALWAYS_ALLOWED.contains(&(request.service, request.operation.as_str())) {
        return Ok(());
    }
    let internal = |error: StoreError| {
        tracing::error!(%error, "reading what a request is authorized on");
        ApiError::internal_for_service(request.service, "could not authorize the request")
    };
    // The principal's policies and what the request names, in one read.
    let read = state.store.read(|tx| -> Result<_, Unnamed> {
        Ok((
            principal_policies(tx, holder)?,
            access(state, tx, request, &ctx.principal_arn)?,
        ))
    });
    let (policies, access) = match read {
        Ok(read) => read,
        Err(Unnamed::Params(error)) => return Err(error),
        Err(Unnamed::Store(error)) => return Err(internal(error)),
    };
    let has_session_policies = !session_policies.is_empty();
    let session_policies = parse_identity_policies(session_policies, principal_arn);
    let action = action(request.service, &request.operation);
    let base = Context {
        requested_region: Some(&state.scope.region),
        principal_arn: Some(principal_arn),
        principal_account: Some(&state.scope.account),
        resource_tags: &[],
        request_tags: &access.request_tags,
        ..Context::default()
    };
    let wildcard = [Resource::untagged("*")];
    let resources = if access.resources.is_empty() {
        &wildcard[..]
    } else {
        &access.resources[..]
    };
    let decide = |action: &str, resource: &Resource| -> Result<(), ApiError> {
        let context = Context {
            resource_tags: &resource.tags,
            ..base
        };
        let request_to_decide = policy::Request {
            action,
            resource: &resource.arn,
            context,
        };
        let deny =
            |kind, decision| Err(denied(request, ctx, action, &resource.arn, kind, decision));
        match policy::evaluate(&policies, &request_to_decide) {
            Decision::Allow => {}
            decision => return deny(PolicyKind::Identity, decision),
        }
        if !has_session_policies {
            return Ok(());
        }
        match policy::evaluate(&session_policies, &request_to_decide) {
            Decision::Allow => Ok(()),
            decision => deny(PolicyKind::Session, decision),
        }
    };
    for resource in resources {
        decide(resource.action.unwrap_or(&action), resource)?;
    }
    for role in &access.passed_roles {
        decide("iam:PassRole", &Resource::untagged(role.as_str()))?;
    }
    Ok(())
}

/// GetSessionToken's credentials (without MFA) may not call IAM, nor STS
/// but AssumeRole and GetCallerIdentity, whoever they act as; AWS answers
/// the one with an invalid token and the other with `AccessDenied`.
fn check_session_token(request: &ApiRequest) -> Result<(), ApiError> {
    let prefix = action_prefix(request.service);
    if ballast_core::sts::session_token::may_call(prefix, &request.operation) {
        return Ok(());
    }
    Err(match request.service {
        Service::Iam => ApiError::sender(
            "InvalidClientTokenId",
            "The security token included in the request is invalid",
        ),
        _ => ApiError::sender(
            "AccessDenied",
            format!("Cannot call {} with session credentials", request.operation),
        ),
    }
    .with_status(StatusCode::FORBIDDEN))
}

/// Why the resources of a request could not be named.
#[derive(Debug, thiserror::Error)]
enum Unnamed {
    /// Its parameters do not decode: answered with the decoding error, as
    /// the handler would answer, rather than decided on `*` (where a
    /// resource-scoped Deny could not apply).
    #[error(transparent)]
    Params(ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the request acts on, by service.
fn access(
    state: &ApiState,
    tx: &Tx<'_>,
    request: &ApiRequest,
    caller: &str,
) -> Result<Access, Unnamed> {
    let names = Names {
        state,
        tx,
        request,
        caller,
    };
    if describes_only(request) {
        return Ok(Access::default());
    }
    match request.service {
        Service::Ssm => ssm::access(&names),
        Service::DynamoDb => dynamodb::access(&names),
        Service::Events => events::access(&names),
        Service::Lambda => lambda::access(&names),
        Service::Elbv2 => elbv2::access(&names),
        Service::Ec2 => ec2::access(&names),
        Service::AutoScaling => autoscaling::access(&names),
        Service::Iam => iam::access(&names),
        Service::Sts => sts::access(&names),
        Service::Ec2Messages => Ok(Access::default()),
    }
}

/// EC2's, ELBv2's and Auto Scaling's `Describe*` calls: authorized on no
/// resource, as the Service Authorization Reference lists them.
fn describes_only(request: &ApiRequest) -> bool {
    matches!(
        request.service,
        Service::Ec2 | Service::Elbv2 | Service::AutoScaling
    ) && request.operation.starts_with("Describe")
}

/// What a service's naming rules can read: the request's parameters, the
/// store (for ids, paths and tags) and the server's region and account.
struct Names<'a> {
    state: &'a ApiState,
    tx: &'a Tx<'a>,
    request: &'a ApiRequest,
    /// The caller's ARN, for the calls that act on the caller itself
    /// (an IAM user's own access keys).
    caller: &'a str,
}

impl Names<'_> {
    /// The parameters authorization reads: every member optional, unknown
    /// ones ignored, so any request its handler accepts decodes here too. One
    /// that does not decode is refused with the decoding error; it is never
    /// decided on `*` instead of the resources it names.
    fn params<T: DeserializeOwned>(&self) -> Result<T, Unnamed> {
        self.request.decode().map_err(Unnamed::Params)
    }

    fn operation(&self) -> &str {
        &self.request.operation
    }

    fn region(&self) -> &str {
        &self.state.scope.region
    }

    fn account(&self) -> &str {
        &self.state.scope.account
    }
}

/// The `Tags` a JSON request sets (`[{"Key": …, "Value": …}]`), as pairs.
fn json_request_tags(body: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    body.get("Tags")
        .and_then(|tags| serde_json::from_value::<Vec<ballast_core::tags::Tag>>(tags.clone()).ok())
        .map(|tags| pairs(&tags))
        .unwrap_or_default()
}

/// Tags as `(key, value)` pairs.
fn pairs(tags: &[ballast_core::tags::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// The IAM action a request is decided as: the operation's name under the
/// service's prefix, except where IAM names it otherwise (Lambda's Invoke
/// is `lambda:InvokeFunction`).
fn action(service: Service, operation: &str) -> String {
    let name = match (service, operation) {
        (Service::Lambda, "Invoke") => "InvokeFunction",
        _ => operation,
    };
    format!("{}:{name}", action_prefix(service))
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
        Service::Events => "events",
        Service::Lambda => "lambda",
        Service::Ec2Messages => "ec2messages",
    }
}

/// The parsed identity policies of the role or user, read now.
fn principal_policies(tx: &Tx<'_>, holder: Holder<'_>) -> Result<Vec<PolicyDocument>, StoreError> {
    let documents = tx.policy_documents(holder)?;
    Ok(parse_identity_policies(&documents, holder))
}

/// Parses identity policies (a role's or user's, or a session's session
/// policies). Documents are validated when stored; one that no longer
/// parses grants nothing.
fn parse_identity_policies(
    documents: &[String],
    owner: impl std::fmt::Debug + Copy,
) -> Vec<PolicyDocument> {
    documents
        .iter()
        .filter_map(
            |text| match PolicyDocument::parse(text, DocumentKind::Identity) {
                Ok(document) => Some(document),
                Err(error) => {
                    tracing::warn!(%error, ?owner, "unparseable stored policy");
                    None
                }
            },
        )
        .collect()
}

/// Which kind of policy refused a request, for the message.
#[derive(Debug, Clone, Copy)]
enum PolicyKind {
    /// The role's own policies.
    Identity,
    /// The session policies an AssumeRole call passed.
    Session,
}

fn denied(
    request: &ApiRequest,
    ctx: &RequestContext,
    action: &str,
    resource: &str,
    kind: PolicyKind,
    decision: Decision,
) -> ApiError {
    let (article, kind) = match kind {
        PolicyKind::Identity => ("an", "identity-based policy"),
        PolicyKind::Session => ("a", "session policy"),
    };
    let because = if decision == Decision::ExplicitDeny {
        format!("with an explicit deny in {article} {kind}")
    } else {
        format!("because no {kind} allows the {action} action")
    };
    let message = format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} {because}",
        ctx.principal_arn
    );
    let (code, status) = match request.service.protocol() {
        Protocol::AwsJson10 | Protocol::AwsJson11 => {
            ("AccessDeniedException", StatusCode::BAD_REQUEST)
        }
        Protocol::RestJson1 => ("AccessDeniedException", StatusCode::FORBIDDEN),
        Protocol::Ec2Query => ("UnauthorizedOperation", StatusCode::FORBIDDEN),
        Protocol::AwsQuery => ("AccessDenied", StatusCode::FORBIDDEN),
    };
    ApiError::sender(code, message).with_status(status)
}
