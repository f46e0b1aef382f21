//! The error type every handler returns, generic over the service's rules.

use ballast_store::StoreError;
use ballast_wire::ApiError;

/// A service's rule violations know their code in the AWS model.
pub(crate) trait ErrorCode: std::error::Error {
    /// The service whose rules these are: it spells internal failures.
    const SERVICE: ballast_wire::Service;

    /// The model's error shape for this rule; `None` for the protocol's
    /// validation error, which is no shape in the model. Services whose
    /// rules are all modelled (IAM, ELBv2, SSM, DynamoDB) name the shape
    /// and take their code and status from it.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        None
    }

    /// The short error code (`ParameterNotFound`, `ValidationError`).
    fn code(&self) -> &'static str {
        self.shape()
            .map_or(Self::SERVICE.validation_error_code(), |shape| shape.code)
    }

    /// How this service spells an internal failure.
    fn internal_code() -> &'static str {
        Self::SERVICE.internal_error_code()
    }

    /// The HTTP status of this rule violation: the shape's, else 400
    /// unless the service says otherwise (EC2's `DryRunOperation` is 412).
    fn status(&self) -> http::StatusCode {
        self.shape()
            .and_then(|shape| http::StatusCode::from_u16(shape.status).ok())
            .unwrap_or(http::StatusCode::BAD_REQUEST)
    }

    /// Members the JSON error body carries besides `__type` and `message`
    /// (DynamoDB's `CancellationReasons`).
    fn extra(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        None
    }
}

/// A failure inside a handler: one of the service's rules said no, or the
/// store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HandlerError<R> {
    #[error(transparent)]
    Rule(R),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every service's rule violation is a handler error of that service
/// (`?` on a core `Result` in a handler).
impl<R: ErrorCode> From<R> for HandlerError<R> {
    fn from(rule: R) -> Self {
        HandlerError::Rule(rule)
    }
}

impl<R: ErrorCode> From<HandlerError<R>> for ApiError {
    fn from(error: HandlerError<R>) -> Self {
        match error {
            HandlerError::Rule(rule) => {
                let status = rule.status();
                let error = ApiError::sender(rule.code(), rule.to_string()).with_status(status);
                match rule.extra() {
                    Some(extra) => error.with_extra(extra),
                    None => error,
                }
            }
            HandlerError::Store(store) => ApiError::internal(R::internal_code(), store.to_string()),
        }
    }
}
