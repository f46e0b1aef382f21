//! Instances: their record, their lifecycle state machine and the facts
//! Describe and the metadata service show about them.
//!
//! The API moves an instance into the states a caller can ask for
//! (`stopping`, `shutting-down`, a new boot of a `running` instance); the
//! fleet moves it on once the processes really started or really ended
//! (`pending` → `running`, `stopping` → `stopped`, `shutting-down` →
//! `terminated`). Both sides call in here, so the rules live in one place.

use std::net::Ipv4Addr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Error;

/// How long a terminated instance stays visible, in AWS time.
pub const TERMINATED_VISIBLE_FOR: Duration = Duration::from_secs(60 * 60);

/// The shortest time an instance spends `pending`, in AWS time, so that
/// callers see the state a real launch passes through.
pub const PENDING_AT_LEAST: Duration = Duration::from_secs(5);

/// How long a running instance's status checks report `initializing`, in
/// AWS time.
pub const STATUS_INITIALIZING_FOR: Duration = Duration::from_secs(30);

/// How long stop and terminate wait after SIGTERM before SIGKILL, in AWS
/// time (a real instance's operating system gets a similar grace to shut
/// its services down).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Largest user data RunInstances accepts: 16 KB once decoded.
pub const MAX_USER_DATA_BYTES: usize = 16 * 1024;

/// The six states of an instance, with EC2's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    /// Every state, in code order.
    pub const ALL: [InstanceState; 6] = [
        InstanceState::Pending,
        InstanceState::Running,
        InstanceState::ShuttingDown,
        InstanceState::Terminated,
        InstanceState::Stopping,
        InstanceState::Stopped,
    ];

    /// The low byte of EC2's state code.
    pub fn code(self) -> i32 {
        match self {
            InstanceState::Pending => 0,
            InstanceState::Running => 16,
            InstanceState::ShuttingDown => 32,
            InstanceState::Terminated => 48,
            InstanceState::Stopping => 64,
            InstanceState::Stopped => 80,
        }
    }

    /// The state's name (`shutting-down`, …).
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }

    /// Whether the instance's processes should be alive in this state.
    pub fn is_up(self) -> bool {
        matches!(self, InstanceState::Pending | InstanceState::Running)
    }
}

/// Why the instance is in its state (`StateReason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateReason {
    pub code: String,
    pub message: String,
}

impl StateReason {
    fn new(code: &str, message: &str) -> Self {
        StateReason {
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// A security group the instance is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

/// The instance's association with an instance profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAssociation {
    /// `iip-assoc-…`.
    pub id: String,
    pub profile_arn: String,
    pub profile_id: String,
    pub since_millis: i64,
}

/// `MetadataOptions`: how the instance metadata service answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataOptions {
    /// `required` refuses IMDSv1 requests (no session token).
    pub http_tokens: String,
    pub http_put_response_hop_limit: i32,
    /// `disabled` turns the metadata service off for the instance.
    pub http_endpoint: String,
    pub instance_metadata_tags: String,
}

impl Default for MetadataOptions {
    /// EC2's defaults for an image without `ImdsSupport`: v1 and v2 both
    /// answered.
    fn default() -> Self {
        MetadataOptions {
            http_tokens: "optional".to_owned(),
            http_put_response_hop_limit: 1,
            http_endpoint: "enabled".to_owned(),
            instance_metadata_tags: "disabled".to_owned(),
        }
    }
}

impl MetadataOptions {
    /// Whether IMDSv1 (requests without a session token) is refused.
    pub fn tokens_required(&self) -> bool {
        self.http_tokens == "required"
    }

    /// Whether the metadata service answers at all.
    pub fn enabled(&self) -> bool {
        self.http_endpoint != "disabled"
    }

