//! Identity and Access Management rules: roles, managed and inline
//! policies, instance profiles, and the policy language itself.
//!
//! - This module: names and paths with IAM's patterns, unique ids
//!   (`AROA…`, `ANPA…`, `AIPA…`), ARNs (account only, no region: IAM is
//!   global), the stored resource types and IAM's quotas.
//! - [`policy`]: parsing and validating policy documents, and evaluating
//!   identity policies against a request (`Allow` / explicit / implicit deny).
//! - [`managed`]: the catalogue of AWS managed policies Ballast knows by ARN.

pub mod managed;
pub mod policy;

use serde::{Deserialize, Serialize};

use crate::{Arn, Ids};

/// The most managed policies one role may have attached (IAM's default
/// `PoliciesPerRole` quota).
pub const MAX_ATTACHED_POLICIES_PER_ROLE: usize = 10;
/// The most versions a customer managed policy keeps.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// The most tags an IAM resource may carry.
pub const MAX_TAGS: usize = 50;
/// The most roles an instance profile may hold.
pub const MAX_ROLES_PER_INSTANCE_PROFILE: usize = 1;
/// A managed policy document, whitespace excluded, is at most this long.
pub const MAX_MANAGED_POLICY_CHARS: usize = 6144;
/// All inline policies of one role together, whitespace excluded.
pub const MAX_ROLE_INLINE_POLICY_CHARS: usize = 10240;
/// A role's trust policy, whitespace excluded (IAM's default quota).
pub const MAX_TRUST_POLICY_CHARS: usize = 2048;
/// `MaxSessionDuration` when a role is created without one, and its range.
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;
pub const MAX_SESSION_DURATION_RANGE: std::ops::RangeInclusive<i64> = 3600..=43200;
/// The default and largest page of every IAM List operation.
pub const DEFAULT_MAX_ITEMS: usize = 100;
pub const MAX_MAX_ITEMS: i64 = 1000;

/// Why an IAM request was refused; each variant is one of the model's error
/// codes (`ValidationError` is the query protocol's generic one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A member broke the model's constraints (pattern, length, range).
    #[error("{0}")]
    Validation(String),
    /// `InvalidInput`: a well-formed request IAM still cannot act on.
    #[error("{0}")]
    InvalidInput(String),
    /// `EntityAlreadyExists` (409).
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// `NoSuchEntity` (404).
    #[error("{0}")]
    NoSuchEntity(String),
    /// `DeleteConflict` (409): the entity still has something attached.
    #[error("{0}")]
    DeleteConflict(String),
    /// `LimitExceeded` (409): a quota would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// `MalformedPolicyDocument` (400).
    #[error("{0}")]
    MalformedPolicyDocument(String),
}

impl From<policy::PolicyError> for Error {
    fn from(error: policy::PolicyError) -> Self {
        Error::MalformedPolicyDocument(error.to_string())
    }
}

