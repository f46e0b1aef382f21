//! The restJson1 protocol (Lambda): an operation is named by its HTTP
//! method and path, and its input members travel in the path, the query
//! string, headers, the JSON body or (for one member) the raw body.
//!
//! Ballast decodes such a request into one JSON object keyed by member
//! names, the same form an awsJson body has, so the generated input types
//! deserialize it with no protocol-specific code; outputs go the other way.
//! The tables that say where each member travels ([`Route`]) are generated
//! from the service model (`ballast-model`), which this crate cannot
//! depend on: they are passed in.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::request::Rejection;
use crate::{ApiError, ApiRequest, Params, Protocol, RequestHead, Service, WireResponse};

/// Where a member of an input or output travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{Label}` (or greedy `{Label+}`) of the path.
    Uri,
    /// A query-string parameter.
    Query,
    /// A header.
    Header,
    /// The whole body (a blob, raw; a structure, as JSON).
    Payload,
    /// The response's HTTP status.
    StatusCode,
}

/// What a bound member holds, so its text in a path, query or header is
/// turned into the JSON value the input type reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Boolean,
    /// Bytes: base64 in JSON; raw as a payload.
    Blob,
    /// A JSON structure (only as a payload).
    Structure,
    /// A list of strings (a repeated query parameter).
    StringList,
}

/// One member bound somewhere other than the JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The member's name in the model (and in the JSON form).
    pub member: &'static str,
    pub location: Location,
    /// The label, query parameter or header name.
    pub name: &'static str,
    pub kind: Kind,
}

/// One operation's HTTP binding, from the model's `http` trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub operation: &'static str,
    pub method: &'static str,
    /// The path template, e.g. `/2015-03-31/functions/{FunctionName}`.
    pub uri: &'static str,
    /// The status a success answers with.
    pub status: u16,
    pub input: &'static [Binding],
    pub output: &'static [Binding],
}

/// Why a request could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestError {
    /// No route has this method and path.
    NoRoute { method: String, path: String },
    /// A member's text is not what its kind needs, or the body is not JSON.
    Serialization(String),
}

impl fmt::Display for RestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestError::NoRoute { method, path } => {
                write!(f, "No operation answers {method} {path}")
            }
            RestError::Serialization(why) => f.write_str(why),
        }
    }
}

/// A path's labels: each label's name and its decoded text.
pub type Labels = Vec<(&'static str, String)>;

/// The route a method and path take, with the path's labels.
pub fn route<'r>(
    routes: &'r [Route],
    method: &Method,
    path: &str,
) -> Result<(&'r Route, Labels), RestError> {
    routes
        .iter()
        .filter(|r| r.method == method.as_str())
        .find_map(|r| labels(r.uri, path).map(|labels| (r, labels)))
        .ok_or_else(|| RestError::NoRoute {
            method: method.to_string(),
            path: path.to_owned(),
        })
}

/// The labels of `path` if it fits `template`. A greedy label (`{Key+}`)
/// takes the rest of the path; any other takes one non-empty segment.
fn labels(template: &'static str, path: &str) -> Option<Labels> {
    let template = template.split('?').next().unwrap_or(template);
    let want: Vec<&'static str> = template.trim_matches('/').split('/').collect();
    let have: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut found = Vec::new();
    for (i, part) in want.iter().enumerate() {
        let label = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
        match label {
            Some(greedy) if greedy.ends_with('+') => {
                let rest = have.get(i..)?.join("/");
                if rest.is_empty() {
                    return None;
                }
                found.push((greedy.trim_end_matches('+'), decode(&rest)?));
                return Some(found);
            }
            Some(name) => {
                let segment = have.get(i).filter(|s| !s.is_empty())?;
                found.push((name, decode(segment)?));
            }
            None if have.get(i) == Some(part) => {}
            None => return None,
        }
    }
    (want.len() == have.len()).then_some(found)
}

