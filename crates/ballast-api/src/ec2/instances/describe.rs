//! DescribeInstances, DescribeInstanceStatus and GetConsoleOutput.

use ballast_core::ec2::address::Described;
use ballast_core::ec2::instance::{self as inst, Instance, InstanceState};
use ballast_core::ec2::{self, Error as Rule, filter};
use ballast_core::paging::page;
use ballast_model::XmlList;
use ballast_model::ec2::{
    DescribeInstanceStatusInput, DescribeInstanceStatusOutput, DescribeInstancesInput,
    DescribeInstancesOutput, GetConsoleOutputInput, GetConsoleOutputOutput, InstanceStatus,
    InstanceStatusDetails, InstanceStatusSummary, ItemsInstanceId, RunInstancesOutput,
};
use ballast_wire::Timestamp;
use base64::Engine as _;

use super::{Error, check_id, named, one, state_view, view};
use crate::ApiState;
use crate::ec2::{core_filters, describe_page, dry_run, filters};

/// GetConsoleOutput returns at most the last 64 KB, as EC2 does.
const CONSOLE_LIMIT: usize = 64 * 1024;

/// An instance with its tags.
type Tagged = (Instance, Vec<(String, String)>);

/// The instances a Describe call selects, with their tags, ordered by id
/// (the paging key).
fn select(
    state: &ApiState,
    ids: &Option<XmlList<String, ItemsInstanceId>>,
    filters: &[ec2::Filter],
    keep: impl Fn(&Instance) -> bool,
) -> Result<Vec<Tagged>, Error> {
    for id in ids.iter().flatten() {
        check_id(id)?;
    }
    let now = state.now().millis();
    let visible_for = state.time_scale.scale(inst::TERMINATED_VISIBLE_FOR);
    state.store.read(|tx| -> Result<_, Error> {
        let mut instances = match ids {
            Some(ids) if !ids.is_empty() => named(tx, ids)?,
            _ => tx.instances()?,
        };
        // A terminated instance past its visibility is gone even if the
        // fleet has not deleted it yet.
        instances.retain(|i| !i.expired(now, visible_for));
        if let Some(ids) = ids.as_ref().filter(|ids| !ids.is_empty()) {
            let missing: Vec<String> = ids
                .iter()
                .filter(|id| !instances.iter().any(|i| &i.id == *id))
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(Rule::InstanceNotFound(missing).into());
            }
        }
        instances.sort_by(|a, b| a.id.cmp(&b.id));
        let mut out = Vec::new();
        for instance in instances {
            if !keep(&instance) {
                continue;
            }
            let tags = tx.tags(&instance.id)?;
            let public_ip = if filters.is_empty() {
                None
            } else {
                tx.instance_public_ip(&instance.id)?
            };
            let described = Described {
                instance: &instance,
                public_ip,
                region: &state.scope.region,
            };
            if filter::matches(&described, &tags, filters) {
                out.push((instance, tags));
            }
        }
        Ok(out)
    })
}

fn check_paging_with_ids(
    ids: &Option<XmlList<String, ItemsInstanceId>>,
    max: Option<i32>,
) -> Result<(), Rule> {
    if ids.as_ref().is_some_and(|ids| !ids.is_empty()) && max.is_some() {
        return Err(Rule::InvalidParameterCombination(
            "The parameter instancesSet cannot be used with the parameter maxResults".to_owned(),
        ));
    }
    Ok(())
}

pub(crate) fn describe(
    state: &ApiState,
    input: DescribeInstancesInput,
) -> Result<DescribeInstancesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<Described<'_>>(input.filters)?;
    check_paging_with_ids(&input.instance_ids, input.max_results)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let selected = select(state, &input.instance_ids, &filters, |_| true)?;
    let (selected, next_token) = page(selected, |(i, _)| i.id.as_str(), after.as_deref(), size);
    let (volumes, public_ips) = state.store.read(|tx| {
        let volumes = selected
            .iter()
            .map(|(i, _)| tx.instance_volumes(&i.id))
            .collect::<Result<Vec<_>, _>>()?;
        let public_ips = selected
            .iter()
            .map(|(i, _)| tx.instance_public_ip(&i.id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, ballast_store::StoreError>((volumes, public_ips))
    })?;
    Ok(DescribeInstancesOutput {
        reservations: Some(reservations(state, selected, volumes, public_ips)),
        next_token,
    })
}

/// Groups instances by reservation, in order of first appearance (the
/// model's `Reservation`, generated as `RunInstancesOutput`), each with
/// its attached volumes and public address (`volumes[i]` and
/// `public_ips[i]` are `instances[i]`'s).
fn reservations(
    state: &ApiState,
    instances: Vec<Tagged>,
    volumes: Vec<Vec<ec2::Volume>>,
    public_ips: Vec<Option<std::net::Ipv4Addr>>,
) -> Vec<RunInstancesOutput> {
    let mut out: Vec<RunInstancesOutput> = Vec::new();
    for (((instance, tags), volumes), public_ip) in
        instances.into_iter().zip(volumes).zip(public_ips)
    {
        let mut shown = view(state, &instance, tags);
        shown.block_device_mappings = Some(crate::ec2::volumes::block_devices(&volumes));
        if let Some(ip) = public_ip {
            shown.public_ip_address = Some(ip.to_string());
            shown.public_dns_name = Some(ec2::address::public_dns_name(ip, &state.scope.region));
        }
        match out
            .iter_mut()
            .find(|r| r.reservation_id.as_deref() == Some(instance.reservation_id.as_str()))
        {
            Some(reservation) => reservation.instances.get_or_insert_default().push(shown),
            None => out.push(RunInstancesOutput {
                reservation_id: Some(instance.reservation_id.clone()),
                owner_id: Some(state.scope.account.clone()),
                groups: Some(Vec::new()),
                instances: Some(vec![shown]),
                requester_id: None,
            }),
        }
    }
    out
}

/// The facts DescribeInstanceStatus filters on.
struct StatusRow<'a> {
    instance: &'a Instance,
    status: &'static str,
}

