//! Target registration and health handlers.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use ballast_core::ec2::InstanceState;
use ballast_core::elbv2::{self, Error as Rule, Registration, TargetRequest};
use ballast_core::network;
use ballast_store::Tx;

use super::model::*;
use super::{Error, target_groups, usage};
use crate::ApiState;

/// What DescribeTargetHealth says of a target that is not registered.
const NOT_REGISTERED: (&str, &str, &str) = (
    "unused",
    "Target.NotRegistered",
    "Target is not registered to the target group",
);

/// ... of a target whose group no listener or rule forwards to.
const NOT_IN_USE: (&str, &str, &str) = (
    "unused",
    "Target.NotInUse",
    "Target group is not configured to receive traffic from the load balancer",
);

/// ... of a target whose deregistration delay is running.
const DRAINING: (&str, &str, &str) = (
    "draining",
    "Target.DeregistrationInProgress",
    "Target deregistration is in progress",
);

/// ... of a target the data plane has not started checking.
const REGISTERING: (&str, &str, &str) = (
    "initial",
    "Elb.RegistrationInProgress",
    "Target registration is in progress",
);

/// The port a target description means: its own, else the group's.
fn port_of(group: &elbv2::TargetGroup, target: &TargetDescription) -> Result<u16, Rule> {
    match target.port {
        Some(p) => u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
            Rule::Validation(format!(
                "1 validation error detected: Value '{p}' at 'targets.member.port' failed to satisfy constraint: Member must have value between 1 and 65535"
            ))
        }),
        None => group.port.ok_or_else(|| {
            Rule::Validation(format!("A port must be specified for target '{}'", target.id))
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
            Ok(ip) if ip.is_loopback() => {}
            _ => {
                return Err(Rule::InvalidTarget(format!(
                    "The IP address '{id}' is not a valid target: Ballast routes only to loopback IPv4 addresses (127.0.0.0/8)"
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

pub(super) fn describe_health(
    state: &ApiState,
    input: DescribeTargetHealthInput,
) -> Result<DescribeTargetHealthOutput, Error> {
    let (group, used, registrations, instance_states) =
        state.store.read(|tx| -> Result<_, Error> {
            let group = target_groups::load(tx, &input.target_group_arn)?;
            let used = usage(tx)?.is_used(&group.arn);
            let registrations = tx.targets_of(&group.arn)?;
            let mut instance_states = HashMap::new();
            if group.target_type == "instance" {
                for r in &registrations {
                    if let Some(instance) = tx.instance(&r.id)? {
                        instance_states.insert(r.id.clone(), instance.state);
                    }
                }
            }
            Ok((group, used, registrations, instance_states))
        })?;
    let describe = |r: &Registration| {
        let not_running = instance_states
            .get(&r.id)
            .filter(|s| **s != InstanceState::Running);
        let (state_name, reason, description) = if r.is_draining() {
            (DRAINING.0, Some(DRAINING.1), Some(DRAINING.2.to_owned()))
        } else if let Some(instance_state) = not_running {
            (
                "unused",
                Some("Target.InvalidState"),
                Some(format!("Target is in the {} state", instance_state.name())),
            )
        } else if !used {
            (
                NOT_IN_USE.0,
                Some(NOT_IN_USE.1),
                Some(NOT_IN_USE.2.to_owned()),
            )
        } else if let Some(tracker) = state.data_plane.target_health(&group.arn, &r.id, r.port) {
            tracker.describe()
        } else {
            (
                REGISTERING.0,
                Some(REGISTERING.1),
                Some(REGISTERING.2.to_owned()),
            )
        };
        let health_check_port = if group.health_check.port == "traffic-port" {
            r.port.to_string()
        } else {
            group.health_check.port.clone()
        };
        TargetHealthDescription {
            target: TargetDescription {
                id: r.id.clone(),
                port: Some(i64::from(r.port)),
                availability_zone: r.availability_zone.clone(),
            },
            health_check_port: Some(health_check_port),
            target_health: TargetHealth {
                state: state_name.to_owned(),
                reason: reason.map(str::to_owned),
                description,
            },
        }
    };
    let mut descriptions = Vec::new();
    match input.targets.as_deref() {
        None | Some([]) => descriptions.extend(registrations.iter().map(describe)),
        Some(targets) => {
            for target in targets {
                let port = match target.port {
                    Some(_) => Some(port_of(&group, target)?),
                    None => None,
                };
                let mut found = registrations
                    .iter()
                    .filter(|r| r.id == target.id && port.is_none_or(|p| r.port == p))
                    .peekable();
                if found.peek().is_none() {
                    descriptions.push(TargetHealthDescription {
                        target: TargetDescription {
                            id: target.id.clone(),
                            port: port.or(group.port).map(i64::from),
                            availability_zone: target.availability_zone.clone(),
                        },
                        health_check_port: None,
                        target_health: TargetHealth {
                            state: NOT_REGISTERED.0.to_owned(),
                            reason: Some(NOT_REGISTERED.1.to_owned()),
                            description: Some(NOT_REGISTERED.2.to_owned()),
                        },
                    });
                } else {
                    descriptions.extend(found.map(describe));
                }
            }
        }
    }
    Ok(DescribeTargetHealthOutput {
        target_health_descriptions: descriptions,
    })
}
