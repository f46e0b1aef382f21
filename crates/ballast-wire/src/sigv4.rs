//! SigV4 verification on the server side.
//!
//! The expected signature is computed with `aws-sigv4` itself, over exactly
//! the headers the client listed in `SignedHeaders`, the `Host` as received
//! and the raw body, so whatever the SDKs sign, Ballast checks the same way.
//! Only header authentication is supported; presigned query strings are
//! answered with `MissingAuthenticationToken` (room is left for them in
//! [`AuthError`]).

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    SessionTokenMode, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;
use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::error::ApiError;
use crate::service::{Protocol, Service};

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The parsed `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// The secret behind an access key, as the credential store knows it.
#[derive(Debug, Clone)]
pub struct Secret {
    pub secret_access_key: String,
    /// Temporary credentials must present this token.
    pub session_token: Option<String>,
}

/// What a verified request proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Request is missing Authentication Token")]
    Missing,
    #[error("{0}")]
    Incomplete(String),
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    #[error("The security token included in the request is invalid.")]
    InvalidSessionToken,
    /// Temporary credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    #[error(
        "Signature expired: {request_time} is now earlier or later than {now} (15 minutes of clock skew allowed)"
    )]
    Expired { request_time: String, now: String },
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    Mismatch,
}

impl AuthError {
    /// The error in the code spelling and status of the given protocol.
    pub fn to_api_error(&self, protocol: Protocol) -> ApiError {
        let json = protocol.is_json();
        let (code, status) = match self {
            AuthError::Missing if json => (
                "MissingAuthenticationTokenException",
                StatusCode::BAD_REQUEST,
            ),
            AuthError::Missing => ("MissingAuthenticationToken", StatusCode::FORBIDDEN),
            AuthError::Incomplete(_) if json => {
                ("IncompleteSignatureException", StatusCode::BAD_REQUEST)
            }
            AuthError::Incomplete(_) => ("IncompleteSignature", StatusCode::BAD_REQUEST),
            AuthError::UnknownAccessKey | AuthError::InvalidSessionToken if json => {
                ("UnrecognizedClientException", StatusCode::BAD_REQUEST)
            }
            AuthError::UnknownAccessKey | AuthError::InvalidSessionToken
                if protocol == Protocol::Ec2Query =>
            {
                ("AuthFailure", StatusCode::UNAUTHORIZED)
            }
            AuthError::UnknownAccessKey | AuthError::InvalidSessionToken => {
                ("InvalidClientTokenId", StatusCode::FORBIDDEN)
            }
            AuthError::ExpiredToken if json => ("ExpiredTokenException", StatusCode::BAD_REQUEST),
            AuthError::ExpiredToken if protocol == Protocol::Ec2Query => {
                ("RequestExpired", StatusCode::BAD_REQUEST)
            }
            AuthError::ExpiredToken => ("ExpiredToken", StatusCode::FORBIDDEN),
            AuthError::Expired { .. } if json => {
                ("InvalidSignatureException", StatusCode::BAD_REQUEST)
            }
            AuthError::Expired { .. } => ("RequestExpired", StatusCode::BAD_REQUEST),
            AuthError::Mismatch if json => ("InvalidSignatureException", StatusCode::BAD_REQUEST),
            AuthError::Mismatch => ("SignatureDoesNotMatch", StatusCode::FORBIDDEN),
        };
        ApiError::sender(code, self.to_string()).with_status(status)
    }
}

/// The service named by the `Authorization` header's credential scope, if
/// any; used to route query requests that lack `Version`.
pub fn scope_service(headers: &HeaderMap) -> Option<Service> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let auth = parse_authorization(value).ok()?;
    Service::from_signing_name(&auth.service)
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/ssm/aws4_request, SignedHeaders=a;b, Signature=hex`.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let incomplete = |what: &str| AuthError::Incomplete(format!("Authorization header {what}"));
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or_else(|| incomplete("must use the AWS4-HMAC-SHA256 algorithm"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((key, val)) = part.trim().split_once('=') else {
            continue;
        };
        match key.trim() {
            "Credential" => credential = Some(val.trim()),
            "SignedHeaders" => signed_headers = Some(val.trim()),
            "Signature" => signature = Some(val.trim()),
            _ => {}
        }
    }
    let credential = credential.ok_or_else(|| incomplete("requires a Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| incomplete("requires SignedHeaders"))?;
    let signature = signature.ok_or_else(|| incomplete("requires a Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [akid, date, region, service, terminator] = scope.as_slice() else {
        return Err(incomplete("has a malformed Credential scope"));
    };
    if *terminator != "aws4_request" || akid.is_empty() || date.len() != 8 {
        return Err(incomplete("has a malformed Credential scope"));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(incomplete("has a malformed Signature"));
    }
    Ok(Authorization {
        access_key_id: (*akid).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers: signed_headers
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

/// The request as the signature covers it.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path and query exactly as received (`/` or `/?a=b`).
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Verifies a request's SigV4 header signature. `lookup` finds the secret
/// of an access key; `now` is the server's clock.
pub fn verify(
    request: SignedRequest<'_>,
    lookup: impl FnOnce(&str) -> Option<Secret>,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let auth_value = header("authorization").ok_or(AuthError::Missing)?;
    let auth = parse_authorization(auth_value)?;
    let amz_date = header("x-amz-date")
        .ok_or_else(|| AuthError::Incomplete("Request must contain an X-Amz-Date header".into()))?;
    let request_time = parse_amz_date(amz_date)
        .ok_or_else(|| AuthError::Incomplete(format!("X-Amz-Date '{amz_date}' is malformed")))?;
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthError::Incomplete(
            "Credential scope date does not match X-Amz-Date".into(),
        ));
    }
    let skew = match now.duration_since(request_time) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > MAX_CLOCK_SKEW {
        return Err(AuthError::Expired {
            request_time: amz_date.to_owned(),
            now: format_amz_date(now),
        });
    }
    let secret = lookup(&auth.access_key_id).ok_or(AuthError::UnknownAccessKey)?;
    let presented = header("x-amz-security-token");
    match (&secret.session_token, presented) {
        (Some(expected), Some(presented))
            if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) => {}
        // Long-term keys carry no token; a token with one is refused, as AWS does.
        (None, None) => {}
        _ => return Err(AuthError::InvalidSessionToken),
    }
    let expected = expected_signature(&request, &auth, &secret, request_time)?;
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        Ok(Verified {
            access_key_id: auth.access_key_id,
            region: auth.region,
            service: auth.service,
        })
    } else {
        Err(AuthError::Mismatch)
    }
}

fn expected_signature(
    request: &SignedRequest<'_>,
    auth: &Authorization,
    secret: &Secret,
    time: SystemTime,
) -> Result<String, AuthError> {
    // aws-sigv4 re-adds these two from `time` and the identity.
    let mut headers: Vec<(&str, String)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        if name == "x-amz-date" || name == "x-amz-security-token" {
            continue;
        }
        let values: Vec<&str> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(AuthError::Mismatch);
        }
        headers.push((name.as_str(), values.join(",")));
    }
    let host = request
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let uri = format!("http://{host}{}", request.path_and_query);
    let signable = SignableRequest::new(
        request.method,
        uri,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(request.body),
    )
    .map_err(|_| AuthError::Mismatch)?;

    let signs_token = auth
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-security-token");
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(Vec::new());
    settings.session_token_mode = if signs_token {
        SessionTokenMode::Include
    } else {
        SessionTokenMode::Exclude
    };
    let identity = aws_credential_types::Credentials::new(
        auth.access_key_id.clone(),
        secret.secret_access_key.clone(),
        signs_token
            .then(|| secret.session_token.clone())
            .flatten()
            .or_else(|| {
                signs_token
                    .then(|| {
                        request
                            .headers
                            .get("x-amz-security-token")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    })
                    .flatten()
            }),
        None,
        "ballast",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|_| AuthError::Mismatch)?
        .into();
    let output = sign(signable, &params).map_err(|_| AuthError::Mismatch)?;
    Ok(output.signature().to_owned())
}

fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = PrimitiveDateTime::parse(text, &format).ok()?.assume_utc();
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn format_amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    /// Signs a request the way an SDK would, using aws-sigv4's client side.
    fn signed_headers(secret: &str, time: SystemTime, body: &[u8]) -> HeaderMap {
        let identity =
            aws_credential_types::Credentials::new("test", secret, None, None, "t").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("ssm")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let base = [
            ("host", "127.0.0.1:4566"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "AmazonSSM.GetParameter"),
        ];
        let req = SignableRequest::new(
            "POST",
            "http://127.0.0.1:4566/",
            base.iter().copied(),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(req, &params).unwrap().into_parts();
        let mut headers = HeaderMap::new();
        for (k, v) in base {
            headers.insert(k, HeaderValue::from_static(v));
        }
        for (k, v) in instructions.headers() {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        headers
    }

    fn lookup(akid: &str) -> Option<Secret> {
        (akid == "test").then(|| Secret {
            secret_access_key: "test".into(),
            session_token: None,
        })
    }

    fn request<'a>(headers: &'a HeaderMap, body: &'a [u8]) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            path_and_query: "/",
            headers,
            body,
        }
    }

    #[test]
    fn accepts_a_correct_signature() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_564_800);
        let headers = signed_headers("test", now, b"{}");
        let verified = verify(request(&headers, b"{}"), lookup, now).unwrap();
        assert_eq!(verified.service, "ssm");
    }

    #[test]
    fn rejects_a_wrong_secret() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_564_800);
        let headers = signed_headers("wrong", now, b"{}");
        assert_eq!(
            verify(request(&headers, b"{}"), lookup, now),
            Err(AuthError::Mismatch)
        );
    }

    #[test]
    fn rejects_a_tampered_body() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_564_800);
        let headers = signed_headers("test", now, b"{}");
        assert_eq!(
            verify(request(&headers, b"{ }"), lookup, now),
            Err(AuthError::Mismatch)
        );
    }

    #[test]
    fn rejects_stale_requests() {
        let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_564_800);
        let headers = signed_headers("test", then, b"{}");
        let later = then + Duration::from_secs(16 * 60);
        assert!(matches!(
            verify(request(&headers, b"{}"), lookup, later),
            Err(AuthError::Expired { .. })
        ));
    }

    #[test]
    fn parses_the_authorization_header() {
        let auth = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/autoscaling/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(auth.service, "autoscaling");
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
    }

    #[test]
    fn malformed_headers_are_incomplete() {
        assert!(matches!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=x"),
            Err(AuthError::Incomplete(_))
        ));
        assert!(matches!(
            parse_authorization("Basic abc"),
            Err(AuthError::Incomplete(_))
        ));
    }
}
