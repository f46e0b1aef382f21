//! Instance handlers: launch, describe, the lifecycle calls, console
//! output, metadata options and instance profile associations.
//!
//! Handlers only write the store and tell the fleet something changed; the
//! fleet (`ballast-fleet`) boots and stops processes and completes the
//! transitions only the world can complete.

mod attributes;
mod describe;
mod launch;
mod lifecycle;
mod profiles;

pub(super) use attributes::{
    describe as describe_attribute, modify as modify_attribute, monitor, unmonitor,
};
pub(crate) use describe::Listing;
pub(super) use describe::{Form, console_output, describe, describe_status};
pub(super) use launch::run;
pub(super) use lifecycle::{modify_metadata_options, reboot, start, stop, terminate};
pub(super) use profiles::{associate, describe_associations, disassociate, replace};

use ballast_core::ec2::instance::{GroupRef, Instance, InstanceState, MetadataOptions};
use ballast_core::ec2::{self, Error as Rule};
use ballast_model::ec2 as wire;
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::Error;
use crate::ApiState;

/// Checks the shape of an instance id (for the other EC2 handlers).
pub(crate) fn check_instance_id(id: &str) -> Result<(), Rule> {
    check_id(id)
}

/// Checks the shape of an instance id.
fn check_id(id: &str) -> Result<(), Rule> {
    if ec2::is_id(id, "i") {
        Ok(())
    } else {
        Err(Rule::InstanceIdMalformed(id.to_owned()))
    }
}

/// The instances named by a request, all of which must exist; the error
/// names every missing one.
fn named(tx: &Tx<'_>, ids: &[String]) -> Result<Vec<Instance>, Error> {
    if ids.is_empty() {
        return Err(Rule::MissingParameter("InstanceId".to_owned()).into());
    }
    for id in ids {
        check_id(id)?;
    }
    let mut found = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match tx.instance(id)? {
            Some(instance) => found.push(instance),
            None => missing.push(id.clone()),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(Rule::InstanceNotFound(missing).into())
    }
}

/// One instance by id, which must exist.
fn one(tx: &Tx<'_>, id: Option<&str>) -> Result<Instance, Error> {
    let id = id.ok_or_else(|| Rule::MissingParameter("InstanceId".to_owned()))?;
    Ok(named(tx, &[id.to_owned()])?.remove(0))
}

fn state_view(state: InstanceState) -> wire::InstanceState {
    wire::InstanceState {
        code: Some(state.code()),
        name: Some(state.name().into()),
    }
}

fn metadata_view(
    options: &MetadataOptions,
    state: &'static str,
) -> wire::InstanceMetadataOptionsResponse {
    wire::InstanceMetadataOptionsResponse {
        state: Some(state.into()),
        http_tokens: Some(options.http_tokens.as_str().into()),
        http_put_response_hop_limit: Some(options.http_put_response_hop_limit),
        http_endpoint: Some(options.http_endpoint.as_str().into()),
        http_protocol_ipv6: Some("disabled".into()),
        instance_metadata_tags: Some(options.instance_metadata_tags.as_str().into()),
    }
}

pub(super) fn zone_id(state: &ApiState, zone: &str) -> String {
    ballast_core::network::zone_id_of(&state.scope.region, zone).unwrap_or_default()
}

/// The instance's one network interface, as EC2 lists every VPC
/// instance's primary interface (`eni-` and the instance id's digits,
/// which Elastic IPs name too). Its public address, when it has one, is
/// added where that is known.
fn primary_interface(state: &ApiState, instance: &Instance) -> wire::InstanceNetworkInterface {
    let private_dns_name = instance.private_dns_name(&state.scope.region);
    let private_ip = instance.private_ip.to_string();
    wire::InstanceNetworkInterface {
        network_interface_id: Some(ec2::interface::interface_id(&instance.id)),
        attachment: Some(wire::InstanceNetworkInterfaceAttachment {
            attach_time: Some(Timestamp::from_millis(instance.launch_millis)),
            attachment_id: Some(ec2::interface::attachment_id(&instance.id)),
            delete_on_termination: Some(true),
            device_index: Some(0),
            network_card_index: Some(0),
            status: Some("attached".into()),
            ..Default::default()
        }),
        description: Some(String::new()),
        groups: Some(group_identifiers(&instance.security_groups)),
        mac_address: Some(instance.mac()),
        owner_id: Some(state.scope.account.clone()),
        private_dns_name: Some(private_dns_name.clone()),
        private_ip_address: Some(private_ip.clone()),
        private_ip_addresses: Some(vec![wire::InstancePrivateIpAddress {
            primary: Some(true),
            private_dns_name: Some(private_dns_name),
            private_ip_address: Some(private_ip),
            association: None,
        }]),
        source_dest_check: Some(instance.source_dest_check),
        status: Some("in-use".into()),
        subnet_id: Some(instance.subnet_id.clone()),
        vpc_id: Some(instance.vpc_id.clone()),
        interface_type: Some("interface".into()),
        ..Default::default()
    }
}

