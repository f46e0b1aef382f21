//! Managed instances: UpdateInstanceInformation (the agent registering
//! and pinging) and DescribeInstanceInformation.

use ballast_core::ssm::command::Error as Rule;
use ballast_core::ssm::managed::{self, ManagedInstance};
use ballast_model::ssm::{
    DescribeInstanceInformationInput, DescribeInstanceInformationOutput, InstanceInformation,
};
use ballast_wire::Timestamp;
use ballast_wire::agent::{Empty, UpdateInstanceInformationInput};

use super::commands::Error;
use crate::auth::Principal;
use crate::{ApiState, RequestContext};

/// The largest page DescribeInstanceInformation returns.
const MAX_PAGE: i32 = 50;

/// Registers the calling instance, or records that it is still alive. Only
/// an instance's own credentials (or the account's root) may speak for it.
pub(crate) fn update(
    state: &ApiState,
    ctx: &RequestContext,
    input: UpdateInstanceInformationInput,
) -> Result<Empty, Error> {
    if let Principal::AssumedRole(session) = &ctx.principal
        && session.session_name != input.instance_id
    {
        return Err(Rule::InvalidInstanceId(format!(
            "The caller is not instance {}.",
            input.instance_id
        ))
        .into());
    }
    let now = state.now().millis();
    state.store.write(|tx| -> Result<_, Error> {
        if tx.instance(&input.instance_id)?.is_none() {
            return Err(Rule::InvalidInstanceId(format!(
                "Instance {} does not exist.",
                input.instance_id
            ))
            .into());
        }
        let registered = tx
            .managed_instance(&input.instance_id)?
            .map_or(now, |m| m.registered_millis);
        tx.save_managed_instance(&ManagedInstance {
            instance_id: input.instance_id.clone(),
            agent_name: input.agent_name.clone(),
            agent_version: input.agent_version.clone(),
            platform_type: input.platform_type.clone(),
            platform_name: input.platform_name.clone(),
            platform_version: input.platform_version.clone(),
            ip_address: input.ip_address.clone(),
            computer_name: input.computer_name.clone(),
            registered_millis: registered,
            last_ping_millis: now,
        })?;
        Ok(())
    })?;
    state.messages.ring();
    Ok(Empty {})
}

/// One filter, whichever list it came in.
struct Filter {
    key: String,
    values: Vec<String>,
}

pub(crate) fn describe(
    state: &ApiState,
    input: DescribeInstanceInformationInput,
) -> Result<DescribeInstanceInformationOutput, Error> {
    let size = match input.max_results {
        None => MAX_PAGE as usize,
        Some(n) if (5..=MAX_PAGE).contains(&n) => n as usize,
        Some(n) => {
            return Err(Rule::Validation(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50"
            ))
            .into());
        }
    };
    let offset = match input.next_token.as_deref() {
        None | Some("") => 0,
        Some(token) => ballast_core::paging::decode_token(token)
            .and_then(|t| t.parse::<usize>().ok())
            .ok_or(Rule::InvalidNextToken)?,
    };
    let filters = filters(&input)?;
    let now = state.now().millis();
    let scale = state.time_scale.factor();
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let mut out = Vec::new();
        for managed in tx.managed_instances()? {
            let Some(instance) = tx.instance(&managed.instance_id)? else {
                continue;
            };
            if instance.state == ballast_core::ec2::InstanceState::Terminated {
                continue;
            }
            let ping = managed::ping_status(&managed, instance.state.is_up(), now, scale);
            let tags = tx.tags(&managed.instance_id)?;
            let role = match &instance.profile {
                Some(p) => tx
                    .instance_profile_by_arn(&p.profile_arn)?
                    .and_then(|p| p.role_name)
                    .unwrap_or_default(),
                None => String::new(),
            };
            if filters.iter().all(|f| keeps(f, &managed, ping, &tags)) {
                out.push(view(managed, ping, role));
            }
        }
        Ok(out)
    })?;
    let total = selected.len();
    let page: Vec<_> = selected.into_iter().skip(offset).take(size).collect();
    let next_token = (offset + size < total)
        .then(|| ballast_core::paging::encode_token(&(offset + size).to_string()));
    Ok(DescribeInstanceInformationOutput {
        instance_information_list: Some(page),
        next_token,
    })
}

/// Both filter lists as one, their keys checked.
fn filters(input: &DescribeInstanceInformationInput) -> Result<Vec<Filter>, Rule> {
    let mut out: Vec<Filter> = input
        .instance_information_filter_list
        .iter()
        .flatten()
        .map(|f| Filter {
            key: f.key.to_string(),
            values: f.value_set.clone(),
        })
        .collect();
    for f in input.filters.iter().flatten() {
        out.push(Filter {
            key: f.key.clone(),
            values: f.values.clone(),
        });
    }
    for f in &out {
        let known = matches!(
            f.key.as_str(),
            "InstanceIds" | "AgentVersion" | "PingStatus" | "PlatformTypes" | "ResourceType"
        ) || f.key.starts_with("tag:")
            || f.key == "tag-key";
        if !known {
            return Err(Rule::InvalidFilterKey(format!(
                "The filter key {} is not valid.",
                f.key
            )));
        }
        if f.values.is_empty() {
            return Err(Rule::InvalidFilterValue(format!(
                "The filter {} has no values.",
                f.key
            )));
        }
    }
    Ok(out)
}

fn keeps(filter: &Filter, m: &ManagedInstance, ping: &str, tags: &[(String, String)]) -> bool {
    let has = |value: &str| filter.values.iter().any(|v| v == value);
    match filter.key.as_str() {
        "InstanceIds" => has(&m.instance_id),
        "AgentVersion" => has(&m.agent_version),
        "PingStatus" => has(ping),
        "PlatformTypes" => has(&m.platform_type),
        "ResourceType" => has("EC2Instance"),
        "tag-key" => tags.iter().any(|(k, _)| has(k)),
        key => match key.strip_prefix("tag:") {
            Some(key) => tags.iter().any(|(k, v)| k == key && has(v)),
            None => false,
        },
    }
}

fn view(m: ManagedInstance, ping: &str, role: String) -> InstanceInformation {
    InstanceInformation {
        instance_id: Some(m.instance_id),
        ping_status: Some(ping.into()),
        last_ping_date_time: Some(Timestamp::from_millis(m.last_ping_millis)),
        agent_version: Some(m.agent_version),
        is_latest_version: Some(true),
        platform_type: Some(m.platform_type.as_str().into()),
        platform_name: Some(m.platform_name),
        platform_version: Some(m.platform_version),
        iam_role: Some(role),
        registration_date: Some(Timestamp::from_millis(m.registered_millis)),
        resource_type: Some("EC2Instance".into()),
        ip_address: Some(m.ip_address),
        computer_name: Some(m.computer_name),
        association_status: Some(String::new()),
        source_id: None,
        ..Default::default()
    }
}
