//! Identifying which service and operation a request is for, and decoding
//! its parameters into typed inputs.

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::query::{self, DecodeError, Node};
use crate::service::{Protocol, Service};

/// The parts of an HTTP request that identification looks at.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    pub method: &'a Method,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// A request whose service and operation are known; its parameters are
/// decoded on demand into the operation's typed input.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub service: Service,
    pub operation: String,
    pub params: Params,
}

/// An operation's parameters, still in their protocol's encoding.
#[derive(Debug, Clone)]
pub enum Params {
    /// awsQuery / ec2Query form fields.
    Form(Node),
    /// An awsJson body (`{}` when the client sent none).
    Json(Bytes),
}

/// A request that could not be identified, with what is known of it so the
/// error can be written in the envelope its client expects.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub service: Option<Service>,
    pub protocol: Protocol,
    pub error: ApiError,
}

impl Rejection {
    fn new(service: Option<Service>, protocol: Protocol, error: ApiError) -> Self {
        Rejection {
            service,
            protocol,
            error,
        }
    }
}

/// Works out the service, protocol and operation of a request: JSON services
/// by `X-Amz-Target`, query services by the form's `Version` (falling back to
/// the SigV4 scope's service) and `Action`.
pub fn identify(head: RequestHead<'_>, body: Bytes) -> Result<ApiRequest, Rejection> {
    match header(head.headers, "x-amz-target") {
        Some(target) => identify_json(head, target, body),
        None => identify_query(head, &body),
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn content_type(headers: &HeaderMap) -> &str {
    header(headers, "content-type").unwrap_or("")
}

fn identify_json(
    head: RequestHead<'_>,
    target: &str,
    body: Bytes,
) -> Result<ApiRequest, Rejection> {
    let ctype = content_type(head.headers);
    let protocol = if ctype.contains("1.0") {
        Protocol::AwsJson10
    } else {
        Protocol::AwsJson11
    };
    let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
    let Some(service) = Service::from_json_target_prefix(prefix) else {
        return Err(Rejection::new(
            None,
            protocol,
            ApiError::unknown_operation(protocol, target),
        ));
    };
    let protocol = service.protocol();
    if !(ctype.starts_with("application/x-amz-json-") || ctype.starts_with("application/json")) {
        return Err(Rejection::new(
            Some(service),
            protocol,
            ApiError::sender(
                "SerializationException",
                format!(
                    "Content-Type '{ctype}' is not supported; expected {}",
                    protocol.content_type()
                ),
            ),
        ));
    }
    if head.method != Method::POST {
        return Err(Rejection::new(
            Some(service),
            protocol,
            ApiError::sender("SerializationException", "JSON requests must be POSTed"),
        ));
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else {
        body
    };
    Ok(ApiRequest {
        service,
        operation: operation.to_owned(),
        params: Params::Json(body),
    })
}

fn identify_query(head: RequestHead<'_>, body: &[u8]) -> Result<ApiRequest, Rejection> {
    let scope_service = crate::sigv4::scope_service(head.headers);
    let protocol = scope_service.map_or(Protocol::AwsQuery, Service::protocol);
    let reject = |service: Option<Service>, error: ApiError| {
        Rejection::new(service, service.map_or(protocol, Service::protocol), error)
    };
    let ctype = content_type(head.headers);
    let form_bytes: &[u8] = if head.method == Method::POST {
        if !ctype.starts_with("application/x-www-form-urlencoded") {
            return Err(reject(
                scope_service,
                ApiError::sender(
                    "MalformedQueryString",
                    format!(
                        "Content-Type '{ctype}' is not supported; expected application/x-www-form-urlencoded"
                    ),
                ),
            ));
        }
        body
    } else if head.method == Method::GET {
        head.query.unwrap_or("").as_bytes()
    } else {
        return Err(reject(
            scope_service,
            ApiError::sender(
                "MalformedQueryString",
                format!("HTTP method {} is not supported", head.method),
            ),
        ));
    };
    let form = query::parse_form(form_bytes).map_err(|e| {
        reject(
            scope_service,
            ApiError::sender("MalformedQueryString", e.to_string()),
        )
    })?;
    let service = match form.text_of("Version") {
        Some(version) => Service::from_query_version(version).ok_or_else(|| {
            reject(
                scope_service,
                ApiError::sender(
                    "InvalidAction",
                    format!(
                        "API version {version} of service {} is not supported",
                        scope_service.map_or("(unknown)", Service::signing_name)
                    ),
                ),
            )
        })?,
        None => scope_service
            .filter(|s| !s.protocol().is_json())
            .ok_or_else(|| {
                reject(
                    scope_service,
                    ApiError::sender(
                        "MissingParameter",
                        "The request must contain the parameter Version",
                    ),
                )
            })?,
    };
    let Some(action) = form.text_of("Action").filter(|a| !a.is_empty()) else {
        return Err(reject(
            Some(service),
            ApiError::sender(
                "MissingAction",
                "The request must contain the parameter Action",
            ),
        ));
    };
    Ok(ApiRequest {
        service,
        operation: action.to_owned(),
        params: Params::Form(form),
    })
}

impl ApiRequest {
    /// Decodes the parameters into the operation's typed input, with the
    /// service's validation error when they do not fit.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        match &self.params {
            Params::Form(node) => query::from_node(node).map_err(|e| self.form_error(e)),
            // Most bodies decode; tracking the path of every member costs
            // about a third of decoding, so only a body that failed is
            // decoded again to say where.
            Params::Json(body) => {
                serde_json::from_slice(body).map_err(|error| self.json_failure::<T>(body, &error))
            }
        }
    }

    /// The error of a JSON body that did not decode as `T`, with the path
    /// of the member at fault; `error` is the plain decoder's, said when
    /// tracking finds nothing (decoding is deterministic, so it does not).
    fn json_failure<T: DeserializeOwned>(
        &self,
        body: &[u8],
        error: &serde_json::Error,
    ) -> ApiError {
        let mut json = serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(&mut json) {
            Err(e) => self.json_error(e.inner(), &json_path(e.path())),
            Ok(_) => self.json_error(error, ""),
        }
    }

    fn form_error(&self, error: DecodeError) -> ApiError {
        match error {
            DecodeError::Missing(member) => ApiError::missing(self.service, &member),
            DecodeError::Invalid { member, message } => ApiError::sender(
                self.service.validation_error_code(),
                format!("Invalid value for parameter {member}: {message}"),
            ),
        }
    }

    /// `at` is where in the body the error is (`Tags.1.member`), empty at
    /// the top.
    fn json_error(&self, error: &serde_json::Error, at: &str) -> ApiError {
        let text = error.to_string();
        if let Some(member) = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let path = if at.is_empty() {
                member.to_owned()
            } else {
                format!("{at}.{member}")
            };
            return ApiError::missing(self.service, &path);
        }
        ApiError::sender(
            "SerializationException",
            format!("The request body could not be read: {text}"),
        )
    }
}