/// AWS's "1 validation error detected" wording for one member.
fn validation(member: &str, value: &str, constraint: &str) -> Error {
    Error::Validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// The `[\w+=,.@-]+` names of roles, policies and instance profiles.
fn check_name(member: &str, value: &str, max: usize) -> Result<(), Error> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(validation(
            member,
            value,
            &format!("Member must have length between 1 and {max}"),
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if !value.chars().all(allowed) {
        return Err(validation(
            member,
            value,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

/// Checks a role name: 1–64 characters of `[\w+=,.@-]`.
pub fn validate_role_name(name: &str) -> Result<(), Error> {
    check_name("roleName", name, 64)
}

/// Checks a managed or inline policy name: 1–128 characters of `[\w+=,.@-]`.
pub fn validate_policy_name(name: &str) -> Result<(), Error> {
    check_name("policyName", name, 128)
}

/// Checks an instance profile name: 1–128 characters of `[\w+=,.@-]`.
pub fn validate_instance_profile_name(name: &str) -> Result<(), Error> {
    check_name("instanceProfileName", name, 128)
}

/// Checks a role or instance profile path: `/`, or `/…/` of printable ASCII,
/// at most 512 characters.
pub fn validate_path(path: &str) -> Result<(), Error> {
    let printable = |c: char| ('\u{21}'..='\u{7e}').contains(&c);
    let ok = path.len() <= 512
        && (path == "/"
            || (path.len() >= 3
                && path.starts_with('/')
                && path.ends_with('/')
                && path.chars().all(printable)));
    if ok {
        Ok(())
    } else {
        Err(validation(
            "path",
            path,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ))
    }
}

/// Checks a managed policy path: `((/[A-Za-z0-9.,+@=_-]+)*)/`, at most 512
/// characters.
pub fn validate_policy_path(path: &str) -> Result<(), Error> {
    check_policy_path("path", path)
}

/// Checks the `PathPrefix` of ListPolicies and ListAttachedRolePolicies,
/// which has the managed policy path's pattern.
pub fn validate_policy_path_prefix(prefix: &str) -> Result<(), Error> {
    check_policy_path("pathPrefix", prefix)
}

fn check_policy_path(member: &str, path: &str) -> Result<(), Error> {
    let segment_char = |c: char| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c);
    let inner = if path == "/" {
        Some("")
    } else {
        path.strip_prefix('/')
            .and_then(|p| p.strip_suffix('/'))
            .filter(|_| path.len() <= 512)
    };
    let ok = match inner {
        None => false,
        Some("") => path == "/",
        Some(inner) => inner
            .split('/')
            .all(|s| !s.is_empty() && s.chars().all(segment_char)),
    };
    if ok {
        Ok(())
    } else {
        Err(validation(
            member,
            path,
            "Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/",
        ))
    }
}

/// Checks a `PathPrefix` filter: `/` followed by printable ASCII.
pub fn validate_path_prefix(prefix: &str) -> Result<(), Error> {
    let ok = prefix.len() <= 512
        && prefix.starts_with('/')
        && prefix.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(validation(
            "pathPrefix",
            prefix,
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        ))
    }
}

/// Checks a role or policy description (at most 1000 characters).
pub fn validate_description(description: &str) -> Result<(), Error> {
    if description.chars().count() > 1000 {
        return Err(validation(
            "description",
            description,
            "Member must have length less than or equal to 1000",
        ));
    }
    Ok(())
}

/// Checks `MaxSessionDuration` (3600–43200 seconds).
pub fn validate_max_session_duration(seconds: i64) -> Result<u32, Error> {
    match u32::try_from(seconds) {
        Ok(valid) if MAX_SESSION_DURATION_RANGE.contains(&seconds) => Ok(valid),
        _ => Err(validation(
            "maxSessionDuration",
            &seconds.to_string(),
            "Member must have value between 3600 and 43200",
        )),
    }
}

/// Checks `MaxItems` (1–1000) and gives the page size (100 when absent).
pub fn page_size(max_items: Option<i64>) -> Result<usize, Error> {
    match max_items.map(|n| (n, usize::try_from(n))) {
        None => Ok(DEFAULT_MAX_ITEMS),
        Some((1..=MAX_MAX_ITEMS, Ok(size))) => Ok(size),
        Some((n, _)) => Err(validation(
            "maxItems",
            &n.to_string(),
            "Member must have value between 1 and 1000",
        )),
    }
}

/// Checks a policy version id (`v1`, `v2`, …) and gives its number.
pub fn parse_version_id(version_id: &str) -> Result<u32, Error> {
    let invalid = || {
        validation(
            "versionId",
            version_id,
            "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
        )
    };
    let digits = version_id.strip_prefix('v').ok_or_else(invalid)?;
    if digits.starts_with('0') || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // A valid id too large to be one of ours names no version.
    digits.parse().or(Ok(u32::MAX))
}

/// The version id IAM shows for a version number.
pub fn version_id(number: u32) -> String {
    format!("v{number}")
}

/// The kind of IAM entity a unique id names; the prefix AWS gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Role,
    Policy,
    InstanceProfile,
}

impl IdKind {
    fn prefix(self) -> &'static str {
        match self {
            IdKind::Role => "AROA",
            IdKind::Policy => "ANPA",
            IdKind::InstanceProfile => "AIPA",
        }
    }
}

/// The alphabet of IAM unique ids (RFC 4648 base32: `A–Z`, `2–7`).
const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new unique id: the kind's four-letter prefix and 17 random characters
/// of uppercase base32, 21 in all, as IAM's ids look.
pub fn new_id(ids: &Ids, kind: IdKind) -> String {
    let bytes = ids.bytes::<17>();
    let mut id = String::with_capacity(21);
    id.push_str(kind.prefix());
    id.extend(
        bytes
            .iter()
            .map(|b| char::from(ID_ALPHABET[usize::from(b % 32)])),
    );
    id
}

/// `arn:aws:iam::ACCOUNT:TYPE/PATH/NAME`: the path (`/` or `/a/b/`) sits
/// between the resource type and the name, and there is no region.
fn arn(account: &str, resource_type: &str, path: &str, name: &str) -> String {
    Arn::new("iam", "", account, format!("{resource_type}{path}{name}")).to_string()
}

/// A role's ARN.
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    arn(account, "role", path, name)
}

/// A customer managed policy's ARN.
pub fn policy_arn(account: &str, path: &str, name: &str) -> String {
    arn(account, "policy", path, name)
}

/// An instance profile's ARN.
pub fn instance_profile_arn(account: &str, path: &str, name: &str) -> String {
    arn(account, "instance-profile", path, name)
}

/// Who owns a managed policy, as its ARN's account says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOwner {
    /// `arn:aws:iam::aws:policy/…`: one of AWS's, from [`managed`].
    Aws,
    /// `arn:aws:iam::ACCOUNT:policy/…`: the account's own.
    Account,
}

