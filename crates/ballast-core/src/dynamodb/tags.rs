//! Table tags: DynamoDB's limits on them, and which table a `ResourceArn`
//! names.
//!
//! The generic rules (key 1–128 characters, value 0–256, no `aws:` prefix,
//! no key twice in one request) are [`crate::tags::validate`]'s; DynamoDB
//! adds its character set and the 50-tag limit, and tags only tables (an
//! index ARN is refused, as AWS refuses it).

use crate::arn::Arn;
use crate::tags::{self, Tag};

use super::Error;

/// The most tags a table may carry.
pub const MAX_TAGS: usize = 50;
/// Tags per ListTagsOfResource page. AWS does not document its page size;
/// ten keeps paging visible to clients that handle `NextToken` while a
/// typical table's tags fit in one page.
pub const LIST_PAGE: usize = 10;

/// Checks the tags of a TagResource or CreateTable request.
pub fn validate(list: &[Tag]) -> Result<(), Error> {
    tags::validate(list).map_err(|e| Error::validation(e.to_string()))?;
    for (i, tag) in list.iter().enumerate() {
        for (text, member) in [(&tag.key, "key"), (&tag.value, "value")] {
            if !text.chars().all(allowed) {
                return Err(Error::validation(format!(
                    "1 validation error detected: Value '{text}' at 'tags.{}.member.{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*",
                    i + 1
                )));
            }
        }
    }
    if list.len() > MAX_TAGS {
        return Err(too_many());
    }
    Ok(())
}

/// Letters, digits and white space in any script, and `_ . : / = + - @`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// The error for a table that would carry more than [`MAX_TAGS`] tags.
pub fn too_many() -> Error {
    Error::validation(format!(
        "One or more parameter values were invalid: The number of tags on the resource would exceed the limit of {MAX_TAGS}"
    ))
}

/// What a `ResourceArn` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A table of this region and account, by name.
    Table(&'a str),
    /// A well-formed table ARN of another account: no table Ballast has.
    Elsewhere,
}

/// The table `arn` names. Anything but a DynamoDB table ARN of `region`
/// (an index, a stream, another service, not an ARN) is a
/// `ValidationException`, as on AWS.
pub fn resource<'a>(arn: &'a str, region: &str, account: &str) -> Result<Resource<'a>, Error> {
    let invalid = || {
        Error::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    let parsed: Arn = arn.parse().map_err(|_| invalid())?;
    let name = parsed
        .resource
        .strip_prefix("table/")
        .filter(|name| !name.is_empty() && !name.contains('/'))
        .ok_or_else(invalid)?;
    if parsed.service != "dynamodb" || parsed.region != region {
        return Err(invalid());
    }
    if parsed.account != account {
        return Ok(Resource::Elsewhere);
    }
    // The name is the tail of `arn` itself, so the caller can borrow it.
    let start = arn.len() - name.len();
    Ok(Resource::Table(&arn[start..]))
}

/// The error for a table ARN that names no table.
pub fn not_found(arn: &str) -> Error {
    // AWS's message, typo included.
    Error::ResourceNotFound(format!(
        "Requested resource not found: ResourcArn: {arn} not found"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(
            validate(&[
                Tag::new("team", "payments"),
                Tag::new("cost-centre:a/b", "x=1 +2 @3")
            ])
            .is_ok()
        );
        assert!(validate(&[Tag::new("Umgebung", "Prüfung"), Tag::new("k", "")]).is_ok());
        assert!(validate(&[Tag::new("k", "#!%")]).is_err());
        assert!(validate(&[Tag::new("bad;key", "v")]).is_err());
        assert!(validate(&[Tag::new("", "v")]).is_err());
        assert!(validate(&[Tag::new("k".repeat(129), "v")]).is_err());
        assert!(validate(&[Tag::new("k", "v".repeat(257))]).is_err());
        assert!(validate(&[Tag::new("aws:reserved", "v")]).is_err());
        assert!(validate(&[Tag::new("k", "1"), Tag::new("k", "2")]).is_err());
        let fifty: Vec<Tag> = (0..50).map(|i| Tag::new(format!("k{i}"), "v")).collect();
        assert!(validate(&fifty).is_ok());
        let fifty_one: Vec<Tag> = (0..51).map(|i| Tag::new(format!("k{i}"), "v")).collect();
        assert!(validate(&fifty_one).is_err());
    }

    #[test]
    fn resources() {
        let ours = |arn| resource(arn, "us-east-1", "000000000000");
        assert_eq!(
            ours("arn:aws:dynamodb:us-east-1:000000000000:table/orders"),
            Ok(Resource::Table("orders"))
        );
        assert_eq!(
            ours("arn:aws:dynamodb:us-east-1:111111111111:table/orders"),
            Ok(Resource::Elsewhere)
        );
        for bad in [
            "arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/by-date",
            "arn:aws:dynamodb:us-east-1:000000000000:table/",
            "arn:aws:dynamodb:eu-west-1:000000000000:table/orders",
            "arn:aws:sqs:us-east-1:000000000000:table/orders",
            "orders",
            "",
        ] {
            let err = ours(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("Invalid TableArn"),
                "{bad}: {err}"
            );
        }
    }
}
