//! Run Command: SendCommand, ListCommands, ListCommandInvocations,
//! GetCommandInvocation and CancelCommand. The agents' side (taking and
//! answering invocations) is `crate::ec2messages`.
//!
//! Every call that reads a command first [`settle`]s it in the same write
//! transaction, so what it reports is what the time and the instances'
//! states make of it now.

use std::collections::BTreeMap;

use ballast_core::ec2::InstanceState;
use ballast_core::paging::{decode_token, encode_token};
use ballast_core::ssm::command::{
    self, Command, Error as Rule, Host, Invocation, Limit, OutputConfig, Target,
};
use ballast_model::ssm::{
    CancelCommandInput, CancelCommandOutput, CloudWatchOutputConfig, Command as CommandView,
    CommandFilter, CommandFilterKey, CommandInvocation, CommandPlugin, GetCommandInvocationInput,
    GetCommandInvocationOutput, ListCommandInvocationsInput, ListCommandInvocationsOutput,
    ListCommandsInput, ListCommandsOutput, NotificationConfig, SendCommandInput, SendCommandOutput,
    Target as TargetView, errors,
};
use ballast_store::{StoreError, Tx};
use ballast_wire::Timestamp;

use crate::ApiState;
use crate::error::{ErrorCode, HandlerError};

/// A failure of a Run Command handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::InvalidInstanceId(_) => errors::INVALID_INSTANCE_ID,
            Rule::InvalidCommandId(_) => errors::INVALID_COMMAND_ID,
            Rule::InvocationDoesNotExist(_) => errors::INVOCATION_DOES_NOT_EXIST,
            Rule::InvalidPluginName(_) => errors::INVALID_PLUGIN_NAME,
            Rule::InvalidNextToken => errors::INVALID_NEXT_TOKEN,
            Rule::InvalidFilterKey(_) => errors::INVALID_FILTER_KEY,
            Rule::InvalidFilterValue(_) => errors::INVALID_INSTANCE_INFORMATION_FILTER_VALUE,
            Rule::DuplicateInstanceId(_) => errors::DUPLICATE_INSTANCE_ID,
            Rule::InvalidDocument(_) => errors::INVALID_DOCUMENT,
            Rule::InvalidDocumentVersion(_) => errors::INVALID_DOCUMENT_VERSION,
            Rule::InvalidParameters(_) => errors::INVALID_PARAMETERS,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ssm;
}

/// SendCommand's default `TimeoutSeconds`.
const DEFAULT_TIMEOUT_SECONDS: i64 = 3600;

/// ListCommands' and ListCommandInvocations' largest page.
const MAX_PAGE: usize = 50;

fn validation(message: impl Into<String>) -> Rule {
    Rule::Validation(message.into())
}

pub(crate) fn send(state: &ApiState, input: SendCommandInput) -> Result<SendCommandOutput, Error> {
    let targets = requested_targets(&input)?;
    let max_concurrency = Limit::parse(
        input.max_concurrency.as_deref().unwrap_or("50"),
        "MaxConcurrency",
        false,
    )?;
    let max_errors = Limit::parse(
        input.max_errors.as_deref().unwrap_or("0"),
        "MaxErrors",
        true,
    )?;
    let supplied: Vec<(String, Vec<String>)> = input
        .parameters
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let now = state.now().millis();
    let command = state.store.write(|tx| -> Result<_, Error> {
        let document = super::command_steps::command_steps(
            tx,
            &input.document_name,
            input.document_version.as_deref(),
            &supplied,
        )?;
        let instances = resolve_targets(state, tx, &input.instance_ids, &targets)?;
        let command = Command {
            id: state.ids.request_id(),
            document_name: document_name(&input.document_name),
            document_version: document.version,
            comment: input.comment.clone().unwrap_or_default(),
            parameters: supplied.clone(),
            instance_ids: input.instance_ids.clone().unwrap_or_default(),
            targets,
            requested_millis: now,
            timeout_seconds: input
                .timeout_seconds
                .map_or(DEFAULT_TIMEOUT_SECONDS, i64::from),
            max_concurrency,
            max_errors,
            steps: document.steps,
            output: output_config(&input),
            cancel_requested: false,
            target_count: instances.len(),
        };
        let invocations: Vec<Invocation> = instances
            .iter()
            .map(|id| Invocation::new(&command, id))
            .collect();
        for invocation in &invocations {
            tx.save_invocation(invocation)?;
        }
        tx.save_command(&command, !invocations.is_empty())?;
        Ok(command)
    })?;
    state.messages.ring();
    let invocations = state.store.read(|tx| tx.invocations(&command.id))?;
    Ok(SendCommandOutput {
        command: Some(command_view(&command, &invocations)),
    })
}

