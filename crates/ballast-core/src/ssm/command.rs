//! Run Command: commands, their invocations (one per instance), rate
//! control, and the statuses AWS reports.
//!
//! A command is sent to its targets at SendCommand and stored with one
//! invocation per instance, `Pending`. An instance's agent claims its
//! pending invocations when rate control lets it ([`claimable`]: fewer
//! than `MaxConcurrency` in flight, and no more errors than `MaxErrors`),
//! runs them and reports the result. Everything time decides (delivery
//! timeouts, targets left behind when the error threshold is crossed,
//! invocations whose instance stopped under them) is decided by
//! [`settle`], a pure function of the records, the instances' states and
//! the time, run in the same transaction as every read and write that
//! touches a command. The command's own status is never stored: it is
//! [`rollup`] of its invocations, so the two can never disagree.

use serde::{Deserialize, Serialize};

use crate::ec2::InstanceState;

/// The most characters of a step's output GetCommandInvocation shows.
pub const OUTPUT_LIMIT: usize = 24_000;

/// The most characters of output ListCommandInvocations shows (`Details`).
pub const LIST_OUTPUT_LIMIT: usize = 2_500;

/// The exit code with which a Linux script asks the agent to reboot the
/// instance and run the script again after the boot.
pub const REBOOT_EXIT_CODE: i32 = 194;

/// A failure of a Run Command request, with AWS's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `InvalidInstanceId`: instances that are not managed.
    #[error("{0}")]
    InvalidInstanceId(String),
    /// `InvalidCommandId`.
    #[error("{0}")]
    InvalidCommandId(String),
    /// `InvocationDoesNotExist`.
    #[error("{0}")]
    InvocationDoesNotExist(String),
    /// `InvalidPluginName`.
    #[error("{0}")]
    InvalidPluginName(String),
    /// `InvalidNextToken`.
    #[error("The specified token isn't valid.")]
    InvalidNextToken,
    /// `InvalidFilterKey`.
    #[error("{0}")]
    InvalidFilterKey(String),
    /// `InvalidInstanceInformationFilterValue`.
    #[error("{0}")]
    InvalidFilterValue(String),
    /// `DuplicateInstanceId`.
    #[error("Instance Id(s) {0} are duplicated.")]
    DuplicateInstanceId(String),
    /// `InvalidDocument`.
    #[error("{0}")]
    InvalidDocument(String),
    /// `InvalidDocumentVersion`.
    #[error("{0}")]
    InvalidDocumentVersion(String),
    /// `InvalidParameters`.
    #[error("{0}")]
    InvalidParameters(String),
}

impl Error {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "ValidationException",
            Error::InvalidInstanceId(_) => "InvalidInstanceId",
            Error::InvalidCommandId(_) => "InvalidCommandId",
            Error::InvocationDoesNotExist(_) => "InvocationDoesNotExist",
            Error::InvalidPluginName(_) => "InvalidPluginName",
            Error::InvalidNextToken => "InvalidNextToken",
            Error::InvalidFilterKey(_) => "InvalidFilterKey",
            Error::InvalidFilterValue(_) => "InvalidInstanceInformationFilterValue",
            Error::DuplicateInstanceId(_) => "DuplicateInstanceId",
            Error::InvalidDocument(_) => "InvalidDocument",
            Error::InvalidDocumentVersion(_) => "InvalidDocumentVersion",
            Error::InvalidParameters(_) => "InvalidParameters",
        }
    }
}

/// `MaxConcurrency` or `MaxErrors`: a number of targets or a percentage of
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Limit {
    Count(u32),
    Percent(u32),
}

