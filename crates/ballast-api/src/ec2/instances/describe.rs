//! DescribeInstances, DescribeInstanceStatus and GetConsoleOutput.

use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};

use ballast_core::ec2::address::Described;
use ballast_core::ec2::instance::{self as inst, Instance, InstanceState};
use ballast_core::ec2::{self, Error as Rule, filter};
use ballast_core::paging::page;
use ballast_model::ec2 as wire;
use ballast_model::ec2::{
    DescribeInstanceStatusInput, DescribeInstanceStatusOutput, DescribeInstancesInput,
    DescribeInstancesOutput, GetConsoleOutputInput, GetConsoleOutputOutput, InstanceStatus,
    InstanceStatusDetails, InstanceStatusSummary, ItemsInstanceId, RunInstancesOutput,
};
use ballast_model::{Prewritten, XmlList};
use ballast_store::{StoreError, Tx};
use ballast_wire::Timestamp;
use ballast_wire::xml::EC2_ITEM;
use base64::Engine as _;

use super::{Error, check_id, one, state_view, view};
use crate::ec2::{core_filters, describe_page, dry_run, filters};
use crate::{ApiState, RequestContext};

/// GetConsoleOutput returns at most the last 64 KB, as EC2 does.
const CONSOLE_LIMIT: usize = 64 * 1024;

/// Every instance, ordered by id (the paging key), with what Describe
/// calls show beside it; kept in [`crate::state::Memos`] until the next
/// write, since scripts poll DescribeInstances while waiting for a state.
#[derive(Debug)]
pub(crate) struct Listing(Vec<Listed>);

/// One instance with its tags, attached volumes and public address.
#[derive(Debug)]
pub(crate) struct Listed {
    instance: Instance,
    tags: Vec<(String, String)>,
    volumes: Vec<ec2::Volume>,
    public_ip: Option<Ipv4Addr>,
    /// How Describe shows it, made by the first Describe that selects it
    /// and kept with the listing: a poll after poll then copies it rather
    /// than formatting every name, address and time again.
    shown: OnceLock<wire::Instance>,
    /// `shown` written as XML, kept the same way: an XML answer splices
    /// it in rather than copying and writing the structure again.
    written: OnceLock<Arc<str>>,
}

impl Listed {
    fn shown(&self, state: &ApiState) -> &wire::Instance {
        self.shown.get_or_init(|| {
            let mut shown = view(state, &self.instance, self.tags.clone());
            shown.block_device_mappings = Some(crate::ec2::volumes::block_devices(&self.volumes));
            if let Some(ip) = self.public_ip {
                let public_dns_name = ec2::address::public_dns_name(ip, &state.scope.region);
                shown.public_ip_address = Some(ip.to_string());
                shown.public_dns_name = Some(public_dns_name.clone());
                let association = wire::InstanceNetworkInterfaceAssociation {
                    public_ip: Some(ip.to_string()),
                    public_dns_name: Some(public_dns_name),
                    ip_owner_id: Some("amazon".to_owned()),
                    ..Default::default()
                };
                for interface in shown.network_interfaces.iter_mut().flatten() {
                    interface.association = Some(association.clone());
                    for address in interface.private_ip_addresses.iter_mut().flatten() {
                        address.association = Some(association.clone());
                    }
                }
            }
            shown
        })
    }

    /// The instance as an answer carries it: its kept XML when the answer
    /// is XML, else (JSON for Automation) the structure. A structure the
    /// XML writer refuses goes over as it is, and the answer's encoding
    /// then reports the failure.
    fn answer(&self, state: &ApiState, form: Form) -> Prewritten<wire::Instance> {
        let shown = self.shown(state);
        if let Form::Xml = form {
            if let Some(written) = self.written.get() {
                return Prewritten::Xml(written.clone());
            }
            if let Ok(written) = Prewritten::write(shown, EC2_ITEM) {
                return Prewritten::Xml(self.written.get_or_init(|| written).clone());
            }
        }
        shown.clone().into()
    }
}

