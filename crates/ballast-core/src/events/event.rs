//! Events: the envelope every event on a bus has (`version`, `id`,
//! `detail-type`, `source`, `account`, `time`, `region`, `resources`,
//! `detail`), PutEvents' checks of the entries it is given, and
//! TestEventPattern's of the event it is given.

use serde_json::{Map, Value, json};

use super::Error;
use crate::{Scope, iso8601};

/// The largest PutEvents entry AWS takes, in bytes.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;

/// What one event says, before it has an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub source: String,
    pub detail_type: String,
    pub detail: Value,
    pub resources: Vec<String>,
    /// When it happened; absent means when it was put.
    pub time_millis: Option<i64>,
}

impl Draft {
    /// The event as rules and targets see it.
    pub fn envelope(&self, id: &str, scope: &Scope, now_millis: i64) -> Value {
        json!({
            "version": "0",
            "id": id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": scope.account,
            "time": iso8601(self.time_millis.unwrap_or(now_millis)),
            "region": scope.region,
            "resources": self.resources,
            "detail": self.detail,
        })
    }
}

/// Why PutEvents refused one entry: its `ErrorCode` and `ErrorMessage`
/// in the result list (the call itself succeeds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    pub code: &'static str,
    pub message: String,
}

impl EntryError {
    fn invalid(parameter: &str, reason: &str) -> EntryError {
        EntryError {
            code: "InvalidArgument",
            message: format!("Parameter {parameter} is not valid. Reason: {reason}"),
        }
    }
}

/// One PutEvents entry as the request has it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Entry<'a> {
    pub source: Option<&'a str>,
    pub detail_type: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub resources: &'a [String],
    pub time_millis: Option<i64>,
}

impl Entry<'_> {
    /// Checks an entry a caller puts: it has a source (not one of AWS's
    /// own `aws.` sources), a detail type, and a detail that is a JSON
    /// object, all within AWS's size limit.
    pub fn check(&self) -> Result<Draft, EntryError> {
        let source = self
            .source
            .filter(|s| !s.is_empty())
            .ok_or_else(|| EntryError::invalid("Source", "Source is a required argument."))?;
        if source.starts_with("aws.") {
            return Err(EntryError {
                code: "NotAuthorizedForSourceException",
                message: "Not authorized for the source.".to_owned(),
            });
        }
        let detail_type = self.detail_type.filter(|s| !s.is_empty()).ok_or_else(|| {
            EntryError::invalid("DetailType", "DetailType is a required argument.")
        })?;
        let detail_text = self
            .detail
            .ok_or_else(|| EntryError::invalid("Detail", "Detail is a required argument."))?;
        let detail = match serde_json::from_str::<Value>(detail_text) {
            Ok(Value::Object(map)) => Value::Object(map),
            _ => {
                return Err(EntryError::invalid(
                    "Detail",
                    "Detail must be a JSON object.",
                ));
            }
        };
        let size = source.len()
            + detail_type.len()
            + detail_text.len()
            + self.resources.iter().map(String::len).sum::<usize>();
        if size > MAX_ENTRY_BYTES {
            return Err(EntryError {
                code: "InvalidArgument",
                message: format!(
                    "The entry is {size} bytes; at most {MAX_ENTRY_BYTES} are allowed."
                ),
            });
        }
        Ok(Draft {
            source: source.to_owned(),
            detail_type: detail_type.to_owned(),
            detail,
            resources: self.resources.to_vec(),
            time_millis: self.time_millis,
        })
    }
}

/// The fields TestEventPattern's `Event` must have (AWS refuses an event
/// without them).
const REQUIRED_FIELDS: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];

/// Reads TestEventPattern's `Event`: a JSON object with the envelope's
/// required fields.
pub fn parse_test_event(text: &str) -> Result<Value, Error> {
    let invalid = || Error::Validation("Parameter Event is not valid.".to_owned());
    let value: Value = serde_json::from_str(text).map_err(|_| invalid())?;
    let fields: &Map<String, Value> = value.as_object().ok_or_else(invalid)?;
    if REQUIRED_FIELDS.iter().all(|f| fields.contains_key(*f)) {
        Ok(value)
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(source: &'a str, detail: &'a str) -> Entry<'a> {
        Entry {
            source: Some(source),
            detail_type: Some("Order Placed"),
            detail: Some(detail),
            ..Entry::default()
        }
    }

    #[test]
    fn an_entry_needs_a_source_type_and_object_detail() {
        assert!(entry("shop", r#"{"id":1}"#).check().is_ok());
        let missing = Entry {
            detail_type: None,
            ..entry("shop", "{}")
        };
        assert_eq!(missing.check().map_err(|e| e.code), Err("InvalidArgument"));
        for detail in ["[1]", "not json", "\"text\""] {
            assert_eq!(
                entry("shop", detail).check().map_err(|e| e.code),
                Err("InvalidArgument"),
                "{detail}"
            );
        }
        assert_eq!(
            entry("aws.ec2", "{}").check().map_err(|e| e.code),
            Err("NotAuthorizedForSourceException")
        );
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_ENTRY_BYTES));
        assert_eq!(
            entry("shop", &big).check().map_err(|e| e.code),
            Err("InvalidArgument")
        );
    }

    #[test]
    fn the_envelope_has_aws_field_names() {
        let scope = Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        };
        let draft = entry("shop", r#"{"id":1}"#).check().expect("valid");
        let event = draft.envelope("e-1", &scope, 0);
        assert_eq!(event["detail-type"], "Order Placed");
        assert_eq!(event["time"], "1970-01-01T00:00:00Z");
        assert_eq!(event["detail"]["id"], 1);
        assert!(parse_test_event(&event.to_string()).is_ok());
        assert!(parse_test_event(r#"{"source":"x"}"#).is_err());
        assert!(parse_test_event("[]").is_err());
    }
}
