//! Aliases: a name that points at a version, and may send a share of its
//! invocations to a second one (weighted routing, how a deploy shifts
//! traffic to a new version a little at a time).

use serde::{Deserialize, Serialize};

use super::{Error, LATEST, ResourcePolicy, qualified_arn};
use crate::Scope;

/// The model's pattern for an alias name: not all digits (a version
/// number), and no more than letters, digits, `-` and `_`.
const ALIAS_PATTERN: &str = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)";

/// One alias of a function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    pub function: String,
    pub name: String,
    /// The version it invokes (`$LATEST` or a number).
    pub version: String,
    pub description: String,
    /// The second version and the share of invocations it gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional: Option<Weighted>,
    /// Changes with every update; a request may name the one it expects.
    pub revision_id: String,
    /// Who may invoke the function through this alias.
    #[serde(default)]
    pub policy: ResourcePolicy,
}

/// A second version an alias sends `weight` (0 to 1) of its invocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighted {
    pub version: String,
    pub weight: f64,
}

/// What CreateAlias or UpdateAlias sets (`None`: keep, or empty on
/// create). `routing: Some(None)` clears the routing configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AliasSpec {
    pub version: Option<String>,
    pub description: Option<String>,
    pub routing: Option<Option<Weighted>>,
}

impl Alias {
    /// A new alias of `function`; `exists` says whether a version exists.
    pub fn new(
        scope: &Scope,
        function: &str,
        name: &str,
        spec: AliasSpec,
        exists: impl Fn(&str) -> bool,
        revision_id: String,
    ) -> Result<Alias, Error> {
        check_name(name)?;
        let mut alias = Alias {
            function: function.to_owned(),
            name: name.to_owned(),
            version: String::new(),
            description: String::new(),
            additional: None,
            revision_id: String::new(),
            policy: ResourcePolicy::default(),
        };
        alias.update(scope, spec, exists, revision_id)?;
        Ok(alias)
    }

    /// Applies UpdateAlias's changes, all or nothing.
    pub fn update(
        &mut self,
        scope: &Scope,
        spec: AliasSpec,
        exists: impl Fn(&str) -> bool,
        revision_id: String,
    ) -> Result<(), Error> {
        let mut next = self.clone();
        if let Some(version) = spec.version {
            next.version = version;
        }
        if let Some(description) = spec.description {
            next.description = description;
        }
        if let Some(routing) = spec.routing {
            next.additional = routing;
        }
        next.check(scope, &exists)?;
        next.revision_id = revision_id;
        *self = next;
        Ok(())
    }

    fn check(&self, scope: &Scope, exists: &impl Fn(&str) -> bool) -> Result<(), Error> {
        let missing = |version: &str| {
            Error::NotFound(format!(
                "Function not found: {}",
                qualified_arn(scope, &self.function, Some(version))
            ))
        };
        if !exists(&self.version) {
            return Err(missing(&self.version));
        }
        let Some(additional) = &self.additional else {
            return Ok(());
        };
        if self.version == LATEST || additional.version == LATEST {
            return Err(Error::InvalidParameter(
                "$LATEST is not supported for an alias pointing to more than 1 version".to_owned(),
            ));
        }
        if additional.version == self.version {
            return Err(Error::InvalidParameter(format!(
                "Invalid function version {}. Function version {} is already included in routing configuration.",
                additional.version, additional.version
            )));
        }
        if !(0.0..=1.0).contains(&additional.weight) {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{{{}={}}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]",
                additional.version, additional.weight
            )));
        }
        if !exists(&additional.version) {
            return Err(missing(&additional.version));
        }
        Ok(())
    }

    /// Checks a request's `RevisionId` against the alias's.
    pub fn check_revision(&self, expected: Option<&str>) -> Result<(), Error> {
        super::check_revision(&self.revision_id, expected)
    }

    /// The version one invocation runs, given `roll`, a number drawn
    /// uniformly from `[0, 1)`: the additional version for a roll under
    /// its weight, else the alias's own.
    pub fn pick(&self, roll: f64) -> &str {
        match &self.additional {
            Some(additional) if roll < additional.weight => &additional.version,
            _ => &self.version,
        }
    }

    /// Whether the alias sends any invocation to `version`.
    pub fn refers_to(&self, version: &str) -> bool {
        self.version == version
            || self
                .additional
                .as_ref()
                .is_some_and(|additional| additional.version == version)
    }
}

