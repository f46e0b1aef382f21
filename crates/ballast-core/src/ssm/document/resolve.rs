//! From a document and the `Parameters` of a command (name → list of
//! strings, as SendCommand takes them) to the steps an agent runs.
//!
//! [`resolve`] checks every value against the parameter the document
//! declares (unknown names, required ones missing, the type, allowed values
//! and pattern), fills in defaults, then replaces each `{{ name }}` (spaces
//! optional) in the steps' inputs and preconditions. A string that is only
//! one placeholder becomes the value itself with its type (a `StringList`
//! a list, an `Integer` a number), and a list element that is only a list
//! placeholder is spliced into the list, so `"runCommand": "{{ commands }}"`
//! is the list of commands. Placeholders inside longer strings are
//! replaced by the value's text (a list's items joined with commas).
//!
//! `{{ ssm:NAME }}` (optionally `NAME:VERSION` or `NAME:LABEL`) names a
//! Parameter Store value, in a supplied value or in the content; the
//! caller resolves it through the lookup it passes, which keeps this
//! module pure. `{{ ssm-secure:… }}` is left for the agent. Other
//! placeholders (Automation's `{{ step.Output }}`, `{{ global:DATE }}`)
//! are left as they are.
//!
//! Every refusal is SendCommand's `InvalidParameters`.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::{Map, Value};

use super::content::ParameterKind;
use super::{DocumentVersion, ParameterDecl};

/// The error code AWS answers every [`Error`] with.
pub const ERROR_CODE: &str = "InvalidParameters";

/// Why a command's parameters do not fit its document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("Parameter \"{0}\" is not defined in the document.")]
    Unknown(String),
    #[error("Parameter \"{0}\" is required: the document gives it no default.")]
    Missing(String),
    #[error("Parameter \"{name}\" takes one value of type {kind}, not a list of {count}.")]
    NotSingle {
        name: String,
        kind: String,
        count: usize,
    },
    #[error("Parameter \"{name}\" value \"{value}\" is not a valid {kind}.")]
    WrongType {
        name: String,
        value: String,
        kind: String,
    },
    #[error(
        "Parameter \"{name}\" value \"{value}\" is not one of the allowed values: [{allowed}]."
    )]
    NotAllowed {
        name: String,
        value: String,
        allowed: String,
    },
    #[error(
        "Parameter \"{name}\" value \"{value}\" failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    )]
    PatternMismatch {
        name: String,
        value: String,
        pattern: String,
    },
    #[error("Parameter Store parameter {0} referenced as {{{{ssm:{0}}}}} was not found.")]
    Unresolved(String),
    #[error("The document's content cannot be read: {0}")]
    Content(String),
}

/// One step an agent runs: a 2.x `mainSteps` entry, or a 1.2 plugin (named
/// after the plugin, as AWS names its output: `aws:runShellScript`).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    pub action: String,
    pub inputs: Value,
    pub precondition: Option<Value>,
}

/// A document resolved for one command.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// Every declared parameter's value, supplied or default, as the
    /// strings ListCommands shows back.
    pub parameters: BTreeMap<String, Vec<String>>,
    pub steps: Vec<Step>,
}

/// Compiles a document's `allowedPattern`, matched against the whole value
/// as Java's `matches` does.
pub(crate) fn compile_pattern(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).ok()
}

