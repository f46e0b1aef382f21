//! EBS volumes: CreateVolume, AttachVolume, DetachVolume, DeleteVolume,
//! ModifyVolume and the Describe calls, and the block device mappings
//! DescribeInstances shows. The handlers record what was asked; the fleet
//! makes the disk, puts it in the instance and takes it out, and moves the
//! states on (see `ballast_core::ec2::volume`).

use ballast_core::ec2::launch_template::check_client_token;
use ballast_core::ec2::volume::{ModificationView, SpecRequest, StatusView};
use ballast_core::ec2::{self, Error as Rule, Volume, filter};
use ballast_core::paging::page;
use ballast_model::ec2 as wire;
use ballast_model::ec2::{
    AttachVolumeInput, AttachVolumeOutput, AttachmentStatus, CreateVolumeInput, CreateVolumeOutput,
    DeleteVolumeInput, DescribeVolumeStatusInput, DescribeVolumeStatusOutput, DescribeVolumesInput,
    DescribeVolumesModificationsInput, DescribeVolumesModificationsOutput, DescribeVolumesOutput,
    DetachVolumeInput, DetachVolumeOutput, EbsInstanceBlockDevice, InstanceBlockDeviceMapping,
    ModifyVolumeInput, ModifyVolumeOutput, VolumeModification, VolumeStatusDetails,
    VolumeStatusInfo, VolumeStatusItem,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, creation_tags, describe_page, dry_run, filters};
use crate::ApiState;

/// DescribeVolumes returns at most this many volumes a page, whatever
/// `MaxResults` asks above it.
const MAX_PAGE: i32 = 500;

pub(super) fn create(
    state: &ApiState,
    input: CreateVolumeInput,
) -> Result<CreateVolumeOutput, Error> {
    let tags = creation_tags(input.tag_specifications, "volume")?;
    let zone = create_zone(state, input.availability_zone, input.availability_zone_id)?;
    if let Some(snapshot) = input.snapshot_id {
        // No snapshot exists until CreateSnapshot does.
        return Err(Rule::SnapshotNotFound(snapshot).into());
    }
    refuse_multi_attach(input.multi_attach_enabled)?;
    let spec = SpecRequest {
        size_gib: input.size,
        volume_type: input.volume_type.map(|t| t.as_str().to_owned()),
        iops: input.iops,
        throughput: input.throughput,
    }
    .check(None)?;
    check_client_token(input.client_token.as_deref())?;
    let encrypted = input.encrypted.unwrap_or(false);
    dry_run(input.dry_run)?;
    let mut volume = Volume::new(
        format!("vol-{}", state.ids.hex(17)),
        &zone,
        spec,
        encrypted,
        state.now().millis(),
    );
    volume.client_token = input.client_token;
    let (volume, tags) = state.store.write(|tx| -> Result<_, Error> {
        if let Some(retried) = retried(tx, &volume)? {
            let tags = tx.tags(&retried.id)?;
            return Ok((retried, tags));
        }
        tx.save_volume(&volume)?;
        tx.put_tags(&volume.id, &tags)?;
        Ok((volume, tags))
    })?;
    state.fleet.changed();
    Ok(view(state, volume, tags))
}

/// The volume an earlier CreateVolume with `new`'s `ClientToken` made, if
/// this call retries it.
fn retried(tx: &Tx<'_>, new: &Volume) -> Result<Option<Volume>, Error> {
    let Some(token) = &new.client_token else {
        return Ok(None);
    };
    let Some(first) = tx
        .volumes()?
        .into_iter()
        .find(|v| v.client_token.as_ref() == Some(token))
    else {
        return Ok(None);
    };
    if first.is_retried_by(new) {
        Ok(Some(first))
    } else {
        Err(Rule::IdempotentParameterMismatch(format!(
            "The client token '{token}' was already used for another volume, {}.",
            first.id
        ))
        .into())
    }
}

/// Multi-Attach (one io1/io2 volume in several instances) is refused.
fn refuse_multi_attach(enabled: Option<bool>) -> Result<(), Rule> {
    if enabled == Some(true) {
        return Err(Rule::InvalidParameterValue(
            "Multi-Attach is not supported by Ballast's volumes.".to_owned(),
        ));
    }
    Ok(())
}

