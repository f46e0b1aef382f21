//! DynamoDB's expression language: condition, filter, key condition,
//! projection and update expressions, with expression attribute names
//! (`#n`) and values (`:v`).
//!
//! [`parse`] turns text into the AST below, resolving placeholders as it
//! goes and recording which were used (DynamoDB refuses unused ones);
//! [`eval`] evaluates conditions and projections against an item;
//! [`update`] applies an update expression; [`key_condition`] reduces a
//! KeyConditionExpression to the range a Query scans.
//!
//! The parser is a small hand-written recursive descent rather than a
//! combinator crate (`winnow`, `nom`): the grammar is a dozen productions,
//! and DynamoDB's error messages name the offending token and its
//! neighbourhood (`Syntax error; token: "x", near: "SET x"`), reserved
//! words, undefined placeholders and misused functions — all easiest to
//! produce exactly with hand-written code that owns its token stream.
//! It never recurses without consuming a token, nesting is bounded, and
//! every failure is an `Error`, never a panic (see the randomized test
//! and `fuzz/fuzz_targets/dynamodb_expression.rs`).

pub mod eval;
pub mod key_condition;
pub mod parse;
pub mod reserved;
pub mod update;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::Error;
use super::value::AttributeValue;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathElem {
    Name(String),
    Index(usize),
}

/// A document path: a top-level attribute name, then map keys and list
/// indexes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Path(pub Vec<PathElem>);

impl Path {
    /// The top-level attribute the path starts at.
    pub fn top(&self) -> &str {
        match self.0.first() {
            Some(PathElem::Name(name)) => name,
            _ => "",
        }
    }

    /// Whether `other` is this path or lies inside it (or the reverse).
    pub fn overlaps(&self, other: &Path) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a == b)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, elem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match elem {
                PathElem::Name(name) => f.write_str(name)?,
                PathElem::Index(index) => write!(f, "[{index}]")?,
            }
        }
        f.write_str("]")
    }
}

/// A value in a condition: an attribute, a placeholder's value, or the
/// size of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Path),
}

/// `=`, `<>`, `<`, `<=`, `>`, `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition (ConditionExpression, FilterExpression, and the raw form of
/// a KeyConditionExpression).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// An operand of a SET action's value.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(Path),
    Value(AttributeValue),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

/// The right-hand side of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

/// A parsed UpdateExpression: each clause's actions in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(Path, SetValue)>,
    pub remove: Vec<Path>,
    pub add: Vec<(Path, AttributeValue)>,
    pub delete: Vec<(Path, AttributeValue)>,
}

impl Update {
    /// Every path the update writes.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.set
            .iter()
            .map(|(p, _)| p)
            .chain(&self.remove)
            .chain(self.add.iter().map(|(p, _)| p))
            .chain(self.delete.iter().map(|(p, _)| p))
    }
}

/// Which expression is being parsed, for messages and the rules that
/// differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Condition,
    Filter,
    KeyCondition,
    Projection,
    Update,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Projection => "ProjectionExpression",
            Kind::Update => "UpdateExpression",
        }
    }
}

/// A request's `ExpressionAttributeNames` and `ExpressionAttributeValues`,
/// and which of them its expressions used.
#[derive(Debug, Default)]
pub struct Placeholders<'a> {
    names: Option<&'a BTreeMap<String, String>>,
    values: Option<&'a BTreeMap<String, AttributeValue>>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
    /// Whether any expression was parsed.
    parsed_any: bool,
}

impl<'a> Placeholders<'a> {
    /// Checks the maps (non-empty, well-formed keys; values valid) and
    /// keeps them for resolution.
    pub fn new(
        names: Option<&'a BTreeMap<String, String>>,
        values: Option<&'a BTreeMap<String, AttributeValue>>,
    ) -> Result<Placeholders<'a>, Error> {
        if let Some(names) = names {
            if names.is_empty() {
                return Err(Error::validation(
                    "ExpressionAttributeNames must not be empty",
                ));
            }
            if let Some(bad) = names.keys().find(|k| !is_placeholder(k, '#')) {
                return Err(Error::validation(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{bad}\""
                )));
            }
        }
        if let Some(values) = values {
            if values.is_empty() {
                return Err(Error::validation(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            if let Some(bad) = values.keys().find(|k| !is_placeholder(k, ':')) {
                return Err(Error::validation(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{bad}\""
                )));
            }
            for (key, value) in values {
                let mut checked = value.clone();
                checked.validate().map_err(|e| {
                    Error::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {e} for key {key}"
                    ))
                })?;
            }
        }
        Ok(Placeholders {
            names,
            values,
            ..Placeholders::default()
        })
    }

    fn name(&mut self, key: &str, kind: Kind) -> Result<String, Error> {
        match self.names.and_then(|n| n.get(key)) {
            Some(name) => {
                self.used_names.insert(key.to_owned());
                Ok(name.clone())
            }
            None => Err(Error::validation(format!(
                "Invalid {}: An expression attribute name used in the document path is not defined; attribute name: {key}",
                kind.name()
            ))),
        }
    }

    fn value(&mut self, key: &str, kind: Kind) -> Result<AttributeValue, Error> {
        match self.values.and_then(|v| v.get(key)) {
            Some(value) => {
                self.used_values.insert(key.to_owned());
                let mut value = value.clone();
                value.validate()?;
                Ok(value)
            }
            None => Err(Error::validation(format!(
                "Invalid {}: An expression attribute value used in expression is not defined; attribute value: {key}",
                kind.name()
            ))),
        }
    }

    /// After every expression of a request is parsed: names and values
    /// that no expression used are an error, as are maps given without
    /// any expression.
    pub fn finish(&self) -> Result<(), Error> {
        if !self.parsed_any {
            if self.names.is_some() {
                return Err(Error::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if self.values.is_some() {
                return Err(Error::validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
        }
        if let Some(names) = self.names {
            let unused: Vec<&str> = names
                .keys()
                .filter(|k| !self.used_names.contains(*k))
                .map(String::as_str)
                .collect();
            if !unused.is_empty() {
                return Err(Error::validation(format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    unused.join(", ")
                )));
            }
        }
        if let Some(values) = self.values {
            let unused: Vec<&str> = values
                .keys()
                .filter(|k| !self.used_values.contains(*k))
                .map(String::as_str)
                .collect();
            if !unused.is_empty() {
                return Err(Error::validation(format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    unused.join(", ")
                )));
            }
        }
        Ok(())
    }
}

fn is_placeholder(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
