//! DescribeInstanceAttribute and ModifyInstanceAttribute: one attribute
//! of one instance at a time; Monitor- and UnmonitorInstances: detailed
//! monitoring of several.

use ballast_core::ec2::attributes::{self, Change};
use ballast_core::ec2::instance::GroupRef;
use ballast_core::ec2::{self, Error as Rule};
use ballast_model::ec2::{
    AttributeBooleanValue, AttributeValue, DescribeInstanceAttributeInput,
    DescribeInstanceAttributeOutput, InstanceAttributeName, InstanceMonitoring,
    ModifyInstanceAttributeInput, MonitorInstancesInput, MonitorInstancesOutput, Monitoring,
    MonitoringState, UnmonitorInstancesInput, UnmonitorInstancesOutput,
};
use ballast_store::Tx;

use super::{Error, group_identifiers, named, one};
use crate::ApiState;
use crate::ec2::dry_run;

fn flag(on: bool) -> Option<AttributeBooleanValue> {
    Some(AttributeBooleanValue { value: Some(on) })
}

fn text(value: impl Into<String>) -> Option<AttributeValue> {
    Some(AttributeValue {
        value: Some(value.into()),
    })
}

pub(crate) fn describe(
    state: &ApiState,
    input: DescribeInstanceAttributeInput,
) -> Result<DescribeInstanceAttributeOutput, Error> {
    let (instance, volumes) = state.store.read(|tx| -> Result<_, Error> {
        let instance = one(tx, Some(&input.instance_id))?;
        let volumes = tx.instance_volumes(&instance.id)?;
        Ok((instance, volumes))
    })?;
    dry_run(input.dry_run)?;
    let mut out = DescribeInstanceAttributeOutput {
        instance_id: Some(instance.id.clone()),
        ..DescribeInstanceAttributeOutput::default()
    };
    let image = ec2::images::find(&instance.image_id);
    use InstanceAttributeName as Name;
    match input.attribute {
        Name::InstanceType => out.instance_type = text(&instance.instance_type),
        Name::UserData => {
            out.user_data = Some(AttributeValue {
                value: instance.user_data.clone(),
            });
        }
        Name::DisableApiTermination => {
            out.disable_api_termination = flag(instance.disable_api_termination);
        }
        Name::DisableApiStop => out.disable_api_stop = flag(instance.disable_api_stop),
        Name::InstanceInitiatedShutdownBehavior => {
            out.instance_initiated_shutdown_behavior = text(&instance.shutdown_behavior);
        }
        Name::RootDeviceName => {
            out.root_device_name = text(image.map_or("/dev/xvda", |i| i.root_device_name));
        }
        Name::BlockDeviceMapping => {
            out.block_device_mappings = Some(crate::ec2::volumes::block_devices(&volumes));
        }
        Name::ProductCodes => out.product_codes = Some(Vec::new()),
        Name::SourceDestCheck => out.source_dest_check = flag(instance.source_dest_check),
        Name::GroupSet => out.groups = Some(group_identifiers(&instance.security_groups)),
        Name::EbsOptimized => out.ebs_optimized = flag(instance.ebs_optimized),
        Name::EnaSupport => out.ena_support = flag(instance.ena_support),
        // Paravirtual kernels, SR-IOV and enclaves do not exist here: the
        // attribute is answered empty, as EC2 answers it for an instance
        // without them.
        Name::Kernel | Name::Ramdisk | Name::SriovNetSupport | Name::EnclaveOptions => {}
        other => return Err(Rule::unknown_attribute(other.as_str()).into()),
    }
    Ok(out)
}

/// The change a request asks for, in either of its forms (`Attribute`
/// and `Value`, or the attribute's own member).
fn requested(
    tx: &Tx<'_>,
    vpc_id: &str,
    input: &ModifyInstanceAttributeInput,
) -> Result<Change, Error> {
    use base64::Engine as _;
    let boolean = |v: &Option<AttributeBooleanValue>| v.as_ref().and_then(|b| b.value);
    let string = |v: &Option<AttributeValue>| v.as_ref().and_then(|a| a.value.clone());
    let mut changes = Vec::new();
    if let Some(on) = boolean(&input.disable_api_termination) {
        changes.push(("disableApiTermination", Change::DisableApiTermination(on)));
    }
    if let Some(on) = boolean(&input.disable_api_stop) {
        changes.push(("disableApiStop", Change::DisableApiStop(on)));
    }
    if let Some(on) = boolean(&input.source_dest_check) {
        changes.push(("sourceDestCheck", Change::SourceDestCheck(on)));
    }
    if let Some(on) = boolean(&input.ebs_optimized) {
        changes.push(("ebsOptimized", Change::EbsOptimized(on)));
    }
    if let Some(on) = boolean(&input.ena_support) {
        changes.push(("enaSupport", Change::EnaSupport(on)));
    }
    if let Some(behavior) = string(&input.instance_initiated_shutdown_behavior) {
        changes.push((
            "instanceInitiatedShutdownBehavior",
            Change::ShutdownBehavior(behavior),
        ));
    }
    if let Some(instance_type) = string(&input.instance_type) {
        changes.push(("instanceType", Change::InstanceType(instance_type)));
    }
    if let Some(data) = input.user_data.as_ref().and_then(|u| u.value.as_ref()) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data.0);
        changes.push(("userData", Change::UserData(encoded)));
    }
    if let Some(ids) = &input.groups {
        changes.push((
            "groupId",
            Change::Groups(groups_in(tx, vpc_id, ids.as_slice())?),
        ));
    }
    if let (Some(name), Some(value)) = (&input.attribute, &input.value) {
        changes.push((name.as_str(), by_name(name, value)?));
    }
    for (member, unsupported) in [
        ("blockDeviceMapping", input.block_device_mappings.is_some()),
        ("kernel", input.kernel.is_some()),
        ("ramdisk", input.ramdisk.is_some()),
        ("sriovNetSupport", input.sriov_net_support.is_some()),
    ] {
        if unsupported {
            return Err(Rule::InvalidParameterValue(format!(
                "Modifying the {member} attribute is not supported by Ballast"
            ))
            .into());
        }
    }
    Ok(attributes::one_change(changes)?)
}

