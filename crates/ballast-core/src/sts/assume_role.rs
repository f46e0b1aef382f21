//! AssumeRole's rules: which ARNs name a role, whom a role trusts, how
//! long a session may last and how much session policy it may carry.
//!
//! The handler reads the role and the managed policies; everything it
//! decides with them is here, so it can be tested without a store.

use std::time::Duration;

use crate::arn::Arn;
use crate::iam::policy::{Context, DocumentKind, PolicyDocument, PrincipalRef};

/// The session length when a call names none: one hour.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3600);

/// The longest session a role session may get by assuming another role
/// ("role chaining"), whatever the second role's `MaxSessionDuration`.
pub const CHAINED_MAX_DURATION: Duration = Duration::from_secs(3600);

/// How many managed session policies one call may pass.
pub const MAX_POLICY_ARNS: usize = 10;

/// The space session policies and session tags share, in characters of
/// their compact form. AWS measures a compressed binary form it does not
/// document; Ballast measures the policy's JSON without white space, the
/// managed policies' ARNs and the tags' keys and values, against the 2,048
/// characters AWS allows an inline session policy.
const PACKED_SPACE: usize = 2048;

pub use super::Error;

/// A role's ARN, taken apart: `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub account: String,
    /// The last segment of the resource: the role's name.
    pub name: String,
}

/// Reads a role ARN. STS answers anything else with "Request ARN is
/// invalid"; an ARN of another kind (a user, a policy) is a valid ARN that
/// names no role, which the caller learns as access denied.
pub fn parse_role_arn(text: &str) -> Result<Option<RoleArn>, Error> {
    let invalid = || Error::Validation("Request ARN is invalid".to_owned());
    let arn: Arn = text.parse().map_err(|_| invalid())?;
    if arn.service != "iam" || !arn.region.is_empty() {
        return Err(invalid());
    }
    let Some(path_and_name) = arn.resource.strip_prefix("role/") else {
        return Ok(None);
    };
    let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
    if name.is_empty() {
        return Err(invalid());
    }
    Ok(Some(RoleArn {
        account: arn.account,
        name: name.to_owned(),
    }))
}

/// Who is calling, as a trust policy names them. Every caller of the
/// account is also matched by `arn:aws:iam::ACCOUNT:root`, the bare
/// account id and `*`.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// The account's own credentials (Ballast's default ones), or an IAM
    /// user: matched by its ARN.
    Principal { arn: &'a str },
    /// A role session: matched by the role's ARN or the session's
    /// assumed-role ARN.
    RoleSession {
        role_arn: &'a str,
        session_arn: &'a str,
    },
}

impl Caller<'_> {
    /// Whether the caller is itself a role session, which limits the new
    /// session to an hour.
    pub fn is_role_session(&self) -> bool {
        matches!(self, Caller::RoleSession { .. })
    }

    fn arns(&self) -> Vec<&str> {
        match *self {
            Caller::Principal { arn } => vec![arn],
            Caller::RoleSession {
                role_arn,
                session_arn,
            } => vec![role_arn, session_arn],
        }
    }
}

/// Whether the role's trust policy lets the caller assume it with this
/// call's external id and session name. A trust policy that no longer
/// parses trusts nobody.
pub fn trusts(trust_policy: &str, caller: Caller<'_>, context: &Context<'_>) -> bool {
    let Ok(document) = PolicyDocument::parse(trust_policy, DocumentKind::Trust) else {
        return false;
    };
    caller
        .arns()
        .into_iter()
        .any(|arn| document.trusts_with(PrincipalRef::Aws(arn), "sts:AssumeRole", context))
}

