//! Listener rules: conditions, priorities, and matching a request.

use serde::{Deserialize, Serialize};

use super::listener::Action;
use super::{Error, invalid};

/// A non-default listener rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub arn: String,
    pub listener_arn: String,
    /// 1–50000; lower numbers are evaluated first.
    pub priority: u32,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

/// One rule condition; every condition of a rule must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// Any of the patterns matches the path (case-sensitive; `*`, `?`).
    PathPattern(Vec<String>),
    /// Any of the patterns matches the host (case-insensitive).
    HostHeader(Vec<String>),
    /// Any of the patterns matches a value of the header.
    HttpHeader { name: String, values: Vec<String> },
    /// The method is one of these (exact, case-sensitive).
    HttpRequestMethod(Vec<String>),
    /// Any key/value pair matches a query parameter; a missing key matches
    /// any key.
    QueryString(Vec<(Option<String>, String)>),
}

/// What rule matching needs to know about a request.
pub struct RequestView<'a> {
    pub host: &'a str,
    pub path: &'a str,
    pub method: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
}

/// The most values one condition may list.
const MAX_VALUES: usize = 5;

impl Condition {
    /// Checks the condition's patterns.
    pub fn validate(&self) -> Result<(), Error> {
        let (count, longest) = match self {
            Condition::PathPattern(v)
            | Condition::HostHeader(v)
            | Condition::HttpRequestMethod(v) => {
                (v.len(), v.iter().map(String::len).max().unwrap_or(0))
            }
            Condition::HttpHeader { name, values } => {
                if name.is_empty() || name.len() > 40 {
                    return Err(invalid(
                        "HTTP header condition names must be 1 to 40 characters",
                    ));
                }
                (
                    values.len(),
                    values.iter().map(String::len).max().unwrap_or(0),
                )
            }
            Condition::QueryString(pairs) => (
                pairs.len(),
                pairs
                    .iter()
                    .map(|(k, v)| k.as_ref().map_or(0, String::len).max(v.len()))
                    .max()
                    .unwrap_or(0),
            ),
        };
        if count == 0 {
            return Err(invalid("A condition must specify at least one value"));
        }
        if count > MAX_VALUES {
            return Err(invalid(format!(
                "A condition can specify at most {MAX_VALUES} values"
            )));
        }
        if longest > 128 {
            return Err(invalid("Condition values must be at most 128 characters"));
        }
        if let Condition::HttpRequestMethod(methods) = self {
            let ok = methods.iter().all(|m| {
                !m.is_empty()
                    && m.bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
            });
            if !ok {
                return Err(invalid(
                    "HTTP request methods must be upper-case letters, '-' or '_'",
                ));
            }
        }
        Ok(())
    }

    /// Whether a request satisfies this condition.
    pub fn matches(&self, request: &RequestView<'_>) -> bool {
        match self {
            Condition::PathPattern(patterns) => patterns
                .iter()
                .any(|p| wildcard(p.as_bytes(), request.path.as_bytes(), false)),
            Condition::HostHeader(patterns) => {
                let host = request.host.split(':').next().unwrap_or(request.host);
                patterns
                    .iter()
                    .any(|p| wildcard(p.as_bytes(), host.as_bytes(), true))
            }
            Condition::HttpHeader { name, values } => request
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|actual| {
                    values
                        .iter()
                        .any(|p| wildcard(p.as_bytes(), actual.as_bytes(), true))
                }),
            Condition::HttpRequestMethod(methods) => methods.iter().any(|m| m == request.method),
            Condition::QueryString(pairs) => {
                let query = request.query.unwrap_or("");
                let params: Vec<(String, String)> = form_pairs(query);
                pairs.iter().any(|(key, value)| {
                    params.iter().any(|(k, v)| {
                        key.as_ref()
                            .is_none_or(|key| wildcard(key.as_bytes(), k.as_bytes(), true))
                            && wildcard(value.as_bytes(), v.as_bytes(), true)
                    })
                })
            }
        }
    }
}

/// Splits a query string into decoded pairs.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Glob matching with `*` (any run) and `?` (one byte), iteratively with
/// backtracking to the last star, so patterns cannot blow up.
fn wildcard(pattern: &[u8], text: &[u8], ignore_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len()
            && (pattern[p] == b'?' || (pattern[p] != b'*' && eq(pattern[p], text[t])))
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// The first rule (by priority) whose conditions all match, else `None`
/// (the listener's default actions apply).
pub fn first_match<'r>(rules: &'r [Rule], request: &RequestView<'_>) -> Option<&'r Rule> {
    rules
        .iter()
        .filter(|r| r.conditions.iter().all(|c| c.matches(request)))
        .min_by_key(|r| r.priority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        headers: &'a http::HeaderMap,
        path: &'a str,
        query: Option<&'a str>,
    ) -> RequestView<'a> {
        RequestView {
            host: "api.example.test:8080",
            path,
            method: "GET",
            query,
            headers,
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"/api/*", b"/api/v1/x", false));
        assert!(!wildcard(b"/api/*", b"/API/v1", false));
        assert!(wildcard(b"*.example.test", b"API.example.test", true));
        assert!(wildcard(b"/a?c", b"/abc", false));
        assert!(!wildcard(b"/a?c", b"/abbc", false));
        assert!(wildcard(b"*", b"", false));
        assert!(wildcard(b"*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaaab", false));
    }

    #[test]
    fn conditions_match_requests() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-canary", http::HeaderValue::from_static("yes"));
        let req = view(&headers, "/api/users", Some("version=2&debug"));
        assert!(Condition::PathPattern(vec!["/api/*".into()]).matches(&req));
        assert!(Condition::HostHeader(vec!["api.example.test".into()]).matches(&req));
        assert!(
            Condition::HttpHeader {
                name: "X-Canary".into(),
                values: vec!["y*".into()]
            }
            .matches(&req)
        );
        assert!(Condition::HttpRequestMethod(vec!["GET".into()]).matches(&req));
        assert!(!Condition::HttpRequestMethod(vec!["POST".into()]).matches(&req));
        assert!(Condition::QueryString(vec![(Some("version".into()), "2".into())]).matches(&req));
        assert!(Condition::QueryString(vec![(None, "2".into())]).matches(&req));
        assert!(!Condition::QueryString(vec![(Some("version".into()), "3".into())]).matches(&req));
    }

    #[test]
    fn lowest_priority_wins() {
        let rule = |priority, path: &str| Rule {
            arn: format!("r{priority}"),
            listener_arn: "l".into(),
            priority,
            conditions: vec![Condition::PathPattern(vec![path.into()])],
            actions: vec![],
        };
        let rules = vec![
            rule(20, "/api/*"),
            rule(10, "/api/users"),
            rule(5, "/other"),
        ];
        let headers = http::HeaderMap::new();
        let req = view(&headers, "/api/users", None);
        assert_eq!(first_match(&rules, &req).map(|r| r.priority), Some(10));
        let req = view(&headers, "/nothing", None);
        assert!(first_match(&rules, &req).is_none());
    }

    #[test]
    fn percent_decoding_is_lenient() {
        assert_eq!(percent_decode("a%20b+c%zz%"), "a b c%zz%");
    }
}
