//! Request identification and decoding: a method, a few headers and a body
//! built from the input go through `identify`, then `decode` into a JSON
//! value and a typed input; every rejection and decode error is encoded with
//! `encode_error`, which must give a non-2xx status, a code, and a body the
//! client can parse.
//!
//! Input layout: byte 0 picks the method, byte 1 the Content-Type, byte 2
//! which optional headers are present; the rest is split on 0xFF into
//! [target, authorization, custom content-type, query string, body] (missing
//! pieces are empty; the body may itself contain 0xFF).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use ballast_wire::request::Rejection;
use ballast_wire::{ApiRequest, RequestHead, encode_error, identify};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Tag {
    key: String,
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Target {
    id: String,
    port: Option<u16>,
}

/// A sample typed input in both spellings: JSON services send
/// `{"Name": …, "Tags": [{"Key": …}]}`, query services `Tags.member.1.Key`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct SampleInput {
    name: String,
    with_decryption: Option<bool>,
    max_results: Option<u16>,
    tags: Option<Vec<Tag>>,
    targets: Option<Vec<Target>>,
    attributes: Option<std::collections::HashMap<String, String>>,
    created: Option<ballast_wire::Timestamp>,
}

const METHODS: [&str; 6] = ["POST", "GET", "PUT", "DELETE", "HEAD", "PATCH"];

const CONTENT_TYPES: [Option<&str>; 8] = [
    Some("application/x-www-form-urlencoded"),
    Some("application/x-www-form-urlencoded; charset=utf-8"),
    Some("application/x-amz-json-1.0"),
    Some("application/x-amz-json-1.1"),
    Some("application/json"),
    Some("text/plain"),
    None,
    None, // custom, from the input
];

const TARGET_PREFIXES: [&str; 4] = ["", "AmazonSSM.", "DynamoDB_20120810.", "Unknown."];

fn check_rejection(rejection: &Rejection) {
    let resp = encode_error(
        rejection.service,
        rejection.protocol,
        "req-1",
        &rejection.error,
    );
    common::check_error_response(
        &resp,
        rejection.protocol,
        &rejection.error.code,
        &rejection.error.message,
        "req-1",
    );
}

fn check_decode<T: serde::de::DeserializeOwned>(req: &ApiRequest) {
    if let Err(error) = req.decode::<T>() {
        let protocol = req.service.protocol();
        let resp = encode_error(Some(req.service), protocol, "req-2", &error);
        common::check_error_response(&resp, protocol, &error.code, &error.message, "req-2");
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (flags, rest) = data.split_at(3);
    let mut pieces = rest.splitn(5, |b| *b == 0xFF);
    let mut next = || pieces.next().unwrap_or(&[]);
    let (target, auth, custom_ctype, query, body) = (next(), next(), next(), next(), next());

    let method = Method::from_bytes(METHODS[flags[0] as usize % METHODS.len()].as_bytes()).unwrap();
    let mut headers = HeaderMap::new();
    let ctype_index = flags[1] as usize % CONTENT_TYPES.len();
    let ctype: Option<&[u8]> = match CONTENT_TYPES[ctype_index] {
        Some(c) => Some(c.as_bytes()),
        None if ctype_index == CONTENT_TYPES.len() - 1 => Some(custom_ctype),
        None => None,
    };
    if let Some(value) = ctype.and_then(|c| HeaderValue::from_bytes(c).ok()) {
        headers.insert(http::header::CONTENT_TYPE, value);
    }
    if flags[2] & 1 != 0 {
        let prefix = TARGET_PREFIXES[(flags[2] >> 2) as usize % TARGET_PREFIXES.len()];
        let mut value = prefix.as_bytes().to_vec();
        value.extend_from_slice(target);
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.insert("x-amz-target", value);
        }
    }
    if flags[2] & 2 != 0 {
        let value = if flags[2] & 0x10 != 0 {
            // A well-formed header around the input's scope service.
            let service = String::from_utf8_lossy(auth);
            format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={}",
                "0".repeat(64)
            )
            .into_bytes()
        } else {
            auth.to_vec()
        };
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.insert(http::header::AUTHORIZATION, value);
        }
    }
    let query = std::str::from_utf8(query).ok();
    let head = RequestHead {
        method: &method,
        query,
        headers: &headers,
    };

    match identify(head, Bytes::copy_from_slice(body)) {
        Ok(req) => {
            assert!(req.service.protocol().is_json() || !req.operation.is_empty());
            check_decode::<serde_json::Value>(&req);
            check_decode::<SampleInput>(&req);
            check_decode::<Vec<Tag>>(&req);
        }
        Err(rejection) => check_rejection(&rejection),
    }
});
