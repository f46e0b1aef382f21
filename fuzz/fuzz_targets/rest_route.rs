//! restJson1 requests: a method, a path, a query string, a header and a
//! body built from the input go through `rest::identify` with Lambda's
//! generated routes; what identifies must decode as a JSON object, and
//! every rejection must encode as a non-2xx error.
//!
//! Input layout: byte 0 picks the method; the rest is split on 0xFF into
//! [path, query, x-amz-invocation-type, body].
#![no_main]

use ballast_wire::rest;
use ballast_wire::{Params, Protocol, RequestHead, Service, encode_error};
use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

fuzz_target!(|data: &[u8]| {
    let Some((first, rest_of)) = data.split_first() else {
        return;
    };
    let method: Method = METHODS[usize::from(*first) % METHODS.len()]
        .parse()
        .expect("a method");
    let mut parts = rest_of.splitn(4, |b| *b == 0xFF);
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let header = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(header) {
        headers.insert("x-amz-invocation-type", value);
    }
    let head = RequestHead {
        method: &method,
        query: (!query.is_empty()).then_some(query.as_ref()),
        headers: &headers,
    };
    match rest::identify(Service::Lambda, ballast_model::lambda::ROUTES, head, &path, body) {
        Ok(request) => {
            let Params::Json(json) = request.params else {
                panic!("restJson1 decodes into the JSON form");
            };
            let value: serde_json::Value =
                serde_json::from_slice(&json).expect("the JSON form is JSON");
            assert!(value.is_object());
        }
        Err(rejection) => {
            let response = encode_error(
                rejection.service,
                Protocol::RestJson1,
                "rid",
                &rejection.error,
            );
            assert!(!response.status.is_success());
        }
    }
});
