//! OpsCenter's OpsItems: operational issues a person or a program records
//! and works through (`Open`, `InProgress`, `Resolved`). An item is a
//! record with a title, a source, a description, optional priority,
//! category and severity, and operational data (key → value, some of it
//! searchable); every change stamps who made it, when, and a new version.
//!
//! Ids are AWS's: `oi-` and 12 hex digits. The rules here are the ones
//! the model cannot express: the source and the operational data keys
//! may not claim AWS's names, and DescribeOpsItems' filters, with the
//! operators each key accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::Ids;

/// The type an OpsItem has when its creator names none.
pub const DEFAULT_TYPE: &str = "/aws/issue";

/// The status every new OpsItem starts in.
pub const INITIAL_STATUS: &str = "Open";

/// The most bytes an item's operational data may hold (keys and values).
pub const MAX_OPERATIONAL_DATA_BYTES: usize = 20 * 1024;

/// The operational data keys AWS reserves for itself but lets users set:
/// related resources, related Automation runs, and the dedup string.
pub const RESERVED_KEYS_ALLOWED: [&str; 3] = ["/aws/resources", "/aws/automations", "/aws/dedup"];

/// The prefixes no other operational data key may start with.
const RESERVED_KEY_PREFIXES: [&str; 8] = [
    "amazon", "aws", "amzn", "ssm", "/amazon", "/aws", "/amzn", "/ssm",
];

/// The names a source may not contain.
const RESERVED_SOURCE_NAMES: [&str; 3] = ["aws", "amazon", "amzn"];

/// Why an OpsItem request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `OpsItemInvalidParameterException`, naming the parameters at fault.
    #[error("{message}")]
    InvalidParameter {
        parameters: Vec<String>,
        message: String,
    },
    /// `OpsItemNotFoundException`.
    #[error("OpsItem with id {0} does not exist.")]
    NotFound(String),
    /// `OpsItemAccessDeniedException`: an item in another account.
    #[error("{0}")]
    AccessDenied(String),
    /// The protocol's `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `OpsCenterInvalidArgumentException`: a DescribeOpsItems filter
    /// Ballast (or AWS) cannot apply.
    #[error("{0}")]
    InvalidArgument(String),
}

impl Error {
    fn parameter(name: &str, message: impl Into<String>) -> Error {
        Error::InvalidParameter {
            parameters: vec![name.to_owned()],
            message: message.into(),
        }
    }
}

/// A new OpsItem id: `oi-` and 12 hex digits.
pub fn new_id(ids: &Ids) -> String {
    format!("oi-{}", ids.hex(12))
}

/// One operational data value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataValue {
    pub value: String,
    /// `SearchableString` values are shown by DescribeOpsItems and
    /// matched by its filters; `String` ones only by GetOpsItem.
    pub searchable: bool,
}

/// An OpsItem as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpsItem {
    pub id: String,
    pub ops_item_type: String,
    pub title: String,
    pub description: String,
    pub source: String,
    pub status: String,
    pub priority: Option<i32>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub operational_data: BTreeMap<String, DataValue>,
    /// SNS topic ARNs told of changes.
    pub notifications: Vec<String>,
    /// Ids of related OpsItems.
    pub related: Vec<String>,
    pub times: Times,
    pub created_by: String,
    pub created_millis: i64,
    pub last_modified_by: String,
    pub last_modified_millis: i64,
    /// Counts the item's changes: 1 when created.
    pub version: u64,
}

/// When the work an item tracks happened or is planned, as the user says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Times {
    pub actual_start: Option<i64>,
    pub actual_end: Option<i64>,
    pub planned_start: Option<i64>,
    pub planned_end: Option<i64>,
}

impl Times {
    /// Overwrites the times `other` names.
    fn merge(&mut self, other: Times) {
        let Times {
            actual_start,
            actual_end,
            planned_start,
            planned_end,
        } = other;
        self.actual_start = actual_start.or(self.actual_start);
        self.actual_end = actual_end.or(self.actual_end);
        self.planned_start = planned_start.or(self.planned_start);
        self.planned_end = planned_end.or(self.planned_end);
    }
}

