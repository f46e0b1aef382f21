//! Attributes of target groups and load balancers: the keys ALB knows,
//! their defaults and ranges. Each resource kind has a schema; an
//! [`Attributes`] value always holds every key of its schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Error, invalid};

/// How one attribute's value is checked.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// An integer in a range.
    Int(i64, i64),
    /// Zero (off) or an integer in a range.
    ZeroOr(i64, i64),
    /// `off` or an integer in a range.
    OffOr(i64, i64),
    /// `true` or `false`.
    Bool,
    /// One of a fixed set.
    OneOf(&'static [&'static str]),
    /// Any text up to a length.
    Text(usize),
}

/// One attribute: its key, its default, and how values are checked.
type Definition = (&'static str, &'static str, Rule);

/// The keys a kind of resource has.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// What the attributes belong to, for error messages.
    noun: &'static str,
    definitions: &'static [Definition],
}

/// Every attribute an ALB target group has, with its default.
pub const TARGET_GROUP: Schema = Schema {
    noun: "target group",
    definitions: TARGET_GROUP_DEFINITIONS,
};

/// Every attribute an application load balancer has, with its default.
pub const LOAD_BALANCER: Schema = Schema {
    noun: "load balancer",
    definitions: LOAD_BALANCER_DEFINITIONS,
};

const LOAD_BALANCER_DEFINITIONS: &[Definition] = &[
    ("idle_timeout.timeout_seconds", "60", Rule::Int(1, 4000)),
    ("deletion_protection.enabled", "false", Rule::Bool),
    ("routing.http2.enabled", "true", Rule::Bool),
    (
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.xff_header_processing.mode",
        "append",
        Rule::OneOf(&["append", "preserve", "remove"]),
    ),
    ("routing.http.xff_client_port.enabled", "false", Rule::Bool),
    (
        "routing.http.preserve_host_header.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.desync_mitigation_mode",
        "defensive",
        Rule::OneOf(&["monitor", "defensive", "strictest"]),
    ),
    ("access_logs.s3.enabled", "false", Rule::Bool),
    ("access_logs.s3.bucket", "", Rule::Text(255)),
    ("access_logs.s3.prefix", "", Rule::Text(1024)),
    ("load_balancing.cross_zone.enabled", "true", Rule::Bool),
    ("waf.fail_open.enabled", "false", Rule::Bool),
    ("client_keep_alive.seconds", "3600", Rule::Int(60, 604_800)),
];

const TARGET_GROUP_DEFINITIONS: &[Definition] = &[
    (
        "deregistration_delay.timeout_seconds",
        "300",
        Rule::Int(0, 3600),
    ),
    ("stickiness.enabled", "false", Rule::Bool),
    (
        "stickiness.type",
        "lb_cookie",
        Rule::OneOf(&["lb_cookie", "app_cookie"]),
    ),
    (
        "stickiness.lb_cookie.duration_seconds",
        "86400",
        Rule::Int(1, 604_800),
    ),
    ("stickiness.app_cookie.cookie_name", "", Rule::Text(1024)),
    (
        "stickiness.app_cookie.duration_seconds",
        "86400",
        Rule::Int(1, 604_800),
    ),
    ("slow_start.duration_seconds", "0", Rule::ZeroOr(30, 900)),
    (
        "load_balancing.algorithm.type",
        "round_robin",
        Rule::OneOf(&[
            "round_robin",
            "least_outstanding_requests",
            "weighted_random",
        ]),
    ),
    (
        "load_balancing.algorithm.anomaly_mitigation",
        "off",
        Rule::OneOf(&["on", "off"]),
    ),
    (
        "load_balancing.cross_zone.enabled",
        "use_load_balancer_configuration",
        Rule::OneOf(&["true", "false", "use_load_balancer_configuration"]),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 1_000_000),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
        Rule::OffOr(1, 100),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
        Rule::OffOr(1, 1_000_000),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
        Rule::OffOr(1, 100),
    ),
];

/// A resource's attributes, always holding every key of its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes(BTreeMap<String, String>);

impl Default for Attributes {
    /// A target group's defaults.
    fn default() -> Self {
        Attributes::defaults(TARGET_GROUP)
    }
}

