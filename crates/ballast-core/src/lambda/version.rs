//! Published versions: PublishVersion freezes `$LATEST`'s code and
//! configuration under the next number, and a request's qualifier names
//! `$LATEST`, a version or an alias.

use super::{Error, Function, ResourcePolicy};

/// The unpublished version, which updates change.
pub const LATEST: &str = "$LATEST";

/// `$LATEST`, as serde's default for records written before versions.
pub(super) fn latest() -> String {
    LATEST.to_owned()
}

/// What a qualifier names. Lambda tells them apart by form alone: an
/// alias may not be all digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier<'a> {
    Latest,
    Version(u32),
    Alias(&'a str),
}

impl<'a> Qualifier<'a> {
    /// The qualifier `text` is; `None` (no qualifier) is `$LATEST`.
    pub fn parse(text: Option<&'a str>) -> Qualifier<'a> {
        match text {
            None | Some(LATEST) => Qualifier::Latest,
            Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                // Only a version's own spelling names it: `007` or a number
                // too large names none (u32::MAX is never published).
                let number = text.parse::<u32>().ok().filter(|n| n.to_string() == text);
                Qualifier::Version(number.unwrap_or(u32::MAX))
            }
            Some(alias) => Qualifier::Alias(alias),
        }
    }
}

/// What PublishVersion asks for beyond the function.
#[derive(Debug, Clone, Default)]
pub struct Publish<'a> {
    /// The code the caller expects `$LATEST` to have.
    pub code_sha256: Option<&'a str>,
    /// The version's description (else `$LATEST`'s).
    pub description: Option<String>,
    /// The revision the caller expects `$LATEST` to be at.
    pub revision_id: Option<&'a str>,
}

/// What PublishVersion gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A new version, to be kept.
    New(Function),
    /// The newest version, which `$LATEST` has not changed since.
    Unchanged(Function),
}

impl Published {
    /// The version PublishVersion answers with.
    pub fn into_version(self) -> Function {
        match self {
            Published::New(version) | Published::Unchanged(version) => version,
        }
    }
}

impl Function {
    /// Whether this is `$LATEST`.
    pub fn is_latest(&self) -> bool {
        self.version == LATEST
    }

    /// The version number of a published version.
    pub fn number(&self) -> Option<u32> {
        self.version.parse().ok()
    }

    /// A published version as an invocation runs it: reserved concurrency
    /// belongs to the function, so every version and alias shares
    /// `latest`'s.
    pub fn invoked_with(self, latest: &Function) -> Function {
        Function {
            reserved_concurrency: latest.reserved_concurrency,
            ..self
        }
    }

