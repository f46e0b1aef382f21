//! Ballast's AWS API.
//!
//! [`server`] is the single HTTP endpoint every service shares: it bounds
//! the body, identifies the service and operation (`ballast-wire`), verifies
//! the SigV4 signature ([`auth`]), and hands the request to the service's
//! module. Each service module has an `Operation` enum (its router), typed
//! `model`s named as in the AWS model, and one module per resource family
//! whose handlers follow one shape: decode → validate (`ballast-core`) →
//! transition → store (`ballast-store`) → encode.

pub mod auth;
mod authorize;
pub mod autoscaling;
pub mod data_plane;
mod dispatch;
pub mod dynamodb;
pub mod ec2;
pub mod ec2messages;
pub mod elbv2;
mod error;
pub mod events;
pub mod iam;
pub mod invoke;
pub mod lambda;
pub mod server;
pub mod ssm;
mod state;
pub mod sts;
mod tags;

pub use data_plane::{DataPlane, NoDataPlane};
pub use invoke::Invoker;
pub use lambda::code_link::Https;
pub use server::router;
pub use state::{ApiState, Endpoint, RequestContext};
