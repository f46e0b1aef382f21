//! The one error type every handler returns, and the common AWS errors.
//!
//! An [`ApiError`] carries what every protocol's envelope needs: the short
//! error code from the service model (`ParameterNotFound`,
//! `TargetGroupNotFound`), a message, the HTTP status, and whether the fault
//! is the caller's. [`crate::response::encode_error`] writes it in the
//! protocol's exact envelope.

use std::borrow::Cow;

use http::StatusCode;

/// Who caused an error; awsQuery writes it as `<Type>Sender|Receiver</Type>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Sender,
    Receiver,
}

/// An error as AWS reports it on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: Cow<'static, str>,
    pub message: String,
    pub status: StatusCode,
    pub fault: Fault,
    /// Members a JSON error carries besides `__type` and `message`
    /// (DynamoDB's `CancellationReasons`, a failed condition's `Item`).
    /// Query protocols have no place for them and ignore them.
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl ApiError {
    /// A client error (HTTP 400) with the given model code.
    pub fn sender(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            status: StatusCode::BAD_REQUEST,
            fault: Fault::Sender,
            extra: None,
        }
    }

    /// Overrides the HTTP status (e.g. IAM's 404 `NoSuchEntity`).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        if status.is_server_error() {
            self.fault = Fault::Receiver;
        }
        self
    }

    /// Adds members to a JSON error body.
    pub fn with_extra(mut self, extra: serde_json::Map<String, serde_json::Value>) -> Self {
        self.extra = Some(Box::new(extra));
        self
    }

    /// An unexpected server-side failure. Protocol-specific code names are
    /// chosen by [`ApiError::internal_for`].
    pub fn internal(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::sender(code, message).with_status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The internal error in the spelling of the given protocol family:
    /// `InternalServerError` for JSON services, `InternalFailure` for query.
    pub fn internal_for(protocol: crate::Protocol, message: impl Into<String>) -> Self {
        let code = if protocol.is_json() {
            "InternalServerError"
        } else {
            "InternalFailure"
        };
        ApiError::internal(code, message)
    }

    /// The internal error in the given service's own spelling
    /// ([`crate::Service::internal_error_code`]).
    pub fn internal_for_service(service: crate::Service, message: impl Into<String>) -> Self {
        ApiError::internal(service.internal_error_code(), message)
    }

    /// The request names an operation this service does not have.
    pub fn unknown_operation(protocol: crate::Protocol, operation: &str) -> Self {
        if protocol.is_json() {
            ApiError::sender(
                "UnknownOperationException",
                format!("Unknown operation {operation}"),
            )
        } else {
            ApiError::sender(
                "InvalidAction",
                format!("The action {operation} is not valid for this web service."),
            )
        }
    }

    /// AWS's "1 validation error detected" message for one member.
    pub fn validation(
        service: crate::Service,
        member: &str,
        value: impl std::fmt::Display,
        constraint: &str,
    ) -> Self {
        ApiError::invalid(
            service,
            &[Violation {
                at: lower_first(member),
                value: Shown::Value(value.to_string()),
                constraint: constraint.to_owned(),
            }],
        )
    }

    /// A required member is absent; `member` is its path from the top of
    /// the request (`Tags.1.member.Key`). EC2 has its own code and wording,
    /// and names the parameter as its form does (`TagSpecification.1.Key`).
    pub fn missing(service: crate::Service, member: &str) -> Self {
        if service.protocol() == crate::Protocol::Ec2Query {
            return ApiError::sender(
                "MissingParameter",
                format!(
                    "The request must contain the parameter {}",
                    member.replace(".member", "")
                ),
            );
        }
        let at: Vec<String> = member.split('.').map(lower_first).collect();
        ApiError::invalid(
            service,
            &[Violation {
                at: at.join("."),
                value: Shown::Null,
                constraint: "Member must not be null".to_owned(),
            }],
        )
    }

    /// The service's validation error for every constraint a request broke,
    /// worded as AWS words them: "1 validation error detected: Value 'x' at
    /// 'name' failed to satisfy constraint: …", or "N validation errors
    /// detected: …; …". Every model-level validation message is written here.
    pub fn invalid(service: crate::Service, violations: &[Violation]) -> Self {
        ApiError::sender(
            service.validation_error_code(),
            Violation::summary(violations),
        )
    }
}

/// How a validation message shows the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// The member is absent: `Value null at 'name'`.
    Null,
    /// The member is sensitive in the model, so AWS leaves the value out:
    /// `Value at 'value'`.
    Hidden,
    /// `Value 'x' at 'name'`, the value as Java's `toString` shows it.
    Value(String),
}

/// One constraint a request broke: where (`name`, `parameterFilters.1.member.key`),
/// the value, and the constraint's wording (`Member must have length less
/// than or equal to 2048`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: String,
    pub value: Shown,
    pub constraint: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Shown::Null => f.write_str("Value null")?,
            Shown::Hidden => f.write_str("Value")?,
            Shown::Value(v) => write!(f, "Value '{v}'")?,
        }
        write!(
            f,
            " at '{}' failed to satisfy constraint: {}",
            self.at, self.constraint
        )
    }
}

impl Violation {
    /// The message for a whole request's violations.
    pub fn summary(violations: &[Violation]) -> String {
        let each: Vec<String> = violations.iter().map(Violation::to_string).collect();
        match each.len() {
            1 => format!("1 validation error detected: {}", each[0]),
            n => format!("{n} validation errors detected: {}", each.join("; ")),
        }
    }
}

/// AWS validation messages name members in lowerCamel case.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