impl Limit {
    /// Parses `10` or `10%`; `zero_allowed` is true for `MaxErrors`.
    pub fn parse(text: &str, name: &str, zero_allowed: bool) -> Result<Limit, Error> {
        let invalid = || {
            Error::Validation(format!(
                "1 validation error detected: Value '{text}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                lower_first(name),
                if zero_allowed {
                    "^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$"
                } else {
                    "^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$"
                }
            ))
        };
        let (digits, percent) = match text.strip_suffix('%') {
            Some(digits) => (digits, true),
            None => (text, false),
        };
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || (digits.len() > 1 && digits.starts_with('0'))
        {
            return Err(invalid());
        }
        let value: u32 = digits.parse().map_err(|_| invalid())?;
        if (value == 0 && !zero_allowed) || (percent && value > 100) {
            return Err(invalid());
        }
        Ok(if percent {
            Limit::Percent(value)
        } else {
            Limit::Count(value)
        })
    }

    /// As the API shows it back.
    pub fn text(self) -> String {
        match self {
            Limit::Count(n) => n.to_string(),
            Limit::Percent(p) => format!("{p}%"),
        }
    }

    /// How many invocations may run at once among `targets`: a percentage
    /// rounds up, and at least one always may.
    pub fn concurrency(self, targets: usize) -> usize {
        match self {
            Limit::Count(n) => (n as usize).max(1),
            Limit::Percent(p) => (targets * p as usize).div_ceil(100).max(1),
        }
    }

    /// How many errors are tolerated among `targets`: a percentage rounds
    /// down (10% of 50 tolerates 5, and the 6th stops the command).
    pub fn errors(self, targets: usize) -> usize {
        match self {
            Limit::Count(n) => n as usize,
            Limit::Percent(p) => targets * p as usize / 100,
        }
    }
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// One step of a command document as the agent runs it, its parameters
/// already substituted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The step's name (`PluginName` in GetCommandInvocation).
    pub name: String,
    /// `aws:runShellScript`, …
    pub action: String,
    pub inputs: serde_json::Value,
}

/// A `Targets` entry: `InstanceIds`, `tag:KEY` or `tag-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub key: String,
    pub values: Vec<String>,
}

impl Target {
    /// Whether the instance `id` with `tags` is one this entry names; an
    /// unknown key names none.
    pub fn selects(&self, id: &str, tags: &[(String, String)]) -> bool {
        match self.key.as_str() {
            "InstanceIds" => self.values.iter().any(|v| v == id),
            "tag-key" => tags.iter().any(|(k, _)| self.values.contains(k)),
            key => key.strip_prefix("tag:").is_some_and(|name| {
                tags.iter()
                    .any(|(k, v)| k == name && self.values.contains(v))
            }),
        }
    }
}

/// A command as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub id: String,
    pub document_name: String,
    pub document_version: String,
    pub comment: String,
    /// The parameters as given (name → values).
    pub parameters: Vec<(String, Vec<String>)>,
    pub instance_ids: Vec<String>,
    pub targets: Vec<Target>,
    pub requested_millis: i64,
    /// `TimeoutSeconds`: how long an invocation may wait to be delivered.
    pub timeout_seconds: i64,
    pub max_concurrency: Limit,
    pub max_errors: Limit,
    /// The steps every invocation runs.
    pub steps: Vec<Step>,
    /// Echoed back as given: Ballast writes no S3 or CloudWatch output and
    /// sends no notifications.
    pub output: OutputConfig,
    /// CancelCommand was called.
    pub cancel_requested: bool,
    /// How many invocations the command had when sent.
    pub target_count: usize,
}

impl Command {
    /// How long its steps may run, in AWS seconds: the sum of their
    /// `timeoutSeconds` (3600 where a step gives none).
    pub fn execution_timeout_seconds(&self) -> i64 {
        self.steps
            .iter()
            .map(|step| match step.inputs.get("timeoutSeconds") {
                Some(serde_json::Value::Number(n)) => n.as_i64(),
                Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            })
            .map(|seconds| seconds.unwrap_or(3600))
            .sum()
    }
}

/// What SendCommand accepted about outputs and notifications, to show back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputConfig {
    pub s3_region: Option<String>,
    pub s3_bucket_name: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub service_role_arn: Option<String>,
    pub cloudwatch_log_group: Option<String>,
    pub cloudwatch_enabled: bool,
    pub notification_arn: Option<String>,
    pub notification_events: Vec<String>,
    pub notification_type: Option<String>,
}

