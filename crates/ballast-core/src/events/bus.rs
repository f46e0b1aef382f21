//! Event buses: `default`, which every account has, and the custom buses
//! CreateEventBus makes.

use serde::{Deserialize, Serialize};

use super::Error;
use crate::Scope;

/// The bus every account has, where AWS services put their events and
/// where a request without `EventBusName` goes.
pub const DEFAULT: &str = "default";

/// A custom event bus (the default bus has no record: it always exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBus {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub created_millis: i64,
}

impl EventBus {
    /// A new custom bus named `name`, which must not be `default` or in the
    /// `aws.` namespace partner sources use.
    pub fn new(
        name: &str,
        description: Option<String>,
        now_millis: i64,
    ) -> Result<EventBus, Error> {
        if name == DEFAULT {
            return Err(Error::AlreadyExists(format!(
                "Event bus {DEFAULT} already exists."
            )));
        }
        if name.starts_with("aws.") {
            return Err(Error::Validation(format!(
                "Event bus name {name} is reserved: names that start with aws. belong to partner event sources."
            )));
        }
        Ok(EventBus {
            name: name.to_owned(),
            description,
            created_millis: now_millis,
        })
    }
}

/// The bus a request names: `EventBusName` is a name or a bus ARN, and
/// absent means the default bus.
pub fn bus_name(name_or_arn: Option<&str>) -> String {
    match name_or_arn {
        None | Some("") => DEFAULT.to_owned(),
        Some(text) => match text.strip_prefix("arn:") {
            Some(_) => text
                .split_once(":event-bus/")
                .map_or(text, |(_, name)| name)
                .to_owned(),
            None => text.to_owned(),
        },
    }
}

/// `arn:aws:events:REGION:ACCOUNT:event-bus/NAME`.
pub fn arn(scope: &Scope, name: &str) -> String {
    format!(
        "arn:aws:events:{}:{}:event-bus/{name}",
        scope.region, scope.account
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bus_is_named_by_name_arn_or_nothing() {
        assert_eq!(bus_name(None), "default");
        assert_eq!(bus_name(Some("orders")), "orders");
        assert_eq!(
            bus_name(Some(
                "arn:aws:events:us-east-1:000000000000:event-bus/orders"
            )),
            "orders"
        );
    }

    #[test]
    fn default_and_aws_names_are_not_for_custom_buses() {
        assert!(matches!(
            EventBus::new("default", None, 0),
            Err(Error::AlreadyExists(_))
        ));
        assert!(matches!(
            EventBus::new("aws.partner/x", None, 0),
            Err(Error::Validation(_))
        ));
        assert_eq!(
            EventBus::new("orders", None, 7).map(|b| b.created_millis),
            Ok(7)
        );
    }
}
