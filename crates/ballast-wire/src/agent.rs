//! What Run Command's agent and Ballast say to each other.
//!
//! The agent in every instance polls the `ec2messages` service (awsJson
//! 1.1, `EC2WindowsMessageDeliveryService.*`, SigV4-signed with the
//! instance role's credentials) as AWS's SSM Agent does, and registers
//! itself with `AmazonSSM.UpdateInstanceInformation`. Neither has a public
//! service model (botocore carries neither), so their shapes are written
//! here, once, for both sides: the operation and member names are AWS's,
//! the message payloads Ballast's own.

use serde::{Deserialize, Serialize};

/// `ec2messages:GetMessages`: the messages waiting for `destination`
/// (the instance id), long-polled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetMessagesInput {
    pub destination: String,
    #[serde(default)]
    pub messages_request_id: String,
    #[serde(default)]
    pub visibility_timeout_in_seconds: Option<i32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetMessagesOutput {
    pub destination: String,
    pub messages_request_id: String,
    pub messages: Vec<Message>,
}

/// One message: a command invocation to run, its [`CommandPayload`] as
/// JSON text in `payload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    pub created_date: String,
    pub destination: String,
    /// `aws.ssm.COMMAND_ID.INSTANCE_ID`.
    pub message_id: String,
    pub payload: String,
    /// `aws.ssm.sendCommand.REGION.1`, or `aws.ssm.cancelCommand.REGION.1`
    /// for a [`CancelPayload`].
    pub topic: String,
}

impl Message {
    /// The topic of a message that runs a command in `region`.
    pub fn send_topic(region: &str) -> String {
        format!("aws.ssm.sendCommand.{region}.1")
    }

    /// The topic of a message that stops a running one in `region`.
    pub fn cancel_topic(region: &str) -> String {
        format!("aws.ssm.cancelCommand.{region}.1")
    }

    /// Whether this message stops a running one (its payload is a
    /// [`CancelPayload`]) rather than runs a command.
    pub fn is_cancel(&self) -> bool {
        self.topic.starts_with("aws.ssm.cancelCommand.")
    }

    /// The id of the message of `command_id` for `instance_id`.
    pub fn id_for(command_id: &str, instance_id: &str) -> String {
        format!("aws.ssm.{command_id}.{instance_id}")
    }

    /// The command and instance a message id names.
    pub fn parse_id(message_id: &str) -> Option<(&str, &str)> {
        let rest = message_id.strip_prefix("aws.ssm.")?;
        let (command, instance) = rest.rsplit_once('.')?;
        (!command.is_empty() && instance.starts_with("i-")).then_some((command, instance))
    }
}

/// What a cancel message carries: the id of the message whose script is
/// to be stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelPayload {
    pub cancel_message_id: String,
}

/// What an invocation runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommandPayload {
    pub command_id: String,
    pub document_name: String,
    pub steps: Vec<PayloadStep>,
}

/// One step: its name, its action (`aws:runShellScript`) and its inputs
/// with the parameters already substituted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PayloadStep {
    pub name: String,
    pub action: String,
    pub inputs: serde_json::Value,
}

/// `ec2messages:AcknowledgeMessage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AcknowledgeMessageInput {
    pub message_id: String,
}

/// `ec2messages:SendReply`: a [`Reply`] as JSON text in `payload`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendReplyInput {
    pub message_id: String,
    #[serde(default)]
    pub reply_id: String,
    pub payload: String,
}

/// `ec2messages:FailMessage`: the agent could not run the message at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FailMessageInput {
    pub message_id: String,
    #[serde(default)]
    pub failure_type: String,
}

/// An empty answer (`{}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// Where an invocation is, as the agent reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyStatus {
    /// Every step ran; each step's own status says how it ended.
    Finished,
    /// A step exited 194: reboot the instance, and the agent runs the
    /// steps again after the boot.
    Rebooting,
}

/// The agent's report on an invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Reply {
    pub status: ReplyStatus,
    pub steps: Vec<StepReply>,
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepReply {
    pub name: String,
    pub outcome: StepOutcome,
    pub response_code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed_millis: u64,
}

/// A step's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepOutcome {
    Success,
    Failed,
    /// Killed at its `executionTimeout`.
    TimedOut,
    /// Not run (an earlier step failed or asked for a reboot).
    Skipped,
    /// Killed because its command was cancelled.
    Cancelled,
}

/// `ssm:UpdateInstanceInformation`: the agent says who it is and that it
/// is alive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateInstanceInformationInput {
    pub instance_id: String,
    #[serde(default)]
    pub agent_name: String,
    #[serde(default)]
    pub agent_status: String,
    #[serde(default)]
    pub agent_version: String,
    #[serde(default)]
    pub platform_type: String,
    #[serde(default)]
    pub platform_name: String,
    #[serde(default)]
    pub platform_version: String,
    #[serde(default, rename = "IPAddress")]
    pub ip_address: String,
    #[serde(default)]
    pub computer_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_name_their_command_and_instance() {
        let id = Message::id_for("0b1c-2d", "i-0123");
        assert_eq!(Message::parse_id(&id), Some(("0b1c-2d", "i-0123")));
        assert_eq!(Message::parse_id("aws.ssm.x"), None);
        assert_eq!(Message::parse_id("nope"), None);
    }
}