/// Where an invocation is, as `StatusDetails` names it. Its `Status` is
/// [`Detail::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Detail {
    Pending,
    InProgress,
    Delayed,
    Success,
    DeliveryTimedOut,
    ExecutionTimedOut,
    Failed,
    Cancelled,
    Undeliverable,
    Terminated,
}

impl Detail {
    /// `StatusDetails`, as AWS spells it.
    pub fn text(self) -> &'static str {
        match self {
            Detail::Pending => "Pending",
            Detail::InProgress => "InProgress",
            Detail::Delayed => "Delayed",
            Detail::Success => "Success",
            Detail::DeliveryTimedOut => "DeliveryTimedOut",
            Detail::ExecutionTimedOut => "ExecutionTimedOut",
            Detail::Failed => "Failed",
            Detail::Cancelled => "Cancelled",
            Detail::Undeliverable => "Undeliverable",
            Detail::Terminated => "Terminated",
        }
    }

    /// `Status`: the invocation status enum of the model.
    pub fn status(self) -> &'static str {
        match self {
            Detail::Pending => "Pending",
            Detail::InProgress => "InProgress",
            Detail::Delayed => "Delayed",
            Detail::Success => "Success",
            Detail::DeliveryTimedOut | Detail::ExecutionTimedOut => "TimedOut",
            Detail::Failed | Detail::Undeliverable | Detail::Terminated => "Failed",
            Detail::Cancelled => "Cancelled",
        }
    }

    /// Whether the invocation is over.
    pub fn is_final(self) -> bool {
        !matches!(self, Detail::Pending | Detail::InProgress | Detail::Delayed)
    }

    /// Whether it counts against `MaxErrors` (failures and execution
    /// timeouts do; delivery timeouts and undeliverable ones do not).
    pub fn is_error(self) -> bool {
        matches!(self, Detail::Failed | Detail::ExecutionTimedOut)
    }
}

/// The result of one step on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub name: String,
    pub detail: Detail,
    pub response_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub started_millis: Option<i64>,
    pub finished_millis: Option<i64>,
}

/// One command on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    pub command_id: String,
    pub instance_id: String,
    pub detail: Detail,
    pub requested_millis: i64,
    /// When the agent took it.
    pub delivered_millis: Option<i64>,
    /// Until when a delivered invocation may go unacknowledged before it
    /// is handed out again (its answer to GetMessages may have been lost).
    #[serde(default)]
    pub unacknowledged_until: Option<i64>,
    pub finished_millis: Option<i64>,
    /// The last step's code; -1 while none ran.
    pub response_code: i32,
    pub steps: Vec<StepResult>,
    /// The agent asked for a reboot (exit 194) and runs the script again
    /// after the boot; until then a stopped agent is expected.
    pub rebooting: bool,
    /// It was cancelled while its agent ran it: the agent is still to be
    /// told to stop the script (GetMessages hands it a cancel message).
    #[serde(default)]
    pub stop_agent: bool,
}

impl Invocation {
    /// A new pending invocation.
    pub fn new(command: &Command, instance_id: &str) -> Invocation {
        Invocation {
            command_id: command.id.clone(),
            instance_id: instance_id.to_owned(),
            detail: Detail::Pending,
            requested_millis: command.requested_millis,
            delivered_millis: None,
            unacknowledged_until: None,
            finished_millis: None,
            response_code: -1,
            steps: command
                .steps
                .iter()
                .map(|step| StepResult {
                    name: step.name.clone(),
                    detail: Detail::Pending,
                    response_code: -1,
                    stdout: String::new(),
                    stderr: String::new(),
                    started_millis: None,
                    finished_millis: None,
                })
                .collect(),
            rebooting: false,
            stop_agent: false,
        }
    }

