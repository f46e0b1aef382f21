//! The Lambda Runtime API, as one execution environment's runtime sees it
//! at `AWS_LAMBDA_RUNTIME_API`: it long-polls `invocation/next` for an
//! event and posts the result (or the error) back under the request id.
//! Each environment has its own listener, as each Lambda sandbox has its
//! own endpoint, so the paths carry no environment.
//!
//! Any runtime interface client that speaks this protocol works
//! (`awslambdaric`, the Rust `lambda_runtime`, a shell loop with curl);
//! Ballast's own Python bootstrap is one more.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ballast_core::lambda::invoke::MAX_SYNC_PAYLOAD_BYTES;
use tokio::sync::{mpsc, oneshot};

/// An invocation handed to the environment, waiting for its runtime.
#[derive(Debug)]
pub(crate) struct Pending {
    pub request_id: String,
    pub payload: Vec<u8>,
    /// `Lambda-Runtime-Deadline-Ms`: when the function's time is up, in
    /// the function's (unscaled) terms.
    pub deadline_ms: i64,
    pub function_arn: String,
    /// The client context, JSON (decoded from Invoke's base64).
    pub client_context: Option<String>,
    /// Told when the runtime takes the invocation: the function's timeout
    /// runs from then (the runtime's start-up is its init phase).
    pub taken: oneshot::Sender<()>,
    pub reply: oneshot::Sender<Reply>,
}

/// What the runtime posted for an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `invocation/ID/response`: the function's result.
    Response(Vec<u8>),
    /// `invocation/ID/error`, or `init/error` before any: the error object.
    Error(Vec<u8>),
}

/// One environment's side of the protocol.
#[derive(Debug)]
pub(crate) struct RuntimeApi {
    next: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    in_flight: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    /// The error object of a failed init, which the environment reports
    /// for the invocation that started it.
    init_error: Mutex<Option<Vec<u8>>>,
}

impl RuntimeApi {
    pub fn new(next: mpsc::Receiver<Pending>) -> Arc<RuntimeApi> {
        Arc::new(RuntimeApi {
            next: tokio::sync::Mutex::new(next),
            in_flight: Mutex::default(),
            init_error: Mutex::default(),
        })
    }

    /// The error object the runtime posted to `init/error`, if it did.
    pub fn init_error(&self) -> Option<Vec<u8>> {
        self.init_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn answer(&self, request_id: &str, reply: Reply) -> bool {
        let waiting = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(request_id);
        waiting.is_some_and(|sender| sender.send(reply).is_ok())
    }
}

/// The protocol's routes over one environment's state.
pub(crate) fn router(api: Arc<RuntimeApi>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        // The largest response a synchronous invocation returns, with
        // room for the envelope of an error object.
        .layer(DefaultBodyLimit::max(MAX_SYNC_PAYLOAD_BYTES + 64 * 1024))
        .with_state(api)
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> Response {
    let pending = api.next.lock().await.recv().await;
    let Some(pending) = pending else {
        // The environment is being stopped.
        return problem(
            StatusCode::GONE,
            "EnvironmentStopped",
            "the environment is stopping",
        );
    };
    let _ = pending.taken.send(());
    api.in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(pending.request_id.clone(), pending.reply);
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &pending.request_id);
    set(
        "lambda-runtime-deadline-ms",
        &pending.deadline_ms.to_string(),
    );
    set("lambda-runtime-invoked-function-arn", &pending.function_arn);
    set(
        "lambda-runtime-trace-id",
        &format!(
            "Root=1-00000000-{};Sampled=0",
            trace_suffix(&pending.request_id)
        ),
    );
    if let Some(context) = &pending.client_context {
        set("lambda-runtime-client-context", context);
    }
    (StatusCode::OK, headers, pending.payload).into_response()
}

async fn response(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    accepted(api.answer(&id, Reply::Response(body.to_vec())))
}

async fn error(
    State(api): State<Arc<RuntimeApi>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    accepted(api.answer(&id, Reply::Error(error_object(&headers, &body))))
}

async fn init_error(
    State(api): State<Arc<RuntimeApi>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    *api.init_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(error_object(&headers, &body));
    (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response()
}

/// The error object a runtime posted, or one made from its
/// `Lambda-Runtime-Function-Error-Type` when the body is not one.
fn error_object(headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    if serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v.is_object()) {
        return body.to_vec();
    }
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Runtime.Unknown");
    serde_json::json!({
        "errorMessage": String::from_utf8_lossy(body),
        "errorType": error_type,
    })
    .to_string()
    .into_bytes()
}

fn accepted(known: bool) -> Response {
    if known {
        (StatusCode::ACCEPTED, r#"{"status":"OK"}"#).into_response()
    } else {
        problem(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "Invalid request ID",
        )
    }
}

fn problem(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({"errorMessage": message, "errorType": error_type});
    (status, body.to_string()).into_response()
}

/// Twenty-four hex digits for an X-Ray-shaped trace id, from the request
/// id (Ballast has no X-Ray; the header is there because runtimes read
/// it).
fn trace_suffix(request_id: &str) -> String {
    let digits: String = request_id.chars().filter(char::is_ascii_hexdigit).collect();
    format!("{digits:0<24}").chars().take(24).collect()
}