/// Resolves `document` for a command with `supplied` parameters.
/// `lookup` answers `{{ ssm:NAME }}` references with the parameter's
/// value, or `None` when there is no such parameter.
pub fn resolve(
    document: &DocumentVersion,
    supplied: &BTreeMap<String, Vec<String>>,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<Resolution, Error> {
    for name in supplied.keys() {
        if !document.parameters.iter().any(|p| &p.name == name) {
            return Err(Error::Unknown(name.clone()));
        }
    }
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    let mut shown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for decl in &document.parameters {
        let (typed, text) = match supplied.get(&decl.name) {
            Some(raw) => {
                let raw: Vec<String> = raw
                    .iter()
                    .map(|v| substitute_references(v, &mut lookup))
                    .collect::<Result<_, _>>()?;
                (typed_value(decl, &raw)?, raw)
            }
            None => match &decl.default {
                Some(default) => (default.clone(), texts(default)),
                None => return Err(Error::Missing(decl.name.clone())),
            },
        };
        values.insert(decl.name.clone(), typed);
        shown.insert(decl.name.clone(), text);
    }
    let tree = document
        .parsed()
        .map_err(|e| Error::Content(e.to_string()))?;
    let root = tree
        .as_object()
        .ok_or_else(|| Error::Content("not an object".to_owned()))?;
    let mut steps = Vec::new();
    if let Some(Value::Object(config)) = root.get("runtimeConfig") {
        for (plugin, body) in config {
            let properties = body.get("properties").cloned().unwrap_or(Value::Null);
            let each = match properties {
                Value::Array(items) => items,
                other => vec![other],
            };
            for inputs in each {
                steps.push(Step {
                    name: plugin.clone(),
                    action: plugin.clone(),
                    inputs: substitute(&inputs, &values, &mut lookup)?,
                    precondition: None,
                });
            }
        }
    } else {
        let listed = super::content::main_steps(root).map_err(|e| Error::Content(e.to_string()))?;
        for (name, action, step) in listed {
            let inputs = step
                .get("inputs")
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            let precondition = match step.get("precondition") {
                Some(p) => Some(substitute(p, &values, &mut lookup)?),
                None => None,
            };
            steps.push(Step {
                name,
                action,
                inputs: substitute(&inputs, &values, &mut lookup)?,
                precondition,
            });
        }
    }
    Ok(Resolution {
        parameters: shown,
        steps,
    })
}

/// A default's values as strings.
fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Checks supplied values against their declaration, and types them.
fn typed_value(decl: &ParameterDecl, raw: &[String]) -> Result<Value, Error> {
    let name = &decl.name;
    let wrong = |value: &str| Error::WrongType {
        name: name.clone(),
        value: value.to_owned(),
        kind: decl.kind.as_str().to_owned(),
    };
    let single = || -> Result<&str, Error> {
        match raw {
            [] => Ok(""),
            [one] => Ok(one.as_str()),
            many => Err(Error::NotSingle {
                name: name.clone(),
                kind: decl.kind.as_str().to_owned(),
                count: many.len(),
            }),
        }
    };
    let value = match &decl.kind {
        ParameterKind::String => Value::String(single()?.to_owned()),
        ParameterKind::Aws(_) if !decl.kind.is_list() => Value::String(single()?.to_owned()),
        ParameterKind::StringList | ParameterKind::Aws(_) => {
            Value::Array(raw.iter().cloned().map(Value::String).collect())
        }
        ParameterKind::Integer => {
            let text = single()?;
            let n: i64 = text.trim().parse().map_err(|_| wrong(text))?;
            Value::from(n)
        }
        ParameterKind::Boolean => {
            let text = single()?;
            match text.trim().to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(wrong(text)),
            }
        }
        ParameterKind::StringMap => {
            let text = single()?;
            match serde_json::from_str::<Value>(text) {
                Ok(map @ Value::Object(_)) => map,
                _ => return Err(wrong(text)),
            }
        }
        ParameterKind::MapList => {
            let mut items = Vec::new();
            for text in raw {
                match serde_json::from_str::<Value>(text) {
                    Ok(map @ Value::Object(_)) => items.push(map),
                    Ok(Value::Array(list)) if list.iter().all(Value::is_object) => {
                        items.extend(list)
                    }
                    _ => return Err(wrong(text)),
                }
            }
            Value::Array(items)
        }
    };
    check_values(decl, raw)?;
    Ok(value)
}

