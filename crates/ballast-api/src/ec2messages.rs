//! The message delivery service Run Command's agents poll
//! (`ec2messages`): GetMessages hands an agent the invocations rate
//! control lets it run, SendReply records how they ended, FailMessage
//! records that one could not run at all. The shapes are
//! `ballast_wire::agent`'s.
//!
//! GetMessages is long-polled: with nothing to hand out it waits for the
//! [`Mailbox`] to ring (a command was sent, an invocation ended, a command
//! was cancelled) before looking again, so an `echo` sent to an instance
//! starts within milliseconds without agents polling in a loop.

use std::sync::Arc;
use std::time::Duration;

use ballast_core::ssm::command::{
    self, Detail, Error as Rule, Invocation, REBOOT_EXIT_CODE, StepResult,
};
use ballast_wire::agent::{
    AcknowledgeMessageInput, CancelPayload, CommandPayload, Empty, FailMessageInput,
    GetMessagesInput, GetMessagesOutput, Message, PayloadStep, Reply, ReplyStatus, SendReplyInput,
    StepOutcome,
};
use ballast_wire::{ApiError, ApiRequest, WireResponse, encode_output};
use tokio::sync::watch;

use ballast_core::sts::Origin;

use crate::auth::Principal;
use crate::dispatch::{call_unmodelled, routes};
use crate::ssm::commands::{Error, settled};
use crate::{ApiState, RequestContext};

/// How long GetMessages waits for work before answering with none.
const LONG_POLL: Duration = Duration::from_secs(10);

/// Rings whenever there may be new work for agents.
#[derive(Debug)]
pub struct Mailbox {
    bell: watch::Sender<u64>,
}

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox {
            bell: watch::Sender::new(0),
        }
    }
}

impl Mailbox {
    /// Wakes every waiting GetMessages to look again.
    pub fn ring(&self) {
        self.bell.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.bell.subscribe()
    }
}

routes! {
    /// The `ec2messages` operations Ballast implements.
    pub enum Operation;

    /// Routes an `ec2messages` request to its handler. The server sends
    /// GetMessages to [`get_messages`] instead, which long-polls; here it
    /// answers at once.
    fn handle(state, ctx, request) {
        GetMessages => call_unmodelled(ctx, request, |i| claim(state, ctx, i)),
        AcknowledgeMessage => call_unmodelled(ctx, request, |i: AcknowledgeMessageInput| {
            acknowledge(state, ctx, &i.message_id)
        }),
        SendReply => call_unmodelled(ctx, request, |i| send_reply(state, ctx, i)),
        FailMessage => call_unmodelled(ctx, request, |i| fail_message(state, ctx, i)),
    }
}

/// GetMessages, long-polled: authorizes and looks for work, and while
/// there is none waits for the mailbox to ring, up to [`LONG_POLL`].
pub(crate) async fn get_messages(
    state: Arc<ApiState>,
    ctx: RequestContext,
    request: ApiRequest,
) -> Result<WireResponse, ApiError> {
    let mut bell = state.messages.subscribe();
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    loop {
        bell.borrow_and_update();
        let (s, c, r) = (state.clone(), ctx.clone(), request.clone());
        let answer = tokio::task::spawn_blocking(move || {
            crate::authorize::check(&s, &c, &r)?;
            let output = claim(&s, &c, r.decode()?).map_err(ApiError::from)?;
            let found = !output.messages.is_empty();
            let wire = encode_output(r.service, &r.operation, &c.request_id, Some(&output))?;
            Ok::<_, ApiError>((wire, found))
        })
        .await
        .map_err(|_| ApiError::internal_for_service(request.service, "the poll failed"))??;
        let (wire, found) = answer;
        if found || tokio::time::Instant::now() >= deadline {
            return Ok(wire);
        }
        if tokio::time::timeout_at(deadline, bell.changed())
            .await
            .is_err()
        {
            return Ok(wire);
        }
    }
}

/// The instance the caller's credentials are for: an instance role's
/// session is named after its instance (an AssumeRole session never speaks
/// for one, whatever its name). The account's root may speak for any
/// instance.
fn check_caller(ctx: &RequestContext, instance_id: &str) -> Result<(), Rule> {
    match &ctx.principal {
        Principal::Root => Ok(()),
        Principal::AssumedRole(session)
            if session.origin == Origin::Service && session.session_name == instance_id =>
        {
            Ok(())
        }
        Principal::AssumedRole(_) | Principal::User(_) => Err(Rule::InvalidInstanceId(format!(
            "The caller is not instance {instance_id}."
        ))),
    }
}

