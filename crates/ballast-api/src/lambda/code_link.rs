//! The link GetFunction gives to a function's deployment package.
//!
//! AWS answers `Code.Location` with a presigned S3 URL that is good for
//! ten minutes; scripts download it to back a function up or to copy it
//! elsewhere. Ballast has no S3, so the link points back at Ballast itself,
//! at the address the client used (`Host`, and https when it came over
//! TLS): `/_ballast/lambda-code/{hash}?token=…`, where the token is bound to
//! the package's hash and expires after the same ten minutes
//! ([`ballast_core::token`]). Like a presigned URL it needs no signature of
//! its own, and failures answer in S3's XML error form.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use ballast_core::token::TokenError;
use http::{HeaderValue, StatusCode, header};

use crate::{ApiState, RequestContext};

/// The route packages are served on; `{hash}` is the package's SHA-256 in
/// URL-safe base64 (`CodeSha256` with `-` and `_` for `+` and `/`).
pub const ROUTE: &str = "/_ballast/lambda-code/{hash}";

/// How long a link works, as AWS's presigned URL does.
const LINK_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Marks a request that arrived over TLS, so links built for it say https.
/// The HTTPS listener adds it to every request.
#[derive(Debug, Clone, Copy)]
pub struct Https;

/// The link to the package whose `CodeSha256` is `sha256`, for the client
/// of `ctx`; `None` for calls that came from inside Ballast (Automation),
/// which have no address to point back at.
pub(crate) fn location(state: &ApiState, ctx: &RequestContext, sha256: &str) -> Option<String> {
    let endpoint = ctx.endpoint.as_ref()?.url()?;
    let expiry = now_secs(state) + LINK_LIFETIME.as_secs();
    let token = state.link_key.mint(sha256, expiry);
    let hash = sha256.replace('+', "-").replace('/', "_");
    Some(format!(
        "{endpoint}/_ballast/lambda-code/{hash}?token={token}"
    ))
}

fn now_secs(state: &ApiState) -> u64 {
    state
        .clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Serves a package to whoever holds a live link to it.
pub async fn download(
    State(state): State<Arc<ApiState>>,
    Path(hash): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let sha256 = hash.replace('-', "+").replace('_', "/");
    let form = ballast_wire::query::form::parse_form(query.unwrap_or_default().as_bytes());
    let Some(token) = form.as_ref().ok().and_then(|form| form.text_of("token")) else {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Query-string authentication requires a token",
        );
    };
    match state.link_key.check(&sha256, token, now_secs(&state)) {
        Ok(()) => {}
        Err(TokenError::Expired) => {
            return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
        }
        Err(TokenError::Invalid) => {
            return s3_error(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            );
        }
    }
    // A package may be 50 MB: read it off the async thread.
    let read = tokio::task::spawn_blocking(move || state.store.read(|tx| tx.code(&sha256)))
        .await
        .map_err(|e| e.to_string())
        .and_then(|read| read.map_err(|e| e.to_string()));
    match read {
        Ok(Some(zip)) => {
            let mut response = Response::new(Body::from(zip));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            response
        }
        // Replaced by newer code, or its function deleted, since the link
        // was made.
        Ok(None) => s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
        Err(error) => {
            tracing::error!(%error, "reading a function's package");
            s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )
        }
    }
}

/// An error in S3's form, which is what AWS's link would answer with.
fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
    body.push_str(code);
    body.push_str("</Code><Message>");
    ballast_wire::xml::push_escaped(&mut body, message);
    body.push_str("</Message></Error>");
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}