/// What CreateOpsItem asks for, after the model's own checks.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub ops_item_type: Option<String>,
    pub title: String,
    pub description: String,
    pub source: String,
    pub priority: Option<i32>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub operational_data: BTreeMap<String, DataValue>,
    pub notifications: Vec<String>,
    pub related: Vec<String>,
    pub times: Times,
}

impl CreateRequest {
    /// The new item, `Open`, made by `caller` at `now`.
    pub fn apply(self, id: String, caller: &str, now: i64) -> Result<OpsItem, Error> {
        check_source(&self.source)?;
        check_operational_data(&self.operational_data)?;
        Ok(OpsItem {
            id,
            ops_item_type: self
                .ops_item_type
                .unwrap_or_else(|| DEFAULT_TYPE.to_owned()),
            title: self.title,
            description: self.description,
            source: self.source,
            status: INITIAL_STATUS.to_owned(),
            priority: self.priority,
            category: self.category,
            severity: self.severity,
            operational_data: self.operational_data,
            notifications: self.notifications,
            related: self.related,
            times: self.times,
            created_by: caller.to_owned(),
            created_millis: now,
            last_modified_by: caller.to_owned(),
            last_modified_millis: now,
            version: 1,
        })
    }
}

/// What UpdateOpsItem changes: every field it names; operational data is
/// merged key by key, then the keys to delete go.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<i32>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub operational_data: BTreeMap<String, DataValue>,
    pub operational_data_to_delete: Vec<String>,
    pub notifications: Option<Vec<String>>,
    pub related: Option<Vec<String>>,
    pub times: Times,
}