    /// Applies the members a request set, checking their values.
    pub fn apply(&mut self, change: MetadataChange) -> Result<(), Error> {
        if let Some(tokens) = change.http_tokens {
            one_of("HttpTokens", &tokens, &["optional", "required"])?;
            self.http_tokens = tokens;
        }
        if let Some(limit) = change.http_put_response_hop_limit {
            if !(1..=64).contains(&limit) {
                return Err(Error::InvalidParameterValue(format!(
                    "The HttpPutResponseHopLimit '{limit}' is invalid. Specify a value between 1 and 64."
                )));
            }
            self.http_put_response_hop_limit = limit;
        }
        if let Some(endpoint) = change.http_endpoint {
            one_of("HttpEndpoint", &endpoint, &["enabled", "disabled"])?;
            self.http_endpoint = endpoint;
        }
        if let Some(tags) = change.instance_metadata_tags {
            one_of("InstanceMetadataTags", &tags, &["enabled", "disabled"])?;
            self.instance_metadata_tags = tags;
        }
        Ok(())
    }
}

/// The metadata option members of a RunInstances or
/// ModifyInstanceMetadataOptions request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataChange {
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i32>,
    pub http_endpoint: Option<String>,
    pub instance_metadata_tags: Option<String>,
}

fn one_of(parameter: &str, value: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidParameterValue(format!(
            "Invalid value '{value}' for {parameter}. Valid values: {}",
            allowed.join(", ")
        )))
    }
}

/// An instance as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub reservation_id: String,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub zone: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub private_ip: Ipv4Addr,
    pub security_groups: Vec<GroupRef>,
    pub state: InstanceState,
    /// When the current state began.
    pub state_since_millis: i64,
    /// `StateTransitionReason`: empty, or why the last user-visible
    /// transition happened.
    pub transition_reason: String,
    pub state_reason: Option<StateReason>,
    /// `LaunchTime`: the last time the instance entered `pending`.
    pub launch_millis: i64,
    pub ami_launch_index: i32,
    pub client_token: Option<String>,
    /// The user data, base64-encoded as given.
    pub user_data: Option<String>,
    pub profile: Option<ProfileAssociation>,
    pub metadata: MetadataOptions,
    /// Counts boots the API asked for (launch, start, reboot). The fleet
    /// boots again whenever this is ahead of the boot it last ran.
    pub boot_generation: u64,
    /// `stop` or `terminate`: what a shutdown from inside does.
    pub shutdown_behavior: String,
    pub disable_api_termination: bool,
    /// The launch template the instance came from, as `(id, version)`.
    pub launch_template: Option<(String, String)>,
    /// The instance's operating system is gone while it runs (a sandbox
    /// whose init died): its status checks fail until its next boot.
    #[serde(default)]
    pub impaired: bool,
    /// StopInstances is refused while this is set (`disableApiStop`).
    #[serde(default)]
    pub disable_api_stop: bool,
    /// Attributes kept and shown as set (ModifyInstanceAttribute); they
    /// change nothing on one machine.
    #[serde(default)]
    pub ebs_optimized: bool,
    #[serde(default = "enabled")]
    pub source_dest_check: bool,
    #[serde(default = "enabled")]
    pub ena_support: bool,
    /// Detailed monitoring (RunInstances' `Monitoring`, Monitor- and
    /// UnmonitorInstances): kept and shown; with no CloudWatch, nothing is
    /// published either way.
    #[serde(default)]
    pub monitoring: bool,
}

/// The default of the attributes that start enabled.
fn enabled() -> bool {
    true
}

/// What a Start/Stop/Terminate call did to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    pub previous: InstanceState,
    pub current: InstanceState,
}

/// An instance's ARN, as events and policies name it.
pub fn instance_arn(scope: &crate::Scope, instance_id: &str) -> String {
    format!(
        "arn:aws:ec2:{}:{}:instance/{instance_id}",
        scope.region, scope.account
    )
}

impl Instance {
    /// The `EC2 Instance State-change Notification` EC2 sends to
    /// EventBridge's default bus when the instance enters its current
    /// state.
    pub fn state_change_event(&self, event_id: &str, scope: &crate::Scope) -> serde_json::Value {
        serde_json::json!({
            "version": "0",
            "id": event_id,
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": scope.account,
            "time": crate::iso8601(self.state_since_millis),
            "region": scope.region,
            "resources": [instance_arn(scope, &self.id)],
            "detail": {
                "instance-id": self.id,
                "state": self.state.name(),
            },
        })
    }

