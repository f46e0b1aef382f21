//! Deterministic robustness sweep over the wire layer: ~20k random and
//! mutated inputs (awsQuery/ec2Query bodies, awsJson bodies, Authorization
//! headers, header combinations, signed requests) go through `parse_form`,
//! `from_node`, `identify`, `decode`, `parse_authorization`, `verify` and
//! `encode_error`. Nothing may panic, and every error must map to a non-2xx
//! status with a non-empty code and an envelope its client can parse.
//!
//! The seed is fixed, so a failure reproduces exactly; the failing inputs
//! are printed (shortest first). The coverage-guided version of this lives in
//! `fuzz/` (see `scripts/fuzz`).

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant, SystemTime};

use ballast_wire::query::{from_node, parse_form};
use ballast_wire::request::Rejection;
use ballast_wire::sigv4::{AuthError, Secret, SignedRequest, parse_authorization, verify};
use ballast_wire::{ApiError, Protocol, RequestHead, Service, encode_error, identify};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

const SEED: u64 = 0xBA11_A570_2015_1201;

/// Any single input taking longer than this is reported as a probable loop.
const SLOW: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------- shapes

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Target {
    id: String,
    port: Option<u16>,
    availability_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Tag {
    key: String,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum TargetType {
    #[serde(rename = "instance")]
    Instance,
    #[serde(rename = "ip")]
    Ip,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct CreateTargetGroup {
    name: String,
    protocol: Option<String>,
    port: Option<u16>,
    health_check_enabled: Option<bool>,
    target_type: Option<TargetType>,
    targets: Option<Vec<Target>>,
    tags: Option<Vec<Tag>>,
    attributes: Option<HashMap<String, String>>,
    names: Option<Vec<String>>,
    created: Option<ballast_wire::Timestamp>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct DescribeInstances {
    #[serde(rename = "InstanceId", default)]
    instance_ids: Vec<String>,
    #[serde(rename = "Filter")]
    filters: Option<Vec<Filter>>,
    #[serde(rename = "MaxResults")]
    max_results: Option<i32>,
    #[serde(rename = "DryRun")]
    dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Filter {
    name: String,
    #[serde(rename = "Value")]
    values: Vec<String>,
}

/// JSON-side sample (`GetParameter`/`PutItem`-like).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct JsonInput {
    name: String,
    with_decryption: Option<bool>,
    max_results: Option<u16>,
    tags: Option<Vec<Tag>>,
    attributes: Option<HashMap<String, String>>,
    created: Option<ballast_wire::Timestamp>,
}

// ---------------------------------------------------------------- corpus

const QUERY_SEEDS: &[&str] = &[
    "Action=CreateTargetGroup&Version=2015-12-01&Name=x&Targets.member.1.Id=a&Targets.member.1.Port=80",
    "Action=RegisterTargets&Version=2015-12-01&Name=tg&Targets.member.2.Id=b&Targets.member.1.Id=a&Targets.member.1.Port=80&Targets.member.10.Id=c&TargetType=ip&HealthCheckEnabled=True",
    "Action=AddTags&Version=2015-12-01&Name=n&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2",
    "Action=ModifyTargetGroupAttributes&Version=2015-12-01&Name=n&Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=b&Attributes.entry.2.value=2",
    "Action=DescribeTargetGroups&Version=2015-12-01&Name=n&Names=&Names.member.1=a&Created=2024-05-01T12%3A00%3A00.123Z",
    "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2&Filter.1.Name=tag%3AName&Filter.1.Value.1=web&MaxResults=5&DryRun=false",
    "Action=CreateAutoScalingGroup&Version=2011-01-01&Name=asg&Targets.item.1.Id=x",
    "Action=GetCallerIdentity&Version=2011-06-15",
    "Action=CreateRole&Version=2010-05-08&Name=r&Tags.member.1.Key=a+b&Tags.member.1.Value=%E2%9C%93",
];

const JSON_SEEDS: &[&str] = &[
    r#"{"Name":"/app/db","WithDecryption":true,"MaxResults":10}"#,
    r#"{"Name":"x","Tags":[{"Key":"k","Value":"v"},{"Key":"k2"}],"Attributes":{"a":"1"}}"#,
    r#"{"Name":"x","Created":1714564800.5}"#,
    r#"{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"}},"Name":"n"}"#,
    "{}",
    "",
];

const AUTH_SEEDS: &[&str] = &[
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "AWS4-HMAC-SHA256 Credential=AKID/20240501/eu-west-3/elasticloadbalancing/aws4_request,SignedHeaders=host;x-amz-date,Signature=FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210",
    "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/ec2/aws4_request, SignedHeaders=, Signature=0000000000000000000000000000000000000000000000000000000000000000",
];

/// Tokens spliced into inputs by the mutator.
const TOKENS: &[&str] = &[
    "&",
    "=",
    ".",
    "..",
    "%",
    "%2",
    "%zz",
    "%00",
    "%FF",
    "%0D",
    "+",
    ".member.",
    ".member.1",
    ".item.",
    ".entry.1.key=",
    ".entry.1.value=",
    ".1",
    ".0",
    ".4294967296",
    ".-1",
    "member",
    "item",
    "entry",
    "Action=",
    "Version=",
    "Version=2015-12-01",
    "Version=2016-11-15",
    "Version=1999-01-01",
    "Name=",
    "Port=",
    "Port=65536",
    "Port=-1",
    "Port=http",
    "true",
    "TRUE",
    "maybe",
    "1e309",
    "NaN",
    "9999999999999999999999",
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "[[[[[[[[",
    "{\"a\":",
    "\\u0000",
    "\\ud800",
    "/",
    ";",
    "Credential=",
    "SignedHeaders=",
    "Signature=",
    "aws4_request",
    "AWS4-HMAC-SHA256",
    " ",
    "\t",
    "\u{e9}",
    "\u{1F600}",
];

const SEGMENTS: &[&str] = &[
    "Targets",
    "member",
    "item",
    "entry",
    "key",
    "value",
    "1",
    "2",
    "10",
    "0",
    "01",
    "+1",
    "4294967296",
    "Id",
    "Port",
    "Name",
    "Tags",
    "Key",
    "Value",
    "Action",
    "Version",
    "Attributes",
    "Filter",
    "InstanceId",
    "Names",
    "TargetType",
    "Created",
    "x",
    "",
];

const VALUES: &[&str] = &[
    "",
    "1",
    "80",
    "-1",
    "65536",
    "true",
    "False",
    "x",
    "a%26b",
    "%FF",
    "+",
    "1e3",
    "ip",
    "lambda",
    "2015-12-01",
    "2016-11-15",
    "2011-01-01",
    "2024-05-01T12:00:00Z",
    "1714564800",
    "%0D%0A",
    "CreateTargetGroup",
];

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/x-www-form-urlencoded"),
    Some("application/x-www-form-urlencoded; charset=utf-8"),
    Some("application/x-amz-json-1.0"),
    Some("application/x-amz-json-1.1"),
    Some("application/json"),
    Some("text/plain"),
    Some(""),
    Some("application/x-amz-json-1.0; application/x-www-form-urlencoded"),
    None,
];

const TARGETS: &[Option<&str>] = &[
    None,
    Some("AmazonSSM.GetParameter"),
    Some("DynamoDB_20120810.PutItem"),
    Some("AmazonSSM."),
    Some("AmazonSSM"),
    Some("DynamoDB_20120810"),
    Some("Nope.GetParameter"),
    Some(""),
    Some("."),
];

const METHODS: &[&str] = &["POST", "GET", "PUT", "DELETE", "HEAD"];

// ---------------------------------------------------------------- generators

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.random_range(0..=max);
    (0..len).map(|_| rng.random()).collect()
}

fn random_ascii(rng: &mut StdRng, max: usize) -> String {
    let len = rng.random_range(0..=max);
    (0..len)
        .map(|_| rng.random_range(0x20u8..0x7f) as char)
        .collect()
}

/// libFuzzer-style havoc: 1–4 random edits.
fn mutate(rng: &mut StdRng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        match rng.random_range(0..10) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] = rng.random();
            }
            2 => {
                let i = rng.random_range(0..=len);
                out.insert(i, pick(rng, b"%&=.+\0\xff\r\n;,/ 0123456789"));
            }
            3 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 16));
                out.drain(start..end);
            }
            4 | 5 => {
                let i = rng.random_range(0..=len);
                let token = pick(rng, TOKENS).as_bytes();
                out.splice(i..i, token.iter().copied());
            }
            6 if len > 0 => {
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 12));
                let token = pick(rng, TOKENS).as_bytes();
                out.splice(start..end, token.iter().copied());
            }
            7 if len > 0 => {
                // Duplicate a chunk elsewhere (repeats parameters).
                let start = rng.random_range(0..len);
                let end = rng.random_range(start..=len.min(start + 40));
                let chunk = out[start..end].to_vec();
                let at = rng.random_range(0..=len);
                out.splice(at..at, chunk);
            }
            8 if len > 0 => out.truncate(rng.random_range(0..len)),
            _ => {
                let i = rng.random_range(0..=len);
                let b: u8 = rng.random();
                out.insert(i, b);
            }
        }
    }
    out
}

