//! Signals: SendAutomationSignal's `Resume`, `Approve` and `Reject`, and
//! the two actions that wait for them. `aws:pause` waits for `Resume`;
//! `aws:approve` waits until `MinRequiredApprovals` of its `Approvers`
//! approve, and fails as soon as one of them rejects.
//!
//! A signal is kept on the step it was sent to (the API refuses one no
//! step waits for), so a restarted Ballast still knows who approved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::machine::Outcome;
use super::{Error, Execution, Wait};

/// SendAutomationSignal's `SignalType`, as AWS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignalType {
    Approve,
    Reject,
    StartStep,
    StopStep,
    Resume,
    Revoke,
}

impl SignalType {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalType::Approve => "Approve",
            SignalType::Reject => "Reject",
            SignalType::StartStep => "StartStep",
            SignalType::StopStep => "StopStep",
            SignalType::Resume => "Resume",
            SignalType::Revoke => "Revoke",
        }
    }
}

/// One signal a step received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalType,
    pub payload: BTreeMap<String, Vec<String>>,
    /// The ARN of whoever sent it.
    pub sender: String,
    pub at_millis: i64,
}

/// The action that pauses a runbook until `Resume`.
pub const PAUSE: &str = "aws:pause";
/// The action that waits for approvers.
pub const APPROVE: &str = "aws:approve";

/// `aws:approve`'s timeout when the step sets none: seven days.
pub const APPROVE_DEFAULT_TIMEOUT_SECONDS: i64 = 7 * 24 * 3600;

/// Where SendAutomationSignal's `kind` from `sender` goes: the index of
/// the waiting step that takes it, or AWS's refusal.
pub fn recipient(
    execution: &Execution,
    kind: SignalType,
    payload: &BTreeMap<String, Vec<String>>,
    sender: &str,
) -> Result<usize, Error> {
    let refuse = |why: String| Err(Error::InvalidSignal(why));
    if execution.status.is_terminal() {
        return refuse(format!(
            "The execution {} is {}; it takes no signal.",
            execution.id,
            execution.status.as_str()
        ));
    }
    if let Some(name) = payload.get("StepName").and_then(|n| n.first())
        && !execution.steps.iter().any(|s| s.def.name == *name)
    {
        return Err(Error::StepNotFound(format!(
            "The execution {} has no step {name}.",
            execution.id
        )));
    }
    let waiting = execution.current.filter(|i| {
        execution
            .steps
            .get(*i)
            .is_some_and(|s| s.wait == Some(Wait::Signal))
    });
    let Some(index) = waiting else {
        return refuse(format!(
            "No step of the execution {} is waiting for a signal.",
            execution.id
        ));
    };
    let step = &execution.steps[index];
    match (step.def.action.as_str(), kind) {
        (PAUSE, SignalType::Resume) => match payload.get("StepName").and_then(|n| n.first()) {
            Some(name) if *name != step.def.name => refuse(format!(
                "The step {name} is not paused; {} is.",
                step.def.name
            )),
            _ => Ok(index),
        },
        (APPROVE, SignalType::Approve | SignalType::Reject) => {
            let approvers = approvers(step.inputs.as_ref().unwrap_or(&Value::Null));
            if !approvers.iter().any(|a| is_approver(a, sender)) {
                return refuse(format!(
                    "{sender} is not one of the approvers of the step {}.",
                    step.def.name
                ));
            }
            Ok(index)
        }
        (action, kind) => refuse(format!(
            "The signal {} is not valid for the step {}, which runs {action}.",
            kind.as_str(),
            step.def.name
        )),
    }
}

/// `aws:pause`: done once it was resumed.
pub fn pause(signals: &[Signal]) -> Outcome {
    if signals.iter().any(|s| s.kind == SignalType::Resume) {
        Outcome::Success {
            outputs: BTreeMap::new(),
            next: None,
        }
    } else {
        Outcome::Running(Some(Wait::Signal))
    }
}

/// `aws:approve`: `Rejected` at the first rejection, `Approved` once
/// `MinRequiredApprovals` distinct approvers approved, else still
/// waiting. Outputs `ApprovalStatus` and `ApproverDecisions`.
pub fn approval(inputs: &Value, signals: &[Signal]) -> Result<Outcome, String> {
    let approvers = approvers(inputs);
    if approvers.is_empty() {
        return Err("aws:approve needs Approvers.".to_owned());
    }
    let required = match inputs.get("MinRequiredApprovals") {
        None => 1,
        Some(value) => super::selector::text(value)
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or("MinRequiredApprovals must be a positive number.")?,
    };
    let mut decisions: Vec<&Signal> = Vec::new();
    for signal in signals
        .iter()
        .filter(|s| matches!(s.kind, SignalType::Approve | SignalType::Reject))
    {
        // An approver's first decision counts.
        if !decisions.iter().any(|d| d.sender == signal.sender) {
            decisions.push(signal);
        }
    }
    let shown: Vec<Value> = decisions.iter().map(|d| decision(d)).collect();
    let outputs = |status: &str| {
        BTreeMap::from([
            (
                "ApprovalStatus".to_owned(),
                Value::String(status.to_owned()),
            ),
            ("ApproverDecisions".to_owned(), Value::Array(shown.clone())),
        ])
    };
    if let Some(rejected) = decisions.iter().find(|d| d.kind == SignalType::Reject) {
        return Ok(Outcome::Failed {
            message: format!("The step was rejected by {}.", rejected.sender),
            outputs: outputs("Rejected"),
        });
    }
    if decisions.len() >= required {
        return Ok(Outcome::Success {
            outputs: outputs("Approved"),
            next: None,
        });
    }
    Ok(Outcome::Running(Some(Wait::Signal)))
}