fn decode(text: &str) -> Option<String> {
    percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// A request's input as the JSON object awsJson would carry: the body's
/// members, with the path's labels, the query string's and the headers'
/// members added under their member names.
pub fn decode_input(
    route: &Route,
    labels: &[(&'static str, String)],
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<u8>, RestError> {
    let mut object = body_members(route, body)?;
    let query: Vec<(String, String)> = query
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    for binding in route.input {
        let value = match binding.location {
            Location::Uri => labels
                .iter()
                .find(|(name, _)| *name == binding.name)
                .map(|(_, text)| typed(binding, text))
                .transpose()?,
            Location::Query => query_value(binding, &query)?,
            Location::Header => headers
                .get(binding.name)
                .and_then(|v| v.to_str().ok())
                .map(|text| typed(binding, text))
                .transpose()?,
            Location::Payload | Location::StatusCode => None,
        };
        if let Some(value) = value {
            object.insert(binding.member.to_owned(), value);
        }
    }
    serde_json::to_vec(&Value::Object(object))
        .map_err(|e| RestError::Serialization(format!("could not encode the input: {e}")))
}

/// The members the body carries: a payload member takes it whole,
/// otherwise it is a JSON object (an empty body is no members).
fn body_members(route: &Route, body: &[u8]) -> Result<Map<String, Value>, RestError> {
    let payload = route.input.iter().find(|b| b.location == Location::Payload);
    match payload {
        Some(binding) if binding.kind == Kind::Blob => {
            let mut object = Map::new();
            if !body.is_empty() {
                let encoded = base64::engine::general_purpose::STANDARD.encode(body);
                object.insert(binding.member.to_owned(), Value::String(encoded));
            }
            Ok(object)
        }
        Some(binding) => {
            let mut object = Map::new();
            if !body.iter().all(u8::is_ascii_whitespace) {
                object.insert(binding.member.to_owned(), json_body(body)?);
            }
            Ok(object)
        }
        None if body.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        None => match json_body(body)? {
            Value::Object(object) => Ok(object),
            _ => Err(RestError::Serialization(
                "The request body must be a JSON object.".to_owned(),
            )),
        },
    }
}

fn json_body(body: &[u8]) -> Result<Value, RestError> {
    serde_json::from_slice(body)
        .map_err(|e| RestError::Serialization(format!("The request body is not valid JSON: {e}")))
}

fn query_value(binding: &Binding, query: &[(String, String)]) -> Result<Option<Value>, RestError> {
    let mut values = query
        .iter()
        .filter(|(name, _)| name == binding.name)
        .map(|(_, v)| v.as_str());
    if binding.kind == Kind::StringList {
        let list: Vec<Value> = values.map(|v| Value::String(v.to_owned())).collect();
        return Ok((!list.is_empty()).then_some(Value::Array(list)));
    }
    values.next().map(|text| typed(binding, text)).transpose()
}

/// A member's text as the JSON value of its kind.
fn typed(binding: &Binding, text: &str) -> Result<Value, RestError> {
    let wrong = || {
        RestError::Serialization(format!(
            "The value '{text}' of {} is not a valid {:?}.",
            binding.member, binding.kind
        ))
    };
    Ok(match binding.kind {
        Kind::Integer => Value::from(text.trim().parse::<i64>().map_err(|_| wrong())?),
        Kind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong()),
        },
        Kind::String | Kind::Blob | Kind::Structure => Value::String(text.to_owned()),
        Kind::StringList => Value::Array(
            text.split(',')
                .map(|s| Value::String(s.trim().to_owned()))
                .collect(),
        ),
    })
}

/// Identifies a restJson1 request of `service` by its method and path
/// among `routes`, with its members gathered into the JSON form.
pub fn identify(
    service: Service,
    routes: &[Route],
    head: RequestHead<'_>,
    path: &str,
    body: &[u8],
) -> Result<ApiRequest, Rejection> {
    let reject = |error: RestError| Rejection {
        service: Some(service),
        protocol: Protocol::RestJson1,
        error: error.into_api_error(),
    };
    let (route, labels) = route(routes, head.method, path).map_err(reject)?;
    let input = decode_input(route, &labels, head.query, head.headers, body).map_err(reject)?;
    Ok(ApiRequest {
        service,
        operation: route.operation.to_owned(),
        params: Params::Json(Bytes::from(input)),
    })
}

impl RestError {
    /// The error a client is answered with.
    pub fn into_api_error(self) -> ApiError {
        match &self {
            RestError::NoRoute { .. } => {
                ApiError::sender("UnknownOperationException", self.to_string())
                    .with_status(StatusCode::NOT_FOUND)
            }
            RestError::Serialization(_) => {
                ApiError::sender("SerializationException", self.to_string())
            }
        }
    }
}

/// Writes an output (as JSON in member names) for `route`: header members
/// as headers, a `StatusCode` member as the status, a payload member as
/// the body (a blob raw), the rest as a JSON object.
pub fn encode_output(route: &Route, output: Value) -> Result<WireResponse, RestError> {
    let mut object = match output {
        Value::Object(object) => object,
        Value::Null => Map::new(),
        _ => {
            return Err(RestError::Serialization(
                "an output is an object".to_owned(),
            ));
        }
    };
    let mut status = route.status;
    let mut headers = Vec::new();
    let mut payload = None;
    for binding in route.output {
        let Some(value) = object.remove(binding.member) else {
            continue;
        };
        match binding.location {
            Location::Header => headers.push((binding.name, text_of(&value))),
            Location::StatusCode => {
                status = value
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(route.status);
            }
            Location::Payload => payload = Some((binding, value)),
            Location::Uri | Location::Query => {}
        }
    }
    let mut content_type = Protocol::RestJson1.content_type();
    let body = match payload {
        Some((binding, Value::String(encoded))) if binding.kind == Kind::Blob => {
            content_type = "application/octet-stream";
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| RestError::Serialization(format!("a blob payload: {e}")))?
        }
        Some((_, value)) => serde_json::to_vec(&value)
            .map_err(|e| RestError::Serialization(format!("a payload: {e}")))?,
        // An absent payload member is an empty body, as is a 204's.
        None if status == 204 || route.output.iter().any(|b| b.location == Location::Payload) => {
            Vec::new()
        }
        None => serde_json::to_vec(&Value::Object(object))
            .map_err(|e| RestError::Serialization(format!("an output: {e}")))?,
    };
    Ok(WireResponse {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        content_type,
        error_type: None,
        headers,
        body,
    })
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Binding = Binding {
        member: "FunctionName",
        location: Location::Uri,
        name: "FunctionName",
        kind: Kind::String,
    };

    static ROUTES: &[Route] = &[
        Route {
            operation: "ListFunctions",
            method: "GET",
            uri: "/2015-03-31/functions",
            status: 200,
            input: &[Binding {
                member: "MaxItems",
                location: Location::Query,
                name: "MaxItems",
                kind: Kind::Integer,
            }],
            output: &[],
        },
        Route {
            operation: "GetFunction",
            method: "GET",
            uri: "/2015-03-31/functions/{FunctionName}",
            status: 200,
            input: &[NAME],
            output: &[],
        },
        Route {
            operation: "Invoke",
            method: "POST",
            uri: "/2015-03-31/functions/{FunctionName}/invocations",
            status: 200,
            input: &[
                NAME,
                Binding {
                    member: "InvocationType",
                    location: Location::Header,
                    name: "x-amz-invocation-type",
                    kind: Kind::String,
                },
                Binding {
                    member: "Payload",
                    location: Location::Payload,
                    name: "Payload",
                    kind: Kind::Blob,
                },
            ],
            output: &[
                Binding {
                    member: "StatusCode",
                    location: Location::StatusCode,
                    name: "StatusCode",
                    kind: Kind::Integer,
                },
                Binding {
                    member: "FunctionError",
                    location: Location::Header,
                    name: "x-amz-function-error",
                    kind: Kind::String,
                },
                Binding {
                    member: "Payload",
                    location: Location::Payload,
                    name: "Payload",
                    kind: Kind::Blob,
                },
            ],
        },
        Route {
            operation: "GetObject",
            method: "GET",
            uri: "/{Bucket}/{Key+}",
            status: 200,
            input: &[],
            output: &[],
        },
    ];

    fn decoded(method: Method, path: &str, query: Option<&str>, body: &[u8]) -> (String, Value) {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-invocation-type", "Event".parse().expect("a header"));
        let (route, labels) = route(ROUTES, &method, path).expect("a route");
        let input = decode_input(route, &labels, query, &headers, body).expect("decoded");
        (
            route.operation.to_owned(),
            serde_json::from_slice(&input).expect("JSON"),
        )
    }

    #[test]
    fn paths_labels_and_query_members_become_json_members() {
        let (op, input) = decoded(
            Method::GET,
            "/2015-03-31/functions/",
            Some("MaxItems=5"),
            b"",
        );
        assert_eq!(op, "ListFunctions");
        assert_eq!(input, serde_json::json!({"MaxItems": 5}));
        let (op, input) = decoded(Method::GET, "/2015-03-31/functions/my%3Afn", None, b"");
        assert_eq!(op, "GetFunction");
        assert_eq!(input, serde_json::json!({"FunctionName": "my:fn"}));
        let (_, input) = decoded(Method::GET, "/bucket/a/b%20c", None, b"");
        assert_eq!(input, serde_json::json!({}), "no input bindings named");
        assert!(route(ROUTES, &Method::GET, "/bucket/a/b").is_ok(), "greedy");
    }

    #[test]
    fn a_blob_payload_is_the_raw_body_and_headers_are_members() {
        let (op, input) = decoded(
            Method::POST,
            "/2015-03-31/functions/fn/invocations",
            None,
            b"{\"k\":1}",
        );
        assert_eq!(op, "Invoke");
        assert_eq!(input["InvocationType"], "Event");
        assert_eq!(input["Payload"], "eyJrIjoxfQ==");
    }

    #[test]
    fn unknown_paths_and_bad_values_are_refused() {
        assert!(matches!(
            route(ROUTES, &Method::DELETE, "/2015-03-31/functions"),
            Err(RestError::NoRoute { .. })
        ));
        assert!(route(ROUTES, &Method::POST, "/2015-03-31/functions/fn/extra").is_err());
        let (list, labels) = route(ROUTES, &Method::GET, "/2015-03-31/functions").expect("a route");
        let bad = decode_input(list, &labels, Some("MaxItems=ten"), &HeaderMap::new(), b"");
        assert!(matches!(bad, Err(RestError::Serialization(_))));
        let (get, labels) =
            route(ROUTES, &Method::GET, "/2015-03-31/functions/f").expect("a route");
        let not_json = decode_input(get, &labels, None, &HeaderMap::new(), b"{");
        assert!(matches!(not_json, Err(RestError::Serialization(_))));
    }

    #[test]
    fn outputs_split_into_status_headers_and_payload() {
        let invoke = &ROUTES[2];
        let out = encode_output(
            invoke,
            serde_json::json!({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": "eyJrIjoxfQ=="}),
        )
        .expect("encoded");
        assert_eq!(out.status, StatusCode::OK);
        assert_eq!(
            out.headers,
            [("x-amz-function-error", "Unhandled".to_owned())]
        );
        assert_eq!(out.body, b"{\"k\":1}");
        // An Event invoke has no payload: its body is empty.
        let queued =
            encode_output(invoke, serde_json::json!({"StatusCode": 202})).expect("encoded");
        assert_eq!(
            (queued.status, queued.body.len()),
            (StatusCode::ACCEPTED, 0)
        );
        let get = &ROUTES[1];
        let out = encode_output(get, serde_json::json!({"Configuration": {"Timeout": 3}}))
            .expect("encoded");
        assert_eq!(out.body, br#"{"Configuration":{"Timeout":3}}"#);
        let error = crate::encode_error(
            Some(Service::Lambda),
            Protocol::RestJson1,
            "rid",
            &RestError::NoRoute {
                method: "GET".into(),
                path: "/x".into(),
            }
            .into_api_error(),
        );
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(
            error.error_type.as_deref(),
            Some("UnknownOperationException")
        );
        let body: Value = serde_json::from_slice(&error.body).expect("JSON");
        assert_eq!(body["Type"], "User");
    }
}
