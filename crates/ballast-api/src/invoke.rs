//! Automation's way into the API: [`Invoker`] runs any operation Ballast
//! implements as an execution's identity, with JSON in and out.
//!
//! The call takes the same path as a client's request after the
//! signature: `authorize::check` as the identity (the runbook's
//! `assumeRole` or whoever started it), then the service's handler, so a
//! runbook can do exactly what its role may. The input is decoded from
//! JSON in the model's member names and the output is written as JSON in
//! the same names (`RequestContext::json_output`), which is what
//! `aws:executeAwsApi` selectors are written against. For the query
//! services (ELBv2, Auto Scaling, IAM) and the JSON ones (SSM, DynamoDB)
//! the generated shapes' serde names are the model's names; EC2's are its
//! query and XML names (`InstanceId`, `instancesSet`), so its input and
//! output are renamed through the generated `ec2::MEMBER_NAMES`
//! (`ballast_model::member_names`).

use ballast_core::clock::epoch_millis;
use ballast_core::ssm::automation::{ApiCallError, ApiInvoker, Identity};
use ballast_core::sts::Session;
use ballast_wire::{ApiRequest, Params, Service};
use bytes::Bytes;
use serde_json::Value;

use crate::auth::Principal;
use crate::{ApiState, RequestContext};

/// Runs operations for the Automation engine.
#[derive(Debug, Clone)]
pub struct Invoker {
    state: ApiState,
}

impl Invoker {
    pub fn new(state: ApiState) -> Self {
        Invoker { state }
    }
}

/// The service an `aws:executeAwsApi` step names, by the names boto3 and
/// the AWS CLI use for it.
fn service_named(name: &str) -> Option<Service> {
    Some(match name.to_ascii_lowercase().as_str() {
        "elbv2" | "elasticloadbalancingv2" | "elasticloadbalancing" => Service::Elbv2,
        "ec2" => Service::Ec2,
        "ssm" => Service::Ssm,
        "autoscaling" => Service::AutoScaling,
        "iam" => Service::Iam,
        "sts" => Service::Sts,
        "dynamodb" => Service::DynamoDb,
        "events" | "eventbridge" => Service::Events,
        "lambda" => Service::Lambda,
        _ => return None,
    })
}

/// `describe_target_health` (boto3's spelling, which AWS accepts too) as
/// `DescribeTargetHealth`.
fn operation_name(api: &str) -> String {
    if !api.contains('_') {
        return api.to_owned();
    }
    api.split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

impl ApiInvoker for Invoker {
    fn call(
        &self,
        identity: &Identity,
        service: &str,
        api: &str,
        input: Value,
    ) -> Result<Value, ApiCallError> {
        let state = &self.state;
        let operation = operation_name(api);
        let service = service_named(service).ok_or_else(|| ApiCallError::Unsupported {
            service: service.to_owned(),
            api: api.to_owned(),
        })?;
        let principal = match identity {
            Identity::Root => Principal::Root,
            Identity::User(user) => Principal::User(user.clone()),
            Identity::Role { role, session_name } => {
                // A session for this call only: authorization reads its
                // role, and nothing looks it up by key.
                let now = epoch_millis(state.clock.now());
                Principal::AssumedRole(Box::new(Session::issue(
                    &state.ids,
                    role.clone(),
                    session_name,
                    now,
                    std::time::Duration::from_secs(3600),
                )))
            }
        };
        let ctx = RequestContext {
            endpoint: None,
            request_id: state.ids.request_id(),
            principal_arn: principal.arn(&state.scope),
            user_id: principal.user_id(&state.scope),
            principal,
            via_session_token: false,
            json_output: true,
        };
        let input = match service {
            Service::Ec2 => ballast_model::member_names::from_members(
                ballast_model::ec2::MEMBER_NAMES,
                &format!("{operation}Input"),
                input,
            ),
            _ => input,
        };
        let body = serde_json::to_vec(&input).unwrap_or_else(|_| b"{}".to_vec());
        let request = ApiRequest {
            service,
            operation: operation.clone(),
            params: Params::Json(Bytes::from(body)),
        };
        let service_error = |code: String, message: String| ApiCallError::Service {
            api: operation.clone(),
            code,
            message,
        };
        let response = crate::authorize::check(state, &ctx, &request)
            .and_then(|()| crate::server::dispatch(state, &ctx, &request))
            .map_err(|e| service_error(e.code.to_string(), e.message))?;
        serde_json::from_slice(&response.body)
            .map_err(|e| service_error("InternalError".to_owned(), e.to_string()))
    }
}
