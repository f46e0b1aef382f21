//! Instance handlers: launch, describe, the lifecycle calls, console
//! output, metadata options and instance profile associations.
//!
//! Handlers only write the store and tell the fleet something changed; the
//! fleet (`ballast-fleet`) boots and stops processes and completes the
//! transitions only the world can complete.

mod describe;
mod launch;
mod lifecycle;
pub mod model;
mod profiles;

pub(super) use describe::{console_output, describe, describe_status};
pub(super) use launch::run;
pub(super) use lifecycle::{modify_metadata_options, reboot, start, stop, terminate};
pub(super) use profiles::{associate, describe_associations, disassociate, replace};

use ballast_core::ec2::instance::{Instance, InstanceState, MetadataOptions};
use ballast_core::ec2::{self, Error as Rule};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, tag_view};
use crate::ApiState;
use model::*;

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

fn state_view(state: InstanceState) -> InstanceStateView {
    InstanceStateView {
        code: state.code(),
        name: state.name(),
    }
}

fn metadata_view(options: &MetadataOptions, state: &'static str) -> MetadataOptionsView {
    MetadataOptionsView {
        state,
        http_tokens: options.http_tokens.clone(),
        http_put_response_hop_limit: options.http_put_response_hop_limit,
        http_endpoint: options.http_endpoint.clone(),
        http_protocol_ipv6: "disabled",
        instance_metadata_tags: options.instance_metadata_tags.clone(),
    }
}

fn zone_id(state: &ApiState, zone: &str) -> String {
    ballast_core::network::default_subnets(&state.scope.region)
        .into_iter()
        .find(|s| s.zone == zone)
        .map(|s| s.zone_id)
        .unwrap_or_default()
}

/// An instance as Describe and RunInstances show it.
fn view(state: &ApiState, instance: &Instance, tags: Vec<(String, String)>) -> InstanceView {
    let image = ec2::images::find(&instance.image_id);
    InstanceView {
        instance_id: instance.id.clone(),
        image_id: instance.image_id.clone(),
        state: state_view(instance.state),
        private_dns_name: instance.private_dns_name(&state.scope.region),
        public_dns_name: String::new(),
        state_transition_reason: instance.transition_reason.clone(),
        key_name: instance.key_name.clone(),
        ami_launch_index: instance.ami_launch_index,
        instance_type: instance.instance_type.clone(),
        launch_time: Timestamp::from_millis(instance.launch_millis),
        placement: PlacementView {
            availability_zone: instance.zone.clone(),
            availability_zone_id: zone_id(state, &instance.zone),
            group_name: String::new(),
            tenancy: "default",
        },
        monitoring: MonitoringView { state: "disabled" },
        subnet_id: instance.subnet_id.clone(),
        vpc_id: instance.vpc_id.clone(),
        private_ip_address: instance.private_ip.to_string(),
        architecture: image.map_or("x86_64", |i| i.architecture),
        root_device_type: "ebs",
        root_device_name: image.map_or("/dev/xvda", |i| i.root_device_name),
        virtualization_type: "hvm",
        hypervisor: "xen",
        client_token: instance.client_token.clone(),
        iam_instance_profile: instance.profile.as_ref().map(|p| IamInstanceProfileView {
            arn: p.profile_arn.clone(),
            id: p.profile_id.clone(),
        }),
        ebs_optimized: false,
        ena_support: true,
        source_dest_check: true,
        security_groups: instance
            .security_groups
            .iter()
            .map(|g| GroupIdentifier {
                group_id: g.id.clone(),
                group_name: g.name.clone(),
            })
            .collect(),
        state_reason: instance.state_reason.as_ref().map(|r| StateReasonView {
            code: r.code.clone(),
            message: r.message.clone(),
        }),
        tags: tag_view(tags),
        metadata_options: metadata_view(&instance.metadata, "applied"),
        platform_details: image.map_or("Linux/UNIX", |i| i.platform_details),
        usage_operation: "RunInstances",
        boot_mode: "uefi-preferred",
        current_instance_boot_mode: "legacy-bios",
    }
}