/// The name a command shows: a document ARN's last part.
fn document_name(given: &str) -> String {
    match given.rsplit_once(":document/") {
        Some((_, name)) => name.to_owned(),
        None => given.to_owned(),
    }
}

/// `Targets` as given, after checking that exactly one of `InstanceIds`
/// and `Targets` says where the command goes.
fn requested_targets(input: &SendCommandInput) -> Result<Vec<Target>, Rule> {
    let targets: Vec<Target> = input
        .targets
        .iter()
        .flatten()
        .map(|t| Target {
            key: t.key.clone().unwrap_or_default(),
            values: t.values.clone().unwrap_or_default(),
        })
        .collect();
    let ids = input
        .instance_ids
        .as_ref()
        .is_some_and(|ids| !ids.is_empty());
    match (ids, targets.is_empty()) {
        (true, false) => Err(validation(
            "InstanceIds and Targets cannot be specified together.",
        )),
        (false, true) => Err(validation(
            "Either InstanceIds or Targets must be specified.",
        )),
        _ => Ok(targets),
    }
}

/// The managed instances a command goes to, by id. `InstanceIds` must all
/// be managed (`InvalidInstanceId` otherwise); `Targets` select among the
/// managed instances.
fn resolve_targets(
    state: &ApiState,
    tx: &Tx<'_>,
    ids: &Option<Vec<String>>,
    targets: &[Target],
) -> Result<Vec<String>, Error> {
    let managed: Vec<String> = tx
        .managed_instances()?
        .into_iter()
        .map(|m| m.instance_id)
        .filter(|id| {
            tx.instance(id)
                .ok()
                .flatten()
                .is_some_and(|i| i.state != InstanceState::Terminated)
        })
        .collect();
    if let Some(ids) = ids.as_ref().filter(|ids| !ids.is_empty()) {
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = ids.iter().find(|id| !seen.insert(id.as_str())) {
            return Err(Rule::DuplicateInstanceId(dup.clone()).into());
        }
        let unmanaged: Vec<&String> = ids.iter().filter(|id| !managed.contains(id)).collect();
        if !unmanaged.is_empty() {
            return Err(not_managed(state, &unmanaged).into());
        }
        return Ok(ids.clone());
    }
    let mut chosen = Vec::new();
    for id in managed {
        let tags = tx.tags(&id)?;
        if targets.iter().all(|t| t.selects(&id, &tags)) {
            chosen.push(id);
        }
    }
    for target in targets {
        let known = target.key == "InstanceIds"
            || target.key == "tag-key"
            || target.key.starts_with("tag:");
        if !known {
            return Err(validation(format!(
                "Target key {} is not supported; use InstanceIds, tag:KEY or tag-key.",
                target.key
            ))
            .into());
        }
        if target.key == "InstanceIds"
            && let Some(unmanaged) = target.values.iter().find(|id| !chosen.contains(id))
        {
            return Err(not_managed(state, &[unmanaged]).into());
        }
    }
    Ok(chosen)
}

/// `InvalidInstanceId` for instances no agent manages.
fn not_managed(state: &ApiState, ids: &[&String]) -> Rule {
    let list: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
    Rule::InvalidInstanceId(format!(
        "Instances [[{}]] not in a valid state for account {}",
        list.join(", "),
        state.scope.account
    ))
}