/// Hands the agent of `Destination` its first message: a cancel for a
/// script it runs whose command was cancelled, or else the first
/// invocation rate control lets it run, marking it delivered.
fn claim(
    state: &ApiState,
    ctx: &RequestContext,
    input: GetMessagesInput,
) -> Result<GetMessagesOutput, Error> {
    check_caller(ctx, &input.destination)?;
    let instance_id = input.destination.clone();
    let now = state.now().millis();
    let region = &state.scope.region;
    let message = state.store.write(|tx| -> Result<_, Error> {
        for command_id in tx.open_command_ids_for(&instance_id)? {
            let Some((command, invocations)) = settled(state, tx, &command_id)? else {
                continue;
            };
            if let Some(mut cancelled) = invocations
                .iter()
                .find(|i| i.instance_id == instance_id && i.stop_agent)
                .cloned()
            {
                // Told once: a lost answer leaves the script to its own
                // timeout, as a lost cancel does on AWS.
                cancelled.stop_agent = false;
                tx.save_invocation(&cancelled)?;
                let payload = CancelPayload {
                    cancel_message_id: Message::id_for(&command.id, &instance_id),
                };
                return Ok(Some(Message {
                    created_date: ballast_core::clock::iso8601_millis(now),
                    destination: instance_id.clone(),
                    message_id: format!("{}.cancel", payload.cancel_message_id),
                    payload: serde_json::to_string(&payload).unwrap_or_default(),
                    topic: Message::cancel_topic(region),
                }));
            }
            let Some(mut invocation) = invocations
                .iter()
                .find(|i| i.instance_id == instance_id && i.detail == Detail::Pending)
                .cloned()
            else {
                continue;
            };
            if !command::claimable(&command, &invocations) {
                continue;
            }
            invocation.deliver(now, visibility_millis(&input));
            tx.save_invocation(&invocation)?;
            let payload = CommandPayload {
                command_id: command.id.clone(),
                document_name: command.document_name.clone(),
                steps: command
                    .steps
                    .iter()
                    .map(|s| PayloadStep {
                        name: s.name.clone(),
                        action: s.action.clone(),
                        inputs: s.inputs.clone(),
                    })
                    .collect(),
            };
            return Ok(Some(Message {
                created_date: ballast_core::clock::iso8601_millis(now),
                destination: instance_id.clone(),
                message_id: Message::id_for(&command.id, &instance_id),
                payload: serde_json::to_string(&payload).unwrap_or_default(),
                topic: Message::send_topic(region),
            }));
        }
        Ok(None)
    })?;
    Ok(GetMessagesOutput {
        destination: input.destination,
        messages_request_id: input.messages_request_id,
        messages: message.into_iter().collect(),
    })
}

/// The invocation a message id names, checked to be the caller's.
fn invocation_of(
    state: &ApiState,
    ctx: &RequestContext,
    tx: &ballast_store::Tx<'_>,
    message_id: &str,
) -> Result<Invocation, Error> {
    let (command_id, instance_id) = Message::parse_id(message_id)
        .ok_or_else(|| Rule::Validation(format!("Unknown message id {message_id}")))?;
    check_caller(ctx, instance_id)?;
    let (_, invocations) =
        settled(state, tx, command_id)?.ok_or_else(|| Rule::InvalidCommandId(String::new()))?;
    invocations
        .into_iter()
        .find(|i| i.instance_id == instance_id)
        .ok_or_else(|| Rule::InvocationDoesNotExist(String::new()).into())
}

/// How long a delivered message may go unacknowledged: the agent's
/// `VisibilityTimeoutInSeconds` (10 s when absent, at most 5 minutes), in
/// real time: it covers a lost answer, not an AWS delay.
fn visibility_millis(input: &GetMessagesInput) -> i64 {
    i64::from(
        input
            .visibility_timeout_in_seconds
            .unwrap_or(10)
            .clamp(1, 300),
    ) * 1000
}

fn acknowledge(state: &ApiState, ctx: &RequestContext, message_id: &str) -> Result<Empty, Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let mut invocation = invocation_of(state, ctx, tx, message_id)?;
        if invocation.unacknowledged_until.is_some() {
            invocation.acknowledge();
            tx.save_invocation(&invocation)?;
        }
        Ok(Empty {})
    })
}

