//! JSONPath selectors over an API response (`PropertySelector`, an
//! output's `Selector`), `DesiredValues`, and typed outputs.
//!
//! Selectors are JSONPath (`$.A[0].B`, `$..X` recursive descent) as
//! [`crate::json_path`] reads it, evaluated over the response in the
//! model's member names. A selected list counts as its items, as AWS
//! compares `$.Reservations[0].Instances` item by item.

use serde_json::{Map, Value};

/// Why a selector or an output cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("Invalid JSONPath selector {selector}: {message}")]
    Syntax { selector: String, message: String },
    #[error("The output {name} of type {kind} cannot hold the selected value {value}.")]
    Type {
        name: String,
        kind: String,
        value: String,
    },
    #[error(
        "Unsupported output type {0}: use String, Integer, Boolean, StringList, StringMap or MapList."
    )]
    UnknownType(String),
}

/// Every value `selector` picks in `document`, lists counted by item.
pub fn select(selector: &str, document: &Value) -> Result<Vec<Value>, Error> {
    let path = crate::json_path::parse(selector.trim()).map_err(|e| Error::Syntax {
        selector: selector.to_owned(),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for node in path.query(document).all() {
        match node {
            Value::Array(items) => out.extend(items.iter().cloned()),
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

/// A selected value as the text `DesiredValues` are compared with.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a selection satisfies `DesiredValues`: something was selected
/// and every selected value is one of them.
pub fn satisfies(selected: &[Value], desired: &[String]) -> bool {
    !selected.is_empty() && selected.iter().all(|v| desired.contains(&text(v)))
}

/// How a selection is shown in a failure message: `["unhealthy"]`.
pub fn shown(selected: &[Value]) -> String {
    let texts: Vec<String> = selected
        .iter()
        .map(|v| format!("\"{}\"", text(v)))
        .collect();
    format!("[{}]", texts.join(", "))
}

/// An output's value of `kind` from what its selector picked; `None`
/// when the selector picked nothing.
pub fn output(name: &str, kind: &str, selected: Vec<Value>) -> Result<Option<Value>, Error> {
    let wrong = |value: &Value| Error::Type {
        name: name.to_owned(),
        kind: kind.to_owned(),
        value: value.to_string(),
    };
    let first = || selected.first().cloned();
    Ok(Some(match kind {
        "String" => match first() {
            None => return Ok(None),
            Some(v) => Value::String(text(&v)),
        },
        "Integer" => match first() {
            None => return Ok(None),
            Some(v @ Value::Number(_)) => v,
            Some(Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Err(wrong(&Value::String(s))),
            },
            Some(v) => return Err(wrong(&v)),
        },
        "Boolean" => match first() {
            None => return Ok(None),
            Some(v @ Value::Bool(_)) => v,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            Some(v) => return Err(wrong(&v)),
        },
        "StringList" => Value::Array(selected.iter().map(|v| Value::String(text(v))).collect()),
        "StringMap" => match first() {
            None => return Ok(None),
            Some(v @ Value::Object(_)) => v,
            Some(v) => return Err(wrong(&v)),
        },
        "MapList" => {
            let mut items = Vec::new();
            for v in selected {
                match v {
                    Value::Object(_) => items.push(v),
                    other => return Err(wrong(&other)),
                }
            }
            Value::Array(items)
        }
        other => return Err(Error::UnknownType(other.to_owned())),
    }))
}

/// An output as the API shows it: a list of strings (maps as JSON).
pub fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Value::Object(map) => vec![Value::Object(Map::clone(map)).to_string()],
        other => vec![text(other)],
    }
}