/// The session length a call gets: `DurationSeconds` (the model bounds it
/// to 900–43,200) or an hour, within the role's `MaxSessionDuration` and,
/// for role chaining, within an hour.
pub fn duration(
    requested_seconds: Option<i32>,
    role_max_seconds: u32,
    chained: bool,
) -> Result<Duration, Error> {
    let duration = match requested_seconds {
        None => DEFAULT_DURATION,
        Some(seconds) => Duration::from_secs(u64::try_from(seconds).unwrap_or(0)),
    };
    if chained && duration > CHAINED_MAX_DURATION {
        return Err(Error::Validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                .to_owned(),
        ));
    }
    if duration > Duration::from_secs(u64::from(role_max_seconds)) {
        return Err(Error::Validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_owned(),
        ));
    }
    Ok(duration)
}

/// Reads an inline session policy: an identity policy, so a `Principal`
/// in it is malformed, as on AWS.
pub fn session_policy(text: &str) -> Result<PolicyDocument, Error> {
    PolicyDocument::parse(text, DocumentKind::Identity)
        .map_err(|error| Error::MalformedPolicyDocument(error.to_string()))
}

/// What the session policies and tags of one call weigh.
#[derive(Debug, Clone, Copy, Default)]
pub struct Packed<'a> {
    /// The inline session policy, as sent.
    pub policy: Option<&'a str>,
    /// The managed session policies' ARNs.
    pub policy_arns: &'a [String],
    /// The session tags.
    pub tags: &'a [(String, String)],
}

