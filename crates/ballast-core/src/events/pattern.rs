//! EventBridge event patterns: parsing an `EventPattern` the way `PutRule`
//! and `TestEventPattern` validate it, and deciding whether an event
//! matches it.
//!
//! A pattern mirrors the event's JSON structure. Objects in the pattern
//! descend into the event; every field a pattern names must match (AND),
//! fields it does not name are ignored. Each leaf is an array of
//! alternatives (OR): plain values compared exactly, or one-key filter
//! objects (`prefix`, `suffix`, `equals-ignore-case`, `wildcard`,
//! `anything-but`, `numeric`, `exists`, `cidr`). `"$or": [{..}, {..}]`
//! adds alternative sets of fields at any object level.
//!
//! Validation follows the rule compiler AWS uses (and has published as
//! Event Ruler), so the reasons in [`PatternError`] read like AWS's. The
//! choices worth knowing:
//!
//! - **Empty pattern.** `{}` is rejected, at the top level and anywhere
//!   else, with "Empty objects are not allowed", as AWS does; so is an
//!   empty leaf array ("Empty arrays are not allowed").
//! - **null and missing.** `[null]` matches a field whose value is JSON
//!   `null` and nothing else: not a missing field, not `""`. `[""]`
//!   matches only the empty string. Only `{"exists": false}` matches a
//!   missing field.
//! - **Leaves only.** A field "exists" when it holds at least one leaf
//!   value (a string, number, boolean or null, directly or inside an
//!   array). A field holding an object or an empty array does not exist
//!   for `exists`, as in AWS.
//! - **Arrays in events.** A leaf matches if any element of the event's
//!   array matches; a nested pattern object matches if any one object in
//!   the event's array matches all of it (fields from different elements
//!   are never combined).
//! - **Numbers** compare by value (`300` matches `3.0e2`); integers that
//!   both fit 64 bits compare exactly. AWS's magnitude limit on `numeric`
//!   operands is not enforced.
//! - **`$or` and siblings.** A field named both beside `$or` and inside an
//!   alternative must satisfy both.
//! - **Depth.** Object nesting beyond [`MAX_DEPTH`] is refused, so a
//!   hostile pattern cannot exhaust the stack while parsing or matching.
//!   (JSON nested past 128 levels never gets that far: serde_json
//!   refuses it, so it reads "Invalid JSON".) Arrays in events are
//!   flattened without recursion.

use std::net::IpAddr;

use serde_json::{Map, Number, Value};

/// The deepest a pattern's objects (counting `$or` alternatives) may nest.
pub const MAX_DEPTH: usize = 100;

/// The key that introduces alternatives in a pattern object.
const OR_KEY: &str = "$or";

/// Field names AWS refuses inside `$or` alternatives: they are filter
/// keywords (some reserved for the future), and allowing them there would
/// make a misplaced filter look like a field.
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// Why an EventPattern was refused. The `Display` text is the message
/// AWS returns with `InvalidEventPatternException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("Event pattern is not valid. Reason: Invalid JSON")]
    InvalidJson,
    #[error("Event pattern is not valid. Reason: Filter is not an object")]
    NotAnObject,
    #[error("Event pattern is not valid. Reason: Empty objects are not allowed")]
    EmptyObject,
    #[error("Event pattern is not valid. Reason: Empty arrays are not allowed")]
    EmptyArray,
    /// A field's value is a scalar; AWS wants an array of values or an
    /// object to descend into.
    #[error("Event pattern is not valid. Reason: \"{0}\" must be an object or an array")]
    NotObjectOrArray(String),
    /// A leaf array holds an array.
    #[error(
        "Event pattern is not valid. Reason: Match value must be String, number, true, false, or null"
    )]
    BadMatchValue,
    #[error("Event pattern is not valid. Reason: Match expression name not found")]
    NoMatchExpression,
    #[error("Event pattern is not valid. Reason: Only one key allowed in match expression")]
    TooManyKeys,
    #[error("Event pattern is not valid. Reason: Unrecognized match type {0}")]
    UnknownMatchType(String),
    /// The operand of `prefix`, `suffix`, `equals-ignore-case`, `wildcard`
    /// or `cidr` is not a string.
    #[error("Event pattern is not valid. Reason: {0} match pattern must be a string")]
    NotAString(String),
    #[error(
        "Event pattern is not valid. Reason: exists match pattern must be either true or false."
    )]
    BadExists,
    /// A malformed `numeric` filter; the reason says which part.
    #[error("Event pattern is not valid. Reason: {0}")]
    BadNumeric(String),
    /// A malformed `anything-but` filter.
    #[error("Event pattern is not valid. Reason: {0}")]
    BadAnythingBut(String),
    /// A malformed `wildcard` operand (`**`, or `\` before anything but
    /// `*` or `\`).
    #[error("Event pattern is not valid. Reason: {0}")]
    BadWildcard(String),
    #[error("Event pattern is not valid. Reason: Malformed CIDR: {0}")]
    BadCidr(String),
    /// A malformed `$or`.
    #[error("Event pattern is not valid. Reason: {0}")]
    BadOr(String),
    #[error(
        "Event pattern is not valid. Reason: {0} is Ruler reserved fieldName which cannot be used inside $or."
    )]
    ReservedInOr(String),
    #[error(
        "Event pattern is not valid. Reason: Filter is nested more than {depth} levels deep",
        depth = MAX_DEPTH
    )]
    TooDeep,
}

/// A parsed EventPattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    root: ObjectPattern,
}

impl Pattern {
    /// Parses an EventPattern (JSON text) as PutRule/TestEventPattern
    /// receive it, refusing what AWS refuses so a rule that works here
    /// also deploys there.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let value: Value = serde_json::from_str(text).map_err(|_| PatternError::InvalidJson)?;
        let Value::Object(fields) = value else {
            return Err(PatternError::NotAnObject);
        };
        let root = ObjectPattern::parse(&fields, 1, false)?;
        Ok(Pattern { root })
    }

    /// Whether `event` (the full event envelope as JSON: version, id,
    /// detail-type, source, account, time, region, resources, detail)
    /// matches.
    pub fn matches(&self, event: &Value) -> bool {
        self.root.matches_at(Some(event))
    }
}

/// One object level of a pattern: fields that must all match, and the
/// alternatives of a `$or` of which one must match too.
#[derive(Debug, Clone, PartialEq)]
struct ObjectPattern {
    fields: Vec<(String, FieldPattern)>,
    any_of: Vec<ObjectPattern>,
}

/// What a pattern says about one field.
#[derive(Debug, Clone, PartialEq)]
enum FieldPattern {
    /// Descend: the field's value must match this object pattern.
    Object(ObjectPattern),
    /// A leaf: one of these must match one of the field's values.
    Leaf(Vec<Matcher>),
}

impl ObjectPattern {
    /// `depth` counts this object; `in_or` is whether it sits inside a
    /// `$or` alternative, where filter keywords may not name fields.
    fn parse(
        fields: &Map<String, Value>,
        depth: usize,
        in_or: bool,
    ) -> Result<ObjectPattern, PatternError> {
        if depth > MAX_DEPTH {
            return Err(PatternError::TooDeep);
        }
        if fields.is_empty() {
            return Err(PatternError::EmptyObject);
        }
        let mut parsed = ObjectPattern {
            fields: Vec::with_capacity(fields.len()),
            any_of: Vec::new(),
        };
        for (name, value) in fields {
            if name == OR_KEY {
                parsed.any_of = parse_or(value, depth)?;
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&name.as_str()) {
                return Err(PatternError::ReservedInOr(name.clone()));
            }
            let field = FieldPattern::parse(name, value, depth, in_or)?;
            parsed.fields.push((name.clone(), field));
        }
        Ok(parsed)
    }

    /// Matches against the event value found at this level (`None` when
    /// the event has no such field). An array offers each object in it,
    /// and one must match on its own; with no object at all, every field
    /// is absent, which only `{"exists": false}` accepts.
    fn matches_at(&self, value: Option<&Value>) -> bool {
        let objects: Vec<&Map<String, Value>> = elements(value)
            .into_iter()
            .filter_map(Value::as_object)
            .collect();
        if objects.is_empty() {
            return self.matches_object(&Map::new());
        }
        objects
            .into_iter()
            .any(|object| self.matches_object(object))
    }

    fn matches_object(&self, object: &Map<String, Value>) -> bool {
        let fields_match = self
            .fields
            .iter()
            .all(|(name, field)| field.matches(object.get(name)));
        fields_match
            && (self.any_of.is_empty() || self.any_of.iter().any(|alt| alt.matches_object(object)))
    }
}

