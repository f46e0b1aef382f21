//! A document's content: JSON or YAML text, read into one tree, and the
//! rules its schema sets: `schemaVersion` 1.2, 2.0 or 2.2 for `Command`
//! documents (`runtimeConfig` plugins or `mainSteps`), 0.3 for
//! `Automation` runbooks, and the declared `parameters` both share.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{DocumentType, Error};

/// How a document's content is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentFormat {
    Json,
    Yaml,
    Text,
}

impl DocumentFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Json => "JSON",
            DocumentFormat::Yaml => "YAML",
            DocumentFormat::Text => "TEXT",
        }
    }

    /// The format a request names; JSON when it names none.
    pub fn parse_or_json(text: Option<&str>) -> Result<Self, Error> {
        match text {
            None | Some("JSON") => Ok(DocumentFormat::Json),
            Some("YAML") => Ok(DocumentFormat::Yaml),
            Some("TEXT") => Ok(DocumentFormat::Text),
            Some(other) => Err(Error::Validation(format!(
                "1 validation error detected: Value '{other}' at 'documentFormat' failed to satisfy constraint: Member must satisfy enum value set: [YAML, JSON, TEXT]"
            ))),
        }
    }
}

/// A declared parameter's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParameterKind {
    String,
    StringList,
    Integer,
    Boolean,
    StringMap,
    MapList,
    /// Automation's AWS resource types (`AWS::EC2::Instance::Id`,
    /// `List<AWS::EC2::Instance::Id>`): strings, or lists of them.
    Aws(String),
}

impl ParameterKind {
    fn parse(text: &str, document_type: &DocumentType) -> Option<Self> {
        Some(match text {
            "String" => ParameterKind::String,
            "StringList" => ParameterKind::StringList,
            "Integer" => ParameterKind::Integer,
            "Boolean" => ParameterKind::Boolean,
            "StringMap" => ParameterKind::StringMap,
            "MapList" => ParameterKind::MapList,
            other
                if *document_type == DocumentType::Automation
                    && (other.starts_with("AWS::") || other.starts_with("List<AWS::")) =>
            {
                ParameterKind::Aws(other.to_owned())
            }
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            ParameterKind::String => "String",
            ParameterKind::StringList => "StringList",
            ParameterKind::Integer => "Integer",
            ParameterKind::Boolean => "Boolean",
            ParameterKind::StringMap => "StringMap",
            ParameterKind::MapList => "MapList",
            ParameterKind::Aws(text) => text,
        }
    }

    /// Whether a value of this type is a list (substituted as one).
    pub fn is_list(&self) -> bool {
        match self {
            ParameterKind::StringList | ParameterKind::MapList => true,
            ParameterKind::Aws(text) => text.starts_with("List<"),
            _ => false,
        }
    }

    /// Whether `value` is a value of this type (a declared default).
    fn admits(&self, value: &Value) -> bool {
        match self {
            ParameterKind::String => value.is_string(),
            ParameterKind::Integer => value.is_i64() || value.is_u64(),
            ParameterKind::Boolean => value.is_boolean(),
            ParameterKind::StringMap => value.is_object(),
            ParameterKind::StringList => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            ParameterKind::MapList => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_object)),
            ParameterKind::Aws(_) if self.is_list() => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
            ParameterKind::Aws(_) => value.is_string(),
        }
    }
}

/// A parameter a document declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterDecl {
    pub name: String,
    pub kind: ParameterKind,
    pub description: Option<String>,
    pub default: Option<Value>,
    #[serde(default)]
    pub allowed_values: Vec<String>,
    pub allowed_pattern: Option<String>,
}

impl ParameterDecl {
    /// The default as DescribeDocument shows it: strings as they are,
    /// numbers and booleans as text, lists and maps as JSON.
    pub fn default_text(&self) -> Option<String> {
        self.default.as_ref().map(|value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }
}

/// What a valid content declares, kept beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Empty for TEXT content, which has none.
    pub schema_version: String,
    pub description: Option<String>,
    pub parameters: Vec<ParameterDecl>,
    pub platform_types: Vec<String>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::InvalidContent(message.into())
}