    /// The state and how long the instance has been in it.
    fn enter(&mut self, state: InstanceState, now_millis: i64) -> StateChange {
        let previous = self.state;
        if previous != state {
            self.state = state;
            self.state_since_millis = now_millis;
        }
        StateChange {
            previous,
            current: state,
        }
    }

    fn incorrect_state(&self, verb: &str) -> Error {
        Error::IncorrectInstanceState(format!(
            "The instance '{}' is not in a state from which it can be {verb}.",
            self.id
        ))
    }

    /// StopInstances: `pending`/`running` → `stopping`; already stopping or
    /// stopped is no change.
    pub fn stop(&mut self, now_millis: i64, reason_time: &str) -> Result<StateChange, Error> {
        use InstanceState::*;
        if self.disable_api_stop {
            return Err(Error::OperationNotPermitted(format!(
                "The instance '{}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.",
                self.id
            )));
        }
        match self.state {
            Pending | Running => {
                self.transition_reason = format!("User initiated ({reason_time})");
                self.state_reason = Some(StateReason::new(
                    "Client.UserInitiatedShutdown",
                    "Client.UserInitiatedShutdown: User initiated shutdown",
                ));
                Ok(self.enter(Stopping, now_millis))
            }
            Stopping | Stopped => Ok(self.enter(self.state, now_millis)),
            ShuttingDown | Terminated => Err(self.incorrect_state("stopped")),
        }
    }

    /// StartInstances: `stopped` → `pending` (a new boot); pending or
    /// running is no change.
    pub fn start(&mut self, now_millis: i64) -> Result<StateChange, Error> {
        use InstanceState::*;
        match self.state {
            Stopped => {
                self.transition_reason.clear();
                self.state_reason = None;
                self.launch_millis = now_millis;
                self.boot_generation += 1;
                self.impaired = false;
                Ok(self.enter(Pending, now_millis))
            }
            Pending | Running => Ok(self.enter(self.state, now_millis)),
            Stopping | ShuttingDown | Terminated => Err(self.incorrect_state("started")),
        }
    }

    /// TerminateInstances: anything not yet ending → `shutting-down`.
    pub fn terminate(&mut self, now_millis: i64, reason_time: &str) -> Result<StateChange, Error> {
        use InstanceState::*;
        if self.disable_api_termination {
            return Err(Error::OperationNotPermitted(format!(
                "The instance '{}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.",
                self.id
            )));
        }
        match self.state {
            ShuttingDown | Terminated => Ok(self.enter(self.state, now_millis)),
            Pending | Running | Stopping | Stopped => {
                self.transition_reason = format!("User initiated ({reason_time})");
                self.state_reason = Some(StateReason::new(
                    "Client.UserInitiatedShutdown",
                    "Client.UserInitiatedShutdown: User initiated shutdown",
                ));
                Ok(self.enter(ShuttingDown, now_millis))
            }
        }
    }

    /// RebootInstances: a running instance boots again; its state does not
    /// change.
    pub fn reboot(&mut self) -> Result<(), Error> {
        match self.state {
            InstanceState::Pending | InstanceState::Running => {
                self.boot_generation += 1;
                self.impaired = false;
                Ok(())
            }
            _ => Err(self.incorrect_state("rebooted")),
        }
    }

    /// The fleet booted the instance: `pending` → `running`, once it has
    /// been pending for at least `pending_at_least` (scaled).
    pub fn booted(&mut self, now_millis: i64, pending_at_least: Duration) -> bool {
        let waited = now_millis.saturating_sub(self.state_since_millis);
        if self.state == InstanceState::Pending && waited >= millis(pending_at_least) {
            self.enter(InstanceState::Running, now_millis);
            true
        } else {
            false
        }
    }

