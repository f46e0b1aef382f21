//! The single HTTP endpoint all services share.
//!
//! Every request takes the same path: bound the body → identify service and
//! operation → verify the signature → run the operation (a read right here,
//! anything else on a blocking thread, as a write waits for its commit to
//! reach the disk) → write the response with the request
//! id in the body and in `x-amzn-RequestId`. A panic in a handler becomes a
//! 500 in the protocol's envelope; the server keeps serving.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;

use ballast_store::Durability;
use ballast_wire::request::Rejection;
use ballast_wire::sigv4::{self, SignedRequest};
use ballast_wire::{
    ApiError, ApiRequest, MAX_BODY_BYTES, Protocol, RequestHead, Service, WireResponse,
    encode_error, identify,
};

use crate::state::Endpoint;
use crate::{
    ApiState, RequestContext, authorize, autoscaling, dynamodb, ec2, elbv2, iam, ssm, sts,
};

/// The API router: every path and method goes to [`handle`].
pub fn router(state: ApiState) -> Router {
    // Behind one `Arc`, so that handing the state to a request (axum clones
    // it for each) is one count, not a copy of every field.
    Router::new()
        .route(
            crate::lambda::code_link::ROUTE,
            axum::routing::get(crate::lambda::code_link::download),
        )
        .fallback(handle)
        .with_state(Arc::new(state))
}

/// How the client addressed Ballast: `Host` (or HTTP/2's authority), and
/// https when the request came over TLS.
fn endpoint(parts: &http::request::Parts) -> Option<Endpoint> {
    let authority = match parts.headers.get(header::HOST) {
        Some(host) => host.clone(),
        None => HeaderValue::from_str(parts.uri.authority()?.as_str()).ok()?,
    };
    Some(Endpoint {
        authority,
        https: parts
            .extensions
            .get::<crate::lambda::code_link::Https>()
            .is_some(),
    })
}

async fn handle(State(state): State<Arc<ApiState>>, request: Request) -> Response {
    let request_id = state.ids.request_id();
    let (parts, body) = request.into_parts();
    let guessed = guess_protocol(&parts.headers);

    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err(error) => {
            return respond(
                &request_id,
                encode_error(None, guessed, &request_id, &error),
            );
        }
    };

    let head = RequestHead {
        method: &parts.method,
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let identified = identify_any(head, parts.uri.path(), body.clone());
    let (service, protocol) = match &identified {
        Ok(req) => (Some(req.service), req.service.protocol()),
        Err(rejection) => (rejection.service, rejection.protocol),
    };

    let signed = SignedRequest {
        method: parts.method.as_str(),
        path_and_query: parts.uri.path_and_query().map_or("/", |p| p.as_str()),
        headers: &parts.headers,
        body: &body,
    };
    let mut caller = None;
    let verified = sigv4::verify(
        signed,
        |akid| {
            state.credentials.lookup(&state.store, akid).map(|found| {
                caller = Some(found.caller);
                found.secret
            })
        },
        state.clock.now(),
    );
    let caller = match (verified, caller) {
        (Ok(_), Some(caller)) if caller.expired(state.now().millis()) => {
            let error = sigv4::AuthError::ExpiredToken.to_api_error(protocol);
            return respond(
                &request_id,
                encode_error(service, protocol, &request_id, &error),
            );
        }
        (Ok(_), Some(caller)) => caller,
        (Err(error), _) => {
            let error = error.to_api_error(protocol);
            return respond(
                &request_id,
                encode_error(service, protocol, &request_id, &error),
            );
        }
        (Ok(_), None) => {
            let error = ApiError::internal_for(protocol, "verified without a principal");
            return respond(
                &request_id,
                encode_error(service, protocol, &request_id, &error),
            );
        }
    };

    let api_request = match identified {
        Ok(req) => req,
        Err(Rejection {
            service,
            protocol,
            error,
        }) => {
            return respond(
                &request_id,
                encode_error(service, protocol, &request_id, &error),
            );
        }
    };

    let ctx = RequestContext {
        endpoint: endpoint(&parts),
        request_id: request_id.clone(),
        principal_arn: caller.principal.arn(&state.scope),
        user_id: caller.principal.user_id(&state.scope),
        via_session_token: caller.token_expires_millis.is_some(),
        principal: caller.principal,
        json_output: false,
    };
    tracing::debug!(
        request_id,
        service = %api_request.service,
        operation = api_request.operation,
        "request"
    );
    let service = api_request.service;
    if service == Service::Ec2Messages && api_request.operation == "GetMessages" {
        let wire = crate::ec2messages::get_messages(state, ctx, api_request)
            .await
            .unwrap_or_else(|error| encode_error(Some(service), protocol, &request_id, &error));
        return respond(&request_id, wire);
    }
    let inline = inline_writes(&state, &api_request);
    let outcome = match inline.map(|writes| run_inline(&state, &ctx, &api_request, writes)) {
        Some(Some(outcome)) => outcome,
        refused => {
            if refused.is_some() && inline == Some(InlineWrites::Refused) {
                tracing::warn!(
                    request_id,
                    operation = api_request.operation,
                    "an operation named as a read wrote; it runs again on the blocking pool"
                );
            }
            run_blocking(state, ctx, api_request).await
        }
    };
    let wire = match outcome {
        Ok(response) => response,
        Err(error) => {
            if error.status.is_server_error() {
                tracing::error!(request_id, %error, "operation failed");
            }
            encode_error(Some(service), protocol, &request_id, &error)
        }
    };
    respond(&request_id, wire)
}