/// The `Attribute`/`Value` form: the attributes a plain value sets.
fn by_name(name: &InstanceAttributeName, value: &str) -> Result<Change, Rule> {
    use InstanceAttributeName as Name;
    let boolean = || match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Rule::InvalidParameterValue(format!(
            "Value ({other}) for parameter value is invalid. Expected: 'true' or 'false'."
        ))),
    };
    Ok(match name {
        Name::DisableApiTermination => Change::DisableApiTermination(boolean()?),
        Name::DisableApiStop => Change::DisableApiStop(boolean()?),
        Name::SourceDestCheck => Change::SourceDestCheck(boolean()?),
        Name::EbsOptimized => Change::EbsOptimized(boolean()?),
        Name::EnaSupport => Change::EnaSupport(boolean()?),
        Name::InstanceType => Change::InstanceType(value.to_owned()),
        Name::InstanceInitiatedShutdownBehavior => Change::ShutdownBehavior(value.to_owned()),
        Name::UserData => Change::UserData(value.to_owned()),
        other => {
            return Err(Rule::InvalidParameterValue(format!(
                "Value ({}) for parameter attribute is invalid. The attribute cannot be modified this way.",
                other.as_str()
            )));
        }
    })
}

/// Security groups by id, each in the instance's VPC.
fn groups_in(tx: &Tx<'_>, vpc_id: &str, ids: &[String]) -> Result<Vec<GroupRef>, Error> {
    let mut groups = Vec::with_capacity(ids.len());
    for id in ids {
        let group = tx
            .security_group(id)?
            .ok_or_else(|| Rule::group_not_found(id))?;
        if group.vpc_id != vpc_id {
            return Err(Rule::InvalidParameterValue(format!(
                "Security group {id} and the instance belong to different networks."
            ))
            .into());
        }
        groups.push(GroupRef {
            id: group.id,
            name: group.name,
        });
    }
    Ok(groups)
}

pub(crate) fn modify(state: &ApiState, input: ModifyInstanceAttributeInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let mut instance = one(tx, Some(&input.instance_id))?;
        let change = requested(tx, &instance.vpc_id, &input)?;
        instance.modify(change)?;
        dry_run(input.dry_run)?;
        tx.save_instance(&instance)?;
        Ok(())
    })?;
    state.fleet.changed();
    Ok(())
}

/// Turns detailed monitoring on or off for every named instance (all of
/// which must exist), answering the transitional state EC2 answers
/// (`pending`, `disabling`); DescribeInstances shows the state it settles
/// in (`enabled`, `disabled`) from the next request, as nothing here has
/// to reach CloudWatch.
fn set_monitoring(
    state: &ApiState,
    ids: &[String],
    dry: Option<bool>,
    on: bool,
) -> Result<Vec<InstanceMonitoring>, Error> {
    let ids = state.store.write(|tx| -> Result<_, Error> {
        let instances = named(tx, ids)?;
        dry_run(dry)?;
        let mut changed = Vec::with_capacity(instances.len());
        for mut instance in instances {
            instance.modify(Change::Monitoring(on))?;
            tx.save_instance(&instance)?;
            changed.push(instance.id);
        }
        Ok(changed)
    })?;
    let answered = if on {
        MonitoringState::Pending
    } else {
        MonitoringState::Disabling
    };
    Ok(ids
        .into_iter()
        .map(|id| InstanceMonitoring {
            instance_id: Some(id),
            monitoring: Some(Monitoring {
                state: Some(answered.clone()),
            }),
        })
        .collect())
}

pub(crate) fn monitor(
    state: &ApiState,
    input: MonitorInstancesInput,
) -> Result<MonitorInstancesOutput, Error> {
    let monitorings = set_monitoring(state, input.instance_ids.as_slice(), input.dry_run, true)?;
    Ok(MonitorInstancesOutput {
        instance_monitorings: Some(monitorings),
    })
}

pub(crate) fn unmonitor(
    state: &ApiState,
    input: UnmonitorInstancesInput,
) -> Result<UnmonitorInstancesOutput, Error> {
    let monitorings = set_monitoring(state, input.instance_ids.as_slice(), input.dry_run, false)?;
    Ok(UnmonitorInstancesOutput {
        instance_monitorings: Some(monitorings),
    })
}