    /// The fleet saw every process of the instance end: `stopping` →
    /// `stopped`, `shutting-down` → `terminated`.
    pub fn halted(&mut self, now_millis: i64) -> bool {
        let next = match self.state {
            InstanceState::Stopping => InstanceState::Stopped,
            InstanceState::ShuttingDown => InstanceState::Terminated,
            _ => return false,
        };
        self.enter(next, now_millis);
        true
    }

    /// Whether a terminated instance has been visible long enough to go.
    pub fn expired(&self, now_millis: i64, visible_for: Duration) -> bool {
        self.state == InstanceState::Terminated
            && now_millis.saturating_sub(self.state_since_millis) >= millis(visible_for)
    }

    /// The status checks' summary: `initializing` for a while after a
    /// boot, then `ok`, or `impaired` once its operating system is gone;
    /// `not-applicable` when the instance is not running.
    pub fn status(&self, now_millis: i64, initializing_for: Duration) -> &'static str {
        match self.state {
            InstanceState::Running if self.impaired => "impaired",
            InstanceState::Running => {
                if now_millis.saturating_sub(self.state_since_millis) < millis(initializing_for) {
                    "initializing"
                } else {
                    "ok"
                }
            }
            InstanceState::Pending => "initializing",
            _ => "not-applicable",
        }
    }

    /// `ip-127-101-0-1.ec2.internal`: the private DNS name, as AWS builds
    /// it from the address (`.ec2.internal` in us-east-1,
    /// `.REGION.compute.internal` elsewhere).
    pub fn private_dns_name(&self, region: &str) -> String {
        private_dns_name(self.private_ip, region)
    }

    /// A stable MAC address derived from the instance id, locally
    /// administered (`02:` first byte) like every MAC EC2 hands out: the
    /// id's last ten hex digits in order, so `i-…789abcdef0` has
    /// `02:78:9a:bc:de:f0`. The metadata service and every Describe call
    /// show this one address.
    pub fn mac(&self) -> String {
        let digits = self.id.trim_start_matches("i-").as_bytes();
        let tail = &digits[digits.len().saturating_sub(10)..];
        let mut octets = vec!["02".to_owned()];
        for pair in tail.rchunks(2).rev() {
            octets.push(format!("{:0>2}", String::from_utf8_lossy(pair)));
        }
        while octets.len() < 6 {
            octets.insert(1, "00".to_owned());
        }
        octets.join(":")
    }
}

/// The private DNS name of an address in a region.
pub fn private_dns_name(address: Ipv4Addr, region: &str) -> String {
    // EC2 spells the address with dashes: ip-10-0-1-5.
    let [a, b, c, d] = address.octets();
    if region == "us-east-1" {
        format!("ip-{a}-{b}-{c}-{d}.ec2.internal")
    } else {
        format!("ip-{a}-{b}-{c}-{d}.{region}.compute.internal")
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Checks an instance type's shape (`family.size`, lowercase). Ballast
/// runs every type the same way; the type is shown, not enforced.
pub fn validate_instance_type(instance_type: &str) -> Result<(), Error> {
    let valid = instance_type.split_once('.').is_some_and(|(family, size)| {
        !family.is_empty()
            && !size.is_empty()
            && instance_type
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    });
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidParameterValue(format!(
            "Invalid value '{instance_type}' for InstanceType."
        )))
    }
}

/// Decodes base64 user data and checks its size, for RunInstances and
/// launch templates alike.
pub fn decode_user_data(encoded: &str) -> Result<Vec<u8>, Error> {
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| {
            Error::UserDataMalformed("Invalid BASE64 encoding of user data.".to_owned())
        })?;
    if decoded.len() > MAX_USER_DATA_BYTES {
        return Err(Error::UserDataMalformed(format!(
            "User data is limited to {MAX_USER_DATA_BYTES} bytes."
        )));
    }
    Ok(decoded)
}