impl Attributes {
    /// Every key of `schema` at its default.
    pub fn defaults(schema: Schema) -> Self {
        Attributes(
            schema
                .definitions
                .iter()
                .map(|(k, v, _)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// All attributes, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Applies a batch of target group attribute changes, all or nothing.
    pub fn modify<'a>(
        &self,
        changes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Attributes, Error> {
        let next = self.modify_in(TARGET_GROUP, changes)?;
        next.check_target_group_combination()?;
        Ok(next)
    }

    /// Applies a batch of changes under `schema`, all or nothing.
    pub fn modify_in<'a>(
        &self,
        schema: Schema,
        changes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Attributes, Error> {
        let mut next = self.clone();
        for (key, value) in changes {
            let Some((_, _, rule)) = schema.definitions.iter().find(|(k, _, _)| *k == key) else {
                return Err(invalid(format!(
                    "{} attribute key '{key}' is not recognized",
                    capitalized(schema.noun)
                )));
            };
            check(schema.noun, key, value, *rule)?;
            next.0.insert(key.to_owned(), value.to_owned());
        }
        Ok(next)
    }

    fn check_target_group_combination(&self) -> Result<(), Error> {
        let algorithm = self
            .get("load_balancing.algorithm.type")
            .unwrap_or("round_robin");
        let slow_start = self.get("slow_start.duration_seconds").unwrap_or("0");
        if algorithm == "least_outstanding_requests" && slow_start != "0" {
            return Err(invalid(
                "Slow start cannot be enabled with the least outstanding requests routing algorithm",
            ));
        }
        if algorithm != "weighted_random"
            && self.get("load_balancing.algorithm.anomaly_mitigation") == Some("on")
        {
            return Err(invalid(
                "Anomaly mitigation can only be enabled with the weighted random routing algorithm",
            ));
        }
        if self.get("stickiness.enabled") == Some("true")
            && self.get("stickiness.type") == Some("app_cookie")
            && self
                .get("stickiness.app_cookie.cookie_name")
                .unwrap_or("")
                .is_empty()
        {
            return Err(Error::InvalidConfigurationRequest(
                "You must set an application cookie name to enable stickiness of type 'app_cookie'"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// The deregistration delay in (AWS) seconds.
    pub fn deregistration_delay_seconds(&self) -> u64 {
        self.get("deregistration_delay.timeout_seconds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(300)
    }
}

fn capitalized(noun: &str) -> String {
    let mut chars = noun.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn check(noun: &str, key: &str, value: &str, rule: Rule) -> Result<(), Error> {
    let bad = || {
        invalid(format!(
            "'{value}' is not a valid value for {noun} attribute '{key}'"
        ))
    };
    let int_in = |lo: i64, hi: i64| -> Result<(), Error> {
        match value.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(()),
            _ => Err(bad()),
        }
    };
    match rule {
        Rule::Int(lo, hi) => int_in(lo, hi),
        Rule::ZeroOr(lo, hi) if value == "0" => int_in(lo.min(0), hi),
        Rule::ZeroOr(lo, hi) => int_in(lo, hi),
        Rule::OffOr(_, _) if value == "off" => Ok(()),
        Rule::OffOr(lo, hi) => int_in(lo, hi),
        Rule::Bool if value == "true" || value == "false" => Ok(()),
        Rule::Bool => Err(bad()),
        Rule::OneOf(allowed) if allowed.contains(&value) => Ok(()),
        Rule::OneOf(_) => Err(bad()),
        Rule::Text(max) if value.len() <= max => Ok(()),
        Rule::Text(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_every_key() {
        let a = Attributes::default();
        assert_eq!(a.get("deregistration_delay.timeout_seconds"), Some("300"));
        assert_eq!(a.iter().count(), TARGET_GROUP_DEFINITIONS.len());
    }

    #[test]
    fn load_balancer_schema() {
        let a = Attributes::defaults(LOAD_BALANCER);
        assert_eq!(a.get("idle_timeout.timeout_seconds"), Some("60"));
        assert!(
            a.modify_in(LOAD_BALANCER, [("idle_timeout.timeout_seconds", "4001")])
                .is_err()
        );
        assert!(
            a.modify_in(LOAD_BALANCER, [("idle_timeout.timeout_seconds", "5")])
                .is_ok()
        );
        assert!(
            a.modify_in(
                LOAD_BALANCER,
                [("deregistration_delay.timeout_seconds", "5")]
            )
            .is_err()
        );
    }

    #[test]
    fn ranges_and_unknown_keys() {
        let a = Attributes::default();
        assert!(
            a.modify([("deregistration_delay.timeout_seconds", "0")])
                .is_ok()
        );
        assert!(
            a.modify([("deregistration_delay.timeout_seconds", "3601")])
                .is_err()
        );
        assert!(a.modify([("slow_start.duration_seconds", "10")]).is_err());
        assert!(a.modify([("slow_start.duration_seconds", "30")]).is_ok());
        assert!(a.modify([("no.such.key", "1")]).is_err());
        assert!(a.modify([("stickiness.enabled", "yes")]).is_err());
    }

    #[test]
    fn slow_start_excludes_least_outstanding() {
        let a = Attributes::default();
        assert!(
            a.modify([
                ("slow_start.duration_seconds", "60"),
                (
                    "load_balancing.algorithm.type",
                    "least_outstanding_requests"
                ),
            ])
            .is_err()
        );
    }

    #[test]
    fn app_cookie_stickiness_needs_a_cookie_name() {
        let a = Attributes::default();
        let without = a.modify([
            ("stickiness.enabled", "true"),
            ("stickiness.type", "app_cookie"),
        ]);
        assert!(matches!(
            without,
            Err(Error::InvalidConfigurationRequest(_))
        ));
        let with = a.modify([
            ("stickiness.enabled", "true"),
            ("stickiness.type", "app_cookie"),
            ("stickiness.app_cookie.cookie_name", "session"),
        ]);
        assert!(with.is_ok());
    }

    #[test]
    fn modify_is_all_or_nothing() {
        let a = Attributes::default();
        let result = a.modify([
            ("deregistration_delay.timeout_seconds", "10"),
            ("stickiness.enabled", "maybe"),
        ]);
        assert!(result.is_err());
        assert_eq!(a.get("deregistration_delay.timeout_seconds"), Some("300"));
    }
}