/// An instance's security groups as EC2 shows them.
fn group_identifiers(groups: &[GroupRef]) -> Vec<wire::GroupIdentifier> {
    groups
        .iter()
        .map(|g| wire::GroupIdentifier {
            group_id: Some(g.id.clone()),
            group_name: Some(g.name.clone()),
        })
        .collect()
}

/// An instance as Describe and RunInstances show it.
fn view(state: &ApiState, instance: &Instance, tags: Vec<(String, String)>) -> wire::Instance {
    let image = ec2::images::find(&instance.image_id);
    wire::Instance {
        instance_id: Some(instance.id.clone()),
        image_id: Some(instance.image_id.clone()),
        state: Some(state_view(instance.state)),
        private_dns_name: Some(instance.private_dns_name(&state.scope.region)),
        public_dns_name: Some(String::new()),
        state_transition_reason: Some(instance.transition_reason.clone()),
        key_name: instance.key_name.clone(),
        ami_launch_index: Some(instance.ami_launch_index),
        instance_type: Some(instance.instance_type.as_str().into()),
        launch_time: Some(Timestamp::from_millis(instance.launch_millis)),
        placement: Some(wire::Placement {
            availability_zone: Some(instance.zone.clone()),
            availability_zone_id: Some(zone_id(state, &instance.zone)),
            group_name: Some(String::new()),
            tenancy: Some("default".into()),
            ..Default::default()
        }),
        monitoring: Some(wire::Monitoring {
            state: Some(if instance.monitoring {
                wire::MonitoringState::Enabled
            } else {
                wire::MonitoringState::Disabled
            }),
        }),
        subnet_id: Some(instance.subnet_id.clone()),
        vpc_id: Some(instance.vpc_id.clone()),
        private_ip_address: Some(instance.private_ip.to_string()),
        architecture: Some(image.map_or("x86_64", |i| i.architecture).into()),
        root_device_type: Some("ebs".into()),
        root_device_name: Some(image.map_or("/dev/xvda", |i| i.root_device_name).to_owned()),
        virtualization_type: Some("hvm".into()),
        hypervisor: Some("xen".into()),
        client_token: instance.client_token.clone(),
        iam_instance_profile: instance.profile.as_ref().map(|p| wire::IamInstanceProfile {
            arn: Some(p.profile_arn.clone()),
            id: Some(p.profile_id.clone()),
        }),
        network_interfaces: Some(vec![primary_interface(state, instance)]),
        ebs_optimized: Some(instance.ebs_optimized),
        ena_support: Some(instance.ena_support),
        source_dest_check: Some(instance.source_dest_check),
        security_groups: Some(group_identifiers(&instance.security_groups)),
        state_reason: instance.state_reason.as_ref().map(|r| wire::StateReason {
            code: Some(r.code.clone()),
            message: Some(r.message.clone()),
        }),
        tags: Some(crate::tags::from_pairs(tags)),
        metadata_options: Some(metadata_view(&instance.metadata, "applied")),
        platform_details: Some(
            image
                .map_or("Linux/UNIX", |i| i.platform_details)
                .to_owned(),
        ),
        usage_operation: Some("RunInstances".to_owned()),
        boot_mode: Some("uefi-preferred".into()),
        current_instance_boot_mode: Some("legacy-bios".into()),
        ..Default::default()
    }
}