/// Parses the value of a `$or`: an array of at least two objects, each an
/// alternative at the same level as the `$or` itself.
fn parse_or(value: &Value, depth: usize) -> Result<Vec<ObjectPattern>, PatternError> {
    let Value::Array(items) = value else {
        return Err(PatternError::BadOr(
            "It must be an Array followed with $or.".to_owned(),
        ));
    };
    let alternatives = items
        .iter()
        .map(|item| match item {
            Value::Object(fields) => ObjectPattern::parse(fields, depth + 1, true),
            _ => Err(PatternError::BadOr(
                "Only JSON object is allowed in array of $or relationship.".to_owned(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if alternatives.len() < 2 {
        return Err(PatternError::BadOr(
            "There must have at least 2 Objects in $or relationship.".to_owned(),
        ));
    }
    Ok(alternatives)
}

impl FieldPattern {
    fn parse(
        name: &str,
        value: &Value,
        depth: usize,
        in_or: bool,
    ) -> Result<FieldPattern, PatternError> {
        match value {
            Value::Object(fields) => Ok(FieldPattern::Object(ObjectPattern::parse(
                fields,
                depth + 1,
                in_or,
            )?)),
            Value::Array(items) => parse_leaf(items).map(FieldPattern::Leaf),
            _ => Err(PatternError::NotObjectOrArray(name.to_owned())),
        }
    }

    fn matches(&self, value: Option<&Value>) -> bool {
        match self {
            FieldPattern::Object(object) => object.matches_at(value),
            FieldPattern::Leaf(matchers) => {
                let values: Vec<&Value> = elements(value)
                    .into_iter()
                    .filter(|value| !value.is_object())
                    .collect();
                matchers.iter().any(|matcher| matcher.matches(&values))
            }
        }
    }
}

/// What a field holds, arrays flattened: the value itself, or every
/// non-array element of it, however deeply the arrays nest. Iterative, so a deeply
/// nested event array cannot overflow the stack.
fn elements(value: Option<&Value>) -> Vec<&Value> {
    let mut found = Vec::new();
    let mut pending: Vec<&Value> = value.into_iter().collect();
    while let Some(value) = pending.pop() {
        match value {
            Value::Array(items) => pending.extend(items.iter().rev()),
            other => found.push(other),
        }
    }
    found
}

fn parse_leaf(items: &[Value]) -> Result<Vec<Matcher>, PatternError> {
    if items.is_empty() {
        return Err(PatternError::EmptyArray);
    }
    items.iter().map(Matcher::parse).collect()
}

/// One alternative in a leaf array.
#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    /// A plain string, number, boolean or null.
    Exact(Value),
    Prefix(Affix),
    Suffix(Affix),
    /// Stored lower-cased.
    EqualsIgnoreCase(String),
    Wildcard(Wildcard),
    AnythingBut(Exclusion),
    Numeric(Range),
    Exists(bool),
    Cidr(Cidr),
}

impl Matcher {
    fn parse(item: &Value) -> Result<Matcher, PatternError> {
        match item {
            Value::Object(expression) => Matcher::parse_expression(expression),
            Value::Array(_) => Err(PatternError::BadMatchValue),
            scalar => Ok(Matcher::Exact(scalar.clone())),
        }
    }

    /// Parses a one-key filter object such as `{"prefix": "us-"}`.
    fn parse_expression(expression: &Map<String, Value>) -> Result<Matcher, PatternError> {
        let (name, operand) = single_entry(expression, PatternError::NoMatchExpression)?;
        match name {
            "prefix" => Affix::parse(operand, name).map(Matcher::Prefix),
            "suffix" => Affix::parse(operand, name).map(Matcher::Suffix),
            "equals-ignore-case" => {
                string_operand(operand, name).map(|text| Matcher::EqualsIgnoreCase(fold(text)))
            }
            "wildcard" => Wildcard::parse(string_operand(operand, name)?).map(Matcher::Wildcard),
            "anything-but" => Exclusion::parse(operand).map(Matcher::AnythingBut),
            "numeric" => Range::parse(operand).map(Matcher::Numeric),
            "exists" => match operand {
                Value::Bool(wanted) => Ok(Matcher::Exists(*wanted)),
                _ => Err(PatternError::BadExists),
            },
            "cidr" => Cidr::parse(string_operand(operand, name)?).map(Matcher::Cidr),
            other => Err(PatternError::UnknownMatchType(other.to_owned())),
        }
    }

    /// Whether this alternative accepts the field's leaf values (empty
    /// when the field is missing or holds no leaf).
    fn matches(&self, values: &[&Value]) -> bool {
        match self {
            Matcher::Exists(wanted) => values.is_empty() != *wanted,
            other => values.iter().any(|value| other.matches_one(value)),
        }
    }

    fn matches_one(&self, value: &Value) -> bool {
        match self {
            Matcher::Exact(expected) => scalars_equal(expected, value),
            Matcher::Prefix(affix) => value.as_str().is_some_and(|text| affix.is_prefix_of(text)),
            Matcher::Suffix(affix) => value.as_str().is_some_and(|text| affix.is_suffix_of(text)),
            Matcher::EqualsIgnoreCase(expected) => {
                value.as_str().is_some_and(|text| fold(text) == *expected)
            }
            Matcher::Wildcard(wildcard) => {
                value.as_str().is_some_and(|text| wildcard.matches(text))
            }
            Matcher::AnythingBut(exclusion) => !exclusion.excludes(value),
            Matcher::Numeric(range) => value.as_f64().is_some_and(|number| range.contains(number)),
            Matcher::Cidr(cidr) => value.as_str().is_some_and(|text| cidr.contains(text)),
            Matcher::Exists(_) => false,
        }
    }
}

/// The only key and value of a filter object; `missing` when it has none.
fn single_entry(
    expression: &Map<String, Value>,
    missing: PatternError,
) -> Result<(&str, &Value), PatternError> {
    let mut entries = expression.iter();
    let Some((name, operand)) = entries.next() else {
        return Err(missing);
    };
    if entries.next().is_some() {
        return Err(PatternError::TooManyKeys);
    }
    Ok((name.as_str(), operand))
}

fn string_operand<'a>(operand: &'a Value, filter: &str) -> Result<&'a str, PatternError> {
    operand
        .as_str()
        .ok_or_else(|| PatternError::NotAString(filter.to_owned()))
}

/// Case folding for the `equals-ignore-case` variants.
fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Exact matching: strings byte for byte, numbers by value, booleans and
/// null by identity. Never across types (`"5"` is not `5`).
fn scalars_equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(left), Value::Number(right)) => numbers_equal(left, right),
        (Value::String(left), Value::String(right)) => left == right,
        (Value::Bool(left), Value::Bool(right)) => left == right,
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

/// Integers compare exactly when both fit 64 bits (account ids, large
/// counters); anything else compares as `f64`, so `300` equals `3.0e2`.
fn numbers_equal(left: &Number, right: &Number) -> bool {
    if let (Some(left), Some(right)) = (left.as_i64(), right.as_i64()) {
        return left == right;
    }
    if let (Some(left), Some(right)) = (left.as_u64(), right.as_u64()) {
        return left == right;
    }
    match (left.as_f64(), right.as_f64()) {
        (Some(left), Some(right)) => left == right,
        _ => false,
    }
}

/// The operand of `prefix` or `suffix`: a string, or
/// `{"equals-ignore-case": string}` to ignore case.
#[derive(Debug, Clone, PartialEq)]
struct Affix {
    /// Lower-cased when `ignore_case`.
    text: String,
    ignore_case: bool,
}

impl Affix {
    fn parse(operand: &Value, filter: &str) -> Result<Affix, PatternError> {
        match operand {
            Value::String(text) => Ok(Affix {
                text: text.clone(),
                ignore_case: false,
            }),
            Value::Object(inner) => {
                let not_string = || PatternError::NotAString(filter.to_owned());
                let (name, value) = single_entry(inner, not_string())?;
                match (name, value) {
                    ("equals-ignore-case", Value::String(text)) => Ok(Affix {
                        text: fold(text),
                        ignore_case: true,
                    }),
                    _ => Err(not_string()),
                }
            }
            _ => Err(PatternError::NotAString(filter.to_owned())),
        }
    }

    fn is_prefix_of(&self, text: &str) -> bool {
        if self.ignore_case {
            fold(text).starts_with(&self.text)
        } else {
            text.starts_with(&self.text)
        }
    }

    fn is_suffix_of(&self, text: &str) -> bool {
        if self.ignore_case {
            fold(text).ends_with(&self.text)
        } else {
            text.ends_with(&self.text)
        }
    }
}

/// What an `anything-but` refuses. A value it does not refuse matches,
/// whatever its type; a missing field still does not match.
#[derive(Debug, Clone, PartialEq)]
enum Exclusion {
    /// Exact values: all strings or all numbers.
    Values(Vec<Value>),
    Prefix(String),
    Suffix(String),
    /// Lower-cased strings.
    IgnoreCase(Vec<String>),
    Wildcards(Vec<Wildcard>),
}

impl Exclusion {
    fn parse(operand: &Value) -> Result<Exclusion, PatternError> {
        match operand {
            Value::String(_) | Value::Number(_) => Ok(Exclusion::Values(vec![operand.clone()])),
            Value::Array(items) => exclusion_list(items).map(Exclusion::Values),
            Value::Object(inner) => Exclusion::parse_object(inner),
            _ => Err(bad_anything_but(
                "Value of anything-but must be an array or single string/number value.",
            )),
        }
    }

    /// `{"prefix": ..}`, `{"suffix": ..}`, `{"equals-ignore-case": ..}` or
    /// `{"wildcard": ..}` inside an `anything-but`.
    fn parse_object(inner: &Map<String, Value>) -> Result<Exclusion, PatternError> {
        let (name, operand) = single_entry(
            inner,
            bad_anything_but("Anything-But expression name not found"),
        )?;
        match name {
            "prefix" => affix_exclusion(operand).map(Exclusion::Prefix),
            "suffix" => affix_exclusion(operand).map(Exclusion::Suffix),
            "equals-ignore-case" => {
                let texts = strings_operand(operand, "anything-but/equals-ignore-case")?;
                Ok(Exclusion::IgnoreCase(texts.into_iter().map(fold).collect()))
            }
            "wildcard" => strings_operand(operand, "anything-but/wildcard")?
                .into_iter()
                .map(Wildcard::parse)
                .collect::<Result<Vec<_>, _>>()
                .map(Exclusion::Wildcards),
            other => Err(bad_anything_but(&format!(
                "Unsupported anything-but pattern: {other}"
            ))),
        }
    }

    fn excludes(&self, value: &Value) -> bool {
        match self {
            Exclusion::Values(values) => values.iter().any(|refused| scalars_equal(refused, value)),
            Exclusion::Prefix(prefix) => {
                value.as_str().is_some_and(|text| text.starts_with(prefix))
            }
            Exclusion::Suffix(suffix) => value.as_str().is_some_and(|text| text.ends_with(suffix)),
            Exclusion::IgnoreCase(texts) => value
                .as_str()
                .is_some_and(|text| texts.contains(&fold(text))),
            Exclusion::Wildcards(wildcards) => value
                .as_str()
                .is_some_and(|text| wildcards.iter().any(|wildcard| wildcard.matches(text))),
        }
    }
}

fn bad_anything_but(reason: &str) -> PatternError {
    PatternError::BadAnythingBut(reason.to_owned())
}

/// The values of `"anything-but": [..]`: non-empty, all strings or all
/// numbers.
fn exclusion_list(items: &[Value]) -> Result<Vec<Value>, PatternError> {
    if items
        .iter()
        .any(|item| !item.is_string() && !item.is_number())
    {
        return Err(bad_anything_but(
            "Inside anything but list, start|null|boolean is not supported.",
        ));
    }
    let all_strings = items.iter().all(Value::is_string);
    let all_numbers = items.iter().all(Value::is_number);
    if items.is_empty() || !(all_strings || all_numbers) {
        return Err(bad_anything_but(
            "Inside anything but list, either all values are number or string, mixed type is not supported",
        ));
    }
    Ok(items.to_vec())
}

/// The operand of an anything-but prefix or suffix: a non-empty string.
fn affix_exclusion(operand: &Value) -> Result<String, PatternError> {
    match operand {
        Value::String(text) if text.is_empty() => {
            Err(bad_anything_but("Null prefix/suffix not allowed"))
        }
        Value::String(text) => Ok(text.clone()),
        _ => Err(bad_anything_but(
            "prefix/suffix match pattern must be a string",
        )),
    }
}

/// A string or a non-empty array of strings.
fn strings_operand<'a>(operand: &'a Value, filter: &str) -> Result<Vec<&'a str>, PatternError> {
    let not_strings = || {
        bad_anything_but(&format!(
            "Inside {filter} list, number|start|null|boolean is not supported."
        ))
    };
    match operand {
        Value::String(text) => Ok(vec![text.as_str()]),
        Value::Array(items) if items.is_empty() => Err(PatternError::EmptyArray),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(not_strings))
            .collect(),
        _ => Err(not_strings()),
    }
}