/// Checks each value against `allowedValues` and `allowedPattern`.
fn check_values(decl: &ParameterDecl, raw: &[String]) -> Result<(), Error> {
    let pattern = decl
        .allowed_pattern
        .as_deref()
        .map(|p| (p, compile_pattern(p)));
    for value in raw {
        if !decl.allowed_values.is_empty() && !decl.allowed_values.contains(value) {
            return Err(Error::NotAllowed {
                name: decl.name.clone(),
                value: value.clone(),
                allowed: decl.allowed_values.join(", "),
            });
        }
        if let Some((text, compiled)) = &pattern
            && !compiled.as_ref().is_some_and(|re| re.is_match(value))
        {
            return Err(Error::PatternMismatch {
                name: decl.name.clone(),
                value: value.clone(),
                pattern: (*text).to_owned(),
            });
        }
    }
    Ok(())
}

/// A placeholder found in a string.
enum Placeholder<'a> {
    Parameter(&'a str),
    Reference(&'a str),
    Other,
}

fn classify(inner: &str) -> Placeholder<'_> {
    let inner = inner.trim();
    if let Some(name) = inner.strip_prefix("ssm:") {
        let name = name.trim();
        if !name.is_empty() {
            return Placeholder::Reference(name);
        }
    }
    if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Placeholder::Parameter(inner);
    }
    Placeholder::Other
}

/// Splits `text` around `{{ … }}`: calls `each` for every placeholder's
/// inside and returns the text with each replaced by what `each` gives
/// (`None` keeps the placeholder as written).
pub(crate) fn replace_placeholders<E>(
    text: &str,
    mut each: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<String, E> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let whole = &rest[start..start + 2 + len + 2];
        let inner = &rest[start + 2..start + 2 + len];
        out.push_str(&rest[..start]);
        match each(inner)? {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(whole),
        }
        rest = &rest[start + whole.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// [`replace_placeholders`] for replacements that cannot fail.
pub(crate) fn replace_each(text: &str, mut each: impl FnMut(&str) -> Option<String>) -> String {
    match replace_placeholders(text, |inner| Ok::<_, std::convert::Infallible>(each(inner))) {
        Ok(text) => text,
        Err(never) => match never {},
    }
}

/// Replaces `{{ ssm:NAME }}` references in `text` with their values.
fn substitute_references(
    text: &str,
    lookup: &mut impl FnMut(&str) -> Option<String>,
) -> Result<String, Error> {
    replace_placeholders(text, |inner| match classify(inner) {
        Placeholder::Reference(name) => lookup(name)
            .map(Some)
            .ok_or_else(|| Error::Unresolved(name.to_owned())),
        _ => Ok(None),
    })
}

/// The one parameter a string consists of (`"{{ commands }}"`), if any.
fn sole_parameter<'a>(text: &'a str, values: &BTreeMap<String, Value>) -> Option<&'a str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") {
        return None;
    }
    match classify(inner) {
        Placeholder::Parameter(name) if values.contains_key(name) => Some(name),
        _ => None,
    }
}

/// A value as text inside a longer string.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Substitutes parameters, then references, through a tree.
fn substitute(
    value: &Value,
    values: &BTreeMap<String, Value>,
    lookup: &mut impl FnMut(&str) -> Option<String>,
) -> Result<Value, Error> {
    Ok(match value {
        Value::String(text) => {
            if let Some(name) = sole_parameter(text, values)
                && let Some(typed) = values.get(name)
            {
                return resolve_nested(typed, lookup);
            }
            let replaced = replace_placeholders(text, |inner| -> Result<_, Error> {
                Ok(match classify(inner) {
                    Placeholder::Parameter(name) => values.get(name).map(as_text),
                    _ => None,
                })
            })?;
            Value::String(substitute_references(&replaced, lookup)?)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Value::String(text) = item
                    && let Some(name) = sole_parameter(text, values)
                    && let Some(Value::Array(list)) = values.get(name)
                {
                    for element in list {
                        out.push(resolve_nested(element, lookup)?);
                    }
                    continue;
                }
                out.push(substitute(item, values, lookup)?);
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                out.insert(key.clone(), substitute(item, values, lookup)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// A parameter's value put into the steps, with the references inside
/// it resolved.
fn resolve_nested(
    value: &Value,
    lookup: &mut impl FnMut(&str) -> Option<String>,
) -> Result<Value, Error> {
    substitute(value, &BTreeMap::new(), lookup)
}

#[cfg(test)]
mod tests;