/// An alias name must match the model's pattern, which the model's checks
/// cannot (`regex` has no look-ahead); the error is the one they would give.
pub fn check_name(name: &str) -> Result<(), Error> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let all_digits = name.bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || all_digits || !name.chars().all(allowed) {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: {ALIAS_PATTERN}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        }
    }

    fn exists(version: &str) -> bool {
        matches!(version, "$LATEST" | "1" | "2")
    }

    fn spec(version: &str, routing: Option<(&str, f64)>) -> AliasSpec {
        AliasSpec {
            version: Some(version.to_owned()),
            description: None,
            routing: routing.map(|(version, weight)| {
                Some(Weighted {
                    version: version.to_owned(),
                    weight,
                })
            }),
        }
    }

    #[test]
    fn an_alias_points_at_a_version_that_exists() {
        let live =
            Alias::new(&scope(), "f", "live", spec("1", None), exists, "a".into()).expect("valid");
        assert_eq!((live.version.as_str(), live.pick(0.0)), ("1", "1"));
        assert!(matches!(
            Alias::new(&scope(), "f", "live", spec("7", None), exists, "a".into()),
            Err(Error::NotFound(_))
        ));
        for bad in ["123", "", "with space", "dot.ted"] {
            assert!(
                matches!(check_name(bad), Err(Error::Validation(_))),
                "{bad:?} is not an alias name"
            );
        }
        assert!(check_name("v2-blue_green").is_ok());
    }

    #[test]
    fn weighted_routing_splits_by_the_roll_and_follows_aws_rules() {
        let canary = Alias::new(
            &scope(),
            "f",
            "live",
            spec("1", Some(("2", 0.25))),
            exists,
            "a".into(),
        )
        .expect("valid");
        assert_eq!(canary.pick(0.0), "2");
        assert_eq!(canary.pick(0.2499), "2");
        assert_eq!(canary.pick(0.25), "1");
        assert_eq!(canary.pick(0.9999), "1");
        assert!(canary.refers_to("2") && canary.refers_to("1") && !canary.refers_to("3"));

        for (version, routing) in [
            ("$LATEST", ("2", 0.5)),
            ("1", ("$LATEST", 0.5)),
            ("1", ("1", 0.5)),
        ] {
            assert!(
                matches!(
                    Alias::new(
                        &scope(),
                        "f",
                        "live",
                        spec(version, Some(routing)),
                        exists,
                        "a".into()
                    ),
                    Err(Error::InvalidParameter(_))
                ),
                "{version} with {routing:?}"
            );
        }
        assert!(matches!(
            Alias::new(
                &scope(),
                "f",
                "live",
                spec("1", Some(("9", 0.5))),
                exists,
                "a".into()
            ),
            Err(Error::NotFound(_))
        ));
        let heavy = spec("1", Some(("2", 1.5)));
        assert!(matches!(
            Alias::new(&scope(), "f", "live", heavy, exists, "a".into()),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn updates_are_all_or_nothing_and_revisions_are_checked() {
        let mut live = Alias::new(
            &scope(),
            "f",
            "live",
            spec("1", Some(("2", 0.1))),
            exists,
            "a".into(),
        )
        .expect("ok");
        assert!(
            live.update(&scope(), spec("9", None), exists, "b".into())
                .is_err()
        );
        assert_eq!(
            (live.version.as_str(), live.revision_id.as_str()),
            ("1", "a")
        );
        let promote = AliasSpec {
            version: Some("2".into()),
            description: Some("all on 2".into()),
            routing: Some(None),
        };
        live.update(&scope(), promote, exists, "b".into())
            .expect("valid");
        assert_eq!(
            (
                live.version.as_str(),
                live.additional.as_ref(),
                live.pick(0.0)
            ),
            ("2", None, "2")
        );
        assert!(live.check_revision(Some("a")).is_err());
        assert!(live.check_revision(Some("b")).is_ok());
        // Leaving the routing out keeps it.
        live.update(&scope(), spec("1", Some(("2", 0.5))), exists, "c".into())
            .expect("valid");
        live.update(&scope(), AliasSpec::default(), exists, "d".into())
            .expect("valid");
        assert!(live.additional.is_some());
    }
}
