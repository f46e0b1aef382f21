//! Temporary credentials: the sessions STS issues for a role.
//!
//! An instance with an instance profile gets its role's credentials from
//! the metadata service; they are a session like the ones AssumeRole
//! returns: an `ASIA…` access key, a secret, a session token, and an
//! expiry. Requests signed with them act as
//! `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` and are allowed what
//! the role's policies allow (and, for a session AssumeRole issued with
//! session policies, only what those allow too). GetSessionToken's
//! credentials, which act as a user rather than a role, are in
//! [`session_token`].

pub mod assume_role;
pub mod session_token;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Ids;

/// Why an STS call (AssumeRole, GetSessionToken) was refused; each
/// variant is one of STS's error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ValidationError` (400).
    #[error("{0}")]
    Validation(String),
    /// `AccessDenied` (403): for AssumeRole, the role does not exist or
    /// does not trust the caller (AWS does not say which).
    #[error("{0}")]
    AccessDenied(String),
    /// `MalformedPolicyDocument` (400): AssumeRole's inline session
    /// policy.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// `PackedPolicyTooLarge` (400).
    #[error("{0}")]
    PackedPolicyTooLarge(String),
}

/// How long instance credentials last. AWS gives about six hours; Ballast
/// does not scale this by `--time-scale`, because SDKs decide when to
/// refresh from the wall clock, and a credential that expires within their
/// refresh window would be fetched again on every call.
pub const INSTANCE_CREDENTIALS_LIFETIME: Duration = Duration::from_secs(6 * 60 * 60);

/// How long before expiry the metadata service hands out fresh
/// credentials instead of the current ones. SDKs refresh at most 15
/// minutes before expiry, so they always receive a session that outlives
/// their refresh window.
pub const ROTATE_BEFORE_EXPIRY: Duration = Duration::from_secs(60 * 60);

/// The role a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRef {
    pub arn: String,
    pub name: String,
    /// The role's unique id (`AROA…`).
    pub id: String,
}

/// Whom a session was issued to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// A service acting for a role: an instance's metadata service, a
    /// Lambda function, a runbook.
    #[default]
    Service,
    /// A caller of AssumeRole. Its session name is the caller's choice, so
    /// it is never taken for an instance's session of the same name.
    AssumeRole,
}

/// One set of temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub role: RoleRef,
    /// Who the session is for: the instance id, for instance credentials.
    pub session_name: String,
    pub issued_millis: i64,
    pub expires_millis: i64,
    #[serde(default)]
    pub origin: Origin,
    /// The session policies AssumeRole was given (the inline one and the
    /// documents of the managed ones, as they were then). When there are
    /// any, a request must be allowed by them as well as by the role.
    #[serde(default)]
    pub session_policies: Vec<String>,
}

impl Session {
    /// Issues new credentials for `role`.
    pub fn issue(
        ids: &Ids,
        role: RoleRef,
        session_name: &str,
        now_millis: i64,
        lifetime: Duration,
    ) -> Session {
        use base64::Engine as _;
        let token_bytes = ids.bytes::<96>();
        Session {
            access_key_id: format!("ASIA{}", upper_alphanumeric(ids, 16)),
            secret_access_key: base64::engine::general_purpose::STANDARD.encode(ids.bytes::<30>()),
            session_token: base64::engine::general_purpose::STANDARD.encode(token_bytes),
            role,
            session_name: session_name.to_owned(),
            issued_millis: now_millis,
            expires_millis: now_millis.saturating_add(millis(lifetime)),
            origin: Origin::Service,
            session_policies: Vec::new(),
        }
    }

    /// Whether the credentials are no longer accepted.
    pub fn expired(&self, now_millis: i64) -> bool {
        now_millis >= self.expires_millis
    }

    /// Whether the metadata service should hand out fresh credentials
    /// rather than these.
    pub fn due_for_rotation(&self, now_millis: i64) -> bool {
        now_millis.saturating_add(millis(ROTATE_BEFORE_EXPIRY)) >= self.expires_millis
    }

    /// Whether the metadata service may hand these credentials out again
    /// to an instance of `role`: a service's session of that role, not yet
    /// due for rotation. An AssumeRole session never is, even when its
    /// caller named it after the instance.
    pub fn reusable_for(&self, role: &RoleRef, now_millis: i64) -> bool {
        self.origin == Origin::Service && self.role == *role && !self.due_for_rotation(now_millis)
    }

    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub fn assumed_role_arn(&self, account: &str) -> String {
        format!(
            "arn:aws:sts::{account}:assumed-role/{}/{}",
            self.role.name, self.session_name
        )
    }

    /// `ROLEID:SESSION`, the user id GetCallerIdentity reports.
    pub fn user_id(&self) -> String {
        format!("{}:{}", self.role.id, self.session_name)
    }
}

/// `len` characters of `A–Z0–9`, the alphabet of AWS access key ids and
/// IAM unique ids.
pub fn upper_alphanumeric(ids: &Ids, len: usize) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    ids.bytes::<64>()
        .iter()
        .cycle()
        .take(len)
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role() -> RoleRef {
        RoleRef {
            arn: "arn:aws:iam::000000000000:role/web".into(),
            name: "web".into(),
            id: "AROAEXAMPLE".into(),
        }
    }

    #[test]
    fn sessions_look_like_aws_credentials() {
        let ids = Ids::seeded(1);
        let s = Session::issue(&ids, role(), "i-1", 0, INSTANCE_CREDENTIALS_LIFETIME);
        assert!(s.access_key_id.starts_with("ASIA"));
        assert_eq!(s.access_key_id.len(), 20);
        assert_eq!(s.secret_access_key.len(), 40);
        assert!(s.session_token.len() > 100);
        assert_eq!(
            s.assumed_role_arn("000000000000"),
            "arn:aws:sts::000000000000:assumed-role/web/i-1"
        );
        assert_eq!(s.user_id(), "AROAEXAMPLE:i-1");
    }

    #[test]
    fn only_a_services_session_of_the_same_role_is_handed_out_again() {
        let ids = Ids::seeded(3);
        let lifetime = Duration::from_secs(6 * 3600);
        let session = Session::issue(&ids, role(), "i-1", 0, lifetime);
        assert!(session.reusable_for(&role(), 0));
        assert!(
            !session.reusable_for(&role(), 5 * 3600 * 1000),
            "due for rotation"
        );
        let other = RoleRef {
            name: "other".into(),
            ..role()
        };
        assert!(!session.reusable_for(&other, 0));
        let assumed = Session {
            origin: Origin::AssumeRole,
            ..session
        };
        assert!(!assumed.reusable_for(&role(), 0));
    }

    #[test]
    fn expiry_and_rotation() {
        let ids = Ids::seeded(2);
        let s = Session::issue(&ids, role(), "i-1", 0, Duration::from_secs(6 * 3600));
        assert!(!s.due_for_rotation(4 * 3600 * 1000));
        assert!(s.due_for_rotation(5 * 3600 * 1000));
        assert!(!s.expired(6 * 3600 * 1000 - 1));
        assert!(s.expired(6 * 3600 * 1000));
    }
}