impl Packed<'_> {
    /// `PackedPolicySize`: the percentage of the allowed space the call's
    /// session policies and tags take, when it passes any; refused above
    /// 100%.
    pub fn size(&self) -> Result<Option<i32>, Error> {
        if self.policy.is_none() && self.policy_arns.is_empty() && self.tags.is_empty() {
            return Ok(None);
        }
        if self.policy_arns.len() > MAX_POLICY_ARNS {
            return Err(Error::Validation(format!(
                "The number of managed session policies exceeds the limit of {MAX_POLICY_ARNS}."
            )));
        }
        let policy: usize = self
            .policy
            .map(|p| p.chars().filter(|c| !c.is_whitespace()).count())
            .unwrap_or(0);
        let arns: usize = self.policy_arns.iter().map(String::len).sum();
        let tags: usize = self.tags.iter().map(|(k, v)| k.len() + v.len()).sum();
        let percent = (policy + arns + tags)
            .saturating_mul(100)
            .div_ceil(PACKED_SPACE);
        let percent = i32::try_from(percent).unwrap_or(i32::MAX);
        if percent > 100 {
            return Err(Error::PackedPolicyTooLarge(format!(
                "Packed policy consumes {percent}% of allotted space, please use smaller policy."
            )));
        }
        Ok(Some(percent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "arn:aws:iam::000000000000:root";
    const ROLE: &str = "arn:aws:iam::000000000000:role/ops/deployer";

    fn account() -> Caller<'static> {
        Caller::Principal { arn: ROOT }
    }

    #[test]
    fn role_arns_are_read_with_their_path() {
        assert_eq!(
            parse_role_arn(ROLE),
            Ok(Some(RoleArn {
                account: "000000000000".into(),
                name: "deployer".into()
            }))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::000000000000:user/alice"),
            Ok(None)
        );
        for bad in [
            "deployer",
            "arn:aws:s3:::bucket/role/x",
            "arn:aws:iam:us-east-1:000000000000:role/x",
            "arn:aws:iam::000000000000:role/",
        ] {
            assert_eq!(
                parse_role_arn(bad),
                Err(Error::Validation("Request ARN is invalid".into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_account_is_trusted_by_its_arn_its_id_or_anyone() {
        let ctx = Context::default();
        for principal in [
            format!(r#"{{"AWS":"{ROOT}"}}"#),
            r#"{"AWS":"000000000000"}"#.into(),
            r#""*""#.into(),
        ] {
            let trust = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
            );
            assert!(trusts(&trust, account(), &ctx), "{principal}");
        }
        let service_only = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!trusts(service_only, account(), &ctx));
        let other_account = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}"#;
        assert!(!trusts(other_account, account(), &ctx));
        assert!(!trusts("not json", account(), &ctx));
    }

    #[test]
    fn a_role_session_is_trusted_by_its_role_or_session_arn() {
        let ctx = Context::default();
        let session = Caller::RoleSession {
            role_arn: "arn:aws:iam::000000000000:role/ci",
            session_arn: "arn:aws:sts::000000000000:assumed-role/ci/build-7",
        };
        let by_role = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/ci"},"Action":"sts:AssumeRole"}]}"#;
        let by_session = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::000000000000:assumed-role/ci/build-7"},"Action":"sts:AssumeRole"}]}"#;
        assert!(trusts(by_role, session, &ctx));
        assert!(trusts(by_session, session, &ctx));
        assert!(!trusts(by_role, account(), &ctx));
        // The account's root ARN stands for all of the account's principals.
        let by_account = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ROOT}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        assert!(trusts(&by_account, session, &ctx));
        let user = Caller::Principal {
            arn: "arn:aws:iam::000000000000:user/alice",
        };
        assert!(trusts(&by_account, user, &ctx));
        let other = Caller::Principal {
            arn: "arn:aws:iam::111111111111:user/alice",
        };
        assert!(!trusts(&by_account, other, &ctx));
    }

    #[test]
    fn an_external_id_condition_needs_the_matching_id() {
        let trust = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cret-id"}}}]}"#;
        let with = |id| Context {
            external_id: id,
            ..Context::default()
        };
        assert!(trusts(trust, account(), &with(Some("s3cret-id"))));
        assert!(!trusts(trust, account(), &with(Some("guess"))));
        assert!(!trusts(trust, account(), &with(None)));
    }

    #[test]
    fn a_deny_with_an_unevaluated_condition_refuses() {
        let trust = r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
            {"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}
        ]}"#;
        assert!(!trusts(trust, account(), &Context::default()));
    }

    #[test]
    fn durations_default_to_an_hour_and_respect_both_limits() {
        assert_eq!(duration(None, 3600, false), Ok(DEFAULT_DURATION));
        assert_eq!(
            duration(Some(7200), 43200, false),
            Ok(Duration::from_secs(7200))
        );
        assert!(matches!(
            duration(Some(7200), 3600, false),
            Err(Error::Validation(m)) if m.contains("MaxSessionDuration")
        ));
        assert!(matches!(
            duration(Some(7200), 43200, true),
            Err(Error::Validation(m)) if m.contains("role chaining")
        ));
        assert_eq!(
            duration(Some(900), 43200, true),
            Ok(Duration::from_secs(900))
        );
    }

    #[test]
    fn session_policies_are_identity_policies() {
        assert!(session_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#).is_ok());
        assert!(matches!(
            session_policy(
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ssm:*","Resource":"*"}]}"#
            ),
            Err(Error::MalformedPolicyDocument(_))
        ));
    }

    #[test]
    fn packed_size_counts_policies_and_tags_and_refuses_past_the_limit() {
        assert_eq!(Packed::default().size(), Ok(None));
        let small = Packed {
            policy: Some(r#"{ "Statement": [] }"#),
            ..Packed::default()
        };
        assert_eq!(small.size(), Ok(Some(1)));
        let big_policy = format!(r#"{{"Statement":[{{"Sid":"{}"}}]}}"#, "a".repeat(2100));
        let big = Packed {
            policy: Some(&big_policy),
            ..Packed::default()
        };
        assert!(matches!(big.size(), Err(Error::PackedPolicyTooLarge(m)) if m.contains("104%")));
        let arns: Vec<String> = (0..11)
            .map(|i| format!("arn:aws:iam::aws:policy/P{i}"))
            .collect();
        let too_many = Packed {
            policy_arns: &arns,
            ..Packed::default()
        };
        assert!(matches!(too_many.size(), Err(Error::Validation(_))));
    }
}