/// The SHA-256 of `text`, in lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads content into one tree. Malformed text is `InvalidDocumentContent`
/// with the line and column of the fault, as AWS reports it.
pub fn parse(text: &str, format: DocumentFormat) -> Result<Value, Error> {
    match format {
        DocumentFormat::Json => serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "JSON not well-formed. at Line: {}, Column: {}",
                e.line(),
                e.column()
            ))
        }),
        DocumentFormat::Yaml => serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((1, 1), |at| (at.line(), at.column()));
            bad(format!(
                "YAML not well-formed. at Line: {line}, Column: {column}"
            ))
        }),
        DocumentFormat::Text => Ok(Value::String(text.to_owned())),
    }
}

/// Writes a tree in `format` (GetDocument asked for another format than
/// the one stored). Keys come out in name order.
pub fn render(value: &Value, format: DocumentFormat) -> Result<String, Error> {
    match format {
        DocumentFormat::Json => serde_json::to_string_pretty(value)
            .map_err(|e| bad(format!("The content could not be written as JSON: {e}"))),
        DocumentFormat::Yaml => serde_norway::to_string(value)
            .map_err(|e| bad(format!("The content could not be written as YAML: {e}"))),
        DocumentFormat::Text => Ok(match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }),
    }
}

/// The schema versions each document type accepts.
fn schema_versions(document_type: &DocumentType) -> Option<&'static [&'static str]> {
    match document_type {
        DocumentType::Command => Some(&["1.2", "2.0", "2.2"]),
        DocumentType::Automation => Some(&["0.3"]),
        DocumentType::Other(_) => None,
    }
}

/// Plugins a `Command` document may run, and the platforms each runs on.
const COMMAND_ACTIONS: &[(&str, &[&str])] = &[
    ("aws:runShellScript", &["Linux", "MacOS"]),
    ("aws:runPowerShellScript", &["Windows"]),
    ("aws:runDocument", &["Windows", "Linux", "MacOS"]),
    ("aws:downloadContent", &["Windows", "Linux", "MacOS"]),
    ("aws:configurePackage", &["Windows", "Linux", "MacOS"]),
    ("aws:softwareInventory", &["Windows", "Linux", "MacOS"]),
    ("aws:updateSsmAgent", &["Windows", "Linux", "MacOS"]),
    ("aws:refreshAssociation", &["Windows", "Linux", "MacOS"]),
    ("aws:runDockerAction", &["Windows", "Linux"]),
    ("aws:configureDocker", &["Windows", "Linux"]),
    ("aws:applications", &["Windows"]),
    ("aws:cloudWatch", &["Windows"]),
    ("aws:domainJoin", &["Windows", "Linux"]),
    ("aws:psModule", &["Windows"]),
    ("aws:updateAgent", &["Windows"]),
];

/// Actions an `Automation` runbook's steps may take.
const AUTOMATION_ACTIONS: &[&str] = &[
    "aws:approve",
    "aws:assertAwsResourceProperty",
    "aws:branch",
    "aws:changeInstanceState",
    "aws:copyImage",
    "aws:createImage",
    "aws:createStack",
    "aws:createTags",
    "aws:deleteImage",
    "aws:deleteStack",
    "aws:executeAutomation",
    "aws:executeAwsApi",
    "aws:executeScript",
    "aws:executeStateMachine",
    "aws:invokeLambdaFunction",
    "aws:invokeWebhook",
    "aws:loop",
    "aws:pause",
    "aws:runCommand",
    "aws:runInstances",
    "aws:sleep",
    "aws:updateVariable",
    "aws:waitForAwsResourceProperty",
];

const ALL_PLATFORMS: [&str; 3] = ["Windows", "Linux", "MacOS"];

