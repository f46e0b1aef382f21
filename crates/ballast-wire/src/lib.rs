//! AWS wire protocols for Ballast.
//!
//! This crate turns HTTP requests in any of the protocols the AWS SDKs speak
//! (awsQuery, ec2Query, awsJson 1.0 and 1.1; restJson1's routing and member
//! bindings in [`rest`]) into a protocol-neutral
//! [`ApiRequest`] that decodes into typed operation inputs, and turns typed
//! outputs and [`ApiError`]s back into bytes in the exact envelope each client
//! parses. Handlers above this layer never see XML, form encoding or JSON
//! framing.
//!
//! It also verifies SigV4 signatures ([`sigv4`]). It holds no state and does
//! no I/O, which keeps it easy to fuzz (see `fuzz/`).

pub mod agent;
pub mod error;
pub mod query;
pub mod request;
pub mod response;
pub mod rest;
pub mod service;
pub mod sigv4;
pub mod timestamp;
pub mod xml;

pub use error::{ApiError, Fault, Shown, Violation};
pub use request::{ApiRequest, Params, RequestHead, identify};
pub use response::{WireResponse, encode_error, encode_output};
pub use service::{Protocol, Service};
pub use timestamp::Timestamp;

/// Largest request body Ballast accepts, in bytes. DynamoDB's BatchWriteItem
/// caps a request at 16 MB, the largest of the services Ballast speaks.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
