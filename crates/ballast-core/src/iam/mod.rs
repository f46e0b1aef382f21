//! Identity and Access Management rules: roles, managed and inline
//! policies, instance profiles, and the policy language itself.
//!
//! - This module: names and paths with IAM's patterns, unique ids
//!   (`AROA…`, `ANPA…`, `AIPA…`, `AIDA…`), ARNs (account only, no region: IAM is
//!   global), the stored resource types and IAM's quotas.
//! - [`policy`]: parsing and validating policy documents, and evaluating
//!   identity policies against a request (`Allow` / explicit / implicit deny).
//! - [`managed`]: the catalogue of AWS managed policies Ballast knows by ARN.
//! - [`user`]: users, their access keys and login profiles.
//! - [`group`]: groups of users, whose policies their members hold.
//! - [`ssh_public_key`]: the SSH public keys a user uploads.

pub mod group;
pub mod managed;
pub mod policy;
pub mod ssh_public_key;
pub mod user;

pub use group::Group;
pub use ssh_public_key::SshPublicKey;
pub use user::{AccessKey, AccessKeyStatus, LoginProfile, User};

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
/// `MaxSessionDuration` when a role is created without one (the model
/// bounds it to 3600–43200 seconds).
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;
/// The page of every IAM List operation without `MaxItems` (the model
/// bounds it to 1–1000).
pub const DEFAULT_MAX_ITEMS: usize = 100;

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
    /// `PasswordPolicyViolation` (400): a console password too weak.
    #[error("{0}")]
    PasswordPolicyViolation(String),
    /// `InvalidPublicKey` (400): an SSH public key that does not read, or
    /// is too short.
    #[error("{0}")]
    InvalidPublicKey(String),
    /// `UnrecognizedPublicKeyEncoding` (400): neither `ssh-rsa` nor PEM.
    #[error("{0}")]
    UnrecognizedPublicKeyEncoding(String),
    /// `DuplicateSSHPublicKey` (400): the user holds that key already.
    #[error("{0}")]
    DuplicateSshPublicKey(String),
}

impl From<policy::PolicyError> for Error {
    fn from(error: policy::PolicyError) -> Self {
        Error::MalformedPolicyDocument(error.to_string())
    }
}

/// The number a policy version id names (`v3` → 3). The model's pattern
/// (`v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`) was checked before; an id it allows
/// that is not one of ours (`v1.a`, or too large) names no version, so it
/// gives `u32::MAX`, which no policy reaches.
pub fn version_number(version_id: &str) -> u32 {
    version_id
        .strip_prefix('v')
        .filter(|digits| !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(u32::MAX)
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
    User,
    Group,
}

impl IdKind {
    fn prefix(self) -> &'static str {
        match self {
            IdKind::Role => "AROA",
            IdKind::Policy => "ANPA",
            IdKind::InstanceProfile => "AIPA",
            IdKind::User => "AIDA",
            IdKind::Group => "AGPA",
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

impl Role {
    /// What a session of this role carries.
    pub fn reference(&self) -> crate::sts::RoleRef {
        crate::sts::RoleRef {
            arn: self.arn.clone(),
            name: self.name.clone(),
            id: self.id.clone(),
        }
    }
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
    fn ids_are_21_uppercase_alphanumerics_with_the_kind_prefix() {
        let ids = Ids::seeded(1);
        for (kind, prefix) in [
            (IdKind::Role, "AROA"),
            (IdKind::Policy, "ANPA"),
            (IdKind::InstanceProfile, "AIPA"),
            (IdKind::User, "AIDA"),
            (IdKind::Group, "AGPA"),
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
        assert_eq!(version_number("v1"), 1);
        assert_eq!(version_number("v12"), 12);
        for none in ["1", "v0", "v01", "v", "vx", "V1", "v1.a", "v99999999999"] {
            assert_eq!(version_number(none), u32::MAX, "{none}");
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
}