impl Update {
    /// Changes `item` as `caller` at `now`, or refuses and leaves it as
    /// it was.
    pub fn apply(self, item: &mut OpsItem, caller: &str, now: i64) -> Result<(), Error> {
        let mut data = item.operational_data.clone();
        data.extend(self.operational_data);
        for key in &self.operational_data_to_delete {
            data.remove(key);
        }
        check_operational_data(&data)?;
        item.operational_data = data;
        let Update {
            title,
            description,
            status,
            priority,
            category,
            severity,
            notifications,
            related,
            times,
            ..
        } = self;
        set(&mut item.title, title);
        set(&mut item.description, description);
        set(&mut item.status, status);
        set(&mut item.notifications, notifications);
        set(&mut item.related, related);
        item.priority = priority.or(item.priority);
        item.category = category.or(item.category.take());
        item.severity = severity.or(item.severity.take());
        item.times.merge(times);
        item.last_modified_by = caller.to_owned();
        item.last_modified_millis = now;
        item.version += 1;
        Ok(())
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn check_source(source: &str) -> Result<(), Error> {
    let lower = source.to_ascii_lowercase();
    if let Some(name) = RESERVED_SOURCE_NAMES.iter().find(|n| lower.contains(*n)) {
        return Err(Error::parameter(
            "Source",
            format!("The source can't contain {name}: aws, amazon and amzn are reserved."),
        ));
    }
    Ok(())
}

fn check_operational_data(data: &BTreeMap<String, DataValue>) -> Result<(), Error> {
    for key in data.keys() {
        let lower = key.to_ascii_lowercase();
        let reserved = RESERVED_KEY_PREFIXES.iter().any(|p| lower.starts_with(p));
        if reserved && !RESERVED_KEYS_ALLOWED.contains(&key.as_str()) {
            return Err(Error::parameter(
                "OperationalData",
                format!(
                    "The operational data key {key} is reserved: keys can't begin with amazon, aws, amzn, ssm, /amazon, /aws, /amzn or /ssm."
                ),
            ));
        }
    }
    let size: usize = data.iter().map(|(k, v)| k.len() + v.value.len()).sum();
    if size > MAX_OPERATIONAL_DATA_BYTES {
        return Err(Error::parameter(
            "OperationalData",
            format!(
                "The operational data is {size} bytes; an OpsItem holds at most {MAX_OPERATIONAL_DATA_BYTES}."
            ),
        ));
    }
    Ok(())
}

/// How a DescribeOpsItems filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equal,
    Contains,
    GreaterThan,
    LessThan,
}

impl Operator {
    /// The operator's wire name.
    pub fn parse(name: &str) -> Option<Operator> {
        Some(match name {
            "Equal" => Operator::Equal,
            "Contains" => Operator::Contains,
            "GreaterThan" => Operator::GreaterThan,
            "LessThan" => Operator::LessThan,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Operator::Equal => "Equal",
            Operator::Contains => "Contains",
            Operator::GreaterThan => "GreaterThan",
            Operator::LessThan => "LessThan",
        }
    }
}

/// What a filter compares: a text field, a time, or operational data.
#[derive(Debug, Clone, Copy)]
enum Subject {
    Text(fn(&OpsItem) -> Vec<String>),
    Time(fn(&OpsItem) -> Option<i64>),
}

/// One DescribeOpsItems filter: its values OR, filters AND.
#[derive(Debug, Clone)]
pub struct Filter {
    key: String,
    subject: Subject,
    operator: Operator,
    /// Text values as given; times in epoch milliseconds.
    values: Vec<String>,
    times: Vec<i64>,
}

/// The operators each key accepts, as the DescribeOpsItems reference
/// lists them.
fn subject_of(key: &str) -> Option<(Subject, &'static [Operator])> {
    use Operator::*;
    const EQUAL: &[Operator] = &[Equal];
    const TEXT: &[Operator] = &[Equal, Contains];
    const TIME: &[Operator] = &[GreaterThan, LessThan];
    let text = |f: fn(&OpsItem) -> Vec<String>, ops| Some((Subject::Text(f), ops));
    let time = |f: fn(&OpsItem) -> Option<i64>| Some((Subject::Time(f), TIME));
    match key {
        "Status" => text(|i| vec![i.status.clone()], EQUAL),
        "OpsItemId" => text(|i| vec![i.id.clone()], EQUAL),
        "OpsItemType" => text(|i| vec![i.ops_item_type.clone()], EQUAL),
        "Priority" => text(|i| i.priority.iter().map(i32::to_string).collect(), EQUAL),
        "Category" => text(|i| i.category.iter().cloned().collect(), EQUAL),
        "Severity" => text(|i| i.severity.iter().cloned().collect(), EQUAL),
        "Source" => text(|i| vec![i.source.clone()], TEXT),
        "Title" => text(|i| vec![i.title.clone()], TEXT),
        "CreatedBy" => text(|i| vec![i.created_by.clone()], TEXT),
        "OperationalData" => text(searchable_pairs, EQUAL),
        "OperationalDataKey" => text(|i| searchable(i).map(|(k, _)| k.clone()).collect(), EQUAL),
        "OperationalDataValue" => text(
            |i| searchable(i).map(|(_, v)| v.value.clone()).collect(),
            TEXT,
        ),
        "ResourceId" => text(|i| related_ids(i, "/aws/resources", "arn"), &[Contains]),
        "AutomationId" => text(
            |i| related_ids(i, "/aws/automations", "automationId"),
            EQUAL,
        ),
        "CreatedTime" => time(|i| Some(i.created_millis)),
        "LastModifiedTime" => time(|i| Some(i.last_modified_millis)),
        "ActualStartTime" => time(|i| i.times.actual_start),
        "ActualEndTime" => time(|i| i.times.actual_end),
        "PlannedStartTime" => time(|i| i.times.planned_start),
        "PlannedEndTime" => time(|i| i.times.planned_end),
        _ => None,
    }
}

fn searchable(item: &OpsItem) -> impl Iterator<Item = (&String, &DataValue)> {
    item.operational_data.iter().filter(|(_, v)| v.searchable)
}

/// Searchable operational data as `key` and `value` in one JSON object,
/// the form an `OperationalData` filter value takes.
fn searchable_pairs(item: &OpsItem) -> Vec<String> {
    searchable(item)
        .map(|(key, value)| serde_json::json!({"key": key, "value": value.value}).to_string())
        .collect()
}

/// The `field` of each entry of the JSON list under `key` (how
/// `/aws/resources` and `/aws/automations` name what an item concerns).
fn related_ids(item: &OpsItem, key: &str, field: &str) -> Vec<String> {
    let Some(data) = item.operational_data.get(key) else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(entries)) = serde_json::from_str(&data.value) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| entry.get(field)?.as_str().map(str::to_owned))
        .collect()
}

