//! JSONPath as AWS's services read it.
//!
//! EventBridge's `InputPath` and input transformers, and Automation's
//! selectors, take Jayway-style paths, where a dotted member name may hold
//! characters RFC 9535's shorthand does not (`$.detail.instance-id`, the
//! path every EC2 state-change example uses). `serde_json_path` follows
//! the RFC, so such a member is rewritten in the bracket form the RFC
//! takes (`$.detail['instance-id']`) before parsing; everything else is
//! passed through as written.

use serde_json_path::{JsonPath, ParseError};

/// Parses `path`, taking dotted member names with any character but `.`,
/// `[` and whitespace.
pub fn parse(path: &str) -> Result<JsonPath, ParseError> {
    JsonPath::parse(&bracket_loose_names(path))
}

/// `path` with each `.name` that the RFC's shorthand would refuse written
/// as `['name']`. Brackets (and the quoted names inside them) are copied
/// untouched.
fn bracket_loose_names(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let mut chars = path.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '[' => {
                let end = bracket_end(path, at);
                out.push_str(&path[at..end]);
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
            }
            // `..` (descendants) keeps its dots; a name follows the last.
            '.' if chars.peek().is_some_and(|&(_, next)| next != '.') => {
                let start = at + 1;
                let end = path[start..]
                    .find(|c: char| c == '.' || c == '[' || c.is_whitespace())
                    .map_or(path.len(), |n| start + n);
                let name = &path[start..end];
                if name == "*" || name.chars().all(is_shorthand) {
                    out.push('.');
                    out.push_str(name);
                } else {
                    out.push_str("['");
                    for c in name.chars() {
                        if matches!(c, '\'' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push_str("']");
                }
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether the RFC's member-name shorthand takes `c`.
fn is_shorthand(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || !c.is_ascii()
}

/// Where the bracket opened at `open` ends (just past its `]`), skipping
/// quoted text; the end of `path` when it never closes (the parser then
/// says what is wrong).
fn bracket_end(path: &str, open: usize) -> usize {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in path[open..].char_indices() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ']') => return open + i + 1,
            _ => {}
        }
    }
    path.len()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(path: &str, document: &serde_json::Value) -> Option<serde_json::Value> {
        parse(path)
            .expect("a path")
            .query(document)
            .exactly_one()
            .ok()
            .cloned()
    }

    #[test]
    fn dotted_names_may_hold_hyphens() {
        let event = json!({
            "detail-type": "EC2 Instance State-change Notification",
            "detail": {"instance-id": "i-1", "state": "running"},
            "resources": ["arn:1"],
        });
        assert_eq!(one("$.detail.instance-id", &event), Some(json!("i-1")));
        assert_eq!(
            one("$.detail-type", &event),
            Some(json!("EC2 Instance State-change Notification"))
        );
        assert_eq!(one("$.detail.state", &event), Some(json!("running")));
        assert_eq!(one("$.resources[0]", &event), Some(json!("arn:1")));
        assert_eq!(
            one("$['detail-type']", &event),
            one("$.detail-type", &event)
        );
        assert_eq!(one("$..state", &event), Some(json!("running")));
    }

    #[test]
    fn rfc_paths_pass_through_unchanged() {
        for path in [
            "$",
            "$.a.b",
            "$..x",
            "$.a[0].b",
            "$.a[*]",
            "$.a.*",
            "$['a.b']",
            "$[\"it's\"]",
            "$.a[?@.b == 'x.y']",
        ] {
            assert_eq!(bracket_loose_names(path), path);
        }
    }

    #[test]
    fn odd_names_are_quoted_safely() {
        assert_eq!(bracket_loose_names("$.a-b"), "$['a-b']");
        assert_eq!(bracket_loose_names("$.it's-x"), "$['it\\'s-x']");
        assert!(parse("$.it's-x").is_ok());
        assert!(
            parse("$.a[").is_err(),
            "an unclosed bracket is still refused"
        );
    }
}