/// A policy ARN split into owner, path and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyArn {
    pub owner: PolicyOwner,
    pub path: String,
    pub name: String,
}

/// Parses a managed policy ARN; anything else is `InvalidInput`, as IAM
/// answers for a malformed ARN.
pub fn parse_policy_arn(text: &str, account: &str) -> Result<PolicyArn, Error> {
    let invalid = || Error::InvalidInput(format!("ARN {text} is not valid."));
    let arn: Arn = text.parse().map_err(|_| invalid())?;
    if arn.service != "iam" || !arn.region.is_empty() || arn.resource_type() != "policy" {
        return Err(invalid());
    }
    let owner = match arn.account.as_str() {
        "aws" => PolicyOwner::Aws,
        a if a == account => PolicyOwner::Account,
        // Another account's policy cannot exist here; say so as IAM would.
        a if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => PolicyOwner::Account,
        _ => return Err(invalid()),
    };
    let rest = &arn.resource["policy".len()..];
    let (path, name) = match rest.rfind('/') {
        Some(i) if rest.starts_with('/') => (&rest[..=i], &rest[i + 1..]),
        _ => return Err(invalid()),
    };
    if name.is_empty() {
        return Err(invalid());
    }
    Ok(PolicyArn {
        owner,
        path: path.to_owned(),
        name: name.to_owned(),
    })
}

/// A role, as stored. Tags live in the shared tag table, keyed by the ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    /// The trust policy exactly as submitted (the API URL-encodes it).
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    /// The managed policy ARN set as permissions boundary. Stored and shown;
    /// not applied by [`policy::evaluate`] (see docs/behaviour.md).
    pub permissions_boundary: Option<String>,
    /// Creation time, epoch milliseconds.
    pub created: i64,
}

/// A customer managed policy, as stored; its documents are its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    pub description: Option<String>,
    /// The number of the default version (`v3` is 3).
    pub default_version: u32,
    /// The number the next created version gets; numbers are never reused.
    pub next_version: u32,
    pub created: i64,
    pub updated: i64,
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub number: u32,
    pub document: String,
    pub created: i64,
}

/// An instance profile, as stored, with the name of the role it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    pub created: i64,
    pub role_name: Option<String>,
}