fn output_config(input: &SendCommandInput) -> OutputConfig {
    let notification = input.notification_config.as_ref();
    let cloudwatch = input.cloud_watch_output_config.as_ref();
    OutputConfig {
        s3_region: input.output_s3_region.clone(),
        s3_bucket_name: input.output_s3_bucket_name.clone(),
        s3_key_prefix: input.output_s3_key_prefix.clone(),
        service_role_arn: input.service_role_arn.clone(),
        cloudwatch_log_group: cloudwatch.and_then(|c| c.cloud_watch_log_group_name.clone()),
        cloudwatch_enabled: cloudwatch.and_then(|c| c.cloud_watch_output_enabled) == Some(true),
        notification_arn: notification.and_then(|n| n.notification_arn.clone()),
        notification_events: notification
            .and_then(|n| n.notification_events.as_ref())
            .map(|events| events.iter().map(|e| e.to_string()).collect())
            .unwrap_or_default(),
        notification_type: notification
            .and_then(|n| n.notification_type.as_ref())
            .map(|t| t.to_string()),
    }
}

/// A command and its invocations as of now: [`command::settle`]d and, if
/// that changed anything, saved. `None` for an unknown id.
pub(crate) fn settled(
    state: &ApiState,
    tx: &Tx<'_>,
    id: &str,
) -> Result<Option<(Command, Vec<Invocation>)>, StoreError> {
    let Some(command) = tx.command(id)? else {
        return Ok(None);
    };
    let mut invocations = tx.invocations(id)?;
    let mut hosts = BTreeMap::new();
    for invocation in &invocations {
        let state = tx.instance(&invocation.instance_id)?.map(|i| i.state);
        hosts.insert(invocation.instance_id.clone(), Host::of(state));
    }
    let now = state.now().millis();
    let changed = command::settle(
        &command,
        &mut invocations,
        |id| hosts.get(id).copied().unwrap_or(Host::Gone),
        now,
        state.time_scale.factor(),
    );
    if changed {
        for invocation in &invocations {
            tx.save_invocation(invocation)?;
        }
        let open = invocations.iter().any(|i| !i.detail.is_final());
        tx.save_command(&command, open)?;
        state.messages.ring();
    }
    Ok(Some((command, invocations)))
}

/// A command id: a UUID, 36 characters.
fn check_command_id(id: &str) -> Result<(), Rule> {
    if id.len() != 36 {
        return Err(validation(format!(
            "1 validation error detected: Value '{id}' at 'commandId' failed to satisfy constraint: Member must have length less than or equal to 36"
        )));
    }
    Ok(())
}

pub(crate) fn list_commands(
    state: &ApiState,
    input: ListCommandsInput,
) -> Result<ListCommandsOutput, Error> {
    let filters = CommandFilters::parse(input.filters.as_deref().unwrap_or_default())?;
    let (size, offset) = page_request(input.max_results, input.next_token.as_deref())?;
    let selected = state.store.write(|tx| -> Result<_, Error> {
        let ids: Vec<String> = match &input.command_id {
            Some(id) => {
                check_command_id(id)?;
                match tx.command(id)? {
                    Some(c) => vec![c.id],
                    None => return Err(Rule::InvalidCommandId(String::new()).into()),
                }
            }
            None => tx.commands()?.into_iter().map(|c| c.id).collect(),
        };
        let mut out = Vec::new();
        for id in ids {
            let Some((command, invocations)) = settled(state, tx, &id)? else {
                continue;
            };
            let on_instance = input
                .instance_id
                .as_ref()
                .is_none_or(|wanted| invocations.iter().any(|i| &i.instance_id == wanted));
            let status = command::rollup(&command, &invocations).status;
            if on_instance && filters.keep(&command, status) {
                out.push(command_view(&command, &invocations));
            }
        }
        Ok(out)
    })?;
    let (commands, next_token) = paged(selected, size, offset);
    Ok(ListCommandsOutput {
        commands: Some(commands),
        next_token,
    })
}