fn decision(signal: &Signal) -> Value {
    let time =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(signal.at_millis) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
    let comment = signal
        .payload
        .get("Comment")
        .map(|c| c.join(" "))
        .unwrap_or_default();
    json!({
        "Approver": signal.sender,
        "Decision": signal.kind.as_str(),
        "ApprovalDecisionTime": time,
        "Comment": comment,
    })
}

/// The step's `Approvers` (a list, or one principal).
fn approvers(inputs: &Value) -> Vec<String> {
    match inputs.get("Approvers") {
        Some(Value::Array(list)) => list.iter().map(super::selector::text).collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// Whether `sender` is the principal `approver` names: in AWS's formats,
/// a user name, a user or role ARN, or an assumed-role ARN. A session of
/// a role is that role.
pub fn is_approver(approver: &str, sender: &str) -> bool {
    if approver == sender {
        return true;
    }
    let Some((sender_account, kind, name)) = principal(sender) else {
        return false;
    };
    match principal(approver) {
        Some((account, approver_kind, approver_name)) => {
            account == sender_account && approver_kind == kind && approver_name == name
        }
        // A bare name: a user's (or, for a session, its role's).
        None => !approver.contains(':') && approver == name,
    }
}

/// An ARN's account, kind (`user`, `role`, `root`) and name; a session
/// (`assumed-role/NAME/SESSION`) is its role.
fn principal(arn: &str) -> Option<(String, &'static str, String)> {
    let arn: crate::arn::Arn = arn.parse().ok()?;
    if arn.resource == "root" {
        return Some((arn.account, "root", String::new()));
    }
    let (kind, path) = arn.resource.split_once('/')?;
    let (kind, name) = match (arn.service.as_str(), kind) {
        ("sts", "assumed-role") => ("role", path.split('/').next()?),
        ("iam", "user") => ("user", path.rsplit('/').next()?),
        ("iam", "role") => ("role", path.rsplit('/').next()?),
        _ => return None,
    };
    Some((arn.account.clone(), kind, name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(kind: SignalType, sender: &str, comment: &str) -> Signal {
        Signal {
            kind,
            payload: BTreeMap::from([("Comment".to_owned(), vec![comment.to_owned()])]),
            sender: sender.to_owned(),
            at_millis: 1_700_000_000_000,
        }
    }

    const ALICE: &str = "arn:aws:iam::000000000000:user/alice";
    const OPS: &str = "arn:aws:sts::000000000000:assumed-role/ops/alice-session";

    #[test]
    fn approvers_are_named_as_aws_allows() {
        assert!(is_approver(ALICE, ALICE));
        assert!(is_approver("alice", ALICE));
        assert!(is_approver("arn:aws:iam::000000000000:role/ops", OPS));
        assert!(is_approver("arn:aws:iam::000000000000:role/team/ops", OPS));
        assert!(is_approver(
            "arn:aws:iam::000000000000:root",
            "arn:aws:iam::000000000000:root"
        ));
        assert!(!is_approver("arn:aws:iam::111111111111:role/ops", OPS));
        assert!(!is_approver("arn:aws:iam::000000000000:user/ops", OPS));
        assert!(!is_approver("bob", ALICE));
    }

    #[test]
    fn approval_waits_for_enough_distinct_approvers() {
        let inputs = json!({"Approvers": [ALICE, "arn:aws:iam::000000000000:role/ops"], "MinRequiredApprovals": 2});
        let one = [signal(SignalType::Approve, ALICE, "fine")];
        assert_eq!(
            approval(&inputs, &one).unwrap(),
            Outcome::Running(Some(Wait::Signal))
        );
        let twice = [one[0].clone(), one[0].clone()];
        assert_eq!(
            approval(&inputs, &twice).unwrap(),
            Outcome::Running(Some(Wait::Signal))
        );
        let both = [one[0].clone(), signal(SignalType::Approve, OPS, "")];
        let Outcome::Success { outputs, .. } = approval(&inputs, &both).unwrap() else {
            panic!("two approvals should do");
        };
        assert_eq!(outputs["ApprovalStatus"], json!("Approved"));
        assert_eq!(outputs["ApproverDecisions"][0]["Comment"], json!("fine"));
        assert_eq!(outputs["ApproverDecisions"][1]["Approver"], json!(OPS));
    }

    #[test]
    fn one_rejection_fails_the_step() {
        let inputs = json!({"Approvers": [ALICE]});
        let Outcome::Failed { message, outputs } =
            approval(&inputs, &[signal(SignalType::Reject, ALICE, "no")]).unwrap()
        else {
            panic!("a rejection should fail the step");
        };
        assert!(message.contains(ALICE), "{message}");
        assert_eq!(outputs["ApprovalStatus"], json!("Rejected"));
        assert!(approval(&json!({}), &[]).is_err());
        assert!(
            approval(
                &json!({"Approvers": [ALICE], "MinRequiredApprovals": 0}),
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn a_pause_ends_on_resume() {
        assert_eq!(pause(&[]), Outcome::Running(Some(Wait::Signal)));
        let resumed = pause(&[signal(SignalType::Resume, ALICE, "")]);
        assert!(matches!(resumed, Outcome::Success { .. }));
    }
}
