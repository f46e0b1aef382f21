//! The allow-list (`crates/ballast-model/operations.toml`): which services
//! and operations get wire types. A small TOML subset is read by hand so the
//! generator needs nothing beyond `serde_json`: `[section]` headers,
//! `key = "string"`, `key = true|false` and `key = ["a", "b"]` (arrays may
//! span lines), dotted keys, and `#` comments.

use std::collections::BTreeMap;

/// One service to generate.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The module name (`ssm`), also the section name.
    pub module: String,
    /// The model's directory under botocore's `data/` (`ssm/2014-11-06`).
    pub model: String,
    pub operations: Vec<String>,
    /// Enums whose values AWS's messages list in an order other than the
    /// model's (`ParameterType` → `[SecureString, StringList, String]`).
    pub enum_order: BTreeMap<String, Vec<String>>,
    /// Whether `Validate` checks the model's constraints (lengths, ranges,
    /// patterns, enum values); `validate = false` for a service that
    /// answers its own codes and wording for them (EC2).
    pub validate: bool,
    /// Structures that are unions (exactly one member set) although the
    /// botocore model does not say so (DynamoDB's `AttributeValue`: its
    /// Smithy model's `@union` trait is lost in botocore's JSON). Shapes
    /// carrying `"union": true` are unions without being listed.
    pub unions: Vec<String>,
    /// Structures (model shape names) whose list items a handler may hand
    /// over already written as XML (`ballast_model::Prewritten`): EC2's
    /// `Instance`, which DescribeInstances keeps written between writes.
    pub prewritten: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The botocore version the checked-in code was generated from.
    pub botocore: String,
    pub services: Vec<ServiceConfig>,
}

#[derive(Debug, Clone)]
enum Value {
    Str(String),
    Bool(bool),
    List(Vec<String>),
}

/// Parses the allow-list.
pub fn parse(text: &str) -> Result<Config, String> {
    let mut section = String::new();
    let mut entries: Vec<(String, String, Value)> = Vec::new();
    let mut pending: Option<(String, String)> = None;
    for (number, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim().to_owned();
        if let Some((key, buffer)) = pending.as_mut() {
            buffer.push(' ');
            buffer.push_str(&line);
            if line.ends_with(']') {
                let value = parse_value(buffer).map_err(|e| format!("line {}: {e}", number + 1))?;
                entries.push((section.clone(), key.clone(), value));
                pending = None;
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected `key = value`", number + 1));
        };
        let key = key.trim().to_owned();
        let value = value.trim();
        if value.starts_with('[') && !value.ends_with(']') {
            pending = Some((key, value.to_owned()));
            continue;
        }
        let value = parse_value(value).map_err(|e| format!("line {}: {e}", number + 1))?;
        entries.push((section.clone(), key, value));
    }
    if pending.is_some() {
        return Err("unterminated array".to_owned());
    }

    let mut botocore = None;
    let mut services: Vec<ServiceConfig> = Vec::new();
    for (section, key, value) in entries {
        if section.is_empty() {
            match (key.as_str(), value) {
                ("botocore", Value::Str(v)) => botocore = Some(v),
                (other, _) => return Err(format!("unknown top-level key `{other}`")),
            }
            continue;
        }
        let index = match services.iter().position(|s| s.module == section) {
            Some(i) => i,
            None => {
                services.push(ServiceConfig {
                    module: section.clone(),
                    model: String::new(),
                    operations: Vec::new(),
                    enum_order: BTreeMap::new(),
                    validate: true,
                    unions: Vec::new(),
                    prewritten: Vec::new(),
                });
                services.len() - 1
            }
        };
        let service = &mut services[index];
        match (key.as_str(), value) {
            ("model", Value::Str(v)) => service.model = v,
            ("operations", Value::List(v)) => service.operations = v,
            ("validate", Value::Bool(v)) => service.validate = v,
            ("unions", Value::List(v)) => service.unions = v,
            ("prewritten", Value::List(v)) => service.prewritten = v,
            (k, Value::List(v)) if k.starts_with("enum_order.") => {
                service
                    .enum_order
                    .insert(k["enum_order.".len()..].to_owned(), v);
            }
            (other, _) => return Err(format!("[{section}]: unknown key `{other}`")),
        }
    }
    for service in &services {
        if service.model.is_empty() {
            return Err(format!("[{}]: `model` is required", service.module));
        }
    }
    Ok(Config {
        botocore: botocore.ok_or("`botocore` (the pinned version) is required")?,
        services,
    })
}

fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_value(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items = inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_string)
            .collect::<Result<_, _>>()?;
        return Ok(Value::List(items));
    }
    match text {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    parse_string(text).map(Value::Str)
}

fn parse_string(text: &str) -> Result<String, String> {
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| !t.contains('"') && !t.contains('\\'))
        .map(str::to_owned)
        .ok_or_else(|| format!("expected a plain \"string\", found `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_arrays_and_dotted_keys() {
        let config = parse(
            "botocore = \"1.2.3\" # pinned\n[ssm]\nmodel = \"ssm/2014-11-06\"\noperations = [\n  \"A\", # first\n  \"B\",\n]\nenum_order.T = [\"x\", \"y\"]\nunions = [\"U\"]\nprewritten = [\"P\"]\n",
        )
        .unwrap();
        assert_eq!(config.botocore, "1.2.3");
        assert_eq!(config.services[0].operations, ["A", "B"]);
        assert_eq!(config.services[0].enum_order["T"], ["x", "y"]);
        assert!(config.services[0].validate);
        assert_eq!(config.services[0].unions, ["U"]);
        assert_eq!(config.services[0].prewritten, ["P"]);
    }

    #[test]
    fn reads_booleans() {
        let config =
            parse("botocore = \"1\"\n[ec2]\nmodel = \"ec2/x\"\nvalidate = false\n").unwrap();
        assert!(!config.services[0].validate);
        assert!(parse("botocore = \"1\"\n[ec2]\nmodel = \"ec2/x\"\nvalidate = \"no\"\n").is_err());
    }
}
