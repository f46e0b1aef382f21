//! EventBridge: event buses, the rules on them with their targets, the
//! events PutEvents accepts, and the patterns rules match events with.
//!
//! Names follow AWS: a bus is named (`default` always exists), a rule is
//! named within its bus, a target by its id within its rule. Requests may
//! name a bus by name or by ARN ([`bus::bus_name`]).

pub mod bus;
pub mod delivery;
pub mod event;
pub mod pattern;
pub mod rule;

pub use bus::EventBus;
pub use rule::{Rule, Target};

/// Why EventBridge refuses a request, one arm per error code it answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `ResourceNotFoundException`: a bus or rule that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// `ResourceAlreadyExistsException`.
    #[error("{0}")]
    AlreadyExists(String),
    /// `InvalidEventPatternException`.
    #[error("{0}")]
    InvalidEventPattern(String),
    /// `LimitExceededException`: more targets than a rule may have.
    #[error("{0}")]
    LimitExceeded(String),
}

impl Error {
    /// A rule that is not on the bus.
    pub fn rule_not_found(rule: &str, bus: &str) -> Error {
        Error::NotFound(format!("Rule {rule} does not exist on EventBus {bus}."))
    }

    /// A bus that does not exist.
    pub fn bus_not_found(bus: &str) -> Error {
        Error::NotFound(format!("Event bus {bus} does not exist."))
    }
}