/// Checks content against its document type's schema, and reads what it
/// declares.
pub fn validate(
    text: &str,
    format: DocumentFormat,
    document_type: &DocumentType,
) -> Result<Summary, Error> {
    if format == DocumentFormat::Text {
        return Ok(Summary {
            schema_version: String::new(),
            description: None,
            parameters: Vec::new(),
            platform_types: Vec::new(),
        });
    }
    let tree = parse(text, format)?;
    let Value::Object(root) = &tree else {
        return Err(bad(
            "The document content must be an object with a schemaVersion.",
        ));
    };
    let schema_version = match root.get("schemaVersion") {
        Some(Value::String(v)) => v.clone(),
        // YAML reads an unquoted `schemaVersion: 2.2` as a number.
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(bad("schemaVersion must be a string.")),
        None => {
            return Err(bad(
                "Document content is missing the required property schemaVersion.",
            ));
        }
    };
    if let Some(accepted) = schema_versions(document_type)
        && !accepted.contains(&schema_version.as_str())
    {
        return Err(Error::InvalidSchemaVersion(format!(
            "Document schema version {schema_version} is not supported for document type {}. Supported versions: {}.",
            document_type.as_str(),
            accepted.join(", ")
        )));
    }
    let description = match root.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(_) => return Err(bad("description must be a string.")),
    };
    let mut parameters = declarations(root, document_type)?;
    // The tree keeps keys in name order; DescribeDocument lists
    // parameters in the order the document declares them.
    let order = parameter_order(text, format);
    parameters.sort_by_key(|p| order.iter().position(|n| *n == p.name));
    let platform_types = match document_type {
        DocumentType::Command if schema_version == "1.2" => {
            platforms(command_plugins(root)?.into_iter())
        }
        DocumentType::Command => {
            let steps = main_steps(root)?;
            for (name, action, step) in &steps {
                if !COMMAND_ACTIONS.iter().any(|(a, _)| a == action) {
                    return Err(bad(format!(
                        "Action {action} in step {name} is not supported by schema version {schema_version}."
                    )));
                }
                check_inputs(name, action, step)?;
            }
            platforms(steps.iter().map(|(_, action, _)| action.as_str()))
        }
        DocumentType::Automation => {
            for (name, action, _) in main_steps(root)? {
                if !AUTOMATION_ACTIONS.contains(&action.as_str()) {
                    return Err(bad(format!(
                        "Action {action} in step {name} is not a supported Automation action."
                    )));
                }
            }
            ALL_PLATFORMS.iter().map(|p| (*p).to_owned()).collect()
        }
        DocumentType::Other(_) => Vec::new(),
    };
    Ok(Summary {
        schema_version,
        description,
        parameters,
        platform_types,
    })
}

/// The platforms every listed action runs on, in AWS's order.
fn platforms<'a>(actions: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = [false; 3];
    for action in actions {
        if let Some((_, on)) = COMMAND_ACTIONS.iter().find(|(a, _)| *a == action) {
            for (i, platform) in ALL_PLATFORMS.iter().enumerate() {
                seen[i] |= on.contains(platform);
            }
        }
    }
    ALL_PLATFORMS
        .iter()
        .zip(seen)
        .filter(|(_, on)| *on)
        .map(|(p, _)| (*p).to_owned())
        .collect()
}

/// A 1.2 document's plugins (`runtimeConfig`'s keys), checked.
fn command_plugins(root: &Map<String, Value>) -> Result<Vec<&str>, Error> {
    let Some(Value::Object(config)) = root.get("runtimeConfig") else {
        return Err(bad(
            "Schema version 1.2 documents need a runtimeConfig object naming at least one plugin.",
        ));
    };
    if config.is_empty() {
        return Err(bad("runtimeConfig must name at least one plugin."));
    }
    let mut plugins = Vec::new();
    for (plugin, body) in config {
        if !COMMAND_ACTIONS.iter().any(|(a, _)| a == plugin) {
            return Err(bad(format!(
                "Plugin {plugin} is not supported by schema version 1.2."
            )));
        }
        if !body
            .get("properties")
            .is_some_and(|p| p.is_object() || p.is_array())
        {
            return Err(bad(format!(
                "Plugin {plugin} in runtimeConfig needs a properties object."
            )));
        }
        plugins.push(plugin.as_str());
    }
    Ok(plugins)
}

/// One `mainSteps` entry: its name, its action and the whole step.
pub(crate) type RawStep<'a> = (String, String, &'a Map<String, Value>);

/// The `mainSteps` of a 2.x document or a runbook: `(name, action, step)`,
/// names unique.
pub(crate) fn main_steps(root: &Map<String, Value>) -> Result<Vec<RawStep<'_>>, Error> {
    let Some(Value::Array(steps)) = root.get("mainSteps") else {
        return Err(bad(
            "Document content is missing the required property mainSteps.",
        ));
    };
    if steps.is_empty() {
        return Err(bad("mainSteps must hold at least one step."));
    }
    let mut out: Vec<RawStep<'_>> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Value::Object(step) = step else {
            return Err(bad(format!(
                "Step {} of mainSteps is not an object.",
                i + 1
            )));
        };
        let Some(Value::String(name)) = step.get("name") else {
            return Err(bad(format!(
                "Step {} of mainSteps is missing the required property name.",
                i + 1
            )));
        };
        if name.is_empty()
            || name.len() > 128
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(bad(format!(
                "Step name {name} is not valid: use 1 to 128 letters, digits, '_', '-' or '.'."
            )));
        }
        let Some(Value::String(action)) = step.get("action") else {
            return Err(bad(format!(
                "Step {name} is missing the required property action."
            )));
        };
        if out.iter().any(|(n, _, _)| n == name) {
            return Err(bad(format!(
                "Step name {name} is used more than once. Step names must be unique."
            )));
        }
        out.push((name.clone(), action.clone(), step));
    }
    Ok(out)
}