/// A `wildcard` operand: `*` matches any run of characters (even none);
/// `\*` is a literal star and `\\` a literal backslash.
#[derive(Debug, Clone, PartialEq)]
struct Wildcard {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Byte(u8),
    Star,
}

impl Wildcard {
    /// Refuses `**` and a backslash escaping anything other than `*` or
    /// `\`, as AWS does; positions are byte offsets.
    fn parse(text: &str) -> Result<Wildcard, PatternError> {
        let bytes = text.as_bytes();
        let mut pieces = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while let Some(&byte) = bytes.get(index) {
            let next = bytes.get(index + 1).copied();
            match (byte, next) {
                (b'*', Some(b'*')) => {
                    return Err(PatternError::BadWildcard(format!(
                        "Consecutive wildcard characters at pos {index}"
                    )));
                }
                (b'*', _) => pieces.push(Piece::Star),
                (b'\\', Some(escaped @ (b'*' | b'\\'))) => {
                    pieces.push(Piece::Byte(escaped));
                    index += 1;
                }
                (b'\\', _) => {
                    return Err(PatternError::BadWildcard(format!(
                        "Invalid escape character at pos {index}"
                    )));
                }
                (literal, _) => pieces.push(Piece::Byte(literal)),
            }
            index += 1;
        }
        Ok(Wildcard { pieces })
    }

    /// Greedy matching that backtracks only to the last star: linear in
    /// practice, quadratic at worst, never exponential. Working on bytes
    /// is safe for UTF-8: a literal always starts on a character boundary.
    fn matches(&self, text: &str) -> bool {
        let text = text.as_bytes();
        let mut piece = 0;
        let mut position = 0;
        // Where to resume after the most recent star: (piece after it,
        // text position it has consumed up to).
        let mut resume: Option<(usize, usize)> = None;
        while let Some(&byte) = text.get(position) {
            match self.pieces.get(piece) {
                Some(Piece::Star) => {
                    piece += 1;
                    resume = Some((piece, position));
                }
                Some(Piece::Byte(expected)) if *expected == byte => {
                    piece += 1;
                    position += 1;
                }
                _ => match resume {
                    Some((after_star, consumed)) => {
                        piece = after_star;
                        position = consumed + 1;
                        resume = Some((after_star, consumed + 1));
                    }
                    None => return false,
                },
            }
        }
        self.pieces
            .iter()
            .skip(piece)
            .all(|remaining| *remaining == Piece::Star)
    }
}

/// A `numeric` filter: an optional lower and an optional upper bound.
#[derive(Debug, Clone, PartialEq)]
struct Range {
    lower: Option<Bound>,
    upper: Option<Bound>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Bound {
    value: f64,
    inclusive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Range {
    /// Accepts what AWS accepts: `["=", n]`, `["<" | "<=", n]`,
    /// `[">" | ">=", n]`, or `[">" | ">=", low, "<" | "<=", high]` with
    /// `low < high`.
    fn parse(operand: &Value) -> Result<Range, PatternError> {
        let Value::Array(items) = operand else {
            return Err(bad_numeric("Value of numeric must be an array."));
        };
        let mut terms = items.iter();
        let (comparison, value) = next_comparison(&mut terms)?;
        let range = match comparison {
            Comparison::Equal => Range::between(value, true, value, true),
            Comparison::Less | Comparison::LessOrEqual => Range {
                lower: None,
                upper: Some(Bound {
                    value,
                    inclusive: comparison == Comparison::LessOrEqual,
                }),
            },
            Comparison::Greater | Comparison::GreaterOrEqual => {
                let inclusive = comparison == Comparison::GreaterOrEqual;
                return lower_bounded(value, inclusive, &mut terms);
            }
        };
        if terms.next().is_some() {
            return Err(bad_numeric("Too many elements in numeric expression"));
        }
        Ok(range)
    }

    fn between(low: f64, low_inclusive: bool, high: f64, high_inclusive: bool) -> Range {
        Range {
            lower: Some(Bound {
                value: low,
                inclusive: low_inclusive,
            }),
            upper: Some(Bound {
                value: high,
                inclusive: high_inclusive,
            }),
        }
    }

    fn contains(&self, number: f64) -> bool {
        let above = self
            .lower
            .is_none_or(|bound| number > bound.value || (bound.inclusive && number == bound.value));
        let below = self
            .upper
            .is_none_or(|bound| number < bound.value || (bound.inclusive && number == bound.value));
        above && below
    }
}

fn bad_numeric(reason: &str) -> PatternError {
    PatternError::BadNumeric(reason.to_owned())
}

/// The rest of a numeric filter that began with `>` or `>=`: nothing, or
/// an upper bound.
fn lower_bounded<'a>(
    low: f64,
    low_inclusive: bool,
    terms: &mut impl Iterator<Item = &'a Value>,
) -> Result<Range, PatternError> {
    let mut rest = terms.peekable();
    if rest.peek().is_none() {
        return Ok(Range {
            lower: Some(Bound {
                value: low,
                inclusive: low_inclusive,
            }),
            upper: None,
        });
    }
    let (comparison, high) = next_comparison(&mut rest)?;
    let high_inclusive = match comparison {
        Comparison::Less => false,
        Comparison::LessOrEqual => true,
        _ => {
            return Err(bad_numeric(&format!(
                "Bad numeric range operator: {}",
                comparison.symbol()
            )));
        }
    };
    if rest.next().is_some() {
        return Err(bad_numeric("Too many terms in numeric range expression"));
    }
    if low >= high {
        return Err(bad_numeric("Bottom must be less than top"));
    }
    Ok(Range::between(low, low_inclusive, high, high_inclusive))
}

/// Reads one operator and the number after it.
fn next_comparison<'a>(
    terms: &mut impl Iterator<Item = &'a Value>,
) -> Result<(Comparison, f64), PatternError> {
    let Some(operator) = terms.next() else {
        return Err(bad_numeric("Invalid member in numeric match: ]"));
    };
    let Value::String(symbol) = operator else {
        return Err(bad_numeric(&format!(
            "Invalid member in numeric match: {operator}"
        )));
    };
    let comparison = Comparison::from_symbol(symbol)
        .ok_or_else(|| bad_numeric(&format!("Unrecognized numeric range operator: {symbol}")))?;
    let value = terms
        .next()
        .and_then(Value::as_f64)
        .filter(|value| value.is_finite())
        .ok_or_else(|| bad_numeric(&format!("Value of {symbol} must be numeric")))?;
    Ok((comparison, value))
}