/// Checks `MinCount`/`MaxCount` and returns them.
pub fn counts(min: Option<i32>, max: Option<i32>) -> Result<(u32, u32), Error> {
    let min = min.ok_or_else(|| Error::MissingParameter("MinCount".to_owned()))?;
    let max = max.ok_or_else(|| Error::MissingParameter("MaxCount".to_owned()))?;
    if min < 1 {
        return Err(Error::InvalidParameterValue(format!(
            "Value ({min}) for parameter minCount is invalid. Expected a positive integer."
        )));
    }
    if max < 1 {
        return Err(Error::InvalidParameterValue(format!(
            "Value ({max}) for parameter maxCount is invalid. Expected a positive integer."
        )));
    }
    if min > max {
        return Err(Error::InvalidParameterValue(
            "Value for parameter minCount must be less than or equal to maxCount".to_owned(),
        ));
    }
    Ok((min.unsigned_abs(), max.unsigned_abs()))
}

impl Instance {
    /// The values of a DescribeInstances filter that the instance alone
    /// answers (`address::Described` adds what needs its region and public
    /// address, and lists the filter names).
    pub(crate) fn filter_values(&self, name: &str) -> Vec<String> {
        match name {
            "availability-zone" | "placement.availability-zone" => vec![self.zone.clone()],
            "iam-instance-profile.arn" => {
                self.profile.iter().map(|p| p.profile_arn.clone()).collect()
            }
            "image-id" => vec![self.image_id.clone()],
            "instance-id" => vec![self.id.clone()],
            "instance-state-code" => vec![self.state.code().to_string()],
            "instance-state-name" => vec![self.state.name().to_owned()],
            "instance-type" => vec![self.instance_type.clone()],
            "key-name" => self.key_name.iter().cloned().collect(),
            "private-ip-address" | "network-interface.addresses.private-ip-address" => {
                vec![self.private_ip.to_string()]
            }
            "reservation-id" => vec![self.reservation_id.clone()],
            "subnet-id" => vec![self.subnet_id.clone()],
            "vpc-id" => vec![self.vpc_id.clone()],
            "instance.group-id" => self.security_groups.iter().map(|g| g.id.clone()).collect(),
            "instance.group-name" => self
                .security_groups
                .iter()
                .map(|g| g.name.clone())
                .collect(),
            // EC2 matches the time as it shows it, to the millisecond, so
            // `2026-12-06T*` picks a day's launches.
            "launch-time" => vec![crate::iso8601_millis(self.launch_millis)],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stored instance for other modules' tests.
    pub(crate) fn instance(state: InstanceState) -> Instance {
        Instance {
            id: "i-0123456789abcdef0".into(),
            reservation_id: "r-0123456789abcdef0".into(),
            image_id: "ami-1".into(),
            instance_type: "t3.micro".into(),
            key_name: None,
            zone: "us-east-1a".into(),
            subnet_id: "subnet-1".into(),
            vpc_id: "vpc-1".into(),
            private_ip: Ipv4Addr::new(127, 101, 0, 1),
            security_groups: Vec::new(),
            state,
            state_since_millis: 0,
            transition_reason: String::new(),
            state_reason: None,
            launch_millis: 0,
            ami_launch_index: 0,
            client_token: None,
            user_data: None,
            profile: None,
            metadata: MetadataOptions::default(),
            boot_generation: 1,
            shutdown_behavior: "stop".into(),
            disable_api_termination: false,
            disable_api_stop: false,
            ebs_optimized: false,
            source_dest_check: true,
            ena_support: true,
            monitoring: false,
            launch_template: None,
            impaired: false,
        }
    }

    #[test]
    fn codes_match_ec2() {
        let codes: Vec<_> = InstanceState::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 16, 32, 48, 64, 80]);
        assert_eq!(InstanceState::ShuttingDown.name(), "shutting-down");
    }

    #[test]
    fn stop_then_start_is_a_new_boot() {
        let mut i = instance(InstanceState::Running);
        let change = i.stop(10, "t").unwrap();
        assert_eq!(
            (change.previous, change.current),
            (InstanceState::Running, InstanceState::Stopping)
        );
        assert!(i.start(20).is_err(), "cannot start while stopping");
        assert!(i.halted(30));
        assert_eq!(i.state, InstanceState::Stopped);
        let change = i.start(40).unwrap();
        assert_eq!(change.current, InstanceState::Pending);
        assert_eq!(i.boot_generation, 2);
        assert_eq!(i.launch_millis, 40);
    }

