//! The shared last mile of every operation: decode the typed input,
//! validate it against the model, run the handler, encode the typed output.

use ballast_model::Validate;
use ballast_wire::{ApiError, ApiRequest, WireResponse, encode_output};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::RequestContext;

/// Decodes `I` (a generated `ballast_model` input), checks the model's
/// constraints (lengths, ranges, patterns, enum values: every violation in
/// one `ValidationException`/`ValidationError`, as AWS reports them), runs
/// `handler`, and encodes its output with the protocol's result wrapper.
pub(crate) fn call<I, O, E>(
    ctx: &RequestContext,
    request: &ApiRequest,
    handler: impl FnOnce(I) -> Result<O, E>,
) -> Result<WireResponse, ApiError>
where
    I: DeserializeOwned + Validate,
    O: Serialize,
    E: Into<ApiError>,
{
    let output = handler(decode_checked(request)?).map_err(Into::into)?;
    respond(ctx, request, Some(&output))
}

/// Like [`call`], for operations the model gives no output shape
/// (`DeleteRole`, `AttachRolePolicy`): the response carries only
/// `ResponseMetadata`, with no `<OpResult>` element.
pub(crate) fn call_no_output<I, E>(
    ctx: &RequestContext,
    request: &ApiRequest,
    handler: impl FnOnce(I) -> Result<(), E>,
) -> Result<WireResponse, ApiError>
where
    I: DeserializeOwned + Validate,
    E: Into<ApiError>,
{
    handler(decode_checked(request)?).map_err(Into::into)?;
    respond::<()>(ctx, request, None)
}

/// Like [`call`], for the operations Run Command's agent calls
/// (`ballast_wire::agent`), which no public model describes, so there is
/// no model to validate against: decoding is the whole check.
pub(crate) fn call_unmodelled<I, O, E>(
    ctx: &RequestContext,
    request: &ApiRequest,
    handler: impl FnOnce(I) -> Result<O, E>,
) -> Result<WireResponse, ApiError>
where
    I: DeserializeOwned,
    O: Serialize,
    E: Into<ApiError>,
{
    let output = handler(request.decode::<I>()?).map_err(Into::into)?;
    respond(ctx, request, Some(&output))
}

/// Decodes and validates a generated input. Decoding stops at the first
/// missing member; when it fails, the request is walked against what the
/// input requires so every missing member is named (AWS lists them all).
/// A request that decodes has them all, so the walk costs nothing then.
fn decode_checked<I: DeserializeOwned + Validate>(request: &ApiRequest) -> Result<I, ApiError> {
    let input = request.decode::<I>().map_err(|error| {
        let missing = ballast_model::required::missing(I::required(), &request.params);
        if missing.is_empty() {
            error
        } else {
            ApiError::invalid(request.service, &missing)
        }
    })?;
    input
        .validate()
        .map_err(|violations| ApiError::invalid(request.service, &violations))?;
    Ok(input)
}

fn respond<O: Serialize>(
    ctx: &RequestContext,
    request: &ApiRequest,
    output: Option<&O>,
) -> Result<WireResponse, ApiError> {
    if let Some(routes) = rest_routes(request.service) {
        return rest_respond(request, routes, output);
    }
    if ctx.json_output {
        let body = match output {
            Some(output) => json_in_member_names(request, output)?,
            None => b"{}".to_vec(),
        };
        return Ok(WireResponse {
            status: http::StatusCode::OK,
            content_type: "application/json",
            error_type: None,
            headers: Vec::new(),
            body,
        });
    }
    encode_output(request.service, &request.operation, &ctx.request_id, output)
}

/// The generated routes of a restJson1 service, `None` for the others.
pub(crate) fn rest_routes(
    service: ballast_wire::Service,
) -> Option<&'static [ballast_wire::rest::Route]> {
    match service {
        ballast_wire::Service::Lambda => Some(ballast_model::lambda::ROUTES),
        _ => None,
    }
}

/// A restJson1 output: members split into status, headers and body as the
/// operation's route binds them.
fn rest_respond<O: Serialize>(
    request: &ApiRequest,
    routes: &[ballast_wire::rest::Route],
    output: Option<&O>,
) -> Result<WireResponse, ApiError> {
    let internal = |why: String| ApiError::internal_for_service(request.service, why);
    let route = routes
        .iter()
        .find(|r| r.operation == request.operation)
        .ok_or_else(|| internal(format!("no route for {}", request.operation)))?;
    let value = match output {
        Some(output) => {
            serde_json::to_value(output).map_err(|e| internal(format!("could not encode: {e}")))?
        }
        None => serde_json::Value::Null,
    };
    ballast_wire::rest::encode_output(route, value).map_err(|e| internal(e.to_string()))
}

/// An output as JSON in the model's member names: the generated shapes'
/// own names, except EC2's, which are renamed from its XML names.
fn json_in_member_names<O: Serialize>(
    request: &ApiRequest,
    output: &O,
) -> Result<Vec<u8>, ApiError> {
    let encode_error = |e: serde_json::Error| {
        ApiError::internal_for_service(request.service, format!("could not encode: {e}"))
    };
    if request.service != ballast_wire::Service::Ec2 {
        return serde_json::to_vec(output).map_err(encode_error);
    }
    let written = serde_json::to_value(output).map_err(encode_error)?;
    let members = ballast_model::member_names::to_members(
        ballast_model::ec2::MEMBER_NAMES,
        &format!("{}Output", request.operation),
        written,
    );
    serde_json::to_vec(&members).map_err(encode_error)
}

/// Declares a service's operations as an enum with a lookup by wire name.
macro_rules! operations {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($op:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($op),*
        }

        impl $name {
            /// The operation a request's action or target names.
            $vis fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($op) => Some($name::$op),)*
                    _ => None,
                }
            }

            /// The operation of a request, or the protocol's unknown-operation error.
            $vis fn of(
                request: &ballast_wire::ApiRequest,
            ) -> Result<Self, ballast_wire::ApiError> {
                Self::from_name(&request.operation).ok_or_else(|| {
                    ballast_wire::ApiError::unknown_operation(
                        request.service.protocol(),
                        &request.operation,
                    )
                })
            }
        }
    };
}

/// Declares a service's operations and routes each to its handler, from one
/// list: the `operations!` enum and the service's `handle` function. An
/// operation is named once, next to the handler that serves it. The
/// handler's parameter names are given so the routes can use them.
macro_rules! routes {
    (
        $(#[$enum_meta:meta])* $vis:vis enum $name:ident;
        $(#[$fn_meta:meta])* fn $handle:ident($state:ident, $ctx:ident, $request:ident) {
            $($op:ident => $route:expr),* $(,)?
        }
    ) => {
        $crate::dispatch::operations! {
            $(#[$enum_meta])* $vis enum $name { $($op),* }
        }

        $(#[$fn_meta])*
        $vis fn $handle(
            $state: &$crate::ApiState,
            $ctx: &$crate::RequestContext,
            $request: &ballast_wire::ApiRequest,
        ) -> Result<ballast_wire::WireResponse, ballast_wire::ApiError> {
            match $name::of($request)? {
                $($name::$op => $route,)*
            }
        }
    };
}

pub(crate) use {operations, routes};