/// Where a JSON decoding error is, in the spelling of AWS's validation
/// messages: members by name, list elements as `N.member` (1-based).
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut parts: Vec<String> = Vec::new();
    for segment in path.iter() {
        match segment {
            Segment::Map { key } => parts.push(key.clone()),
            Segment::Seq { index } => {
                parts.push((index + 1).to_string());
                parts.push("member".to_owned());
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn head<'a>(method: &'a Method, headers: &'a HeaderMap) -> RequestHead<'a> {
        RequestHead {
            method,
            query: None,
            headers,
        }
    }

    #[test]
    fn json_by_target() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AmazonSSM.GetParameter"),
        );
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        let req = identify(head(&Method::POST, &headers), Bytes::new()).unwrap();
        assert_eq!(req.service, Service::Ssm);
        assert_eq!(req.operation, "GetParameter");
    }

    #[test]
    fn query_by_version() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let body = Bytes::from_static(b"Action=DescribeTargetGroups&Version=2015-12-01");
        let req = identify(head(&Method::POST, &headers), body).unwrap();
        assert_eq!(req.service, Service::Elbv2);
        assert_eq!(req.operation, "DescribeTargetGroups");
    }

    #[test]
    fn unknown_target_prefix_is_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", HeaderValue::from_static("Nope.X"));
        let err = identify(head(&Method::POST, &headers), Bytes::new()).unwrap_err();
        assert_eq!(err.error.code, "UnknownOperationException");
    }

    #[test]
    fn missing_action_is_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let err = identify(
            head(&Method::POST, &headers),
            Bytes::from_static(b"Version=2015-12-01"),
        )
        .unwrap_err();
        assert_eq!(err.error.code, "MissingAction");
        assert_eq!(err.service, Some(Service::Elbv2));
    }
}
