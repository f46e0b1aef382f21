//! The SSM parameters that steer the service, and what their values mean.

/// The DynamoDB table recommendations come from.
pub const TABLE: &str = "doc-example-resilient-architecture-table";
/// What `GET /` answers when the table cannot be read.
pub const FAILURE_RESPONSE: &str = "doc-example-resilient-architecture-failure-response";
/// How deep `GET /healthcheck` looks.
pub const HEALTH_CHECK: &str = "doc-example-resilient-architecture-health-check";

/// Every parameter the service reads.
pub const ALL: [&str; 3] = [TABLE, FAILURE_RESPONSE, HEALTH_CHECK];

/// `GET /`'s answer when the table cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureResponse {
    /// An error code (502).
    #[default]
    None,
    /// 200 with a fixed suggestion.
    Static,
}

/// What `GET /healthcheck` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HealthCheck {
    /// Nothing: the process answers, so it is healthy.
    #[default]
    Shallow,
    /// That the table can be read.
    Deep,
}

/// The service's settings, as the parameters held them when read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// `None` when the parameter is missing: every read fails then.
    pub table: Option<String>,
    pub failure_response: FailureResponse,
    pub health_check: HealthCheck,
}

impl Settings {
    /// Settings from the parameters' values by name. A missing or
    /// unknown value takes the safe default (`none`, `shallow`), as the
    /// scenario starts with them.
    pub fn from_values<'a>(value: impl Fn(&str) -> Option<&'a str>) -> Settings {
        let failure_response = match value(FAILURE_RESPONSE).map(str::trim) {
            Some("static") => FailureResponse::Static,
            _ => FailureResponse::None,
        };
        let health_check = match value(HEALTH_CHECK).map(str::trim) {
            Some("deep") => HealthCheck::Deep,
            _ => HealthCheck::Shallow,
        };
        Settings {
            table: value(TABLE)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            failure_response,
            health_check,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &'static str)]) -> Settings {
        let values: HashMap<String, &'static str> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        Settings::from_values(|name| values.get(name).copied())
    }

    #[test]
    fn values_choose_the_behaviour() {
        let s = settings(&[
            (TABLE, "recommendations"),
            (FAILURE_RESPONSE, "static"),
            (HEALTH_CHECK, "deep"),
        ]);
        assert_eq!(s.table.as_deref(), Some("recommendations"));
        assert_eq!(s.failure_response, FailureResponse::Static);
        assert_eq!(s.health_check, HealthCheck::Deep);
    }

    #[test]
    fn missing_or_unknown_values_take_the_safe_defaults() {
        assert_eq!(settings(&[]), Settings::default());
        let s = settings(&[
            (FAILURE_RESPONSE, "loud"),
            (HEALTH_CHECK, ""),
            (TABLE, "  "),
        ]);
        assert_eq!(s, Settings::default());
    }
}
