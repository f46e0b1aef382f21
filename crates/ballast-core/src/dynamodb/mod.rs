//! DynamoDB rules: attribute values with DynamoDB's number semantics
//! ([`number`], [`value`]), key schemas and the order-preserving key
//! encoding the store sorts by ([`key`]), tables and indexes ([`table`]),
//! the expression language ([`expr`]), PartiQL statements ([`partiql`]),
//! Time to Live ([`ttl`]) and table
//! tags ([`tags`]).
//!
//! Everything here is pure: the API decodes a request, calls in here to
//! validate it and to compute the item a write produces, and the store
//! keeps the result.

pub mod expr;
pub mod key;
pub mod number;
pub mod partiql;
pub mod table;
pub mod tags;
pub mod ttl;
pub mod value;

pub use key::{EncodedKey, KeyDef, ScalarType};
pub use number::Number;
pub use table::Table;
pub use value::{AttributeValue, Item};

/// The largest item DynamoDB stores (400 KB).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// The most data one Query or Scan page reads (1 MB).
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// One entry of a `TransactionCanceledException`'s `CancellationReasons`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancellationReason {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

impl CancellationReason {
    /// The reason of an action that did not fail.
    pub fn none() -> Self {
        CancellationReason {
            code: "None".to_owned(),
            message: None,
            item: None,
        }
    }
}

/// Why a DynamoDB request was refused. Each variant is one of the
/// service's modelled errors; messages are DynamoDB's where clients match
/// on them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    LimitExceeded(String),
    /// A condition was false; `item` is the old item when the request
    /// asked for it with `ReturnValuesOnConditionCheckFailure`.
    #[error("The conditional request failed")]
    ConditionalCheckFailed { item: Option<Item> },
    /// A PartiQL INSERT of a key that is taken.
    #[error("Duplicate primary key exists in table")]
    DuplicateItem,
    #[error("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", .reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", "))]
    TransactionCanceled { reasons: Vec<CancellationReason> },
}

impl Error {
    pub fn validation(message: impl Into<String>) -> Self {
        Error::Validation(message.into())
    }

    /// The error item operations give for a table that does not exist or
    /// is not ACTIVE.
    pub fn table_not_found() -> Self {
        Error::ResourceNotFound("Requested resource not found".to_owned())
    }
}
