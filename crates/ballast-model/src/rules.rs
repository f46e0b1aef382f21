//! The model's constraints, checked: what generated `Validate` impls call.
//!
//! Each check appends a [`Violation`] naming the member the way AWS does
//! (`name`, `parameterFilters.1.member.key`), showing the value the way
//! AWS's Java services print it, and wording the constraint as they do.
//! The message around the violations is written in one place,
//! [`ballast_wire::ApiError::invalid`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ballast_wire::{Shown, Timestamp, Violation};

/// A type whose values the model constrains. Inputs and every structure
/// they reach implement it; `validate` runs before a handler.
pub trait Validate {
    /// Appends to `out` every constraint this value breaks; `at` is its
    /// path in the request (empty at the top).
    fn check(&self, at: &str, out: &mut Vec<Violation>);

    /// What the input requires, for reporting every missing member at once
    /// before decoding ([`crate::required`]).
    fn required() -> &'static crate::Required
    where
        Self: Sized,
    {
        &crate::Required::NOTHING
    }

    /// Every constraint a whole input breaks, in member order.
    fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut out = Vec::new();
        self.check("", &mut out);
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// How AWS prints a value in a validation message (Java's `toString`):
/// strings bare, lists `[a, b]`, structures `Tag(key=a, value=b)`.
pub trait Echo {
    fn echo(&self, out: &mut String);

    fn echoed(&self) -> String {
        let mut out = String::new();
        self.echo(&mut out);
        out
    }
}

/// A model enum as validation sees it.
pub trait ModelEnum {
    fn values() -> &'static [&'static str];
    fn is_known(&self) -> bool;
    fn wire(&self) -> &str;
}

/// A member's `pattern`, compiled on first use. The model's patterns are
/// Java regular expressions matched against the whole value, so `\w` and
/// `\d` keep Java's ASCII meaning (see [`java_classes`]); one that the
/// `regex` crate cannot compile (look-around) is not checked.
pub struct Pattern {
    text: &'static str,
    compiled: OnceLock<Option<Compiled>>,
}

/// A pattern as `regex` checks it.
#[derive(Debug)]
struct Compiled {
    regex: regex::Regex,
    /// The model's `(?!\s*$)` ("not blank") lookahead, which `regex` has no
    /// syntax for, checked apart from the rest of the pattern.
    not_blank: bool,
}

/// The one lookahead AWS's models use: the value is not only whitespace.
const NOT_BLANK: &str = r"(?!\s*$)";