/// The zone a new volume goes in: by name or by id, one of the region's.
fn create_zone(
    state: &ApiState,
    name: Option<String>,
    id: Option<String>,
) -> Result<String, Error> {
    let zones = ec2::network::zones(&state.scope.region);
    match (name, id) {
        (Some(_), Some(_)) => Err(Rule::InvalidParameterCombination(
            "Only one of AvailabilityZone or AvailabilityZoneId may be specified.".to_owned(),
        )
        .into()),
        (Some(name), None) => zones
            .iter()
            .find(|z| z.name == name)
            .map(|z| z.name.clone())
            .ok_or_else(|| Rule::ZoneNotFound(name).into()),
        (None, Some(id)) => zones
            .iter()
            .find(|z| z.id == id)
            .map(|z| z.name.clone())
            .ok_or_else(|| Rule::ZoneNotFound(id).into()),
        (None, None) => Err(Rule::MissingParameterDetail(
            "The request must contain the parameter AvailabilityZone or AvailabilityZoneId"
                .to_owned(),
        )
        .into()),
    }
}

pub(super) fn attach(
    state: &ApiState,
    input: AttachVolumeInput,
) -> Result<AttachVolumeOutput, Error> {
    check_volume_id(&input.volume_id)?;
    if !ec2::is_id(&input.instance_id, "i") {
        return Err(Rule::InstanceIdMalformed(input.instance_id).into());
    }
    let now = state.now().millis();
    let attachment = state.store.write(|tx| -> Result<_, Error> {
        let mut volume = find(tx, &input.volume_id)?;
        let instance = tx
            .instance(&input.instance_id)?
            .ok_or_else(|| Rule::InstanceNotFound(vec![input.instance_id.clone()]))?;
        let attached = tx.instance_volumes(&instance.id)?;
        let attachment = volume.attach(&instance, &attached, &input.device, now)?;
        let view = attachment_view(&volume.id, &attachment);
        dry_run(input.dry_run)?;
        tx.save_volume(&volume)?;
        Ok(view)
    })?;
    state.fleet.changed();
    Ok(attachment)
}

pub(super) fn detach(
    state: &ApiState,
    input: DetachVolumeInput,
) -> Result<DetachVolumeOutput, Error> {
    check_volume_id(&input.volume_id)?;
    let attachment = state.store.write(|tx| -> Result<_, Error> {
        let mut volume = find(tx, &input.volume_id)?;
        let instance = match volume.attachment.as_ref() {
            Some(a) => tx.instance(&a.instance_id)?,
            None => None,
        };
        let attachment = volume.detach(
            instance.as_ref(),
            input.instance_id.as_deref(),
            input.device.as_deref(),
            input.force.unwrap_or(false),
        )?;
        let view = attachment_view(&volume.id, &attachment);
        dry_run(input.dry_run)?;
        tx.save_volume(&volume)?;
        Ok(view)
    })?;
    state.fleet.changed();
    Ok(attachment)
}

pub(super) fn delete(state: &ApiState, input: DeleteVolumeInput) -> Result<(), Error> {
    check_volume_id(&input.volume_id)?;
    state.store.write(|tx| -> Result<_, Error> {
        let volume = find(tx, &input.volume_id)?;
        volume.check_delete()?;
        dry_run(input.dry_run)?;
        tx.delete_volume(&volume.id)?;
        Ok(())
    })?;
    state.fleet.changed();
    Ok(())
}

pub(super) fn modify(
    state: &ApiState,
    input: ModifyVolumeInput,
) -> Result<ModifyVolumeOutput, Error> {
    check_volume_id(&input.volume_id)?;
    refuse_multi_attach(input.multi_attach_enabled)?;
    let request = SpecRequest {
        size_gib: input.size,
        volume_type: input.volume_type.map(|t| t.as_str().to_owned()),
        iops: input.iops,
        throughput: input.throughput,
    };
    let now = state.now().millis();
    let modification = state.store.write(|tx| -> Result<_, Error> {
        let mut volume = find(tx, &input.volume_id)?;
        let modification = volume.modify(&request, now)?;
        let shown = modification_view(&volume.id, &modification);
        dry_run(input.dry_run)?;
        tx.save_volume(&volume)?;
        Ok(shown)
    })?;
    state.fleet.changed();
    Ok(ModifyVolumeOutput {
        volume_modification: Some(modification),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeVolumesInput,
) -> Result<DescribeVolumesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<Volume>(input.filters)?;
    let ids = requested_ids(input.volume_ids, input.max_results.is_some())?;
    let max_results = input.max_results.map(|n| n.min(MAX_PAGE));
    let (size, after) = describe_page(max_results, input.next_token.as_deref())?;
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let mut out = Vec::new();
        for volume in selected(tx, &ids)? {
            let tags = tx.tags(&volume.id)?;
            if filter::matches(&volume, &tags, &filters) {
                out.push((volume, tags));
            }
        }
        Ok(out)
    })?;
    let (selected, next_token) = page(selected, |(v, _)| v.id.as_str(), after.as_deref(), size);
    Ok(DescribeVolumesOutput {
        volumes: Some(
            selected
                .into_iter()
                .map(|(volume, tags)| view(state, volume, tags))
                .collect(),
        ),
        next_token,
    })
}