/// The inputs the script plugins cannot run without.
fn check_inputs(name: &str, action: &str, step: &Map<String, Value>) -> Result<(), Error> {
    if !matches!(action, "aws:runShellScript" | "aws:runPowerShellScript") {
        return Ok(());
    }
    let run = step
        .get("inputs")
        .and_then(|inputs| inputs.get("runCommand"));
    match run {
        Some(Value::String(_) | Value::Array(_)) => Ok(()),
        _ => Err(bad(format!(
            "Step {name} ({action}) is missing the required input runCommand."
        ))),
    }
}

fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `parameters` a document declares, checked: each has a known type,
/// a default of that type and an allowedPattern that compiles.
fn declarations(
    root: &Map<String, Value>,
    document_type: &DocumentType,
) -> Result<Vec<ParameterDecl>, Error> {
    let declared = match root.get("parameters") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(declared)) => declared,
        Some(_) => return Err(bad("parameters must be an object.")),
    };
    let mut out = Vec::new();
    for (name, body) in declared {
        if !is_parameter_name(name) {
            return Err(bad(format!(
                "Parameter name {name} is not valid: use letters, digits and '_' only."
            )));
        }
        let Value::Object(body) = body else {
            return Err(bad(format!("Parameter {name} must be an object.")));
        };
        let kind = match body.get("type") {
            Some(Value::String(t)) => ParameterKind::parse(t, document_type).ok_or_else(|| {
                bad(format!(
                    "Parameter {name} has an unsupported type {t}. Supported types: String, StringList, Integer, Boolean, StringMap, MapList."
                ))
            })?,
            _ => {
                return Err(bad(format!(
                    "Parameter {name} is missing the required property type."
                )));
            }
        };
        let description = match body.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) => Some(d.clone()),
            Some(_) => {
                return Err(bad(format!(
                    "The description of parameter {name} must be a string."
                )));
            }
        };
        let allowed_values = match body.get("allowedValues") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(_) | Value::Bool(_) => Ok(v.to_string()),
                    _ => Err(bad(format!(
                        "The allowedValues of parameter {name} must be strings."
                    ))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(bad(format!(
                    "The allowedValues of parameter {name} must be a list."
                )));
            }
        };
        let allowed_pattern = match body.get("allowedPattern") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => {
                if super::resolve::compile_pattern(p).is_none() {
                    return Err(bad(format!(
                        "The allowedPattern of parameter {name} is not a valid regular expression."
                    )));
                }
                Some(p.clone())
            }
            Some(_) => {
                return Err(bad(format!(
                    "The allowedPattern of parameter {name} must be a string."
                )));
            }
        };
        let default = match body.get("default") {
            None | Some(Value::Null) => None,
            Some(value) => {
                if !kind.admits(value) {
                    return Err(bad(format!(
                        "The default value of parameter {name} is not a valid {}.",
                        kind.as_str()
                    )));
                }
                Some(value.clone())
            }
        };
        // A default is checked against the type only: documents commonly
        // default to "" beside an allowedPattern the empty string fails.
        out.push(ParameterDecl {
            name: name.clone(),
            kind,
            description,
            default,
            allowed_values,
            allowed_pattern,
        });
    }
    Ok(out)
}

/// The keys of a map, in the order the text gives them.
struct OrderedKeys(Vec<String>);

impl<'de> Deserialize<'de> for OrderedKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = OrderedKeys;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderedKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(OrderedKeys(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

#[derive(Deserialize)]
struct ParameterOrder {
    #[serde(default)]
    parameters: Option<OrderedKeys>,
}

/// The names of the declared parameters in the order the text gives them.
fn parameter_order(text: &str, format: DocumentFormat) -> Vec<String> {
    let read = match format {
        DocumentFormat::Json => serde_json::from_str::<ParameterOrder>(text).ok(),
        DocumentFormat::Yaml => serde_norway::from_str::<ParameterOrder>(text).ok(),
        DocumentFormat::Text => None,
    };
    read.and_then(|r| r.parameters)
        .map(|k| k.0)
        .unwrap_or_default()
}