    /// Hands the invocation to its agent at `now_millis`, to be
    /// acknowledged within `visibility_millis`.
    pub fn deliver(&mut self, now_millis: i64, visibility_millis: i64) {
        self.detail = Detail::InProgress;
        self.delivered_millis = Some(now_millis);
        self.unacknowledged_until = Some(now_millis + visibility_millis);
        for step in &mut self.steps {
            step.detail = Detail::InProgress;
        }
    }

    /// Its agent acknowledged it: it will not be handed out again.
    pub fn acknowledge(&mut self) {
        self.unacknowledged_until = None;
    }

    /// Ends the invocation `Cancelled`; if its agent was running it, the
    /// agent is to be told to stop.
    pub fn cancel(&mut self, now_millis: i64) {
        if self.detail.is_final() {
            return;
        }
        self.stop_agent = self.delivered_millis.is_some();
        self.finish(Detail::Cancelled, now_millis, "The command was cancelled.");
    }

    /// Whether its record still matters to its agent: it is unfinished, or
    /// a cancel is still to be delivered.
    pub fn is_open(&self) -> bool {
        !self.detail.is_final() || self.stop_agent
    }

    /// Ends the invocation (and every step not yet over) with `detail`.
    pub fn finish(&mut self, detail: Detail, now_millis: i64, reason: &str) {
        self.detail = detail;
        self.finished_millis = Some(now_millis);
        self.rebooting = false;
        for step in &mut self.steps {
            if !step.detail.is_final() {
                step.detail = detail;
                step.finished_millis = Some(now_millis);
                if !reason.is_empty() && step.stderr.is_empty() {
                    step.stderr = reason.to_owned();
                }
            }
        }
    }
}

/// The state of the instance an invocation targets, as [`settle`] needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// Up (pending or running).
    Up,
    /// Stopping, stopped, shutting down or terminated.
    Down,
    /// No such instance any more.
    Gone,
}

impl Host {
    pub fn of(state: Option<InstanceState>) -> Host {
        match state {
            Some(state) if state.is_up() => Host::Up,
            Some(_) => Host::Down,
            None => Host::Gone,
        }
    }
}

/// Brings a command's invocations up to date at `now_millis`:
/// - a cancelled command's unfinished invocations end `Cancelled`;
/// - once the errors exceed `MaxErrors`, invocations not yet delivered
///   end `Terminated`;
/// - a pending invocation past `TimeoutSeconds` (scaled by `scale`) ends
///   `DeliveryTimedOut`; one whose instance is down waits as `Delayed`,
///   and one whose instance is gone is `Undeliverable`;
/// - a delivered invocation its agent did not acknowledge in time is
///   pending again (the answer that carried it was lost);
/// - a delivered invocation whose instance went down (not for a reboot the
///   script asked for) ends `Failed`;
/// - a delivered invocation not heard of by the command's total timeout
///   (`TimeoutSeconds` and the steps' execution timeouts) ends
///   `ExecutionTimedOut`: its agent is gone.
///
/// Returns whether anything changed.
pub fn settle(
    command: &Command,
    invocations: &mut [Invocation],
    host: impl Fn(&str) -> Host,
    now_millis: i64,
    scale: f64,
) -> bool {
    let mut changed = false;
    let delivery_deadline =
        command.requested_millis + (command.timeout_seconds as f64 * 1000.0 * scale) as i64;
    let total = command.timeout_seconds + command.execution_timeout_seconds();
    let total_deadline = command.requested_millis + (total as f64 * 1000.0 * scale) as i64;
    let tolerated = command.max_errors.errors(invocations.len());
    let errors = invocations.iter().filter(|i| i.detail.is_error()).count();
    for invocation in invocations.iter_mut() {
        if invocation.detail.is_final() {
            continue;
        }
        if invocation
            .unacknowledged_until
            .is_some_and(|until| now_millis >= until)
        {
            invocation.detail = Detail::Pending;
            invocation.delivered_millis = None;
            invocation.unacknowledged_until = None;
            for step in &mut invocation.steps {
                step.detail = Detail::Pending;
            }
            changed = true;
        }
        if command.cancel_requested {
            invocation.cancel(now_millis);
            changed = true;
            continue;
        }
        let undelivered = invocation.delivered_millis.is_none();
        let next = if undelivered && errors > tolerated {
            Some((
                Detail::Terminated,
                "The command exceeded its MaxErrors limit before it reached this instance.",
            ))
        } else if undelivered && now_millis >= delivery_deadline {
            Some((
                Detail::DeliveryTimedOut,
                "The command was not delivered before its timeout.",
            ))
        } else {
            match (host(&invocation.instance_id), undelivered) {
                (Host::Gone, true) => {
                    Some((Detail::Undeliverable, "The instance no longer exists."))
                }
                (Host::Down, true) if invocation.detail != Detail::Delayed => {
                    invocation.detail = Detail::Delayed;
                    changed = true;
                    None
                }
                (Host::Up, true) if invocation.detail == Detail::Delayed => {
                    invocation.detail = Detail::Pending;
                    changed = true;
                    None
                }
                (Host::Down | Host::Gone, false) if !invocation.rebooting => Some((
                    Detail::Failed,
                    "The instance stopped while the command was running.",
                )),
                (_, false) if now_millis >= total_deadline => Some((
                    Detail::ExecutionTimedOut,
                    "The agent did not report the command's end before its timeout.",
                )),
                _ => None,
            }
        };
        if let Some((detail, reason)) = next {
            invocation.finish(detail, now_millis, reason);
            changed = true;
        }
    }
    changed
}

