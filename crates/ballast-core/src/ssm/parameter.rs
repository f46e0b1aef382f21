//! Parameter Store: names, types, tiers, versions, labels and selectors, with
//! AWS's limits.

use serde::{Deserialize, Serialize};

/// The most versions a parameter keeps; older ones are dropped.
pub const MAX_VERSIONS: usize = 100;
/// The most labels one version may carry.
pub const MAX_LABELS_PER_VERSION: usize = 10;
/// Standard-tier values are at most 4 KB, advanced ones 8 KB.
pub const STANDARD_VALUE_BYTES: usize = 4096;
pub const ADVANCED_VALUE_BYTES: usize = 8192;
/// Hierarchies are at most 15 levels deep.
pub const MAX_LEVELS: usize = 15;
/// A name, with the ARN prefix before it, is at most 1011 characters.
pub const MAX_NAME_WITH_ARN: usize = 1011;
/// The KMS key SecureStrings use when none is named.
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";

/// Why a Parameter Store request was refused. Each variant is one of the
/// service's modelled errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error(
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
    )]
    AlreadyExists,
    #[error("Parameter {0} not found.")]
    NotFound(String),
    #[error(
        "Systems Manager could not find version {version} of {name}. Verify the version and try again."
    )]
    VersionNotFound { name: String, version: String },
    #[error("Parameter name: hierarchy depth exceeds {MAX_LEVELS} levels.")]
    HierarchyLevelLimitExceeded,
    #[error(
        "The parameter type can't be changed from {from} to {to}. Delete the parameter and create it again with the new type."
    )]
    HierarchyTypeMismatch { from: String, to: String },
    #[error(
        "Parameter {0} has {MAX_VERSIONS} versions and its oldest version has a label, so no new version can be added. Move the label and try again."
    )]
    MaxVersionLimitExceeded(String),
    #[error("A parameter version can have at most {MAX_LABELS_PER_VERSION} labels.")]
    VersionLabelLimitExceeded,
    #[error("The next token is not valid.")]
    InvalidNextToken,
    #[error("The filter key {0} is not valid.")]
    InvalidFilterKey(String),
    #[error("The filter option {0} is not valid.")]
    InvalidFilterOption(String),
    #[error("The filter value {0} is not valid.")]
    InvalidFilterValue(String),
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Validation(message.into())
}

/// A parameter's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParameterType {
    String,
    StringList,
    SecureString,
}

impl ParameterType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }

    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "String" => Ok(ParameterType::String),
            "StringList" => Ok(ParameterType::StringList),
            "SecureString" => Ok(ParameterType::SecureString),
            other => Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]"
            ))),
        }
    }
}

/// A parameter's storage tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tier {
    Standard,
    Advanced,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "Standard",
            Tier::Advanced => "Advanced",
        }
    }

    /// Resolves a requested tier. The default is the parameter's current
    /// tier (Standard for a new one, as AWS's default tier setting is);
    /// `Intelligent-Tiering` picks the cheapest tier that fits the value; a
    /// parameter once advanced stays so.
    pub fn resolve(
        requested: Option<&str>,
        value_len: usize,
        current: Option<Tier>,
    ) -> Result<Tier, Error> {
        let floor = current.unwrap_or(Tier::Standard);
        let tier = match requested {
            None => floor,
            Some("Standard") => Tier::Standard,
            Some("Advanced") => Tier::Advanced,
            Some("Intelligent-Tiering") => {
                if value_len > STANDARD_VALUE_BYTES {
                    Tier::Advanced
                } else {
                    floor
                }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{other}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]"
                )));
            }
        };
        if floor == Tier::Advanced && tier == Tier::Standard {
            return Err(invalid(
                "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.",
            ));
        }
        let limit = match tier {
            Tier::Standard => STANDARD_VALUE_BYTES,
            Tier::Advanced => ADVANCED_VALUE_BYTES,
        };
        if value_len > limit {
            return Err(invalid(match tier {
                Tier::Standard => "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.".to_owned(),
                Tier::Advanced => format!("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to {ADVANCED_VALUE_BYTES}"),
            }));
        }
        Ok(tier)
    }
}

impl PartialOrd for Tier {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tier {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

/// A parameter's data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataType;

impl DataType {
    pub const DEFAULT: &'static str = "text";