/// A form body built from plausible dotted names and values.
fn random_form(rng: &mut StdRng) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..rng.random_range(0..12) {
        if i > 0 {
            out.push('&');
        }
        let depth = rng.random_range(1..=5);
        let key: Vec<&str> = (0..depth).map(|_| pick(rng, SEGMENTS)).collect();
        out.push_str(&key.join("."));
        if rng.random_bool(0.95) {
            out.push('=');
            if rng.random_bool(0.1) {
                out.push_str(&random_ascii(rng, 8));
            } else {
                out.push_str(pick(rng, VALUES));
            }
        }
    }
    out.into_bytes()
}

fn random_json(rng: &mut StdRng, depth: u32) -> serde_json::Value {
    use serde_json::Value;
    const KEYS: &[&str] = &[
        "Name",
        "Tags",
        "Key",
        "Value",
        "MaxResults",
        "WithDecryption",
        "Attributes",
        "Created",
        "x",
        "",
    ];
    let choice = if depth >= 4 {
        rng.random_range(0..5)
    } else {
        rng.random_range(0..7)
    };
    match choice {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => match rng.random_range(0..4) {
            0 => Value::from(rng.random::<i64>()),
            1 => Value::from(rng.random::<u16>()),
            2 => Value::from(rng.random::<f64>() * 1e10),
            _ => Value::from(-1),
        },
        3 => Value::String(random_ascii(rng, 10)),
        4 => Value::String(pick(rng, VALUES).to_string()),
        5 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.random_range(0..5))
                .map(|_| (pick(rng, KEYS).to_string(), random_json(rng, depth + 1)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------- checks

/// An error must be a client or server error with a code, and its envelope
/// must parse as JSON or XML and carry that code.
fn check_error(service: Option<Service>, protocol: Protocol, error: &ApiError) {
    assert!(
        error.status.is_client_error() || error.status.is_server_error(),
        "{} mapped to status {}",
        error.code,
        error.status
    );
    assert!(!error.code.is_empty(), "empty error code: {error:?}");
    let resp = encode_error(service, protocol, "rid-1", error);
    assert_eq!(resp.status, error.status);
    assert_eq!(resp.content_type, protocol.content_type());
    if protocol.is_json() {
        assert_eq!(resp.error_type.as_deref(), Some(&*error.code));
        let body: serde_json::Value = serde_json::from_slice(&resp.body)
            .unwrap_or_else(|e| panic!("JSON error body does not parse ({e}): {:?}", resp.body));
        let ty = body["__type"].as_str().expect("__type");
        assert!(
            ty.ends_with(&*error.code),
            "__type {ty:?} for {}",
            error.code
        );
        assert_eq!(body["message"].as_str(), Some(error.message.as_str()));
    } else {
        let body = std::str::from_utf8(&resp.body).expect("XML error body is not UTF-8");
        let code = xml_leaf(body, "Code")
            .unwrap_or_else(|e| panic!("XML error body does not parse ({e}): {body:?}"));
        assert_eq!(code.as_deref(), Some(&*error.code), "code in {body:?}");
    }
}

/// Reads `xml` with quick-xml (checking well-formedness as far as it does)
/// and returns the unescaped text of the first `<name>` element.
fn xml_leaf(xml: &str, name: &str) -> Result<Option<String>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    let mut inside = false;
    let mut found: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(s) => {
                depth += 1;
                inside = found.is_none() && s.name().as_ref() == name.as_bytes();
                if inside {
                    found = Some(String::new());
                }
            }
            Event::End(_) => {
                depth = depth.checked_sub(1).ok_or("unbalanced end tag")?;
                inside = false;
            }
            Event::Text(t) if inside => {
                found
                    .as_mut()
                    .unwrap()
                    .push_str(&t.decode().map_err(|e| e.to_string())?);
            }
            Event::GeneralRef(r) if inside => {
                let text = found.as_mut().unwrap();
                match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => text.push(c),
                    None => {
                        let entity = r.decode().map_err(|e| e.to_string())?;
                        text.push_str(
                            quick_xml::escape::resolve_xml_entity(&entity)
                                .ok_or_else(|| format!("unknown entity {entity}"))?,
                        );
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unclosed element".into());
    }
    Ok(found)
}

fn check_rejection(rejection: &Rejection) {
    check_error(rejection.service, rejection.protocol, &rejection.error);
}

fn check_auth_error(error: &AuthError) {
    for protocol in [
        Protocol::AwsQuery,
        Protocol::Ec2Query,
        Protocol::AwsJson10,
        Protocol::AwsJson11,
    ] {
        check_error(None, protocol, &error.to_api_error(protocol));
    }
}

fn decode_form(body: &[u8]) {
    match parse_form(body) {
        Ok(node) => {
            for result in [
                from_node::<CreateTargetGroup>(&node).err(),
                from_node::<DescribeInstances>(&node).err(),
                from_node::<serde_json::Value>(&node).err(),
                from_node::<HashMap<String, String>>(&node).err(),
                from_node::<Vec<Target>>(&node).err(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(!result.to_string().is_empty());
            }
            if let Some(targets) = node.get("Targets") {
                let _ = from_node::<Vec<Target>>(targets);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

struct Request {
    method: &'static str,
    content_type: Option<Vec<u8>>,
    target: Option<Vec<u8>>,
    authorization: Option<Vec<u8>>,
    query: Option<String>,
    body: Vec<u8>,
}

impl Request {
    fn form(body: Vec<u8>) -> Self {
        Request {
            method: "POST",
            content_type: Some(b"application/x-www-form-urlencoded".to_vec()),
            target: None,
            authorization: None,
            query: None,
            body,
        }
    }
}

fn run_identify(req: &Request) {
    let method = Method::from_bytes(req.method.as_bytes()).unwrap();
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &Option<Vec<u8>>| {
        if let Some(v) = value.as_ref().and_then(|v| HeaderValue::from_bytes(v).ok()) {
            headers.insert(name, v);
        }
    };
    put("content-type", &req.content_type);
    put("x-amz-target", &req.target);
    put("authorization", &req.authorization);
    let head = RequestHead {
        method: &method,
        query: req.query.as_deref(),
        headers: &headers,
    };
    match identify(head, Bytes::copy_from_slice(&req.body)) {
        Ok(api) => {
            let protocol = api.service.protocol();
            assert!(protocol.is_json() || !api.operation.is_empty());
            for result in [
                api.decode::<serde_json::Value>().err(),
                api.decode::<CreateTargetGroup>().err(),
                api.decode::<DescribeInstances>().err(),
                api.decode::<JsonInput>().err(),
            ]
            .into_iter()
            .flatten()
            {
                check_error(Some(api.service), protocol, &result);
            }
        }
        Err(rejection) => check_rejection(&rejection),
    }
}

// ---------------------------------------------------------------- SigV4

const NOW_SECS: u64 = 1_714_564_800; // 2024-05-01T12:00:00Z

fn lookup(akid: &str) -> Option<Secret> {
    (akid == "AKIDEXAMPLE").then(|| Secret {
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    })
}

/// Headers of a request signed the way an SDK signs it.
fn signed(body: &[u8], target: &str, skew: i64) -> HeaderMap {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS.saturating_add_signed(skew));
    let identity = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    )
    .into();
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
        ("host", "localhost:4566"),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target),
    ];
    let req = SignableRequest::new(
        "POST",
        "http://localhost:4566/",
        base.iter().copied(),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(req, &params).unwrap().into_parts();
    let mut headers = HeaderMap::new();
    for (k, v) in base.iter().copied().chain(instructions.headers()) {
        headers.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    headers
}

fn run_verify(headers: &HeaderMap, body: &[u8]) -> Result<(), AuthError> {
    let request = SignedRequest {
        method: "POST",
        path_and_query: "/",
        headers,
        body,
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS);
    verify(request, lookup, now)
        .map(|_| ())
        .inspect_err(check_auth_error)
}

// ---------------------------------------------------------------- driver

/// Runs `case` under `catch_unwind`, recording the input if it panics or is slow.
fn guard(failures: &mut Vec<String>, describe: impl Fn() -> String, case: impl FnOnce()) {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(case));
    let elapsed = start.elapsed();
    if let Err(panic) = result {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        failures.push(format!("{}\n    panicked: {message}", describe()));
    } else if elapsed > SLOW {
        failures.push(format!("{}\n    took {elapsed:?}", describe()));
    }
}

fn report(failures: &mut [String], what: &str, cases: usize) {
    if failures.is_empty() {
        return;
    }
    failures.sort_by_key(String::len);
    panic!(
        "{} of {cases} {what} inputs failed; shortest first:\n{}",
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn query_inputs_never_panic() {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut failures = Vec::new();
    let cases = 7_000;
    for i in 0..cases {
        let body = match i % 10 {
            0..=5 => {
                let seed = pick(&mut rng, QUERY_SEEDS);
                mutate(&mut rng, seed.as_bytes())
            }
            6 | 7 => random_form(&mut rng),
            8 => {
                let form = random_form(&mut rng);
                mutate(&mut rng, &form)
            }
            _ => random_bytes(&mut rng, 64),
        };
        let mut req = Request::form(body.clone());
        if i % 4 == 0 {
            // The same parameters as a GET query string.
            req.method = "GET";
            req.query = Some(String::from_utf8_lossy(&body).into_owned());
            req.body = Vec::new();
        }
        if i % 7 == 0 {
            let scope = pick(&mut rng, &["ec2", "iam", "ssm", "sts", "x"]);
            req.authorization = Some(
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/{scope}/aws4_request, SignedHeaders=host, Signature={}",
                    "a".repeat(64)
                )
                .into_bytes(),
            );
        }
        guard(
            &mut failures,
            || format!("form body {:?}", String::from_utf8_lossy(&body)),
            || {
                decode_form(&body);
                run_identify(&req);
            },
        );
    }
    report(&mut failures, "query", cases);
}

#[test]
fn json_inputs_never_panic() {
    let mut rng = StdRng::seed_from_u64(SEED ^ 1);
    let mut failures = Vec::new();
    let cases = 5_000;
    for i in 0..cases {
        let body = match i % 4 {
            0 | 1 => {
                let seed = pick(&mut rng, JSON_SEEDS);
                mutate(&mut rng, seed.as_bytes())
            }
            2 => serde_json::to_vec(&random_json(&mut rng, 0)).unwrap(),
            _ => {
                let json = serde_json::to_vec(&random_json(&mut rng, 0)).unwrap();
                mutate(&mut rng, &json)
            }
        };
        let target = if i % 2 == 0 {
            "AmazonSSM.GetParameter"
        } else {
            "DynamoDB_20120810.PutItem"
        };
        let content_type = if i % 2 == 0 {
            "application/x-amz-json-1.1"
        } else {
            "application/x-amz-json-1.0"
        };
        let req = Request {
            method: "POST",
            content_type: Some(content_type.as_bytes().to_vec()),
            target: Some(target.as_bytes().to_vec()),
            authorization: None,
            query: None,
            body: body.clone(),
        };
        guard(
            &mut failures,
            || {
                format!(
                    "JSON body {:?} for {target}",
                    String::from_utf8_lossy(&body)
                )
            },
            || run_identify(&req),
        );
    }
    report(&mut failures, "JSON", cases);
}

#[test]
fn header_combinations_never_panic() {
    let mut rng = StdRng::seed_from_u64(SEED ^ 2);
    let mut failures = Vec::new();
    let cases = 2_000;
    for _ in 0..cases {
        let bytes_or = |rng: &mut StdRng, v: Option<&str>| -> Option<Vec<u8>> {
            match rng.random_range(0..6) {
                0 => v.map(|s| mutate(rng, s.as_bytes())),
                1 => Some(random_bytes(rng, 24)),
                _ => v.map(|s| s.as_bytes().to_vec()),
            }
        };
        let ct = pick(&mut rng, CONTENT_TYPES);
        let target = pick(&mut rng, TARGETS);
        let auth = rng.random_bool(0.3).then(|| pick(&mut rng, AUTH_SEEDS));
        let req = Request {
            method: pick(&mut rng, METHODS),
            content_type: bytes_or(&mut rng, ct),
            target: bytes_or(&mut rng, target),
            authorization: bytes_or(&mut rng, auth),
            query: rng
                .random_bool(0.5)
                .then(|| String::from_utf8_lossy(&random_form(&mut rng)).into_owned()),
            body: if rng.random_bool(0.5) {
                pick(&mut rng, QUERY_SEEDS).as_bytes().to_vec()
            } else {
                pick(&mut rng, JSON_SEEDS).as_bytes().to_vec()
            },
        };
        guard(
            &mut failures,
            || {
                format!(
                    "{} content-type={:?} target={:?} authorization={:?} query={:?} body={:?}",
                    req.method,
                    req.content_type.as_deref().map(String::from_utf8_lossy),
                    req.target.as_deref().map(String::from_utf8_lossy),
                    req.authorization.as_deref().map(String::from_utf8_lossy),
                    req.query,
                    String::from_utf8_lossy(&req.body)
                )
            },
            || run_identify(&req),
        );
    }
    report(&mut failures, "header", cases);
}

#[test]
fn authorization_headers_never_panic() {
    let mut rng = StdRng::seed_from_u64(SEED ^ 3);
    let mut failures = Vec::new();
    let cases = 4_000;
    for i in 0..cases {
        let raw = match i % 5 {
            0..=2 => {
                let seed = pick(&mut rng, AUTH_SEEDS);
                mutate(&mut rng, seed.as_bytes())
            }
            3 => random_bytes(&mut rng, 80),
            _ => format!("AWS4-HMAC-SHA256 {}", random_ascii(&mut rng, 60)).into_bytes(),
        };
        let text = String::from_utf8_lossy(&raw).into_owned();
        guard(
            &mut failures,
            || format!("authorization {text:?}"),
            || {
                match parse_authorization(&text) {
                    Ok(auth) => {
                        assert_eq!(auth.signature.len(), 64);
                        assert_eq!(auth.date.len(), 8);
                        assert!(!auth.access_key_id.is_empty());
                    }
                    Err(e) => check_auth_error(&e),
                }
                // Through a query request (scope routing) and verify().
                if let Ok(value) = HeaderValue::from_bytes(&raw) {
                    let mut req = Request::form(b"Action=DescribeTargetGroups".to_vec());
                    req.authorization = Some(raw.clone());
                    run_identify(&req);
                    let mut headers = HeaderMap::new();
                    headers.insert(http::header::AUTHORIZATION, value);
                    headers.insert("x-amz-date", HeaderValue::from_static("20240501T120000Z"));
                    headers.insert(http::header::HOST, HeaderValue::from_static("localhost"));
                    assert!(run_verify(&headers, b"{}").is_err());
                }
            },
        );
    }
    report(&mut failures, "authorization", cases);
}

#[test]
fn mutated_signed_requests_never_panic() {
    let mut rng = StdRng::seed_from_u64(SEED ^ 4);
    let mut failures = Vec::new();
    let cases = 1_000;
    let mut accepted = 0;
    for i in 0..cases {
        let body = pick(&mut rng, JSON_SEEDS).as_bytes().to_vec();
        let skew = if i % 10 == 0 {
            rng.random_range(-3_600..3_600)
        } else {
            0
        };
        let mut headers = signed(&body, "AmazonSSM.GetParameter", skew);
        let mut body_sent = body.clone();
        let untouched = i % 5 == 0;
        if !untouched {
            let which = pick(
                &mut rng,
                &[
                    "authorization",
                    "x-amz-date",
                    "x-amz-target",
                    "content-type",
                    "host",
                    "body",
                ],
            );
            if which == "body" {
                body_sent = mutate(&mut rng, &body);
            } else {
                let old = headers.get(which).unwrap().as_bytes().to_vec();
                match HeaderValue::from_bytes(&mutate(&mut rng, &old)) {
                    Ok(v) => {
                        headers.insert(which, v);
                    }
                    Err(_) => {
                        headers.remove(which);
                    }
                }
            }
        }
        let headers_dbg = format!("{headers:?}");
        let body_dbg = String::from_utf8_lossy(&body_sent).into_owned();
        guard(
            &mut failures,
            || format!("signed request headers={headers_dbg} body={body_dbg:?}"),
            || {
                let result = run_verify(&headers, &body_sent);
                if untouched && skew.unsigned_abs() <= 900 {
                    assert_eq!(result, Ok(()), "an untouched signed request was rejected");
                    accepted += 1;
                }
            },
        );
    }
    report(&mut failures, "signed-request", cases);
    assert!(
        accepted > 0,
        "no request verified; the sweep is not reaching the signature check"
    );
}

#[test]
fn limits_are_errors_not_panics() {
    // One more than MAX_FIELDS, one more than MAX_DEPTH, a deep JSON body.
    let many: Vec<String> = (0..=ballast_wire::query::form::MAX_FIELDS)
        .map(|i| format!("A{i}=1"))
        .collect();
    assert!(parse_form(many.join("&").as_bytes()).is_err());
    let deep = vec!["a"; ballast_wire::query::form::MAX_DEPTH + 1].join(".") + "=1";
    assert!(parse_form(deep.as_bytes()).is_err());
    let nested = ["Targets.member"; 8].join(".") + ".1.Id=x";
    decode_form(nested.as_bytes());
    let json = "[".repeat(10_000) + &"]".repeat(10_000);
    let req = Request {
        method: "POST",
        content_type: Some(b"application/x-amz-json-1.1".to_vec()),
        target: Some(b"AmazonSSM.GetParameter".to_vec()),
        authorization: None,
        query: None,
        body: json.into_bytes(),
    };
    run_identify(&req);
}
