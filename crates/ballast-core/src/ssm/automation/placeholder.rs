//! What a step's inputs become when it starts: the placeholders the
//! parameters left (`document::resolve` replaces only `{{ Parameter }}`)
//! are replaced from what the execution knows by then:
//!
//! - `{{ StepName.OutputName }}`: an output of an earlier step;
//! - `{{ automation:EXECUTION_ID }}`, `{{ automation:DOCUMENT_NAME }}`;
//! - `{{ global:ACCOUNT_ID }}`, `{{ global:REGION }}`, `{{ global:AWS_PARTITION }}`,
//!   `{{ global:DATE }}` (`2024-05-01`), `{{ global:DATE_TIME }}`
//!   (`2024-05-01_12.00.00`), as AWS writes them.
//!
//! As with parameters, a string that is only one placeholder becomes the
//! value with its type (a `StringList` output a list), a list element
//! that is only a list placeholder is spliced in, and a placeholder inside
//! a longer string is replaced by the value's text. A placeholder nothing
//! answers stays as written, as AWS leaves it.

use serde_json::{Map, Value};

use super::Execution;

/// What placeholders resolve against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub execution: &'a Execution,
    pub account: &'a str,
    pub region: &'a str,
    /// The step's start, epoch millis (for `global:DATE_TIME`).
    pub now_millis: i64,
}

impl Context<'_> {
    /// The value of one placeholder's inside, if it names one.
    pub fn lookup(&self, inner: &str) -> Option<Value> {
        let inner = inner.trim();
        let text = |s: &str| Some(Value::String(s.to_owned()));
        match inner {
            "automation:EXECUTION_ID" => return text(&self.execution.id),
            "automation:DOCUMENT_NAME" => return text(&self.execution.document_name),
            "global:ACCOUNT_ID" => return text(self.account),
            "global:REGION" => return text(self.region),
            "global:AWS_PARTITION" => return text("aws"),
            "global:DATE" => return text(&date_time(self.now_millis)[..10]),
            "global:DATE_TIME" => return text(&date_time(self.now_millis)),
            _ => {}
        }
        let (step, output) = inner.split_once('.')?;
        self.execution
            .steps
            .iter()
            .find(|s| s.def.name == step)?
            .outputs
            .get(output)
            .cloned()
    }
}

/// `2024-05-01_12.00.00`, as `{{ global:DATE_TIME }}` reads.
fn date_time(millis: i64) -> String {
    let iso = crate::clock::iso8601(millis);
    // 2024-05-01T12:00:00Z
    let date = iso.get(..10).unwrap_or("1970-01-01");
    let time = iso.get(11..19).unwrap_or("00:00:00").replace(':', ".");
    format!("{date}_{time}")
}

/// The inside of a string that is exactly one placeholder.
fn sole(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner)
}

/// A value as text inside a longer string.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Replaces every placeholder `ctx` answers, through a tree.
pub fn substitute(value: &Value, ctx: &Context<'_>) -> Value {
    match value {
        Value::String(text) => {
            if let Some(found) = sole(text).and_then(|inner| ctx.lookup(inner)) {
                return found;
            }
            Value::String(replace(text, ctx))
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Value::String(text) = item
                    && let Some(Value::Array(list)) = sole(text).and_then(|i| ctx.lookup(i))
                {
                    out.extend(list);
                    continue;
                }
                out.push(substitute(item, ctx));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                out.insert(key.clone(), substitute(item, ctx));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Replaces the placeholders inside a longer string by their text.
fn replace(text: &str, ctx: &Context<'_>) -> String {
    crate::ssm::document::resolve::replace_each(text, |inner| {
        ctx.lookup(inner).map(|value| as_text(&value))
    })
}