    /// Checks a requested data type and the value it constrains.
    pub fn validate(data_type: &str, value: &str) -> Result<(), Error> {
        match data_type {
            "text" | "aws:ssm:integration" => Ok(()),
            "aws:ec2:image" => {
                let ok = value
                    .strip_prefix("ami-")
                    .is_some_and(|id| id.len() >= 8 && id.bytes().all(|b| b.is_ascii_hexdigit()));
                if ok {
                    Ok(())
                } else {
                    Err(invalid(format!(
                        "The value '{value}' is not a valid image id for data type aws:ec2:image."
                    )))
                }
            }
            other => Err(invalid(format!(
                "The following data type is not supported: {other} (Data type names are all lowercase.)"
            ))),
        }
    }
}

/// A validated parameter name.
///
/// Names are case-sensitive; `/P` and `P` name the same first-level
/// parameter, so lookups go through [`ParameterName::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterName(String);

impl ParameterName {
    /// Validates a name given in a request (not an ARN or selector).
    pub fn parse(raw: &str, arn_prefix_len: usize) -> Result<Self, Error> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(invalid(
                "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
        {
            return Err(invalid(
                "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.",
            ));
        }
        check_not_reserved(name)?;
        let first_segment = name.trim_start_matches('/');
        if name.contains('/') && !name.starts_with('/') {
            return Err(invalid("Parameter name must be a fully qualified name."));
        }
        if name.contains("//") || (name.len() > 1 && name.ends_with('/')) {
            return Err(invalid("Parameter name must be a fully qualified name."));
        }
        if name.split('/').filter(|s| !s.is_empty()).count() > MAX_LEVELS {
            return Err(Error::HierarchyLevelLimitExceeded);
        }
        if arn_prefix_len + first_segment.len() > MAX_NAME_WITH_ARN {
            return Err(invalid(format!(
                "Parameter name, including its ARN prefix, must be at most {MAX_NAME_WITH_ARN} characters."
            )));
        }
        Ok(ParameterName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that identifies the parameter: `/P` and `P` share one.
    pub fn key(&self) -> String {
        key_of(&self.0)
    }

    /// The resource part of the parameter's ARN (`parameter/a/b`).
    pub fn arn_resource(&self) -> String {
        format!("parameter/{}", self.0.trim_start_matches('/'))
    }

    /// Whether the parameter sits under `path`: directly, or anywhere below
    /// when `recursive`.
    pub fn is_under(&self, path: &str, recursive: bool) -> bool {
        is_under(&self.0, path, recursive)
    }
}

/// Whether the parameter `name` sits under `path`: directly, or anywhere
/// below when `recursive`. For names that need no validation (AWS's public
/// parameters); see [`ParameterName::is_under`].
pub fn is_under(name: &str, path: &str, recursive: bool) -> bool {
    let full = if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    };
    let prefix = if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    };
    match full.strip_prefix(&prefix) {
        Some(rest) if !rest.is_empty() => recursive || !rest.contains('/'),
        _ => false,
    }
}

/// Whether a name is reserved for AWS: its first segment starts with
/// `aws` or `ssm` (in any case). AWS's public parameters
/// (`/aws/service/...`) live there, so no account can create, overwrite or
/// delete a parameter of that name.
pub fn is_reserved(name: &str) -> bool {
    let lowered = name.trim().trim_start_matches('/').to_ascii_lowercase();
    lowered.starts_with("aws") || lowered.starts_with("ssm")
}

/// Refuses a reserved name ([`is_reserved`]) with AWS's
/// `ValidationException`.
pub fn check_not_reserved(name: &str) -> Result<(), Error> {
    if is_reserved(name) {
        Err(invalid(
            "No access to reserved parameter name: parameter names can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).",
        ))
    } else {
        Ok(())
    }
}

/// The key for a stored name (see [`ParameterName::key`]).
pub fn key_of(name: &str) -> String {
    let trimmed = name.trim();
    match trimmed.strip_prefix('/') {
        Some(rest) if !rest.contains('/') => rest.to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// Checks a hierarchy path given to GetParametersByPath or a Path filter.
pub fn validate_path(path: &str) -> Result<(), Error> {
    let ok = path.starts_with('/')
        && !path.contains("//")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if !ok {
        return Err(invalid(
            "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.",
        ));
    }
    if path.split('/').filter(|s| !s.is_empty()).count() > MAX_LEVELS {
        return Err(Error::HierarchyLevelLimitExceeded);
    }
    Ok(())
}

/// What a GetParameter name selects: the latest version, a version number
/// (`name:3`) or a label (`name:prod`). ARNs select by their name part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub name: String,
    pub version: SelectorVersion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorVersion {
    Latest,
    Number(i64),
    Label(String),
}

impl Selector {
    /// Parses `name`, `name:3`, `name:label` or an `arn:…:parameter/name`.
    pub fn parse(raw: &str) -> Selector {
        let raw = raw.trim();
        let name_part = match raw.strip_prefix("arn:") {
            Some(_) => {
                let resource = raw.splitn(6, ':').nth(5).unwrap_or("");
                let (resource, selector) = match resource.rsplit_once(':') {
                    Some((r, s)) => (r, Some(s)),
                    None => (resource, None),
                };
                let rest = resource.strip_prefix("parameter").unwrap_or(resource);
                let name = if rest.matches('/').count() > 1 {
                    rest.to_owned()
                } else {
                    rest.trim_start_matches('/').to_owned()
                };
                return Selector::with_suffix(name, selector);
            }
            None => raw,
        };
        match name_part.rsplit_once(':') {
            Some((name, suffix)) => Selector::with_suffix(name.to_owned(), Some(suffix)),
            None => Selector {
                name: name_part.to_owned(),
                version: SelectorVersion::Latest,
            },
        }
    }

    fn with_suffix(name: String, suffix: Option<&str>) -> Selector {
        let version = match suffix {
            None => SelectorVersion::Latest,
            Some(s) => match s.parse::<i64>() {
                Ok(n) => SelectorVersion::Number(n),
                Err(_) => SelectorVersion::Label(s.to_owned()),
            },
        };
        Selector { name, version }
    }

    /// The `Selector` member of GetParameter's output (`:3`, `:label`).
    pub fn suffix(&self) -> Option<String> {
        match &self.version {
            SelectorVersion::Latest => None,
            SelectorVersion::Number(n) => Some(format!(":{n}")),
            SelectorVersion::Label(l) => Some(format!(":{l}")),
        }
    }

    /// Picks the selected version out of a parameter's history.
    pub fn pick<'v>(
        &self,
        versions: &'v [ParameterVersion],
    ) -> Result<&'v ParameterVersion, Error> {
        let found = match &self.version {
            SelectorVersion::Latest => versions.iter().max_by_key(|v| v.version),
            SelectorVersion::Number(n) => versions.iter().find(|v| v.version == *n),
            SelectorVersion::Label(l) => versions.iter().find(|v| v.labels.contains(l)),
        };
        found.ok_or_else(|| self.version_not_found())
    }

    /// The error for a selector whose version or label does not exist.
    pub fn version_not_found(&self) -> Error {
        Error::VersionNotFound {
            name: self.name.clone(),
            version: self
                .suffix()
                .unwrap_or_default()
                .trim_start_matches(':')
                .to_owned(),
        }
    }
}

/// One version of a parameter, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterVersion {
    pub name: String,
    pub version: i64,
    pub parameter_type: ParameterType,
    pub value: String,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tier: Tier,
    pub data_type: String,
    pub labels: Vec<String>,
    pub modified_millis: i64,
    pub modified_user: String,
}

/// A PutParameter request, validated field by field in [`PutRequest::apply`].
#[derive(Debug, Clone, Default)]
pub struct PutRequest {
    pub name: String,
    pub value: String,
    pub parameter_type: Option<String>,
    pub description: Option<String>,
    pub key_id: Option<String>,
    pub overwrite: bool,
    pub allowed_pattern: Option<String>,
    pub has_tags: bool,
    pub tier: Option<String>,
    pub data_type: Option<String>,
}

impl PutRequest {
    /// The new version this request creates on top of `latest` (the
    /// parameter's newest version, if it exists).
    pub fn apply(
        &self,
        name: &ParameterName,
        latest: Option<&ParameterVersion>,
        now_millis: i64,
        user: &str,
    ) -> Result<ParameterVersion, Error> {
        if self.value.is_empty() {
            return Err(invalid(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        if self.value.contains("{{") && self.value.contains("}}") {
            return Err(invalid(
                "Parameter value can't nest another parameter. Do not use \"{{}}\" in the value.",
            ));
        }
        if let Some(d) = &self.description
            && d.chars().count() > 1024
        {
            return Err(invalid(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024",
            ));
        }
        let requested_type = self
            .parameter_type
            .as_deref()
            .map(ParameterType::parse)
            .transpose()?;
        let data_type = self.data_type.clone().unwrap_or_else(|| {
            latest.map_or(DataType::DEFAULT.to_owned(), |l| l.data_type.clone())
        });
        DataType::validate(&data_type, &self.value)?;
        let parameter_type = match (latest, requested_type) {
            (None, None) => {
                return Err(invalid(
                    "A parameter type is required when you create a parameter.",
                ));
            }
            (None, Some(t)) => t,
            (Some(latest), _) if !self.overwrite => {
                let _ = latest;
                return Err(Error::AlreadyExists);
            }
            (Some(latest), Some(t)) if t != latest.parameter_type => {
                return Err(Error::HierarchyTypeMismatch {
                    from: latest.parameter_type.as_str().to_owned(),
                    to: t.as_str().to_owned(),
                });
            }
            (Some(latest), _) => latest.parameter_type,
        };
        if latest.is_some() && self.has_tags {
            return Err(invalid(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            ));
        }
        if parameter_type != ParameterType::SecureString && self.key_id.is_some() {
            return Err(invalid(
                "KeyId is required for SecureString type parameter only.",
            ));
        }
        let tier = Tier::resolve(
            self.tier.as_deref(),
            self.value.len(),
            latest.map(|l| l.tier),
        )?;
        let key_id = (parameter_type == ParameterType::SecureString).then(|| {
            self.key_id
                .clone()
                .or_else(|| latest.and_then(|l| l.key_id.clone()))
                .unwrap_or_else(|| DEFAULT_KEY_ID.to_owned())
        });
        Ok(ParameterVersion {
            name: latest.map_or_else(|| name.as_str().to_owned(), |l| l.name.clone()),
            version: latest.map_or(1, |l| l.version + 1),
            parameter_type,
            value: self.value.clone(),
            description: self
                .description
                .clone()
                .or_else(|| latest.and_then(|l| l.description.clone())),
            key_id,
            allowed_pattern: self
                .allowed_pattern
                .clone()
                .or_else(|| latest.and_then(|l| l.allowed_pattern.clone())),
            tier,
            data_type,
            labels: Vec::new(),
            modified_millis: now_millis,
            modified_user: user.to_owned(),
        })
    }
}

/// Which stored version to drop so a parameter keeps at most
/// [`MAX_VERSIONS`]: the oldest, unless it carries a label.
pub fn version_to_evict(versions: &[ParameterVersion], name: &str) -> Result<Option<i64>, Error> {
    if versions.len() < MAX_VERSIONS {
        return Ok(None);
    }
    match versions.iter().min_by_key(|v| v.version) {
        Some(oldest) if !oldest.labels.is_empty() => {
            Err(Error::MaxVersionLimitExceeded(name.to_owned()))
        }
        Some(oldest) => Ok(Some(oldest.version)),
        None => Ok(None),
    }
}

/// Whether a label is acceptable (invalid ones are reported back in
/// LabelParameterVersion's `InvalidLabels`, not as an error).
pub fn is_valid_label(label: &str) -> bool {
    let lowered = label.to_ascii_lowercase();
    !label.is_empty()
        && label.len() <= 100
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lowered.starts_with("aws")
        && !lowered.starts_with("ssm")
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> ParameterName {
        ParameterName::parse(n, 40).unwrap()
    }

    fn put(value: &str, ty: Option<&str>, overwrite: bool) -> PutRequest {
        PutRequest {
            name: "/app/x".into(),
            value: value.into(),
            parameter_type: ty.map(str::to_owned),
            overwrite,
            ..PutRequest::default()
        }
    }

    #[test]
    fn names_follow_aws_rules() {
        assert!(ParameterName::parse("/app/db-url_1.x", 40).is_ok());
        assert!(ParameterName::parse("aws-thing", 40).is_err());
        assert!(ParameterName::parse("/SSM/x", 40).is_err());
        assert!(ParameterName::parse("a/b", 40).is_err());
        assert!(ParameterName::parse("has space", 40).is_err());
        let deep = format!("/{}", vec!["l"; 16].join("/"));
        assert_eq!(
            ParameterName::parse(&deep, 40),
            Err(Error::HierarchyLevelLimitExceeded)
        );
        assert!(ParameterName::parse(&"x".repeat(1000), 40).is_err());
    }

    #[test]
    fn reserved_names() {
        assert!(is_reserved("/aws/service/ami-amazon-linux-latest/x"));
        assert!(is_reserved("AWS-thing"));
        assert!(is_reserved("/ssmx"));
        assert!(!is_reserved("/app/aws"));
        assert!(check_not_reserved("/aws/x").is_err());
    }

    #[test]
    fn slash_and_bare_first_level_names_share_a_key() {
        assert_eq!(name("/P").key(), name("P").key());
        assert_ne!(name("/a/P").key(), name("P").key());
    }

    #[test]
    fn create_requires_type_and_overwrite_bumps_version() {
        let n = name("/app/x");
        assert!(put("v", None, false).apply(&n, None, 0, "u").is_err());
        let v1 = put("v", Some("String"), false)
            .apply(&n, None, 0, "u")
            .unwrap();
        assert_eq!(v1.version, 1);
        assert_eq!(
            put("v2", None, false).apply(&n, Some(&v1), 0, "u"),
            Err(Error::AlreadyExists)
        );
        let v2 = put("v2", None, true).apply(&n, Some(&v1), 0, "u").unwrap();
        assert_eq!((v2.version, v2.parameter_type), (2, ParameterType::String));
        assert!(matches!(
            put("v3", Some("SecureString"), true).apply(&n, Some(&v2), 0, "u"),
            Err(Error::HierarchyTypeMismatch { .. })
        ));
    }

    #[test]
    fn value_limits_depend_on_tier() {
        let n = name("/app/x");
        let big = "x".repeat(5000);
        assert!(
            put(&big, Some("String"), false)
                .apply(&n, None, 0, "u")
                .is_err()
        );
        let mut req = put(&big, Some("String"), false);
        req.tier = Some("Standard".into());
        assert!(matches!(
            req.apply(&n, None, 0, "u"),
            Err(Error::Validation(_))
        ));
        req.tier = Some("Advanced".into());
        assert_eq!(req.apply(&n, None, 0, "u").unwrap().tier, Tier::Advanced);
        assert!(
            put(&"x".repeat(9000), Some("String"), false)
                .apply(&n, None, 0, "u")
                .is_err()
        );
    }

    #[test]
    fn secure_strings_get_the_default_key() {
        let v = put("s", Some("SecureString"), false)
            .apply(&name("/s"), None, 0, "u")
            .unwrap();
        assert_eq!(v.key_id.as_deref(), Some(DEFAULT_KEY_ID));
    }

    #[test]
    fn selectors() {
        assert_eq!(
            Selector::parse("/a/b:3").version,
            SelectorVersion::Number(3)
        );
        assert_eq!(
            Selector::parse("/a/b:prod").version,
            SelectorVersion::Label("prod".into())
        );
        let arn = Selector::parse("arn:aws:ssm:us-east-1:000000000000:parameter/a/b");
        assert_eq!(arn.name, "/a/b");
        let flat = Selector::parse("arn:aws:ssm:us-east-1:000000000000:parameter/flat:2");
        assert_eq!(
            (flat.name.as_str(), flat.version),
            ("flat", SelectorVersion::Number(2))
        );
    }

    #[test]
    fn paths() {
        assert!(name("/a/b").is_under("/a", false));
        assert!(!name("/a/b/c").is_under("/a", false));
        assert!(name("/a/b/c").is_under("/a", true));
        assert!(name("top").is_under("/", false));
        assert!(!name("/ab").is_under("/a", true));
    }

    #[test]
    fn labels() {
        assert!(is_valid_label("prod"));
        assert!(!is_valid_label("1prod"));
        assert!(!is_valid_label("aws-x"));
        assert!(!is_valid_label("a b"));
    }
}