pub(crate) fn list_invocations(
    state: &ApiState,
    input: ListCommandInvocationsInput,
) -> Result<ListCommandInvocationsOutput, Error> {
    let filters = CommandFilters::parse(input.filters.as_deref().unwrap_or_default())?;
    let (size, offset) = page_request(input.max_results, input.next_token.as_deref())?;
    let details = input.details == Some(true);
    let selected = state.store.write(|tx| -> Result<_, Error> {
        let ids: Vec<String> = match &input.command_id {
            Some(id) => {
                check_command_id(id)?;
                vec![id.clone()]
            }
            None => tx.commands()?.into_iter().map(|c| c.id).collect(),
        };
        let mut out = Vec::new();
        for id in ids {
            let Some((command, invocations)) = settled(state, tx, &id)? else {
                if input.command_id.is_some() {
                    return Err(Rule::InvalidCommandId(String::new()).into());
                }
                continue;
            };
            for invocation in &invocations {
                let on_instance = input
                    .instance_id
                    .as_ref()
                    .is_none_or(|wanted| &invocation.instance_id == wanted);
                if on_instance && filters.keep(&command, invocation.detail.status()) {
                    let name = instance_name(tx, &invocation.instance_id)?;
                    out.push(invocation_view(&command, invocation, name, details));
                }
            }
        }
        Ok(out)
    })?;
    let (command_invocations, next_token) = paged(selected, size, offset);
    Ok(ListCommandInvocationsOutput {
        command_invocations: Some(command_invocations),
        next_token,
    })
}

pub(crate) fn get_invocation(
    state: &ApiState,
    input: GetCommandInvocationInput,
) -> Result<GetCommandInvocationOutput, Error> {
    check_command_id(&input.command_id)?;
    let found = state.store.write(|tx| -> Result<_, Error> {
        let Some((command, invocations)) = settled(state, tx, &input.command_id)? else {
            return Err(Rule::InvocationDoesNotExist(String::new()).into());
        };
        let invocation = invocations
            .into_iter()
            .find(|i| i.instance_id == input.instance_id)
            .ok_or_else(|| Rule::InvocationDoesNotExist(String::new()))?;
        Ok((command, invocation))
    })?;
    let (command, invocation) = found;
    let step = match &input.plugin_name {
        Some(name) => invocation
            .steps
            .iter()
            .find(|s| &s.name == name)
            .ok_or_else(|| Rule::InvalidPluginName(String::new()))?,
        None => invocation
            .steps
            .first()
            .ok_or_else(|| Rule::InvalidPluginName(String::new()))?,
    };
    let (status, details) = if input.plugin_name.is_some() {
        (step.detail.status(), step.detail.text())
    } else {
        (invocation.detail.status(), invocation.detail.text())
    };
    Ok(GetCommandInvocationOutput {
        command_id: Some(command.id.clone()),
        instance_id: Some(invocation.instance_id.clone()),
        comment: Some(command.comment.clone()),
        document_name: Some(command.document_name.clone()),
        document_version: Some(command.document_version.clone()),
        plugin_name: Some(step.name.clone()),
        response_code: Some(step.response_code),
        execution_start_date_time: Some(step.started_millis.map(iso).unwrap_or_default()),
        execution_elapsed_time: Some(elapsed(step.started_millis, step.finished_millis)),
        execution_end_date_time: Some(step.finished_millis.map(iso).unwrap_or_default()),
        status: Some(status.into()),
        status_details: Some(details.to_owned()),
        standard_output_content: Some(command::truncated(&step.stdout, command::OUTPUT_LIMIT)),
        standard_output_url: Some(String::new()),
        standard_error_content: Some(command::truncated(&step.stderr, command::OUTPUT_LIMIT)),
        standard_error_url: Some(String::new()),
        cloud_watch_output_config: Some(cloudwatch_view(&command.output)),
    })
}

pub(crate) fn cancel(
    state: &ApiState,
    input: CancelCommandInput,
) -> Result<CancelCommandOutput, Error> {
    check_command_id(&input.command_id)?;
    state.store.write(|tx| -> Result<_, Error> {
        let Some(mut command) = tx.command(&input.command_id)? else {
            return Err(Rule::InvalidCommandId(String::new()).into());
        };
        match input.instance_ids.as_ref().filter(|ids| !ids.is_empty()) {
            // Cancelling some instances ends only their invocations.
            Some(ids) => {
                let now = state.now().millis();
                for mut invocation in tx.invocations(&command.id)? {
                    if ids.contains(&invocation.instance_id) && !invocation.detail.is_final() {
                        invocation.cancel(now);
                        tx.save_invocation(&invocation)?;
                    }
                }
            }
            None => {
                command.cancel_requested = true;
                tx.save_command(&command, true)?;
            }
        }
        settled(state, tx, &command.id)?;
        Ok(())
    })?;
    state.messages.ring();
    Ok(CancelCommandOutput {})
}

