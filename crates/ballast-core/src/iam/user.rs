//! IAM users, their access keys (long-term credentials that sign requests
//! as the user, allowed what the user's policies allow) and their login
//! profiles (a console password, which Ballast checks and keeps no copy
//! of: there is no console to sign in to). Their SSH public keys are in
//! [`super::ssh_public_key`].

use serde::{Deserialize, Serialize};

use crate::Ids;
use crate::sts::upper_alphanumeric;

use super::{Error, IdKind, SshPublicKey, new_id};

/// How many access keys a user may hold (IAM's quota).
pub const MAX_ACCESS_KEYS_PER_USER: usize = 2;
/// The characters a user's inline policies may hold together (IAM's
/// quota, white space not counted).
pub const MAX_USER_INLINE_POLICY_CHARS: usize = 2048;
/// How many managed policies a user may have attached.
pub const MAX_ATTACHED_POLICIES_PER_USER: usize = 10;

/// A user, as stored. Tags live in the shared tag table, keyed by the ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// `AIDA…`.
    pub id: String,
    pub arn: String,
    pub path: String,
    /// The managed policy ARN set as permissions boundary. Stored and
    /// shown; not applied, as for roles.
    pub permissions_boundary: Option<String>,
    /// Creation time, epoch milliseconds.
    pub created: i64,
    /// The console password's record, when the user has one.
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    /// The SSH public keys uploaded for the user, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_public_keys: Vec<SshPublicKey>,
}

/// What IAM keeps of a user's console password besides the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    /// When the password was set, epoch milliseconds.
    pub created: i64,
    pub password_reset_required: bool,
}

/// Checks a new console password against IAM's default password policy
/// (the account has no other: UpdateAccountPasswordPolicy is not served):
/// at least 8 characters, from at least three of upper case, lower case,
/// digits and symbols.
pub fn check_password(password: &str) -> Result<(), Error> {
    let kinds = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < 8 || kinds.iter().filter(|k| **k).count() < 3 {
        return Err(Error::PasswordPolicyViolation(
            "Password does not conform to the account password policy.".to_owned(),
        ));
    }
    Ok(())
}

impl User {
    pub fn new(ids: &Ids, account: &str, path: String, name: String, now_millis: i64) -> User {
        User {
            arn: user_arn(account, &path, &name),
            id: new_id(ids, IdKind::User),
            name,
            path,
            permissions_boundary: None,
            created: now_millis,
            login_profile: None,
            ssh_public_keys: Vec::new(),
        }
    }
}

/// A user's ARN.
pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    super::arn(account, "user", path, name)
}

/// Whether an access key may sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }
}

/// One access key of a user. The secret is kept, as Ballast must verify
/// signatures with it; IAM shows it only in CreateAccessKey's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA…`, 20 characters.
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The owner's stored name.
    pub user_name: String,
    pub status: AccessKeyStatus,
    pub created: i64,
}

impl AccessKey {
    /// A new active key for `user_name`, unless the user holds the most
    /// keys IAM allows already (`existing` of them).
    pub fn issue(
        ids: &Ids,
        user_name: &str,
        existing: usize,
        now_millis: i64,
    ) -> Result<AccessKey, Error> {
        use base64::Engine as _;
        if existing >= MAX_ACCESS_KEYS_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS_PER_USER}"
            )));
        }
        Ok(AccessKey {
            access_key_id: format!("AKIA{}", upper_alphanumeric(ids, 16)),
            secret_access_key: base64::engine::general_purpose::STANDARD.encode(ids.bytes::<30>()),
            user_name: user_name.to_owned(),
            status: AccessKeyStatus::Active,
            created: now_millis,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_keys_look_like_iams() {
        let ids = Ids::seeded(7);
        let user = User::new(&ids, "000000000000", "/ci/".into(), "builder".into(), 5);
        assert_eq!(user.arn, "arn:aws:iam::000000000000:user/ci/builder");
        assert!(user.id.starts_with("AIDA") && user.id.len() == 21);
        let key = AccessKey::issue(&ids, "builder", 0, 5).unwrap();
        assert!(key.access_key_id.starts_with("AKIA"));
        assert_eq!(key.access_key_id.len(), 20);
        assert_eq!(key.secret_access_key.len(), 40);
        assert_eq!(key.status, AccessKeyStatus::Active);
        assert!(matches!(
            AccessKey::issue(&ids, "builder", 2, 5),
            Err(Error::LimitExceeded(m)) if m.contains("AccessKeysPerUser: 2")
        ));
    }

    #[test]
    fn passwords_follow_the_default_policy() {
        for good in ["Secret-12", "abcDEF12", "abc-def-1"] {
            assert!(check_password(good).is_ok(), "{good}");
        }
        for bad in ["Ab-1", "abcdefgh", "abcdefg1", "ABCDEFGH-"] {
            assert!(
                matches!(check_password(bad), Err(Error::PasswordPolicyViolation(_))),
                "{bad}"
            );
        }
    }
}
