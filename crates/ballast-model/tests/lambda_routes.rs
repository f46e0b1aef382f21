//! Lambda's restJson1 bindings as the generator writes them: requests as
//! the AWS SDKs send them (members in the path, the query string, headers,
//! the JSON body or the raw body) decode into the generated inputs, and
//! outputs split into status, headers and body.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ballast_model::Blob;
use ballast_model::lambda::{
    self, CreateFunctionInput, GetFunctionInput, InvocationType, InvokeInput, InvokeOutput,
    ListFunctionsInput, LogType, RemovePermissionInput, Runtime,
};
use ballast_wire::rest::{self, Location, RestError};
use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;

fn decode<T: DeserializeOwned>(
    method: Method,
    path_and_query: &str,
    headers: &[(&'static str, &str)],
    body: &[u8],
) -> (&'static str, T) {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    let (route, labels) = rest::route(lambda::ROUTES, &method, path).unwrap();
    let json = rest::decode_input(route, &labels, query, &map, body).unwrap();
    (route.operation, serde_json::from_slice(&json).unwrap())
}

#[test]
fn every_listed_operation_has_a_route_and_every_label_a_member() {
    for op in lambda::OPERATIONS {
        let route = lambda::ROUTES
            .iter()
            .find(|r| r.operation == *op)
            .unwrap_or_else(|| panic!("{op} has no route"));
        for label in route.uri.split('/').filter(|s| s.starts_with('{')) {
            let label = label.trim_matches(['{', '}', '+']);
            assert!(
                route
                    .input
                    .iter()
                    .any(|b| b.location == Location::Uri && b.name == label),
                "{op}: {label}"
            );
        }
    }
}

#[test]
fn create_function_reads_its_json_body() {
    let body = br#"{"FunctionName":"attach","Runtime":"python3.12","Role":"arn:aws:iam::000000000000:role/attach","Handler":"index.handler","Code":{"ZipFile":"UEsDBA=="},"Timeout":30}"#;
    let (op, input): (_, CreateFunctionInput) =
        decode(Method::POST, "/2015-03-31/functions", &[], body);
    assert_eq!(op, "CreateFunction");
    assert_eq!(input.function_name, "attach");
    assert_eq!(input.runtime, Some(Runtime::Python312));
    assert_eq!(input.timeout, Some(30));
    assert_eq!(input.code.zip_file, Some(Blob(b"PK\x03\x04".to_vec())));
}

#[test]
fn labels_and_query_members_are_read() {
    let (op, input): (_, GetFunctionInput) = decode(
        Method::GET,
        "/2015-03-31/functions/attach?Qualifier=%24LATEST",
        &[],
        b"",
    );
    assert_eq!(op, "GetFunction");
    assert_eq!(input.function_name, "attach");
    assert_eq!(input.qualifier.as_deref(), Some("$LATEST"));
    let (op, input): (_, ListFunctionsInput) = decode(
        Method::GET,
        "/2015-03-31/functions/?MaxItems=2&Marker=abc",
        &[],
        b"",
    );
    assert_eq!(op, "ListFunctions");
    assert_eq!(input.max_items, Some(2));
    assert_eq!(input.marker.as_deref(), Some("abc"));
    let (op, input): (_, RemovePermissionInput) = decode(
        Method::DELETE,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aattach/policy/events-invoke",
        &[],
        b"",
    );
    assert_eq!(op, "RemovePermission");
    assert_eq!(
        input.function_name,
        "arn:aws:lambda:us-east-1:000000000000:function:attach"
    );
    assert_eq!(input.statement_id, "events-invoke");
}

#[test]
fn invoke_takes_headers_and_a_raw_payload_and_answers_the_same_way() {
    let (op, input): (_, InvokeInput) = decode(
        Method::POST,
        "/2015-03-31/functions/attach/invocations",
        &[
            ("x-amz-invocation-type", "Event"),
            ("x-amz-log-type", "Tail"),
        ],
        br#"{"detail":{"EC2InstanceId":"i-1"}}"#,
    );
    assert_eq!(op, "Invoke");
    assert_eq!(input.invocation_type, Some(InvocationType::Event));
    assert_eq!(input.log_type, Some(LogType::Tail));
    assert_eq!(
        input.payload,
        Some(Blob(br#"{"detail":{"EC2InstanceId":"i-1"}}"#.to_vec()))
    );

    let invoke = lambda::ROUTES
        .iter()
        .find(|r| r.operation == "Invoke")
        .unwrap();
    let output = InvokeOutput {
        status_code: Some(200),
        function_error: Some("Unhandled".to_owned()),
        log_result: Some("bG9n".to_owned()),
        payload: Some(Blob(br#"{"errorMessage":"boom"}"#.to_vec())),
        executed_version: Some("$LATEST".to_owned()),
        durable_execution_arn: None,
    };
    let response = rest::encode_output(invoke, serde_json::to_value(&output).unwrap()).unwrap();
    assert_eq!(response.status, 200);
    assert!(
        response
            .headers
            .contains(&("x-amz-function-error", "Unhandled".to_owned()))
    );
    assert!(
        response
            .headers
            .contains(&("x-amz-executed-version", "$LATEST".to_owned()))
    );
    assert_eq!(response.body, br#"{"errorMessage":"boom"}"#);
}

#[test]
fn a_path_no_operation_has_is_refused() {
    assert!(matches!(
        rest::route(
            lambda::ROUTES,
            &Method::PATCH,
            "/2015-03-31/functions/attach"
        ),
        Err(RestError::NoRoute { .. })
    ));
}