    #[test]
    fn repeated_calls_report_no_change() {
        let mut i = instance(InstanceState::Stopped);
        let change = i.stop(5, "t").unwrap();
        assert_eq!(change.previous, change.current);
        let mut i = instance(InstanceState::Terminated);
        assert_eq!(
            i.terminate(5, "t").unwrap().current,
            InstanceState::Terminated
        );
        assert!(matches!(
            i.stop(5, "t"),
            Err(Error::IncorrectInstanceState(_))
        ));
        assert!(matches!(i.start(5), Err(Error::IncorrectInstanceState(_))));
        assert!(i.reboot().is_err());
    }

    #[test]
    fn termination_protection() {
        let mut i = instance(InstanceState::Running);
        i.disable_api_termination = true;
        assert!(matches!(
            i.terminate(1, "t"),
            Err(Error::OperationNotPermitted(_))
        ));
    }

    #[test]
    fn pending_lasts_its_minimum() {
        let mut i = instance(InstanceState::Pending);
        assert!(!i.booted(1_000, Duration::from_secs(5)));
        assert!(i.booted(5_000, Duration::from_secs(5)));
        assert_eq!(i.state, InstanceState::Running);
        assert_eq!(i.status(6_000, Duration::from_secs(30)), "initializing");
        assert_eq!(i.status(40_000, Duration::from_secs(30)), "ok");
    }

    #[test]
    fn reboot_bumps_the_generation() {
        let mut i = instance(InstanceState::Running);
        i.reboot().unwrap();
        assert_eq!(i.boot_generation, 2);
        assert_eq!(i.state, InstanceState::Running);
    }

    #[test]
    fn terminated_instances_expire() {
        let mut i = instance(InstanceState::ShuttingDown);
        assert!(i.halted(100));
        assert!(!i.expired(100 + 59 * 60_000, TERMINATED_VISIBLE_FOR));
        assert!(i.expired(100 + 60 * 60_000, TERMINATED_VISIBLE_FOR));
    }

    #[test]
    fn names_and_macs() {
        let i = instance(InstanceState::Running);
        assert_eq!(
            i.private_dns_name("us-east-1"),
            "ip-127-101-0-1.ec2.internal"
        );
        assert_eq!(
            i.private_dns_name("eu-west-1"),
            "ip-127-101-0-1.eu-west-1.compute.internal"
        );
        assert_eq!(i.mac(), "02:78:9a:bc:de:f0");
        let short = Instance {
            id: "i-0abc1234".into(),
            ..i
        };
        assert_eq!(short.mac(), "02:00:0a:bc:12:34");
    }

    #[test]
    fn parameters() {
        assert!(validate_instance_type("t3.micro").is_ok());
        assert!(validate_instance_type("m7i-flex.large").is_ok());
        assert!(validate_instance_type("t3").is_err());
        assert!(validate_instance_type("T3.micro").is_err());
        assert!(counts(Some(1), Some(3)).is_ok());
        assert!(counts(Some(0), Some(3)).is_err());
        assert!(counts(Some(4), Some(3)).is_err());
        assert!(matches!(
            counts(None, Some(1)),
            Err(Error::MissingParameter(_))
        ));
        assert_eq!(decode_user_data("aGk=").unwrap(), b"hi");
        assert!(decode_user_data("not base64!").is_err());
    }

    #[test]
    fn metadata_options_change() {
        let mut options = MetadataOptions::default();
        assert!(!options.tokens_required());
        options
            .apply(MetadataChange {
                http_tokens: Some("required".into()),
                ..MetadataChange::default()
            })
            .unwrap();
        assert!(options.tokens_required());
        assert!(
            options
                .apply(MetadataChange {
                    http_put_response_hop_limit: Some(0),
                    ..MetadataChange::default()
                })
                .is_err()
        );
    }
}