impl Filter {
    /// A filter from the request, or why it cannot apply.
    pub fn parse(key: &str, operator: &str, values: Vec<String>) -> Result<Filter, Error> {
        let invalid = |why: String| Error::InvalidArgument(format!("Filter '{key}': {why}"));
        let operator = Operator::parse(operator)
            .ok_or_else(|| invalid(format!("'{operator}' is not an operator.")))?;
        let (subject, accepted) = subject_of(key).ok_or_else(|| {
            invalid(
                "Ballast keeps no change requests, access requests or insights to filter on."
                    .to_owned(),
            )
        })?;
        if !accepted.contains(&operator) {
            let names: Vec<&str> = accepted.iter().map(|o| o.name()).collect();
            return Err(invalid(format!(
                "the operator {} is not supported; use {}.",
                operator.name(),
                names.join(" or ")
            )));
        }
        if values.is_empty() {
            return Err(invalid("at least one value is required.".to_owned()));
        }
        let times = match subject {
            Subject::Time(_) => values
                .iter()
                .map(|v| parse_time(v).ok_or_else(|| invalid(format!("'{v}' is not a time."))))
                .collect::<Result<_, _>>()?,
            Subject::Text(_) => Vec::new(),
        };
        let values = match key {
            // Compared as JSON, whatever its spacing.
            "OperationalData" => values
                .iter()
                .map(|v| {
                    normalized_pair(v)
                        .ok_or_else(|| invalid(format!("'{v}' is not {{\"key\":…,\"value\":…}}.")))
                })
                .collect::<Result<_, _>>()?,
            _ => values,
        };
        Ok(Filter {
            key: key.to_owned(),
            subject,
            operator,
            values,
            times,
        })
    }

    /// The filter's key, as the request named it.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether `item` passes.
    pub fn matches(&self, item: &OpsItem) -> bool {
        match self.subject {
            Subject::Text(field) => field(item).iter().any(|have| {
                self.values.iter().any(|want| match self.operator {
                    Operator::Contains => have.contains(want.as_str()),
                    _ => have == want,
                })
            }),
            Subject::Time(field) => field(item).is_some_and(|have| {
                self.times.iter().any(|want| match self.operator {
                    Operator::GreaterThan => have > *want,
                    _ => have < *want,
                })
            }),
        }
    }
}

/// `{"key":…,"value":…}` written as [`searchable_pairs`] writes it.
fn normalized_pair(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let key = value.get("key")?.as_str()?;
    let data = value.get("value")?.as_str()?;
    Some(serde_json::json!({"key": key, "value": data}).to_string())
}

/// A filter's time: ISO 8601 (`2026-12-01T00:00:00Z`) or epoch seconds.
fn parse_time(text: &str) -> Option<i64> {
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at.as_millisecond());
    }
    let seconds: f64 = text.parse().ok()?;
    seconds
        .is_finite()
        .then(|| (seconds * 1000.0).round() as i64)
}

