//! Time to Live: the rules of UpdateTimeToLive, and when an item counts as
//! expired.
//!
//! A table names at most one TTL attribute. An item is expired when that
//! attribute is a top-level Number of epoch seconds earlier than now, but
//! no more than five years earlier: AWS ignores anything older (a
//! millisecond timestamp mistaken for seconds lands far in the future,
//! a seconds value of a few thousand far in the past, and neither should
//! wipe a table). Items without the attribute, or with another type, never
//! expire.
//!
//! AWS takes up to an hour to switch TTL on or off (ENABLING/DISABLING)
//! and deletes expired items "within a few days". Ballast switches at once
//! and deletes within a few (scaled) seconds: the store keeps each item's
//! expiry second in an indexed column, so a sweep finds what is due
//! without reading the table.

use std::ops::RangeInclusive;
use std::time::Duration;

use super::Error;
use super::value::Item;

/// The longest TTL attribute name (the model's limit).
pub const MAX_ATTRIBUTE_NAME: usize = 255;
/// How far in the past an expiry may lie and still be honoured: five
/// years of 365.25 days.
pub const MAX_AGE_SECONDS: i64 = 5 * 31_557_600;
/// How often the sweeper looks for expired items, at time scale 1. The
/// binary scales it by `--time-scale` (a demo at 0.01 sweeps every 50 ms).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(5);
/// The shortest sweep interval whatever the scale, so a tiny scale does not
/// turn the sweeper into a busy loop.
pub const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(50);
/// The most items one sweep deletes in one transaction, so a burst of
/// expiries never holds the store's writer for long; a full batch is
/// followed at once by another.
pub const SWEEP_BATCH: usize = 256;