/// ListCommands' and ListCommandInvocations' `Filters`.
#[derive(Debug, Default)]
struct CommandFilters {
    after: Option<i64>,
    before: Option<i64>,
    status: Option<String>,
    document_name: Option<String>,
}

impl CommandFilters {
    fn parse(filters: &[CommandFilter]) -> Result<Self, Rule> {
        let mut out = CommandFilters::default();
        for filter in filters {
            let value = filter.value.clone();
            match filter.key {
                CommandFilterKey::InvokedAfter => out.after = Some(parse_time(&value)?),
                CommandFilterKey::InvokedBefore => out.before = Some(parse_time(&value)?),
                CommandFilterKey::Status => out.status = Some(value),
                CommandFilterKey::DocumentName => out.document_name = Some(value),
                CommandFilterKey::ExecutionStage => {}
                _ => return Err(Rule::InvalidFilterKey(String::new())),
            }
        }
        Ok(out)
    }

    fn keep(&self, command: &Command, status: &str) -> bool {
        self.after.is_none_or(|t| command.requested_millis >= t)
            && self.before.is_none_or(|t| command.requested_millis <= t)
            && self.status.as_ref().is_none_or(|s| s == status)
            && self
                .document_name
                .as_ref()
                .is_none_or(|n| n == &command.document_name)
    }
}

fn parse_time(text: &str) -> Result<i64, Rule> {
    Timestamp::parse_iso8601(text)
        .map(Timestamp::millis)
        .ok_or_else(|| validation(format!("Invalid date value {text}")))
}

/// A page request: its size (1–50, default 50) and the offset its token
/// names.
fn page_request(max: Option<i32>, token: Option<&str>) -> Result<(usize, usize), Rule> {
    let size = match max {
        None => MAX_PAGE,
        Some(n) if (1..=MAX_PAGE as i32).contains(&n) => n as usize,
        Some(n) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"
            )));
        }
    };
    let offset = match token {
        None | Some("") => 0,
        Some(token) => decode_token(token)
            .and_then(|t| t.parse().ok())
            .ok_or(Rule::InvalidNextToken)?,
    };
    Ok((size, offset))
}

fn paged<T>(items: Vec<T>, size: usize, offset: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(size).collect();
    let next = (offset + size < total).then(|| encode_token(&(offset + size).to_string()));
    (page, next)
}

fn instance_name(tx: &Tx<'_>, id: &str) -> Result<String, StoreError> {
    Ok(tx
        .managed_instance(id)?
        .map(|m| m.computer_name)
        .unwrap_or_default())
}

fn command_view(command: &Command, invocations: &[Invocation]) -> CommandView {
    let rollup = command::rollup(command, invocations);
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    CommandView {
        command_id: Some(command.id.clone()),
        document_name: Some(command.document_name.clone()),
        document_version: Some(command.document_version.clone()),
        comment: Some(command.comment.clone()),
        expires_after: Some(Timestamp::from_millis(
            command.requested_millis + command.timeout_seconds * 1000,
        )),
        parameters: Some(command.parameters.iter().cloned().collect()),
        instance_ids: Some(command.instance_ids.clone()),
        targets: Some(
            command
                .targets
                .iter()
                .map(|t| TargetView {
                    key: Some(t.key.clone()),
                    values: Some(t.values.clone()),
                })
                .collect(),
        ),
        requested_date_time: Some(Timestamp::from_millis(command.requested_millis)),
        status: Some(rollup.status.into()),
        status_details: Some(rollup.details.to_owned()),
        output_s3_region: Some(command.output.s3_region.clone().unwrap_or_default()),
        output_s3_bucket_name: Some(command.output.s3_bucket_name.clone().unwrap_or_default()),
        output_s3_key_prefix: Some(command.output.s3_key_prefix.clone().unwrap_or_default()),
        max_concurrency: Some(command.max_concurrency.text()),
        max_errors: Some(command.max_errors.text()),
        target_count: Some(count(command.target_count)),
        completed_count: Some(count(rollup.completed)),
        error_count: Some(count(rollup.errors)),
        delivery_timed_out_count: Some(count(rollup.delivery_timed_out)),
        service_role: Some(command.output.service_role_arn.clone().unwrap_or_default()),
        notification_config: Some(notification_view(&command.output)),
        cloud_watch_output_config: Some(cloudwatch_view(&command.output)),
        timeout_seconds: i32::try_from(command.timeout_seconds).ok(),
        ..Default::default()
    }
}