impl Pattern {
    pub const fn new(text: &'static str) -> Self {
        Pattern {
            text,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as the model writes it (and AWS's message shows it).
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// Whether `regex` can check this pattern.
    pub fn compiles(&self) -> bool {
        self.compiled().is_some()
    }

    fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| {
                let not_blank = self.text.contains(NOT_BLANK);
                let text = self.text.replace(NOT_BLANK, "");
                let regex = regex::Regex::new(&format!("^(?:{})$", java_classes(&text))).ok()?;
                Some(Compiled { regex, not_blank })
            })
            .as_ref()
    }

    pub fn matches(&self, value: &str) -> bool {
        self.compiled().is_none_or(|c| {
            // Java's `\s`: space, tab, newline, vertical tab, form feed, return.
            let blank = value
                .chars()
                .all(|ch| matches!(ch, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r'));
            c.regex.is_match(value) && !(c.not_blank && blank)
        })
    }
}

/// Rewrites the shorthand classes whose meaning differs between Java and
/// `regex`: Java's `\w` is `[a-zA-Z_0-9]` and `\d` is `[0-9]`, where
/// `regex` makes both Unicode-aware (IAM's `[\w+=,.@-]+` refuses `é`).
/// Inside a class the ranges are spliced in without brackets.
fn java_classes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_class = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('w' | 'd')) => {
                    let ranges = if e == 'w' { "a-zA-Z_0-9" } else { "0-9" };
                    if in_class {
                        out.push_str(ranges);
                    } else {
                        out.push('[');
                        out.push_str(ranges);
                        out.push(']');
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// `at` followed by `member` (`parameterFilters.1.member` + `key`).
pub fn path(at: &str, member: &str) -> String {
    if at.is_empty() {
        member.to_owned()
    } else {
        format!("{at}.{member}")
    }
}

/// The path of a list's `index`th element (0-based): `names.1`, to which
/// the element's own checks add `member`.
pub fn element(at: &str, member: &str, index: usize) -> String {
    format!("{}.{}", path(at, member), index + 1)
}

fn push(out: &mut Vec<Violation>, at: &str, member: &str, value: Shown, constraint: String) {
    out.push(Violation {
        at: path(at, member),
        value,
        constraint,
    });
}

fn shown(value: &dyn Echo, sensitive: bool) -> Shown {
    if sensitive {
        Shown::Hidden
    } else {
        Shown::Value(value.echoed())
    }
}

/// Java's `String.length()`: UTF-16 code units.
fn java_length(value: &str) -> usize {
    value.encode_utf16().count()
}

/// A string's length bounds and pattern; the first one broken is reported.
#[allow(clippy::too_many_arguments)]
pub fn string(
    out: &mut Vec<Violation>,
    at: &str,
    member: &str,
    value: &str,
    sensitive: bool,
    min: Option<usize>,
    max: Option<usize>,
    pattern: Option<&Pattern>,
) {
    let show = || {
        if sensitive {
            Shown::Hidden
        } else {
            Shown::Value(value.to_owned())
        }
    };
    let len = java_length(value);
    if let Some(min) = min.filter(|&m| len < m) {
        let c = format!("Member must have length greater than or equal to {min}");
        return push(out, at, member, show(), c);
    }
    if let Some(max) = max.filter(|&m| len > m) {
        let c = format!("Member must have length less than or equal to {max}");
        return push(out, at, member, show(), c);
    }
    if let Some(pattern) = pattern.filter(|p| !p.matches(value)) {
        let c = format!(
            "Member must satisfy regular expression pattern: {}",
            pattern.text()
        );
        push(out, at, member, show(), c);
    }
}

/// Whether a string keeps its length bounds and pattern (a map key's or
/// value's, reported by [`map_entries`]).
pub fn string_fits(
    value: &str,
    min: Option<usize>,
    max: Option<usize>,
    pattern: Option<&Pattern>,
) -> bool {
    let len = java_length(value);
    min.is_none_or(|m| len >= m)
        && max.is_none_or(|m| len <= m)
        && pattern.is_none_or(|p| p.matches(value))
}

/// Whether a number (or a list's or map's size) is within its bounds.
pub fn fits(value: i64, min: Option<i64>, max: Option<i64>) -> bool {
    min.is_none_or(|m| value >= m) && max.is_none_or(|m| value <= m)
}

/// The path of a map's entry `key`: `requestItems.orders`, to which the
/// value's own checks add `member`.
pub fn entry(at: &str, member: &str, key: &str) -> String {
    format!("{}.{key}", path(at, member))
}

/// A map's keys (`what` = "Map keys") or values ("Map value") against
/// their bounds: unless all `fit`, one violation for the map, listing every
/// bound, as AWS words it ("Map value must satisfy constraint: [Member
/// must have length less than or equal to 25, Member must have length
/// greater than or equal to 1]").
#[allow(clippy::too_many_arguments)]
pub fn map_entries(
    out: &mut Vec<Violation>,
    at: &str,
    member: &str,
    value: &dyn Echo,
    sensitive: bool,
    what: &str,
    bounds: &[&str],
    fit: bool,
) {
    if fit {
        return;
    }
    let c = format!("{what} must satisfy constraint: [{}]", bounds.join(", "));
    push(out, at, member, shown(value, sensitive), c);
}

/// A list's or map's size bounds.
#[allow(clippy::too_many_arguments)]
pub fn length(
    out: &mut Vec<Violation>,
    at: &str,
    member: &str,
    value: &dyn Echo,
    len: usize,
    sensitive: bool,
    min: Option<usize>,
    max: Option<usize>,
) {
    if let Some(min) = min.filter(|&m| len < m) {
        let c = format!("Member must have length greater than or equal to {min}");
        push(out, at, member, shown(value, sensitive), c);
    } else if let Some(max) = max.filter(|&m| len > m) {
        let c = format!("Member must have length less than or equal to {max}");
        push(out, at, member, shown(value, sensitive), c);
    }
}

/// An integer's or long's range.
pub fn integer(
    out: &mut Vec<Violation>,
    at: &str,
    member: &str,
    value: i64,
    min: Option<i64>,
    max: Option<i64>,
) {
    let show = || Shown::Value(value.to_string());
    if let Some(min) = min.filter(|&m| value < m) {
        let c = format!("Member must have value greater than or equal to {min}");
        push(out, at, member, show(), c);
    } else if let Some(max) = max.filter(|&m| value > m) {
        let c = format!("Member must have value less than or equal to {max}");
        push(out, at, member, show(), c);
    }
}

/// A double's or float's range.
pub fn number(
    out: &mut Vec<Violation>,
    at: &str,
    member: &str,
    value: f64,
    min: Option<f64>,
    max: Option<f64>,
) {
    let show = || Shown::Value(format!("{value}"));
    if let Some(min) = min.filter(|&m| value < m) {
        let c = format!("Member must have value greater than or equal to {min}");
        push(out, at, member, show(), c);
    } else if let Some(max) = max.filter(|&m| value > m) {
        let c = format!("Member must have value less than or equal to {max}");
        push(out, at, member, show(), c);
    }
}

/// An enum member holds one of the model's values.
pub fn one_of<E: ModelEnum>(
    out: &mut Vec<Violation>,
    at: &str,
    member: &str,
    value: &E,
    sensitive: bool,
) {
    if !value.is_known() {
        let value = if sensitive {
            Shown::Hidden
        } else {
            Shown::Value(value.wire().to_owned())
        };
        let c = format!(
            "Member must satisfy enum value set: [{}]",
            E::values().join(", ")
        );
        push(out, at, member, value, c);
    }
}

/// Writes `Name(member=value, …)`.
pub fn echo_struct(out: &mut String, name: &str, members: &[(&str, &dyn Echo)]) {
    out.push_str(name);
    out.push('(');
    for (i, (member, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(member);
        out.push('=');
        value.echo(out);
    }
    out.push(')');
}

/// What a sensitive member shows inside an echoed structure.
pub struct Redacted;

impl Echo for Redacted {
    fn echo(&self, out: &mut String) {
        out.push_str("*** Sensitive Data Redacted ***");
    }
}

impl Echo for String {
    fn echo(&self, out: &mut String) {
        out.push_str(self);
    }
}

macro_rules! echo_display {
    ($($t:ty),*) => {$(
        impl Echo for $t {
            fn echo(&self, out: &mut String) {
                out.push_str(&self.to_string());
            }
        }
    )*};
}

echo_display!(i32, i64, f32, f64, bool);

impl Echo for Timestamp {
    fn echo(&self, out: &mut String) {
        out.push_str(&self.to_iso8601());
    }
}

impl<T: Echo> Echo for Option<T> {
    fn echo(&self, out: &mut String) {
        match self {
            Some(v) => v.echo(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Echo + ?Sized> Echo for Box<T> {
    fn echo(&self, out: &mut String) {
        (**self).echo(out);
    }
}

impl<T: Echo> Echo for Vec<T> {
    fn echo(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            v.echo(out);
        }
        out.push(']');
    }
}

impl<K: Echo, V: Echo> Echo for BTreeMap<K, V> {
    fn echo(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            k.echo(out);
            out.push('=');
            v.echo(out);
        }
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_values() {
        static P: Pattern = Pattern::new("tag:.+|Name|Type");
        assert!(P.matches("Name"));
        assert!(P.matches("tag:x"));
        assert!(!P.matches("Names"));
        assert!(!P.matches("Bogus"));
    }

    #[test]
    fn the_not_blank_lookahead_is_checked() {
        static ALARM: Pattern = Pattern::new(r"^(?!\s*$).+");
        assert!(ALARM.compiles());
        assert!(ALARM.matches("cpu high"));
        assert!(!ALARM.matches("   "));
        assert!(!ALARM.matches(""));
    }

    #[test]
    fn shorthand_classes_are_ascii_as_in_java() {
        static NAME: Pattern = Pattern::new(r"[\w+=,.@-]+");
        assert!(NAME.matches("web-role_1+=,.@"));
        assert!(!NAME.matches("rôle"));
        assert!(!NAME.matches("has space"));
        static DIGITS: Pattern = Pattern::new(r"v\d+");
        assert!(DIGITS.matches("v12"));
        assert!(!DIGITS.matches("v١"));
        assert_eq!(java_classes(r"\\w[^\d]\p{L}"), r"\\w[^0-9]\p{L}");
    }

    #[test]
    fn first_broken_string_constraint_is_reported() {
        static P: Pattern = Pattern::new("[a-z]+");
        let mut out = Vec::new();
        string(&mut out, "", "name", "", false, Some(1), Some(3), Some(&P));
        string(
            &mut out,
            "f.1.member",
            "key",
            "abcd",
            false,
            Some(1),
            Some(3),
            Some(&P),
        );
        string(
            &mut out,
            "",
            "value",
            "AB",
            true,
            Some(1),
            Some(3),
            Some(&P),
        );
        let messages: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "Value 'abcd' at 'f.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 3",
                "Value at 'value' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+",
            ]
        );
    }

    #[test]
    fn lists_echo_as_java_does() {
        let mut out = Vec::new();
        let names = vec!["a".to_owned(), "b".to_owned()];
        length(
            &mut out,
            "",
            "names",
            &names,
            names.len(),
            false,
            None,
            Some(1),
        );
        assert_eq!(
            out[0].to_string(),
            "Value '[a, b]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 1"
        );
    }

    #[test]
    fn map_entries_list_every_bound() {
        let mut requests = BTreeMap::new();
        requests.insert("orders".to_owned(), vec!["a".to_owned()]);
        assert!(fits(25, Some(1), Some(25)));
        assert!(!fits(26, Some(1), Some(25)));
        static NAME: Pattern = Pattern::new("[a-z]+");
        assert!(string_fits("abc", Some(3), None, Some(&NAME)));
        assert!(!string_fits("ab", Some(3), None, Some(&NAME)));
        assert!(!string_fits("ab1", None, None, Some(&NAME)));
        let mut out = Vec::new();
        map_entries(
            &mut out,
            "",
            "requestItems",
            &requests,
            false,
            "Map value",
            &[
                "Member must have length less than or equal to 25",
                "Member must have length greater than or equal to 1",
            ],
            false,
        );
        assert_eq!(
            out[0].to_string(),
            "Value '{orders=[a]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
        );
        assert_eq!(entry("", "requestItems", "orders"), "requestItems.orders");
    }

    #[test]
    fn numbers_print_without_a_fraction() {
        let mut out = Vec::new();
        integer(&mut out, "", "maxResults", 51, Some(1), Some(50));
        assert_eq!(
            out[0].to_string(),
            "Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"
        );
    }
}
