//! Target registration and health handlers.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use ballast_core::ec2::InstanceState;
use ballast_core::elbv2::{self, Error as Rule, HealthReport, Registration, TargetRequest};
use ballast_core::network;
use ballast_store::Tx;

use ballast_model::elbv2::*;

use super::{Error, port, target_groups, usage};
use crate::ApiState;

/// The port a target description means: its own, else the group's.
fn port_of(group: &elbv2::TargetGroup, target: &TargetDescription) -> Result<u16, Rule> {
    match target.port {
        Some(p) => Ok(port(p)),
        None => group.port.ok_or_else(|| {
            Rule::Validation(format!(
                "A port must be specified for target '{}'",
                target.id
            ))
        }),
    }
}

/// Checks that a target can be registered in the group: `ip` targets on
/// loopback IPv4 addresses (where Ballast can route), `instance` targets
/// that exist and are pending or running.
fn check_target(
    tx: &Tx<'_>,
    group: &elbv2::TargetGroup,
    region: &str,
    target: &TargetDescription,
) -> Result<(), Error> {
    let id = &target.id;
    match group.target_type.as_str() {
        "ip" => match id.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() || network::in_default_vpc(ip) => {}
            _ => {
                return Err(Rule::InvalidTarget(format!(
                    "The IP address '{id}' is not a valid target: Ballast routes only to loopback IPv4 addresses (127.0.0.0/8) and the default VPC's ({})",
                    network::DEFAULT_VPC_CIDR
                ))
                .into());
            }
        },
        "instance" => match tx.instance(id)? {
            Some(instance) if instance.state.is_up() => {}
            Some(_) => {
                return Err(Rule::InvalidTarget(format!(
                    "The following targets are not in a running state and cannot be registered: '{id}'"
                ))
                .into());
            }
            None => {
                return Err(Rule::InvalidTarget(format!(
                    "The following targets are not valid instances: '{id}'"
                ))
                .into());
            }
        },
        other => {
            return Err(Rule::InvalidTarget(format!(
                "Targets of target groups of type '{other}' are not supported by Ballast"
            ))
            .into());
        }
    }
    if let Some(zone) = &target.availability_zone
        && zone != "all"
        && !network::is_zone(region, zone)
    {
        return Err(Rule::Validation(format!(
            "Availability Zone '{zone}' is not a zone of {region}"
        ))
        .into());
    }
    Ok(())
}

pub(super) fn register(
    state: &ApiState,
    input: RegisterTargetsInput,
) -> Result<RegisterTargetsOutput, Error> {
    if input.targets.is_empty() {
        return Err(Rule::Validation("At least one target must be specified".to_owned()).into());
    }
    let now = state.now().millis();
    state.store.write(|tx| -> Result<_, Error> {
        let group = target_groups::load(tx, &input.target_group_arn)?;
        let mut wanted = Vec::with_capacity(input.targets.len());
        for target in &input.targets {
            let port = port_of(&group, target)?;
            check_target(tx, &group, &state.scope.region, target)?;
            wanted.push(TargetRequest {
                id: target.id.clone(),
                port,
                availability_zone: target.availability_zone.clone(),
            });
        }
        tx.register_targets::<Error>(&group.arn, &wanted, now)?;
        Ok(())
    })?;
    state.data_plane.changed();
    Ok(RegisterTargetsOutput {})
}

pub(super) fn deregister(
    state: &ApiState,
    input: DeregisterTargetsInput,
) -> Result<DeregisterTargetsOutput, Error> {
    if input.targets.is_empty() {
        return Err(Rule::Validation("At least one target must be specified".to_owned()).into());
    }
    let now = state.now().millis();
    state.store.write(|tx| -> Result<_, Error> {
        let group = target_groups::load(tx, &input.target_group_arn)?;
        let wanted = input
            .targets
            .iter()
            .map(|target| Ok((target.id.clone(), port_of(&group, target)?)))
            .collect::<Result<Vec<_>, Rule>>()?;
        // Targets that are not registered are ignored.
        tx.deregister_targets(&group.arn, &wanted, now)?;
        Ok(())
    })?;
    state.data_plane.changed();
    Ok(DeregisterTargetsOutput {})
}

/// What DescribeTargetHealth reads from the store for one target group,
/// kept in [`crate::state::Memos`] until the next write.
#[derive(Debug)]
pub(crate) struct HealthInputs {
    group: elbv2::TargetGroup,
    /// Whether a listener or rule forwards to the group.
    used: bool,
    registrations: Vec<Registration>,
    instance_states: HashMap<String, InstanceState>,
}

impl HealthInputs {
    fn load(tx: &Tx<'_>, arn: &str) -> Result<HealthInputs, Error> {
        let group = target_groups::load(tx, arn)?;
        let used = usage(tx)?.is_used(&group.arn);
        let registrations = tx.targets_of(&group.arn)?;
        let mut instance_states = HashMap::new();
        if group.target_type == "instance" {
            for r in &registrations {
                if let Some(state) = tx.instance_state(&r.id)? {
                    instance_states.insert(r.id.clone(), state);
                }
            }
        }
        Ok(HealthInputs {
            group,
            used,
            registrations,
            instance_states,
        })
    }
}

pub(super) fn describe_health(
    state: &ApiState,
    input: DescribeTargetHealthInput,
) -> Result<DescribeTargetHealthOutput, Error> {
    let inputs = state
        .memos
        .target_health
        .get(&state.store, &input.target_group_arn, |tx| {
            HealthInputs::load(tx, &input.target_group_arn)
        })?;
    let HealthInputs {
        group,
        used,
        registrations,
        instance_states,
    } = &*inputs;
    let describe = |r: &Registration| {
        let checked = state.data_plane.target_health(&group.arn, &r.id, r.port);
        let report = HealthReport::of(r, instance_states.get(&r.id).copied(), *used, checked);
        let health_check_port = group.health_check.port_for(r.port);
        TargetHealthDescription {
            target: Some(TargetDescription {
                id: r.id.clone(),
                port: Some(i32::from(r.port)),
                availability_zone: r.availability_zone.clone(),
                quic_server_id: None,
            }),
            health_check_port: Some(health_check_port),
            target_health: Some(target_health(report)),
            ..TargetHealthDescription::default()
        }
    };
    let mut descriptions = Vec::new();
    match input.targets.as_deref() {
        None | Some([]) => descriptions.extend(registrations.iter().map(describe)),
        Some(targets) => {
            for target in targets {
                let port = match target.port {
                    Some(_) => Some(port_of(group, target)?),
                    None => None,
                };
                let mut found = registrations
                    .iter()
                    .filter(|r| r.id == target.id && port.is_none_or(|p| r.port == p))
                    .peekable();
                if found.peek().is_none() {
                    descriptions.push(TargetHealthDescription {
                        target: Some(TargetDescription {
                            id: target.id.clone(),
                            port: port.or(group.port).map(i32::from),
                            availability_zone: target.availability_zone.clone(),
                            quic_server_id: None,
                        }),
                        health_check_port: None,
                        target_health: Some(target_health(HealthReport::not_registered())),
                        ..TargetHealthDescription::default()
                    });
                } else {
                    descriptions.extend(found.map(describe));
                }
            }
        }
    }
    Ok(DescribeTargetHealthOutput {
        target_health_descriptions: Some(descriptions),
    })
}

fn target_health(report: HealthReport) -> TargetHealth {
    TargetHealth {
        state: Some(TargetHealthStateEnum::from(report.state)),
        reason: report.reason.map(TargetHealthReasonEnum::from),
        description: report.description,
    }
}