/// Whether an operation only reads the store, so it may run on the async
/// thread that decoded it: no hop to the blocking pool and back, which costs
/// more than a read of a few rows. By name, as AWS names reads; `Scan` is
/// left out (it may read a whole table). A misjudged name (AWS's
/// `GetSessionToken` writes a session) costs a second run on the blocking
/// pool (see [`run_inline`]) and a warning, never a blocked async thread.
fn reads_only(request: &ApiRequest) -> bool {
    const READS: [&str; 5] = ["Get", "Describe", "List", "Query", "BatchGet"];
    let operation = request.operation.as_str();
    // Run Command's reads settle the commands they show (an invocation past
    // its timeout ends `TimedOut` when it is next looked at), so they write.
    const SETTLING: [&str; 3] = [
        "ListCommands",
        "ListCommandInvocations",
        "GetCommandInvocation",
    ];
    READS.iter().any(|prefix| operation.starts_with(prefix))
        && !(request.service == Service::Ssm && SETTLING.contains(&operation))
}

/// Item and parameter writes: operations whose handler does one store
/// transaction and nothing else (no files, no processes), so they may run
/// on the async thread when the writer is free. By name, as
/// [`reads_only`].
fn small_write(request: &ApiRequest) -> bool {
    let operations: &[&str] = match request.service {
        Service::DynamoDb => &["PutItem", "UpdateItem", "DeleteItem"],
        Service::Ssm => &["PutParameter", "DeleteParameter", "LabelParameterVersion"],
        _ => &[],
    };
    operations.contains(&request.operation.as_str())
}

/// How the store's writes are to be treated when a request runs on the
/// async thread that decoded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InlineWrites {
    /// A read: any write is refused (and the request runs again on the
    /// blocking pool).
    Refused,
    /// A small write: it runs if the writer is free at once, else the
    /// request runs on the blocking pool, where it may wait.
    IfFree,
}

/// Whether a request runs on the async thread, and how its writes are
/// treated there; `None` for the blocking pool. A small write runs inline
/// only when commits wait for no disk ([`Durability::Process`]).
fn inline_writes(state: &ApiState, request: &ApiRequest) -> Option<InlineWrites> {
    if reads_only(request) {
        Some(InlineWrites::Refused)
    } else if small_write(request) && state.store.durability() == Durability::Process {
        Some(InlineWrites::IfFree)
    } else {
        None
    }
}

type Outcome = Result<WireResponse, ApiError>;

/// Runs a request here, its writes treated as `writes` says. `None` when a
/// write was refused: nothing was changed, and the request is to run again
/// on the blocking pool.
fn run_inline(
    state: &ApiState,
    ctx: &RequestContext,
    request: &ApiRequest,
    writes: InlineWrites,
) -> Option<Outcome> {
    let run = || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            authorize::check(state, ctx, request).and_then(|()| dispatch(state, ctx, request))
        }))
    };
    let ran = match writes {
        InlineWrites::Refused => ballast_store::without_writes(run),
        InlineWrites::IfFree => ballast_store::writes_if_free(run),
    };
    match ran? {
        Ok(outcome) => Some(outcome),
        Err(_panic) => Some(Err(panicked(&ctx.request_id, request.service))),
    }
}

/// Runs a request on the blocking pool, where a write may wait for its
/// commit.
async fn run_blocking(state: Arc<ApiState>, ctx: RequestContext, request: ApiRequest) -> Outcome {
    let request_id = ctx.request_id.clone();
    let service = request.service;
    tokio::task::spawn_blocking(move || {
        authorize::check(&state, &ctx, &request).and_then(|()| dispatch(&state, &ctx, &request))
    })
    .await
    .unwrap_or_else(|_join_error| Err(panicked(&request_id, service)))
}

/// The answer to a request whose handler panicked (a bug; the panic
/// message is already logged): the service's internal error.
fn panicked(request_id: &str, service: Service) -> ApiError {
    tracing::error!(request_id, "handler panicked");
    ApiError::internal_for_service(
        service,
        "We encountered an internal error. Please try again.",
    )
}