    /// Publishes `$LATEST` (`self`) as a new version, unless neither its
    /// code nor its configuration changed since `newest`, the last version
    /// published, which Lambda then answers with.
    pub fn publish(
        &mut self,
        request: Publish<'_>,
        newest: Option<Function>,
        now_millis: i64,
        revision_id: String,
    ) -> Result<Published, Error> {
        self.check_revision(request.revision_id)?;
        if let Some(expected) = request.code_sha256
            && expected != self.code.sha256
        {
            return Err(Error::InvalidParameter(format!(
                "CodeSHA256 ({expected}) is different from current CodeSHA256 in $LATEST ({}). Please try again",
                self.code.sha256
            )));
        }
        // Unchanged: `$LATEST` is still at the revision the newest version
        // was made from.
        if let Some(newest) = newest
            .filter(|newest| newest.published_from.as_deref() == Some(self.revision_id.as_str()))
        {
            return Ok(Published::Unchanged(newest));
        }
        self.last_published = self
            .last_published
            .checked_add(1)
            .filter(|n| *n < u32::MAX)
            .ok_or_else(|| {
                Error::InvalidParameter("The function has no version numbers left.".to_owned())
            })?;
        Ok(Published::New(Function {
            version: self.last_published.to_string(),
            last_published: 0,
            published_from: Some(self.revision_id.clone()),
            description: request
                .description
                .unwrap_or_else(|| self.description.clone()),
            last_modified_millis: now_millis,
            revision_id,
            // A version has its own resource policy, empty when made, and
            // reserved concurrency is the function's, kept on `$LATEST`.
            policy: ResourcePolicy::default(),
            reserved_concurrency: None,
            ..self.clone()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::{Code, Settings};

    fn latest_function() -> Function {
        let settings = Settings {
            runtime: Some("python3.12".into()),
            handler: Some("index.handler".into()),
            role: Some("arn:aws:iam::000000000000:role/r".into()),
            description: Some("first".into()),
            ..Settings::default()
        };
        let code = Code::of_zip(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").expect("zip");
        Function::new("f", settings, code, 0, "r0".into()).expect("valid")
    }

    #[test]
    fn qualifiers_are_told_apart_by_form() {
        assert_eq!(Qualifier::parse(None), Qualifier::Latest);
        assert_eq!(Qualifier::parse(Some("$LATEST")), Qualifier::Latest);
        assert_eq!(Qualifier::parse(Some("12")), Qualifier::Version(12));
        assert_eq!(Qualifier::parse(Some("live")), Qualifier::Alias("live"));
        assert_eq!(Qualifier::parse(Some("v2")), Qualifier::Alias("v2"));
        for unnamed in ["99999999999", "007"] {
            assert_eq!(
                Qualifier::parse(Some(unnamed)),
                Qualifier::Version(u32::MAX)
            );
        }
    }

    #[test]
    fn a_version_runs_with_the_functions_reserved_concurrency() {
        let mut latest = latest_function();
        let one = latest
            .publish(Publish::default(), None, 10, "r1".into())
            .expect("published")
            .into_version();
        latest.reserved_concurrency = Some(0);
        let invoked = one.clone().invoked_with(&latest);
        assert_eq!(invoked.reserved_concurrency, Some(0));
        assert_eq!(invoked.version, "1");
        assert_eq!(invoked.code, one.code);
    }

    #[test]
    fn publishing_numbers_versions_and_skips_an_unchanged_function() {
        let mut latest = latest_function();
        let Published::New(one) = latest
            .publish(Publish::default(), None, 10, "r1".into())
            .expect("published")
        else {
            panic!("a first publish makes version 1");
        };
        assert_eq!((one.version.as_str(), one.number()), ("1", Some(1)));
        assert_eq!(one.description, "first");
        assert_eq!(latest.last_published, 1);
        assert!(latest.is_latest() && !one.is_latest());

        let again = latest
            .publish(Publish::default(), Some(one.clone()), 11, "r2".into())
            .expect("checked");
        assert_eq!(
            again,
            Published::Unchanged(one.clone()),
            "nothing changed since version 1"
        );
        assert_eq!(latest.last_published, 1);

        latest
            .configure(
                Settings {
                    timeout_seconds: Some(30),
                    ..Settings::default()
                },
                12,
                "r-30s".into(),
            )
            .expect("valid");
        let two = latest
            .publish(
                Publish {
                    description: Some("longer timeout".into()),
                    ..Publish::default()
                },
                Some(one),
                12,
                "r3".into(),
            )
            .expect("published");
        let Published::New(two) = two else {
            panic!("a changed function makes version 2");
        };
        assert_eq!((two.version.as_str(), two.timeout_seconds), ("2", 30));
        assert_eq!(two.description, "longer timeout");
    }

    #[test]
    fn publishing_checks_the_expected_code_and_revision() {
        let mut latest = latest_function();
        let wrong_code = Publish {
            code_sha256: Some("nope"),
            ..Publish::default()
        };
        assert!(matches!(
            latest.publish(wrong_code, None, 0, "r".into()),
            Err(Error::InvalidParameter(_))
        ));
        let wrong_revision = Publish {
            revision_id: Some("old"),
            ..Publish::default()
        };
        assert!(matches!(
            latest.publish(wrong_revision, None, 0, "r".into()),
            Err(Error::PreconditionFailed(_))
        ));
        assert_eq!(latest.last_published, 0, "nothing was published");
    }
}