/// The form the answer is written in, which decides whether kept XML
/// can go in as it is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Form {
    Xml,
    Json,
}

impl Form {
    pub(crate) fn of(ctx: &RequestContext) -> Form {
        if ctx.json_output {
            Form::Json
        } else {
            Form::Xml
        }
    }
}

impl Listing {
    fn load(tx: &Tx<'_>) -> Result<Listing, StoreError> {
        let mut instances = tx.instances()?;
        instances.sort_by(|a, b| a.id.cmp(&b.id));
        let listed = instances
            .into_iter()
            .map(|instance| {
                Ok(Listed {
                    tags: tx.tags(&instance.id)?,
                    volumes: tx.instance_volumes(&instance.id)?,
                    public_ip: tx.instance_public_ip(&instance.id)?,
                    instance,
                    shown: OnceLock::new(),
                    written: OnceLock::new(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Listing(listed))
    }

    fn of(state: &ApiState) -> Result<Arc<Listing>, StoreError> {
        state.memos.instances.get(&state.store, &(), Listing::load)
    }
}

/// The instances a Describe call selects: the named ones (each of which
/// must exist), else all, then those `keep` and `filters` accept.
fn select<'a>(
    state: &ApiState,
    listing: &'a Listing,
    ids: &Option<XmlList<String, ItemsInstanceId>>,
    filters: &[ec2::Filter],
    keep: impl Fn(&Instance) -> bool,
) -> Result<Vec<&'a Listed>, Error> {
    let ids = ids.as_deref().filter(|ids| !ids.is_empty());
    for id in ids.into_iter().flatten() {
        check_id(id)?;
    }
    let now = state.now().millis();
    let visible_for = state.time_scale.scale(inst::TERMINATED_VISIBLE_FOR);
    // A terminated instance past its visibility is gone even if the fleet
    // has not deleted it yet.
    let visible = listing
        .0
        .iter()
        .filter(|l| !l.instance.expired(now, visible_for));
    if let Some(ids) = ids {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !visible.clone().any(|l| &l.instance.id == *id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(Rule::InstanceNotFound(missing).into());
        }
    }
    Ok(visible
        .filter(|l| ids.is_none_or(|ids| ids.contains(&l.instance.id)))
        .filter(|l| keep(&l.instance))
        .filter(|l| {
            let described = Described {
                instance: &l.instance,
                public_ip: l.public_ip,
                region: &state.scope.region,
            };
            filter::matches(&described, &l.tags, filters)
        })
        .collect())
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
    form: Form,
    input: DescribeInstancesInput,
) -> Result<DescribeInstancesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<Described<'_>>(input.filters)?;
    check_paging_with_ids(&input.instance_ids, input.max_results)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let listing = Listing::of(state)?;
    let selected = select(state, &listing, &input.instance_ids, &filters, |_| true)?;
    let (selected, next_token) = page(selected, |l| l.instance.id.as_str(), after.as_deref(), size);
    Ok(DescribeInstancesOutput {
        reservations: Some(reservations(state, form, selected)),
        next_token,
    })
}

/// Groups instances by reservation, in order of first appearance (the
/// model's `Reservation`, generated as `RunInstancesOutput`), each with
/// its attached volumes and public address.
fn reservations(state: &ApiState, form: Form, listed: Vec<&Listed>) -> Vec<RunInstancesOutput> {
    let mut out: Vec<RunInstancesOutput> = Vec::new();
    for listed in listed {
        let instance = &listed.instance;
        let shown = listed.answer(state, form);
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
    let listing = Listing::of(state)?;
    let selected = select(state, &listing, &input.instance_ids, &[], |i| {
        all || i.state == InstanceState::Running
    })?;
    let now = state.now().millis();
    let initializing = state.time_scale.scale(inst::STATUS_INITIALIZING_FOR);
    let rows: Vec<(&Instance, &'static str)> = selected
        .into_iter()
        .map(|l| (&l.instance, l.instance.status(now, initializing)))
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