/// Records the agent's report: a finished invocation takes its steps'
/// outcomes; one that asks for a reboot stays in progress and its
/// instance reboots.
fn send_reply(
    state: &ApiState,
    ctx: &RequestContext,
    input: SendReplyInput,
) -> Result<Empty, Error> {
    let reply: Reply = serde_json::from_str(&input.payload)
        .map_err(|e| Rule::Validation(format!("The reply payload is not valid: {e}")))?;
    let now = state.now().millis();
    let rebooted = state.store.write(|tx| -> Result<_, Error> {
        let mut invocation = invocation_of(state, ctx, tx, &input.message_id)?;
        if invocation.detail.is_final() {
            // Too late: it was cancelled or timed out meanwhile.
            return Ok(false);
        }
        record_steps(&mut invocation, &reply, now);
        let reboot = reply.status == ReplyStatus::Rebooting;
        if reboot {
            invocation.rebooting = true;
            if let Some(mut instance) = tx.instance(&invocation.instance_id)?
                && instance.reboot().is_ok()
            {
                tx.save_instance(&instance)?;
            }
        } else {
            let detail = invocation_detail(&invocation.steps);
            invocation.response_code = invocation
                .steps
                .iter()
                .rev()
                .find(|s| s.response_code >= 0)
                .map_or(-1, |s| s.response_code);
            invocation.finish(detail, now, "");
        }
        tx.save_invocation(&invocation)?;
        let (command, invocations) = settled(state, tx, &invocation.command_id)?
            .ok_or_else(|| Rule::InvalidCommandId(String::new()))?;
        let open = invocations.iter().any(|i| !i.detail.is_final());
        tx.save_command(&command, open)?;
        Ok(reboot)
    })?;
    if rebooted {
        state.fleet.changed();
    }
    state.messages.ring();
    Ok(Empty {})
}

/// Puts the reported steps' outcomes and outputs into the invocation.
fn record_steps(invocation: &mut Invocation, reply: &Reply, now: i64) {
    for reported in &reply.steps {
        let Some(step) = invocation
            .steps
            .iter_mut()
            .find(|s| s.name == reported.name)
        else {
            continue;
        };
        apply_step(step, reported, now);
    }
}

fn apply_step(step: &mut StepResult, reported: &ballast_wire::agent::StepReply, now: i64) {
    let elapsed = i64::try_from(reported.elapsed_millis).unwrap_or(0);
    step.started_millis = Some(now - elapsed);
    step.finished_millis = Some(now);
    step.response_code = reported.response_code;
    step.stdout = reported.stdout.clone();
    step.stderr = reported.stderr.clone();
    step.detail = match reported.outcome {
        StepOutcome::Success => Detail::Success,
        StepOutcome::Failed => Detail::Failed,
        StepOutcome::TimedOut => Detail::ExecutionTimedOut,
        // A step that asked for a reboot runs again after it.
        _ if reported.response_code == REBOOT_EXIT_CODE => Detail::InProgress,
        StepOutcome::Skipped | StepOutcome::Cancelled => Detail::Cancelled,
    };
}

/// An invocation's end from its steps': the first step that did not
/// succeed decides.
fn invocation_detail(steps: &[StepResult]) -> Detail {
    steps
        .iter()
        .map(|s| s.detail)
        .find(|d| *d != Detail::Success)
        .map_or(Detail::Success, |d| match d {
            Detail::ExecutionTimedOut => Detail::ExecutionTimedOut,
            _ => Detail::Failed,
        })
}

fn fail_message(
    state: &ApiState,
    ctx: &RequestContext,
    input: FailMessageInput,
) -> Result<Empty, Error> {
    let now = state.now().millis();
    state.store.write(|tx| -> Result<_, Error> {
        let mut invocation = invocation_of(state, ctx, tx, &input.message_id)?;
        if !invocation.detail.is_final() {
            let reason = format!(
                "The agent could not run the command: {}",
                input.failure_type
            );
            invocation.finish(Detail::Failed, now, &reason);
            tx.save_invocation(&invocation)?;
            settled(state, tx, &invocation.command_id)?;
        }
        Ok(())
    })?;
    state.messages.ring();
    Ok(Empty {})
}
