//! What every handler can reach: the store, the clock, ids, the scope.

use std::sync::Arc;

use ballast_core::address::{AddressBlock, InstanceAddresses};
use ballast_core::autoscaling::AutoScaling;
use ballast_core::dynamodb::Item;
use ballast_core::ec2::fleet::Fleet;
use ballast_core::lambda::invoke::Functions;
use ballast_core::ssm::automation::Automation;
use ballast_core::ssm::parameter::ParameterVersion;
use ballast_core::token::TokenKey;
use ballast_core::{Clock, Ids, Scope, TimeScale};
use ballast_store::{Memo, Store};
use ballast_wire::Timestamp;

use crate::auth::{Credentials, Principal};
use crate::data_plane::DataPlane;

/// Shared state of the API server.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    pub scope: Scope,
    pub credentials: Arc<Credentials>,
    pub time_scale: TimeScale,
    /// Target health and reconciliation of listeners.
    pub data_plane: Arc<dyn DataPlane>,
    /// Where load balancer addresses come from.
    pub lb_addresses: AddressBlock,
    /// Instance processes and their consoles.
    pub fleet: Arc<dyn Fleet>,
    /// Where instances' private addresses come from.
    pub instance_addresses: InstanceAddresses,
    /// Where public addresses (Elastic IPs, instances' automatic public
    /// addresses) come from (`--public-cidr`).
    pub public_addresses: AddressBlock,
    /// The Auto Scaling controller, told when groups change.
    pub autoscaling: Arc<dyn AutoScaling>,
    /// The Automation engine, told when executions start or are stopped.
    pub automation: Arc<dyn Automation>,
    /// Lambda functions' runtime, which runs invocations.
    pub functions: Arc<dyn Functions>,
    /// Wakes agents waiting for Run Command invocations.
    pub messages: Arc<crate::ec2messages::Mailbox>,
    /// Reads kept until the next write to the store.
    pub memos: Arc<Memos>,
    /// Signs the links GetFunction gives to functions' packages.
    pub link_key: Arc<TokenKey>,
}

/// Reads that are asked for far more often than what they read changes,
/// each kept until the next committed write ([`ballast_store::Memo`]).
#[derive(Debug, Default)]
pub struct Memos {
    /// DescribeTargetHealth's store inputs, by target group ARN.
    pub(crate) target_health: Memo<String, crate::elbv2::HealthInputs>,
    /// Every instance with what DescribeInstances shows beside it.
    pub(crate) instances: Memo<(), crate::ec2::Listing>,
    /// GetParameter's version, by the name asked for (with any `:version`
    /// or `:label`).
    pub(crate) parameters: Memo<String, Option<ParameterVersion>>,
    /// GetItem's item, by table name and the key as sent (items up to
    /// 4 KiB).
    pub(crate) items: Memo<(String, String), Option<Item>>,
}

impl ApiState {
    /// The current time as the API reports it.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_system_time(self.clock.now())
    }
}

/// Facts about one authenticated request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    /// The ARN of the identity that signed the request.
    pub principal_arn: String,
    /// The principal's user id, as GetCallerIdentity reports it.
    pub user_id: String,
    /// Who signed the request, for authorization.
    pub principal: Principal,
    /// Whether it was signed with GetSessionToken's credentials, which may
    /// not call IAM or most of STS.
    pub via_session_token: bool,
    /// Answer with the output as JSON in the model's member names
    /// whatever the protocol: set for the calls Automation makes
    /// (`crate::invoke`), which read outputs as boto3 shows them.
    pub json_output: bool,
    /// How the client addressed Ballast, for links back to it; `None` for
    /// calls made from inside Ballast.
    pub endpoint: Option<Endpoint>,
}

/// The address a client used to reach Ballast: its `Host` (or HTTP/2
/// authority) and whether it came over TLS. Kept as received, and made
/// into a URL only by the few answers that link back.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub authority: http::HeaderValue,
    pub https: bool,
}

impl Endpoint {
    /// `http://127.0.0.1:4566`; `None` when the authority is not text.
    pub fn url(&self) -> Option<String> {
        let authority = self.authority.to_str().ok()?;
        let scheme = if self.https { "https" } else { "http" };
        Some(format!("{scheme}://{authority}"))
    }
}
