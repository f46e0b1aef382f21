//! EBS volumes: DescribeVolumes, and the block device mappings
//! DescribeInstances shows.

use ballast_core::ec2::{self, Error as Rule, Volume, filter};
use ballast_core::paging::page;
use ballast_model::ec2 as wire;
use ballast_model::ec2::{
    AttachmentStatus, DescribeVolumesInput, DescribeVolumesOutput, EbsInstanceBlockDevice,
    InstanceBlockDeviceMapping, VolumeAttachment,
};
use ballast_wire::Timestamp;

use super::{Error, describe_page, dry_run, filters};
use crate::ApiState;

/// DescribeVolumes returns at most this many volumes a page, whatever
/// `MaxResults` asks above it.
const MAX_PAGE: i32 = 500;

pub(super) fn describe(
    state: &ApiState,
    input: DescribeVolumesInput,
) -> Result<DescribeVolumesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<Volume>(input.filters)?;
    let ids = input
        .volume_ids
        .map(|ids| ids.into_inner())
        .unwrap_or_default();
    if !ids.is_empty() && input.max_results.is_some() {
        return Err(Rule::InvalidParameterCombination(
            "The parameter volumeSet cannot be used with the parameter maxResults".to_owned(),
        )
        .into());
    }
    for id in &ids {
        if !ec2::is_id(id, "vol") {
            return Err(Rule::VolumeIdMalformed(id.clone()).into());
        }
    }
    let max_results = input.max_results.map(|n| n.min(MAX_PAGE));
    let (size, after) = describe_page(max_results, input.next_token.as_deref())?;
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let mut volumes = tx.volumes()?;
        if let Some(missing) = ids.iter().find(|id| !volumes.iter().any(|v| &v.id == *id)) {
            return Err(Rule::VolumeNotFound(missing.clone()).into());
        }
        volumes.sort_by(|a, b| a.id.cmp(&b.id));
        let mut out = Vec::new();
        for volume in volumes {
            if !ids.is_empty() && !ids.contains(&volume.id) {
                continue;
            }
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

fn view(state: &ApiState, volume: Volume, tags: Vec<(String, String)>) -> wire::Volume {
    let attachments = volume
        .attachment
        .iter()
        .map(|a| VolumeAttachment {
            volume_id: Some(volume.id.clone()),
            instance_id: Some(a.instance_id.clone()),
            device: Some(a.device.clone()),
            state: Some("attached".into()),
            attach_time: Some(Timestamp::from_millis(a.attached_millis)),
            delete_on_termination: Some(a.delete_on_termination),
            ..Default::default()
        })
        .collect();
    wire::Volume {
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

/// The `BlockDeviceMappings` of an instance: its attached volumes.
pub(super) fn block_devices(volumes: &[Volume]) -> Vec<InstanceBlockDeviceMapping> {
    volumes
        .iter()
        .filter_map(|volume| {
            let attachment = volume.attachment.as_ref()?;
            Some(InstanceBlockDeviceMapping {
                device_name: Some(attachment.device.clone()),
                ebs: Some(EbsInstanceBlockDevice {
                    attach_time: Some(Timestamp::from_millis(attachment.attached_millis)),
                    delete_on_termination: Some(attachment.delete_on_termination),
                    status: Some(AttachmentStatus::Attached),
                    volume_id: Some(volume.id.clone()),
                    ..Default::default()
                }),
            })
        })
        .collect()
}