/// Percent-encodes a policy document as IAM returns documents: RFC 3986,
/// every byte except the unreserved `A–Z a–z 0–9 - . _ ~` as `%XX`.
/// Clients (botocore, the AWS CLI) decode it; aws-sdk-rust hands it over
/// as is, as it does from AWS.
pub fn url_encode(document: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(document.len() * 3 / 2);
    for b in document.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Checks a document against the model's `policyDocumentType`: 1–131072
/// characters of tab, newline, carriage return and U+0020–U+00FF.
pub fn validate_document_text(member: &str, document: &str) -> Result<(), Error> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    let len = document.chars().count();
    if len == 0 || len > 131_072 {
        return Err(validation(
            member,
            "",
            "Member must have length between 1 and 131072",
        ));
    }
    if !document.chars().all(allowed) {
        return Err(validation(
            member,
            document,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

/// A document's size as IAM's quotas count it: characters, whitespace
/// excluded.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// Checks a document against a size quota (`LimitExceeded` past it).
pub fn check_policy_size(document: &str, quota: &str, max: usize) -> Result<(), Error> {
    if policy_size(document) > max {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for {quota}: {max}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_model_pattern() {
        assert!(validate_role_name("web-role_1+=,.@").is_ok());
        assert!(validate_role_name(&"r".repeat(64)).is_ok());
        assert!(validate_role_name(&"r".repeat(65)).is_err());
        assert!(validate_role_name("").is_err());
        assert!(validate_role_name("has space").is_err());
        assert!(validate_role_name("slash/").is_err());
        assert!(validate_policy_name(&"p".repeat(128)).is_ok());
        assert!(validate_policy_name(&"p".repeat(129)).is_err());
        assert!(validate_instance_profile_name("web!").is_err());
        let Err(Error::Validation(message)) = validate_role_name("a b") else {
            panic!("not a validation error");
        };
        assert!(message.contains("'a b' at 'roleName'"), "{message}");
    }

    #[test]
    fn paths() {
        for ok in ["/", "/app/", "/a/b-c/", "/x~y/"] {
            assert!(validate_path(ok).is_ok(), "{ok}");
        }
        for bad in ["", "app/", "/app", "//", "/a b/"] {
            assert!(validate_path(bad).is_err(), "{bad}");
        }
        for ok in ["/", "/app/", "/a/b/"] {
            assert!(validate_policy_path(ok).is_ok(), "{ok}");
        }
        for bad in ["", "//", "/a//b/", "/a~/", "app/"] {
            assert!(validate_policy_path(bad).is_err(), "{bad}");
        }
        assert!(validate_path_prefix("/").is_ok());
        assert!(validate_path_prefix("/app").is_ok());
        assert!(validate_path_prefix("app").is_err());
    }

    #[test]
    fn ids_are_21_uppercase_alphanumerics_with_the_kind_prefix() {
        let ids = Ids::seeded(1);
        for (kind, prefix) in [
            (IdKind::Role, "AROA"),
            (IdKind::Policy, "ANPA"),
            (IdKind::InstanceProfile, "AIPA"),
        ] {
            let id = new_id(&ids, kind);
            assert_eq!(id.len(), 21);
            assert!(id.starts_with(prefix));
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
        }
        assert_ne!(
            new_id(&ids, IdKind::Role),
            new_id(&ids, IdKind::Role),
            "ids repeat"
        );
    }

    #[test]
    fn arns_carry_the_path_and_no_region() {
        assert_eq!(
            role_arn("000000000000", "/", "web"),
            "arn:aws:iam::000000000000:role/web"
        );
        assert_eq!(
            policy_arn("000000000000", "/app/x/", "read"),
            "arn:aws:iam::000000000000:policy/app/x/read"
        );
        assert_eq!(
            instance_profile_arn("000000000000", "/", "web"),
            "arn:aws:iam::000000000000:instance-profile/web"
        );
    }

    #[test]
    fn policy_arns_parse() {
        let arn = parse_policy_arn(
            "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
            "000000000000",
        )
        .unwrap();
        assert_eq!(arn.owner, PolicyOwner::Aws);
        assert_eq!(arn.path, "/service-role/");
        assert_eq!(arn.name, "AmazonEC2RoleforSSM");
        let own = parse_policy_arn("arn:aws:iam::000000000000:policy/p", "000000000000").unwrap();
        assert_eq!((own.owner, own.path.as_str()), (PolicyOwner::Account, "/"));
        for bad in [
            "nope",
            "arn:aws:iam::000000000000:role/r",
            "arn:aws:iam:us-east-1:000000000000:policy/p",
            "arn:aws:ssm::000000000000:policy/p",
            "arn:aws:iam::000000000000:policy/",
            "arn:aws:iam::someone:policy/p",
        ] {
            assert!(
                matches!(
                    parse_policy_arn(bad, "000000000000"),
                    Err(Error::InvalidInput(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn version_ids() {
        assert_eq!(parse_version_id("v1"), Ok(1));
        assert_eq!(parse_version_id("v12"), Ok(12));
        for bad in ["1", "v0", "v01", "v", "vx", "V1"] {
            assert!(parse_version_id(bad).is_err(), "{bad}");
        }
        assert_eq!(version_id(3), "v3");
    }

    #[test]
    fn documents_are_url_encoded_per_rfc_3986() {
        assert_eq!(
            url_encode(r#"{"Version": "2012-10-17"}"#),
            "%7B%22Version%22%3A%20%222012-10-17%22%7D"
        );
        assert_eq!(url_encode("a~b_c.d-e*"), "a~b_c.d-e%2A");
        assert_eq!(url_encode("é"), "%C3%A9");
    }

    #[test]
    fn sizes_ignore_whitespace() {
        assert_eq!(policy_size("{ \"a\" :\n 1 }"), 7);
        assert!(check_policy_size("{}", "PolicySize", 2).is_ok());
        assert!(matches!(
            check_policy_size("{ }x", "PolicySize", 2),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn session_durations_and_page_sizes() {
        assert_eq!(validate_max_session_duration(3600), Ok(3600));
        assert!(validate_max_session_duration(3599).is_err());
        assert!(validate_max_session_duration(43201).is_err());
        assert_eq!(page_size(None), Ok(100));
        assert_eq!(page_size(Some(1000)), Ok(1000));
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(1001)).is_err());
    }
}