fn notification_view(output: &OutputConfig) -> NotificationConfig {
    NotificationConfig {
        notification_arn: Some(output.notification_arn.clone().unwrap_or_default()),
        notification_events: Some(
            output
                .notification_events
                .iter()
                .map(|e| e.as_str().into())
                .collect(),
        ),
        notification_type: output.notification_type.as_deref().map(Into::into),
    }
}

fn cloudwatch_view(output: &OutputConfig) -> CloudWatchOutputConfig {
    CloudWatchOutputConfig {
        cloud_watch_log_group_name: Some(output.cloudwatch_log_group.clone().unwrap_or_default()),
        cloud_watch_output_enabled: Some(output.cloudwatch_enabled),
    }
}

fn invocation_view(
    command: &Command,
    invocation: &Invocation,
    instance_name: String,
    details: bool,
) -> CommandInvocation {
    let plugins = details.then(|| {
        invocation
            .steps
            .iter()
            .map(|step| CommandPlugin {
                name: Some(step.name.clone()),
                status: Some(step.detail.status().into()),
                status_details: Some(step.detail.text().to_owned()),
                response_code: Some(step.response_code),
                response_start_date_time: step.started_millis.map(Timestamp::from_millis),
                response_finish_date_time: step.finished_millis.map(Timestamp::from_millis),
                output: Some(command::truncated(
                    &format!("{}{}", step.stdout, step.stderr),
                    command::LIST_OUTPUT_LIMIT,
                )),
                standard_output_url: Some(String::new()),
                standard_error_url: Some(String::new()),
                output_s3_region: Some(command.output.s3_region.clone().unwrap_or_default()),
                output_s3_bucket_name: Some(
                    command.output.s3_bucket_name.clone().unwrap_or_default(),
                ),
                output_s3_key_prefix: Some(
                    command.output.s3_key_prefix.clone().unwrap_or_default(),
                ),
            })
            .collect()
    });
    CommandInvocation {
        command_id: Some(command.id.clone()),
        instance_id: Some(invocation.instance_id.clone()),
        instance_name: Some(instance_name),
        comment: Some(command.comment.clone()),
        document_name: Some(command.document_name.clone()),
        document_version: Some(command.document_version.clone()),
        requested_date_time: Some(Timestamp::from_millis(invocation.requested_millis)),
        status: Some(invocation.detail.status().into()),
        status_details: Some(invocation.detail.text().to_owned()),
        trace_output: Some(String::new()),
        standard_output_url: Some(String::new()),
        standard_error_url: Some(String::new()),
        command_plugins: Some(plugins.unwrap_or_default()),
        service_role: Some(command.output.service_role_arn.clone().unwrap_or_default()),
        notification_config: Some(notification_view(&command.output)),
        cloud_watch_output_config: Some(cloudwatch_view(&command.output)),
    }
}

fn iso(millis: i64) -> String {
    ballast_core::clock::iso8601_millis(millis)
}

/// `ExecutionElapsedTime`: an ISO 8601 duration (`PT0.069S`).
fn elapsed(start: Option<i64>, end: Option<i64>) -> String {
    match (start, end) {
        (Some(start), Some(end)) => {
            let millis = (end - start).max(0);
            format!("PT{}.{:03}S", millis / 1000, millis % 1000)
        }
        _ => String::new(),
    }
}