/// Whether rate control lets one more invocation of `command` be
/// delivered now: fewer than `MaxConcurrency` in flight and the errors
/// within `MaxErrors`.
pub fn claimable(command: &Command, invocations: &[Invocation]) -> bool {
    if command.cancel_requested {
        return false;
    }
    let targets = invocations.len();
    let in_flight = invocations
        .iter()
        .filter(|i| i.delivered_millis.is_some() && !i.detail.is_final())
        .count();
    let errors = invocations.iter().filter(|i| i.detail.is_error()).count();
    in_flight < command.max_concurrency.concurrency(targets)
        && errors <= command.max_errors.errors(targets)
}

/// A command's status and details and its counts, from its invocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollup {
    pub status: &'static str,
    pub details: &'static str,
    pub completed: usize,
    pub errors: usize,
    pub delivery_timed_out: usize,
}

/// What ListCommands reports for `command`.
pub fn rollup(command: &Command, invocations: &[Invocation]) -> Rollup {
    let count = |f: fn(Detail) -> bool| invocations.iter().filter(|i| f(i.detail)).count();
    let completed = count(Detail::is_final);
    let errors = count(Detail::is_error);
    let delivery_timed_out = count(|d| d == Detail::DeliveryTimedOut);
    let execution_timed_out = count(|d| d == Detail::ExecutionTimedOut);
    let failed = count(|d| d == Detail::Failed);
    let all_final = completed == invocations.len();
    let threshold = command.max_errors.errors(invocations.len()).max(1);
    let (status, details) = if !all_final {
        if command.cancel_requested {
            ("Cancelling", "Cancelling")
        } else if invocations.iter().any(|i| i.delivered_millis.is_some()) {
            ("InProgress", "InProgress")
        } else {
            ("Pending", "Pending")
        }
    } else if invocations.iter().all(|i| i.detail == Detail::Success) {
        ("Success", "Success")
    } else if command.cancel_requested {
        ("Cancelled", "Cancelled")
    } else if failed >= threshold {
        ("Failed", "Failed")
    } else if execution_timed_out >= threshold {
        ("TimedOut", "ExecutionTimedOut")
    } else if delivery_timed_out >= threshold {
        ("TimedOut", "DeliveryTimedOut")
    } else if invocations
        .iter()
        .all(|i| i.detail == Detail::Undeliverable)
    {
        ("Failed", "Undeliverable")
    } else {
        ("Failed", "Incomplete")
    };
    Rollup {
        status,
        details,
        completed,
        errors,
        delivery_timed_out,
    }
}