/// Whether `item` passes every filter.
pub fn matches_all(item: &OpsItem, filters: &[Filter]) -> bool {
    filters.iter().all(|f| f.matches(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> OpsItem {
        let mut data = BTreeMap::new();
        data.insert(
            "/aws/resources".to_owned(),
            DataValue {
                value: r#"[{"arn":"arn:aws:ec2:us-east-1:000000000000:instance/i-0abc"}]"#.into(),
                searchable: true,
            },
        );
        data.insert(
            "runbook".to_owned(),
            DataValue {
                value: "restart".into(),
                searchable: false,
            },
        );
        CreateRequest {
            title: "Disk full".into(),
            description: "The data volume is full".into(),
            source: "EC2".into(),
            severity: Some("2".into()),
            operational_data: data,
            ..CreateRequest::default()
        }
        .apply("oi-0123456789ab".into(), "arn:aws:iam::0:user/ops", 1_000)
        .expect("valid")
    }

    fn filter(key: &str, operator: &str, value: &str) -> Filter {
        Filter::parse(key, operator, vec![value.to_owned()]).expect("a valid filter")
    }

    #[test]
    fn a_new_item_is_an_open_issue_at_version_one() {
        let item = created();
        assert_eq!(
            (item.status.as_str(), item.ops_item_type.as_str()),
            ("Open", "/aws/issue")
        );
        assert_eq!((item.version, item.created_millis), (1, 1_000));
        assert!(new_id(&Ids::seeded(1)).starts_with("oi-"));
        assert_eq!(new_id(&Ids::seeded(1)).len(), 15);
    }

    #[test]
    fn reserved_names_are_refused() {
        let request = |source: &str, key: &str| CreateRequest {
            title: "t".into(),
            description: "d".into(),
            source: source.into(),
            operational_data: BTreeMap::from([(
                key.to_owned(),
                DataValue {
                    value: "v".into(),
                    searchable: false,
                },
            )]),
            ..CreateRequest::default()
        };
        let refused = |r: CreateRequest| r.apply("oi-0".into(), "me", 0).expect_err("refused");
        assert!(matches!(
            refused(request("My-AWS-tool", "k")),
            Error::InvalidParameter { parameters, .. } if parameters == ["Source"]
        ));
        assert!(matches!(
            refused(request("app", "ssm-note")),
            Error::InvalidParameter { parameters, .. } if parameters == ["OperationalData"]
        ));
        assert!(
            request("app", "/aws/dedup")
                .apply("oi-0".into(), "me", 0)
                .is_ok()
        );
    }

    #[test]
    fn updates_merge_data_and_stamp_the_change() {
        let mut item = created();
        Update {
            status: Some("Resolved".into()),
            operational_data: BTreeMap::from([(
                "cause".to_owned(),
                DataValue {
                    value: "log rotation".into(),
                    searchable: true,
                },
            )]),
            operational_data_to_delete: vec!["runbook".into()],
            ..Update::default()
        }
        .apply(&mut item, "arn:aws:iam::0:user/oncall", 2_000)
        .expect("valid");
        assert_eq!(item.status, "Resolved");
        assert_eq!(item.title, "Disk full");
        assert_eq!(item.severity.as_deref(), Some("2"));
        let keys: Vec<_> = item.operational_data.keys().cloned().collect();
        assert_eq!(keys, ["/aws/resources", "cause"]);
        assert_eq!((item.version, item.last_modified_millis), (2, 2_000));
        assert_eq!(item.created_by, "arn:aws:iam::0:user/ops");

        let before = item.clone();
        let refused = Update {
            operational_data: BTreeMap::from([(
                "aws:x".to_owned(),
                DataValue {
                    value: "v".into(),
                    searchable: true,
                },
            )]),
            ..Update::default()
        }
        .apply(&mut item, "me", 3_000);
        assert!(refused.is_err());
        assert_eq!(item, before, "a refused update changes nothing");
    }

    #[test]
    fn filters_follow_each_keys_operators() {
        let item = created();
        assert!(filter("Status", "Equal", "Open").matches(&item));
        assert!(!filter("Status", "Equal", "Resolved").matches(&item));
        assert!(filter("Title", "Contains", "full").matches(&item));
        assert!(filter("ResourceId", "Contains", "i-0abc").matches(&item));
        assert!(filter("CreatedTime", "LessThan", "1970-01-01T00:00:02Z").matches(&item));
        assert!(filter("CreatedTime", "GreaterThan", "0").matches(&item));
        assert!(
            filter("OperationalData", "Equal", r#"{ "value": "[{\"arn\":\"arn:aws:ec2:us-east-1:000000000000:instance/i-0abc\"}]", "key": "/aws/resources" }"#)
                .matches(&item)
        );
        // Only searchable data is searched.
        assert!(!filter("OperationalDataKey", "Equal", "runbook").matches(&item));
        assert!(filter("Severity", "Equal", "2").matches(&item));
        assert!(!filter("Priority", "Equal", "1").matches(&item));

        for (key, operator) in [
            ("Status", "Contains"),
            ("CreatedTime", "Equal"),
            ("ChangeRequestByTemplate", "Equal"),
            ("Status", "Like"),
        ] {
            assert!(matches!(
                Filter::parse(key, operator, vec!["x".into()]),
                Err(Error::InvalidArgument(_))
            ));
        }
        assert!(Filter::parse("CreatedTime", "LessThan", vec!["soon".into()]).is_err());
    }
}