impl filter::Filterable for StatusRow<'_> {
    const FILTERS: &'static [&'static str] = &[
        "availability-zone",
        "instance-state-code",
        "instance-state-name",
        "instance-status.status",
        "instance-status.reachability",
        "system-status.status",
        "system-status.reachability",
    ];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            "availability-zone" => self.instance.zone.clone(),
            "instance-state-code" => self.instance.state.code().to_string(),
            "instance-state-name" => self.instance.state.name().to_owned(),
            "instance-status.status" | "system-status.status" => self.status.to_owned(),
            "instance-status.reachability" | "system-status.reachability" => {
                reachability(self.status).to_owned()
            }
            _ => return Vec::new(),
        };
        vec![value]
    }
}

fn reachability(status: &str) -> &'static str {
    match status {
        "ok" => "passed",
        "initializing" => "initializing",
        "impaired" => "failed",
        _ => "insufficient-data",
    }
}

fn summary(status: &'static str) -> InstanceStatusSummary {
    InstanceStatusSummary {
        status: Some(status.into()),
        details: Some(if status == "not-applicable" {
            Vec::new()
        } else {
            vec![InstanceStatusDetails {
                name: Some("reachability".into()),
                status: Some(reachability(status).into()),
                impaired_since: None,
            }]
        }),
    }
}

pub(crate) fn describe_status(
    state: &ApiState,
    input: DescribeInstanceStatusInput,
) -> Result<DescribeInstanceStatusOutput, Error> {
    dry_run(input.dry_run)?;
    let filters: Vec<ec2::Filter> = core_filters(input.filters)?;
    filter::check::<StatusRow<'_>>(&filters)?;
    check_paging_with_ids(&input.instance_ids, input.max_results)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let all = input.include_all_instances.unwrap_or(false);
    let selected = select(state, &input.instance_ids, &[], |i| {
        all || i.state == InstanceState::Running
    })?;
    let now = state.now().millis();
    let initializing = state.time_scale.scale(inst::STATUS_INITIALIZING_FOR);
    let rows: Vec<(Instance, &'static str)> = selected
        .into_iter()
        .map(|(i, _)| {
            let status = i.status(now, initializing);
            (i, status)
        })
        .filter(|(instance, status)| {
            let row = StatusRow { instance, status };
            filter::matches(&row, &[], &filters)
        })
        .collect();
    let (rows, next_token) = page(rows, |(i, _)| i.id.as_str(), after.as_deref(), size);
    Ok(DescribeInstanceStatusOutput {
        instance_statuses: Some(
            rows.into_iter()
                .map(|(instance, status)| InstanceStatus {
                    instance_id: Some(instance.id.clone()),
                    availability_zone: Some(instance.zone.clone()),
                    events: Some(Vec::new()),
                    instance_state: Some(state_view(instance.state)),
                    instance_status: Some(summary(status)),
                    system_status: Some(summary(status)),
                    ..Default::default()
                })
                .collect(),
        ),
        next_token,
    })
}

pub(crate) fn console_output(
    state: &ApiState,
    input: GetConsoleOutputInput,
) -> Result<GetConsoleOutputOutput, Error> {
    let instance = state
        .store
        .read(|tx| one(tx, Some(input.instance_id.as_str())))?;
    dry_run(input.dry_run)?;
    let output = state
        .fleet
        .console_output(&instance.id, CONSOLE_LIMIT)
        .unwrap_or_default();
    Ok(GetConsoleOutputOutput {
        instance_id: Some(instance.id),
        timestamp: Some(Timestamp::from_millis(state.now().millis())),
        output: Some(base64::engine::general_purpose::STANDARD.encode(output)),
    })
}