impl Comparison {
    fn from_symbol(symbol: &str) -> Option<Comparison> {
        match symbol {
            "=" => Some(Comparison::Equal),
            "<" => Some(Comparison::Less),
            "<=" => Some(Comparison::LessOrEqual),
            ">" => Some(Comparison::Greater),
            ">=" => Some(Comparison::GreaterOrEqual),
            _ => None,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::Equal => "=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
        }
    }
}

/// A `cidr` block, IPv4 or IPv6, with host bits cleared.
#[derive(Debug, Clone, PartialEq)]
enum Cidr {
    V4 { network: u32, mask: u32 },
    V6 { network: u128, mask: u128 },
}

impl Cidr {
    fn parse(text: &str) -> Result<Cidr, PatternError> {
        let malformed = || PatternError::BadCidr(text.to_owned());
        let (address, length) = text.split_once('/').ok_or_else(malformed)?;
        let address: IpAddr = address.parse().map_err(|_| malformed())?;
        let length: u32 = length.parse().map_err(|_| malformed())?;
        match address {
            IpAddr::V4(address) if length <= 32 => {
                let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
                Ok(Cidr::V4 {
                    network: u32::from(address) & mask,
                    mask,
                })
            }
            IpAddr::V6(address) if length <= 128 => {
                let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
                Ok(Cidr::V6 {
                    network: u128::from(address) & mask,
                    mask,
                })
            }
            _ => Err(malformed()),
        }
    }