pub(super) fn describe_status(
    state: &ApiState,
    input: DescribeVolumeStatusInput,
) -> Result<DescribeVolumeStatusOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<StatusView<'_>>(input.filters)?;
    let ids = requested_ids(input.volume_ids, input.max_results.is_some())?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let volumes = state.store.read(|tx| selected(tx, &ids))?;
    let matching: Vec<Volume> = volumes
        .into_iter()
        .filter(|v| filter::matches(&StatusView(v), &[], &filters))
        .collect();
    let (shown, next_token) = page(matching, |v| v.id.as_str(), after.as_deref(), size);
    Ok(DescribeVolumeStatusOutput {
        volume_statuses: Some(shown.into_iter().map(|v| status_view(state, v)).collect()),
        next_token,
    })
}

pub(super) fn describe_modifications(
    state: &ApiState,
    input: DescribeVolumesModificationsInput,
) -> Result<DescribeVolumesModificationsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<ModificationView<'_>>(input.filters)?;
    let ids = requested_ids(input.volume_ids, false)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let volumes = state.store.read(|tx| selected(tx, &ids))?;
    if let Some(unmodified) = ids.iter().find(|id| {
        volumes
            .iter()
            .any(|v| &&v.id == id && v.modification.is_none())
    }) {
        return Err(Rule::InvalidParameterValue(format!(
            "Modification for volume '{unmodified}' does not exist."
        ))
        .into());
    }
    let matching: Vec<Volume> = volumes
        .into_iter()
        .filter(|v| {
            v.modification
                .as_ref()
                .is_some_and(|m| filter::matches(&ModificationView(v, m), &[], &filters))
        })
        .collect();
    let (shown, next_token) = page(matching, |v| v.id.as_str(), after.as_deref(), size);
    Ok(DescribeVolumesModificationsOutput {
        volumes_modifications: Some(
            shown
                .iter()
                .filter_map(|v| Some(modification_view(&v.id, v.modification.as_ref()?)))
                .collect(),
        ),
        next_token,
    })
}

/// The `VolumeId` list of a Describe call, each a well-formed id; a list
/// does not go with `MaxResults`.
fn requested_ids(
    ids: Option<ballast_model::XmlList<String, wire::ItemsVolumeId>>,
    paged: bool,
) -> Result<Vec<String>, Error> {
    let ids = ids.map(|ids| ids.into_inner()).unwrap_or_default();
    if !ids.is_empty() && paged {
        return Err(Rule::InvalidParameterCombination(
            "The parameter volumeSet cannot be used with the parameter maxResults".to_owned(),
        )
        .into());
    }
    for id in &ids {
        check_volume_id(id)?;
    }
    Ok(ids)
}

/// The volumes `ids` names (every volume when empty), by id; an id that
/// names none is `InvalidVolume.NotFound`.
fn selected(tx: &Tx<'_>, ids: &[String]) -> Result<Vec<Volume>, Error> {
    let mut volumes = tx.volumes()?;
    if let Some(missing) = ids.iter().find(|id| !volumes.iter().any(|v| &v.id == *id)) {
        return Err(Rule::VolumeNotFound(missing.clone()).into());
    }
    volumes.retain(|v| ids.is_empty() || ids.contains(&v.id));
    volumes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(volumes)
}

fn check_volume_id(id: &str) -> Result<(), Rule> {
    if ec2::is_id(id, "vol") {
        Ok(())
    } else {
        Err(Rule::VolumeIdMalformed(id.to_owned()))
    }
}

fn find(tx: &Tx<'_>, id: &str) -> Result<Volume, Error> {
    tx.volume(id)?
        .ok_or_else(|| Rule::VolumeNotFound(id.to_owned()).into())
}

