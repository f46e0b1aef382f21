//! Ballast's pure core.
//!
//! Resource types, ids and ARNs, the validation rules and state transitions
//! of every service, and the injected [`Clock`]. Nothing here touches a
//! socket, a file or the system clock, so every rule is unit-tested with
//! plain values; the API layer calls in here between decoding a request and
//! writing the store.

pub mod address;
pub mod arn;
pub mod autoscaling;
pub mod catalogue;
pub mod clock;
pub mod cron;
pub mod dynamodb;
pub mod ec2;
pub mod elbv2;
pub mod events;
pub mod iam;
pub mod ids;
pub mod json_path;
pub mod lambda;
pub mod network;
pub mod paging;
pub mod ssh;
pub mod ssm;
pub mod sts;
pub mod tags;
pub mod token;

pub use arn::Arn;
pub use clock::{
    Clock, ManualClock, SystemClock, TimeScale, epoch_millis, iso8601, iso8601_millis,
};
pub use ids::Ids;

/// The account every local resource belongs to. Twelve zeros is the
/// convention local AWS tools share, so ARNs copied between them line up.
pub const ACCOUNT_ID: &str = "000000000000";

/// The region and account a Ballast process serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub region: String,
    pub account: String,
}

impl Scope {
    pub fn new(region: impl Into<String>) -> Self {
        Scope {
            region: region.into(),
            account: ACCOUNT_ID.to_owned(),
        }
    }

    /// The ARN of the account's root user.
    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account)
    }
}
