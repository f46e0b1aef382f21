//! GetSessionToken: temporary credentials for the account's root user or
//! an IAM user, which act as that user (its ARN, its policies) until they
//! expire. Unlike a role's session they name no role, and AWS limits what
//! they may call: no IAM operation without MFA, and no STS operation but
//! AssumeRole and GetCallerIdentity.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Error, Session, millis};
use crate::Ids;

/// The shortest session GetSessionToken issues (15 minutes).
pub const MIN_DURATION: Duration = Duration::from_secs(900);
/// The longest for an IAM user (36 hours).
pub const MAX_USER_DURATION: Duration = Duration::from_secs(129_600);
/// The longest for the root user, and its default (one hour).
pub const ROOT_DURATION: Duration = Duration::from_secs(3_600);
/// An IAM user's default (12 hours).
pub const DEFAULT_USER_DURATION: Duration = Duration::from_secs(43_200);

/// Credentials GetSessionToken issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSession {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// The IAM user they act as; `None` for the root user.
    pub user: Option<String>,
    pub issued_millis: i64,
    pub expires_millis: i64,
}

impl TokenSession {
    /// New credentials for `user` (or root) lasting `lifetime`.
    pub fn issue(ids: &Ids, user: Option<String>, now_millis: i64, lifetime: Duration) -> Self {
        // The same shapes as a role's session: `ASIA…`, a 40-character
        // secret, a long token.
        let shape = Session::issue(
            ids,
            super::RoleRef {
                arn: String::new(),
                name: String::new(),
                id: String::new(),
            },
            "",
            now_millis,
            lifetime,
        );
        TokenSession {
            access_key_id: shape.access_key_id,
            secret_access_key: shape.secret_access_key,
            session_token: shape.session_token,
            user,
            issued_millis: now_millis,
            expires_millis: now_millis.saturating_add(millis(lifetime)),
        }
    }

    /// Whether the credentials are no longer accepted.
    pub fn expired(&self, now_millis: i64) -> bool {
        now_millis >= self.expires_millis
    }
}

/// How long the session lasts: `DurationSeconds` within its bounds (a
/// user's 15 minutes to 36 hours, root's 15 minutes to one hour), or the
/// default (12 hours for a user, one hour for root).
pub fn lifetime(duration_seconds: Option<i32>, root: bool) -> Result<Duration, Error> {
    let max = if root {
        ROOT_DURATION
    } else {
        MAX_USER_DURATION
    };
    let Some(seconds) = duration_seconds else {
        return Ok(if root {
            ROOT_DURATION
        } else {
            DEFAULT_USER_DURATION
        });
    };
    let asked = u64::try_from(seconds).map(Duration::from_secs).ok();
    match asked {
        Some(asked) if (MIN_DURATION..=max).contains(&asked) => Ok(asked),
        _ => Err(Error::Validation(format!(
            "The requested DurationSeconds exceeds the allowed range: {seconds} is not between {} and {} seconds.",
            MIN_DURATION.as_secs(),
            max.as_secs()
        ))),
    }
}

/// Ballast's users have no MFA devices (ListMFADevices is empty), so any
/// `SerialNumber` names a device that cannot be checked.
pub fn check_mfa(serial_number: Option<&str>, token_code: Option<&str>) -> Result<(), Error> {
    match (serial_number, token_code) {
        (None, None) => Ok(()),
        (Some(_), None) | (None, Some(_)) => Err(Error::Validation(
            "SerialNumber and TokenCode must be given together.".to_owned(),
        )),
        (Some(_), Some(_)) => Err(Error::AccessDenied(
            "MultiFactorAuthentication failed, unable to validate MFA code.".to_owned(),
        )),
    }
}

/// Whether credentials from GetSessionToken (without MFA) may call
/// `operation` of `service`: not IAM, and of STS only AssumeRole and
/// GetCallerIdentity.
pub fn may_call(service: &str, operation: &str) -> bool {
    match service {
        "iam" => false,
        "sts" => matches!(operation, "AssumeRole" | "GetCallerIdentity"),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_who_asks() {
        assert_eq!(lifetime(None, false), Ok(DEFAULT_USER_DURATION));
        assert_eq!(lifetime(None, true), Ok(ROOT_DURATION));
        assert_eq!(lifetime(Some(129_600), false), Ok(MAX_USER_DURATION));
        assert!(
            lifetime(Some(7_200), true).is_err(),
            "root gets an hour at most"
        );
        assert!(lifetime(Some(899), false).is_err());
        assert!(lifetime(Some(-1), false).is_err());
    }

    #[test]
    fn credentials_look_like_awss_and_expire() {
        let session = TokenSession::issue(&Ids::seeded(4), Some("ci".into()), 1_000, MIN_DURATION);
        assert!(session.access_key_id.starts_with("ASIA"));
        assert_eq!(session.secret_access_key.len(), 40);
        assert!(!session.expired(1_000 + 899_999));
        assert!(session.expired(1_000 + 900_000));
    }

    #[test]
    fn mfa_and_what_the_credentials_may_call() {
        assert!(check_mfa(None, None).is_ok());
        assert!(matches!(
            check_mfa(Some("arn:aws:iam::0:mfa/me"), Some("123456")),
            Err(Error::AccessDenied(_))
        ));
        assert!(matches!(
            check_mfa(Some("arn"), None),
            Err(Error::Validation(_))
        ));
        assert!(!may_call("iam", "ListUsers"));
        assert!(may_call("sts", "GetCallerIdentity"));
        assert!(!may_call("sts", "GetSessionToken"));
        assert!(may_call("s3", "ListBuckets"));
    }
}