fn attachment_view(volume_id: &str, a: &ec2::volume::Attachment) -> AttachVolumeOutput {
    AttachVolumeOutput {
        volume_id: Some(volume_id.to_owned()),
        instance_id: Some(a.instance_id.clone()),
        device: Some(a.device.clone()),
        state: Some(a.state.name().into()),
        attach_time: Some(Timestamp::from_millis(a.attached_millis)),
        delete_on_termination: Some(a.delete_on_termination),
        ..Default::default()
    }
}

fn view(state: &ApiState, volume: Volume, tags: Vec<(String, String)>) -> CreateVolumeOutput {
    let attachments = volume
        .attachment
        .iter()
        .map(|a| attachment_view(&volume.id, a))
        .collect();
    CreateVolumeOutput {
        state: Some(volume.state().into()),
        availability_zone_id: Some(super::instances::zone_id(state, &volume.zone)),
        availability_zone: Some(volume.zone),
        size: Some(volume.size_gib),
        volume_type: Some(volume.volume_type.as_str().into()),
        iops: volume.iops,
        throughput: volume.throughput,
        encrypted: Some(volume.encrypted),
        snapshot_id: Some(volume.snapshot_id.unwrap_or_default()),
        create_time: Some(Timestamp::from_millis(volume.created_millis)),
        multi_attach_enabled: Some(false),
        fast_restored: Some(false),
        attachments: Some(attachments),
        tags: Some(crate::tags::from_pairs(tags)),
        volume_id: Some(volume.id),
        ..Default::default()
    }
}

fn status_view(state: &ApiState, volume: Volume) -> VolumeStatusItem {
    let detail = |name: &str, status: &str| VolumeStatusDetails {
        name: Some(name.into()),
        status: Some(status.to_owned()),
    };
    VolumeStatusItem {
        actions: Some(Vec::new()),
        events: Some(Vec::new()),
        availability_zone_id: Some(super::instances::zone_id(state, &volume.zone)),
        availability_zone: Some(volume.zone),
        volume_status: Some(VolumeStatusInfo {
            status: Some("ok".into()),
            details: Some(vec![
                detail("io-enabled", "passed"),
                detail("io-performance", "not-applicable"),
            ]),
        }),
        volume_id: Some(volume.id),
        ..Default::default()
    }
}

fn modification_view(volume_id: &str, m: &ec2::volume::Modification) -> VolumeModification {
    VolumeModification {
        volume_id: Some(volume_id.to_owned()),
        modification_state: Some(m.state.name().into()),
        target_size: Some(m.target.size_gib),
        target_iops: m.target.iops,
        target_volume_type: Some(m.target.volume_type.as_str().into()),
        target_throughput: m.target.throughput,
        target_multi_attach_enabled: Some(false),
        original_size: Some(m.original.size_gib),
        original_iops: m.original.iops,
        original_volume_type: Some(m.original.volume_type.as_str().into()),
        original_throughput: m.original.throughput,
        original_multi_attach_enabled: Some(false),
        progress: Some(match m.state {
            ec2::volume::ModificationState::Modifying => 0,
            ec2::volume::ModificationState::Completed => 100,
        }),
        start_time: Some(Timestamp::from_millis(m.start_millis)),
        end_time: m.end_millis.map(Timestamp::from_millis),
        ..Default::default()
    }
}

/// The `BlockDeviceMappings` of an instance: its attached volumes.
pub(crate) fn block_devices(volumes: &[Volume]) -> Vec<InstanceBlockDeviceMapping> {
    volumes
        .iter()
        .filter_map(|volume| {
            let attachment = volume.attachment.as_ref()?;
            Some(InstanceBlockDeviceMapping {
                device_name: Some(attachment.device.clone()),
                ebs: Some(EbsInstanceBlockDevice {
                    attach_time: Some(Timestamp::from_millis(attachment.attached_millis)),
                    delete_on_termination: Some(attachment.delete_on_termination),
                    // The mapping's status has no `busy`: still detaching.
                    status: Some(AttachmentStatus::from(match attachment.state {
                        ec2::volume::AttachmentState::Busy => "detaching",
                        other => other.name(),
                    })),
                    volume_id: Some(volume.id.clone()),
                    ..Default::default()
                }),
            })
        })
        .collect()
}