/// Checks an UpdateTimeToLive request's `TimeToLiveSpecification`
/// members (`None` when absent) on their own, as AWS does before it looks
/// the table up; returns them.
pub fn specification(
    enabled: Option<bool>,
    attribute: Option<&str>,
) -> Result<(bool, &str), Error> {
    let mut problems = Vec::new();
    if enabled.is_none() {
        problems.push(
            "Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null"
                .to_owned(),
        );
    }
    match attribute {
        None => problems.push(
            "Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null"
                .to_owned(),
        ),
        Some(name) if name.is_empty() => problems.push(format!(
            "Value '{name}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )),
        Some(name) if name.chars().count() > MAX_ATTRIBUTE_NAME => problems.push(format!(
            "Value '{name}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less than or equal to {MAX_ATTRIBUTE_NAME}"
        )),
        Some(_) => {}
    }
    match (enabled, attribute) {
        (Some(enabled), Some(attribute)) if problems.is_empty() => Ok((enabled, attribute)),
        _ => Err(validation_errors(&problems)),
    }
}

/// The TTL attribute a table has after an UpdateTimeToLive, or why the
/// request is refused: `current` is the table's attribute now (`None`:
/// disabled). Enabling twice, disabling twice, and naming another
/// attribute than the active one are refused, as on AWS; the attribute can
/// only change by disabling first.
pub fn update(
    current: Option<&str>,
    enabled: bool,
    attribute: &str,
) -> Result<Option<String>, Error> {
    match (current, enabled) {
        (Some(current), true) if current == attribute => {
            Err(Error::validation("TimeToLive is already enabled"))
        }
        (None, false) => Err(Error::validation("TimeToLive is already disabled")),
        (Some(current), _) if current != attribute => Err(Error::validation(format!(
            "TimeToLive is active on a different AttributeName: current AttributeName is {current}"
        ))),
        (_, true) => Ok(Some(attribute.to_owned())),
        (_, false) => Ok(None),
    }
}

/// AWS's "N validation error(s) detected: A; B" form.
fn validation_errors(problems: &[String]) -> Error {
    let count = problems.len();
    Error::validation(format!(
        "{count} validation error{} detected: {}",
        if count == 1 { "" } else { "s" },
        problems.join("; ")
    ))
}

/// The second at which `item` expires under TTL attribute `attribute`:
/// the attribute's value rounded up (so an item never goes before its
/// time). `None` when the item has no such top-level attribute or it is
/// not a Number: TTL ignores the item.
pub fn expiry(item: &Item, attribute: &str) -> Option<i64> {
    item.get(attribute)?.as_number().map(|n| n.ceil_i64())
}

/// The expiry seconds that count as expired at `now_millis`: strictly
/// before now, and at most [`MAX_AGE_SECONDS`] before it. The store asks
/// for items in this range; [`is_expired`] is the same test for one.
pub fn expired_range(now_millis: i64) -> RangeInclusive<i64> {
    // expiry * 1000 < now  ⇔  expiry <= floor((now - 1) / 1000)
    let newest = now_millis.saturating_sub(1).div_euclid(1000);
    // expiry * 1000 >= now - max age  ⇔  expiry >= ceil((now - max age) / 1000)
    let oldest_millis = now_millis.saturating_sub(MAX_AGE_SECONDS.saturating_mul(1000));
    let oldest = -(oldest_millis.saturating_neg().div_euclid(1000));
    oldest..=newest
}

/// Whether an item expiring at second `expiry` is due for deletion at
/// `now_millis`.
pub fn is_expired(expiry: i64, now_millis: i64) -> bool {
    expired_range(now_millis).contains(&expiry)
}

/// Whether `item` is due for deletion at `now_millis` on a table whose TTL
/// attribute is `attribute` (`None`: TTL disabled, nothing expires).
pub fn item_expired(item: &Item, attribute: Option<&str>, now_millis: i64) -> bool {
    attribute
        .and_then(|a| expiry(item, a))
        .is_some_and(|e| is_expired(e, now_millis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::AttributeValue;

    /// 2024-01-01T00:00:00Z.
    const NOW: i64 = 1_704_067_200;

    fn item(ttl: AttributeValue) -> Item {
        [
            ("pk".to_owned(), AttributeValue::S("a".into())),
            ("expires".to_owned(), ttl),
        ]
        .into_iter()
        .collect()
    }

    fn n(v: impl ToString) -> AttributeValue {
        AttributeValue::N(v.to_string())
    }

    #[test]
    fn past_numbers_expire_and_future_ones_do_not() {
        let now = NOW * 1000;
        let ttl = Some("expires");
        assert!(item_expired(&item(n(NOW - 60)), ttl, now));
        assert!(item_expired(&item(n(NOW - 1)), ttl, now));
        assert!(!item_expired(&item(n(NOW + 3600)), ttl, now));
        // "Less than the current time": the current second itself is not
        // yet past until a millisecond later.
        assert!(!item_expired(&item(n(NOW)), ttl, now));
        assert!(item_expired(&item(n(NOW)), ttl, now + 1));
        // A fraction rounds up: half a second past NOW is not expired at
        // NOW + 0.6 s, only once NOW + 1 s is past.
        assert!(!item_expired(&item(n("1704067200.5")), ttl, now + 600));
        assert!(item_expired(&item(n("1704067200.5")), ttl, now + 1001));
    }

    #[test]
    fn other_types_missing_attributes_and_disabled_tables_never_expire() {
        let now = NOW * 1000;
        let past = (NOW - 60).to_string();
        assert!(!item_expired(
            &item(AttributeValue::S(past.clone())),
            Some("expires"),
            now
        ));
        assert!(!item_expired(
            &item(AttributeValue::NS(vec![past.clone()])),
            Some("expires"),
            now
        ));
        assert!(!item_expired(
            &item(AttributeValue::L(vec![n(&past)])),
            Some("expires"),
            now
        ));
        assert!(!item_expired(&item(n(&past)), Some("other"), now));
        assert!(!item_expired(&item(n(&past)), None, now));
    }

    #[test]
    fn expiries_more_than_five_years_old_are_ignored() {
        let now = NOW * 1000;
        let ttl = Some("expires");
        assert!(item_expired(&item(n(NOW - MAX_AGE_SECONDS)), ttl, now));
        assert!(!item_expired(&item(n(NOW - MAX_AGE_SECONDS - 1)), ttl, now));
        // Six years back, and a small number meant as "soon" by mistake.
        assert!(!item_expired(&item(n(NOW - 6 * 365 * 86_400)), ttl, now));
        assert!(!item_expired(&item(n(120)), ttl, now));
        assert!(!item_expired(&item(n(-5)), ttl, now));
        // Milliseconds mistaken for seconds lie far in the future.
        assert!(!item_expired(&item(n(NOW * 1000)), ttl, now));
        assert!(!item_expired(&item(n("9.99e125")), ttl, now));
    }

    #[test]
    fn the_range_and_the_test_agree() {
        for now in [0, 1, 999, 1000, 1001, NOW * 1000, NOW * 1000 + 999, -1500] {
            let range = expired_range(now);
            for expiry in [
                range.start() - 1,
                *range.start(),
                *range.end(),
                range.end() + 1,
            ] {
                let by_definition =
                    expiry * 1000 < now && expiry * 1000 >= now - MAX_AGE_SECONDS * 1000;
                assert_eq!(is_expired(expiry, now), by_definition, "{expiry} at {now}");
            }
        }
    }

    #[test]
    fn update_rules() {
        assert_eq!(
            update(None, true, "expires"),
            Ok(Some("expires".to_owned()))
        );
        assert_eq!(update(Some("expires"), false, "expires"), Ok(None));
        let message = |r: Result<Option<String>, Error>| r.unwrap_err().to_string();
        assert_eq!(
            message(update(Some("expires"), true, "expires")),
            "TimeToLive is already enabled"
        );
        assert_eq!(
            message(update(None, false, "expires")),
            "TimeToLive is already disabled"
        );
        assert_eq!(
            message(update(Some("expires"), true, "other")),
            "TimeToLive is active on a different AttributeName: current AttributeName is expires"
        );
        assert_eq!(
            message(update(Some("expires"), false, "other")),
            "TimeToLive is active on a different AttributeName: current AttributeName is expires"
        );
    }

    #[test]
    fn specification_rules() {
        assert_eq!(
            specification(Some(true), Some("expires")),
            Ok((true, "expires"))
        );
        let message = |r: Result<(bool, &str), Error>| r.unwrap_err().to_string();
        assert!(
            message(specification(Some(true), Some(""))).contains("greater than or equal to 1")
        );
        let long = "a".repeat(256);
        assert!(
            message(specification(Some(true), Some(&long))).contains("less than or equal to 255")
        );
        assert!(specification(Some(false), Some(&"a".repeat(255))).is_ok());
        assert_eq!(
            message(specification(None, None)),
            "2 validation errors detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null; Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null"
        );
    }
}
