//! The string a SigV4 signature covers, built from a request as received.
//!
//! `aws-sigv4` is a signer: to check a signature with it, the server has to
//! rebuild the request as a client would (a URI parsed from a string, a
//! header map, credentials behind an `Arc`, the date formatted back from a
//! parsed time) and let it compute headers it then throws away. That cost
//! about 15 µs of every request's 100–140. This module writes the canonical
//! request straight from the received parts into one buffer, following the
//! same rules as `aws-sigv4` (path normalisation and double encoding,
//! form-decoded and re-encoded query, trimmed header values), and keeps
//! `aws-sigv4` for the keyed hashing (`generate_signing_key`,
//! `calculate_signature`). Tests and the `sigv4` fuzz target check every
//! request `aws-sigv4`'s client signs against this code.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::AuthError;

/// What is percent-encoded in canonical query keys and values: everything
/// but the unreserved characters of RFC 3986 (the set `aws-smithy-http`
/// uses for query strings).
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The canonical path: the query set, but `/` stays.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// The parts of a request a signature covers.
pub(super) struct Canonical<'a> {
    pub method: &'a str,
    /// Path and query exactly as received.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    /// The names in `SignedHeaders`, sorted.
    pub signed_headers: &'a [&'a str],
    pub body: &'a [u8],
}

impl Canonical<'_> {
    /// Writes the canonical request into `out`. A signed header the request
    /// does not carry (or carries only in bytes that are not text) cannot
    /// have been signed as received: [`AuthError::Mismatch`].
    pub fn write(&self, out: &mut String) -> Result<(), AuthError> {
        let (path, query) = match self.path_and_query.split_once('?') {
            Some((path, query)) => (path, query),
            None => (self.path_and_query, ""),
        };
        out.push_str(self.method);
        out.push('\n');
        out.extend(utf8_percent_encode(&normalize_path(path), PATH_SET));
        out.push('\n');
        write_query(out, query);
        out.push('\n');
        for name in self.signed_headers {
            push_lowercase(out, name);
            out.push(':');
            // Several values of one name are joined with `,`.
            let mut values = self
                .headers
                .get_all(*name)
                .iter()
                .filter_map(|v| v.to_str().ok());
            push_trimmed(out, values.next().ok_or(AuthError::Mismatch)?);
            for value in values {
                out.push(',');
                push_trimmed(out, value);
            }
            out.push('\n');
        }
        out.push('\n');
        for (i, name) in self.signed_headers.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            push_lowercase(out, name);
        }
        out.push('\n');
        push_hex(out, &Sha256::digest(self.body));
        Ok(())
    }
}

/// Writes SigV4's string to sign for a canonical request.
pub(super) fn string_to_sign(
    out: &mut String,
    amz_date: &str,
    scope: &str,
    canonical_request: &str,
) {
    out.push_str("AWS4-HMAC-SHA256\n");
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    push_hex(out, &Sha256::digest(canonical_request.as_bytes()));
}

/// Removes `.` and `..` segments and empty segments, as `aws-sigv4` does
/// for every service but S3.
fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.is_empty() {
        return Cow::Borrowed("/");
    }
    if path.starts_with('/') && !path.contains('.') && !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    let ends_with_slash = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|end| path.ends_with(end));
    if normalized.is_empty() || (ends_with_slash && !normalized.ends_with('/')) {
        normalized.push('/');
    }
    Cow::Owned(normalized)
}

/// The query's parameters form-decoded, encoded again, sorted and joined.
fn write_query(out: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, QUERY_SET).to_string(),
                utf8_percent_encode(&v, QUERY_SET).to_string(),
            )
        })
        .collect();
    params.sort_unstable();
    for (i, (key, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

fn push_lowercase(out: &mut String, name: &str) {
    out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
}

/// A header value without leading or trailing spaces and with runs of
/// spaces collapsed to one (spaces only, as `aws-sigv4` does).
fn push_trimmed(out: &mut String, value: &str) {
    let mut previous_space = false;
    for c in value.trim_matches(' ').chars() {
        if c == ' ' && previous_space {
            continue;
        }
        previous_space = c == ' ';
        out.push(c);
    }
}

/// Lowercase hex, as SigV4 writes digests.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_like_aws_sigv4() {
        for (path, expected) in [
            ("", "/"),
            ("/", "/"),
            ("/a/b", "/a/b"),
            ("/a//b", "/a/b"),
            ("/a/./b/", "/a/b/"),
            ("/a/../b", "/b"),
            ("/..", "/"),
            ("/a/..", "/"),
            ("/a/b/..", "/a/"),
            ("/a.b/c", "/a.b/c"),
        ] {
            assert_eq!(normalize_path(path), expected, "{path:?}");
        }
    }

    #[test]
    fn the_query_is_decoded_encoded_and_sorted() {
        let mut out = String::new();
        write_query(&mut out, "b=2&a=x+y&a=%2F&c");
        assert_eq!(out, "a=%2F&a=x%20y&b=2&c=");
    }

    #[test]
    fn header_values_are_trimmed_and_spaces_collapsed() {
        let mut out = String::new();
        push_trimmed(&mut out, "  a   b c  ");
        assert_eq!(out, "a b c");
    }
}