/// Runs one identified, authenticated request.
pub(crate) fn dispatch(
    state: &ApiState,
    ctx: &RequestContext,
    request: &ApiRequest,
) -> Result<WireResponse, ApiError> {
    match request.service {
        Service::Ssm => ssm::handle(state, ctx, request),
        Service::Sts => sts::handle(state, ctx, request),
        Service::Elbv2 => elbv2::handle(state, ctx, request),
        Service::Ec2 => ec2::handle(state, ctx, request),
        Service::Iam => iam::handle(state, ctx, request),
        Service::DynamoDb => dynamodb::handle(state, ctx, request),
        Service::Events => crate::events::handle(state, ctx, request),
        Service::Lambda => crate::lambda::handle(state, ctx, request),
        Service::AutoScaling => autoscaling::handle(state, ctx, request),
        Service::Ec2Messages => crate::ec2messages::handle(state, ctx, request),
    }
}

/// Identifies a request: restJson1 services (no `X-Amz-Target`, signed for
/// a service whose operations are routed by path) by their routes, the
/// others by [`identify`].
fn identify_any(head: RequestHead<'_>, path: &str, body: Bytes) -> Result<ApiRequest, Rejection> {
    if !head.headers.contains_key("x-amz-target")
        && let Some(service) = sigv4::scope_service(head.headers)
        && let Some(routes) = crate::dispatch::rest_routes(service)
    {
        return ballast_wire::rest::identify(service, routes, head, path, &body);
    }
    identify(head, body)
}

/// The protocol to answer in before a request is identified.
fn guess_protocol(headers: &http::HeaderMap) -> Protocol {
    if headers.contains_key("x-amz-target") {
        Protocol::AwsJson11
    } else {
        Protocol::AwsQuery
    }
}

/// Past [`MAX_BODY_BYTES`], how much more of a body is read and discarded so
/// the client, still sending, receives the 413 instead of a broken pipe.
const DRAIN_LIMIT: usize = 4 * MAX_BODY_BYTES;

/// Collects the body, refusing more than [`MAX_BODY_BYTES`].
async fn read_body(headers: &http::HeaderMap, mut body: Body) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::sender(
            "RequestEntityTooLarge",
            format!("Request body must be at most {MAX_BODY_BYTES} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(too_large());
    }
    let mut collected = bytes::BytesMut::with_capacity(declared.unwrap_or(0).min(MAX_BODY_BYTES));
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            ApiError::sender(
                "IncompleteBody",
                format!("The request body could not be read: {error}"),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total <= MAX_BODY_BYTES {
            collected.extend_from_slice(&data);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(collected.freeze())
}

fn respond(request_id: &str, wire: WireResponse) -> Response {
    let mut response = Response::new(Body::from(wire.body));
    *response.status_mut() = wire.status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(wire.content_type),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(code) = wire.error_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert("x-amzn-errortype", code);
    }
    for (name, value) in wire.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_wire::request::Params;

    fn request(service: Service, operation: &str) -> ApiRequest {
        ApiRequest {
            service,
            operation: operation.to_owned(),
            params: Params::Json(Bytes::from_static(b"{}")),
        }
    }

    #[test]
    fn the_endpoint_is_where_the_client_called_and_how() {
        let parts =
            |request: http::request::Builder| request.body(()).map(|r| r.into_parts().0).unwrap();
        let plain = parts(http::Request::get("/").header("host", "127.0.0.1:4566"));
        let url = endpoint(&plain).and_then(|e| e.url());
        assert_eq!(url.as_deref(), Some("http://127.0.0.1:4566"));
        let tls = parts(
            http::Request::get("/")
                .header("host", "lambda.us-east-1.amazonaws.com")
                .extension(crate::Https),
        );
        let url = endpoint(&tls).and_then(|e| e.url());
        assert_eq!(
            url.as_deref(),
            Some("https://lambda.us-east-1.amazonaws.com")
        );
        // HTTP/2 names the authority in the URI, not in Host.
        let h2 = parts(
            http::Request::get("https://ssm.us-east-1.amazonaws.com/").extension(crate::Https),
        );
        let url = endpoint(&h2).and_then(|e| e.url());
        assert_eq!(url.as_deref(), Some("https://ssm.us-east-1.amazonaws.com"));
        assert!(endpoint(&parts(http::Request::get("/"))).is_none());
    }

    #[test]
    fn reads_run_inline_and_writes_and_settling_reads_do_not() {
        for (service, operation) in [
            (Service::Ssm, "GetParameter"),
            (Service::DynamoDb, "GetItem"),
            (Service::DynamoDb, "Query"),
            (Service::DynamoDb, "BatchGetItem"),
            (Service::Elbv2, "DescribeTargetHealth"),
            (Service::Ec2, "DescribeInstances"),
            (Service::Iam, "ListRoles"),
        ] {
            assert!(reads_only(&request(service, operation)), "{operation}");
        }
        for (service, operation) in [
            (Service::Ssm, "PutParameter"),
            (Service::DynamoDb, "Scan"),
            (Service::Ssm, "ListCommands"),
            (Service::Ssm, "GetCommandInvocation"),
            (Service::Lambda, "Invoke"),
            (Service::Ec2, "RunInstances"),
        ] {
            assert!(!reads_only(&request(service, operation)), "{operation}");
        }
    }
}