/// The first `limit` characters of `text`: AWS keeps the beginning of a
/// long output (the whole of it stays on the instance).
pub fn truncated(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(concurrency: &str, errors: &str, targets: usize) -> (Command, Vec<Invocation>) {
        let command = Command {
            id: "c".into(),
            document_name: "AWS-RunShellScript".into(),
            document_version: "1".into(),
            comment: String::new(),
            parameters: Vec::new(),
            instance_ids: Vec::new(),
            targets: Vec::new(),
            requested_millis: 0,
            timeout_seconds: 60,
            max_concurrency: Limit::parse(concurrency, "MaxConcurrency", false).unwrap(),
            max_errors: Limit::parse(errors, "MaxErrors", true).unwrap(),
            steps: vec![Step {
                name: "0.aws:runShellScript".into(),
                action: "aws:runShellScript".into(),
                inputs: serde_json::json!({"runCommand": ["true"]}),
            }],
            output: OutputConfig::default(),
            cancel_requested: false,
            target_count: targets,
        };
        let invocations = (0..targets)
            .map(|i| Invocation::new(&command, &format!("i-{i}")))
            .collect();
        (command, invocations)
    }

    fn deliver(invocation: &mut Invocation) {
        invocation.deliver(1, 10);
        invocation.acknowledge();
    }

    #[test]
    fn limits_parse_as_aws_allows() {
        assert_eq!(
            Limit::parse("10", "MaxConcurrency", false),
            Ok(Limit::Count(10))
        );
        assert_eq!(
            Limit::parse("100%", "MaxConcurrency", false),
            Ok(Limit::Percent(100))
        );
        assert_eq!(Limit::parse("0", "MaxErrors", true), Ok(Limit::Count(0)));
        for bad in ["0", "0%", "101%", "-1", "", "01", "1.5", "%"] {
            assert!(Limit::parse(bad, "MaxConcurrency", false).is_err(), "{bad}");
        }
        assert_eq!(Limit::Percent(10).errors(50), 5);
        assert_eq!(Limit::Percent(10).concurrency(5), 1);
        assert_eq!(Limit::Percent(50).concurrency(3), 2);
    }

    #[test]
    fn concurrency_holds_back_the_rest() {
        let (command, mut invocations) = command("1", "0", 3);
        assert!(claimable(&command, &invocations));
        deliver(&mut invocations[0]);
        assert!(!claimable(&command, &invocations));
        invocations[0].finish(Detail::Success, 2, "");
        assert!(claimable(&command, &invocations));
    }

    #[test]
    fn crossing_max_errors_terminates_what_has_not_started() {
        let (command, mut invocations) = command("1", "0", 3);
        deliver(&mut invocations[0]);
        invocations[0].finish(Detail::Failed, 2, "");
        assert!(!claimable(&command, &invocations));
        assert!(settle(&command, &mut invocations, |_| Host::Up, 3, 1.0));
        let details: Vec<_> = invocations.iter().map(|i| i.detail).collect();
        assert_eq!(
            details,
            [Detail::Failed, Detail::Terminated, Detail::Terminated]
        );
        assert_eq!(invocations[1].detail.status(), "Failed");
        let rollup = rollup(&command, &invocations);
        assert_eq!((rollup.status, rollup.details), ("Failed", "Failed"));
        assert_eq!((rollup.completed, rollup.errors), (3, 1));
    }

    #[test]
    fn delivery_times_out_and_stopped_instances_wait() {
        let (command, mut invocations) = command("50", "0", 2);
        settle(
            &command,
            &mut invocations,
            |id| if id == "i-0" { Host::Down } else { Host::Up },
            10,
            1.0,
        );
        assert_eq!(invocations[0].detail, Detail::Delayed);
        assert_eq!(rollup(&command, &invocations).status, "Pending");
        // TimeoutSeconds is 60: at 0.5 scale the deadline is 30 s.
        settle(&command, &mut invocations, |_| Host::Down, 30_000, 0.5);
        assert!(
            invocations
                .iter()
                .all(|i| i.detail == Detail::DeliveryTimedOut)
        );
        let rollup = rollup(&command, &invocations);
        assert_eq!(
            (rollup.status, rollup.details),
            ("TimedOut", "DeliveryTimedOut")
        );
        assert_eq!(rollup.errors, 0);
    }

    #[test]
    fn a_running_invocation_fails_when_its_instance_stops_unless_rebooting() {
        let (command, mut invocations) = command("50", "0", 2);
        deliver(&mut invocations[0]);
        deliver(&mut invocations[1]);
        invocations[1].rebooting = true;
        settle(&command, &mut invocations, |_| Host::Down, 5, 1.0);
        assert_eq!(invocations[0].detail, Detail::Failed);
        assert_eq!(invocations[1].detail, Detail::InProgress);
        let rollup = rollup(&command, &invocations);
        assert_eq!(rollup.status, "InProgress");
    }

    #[test]
    fn an_unacknowledged_delivery_is_handed_out_again() {
        let (command, mut invocations) = command("1", "0", 1);
        invocations[0].deliver(0, 10_000);
        assert!(!claimable(&command, &invocations));
        settle(&command, &mut invocations, |_| Host::Up, 9_999, 1.0);
        assert_eq!(invocations[0].detail, Detail::InProgress);
        settle(&command, &mut invocations, |_| Host::Up, 10_000, 1.0);
        assert_eq!(invocations[0].detail, Detail::Pending);
        assert!(claimable(&command, &invocations));
    }

    #[test]
    fn an_invocation_never_reported_times_out_at_the_total_timeout() {
        let (command, mut invocations) = command("50", "0", 1);
        deliver(&mut invocations[0]);
        // TimeoutSeconds 60 + the step's default 3600 s.
        settle(&command, &mut invocations, |_| Host::Up, 3_659_999, 1.0);
        assert_eq!(invocations[0].detail, Detail::InProgress);
        settle(&command, &mut invocations, |_| Host::Up, 3_660_000, 1.0);
        assert_eq!(invocations[0].detail, Detail::ExecutionTimedOut);
    }

    #[test]
    fn cancelling_ends_what_is_not_over() {
        let (mut command, mut invocations) = command("50", "0", 2);
        invocations[0].finish(Detail::Success, 1, "");
        command.cancel_requested = true;
        assert_eq!(rollup(&command, &invocations).status, "Cancelling");
        settle(&command, &mut invocations, |_| Host::Up, 2, 1.0);
        assert_eq!(invocations[1].detail, Detail::Cancelled);
        assert_eq!(rollup(&command, &invocations).status, "Cancelled");
    }

    #[test]
    fn only_a_running_agent_is_told_to_stop() {
        let (mut command, mut invocations) = command("50", "0", 3);
        invocations[0].deliver(1, 10_000);
        invocations[1].deliver(1, 10_000);
        invocations[1].finish(Detail::Success, 2, "");
        command.cancel_requested = true;
        settle(&command, &mut invocations, |_| Host::Up, 3, 1.0);
        let told: Vec<_> = invocations.iter().map(|i| i.stop_agent).collect();
        assert_eq!(told, [true, false, false]);
        assert!(invocations.iter().all(|i| i.detail.is_final()));
        assert!(
            invocations[0].is_open(),
            "open until the cancel is delivered"
        );
        assert!(!invocations[2].is_open());
    }

    #[test]
    fn some_failures_below_the_threshold_are_incomplete() {
        let (command, mut invocations) = command("50", "2", 3);
        invocations[0].finish(Detail::Success, 1, "");
        invocations[1].finish(Detail::Success, 1, "");
        invocations[2].finish(Detail::Failed, 1, "");
        let rollup = rollup(&command, &invocations);
        assert_eq!((rollup.status, rollup.details), ("Failed", "Incomplete"));
    }

    #[test]
    fn output_is_cut_at_a_character_boundary() {
        assert_eq!(truncated("héllo", 2), "hé");
        assert_eq!(truncated("ok", 10), "ok");
    }
}
