//! Invoke: `RequestResponse` runs the function now and answers with what
//! it returned (or its error object, with `X-Amz-Function-Error`);
//! `Event` queues the event in the store for the functions' runtime and
//! answers 202; `DryRun` only checks, and answers 204. The invocation's
//! request id is the request's, as the function's context shows it. A
//! qualifier runs that version, or the version the alias picks.

use ballast_core::lambda::Error as Rule;
use ballast_core::lambda::invoke::{
    Invocation, MAX_ASYNC_PAYLOAD_BYTES, MAX_SYNC_PAYLOAD_BYTES, NotRun, Queued,
};
use ballast_model::lambda::{InvocationType, InvokeInput, InvokeOutput, LogType};

use super::Error;
use super::functions::{existing, target};
use crate::{ApiState, RequestContext};

pub(super) fn invoke(
    state: &ApiState,
    ctx: &RequestContext,
    input: InvokeInput,
) -> Result<InvokeOutput, Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    let kind = input
        .invocation_type
        .unwrap_or(InvocationType::RequestResponse);
    let payload = input.payload.map(|p| p.0).unwrap_or_default();
    check_payload(&payload, &kind)?;
    // The version this invocation runs: an alias with a routing
    // configuration picks one per invocation.
    let roll = state.ids.fraction();
    let function = state.store.read(|tx| -> Result<_, Error> {
        existing(state, tx, &target.name)?;
        tx.invoked_version(&target.name, target.qualifier(), roll)?
            .ok_or_else(|| target.not_found(state).into())
    })?;
    match kind {
        InvocationType::DryRun => Ok(InvokeOutput {
            status_code: Some(204),
            ..InvokeOutput::default()
        }),
        InvocationType::Event => {
            let queued = Queued {
                qualifier: target.qualifier.clone(),
                ..Queued::new(
                    ctx.request_id.clone(),
                    function.name,
                    String::from_utf8_lossy(&payload).into_owned(),
                    state.now().millis(),
                )
            };
            state.store.write(|tx| tx.queue_invocation(&queued))?;
            state.functions.queued();
            Ok(InvokeOutput {
                status_code: Some(202),
                ..InvokeOutput::default()
            })
        }
        _ => {
            let tail = matches!(input.log_type, Some(LogType::Tail));
            let version = function.version.clone();
            let outcome = state
                .functions
                .invoke(Invocation {
                    function_arn: target.arn(state),
                    function,
                    payload,
                    client_context: input.client_context.as_deref().and_then(client_context),
                    request_id: ctx.request_id.clone(),
                })
                .map_err(|not_run| match not_run {
                    NotRun::Unavailable(why) => Rule::Service(why),
                    NotRun::Throttled => Rule::Throttled,
                })?;
            Ok(InvokeOutput {
                executed_version: Some(version),
                status_code: Some(200),
                log_result: tail.then(|| outcome.log_result()),
                function_error: outcome.function_error,
                payload: Some(ballast_model::Blob(outcome.payload)),
                ..InvokeOutput::default()
            })
        }
    }
}

/// The payload must be JSON (or empty) and within the invocation type's
/// limit.
fn check_payload(payload: &[u8], kind: &InvocationType) -> Result<(), Rule> {
    let (limit, operation) = match kind {
        InvocationType::Event => (MAX_ASYNC_PAYLOAD_BYTES, "InvokeAsync"),
        _ => (MAX_SYNC_PAYLOAD_BYTES, "InvokeFunction"),
    };
    if payload.len() > limit {
        return Err(Rule::RequestTooLarge(format!(
            "Request must be smaller than {limit} bytes for the {operation} operation"
        )));
    }
    if payload.is_empty() {
        return Ok(());
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(payload)
        .map(|_| ())
        .map_err(|error| {
            Rule::InvalidRequestContent(format!(
                "Could not parse request body into json: Could not parse payload into json: {error}"
            ))
        })
}

/// The client context the runtime passes on: Invoke's base64, decoded
/// (dropped when it is not base64 of text, as nothing could read it).
fn client_context(base64_text: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .ok()?;
    String::from_utf8(bytes).ok()
}