    /// Whether `text` is an address of the same family inside the block.
    fn contains(&self, text: &str) -> bool {
        match (self, text.parse::<IpAddr>()) {
            (Cidr::V4 { network, mask }, Ok(IpAddr::V4(address))) => {
                u32::from(address) & mask == *network
            }
            (Cidr::V6 { network, mask }, Ok(IpAddr::V6(address))) => {
                u128::from(address) & mask == *network
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pattern(text: &str) -> Pattern {
        match Pattern::parse(text) {
            Ok(pattern) => pattern,
            Err(error) => panic!("{text} should parse: {error}"),
        }
    }

    fn matches(pattern_text: &str, event: &Value) -> bool {
        pattern(pattern_text).matches(event)
    }

    fn error(text: &str) -> PatternError {
        match Pattern::parse(text) {
            Ok(pattern) => panic!("{text} should be refused, got {pattern:?}"),
            Err(error) => error,
        }
    }

    /// An EC2 state-change event, the shape most of these tests filter.
    fn ec2_event() -> Value {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "000000000000",
            "time": "2024-03-14T09:26:53Z",
            "region": "eu-west-1",
            "resources": [
                "arn:aws:ec2:eu-west-1:000000000000:instance/i-0abc123def4567890"
            ],
            "detail": {
                "instance-id": "i-0abc123def4567890",
                "state": "running",
                "launch-count": 4,
                "cpu-ratio": 0.75,
                "spot": false,
                "previous-owner": null,
                "note": "",
                "client-ip": "10.0.3.17",
                "client-ip6": "2001:db8::42",
                "file": "uploads/Cat.PNG",
                "tags": ["web", "blue"]
            }
        })
    }

    // --- plain values ---------------------------------------------------

    #[test]
    fn exact_string_matches_case_sensitively() {
        let event = ec2_event();
        assert!(matches(r#"{"source": ["aws.ec2"]}"#, &event));
        assert!(!matches(r#"{"source": ["AWS.EC2"]}"#, &event));
        assert!(!matches(r#"{"source": ["aws.ec"]}"#, &event));
    }

    #[test]
    fn any_value_in_the_leaf_array_matches() {
        let event = ec2_event();
        assert!(matches(r#"{"source": ["aws.s3", "aws.ec2"]}"#, &event));
        assert!(!matches(r#"{"source": ["aws.s3", "aws.sqs"]}"#, &event));
    }

    #[test]
    fn every_named_field_must_match_and_others_are_ignored() {
        let event = ec2_event();
        let both =
            r#"{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}"#;
        assert!(matches(both, &event));
        let one_wrong = r#"{"source": ["aws.ec2"], "detail-type": ["Something Else"]}"#;
        assert!(!matches(one_wrong, &event));
    }

    #[test]
    fn a_field_missing_from_the_event_fails() {
        assert!(!matches(r#"{"nonexistent": ["x"]}"#, &ec2_event()));
        assert!(!matches(
            r#"{"detail": {"nonexistent": ["x"]}}"#,
            &ec2_event()
        ));
    }

    #[test]
    fn nested_objects_descend_into_detail() {
        let event = ec2_event();
        assert!(matches(r#"{"detail": {"state": ["running"]}}"#, &event));
        assert!(!matches(r#"{"detail": {"state": ["stopped"]}}"#, &event));
        // The same name at the wrong level is not the same field.
        assert!(!matches(r#"{"state": ["running"]}"#, &event));
    }

    #[test]
    fn the_documented_three_field_pattern() {
        let pattern_text = r#"{
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated", "running"]}
        }"#;
        assert!(matches(pattern_text, &ec2_event()));
    }

    #[test]
    fn deeply_nested_detail_fields() {
        let event = json!({"detail": {"bucket": {"name": "logs", "owner": {"id": "abc"}}}});
        assert!(matches(
            r#"{"detail": {"bucket": {"owner": {"id": ["abc"]}}}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"bucket": {"owner": {"id": ["xyz"]}}}}"#,
            &event
        ));
        // A pattern object where the event has a scalar.
        assert!(!matches(
            r#"{"detail": {"bucket": {"name": {"first": ["l"]}}}}"#,
            &event
        ));
    }

    #[test]
    fn a_leaf_pattern_does_not_match_an_object_value() {
        let event = json!({"detail": {"bucket": {"name": "logs"}}});
        assert!(!matches(r#"{"detail": {"bucket": ["logs"]}}"#, &event));
    }

    #[test]
    fn numbers_compare_by_value() {
        let event = json!({"detail": {"count": 300, "ratio": 0.5, "big": 123456789012345678u64}});
        assert!(matches(r#"{"detail": {"count": [3.0e2]}}"#, &event));
        assert!(matches(r#"{"detail": {"count": [300.0]}}"#, &event));
        assert!(matches(r#"{"detail": {"ratio": [5e-1]}}"#, &event));
        assert!(!matches(r#"{"detail": {"count": [301]}}"#, &event));
        // Large integers compare exactly, not through f64.
        assert!(matches(
            r#"{"detail": {"big": [123456789012345678]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"big": [123456789012345679]}}"#,
            &event
        ));
        let written_as_float = json!({"detail": {"count": 3.0e2}});
        assert!(matches(
            r#"{"detail": {"count": [300]}}"#,
            &written_as_float
        ));
    }

    #[test]
    fn strings_and_numbers_never_match_each_other() {
        let event = json!({"detail": {"count": 300, "code": "300"}});
        assert!(!matches(r#"{"detail": {"count": ["300"]}}"#, &event));
        assert!(!matches(r#"{"detail": {"code": [300]}}"#, &event));
    }

    #[test]
    fn booleans_match_booleans_only() {
        let event = ec2_event();
        assert!(matches(r#"{"detail": {"spot": [false]}}"#, &event));
        assert!(!matches(r#"{"detail": {"spot": [true]}}"#, &event));
        assert!(!matches(r#"{"detail": {"spot": ["false"]}}"#, &event));
    }

    #[test]
    fn null_matches_null_but_not_missing_or_empty() {
        let event = ec2_event();
        assert!(matches(r#"{"detail": {"previous-owner": [null]}}"#, &event));
        assert!(!matches(r#"{"detail": {"absent": [null]}}"#, &event));
        assert!(!matches(r#"{"detail": {"note": [null]}}"#, &event));
    }

    #[test]
    fn empty_string_matches_only_empty_string() {
        let event = ec2_event();
        assert!(matches(r#"{"detail": {"note": [""]}}"#, &event));
        assert!(!matches(r#"{"detail": {"previous-owner": [""]}}"#, &event));
        assert!(!matches(r#"{"detail": {"absent": [""]}}"#, &event));
        assert!(!matches(r#"{"detail": {"state": [""]}}"#, &event));
    }

    // --- arrays in events -----------------------------------------------

    #[test]
    fn an_event_array_matches_if_any_element_does() {
        let event = json!({
            "resources": [
                "arn:aws:autoscaling:eu-west-1:000000000000:autoScalingGroup:1:autoScalingGroupName/web",
                "arn:aws:ec2:eu-west-1:000000000000:instance/i-0123"
            ]
        });
        let hit = r#"{"resources": [
            "arn:aws:ec2:eu-west-1:111111111111:instance/i-0123",
            "arn:aws:ec2:eu-west-1:000000000000:instance/i-0123"
        ]}"#;
        assert!(matches(hit, &event));
        let miss = r#"{"resources": ["arn:aws:ec2:eu-west-1:111111111111:instance/i-0123"]}"#;
        assert!(!matches(miss, &event));
    }

    #[test]
    fn nested_event_arrays_are_flattened() {
        let event = json!({"detail": {"tags": [["a", "b"], ["c", ["d"]]]}});
        assert!(matches(r#"{"detail": {"tags": ["d"]}}"#, &event));
        assert!(!matches(r#"{"detail": {"tags": ["e"]}}"#, &event));
    }

    #[test]
    fn an_empty_event_array_matches_no_value() {
        let event = json!({"resources": []});
        assert!(!matches(r#"{"resources": ["x"]}"#, &event));
        assert!(!matches(
            r#"{"resources": [{"anything-but": "x"}]}"#,
            &event
        ));
    }

    #[test]
    fn objects_in_an_event_array_match_one_at_a_time() {
        let event = json!({
            "detail": {
                "employees": [
                    {"first": "Ana", "last": "Silva"},
                    {"first": "Ben", "last": "Okafor"}
                ]
            }
        });
        assert!(matches(
            r#"{"detail": {"employees": {"first": ["Ben"]}}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"employees": {"first": ["Ana"], "last": ["Silva"]}}}"#,
            &event
        ));
        // Fields from different elements never combine.
        assert!(!matches(
            r#"{"detail": {"employees": {"first": ["Ana"], "last": ["Okafor"]}}}"#,
            &event
        ));
    }

    // --- prefix / suffix / equals-ignore-case ---------------------------

    #[test]
    fn prefix_matches_the_start_of_strings() {
        let event = ec2_event();
        assert!(matches(r#"{"time": [{"prefix": "2024-03-14"}]}"#, &event));
        assert!(!matches(r#"{"time": [{"prefix": "2024-03-15"}]}"#, &event));
        assert!(matches(r#"{"region": [{"prefix": "eu-"}]}"#, &event));
        assert!(!matches(r#"{"region": [{"prefix": "EU-"}]}"#, &event));
        // Prefix applies to strings only.
        assert!(!matches(
            r#"{"detail": {"launch-count": [{"prefix": "4"}]}}"#,
            &event
        ));
        assert!(matches(r#"{"region": [{"prefix": ""}]}"#, &event));
    }

    #[test]
    fn prefix_ignoring_case() {
        let event = json!({"detail": {"service": "EventBridge"}});
        let pattern_text =
            r#"{"detail": {"service": [{"prefix": {"equals-ignore-case": "eVeNtB"}}]}}"#;
        assert!(matches(pattern_text, &event));
        let other = json!({"detail": {"service": "Events"}});
        assert!(!matches(pattern_text, &other));
    }

    #[test]
    fn suffix_matches_the_end_of_strings() {
        let event = json!({"detail": {"file": "photos/cat.png"}});
        assert!(matches(
            r#"{"detail": {"file": [{"suffix": ".png"}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"file": [{"suffix": ".jpg"}]}}"#,
            &event
        ));
        let upper = json!({"detail": {"file": "photos/cat.PNG"}});
        assert!(!matches(
            r#"{"detail": {"file": [{"suffix": ".png"}]}}"#,
            &upper
        ));
    }

    #[test]
    fn suffix_ignoring_case() {
        let pattern_text = r#"{"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}"#;
        assert!(matches(pattern_text, &ec2_event()));
        let other = json!({"detail": {"file": "cat.gif"}});
        assert!(!matches(pattern_text, &other));
    }

    #[test]
    fn equals_ignore_case_matches_any_casing() {
        let event = json!({"detail": {"name": "Alice"}});
        assert!(matches(
            r#"{"detail": {"name": [{"equals-ignore-case": "alice"}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"name": [{"equals-ignore-case": "ALICE"}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"name": [{"equals-ignore-case": "alic"}]}}"#,
            &event
        ));
        let number = json!({"detail": {"name": 5}});
        assert!(!matches(
            r#"{"detail": {"name": [{"equals-ignore-case": "5"}]}}"#,
            &number
        ));
    }

    // --- anything-but ---------------------------------------------------

    #[test]
    fn anything_but_a_string() {
        let pattern_text = r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#;
        assert!(matches(pattern_text, &ec2_event()));
        let initializing = json!({"detail": {"state": "initializing"}});
        assert!(!matches(pattern_text, &initializing));
        // A missing field has no value to be "anything but".
        assert!(!matches(pattern_text, &json!({"detail": {}})));
    }

    #[test]
    fn anything_but_a_number() {
        let pattern_text = r#"{"detail": {"limit": [{"anything-but": 123}]}}"#;
        assert!(matches(pattern_text, &json!({"detail": {"limit": 124}})));
        assert!(!matches(pattern_text, &json!({"detail": {"limit": 123}})));
        assert!(!matches(
            pattern_text,
            &json!({"detail": {"limit": 1.23e2}})
        ));
    }

    #[test]
    fn anything_but_a_list() {
        let strings = r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#;
        assert!(matches(strings, &ec2_event()));
        assert!(!matches(strings, &json!({"detail": {"state": "stopped"}})));
        let numbers = r#"{"detail": {"limit": [{"anything-but": [100, 200, 300]}]}}"#;
        assert!(matches(numbers, &json!({"detail": {"limit": 301.8}})));
        assert!(!matches(numbers, &json!({"detail": {"limit": 200}})));
    }

    #[test]
    fn anything_but_on_an_event_array_needs_one_other_value() {
        let pattern_text = r#"{"detail": {"tags": [{"anything-but": "web"}]}}"#;
        assert!(matches(pattern_text, &ec2_event()));
        assert!(!matches(
            pattern_text,
            &json!({"detail": {"tags": ["web", "web"]}})
        ));
    }

    #[test]
    fn anything_but_a_prefix_or_suffix() {
        let prefix = r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#;
        assert!(matches(prefix, &ec2_event()));
        assert!(!matches(
            prefix,
            &json!({"detail": {"state": "initializing"}})
        ));
        let suffix = r#"{"detail": {"file": [{"anything-but": {"suffix": ".png"}}]}}"#;
        assert!(matches(suffix, &json!({"detail": {"file": "a.gif"}})));
        assert!(!matches(suffix, &json!({"detail": {"file": "a.png"}})));
    }

    #[test]
    fn anything_but_ignoring_case() {
        let single =
            r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": "RUNNING"}}]}}"#;
        assert!(!matches(single, &ec2_event()));
        assert!(matches(single, &json!({"detail": {"state": "stopped"}})));
        let list = r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "Running"]}}]}}"#;
        assert!(!matches(list, &ec2_event()));
        assert!(matches(list, &json!({"detail": {"state": "pending"}})));
    }

    #[test]
    fn anything_but_a_wildcard() {
        let pattern_text = r#"{"detail": {"path": [{"anything-but": {"wildcard": "*/lib/*"}}]}}"#;
        assert!(matches(
            pattern_text,
            &json!({"detail": {"path": "/usr/bin/ls"}})
        ));
        assert!(!matches(
            pattern_text,
            &json!({"detail": {"path": "/usr/lib/libc.so"}})
        ));
        let list = r#"{"detail": {"path": [{"anything-but": {"wildcard": ["*.so", "*.a"]}}]}}"#;
        assert!(matches(list, &json!({"detail": {"path": "main.rs"}})));
        assert!(!matches(list, &json!({"detail": {"path": "libz.a"}})));
    }

    // --- numeric --------------------------------------------------------

    #[test]
    fn numeric_ranges() {
        let event = json!({"detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8}});
        assert!(matches(
            r#"{"detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}]
            }}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"c-count": [{"numeric": [">=", 5]}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"c-count": [{"numeric": [">", 5]}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"d-count": [{"numeric": ["<=", 3]}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"d-count": [{"numeric": ["<", 3]}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"d-count": [{"numeric": [">=", -1.5, "<", 3.5]}]}}"#,
            &event
        ));
    }

    #[test]
    fn numeric_matches_json_numbers_only() {
        let pattern_text = r#"{"detail": {"count": [{"numeric": [">", 0]}]}}"#;
        assert!(!matches(pattern_text, &json!({"detail": {"count": "7"}})));
        assert!(!matches(pattern_text, &json!({"detail": {"count": true}})));
        assert!(!matches(pattern_text, &json!({"detail": {}})));
        assert!(matches(
            pattern_text,
            &json!({"detail": {"count": [-1, 7]}})
        ));
    }

    // --- exists ---------------------------------------------------------

    #[test]
    fn exists_true_and_false() {
        let event = ec2_event();
        assert!(matches(
            r#"{"detail": {"state": [{"exists": true}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"state": [{"exists": false}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"absent": [{"exists": false}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"absent": [{"exists": true}]}}"#,
            &event
        ));
        // null and "" are values: the field exists.
        assert!(matches(
            r#"{"detail": {"previous-owner": [{"exists": true}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"note": [{"exists": true}]}}"#,
            &event
        ));
    }

    #[test]
    fn exists_looks_at_leaves_only() {
        let event = json!({"detail": {"counts": {"c1": 100}, "empty": []}});
        assert!(matches(
            r#"{"detail": {"counts": [{"exists": false}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"counts": [{"exists": true}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"empty": [{"exists": false}]}}"#,
            &event
        ));
    }

    #[test]
    fn exists_false_below_a_missing_parent_matches() {
        let event = json!({"source": "aws.ec2"});
        assert!(matches(
            r#"{"detail": {"state": [{"exists": false}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"state": [{"exists": true}]}}"#,
            &event
        ));
    }

    #[test]
    fn exists_combined_with_values() {
        let pattern_text = r#"{"detail": {"state": ["running", {"exists": false}]}}"#;
        assert!(matches(pattern_text, &ec2_event()));
        assert!(matches(pattern_text, &json!({"detail": {}})));
        assert!(!matches(
            pattern_text,
            &json!({"detail": {"state": "stopped"}})
        ));
    }

    // --- cidr -----------------------------------------------------------

    #[test]
    fn cidr_matches_ipv4_addresses_in_the_block() {
        let event = ec2_event();
        assert!(matches(
            r#"{"detail": {"client-ip": [{"cidr": "10.0.0.0/16"}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"client-ip": [{"cidr": "10.0.3.0/24"}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"client-ip": [{"cidr": "10.0.4.0/24"}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"client-ip": [{"cidr": "10.0.3.17/32"}]}}"#,
            &event
        ));
        assert!(matches(
            r#"{"detail": {"client-ip": [{"cidr": "0.0.0.0/0"}]}}"#,
            &event
        ));
        // Host bits in the block are ignored.
        assert!(matches(
            r#"{"detail": {"client-ip": [{"cidr": "10.0.3.99/24"}]}}"#,
            &event
        ));
    }

    #[test]
    fn cidr_matches_ipv6_and_ignores_non_addresses() {
        let event = ec2_event();
        assert!(matches(
            r#"{"detail": {"client-ip6": [{"cidr": "2001:db8::/32"}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"client-ip6": [{"cidr": "2001:db9::/32"}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"client-ip6": [{"cidr": "0.0.0.0/0"}]}}"#,
            &event
        ));
        assert!(!matches(
            r#"{"detail": {"state": [{"cidr": "0.0.0.0/0"}]}}"#,
            &event
        ));
    }

    // --- wildcard -------------------------------------------------------

    #[test]
    fn wildcard_star_matches_any_run() {
        let png = r#"{"detail": {"file": [{"wildcard": "*.png"}]}}"#;
        assert!(matches(png, &json!({"detail": {"file": "cat.png"}})));
        assert!(matches(png, &json!({"detail": {"file": ".png"}})));
        assert!(!matches(png, &json!({"detail": {"file": "cat.png.gz"}})));
        assert!(!matches(png, &json!({"detail": {"file": "cat.PNG"}})));
        let middle = r#"{"detail": {"path": [{"wildcard": "dir/*/*.txt"}]}}"#;
        assert!(matches(middle, &json!({"detail": {"path": "dir/a/b.txt"}})));
        assert!(matches(
            middle,
            &json!({"detail": {"path": "dir/a/b/c.txt"}})
        ));
        assert!(!matches(
            middle,
            &json!({"detail": {"path": "other/a/b.txt"}})
        ));
        let service = r#"{"source": [{"wildcard": "Simple*Service"}]}"#;
        assert!(matches(service, &json!({"source": "SimpleQueueService"})));
        assert!(matches(service, &json!({"source": "SimpleService"})));
        assert!(!matches(service, &json!({"source": "SimpleQueueServices"})));
    }

    #[test]
    fn wildcard_backtracks_over_repeated_text() {
        let pattern_text = r#"{"a": [{"wildcard": "*ab*abc"}]}"#;
        assert!(matches(pattern_text, &json!({"a": "xxabababc"})));
        assert!(!matches(pattern_text, &json!({"a": "xxababab"})));
        let unicode = r#"{"a": [{"wildcard": "é*ü"}]}"#;
        assert!(matches(unicode, &json!({"a": "é–naïve–ü"})));
    }

    #[test]
    fn wildcard_escapes() {
        let star = r#"{"a": [{"wildcard": "2\\*3=*"}]}"#;
        assert!(matches(star, &json!({"a": "2*3=6"})));
        assert!(!matches(star, &json!({"a": "2x3=6"})));
        let backslash = r#"{"a": [{"wildcard": "C:\\\\*"}]}"#;
        assert!(matches(backslash, &json!({"a": "C:\\Windows"})));
        let literal = r#"{"a": [{"wildcard": "plain"}]}"#;
        assert!(matches(literal, &json!({"a": "plain"})));
        assert!(!matches(literal, &json!({"a": "plainer"})));
        assert!(matches(r#"{"a": [{"wildcard": "*"}]}"#, &json!({"a": ""})));
        assert!(!matches(r#"{"a": [{"wildcard": "*"}]}"#, &json!({"a": 1})));
    }

    // --- $or ------------------------------------------------------------

    #[test]
    fn or_at_the_top_level_with_siblings() {
        let pattern_text = r#"{
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPUUtilization", "ReadLatency"]},
                {"namespace": ["AWS/EC2", "AWS/ES"]}
            ]
        }"#;
        let by_metric = json!({"source": "aws.cloudwatch", "metricName": "ReadLatency"});
        let by_namespace = json!({"source": "aws.cloudwatch", "namespace": "AWS/ES"});
        let neither = json!({"source": "aws.cloudwatch", "namespace": "AWS/RDS"});
        let wrong_source = json!({"source": "aws.ec2", "metricName": "ReadLatency"});
        assert!(matches(pattern_text, &by_metric));
        assert!(matches(pattern_text, &by_namespace));
        assert!(!matches(pattern_text, &neither));
        assert!(!matches(pattern_text, &wrong_source));
    }

    #[test]
    fn or_alternatives_can_hold_several_fields_and_nest() {
        let pattern_text = r#"{
            "source": ["app"],
            "$or": [
                {"kind": ["a"]},
                {"tier": ["gold"], "region": ["eu"], "$or": [{"id": [1]}, {"id": [2]}]}
            ]
        }"#;
        assert!(matches(
            pattern_text,
            &json!({"source": "app", "kind": "a"})
        ));
        assert!(matches(
            pattern_text,
            &json!({"source": "app", "tier": "gold", "region": "eu", "id": 2})
        ));
        assert!(!matches(
            pattern_text,
            &json!({"source": "app", "tier": "gold", "region": "eu", "id": 3})
        ));
        assert!(!matches(
            pattern_text,
            &json!({"source": "app", "tier": "gold", "id": 1})
        ));
    }

    #[test]
    fn or_inside_detail_and_in_parallel() {
        let pattern_text = r#"{
            "$or": [{"source": ["a"]}, {"source": ["b"]}],
            "detail": {
                "$or": [
                    {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                    {"x-limit": [{"numeric": ["=", 301.8]}]}
                ]
            }
        }"#;
        assert!(matches(
            pattern_text,
            &json!({"source": "b", "detail": {"c-count": 2}})
        ));
        assert!(matches(
            pattern_text,
            &json!({"source": "a", "detail": {"x-limit": 301.8}})
        ));
        assert!(!matches(
            pattern_text,
            &json!({"source": "c", "detail": {"c-count": 2}})
        ));
        assert!(!matches(
            pattern_text,
            &json!({"source": "a", "detail": {"c-count": 9}})
        ));
    }

    #[test]
    fn a_field_beside_and_inside_or_must_satisfy_both() {
        let pattern_text =
            r#"{"state": [{"prefix": "r"}], "$or": [{"state": ["running"]}, {"x": ["y"]}]}"#;
        assert!(matches(pattern_text, &json!({"state": "running"})));
        assert!(!matches(pattern_text, &json!({"state": "rebooting"})));
    }

    // --- realistic events -----------------------------------------------

    #[test]
    fn autoscaling_lifecycle_action_event() {
        let pattern_text = r#"{
            "source": ["aws.autoscaling"],
            "detail-type": ["EC2 Instance-launch Lifecycle Action"],
            "detail": {"AutoScalingGroupName": ["my-asg"]}
        }"#;
        let event = json!({
            "version": "0",
            "id": "4f0c3f1a-8e0b-2d4b-9b0e-1c1d2e3f4a5b",
            "detail-type": "EC2 Instance-launch Lifecycle Action",
            "source": "aws.autoscaling",
            "account": "000000000000",
            "time": "2024-05-02T11:04:27Z",
            "region": "us-east-1",
            "resources": [
                "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0e2c7a55-3f7b-4a2d-9d51-6e2f2b1c0d9e:autoScalingGroupName/my-asg"
            ],
            "detail": {
                "LifecycleActionToken": "71514b9d-6a40-4b26-8523-05e7ee35fa40",
                "AutoScalingGroupName": "my-asg",
                "LifecycleHookName": "on-launch",
                "EC2InstanceId": "i-0b1c2d3e4f5a6b7c8",
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
                "NotificationMetadata": "{\"role\":\"web\"}",
                "Origin": "EC2",
                "Destination": "AutoScalingGroup"
            }
        });
        assert!(matches(pattern_text, &event));

        let mut other_group = event.clone();
        other_group["detail"]["AutoScalingGroupName"] = json!("other-asg");
        assert!(!matches(pattern_text, &other_group));

        let mut terminating = event.clone();
        terminating["detail-type"] = json!("EC2 Instance-terminate Lifecycle Action");
        assert!(!matches(pattern_text, &terminating));
    }

    #[test]
    fn the_documented_complex_example() {
        let pattern_text = r#"{
            "time": [{"prefix": "2024-03-14"}],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "launch-count": [{"numeric": [">", 0, "<=", 5]}],
                "cpu-ratio": [{"numeric": ["<", 10]}],
                "tags": [{"anything-but": [100, 200, 300]}],
                "client-ip": [{"cidr": "10.0.0.0/8"}]
            }
        }"#;
        assert!(matches(pattern_text, &ec2_event()));
        let mut busy = ec2_event();
        busy["detail"]["launch-count"] = json!(6);
        assert!(!matches(pattern_text, &busy));
    }

    #[test]
    fn an_event_that_is_not_an_object_matches_only_absence() {
        assert!(!matches(r#"{"source": ["x"]}"#, &json!("x")));
        assert!(!matches(r#"{"source": ["x"]}"#, &Value::Null));
        assert!(matches(r#"{"source": [{"exists": false}]}"#, &json!(42)));
        assert!(matches(r#"{"source": ["x"]}"#, &json!([{"source": "x"}])));
    }

    #[test]
    fn matching_a_deeply_nested_event_array_does_not_recurse() {
        let mut deep = json!("needle");
        for _ in 0..5_000 {
            deep = Value::Array(vec![deep]);
        }
        // Built by hand: `json!` would serialize `deep` recursively.
        let mut detail = Map::new();
        detail.insert("x".to_owned(), deep);
        let mut envelope = Map::new();
        envelope.insert("detail".to_owned(), Value::Object(detail));
        let event = Value::Object(envelope);
        assert!(matches(r#"{"detail": {"x": ["needle"]}}"#, &event));
        // Unwrap the deep value level by level: dropping it whole would
        // recurse once per level.
        let Value::Object(mut envelope) = event else {
            panic!("event is an object");
        };
        let mut current = envelope
            .remove("detail")
            .and_then(|mut detail| detail.get_mut("x").map(Value::take));
        while let Some(Value::Array(mut items)) = current {
            current = items.pop();
        }
    }

    // --- validation -----------------------------------------------------

    #[test]
    fn refuses_text_that_is_not_json() {
        assert_eq!(error("{bad"), PatternError::InvalidJson);
        assert_eq!(error(""), PatternError::InvalidJson);
        assert_eq!(error(r#"{"a": ["x"]} trailing"#), PatternError::InvalidJson);
    }

    #[test]
    fn refuses_a_top_level_that_is_not_an_object() {
        assert_eq!(error(r#"["aws.ec2"]"#), PatternError::NotAnObject);
        assert_eq!(error(r#""aws.ec2""#), PatternError::NotAnObject);
        assert_eq!(error("null"), PatternError::NotAnObject);
    }

    #[test]
    fn refuses_an_empty_pattern_and_empty_objects() {
        assert_eq!(error("{}"), PatternError::EmptyObject);
        assert_eq!(
            error(r#"{"source": ["aws.health"], "detail": {}}"#),
            PatternError::EmptyObject
        );
        assert_eq!(
            error("{}").to_string(),
            "Event pattern is not valid. Reason: Empty objects are not allowed"
        );
    }

    #[test]
    fn refuses_empty_leaf_arrays() {
        assert_eq!(error(r#"{"detail-type": []}"#), PatternError::EmptyArray);
    }

    #[test]
    fn refuses_scalar_leaves() {
        let refused = error(r#"{"source": "aws.ec2"}"#);
        assert_eq!(refused, PatternError::NotObjectOrArray("source".to_owned()));
        assert_eq!(
            refused.to_string(),
            r#"Event pattern is not valid. Reason: "source" must be an object or an array"#
        );
        assert_eq!(
            error(r#"{"detail": {"count": 5}}"#),
            PatternError::NotObjectOrArray("count".to_owned())
        );
        assert_eq!(
            error(r#"{"detail": {"x": null}}"#),
            PatternError::NotObjectOrArray("x".to_owned())
        );
    }

    #[test]
    fn refuses_arrays_inside_leaf_arrays() {
        assert_eq!(
            error(r#"{"source": [["aws.ec2"]]}"#),
            PatternError::BadMatchValue
        );
    }

    #[test]
    fn refuses_unknown_and_malformed_filters() {
        assert_eq!(
            error(r#"{"source": [{"contains": "ec2"}]}"#),
            PatternError::UnknownMatchType("contains".to_owned())
        );
        assert_eq!(
            error(r#"{"source": [{"contains": "ec2"}]}"#).to_string(),
            "Event pattern is not valid. Reason: Unrecognized match type contains"
        );
        assert_eq!(
            error(r#"{"source": [{}]}"#),
            PatternError::NoMatchExpression
        );
        assert_eq!(
            error(r#"{"source": [{"prefix": "a", "suffix": "b"}]}"#),
            PatternError::TooManyKeys
        );
        assert_eq!(
            error(r#"{"source": [{"prefix": 5}]}"#),
            PatternError::NotAString("prefix".to_owned())
        );
        assert_eq!(
            error(r#"{"source": [{"prefix": {"anything": "a"}}]}"#),
            PatternError::NotAString("prefix".to_owned())
        );
        assert_eq!(
            error(r#"{"source": [{"suffix": ["a"]}]}"#),
            PatternError::NotAString("suffix".to_owned())
        );
        assert_eq!(
            error(r#"{"source": [{"equals-ignore-case": null}]}"#),
            PatternError::NotAString("equals-ignore-case".to_owned())
        );
        assert_eq!(
            error(r#"{"source": [{"exists": "yes"}]}"#),
            PatternError::BadExists
        );
    }

    #[test]
    fn refuses_bad_numeric_filters() {
        let cases = [
            (
                r#"{"a": [{"numeric": 5}]}"#,
                "Value of numeric must be an array.",
            ),
            (
                r#"{"a": [{"numeric": []}]}"#,
                "Invalid member in numeric match: ]",
            ),
            (
                r#"{"a": [{"numeric": [5, ">"]}]}"#,
                "Invalid member in numeric match: 5",
            ),
            (
                r#"{"a": [{"numeric": ["!=", 5]}]}"#,
                "Unrecognized numeric range operator: !=",
            ),
            (
                r#"{"a": [{"numeric": [">", "5"]}]}"#,
                "Value of > must be numeric",
            ),
            (
                r#"{"a": [{"numeric": [">", "NaN"]}]}"#,
                "Value of > must be numeric",
            ),
            (
                r#"{"a": [{"numeric": ["="]}]}"#,
                "Value of = must be numeric",
            ),
            (
                r#"{"a": [{"numeric": ["=", 1, "<", 2]}]}"#,
                "Too many elements in numeric expression",
            ),
            (
                r#"{"a": [{"numeric": ["<", 1, ">", 0]}]}"#,
                "Too many elements in numeric expression",
            ),
            (
                r#"{"a": [{"numeric": [">", 0, ">", 5]}]}"#,
                "Bad numeric range operator: >",
            ),
            (
                r#"{"a": [{"numeric": [">", 0, "<", 5, "<", 6]}]}"#,
                "Too many terms in numeric range expression",
            ),
            (
                r#"{"a": [{"numeric": [">", 5, "<", 5]}]}"#,
                "Bottom must be less than top",
            ),
            (
                r#"{"a": [{"numeric": [">=", 9, "<=", 1]}]}"#,
                "Bottom must be less than top",
            ),
            (
                r#"{"a": [{"numeric": [">", 0, "<"]}]}"#,
                "Value of < must be numeric",
            ),
        ];
        for (text, reason) in cases {
            assert_eq!(
                error(text),
                PatternError::BadNumeric(reason.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_bad_anything_but_filters() {
        let cases = [
            (
                r#"{"a": [{"anything-but": null}]}"#,
                "Value of anything-but must be an array or single string/number value.",
            ),
            (
                r#"{"a": [{"anything-but": true}]}"#,
                "Value of anything-but must be an array or single string/number value.",
            ),
            (
                r#"{"a": [{"anything-but": ["x", 1]}]}"#,
                "Inside anything but list, either all values are number or string, mixed type is not supported",
            ),
            (
                r#"{"a": [{"anything-but": []}]}"#,
                "Inside anything but list, either all values are number or string, mixed type is not supported",
            ),
            (
                r#"{"a": [{"anything-but": [null]}]}"#,
                "Inside anything but list, start|null|boolean is not supported.",
            ),
            (
                r#"{"a": [{"anything-but": {}}]}"#,
                "Anything-But expression name not found",
            ),
            (
                r#"{"a": [{"anything-but": {"numeric": [">", 1]}}]}"#,
                "Unsupported anything-but pattern: numeric",
            ),
            (
                r#"{"a": [{"anything-but": {"prefix": ""}}]}"#,
                "Null prefix/suffix not allowed",
            ),
            (
                r#"{"a": [{"anything-but": {"suffix": 3}}]}"#,
                "prefix/suffix match pattern must be a string",
            ),
            (
                r#"{"a": [{"anything-but": {"equals-ignore-case": 3}}]}"#,
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            ),
            (
                r#"{"a": [{"anything-but": {"equals-ignore-case": ["x", 3]}}]}"#,
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            ),
        ];
        for (text, reason) in cases {
            assert_eq!(
                error(text),
                PatternError::BadAnythingBut(reason.to_owned()),
                "{text}"
            );
        }
        assert_eq!(
            error(r#"{"a": [{"anything-but": {"prefix": "x", "suffix": "y"}}]}"#),
            PatternError::TooManyKeys
        );
        assert_eq!(
            error(r#"{"a": [{"anything-but": {"wildcard": []}}]}"#),
            PatternError::EmptyArray
        );
    }

    #[test]
    fn refuses_bad_wildcards() {
        assert_eq!(
            error(r#"{"a": [{"wildcard": "a**b"}]}"#),
            PatternError::BadWildcard("Consecutive wildcard characters at pos 1".to_owned())
        );
        assert_eq!(
            error(r#"{"a": [{"wildcard": "a\\b"}]}"#),
            PatternError::BadWildcard("Invalid escape character at pos 1".to_owned())
        );
        assert_eq!(
            error(r#"{"a": [{"wildcard": "trailing\\"}]}"#),
            PatternError::BadWildcard("Invalid escape character at pos 8".to_owned())
        );
        assert_eq!(
            error(r#"{"a": [{"anything-but": {"wildcard": "**"}}]}"#),
            PatternError::BadWildcard("Consecutive wildcard characters at pos 0".to_owned())
        );
        assert_eq!(
            error(r#"{"a": [{"wildcard": 1}]}"#),
            PatternError::NotAString("wildcard".to_owned())
        );
        // An escaped star next to a wildcard star is not "consecutive".
        assert!(Pattern::parse(r#"{"a": [{"wildcard": "\\**"}]}"#).is_ok());
    }

    #[test]
    fn refuses_bad_cidrs() {
        for block in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/x",
            "::/129",
            "/8",
            "",
        ] {
            let text = format!(r#"{{"a": [{{"cidr": "{block}"}}]}}"#);
            assert_eq!(
                error(&text),
                PatternError::BadCidr(block.to_owned()),
                "{block}"
            );
        }
        assert_eq!(
            error(r#"{"a": [{"cidr": 10}]}"#),
            PatternError::NotAString("cidr".to_owned())
        );
    }

    #[test]
    fn refuses_bad_or() {
        let cases = [
            (
                r#"{"$or": {"a": ["x"]}}"#,
                "It must be an Array followed with $or.",
            ),
            (
                r#"{"$or": [{"a": ["x"]}]}"#,
                "There must have at least 2 Objects in $or relationship.",
            ),
            (
                r#"{"$or": []}"#,
                "There must have at least 2 Objects in $or relationship.",
            ),
            (
                r#"{"$or": [{"a": ["x"]}, "b"]}"#,
                "Only JSON object is allowed in array of $or relationship.",
            ),
            (
                r#"{"detail": {"$or": [{"a": ["x"]}, ["b"]]}}"#,
                "Only JSON object is allowed in array of $or relationship.",
            ),
        ];
        for (text, reason) in cases {
            assert_eq!(
                error(text),
                PatternError::BadOr(reason.to_owned()),
                "{text}"
            );
        }
        assert_eq!(
            error(r#"{"$or": [{"a": ["x"]}, {}]}"#),
            PatternError::EmptyObject
        );
    }

    #[test]
    fn refuses_filter_keywords_as_field_names_inside_or() {
        let refused = error(r#"{"$or": [{"numeric": [123]}, {"prefix": ["abc"]}]}"#);
        assert_eq!(refused, PatternError::ReservedInOr("numeric".to_owned()));
        assert_eq!(
            error(r#"{"$or": [{"a": ["x"]}, {"detail": {"exists": ["y"]}}]}"#),
            PatternError::ReservedInOr("exists".to_owned())
        );
        // Outside $or such names are ordinary fields.
        assert!(matches(r#"{"numeric": [1]}"#, &json!({"numeric": 1})));
    }

    #[test]
    fn refuses_nesting_deeper_than_the_limit() {
        let nested =
            |levels: usize| format!("{}[\"x\"]{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
        let deepest = pattern(&nested(MAX_DEPTH));
        let mut event = json!("x");
        for _ in 0..MAX_DEPTH {
            event = json!({ "a": event });
        }
        assert!(deepest.matches(&event));
        assert_eq!(error(&nested(MAX_DEPTH + 1)), PatternError::TooDeep);
        // Past 128 JSON levels serde_json refuses the text before we see it.
        assert_eq!(error(&nested(200)), PatternError::InvalidJson);
    }

    #[test]
    fn or_alternatives_count_as_levels() {
        let mut text = r#"{"a": ["x"]}"#.to_owned();
        for _ in 0..40 {
            text = format!(r#"{{"$or": [{text}, {{"b": ["y"]}}]}}"#);
        }
        let nested_or = pattern(&text);
        assert!(nested_or.matches(&json!({"a": "x"})));
        assert!(nested_or.matches(&json!({"b": "y"})));
        assert!(!nested_or.matches(&json!({"a": "y", "b": "x"})));
        let fields = Map::new();
        let mut alternative = Map::new();
        alternative.insert("a".to_owned(), json!(["x"]));
        let or = json!([alternative.clone(), alternative]);
        let mut at_limit = fields;
        at_limit.insert(OR_KEY.to_owned(), or);
        // One level below the limit, the alternatives land exactly on it.
        assert!(ObjectPattern::parse(&at_limit, MAX_DEPTH - 1, false).is_ok());
        assert_eq!(
            ObjectPattern::parse(&at_limit, MAX_DEPTH, false),
            Err(PatternError::TooDeep)
        );
    }

    #[test]
    fn messages_start_the_way_aws_does() {
        let samples = [
            "{bad",
            "[]",
            "{}",
            r#"{"a": []}"#,
            r#"{"a": "b"}"#,
            r#"{"a": [{"nope": 1}]}"#,
            r#"{"a": [{"numeric": ["<"]}]}"#,
            r#"{"a": [{"wildcard": "**"}]}"#,
            r#"{"a": [{"cidr": "x"}]}"#,
            r#"{"$or": []}"#,
        ];
        for text in samples {
            let message = error(text).to_string();
            assert!(
                message.starts_with("Event pattern is not valid. Reason: "),
                "{text}: {message}"
            );
        }
    }

    #[test]
    fn parse_never_panics_on_hostile_input() {
        let deep_arrays = format!(
            r#"{{"a": {}"x"{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let deep_objects = format!("{}{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
        let unterminated = "[".repeat(1_000_000);
        let wide = format!(r#"{{"a": [{}"x"]}}"#, r#""x","#.repeat(50_000));
        let long_wildcard = format!(r#"{{"a": [{{"wildcard": "{}"}}]}}"#, "*a".repeat(10_000));
        let inputs: Vec<String> = vec![
            deep_arrays,
            deep_objects,
            unterminated,
            wide,
            long_wildcard,
            "NaN".to_owned(),
            r#"{"a": [NaN]}"#.to_owned(),
            r#"{"a": [Infinity]}"#.to_owned(),
            r#"{"a": [1e400]}"#.to_owned(),
            r#"{"a": [{"numeric": [">", 1e400]}]}"#.to_owned(),
            format!(r#"{{"a": [{}]}}"#, "9".repeat(5_000)),
            r#"{"a": [{"numeric": [">", -1.7976931348623157e308, "<", 1.7976931348623157e308]}]}"#
                .to_owned(),
            r#"{"a": [{"cidr": "255.255.255.255/0"}]}"#.to_owned(),
            r#"{"a": [{"cidr": "::/0"}]}"#.to_owned(),
            "\u{0}".to_owned(),
            "{\"\u{feff}\": [\"\u{10ffff}\"]}".to_owned(),
            r#"{"a": [{"wildcard": "\\"}]}"#.to_owned(),
            r#"{"a": [{"prefix": {"equals-ignore-case": {}}}]}"#.to_owned(),
            r#"{"$or": [{"$or": []}, {"$or": {}}]}"#.to_owned(),
        ];
        for text in &inputs {
            // Only that it returns; the verdict varies.
            let _ = Pattern::parse(text);
        }
    }

    #[test]
    fn huge_numbers_still_match_sensibly() {
        let text = format!(r#"{{"a": [{}]}}"#, "9".repeat(400));
        // 400 nines overflow f64: serde_json refuses the document.
        assert_eq!(error(&text), PatternError::InvalidJson);
        let big = r#"{"a": [{"numeric": [">", 1e300]}]}"#;
        assert!(matches(big, &json!({"a": 1e301})));
        assert!(!matches(big, &json!({"a": 1e299})));
    }

    #[test]
    fn parsed_patterns_compare_structurally() {
        let one = pattern(r#"{"source": ["a"], "detail": {"x": [{"prefix": "p"}]}}"#);
        let two = pattern(r#"{ "detail": {"x": [{"prefix": "p"}]}, "source": ["a"] }"#);
        assert_eq!(one, two);
        assert_ne!(one, pattern(r#"{"source": ["b"]}"#));
    }
}
