//! EBS volumes through aws-sdk-rust: every instance's root volume, as
//! DescribeVolumes and DescribeInstances show it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, InstanceType, ResourceType, Tag, TagSpecification,
    VolumeAttachmentState, VolumeState, VolumeType,
};
use ballast_sdk_tests::fixtures::{AL2023, filter};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_has_its_root_volume_until_terminated() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(InstanceType::T3Micro)
        .min_count(6)
        .max_count(6)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Volume)
                .tags(Tag::builder().key("team").value("storage").build())
                .build(),
        )
        .send()
        .await
        .expect("run six instances");
    let instances: Vec<String> = launched
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    assert_eq!(instances.len(), 6);

    // Paging: five, then one, every volume once.
    let mut pages = Vec::new();
    let mut next = None;
    loop {
        let page = ec2
            .describe_volumes()
            .max_results(5)
            .set_next_token(next.take())
            .send()
            .await
            .expect("a page of volumes");
        pages.push(page.volumes().len());
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(pages, [5, 1]);

    // Each instance's volume is attached as AL2023's root device, and
    // DescribeInstances names the same volume.
    let described = ec2
        .describe_volumes()
        .send()
        .await
        .expect("describe volumes");
    let mut root_of: BTreeMap<String, String> = BTreeMap::new();
    for volume in described.volumes() {
        assert_eq!(volume.state(), Some(&VolumeState::InUse));
        assert_eq!(volume.size(), Some(8));
        assert_eq!(volume.volume_type(), Some(&VolumeType::Gp3));
        assert_eq!(volume.tags()[0].key(), Some("team"));
        let attachment = &volume.attachments()[0];
        assert_eq!(attachment.device(), Some("/dev/xvda"));
        assert_eq!(attachment.state(), Some(&VolumeAttachmentState::Attached));
        assert_eq!(attachment.delete_on_termination(), Some(true));
        root_of.insert(
            attachment.instance_id().unwrap_or_default().to_owned(),
            volume.volume_id().unwrap_or_default().to_owned(),
        );
    }
    let mut expected: Vec<&String> = instances.iter().collect();
    expected.sort();
    assert_eq!(root_of.keys().collect::<Vec<_>>(), expected);
    let shown = ec2
        .describe_instances()
        .instance_ids(&instances[0])
        .send()
        .await
        .expect("describe the first instance");
    let mapping = &shown.reservations()[0].instances()[0].block_device_mappings()[0];
    assert_eq!(mapping.device_name(), Some("/dev/xvda"));
    assert_eq!(
        mapping.ebs().and_then(|e| e.volume_id()),
        root_of.get(&instances[0]).map(String::as_str)
    );

    // Filters.
    let of_first = ec2
        .describe_volumes()
        .filters(filter("attachment.instance-id", &[&instances[0]]))
        .filters(filter("tag:team", &["stor*"]))
        .send()
        .await
        .expect("filtered");
    assert_eq!(of_first.volumes().len(), 1);
    let available = ec2
        .describe_volumes()
        .filters(filter("status", &["available"]))
        .send()
        .await
        .expect("filtered by status");
    assert!(available.volumes().is_empty());
    let bad_filter = ec2
        .describe_volumes()
        .filters(filter("colour", &["blue"]))
        .send()
        .await
        .expect_err("an unknown filter");
    assert_eq!(error_code(&bad_filter), "InvalidParameterValue");

    // Errors.
    let missing = ec2
        .describe_volumes()
        .volume_ids("vol-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such volume");
    assert_eq!(error_code(&missing), "InvalidVolume.NotFound");
    let malformed = ec2
        .describe_volumes()
        .volume_ids("volume-1")
        .send()
        .await
        .expect_err("not a volume id");
    assert_eq!(error_code(&malformed), "InvalidVolumeID.Malformed");
    let both = ec2
        .describe_volumes()
        .volume_ids(&root_of[&instances[0]])
        .max_results(5)
        .send()
        .await
        .expect_err("ids and MaxResults together");
    assert_eq!(error_code(&both), "InvalidParameterCombination");

    // Terminating an instance deletes its root volume.
    ec2.terminate_instances()
        .instance_ids(&instances[0])
        .send()
        .await
        .expect("terminate");
    eventually("the instance to be terminated", WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&instances[0])
            .send()
            .await
            .ok()?;
        let state = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        (state == aws_sdk_ec2::types::InstanceStateName::Terminated).then_some(())
    })
    .await;
    let gone = ec2
        .describe_volumes()
        .volume_ids(&root_of[&instances[0]])
        .send()
        .await
        .expect_err("the root volume went with its instance");
    assert_eq!(error_code(&gone), "InvalidVolume.NotFound");
    let left = ec2
        .describe_volumes()
        .send()
        .await
        .expect("describe the rest");
    assert_eq!(left.volumes().len(), 5);
}

/// Polls DescribeVolumes until the volume is in `state` (the SDK's
/// waiters poll every 15 seconds, as AWS's volumes take that long).
async fn wait_volume(ec2: &aws_sdk_ec2::Client, id: &str, state: VolumeState) {
    eventually(&format!("{id} to be {state:?}"), WAIT, || async {
        let out = ec2.describe_volumes().volume_ids(id).send().await.ok()?;
        (out.volumes()[0].state() == Some(&state)).then_some(())
    })
    .await;
}

/// Launches one instance and returns its id and zone.
async fn one_instance(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("run an instance");
    let instance = &launched.instances()[0];
    let id = instance.instance_id().expect("an id").to_owned();
    let zone = instance
        .placement()
        .and_then(|p| p.availability_zone())
        .expect("a zone")
        .to_owned();
    eventually(&format!("{id} to run"), WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .ok()?;
        let state = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        (state == aws_sdk_ec2::types::InstanceStateName::Running).then_some(())
    })
    .await;
    (id, zone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_is_created_attached_detached_grown_and_deleted() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (instance, zone) = one_instance(&ec2).await;

    let created = ec2
        .create_volume()
        .availability_zone(&zone)
        .size(4)
        .volume_type(VolumeType::Gp3)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Volume)
                .tags(Tag::builder().key("Name").value("data").build())
                .build(),
        )
        .send()
        .await
        .expect("CreateVolume");
    let volume = created.volume_id().expect("an id").to_owned();
    assert_eq!(created.state(), Some(&VolumeState::Creating));
    assert_eq!(
        (created.iops(), created.throughput()),
        (Some(3000), Some(125))
    );
    assert_eq!(created.tags()[0].value(), Some("data"));
    wait_volume(&ec2, &volume, VolumeState::Available).await;

    // The default type; and a volume in another zone, named by its id.
    let gp2 = ec2
        .create_volume()
        .availability_zone(&zone)
        .size(10)
        .send()
        .await
        .expect("a gp2 volume");
    let (other_zone_id, other_zone) = if zone == "us-east-1a" {
        ("use1-az2", "us-east-1b")
    } else {
        ("use1-az1", "us-east-1a")
    };
    let elsewhere = ec2
        .create_volume()
        .availability_zone_id(other_zone_id)
        .size(1)
        .send()
        .await
        .expect("a volume in another zone");
    assert_eq!(elsewhere.availability_zone(), Some(other_zone));
    assert_eq!(gp2.volume_type(), Some(&VolumeType::Gp2));
    assert_eq!(gp2.iops(), Some(100));

    let attached = ec2
        .attach_volume()
        .volume_id(&volume)
        .instance_id(&instance)
        .device("/dev/sdf")
        .send()
        .await
        .expect("AttachVolume");
    assert_eq!(attached.state(), Some(&VolumeAttachmentState::Attaching));
    eventually("the attachment to be attached", WAIT, || async {
        let out = ec2
            .describe_volumes()
            .volume_ids(&volume)
            .send()
            .await
            .ok()?;
        let state = out.volumes()[0].attachments().first()?.state()?.clone();
        (state == VolumeAttachmentState::Attached).then_some(())
    })
    .await;
    let shown = ec2
        .describe_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("DescribeInstances");
    let devices: Vec<&str> = shown.reservations()[0].instances()[0]
        .block_device_mappings()
        .iter()
        .filter_map(|m| m.device_name())
        .collect();
    assert_eq!(devices, ["/dev/xvda", "/dev/sdf"]);
    let by_device = ec2
        .describe_volumes()
        .filters(filter("attachment.device", &["/dev/sdf"]))
        .filters(filter("attachment.instance-id", &[&instance]))
        .send()
        .await
        .expect("by attachment");
    assert_eq!(by_device.volumes()[0].volume_id(), Some(volume.as_str()));

    // Attachment errors.
    let gp2_id = gp2.volume_id().expect("an id");
    wait_volume(&ec2, gp2_id, VolumeState::Available).await;
    wait_volume(
        &ec2,
        elsewhere.volume_id().expect("an id"),
        VolumeState::Available,
    )
    .await;
    let taken = ec2
        .attach_volume()
        .volume_id(gp2_id)
        .instance_id(&instance)
        .device("/dev/xvdf")
        .send()
        .await
        .expect_err("xvdf is sdf");
    assert_eq!(error_code(&taken), "InvalidParameterValue");
    let mismatch = ec2
        .attach_volume()
        .volume_id(elsewhere.volume_id().expect("an id"))
        .instance_id(&instance)
        .device("/dev/sdg")
        .send()
        .await
        .expect_err("another zone");
    assert_eq!(error_code(&mismatch), "InvalidVolume.ZoneMismatch");
    let in_use = ec2
        .attach_volume()
        .volume_id(&volume)
        .instance_id(&instance)
        .device("/dev/sdh")
        .send()
        .await
        .expect_err("already attached");
    assert_eq!(error_code(&in_use), "VolumeInUse");
    let delete_in_use = ec2
        .delete_volume()
        .volume_id(&volume)
        .send()
        .await
        .expect_err("attached volumes stay");
    assert_eq!(error_code(&delete_in_use), "VolumeInUse");
    let root = ec2
        .describe_volumes()
        .filters(filter("attachment.device", &["/dev/xvda"]))
        .filters(filter("attachment.instance-id", &[&instance]))
        .send()
        .await
        .expect("the root volume");
    let root_detach = ec2
        .detach_volume()
        .volume_id(root.volumes()[0].volume_id().expect("an id"))
        .send()
        .await
        .expect_err("a running instance keeps its root");
    assert_eq!(error_code(&root_detach), "IncorrectState");

    // Growing: the modification completes and the volume has its size.
    let modified = ec2
        .modify_volume()
        .volume_id(&volume)
        .size(8)
        .send()
        .await
        .expect("ModifyVolume");
    let modification = modified.volume_modification().expect("a modification");
    assert_eq!(
        (modification.original_size(), modification.target_size()),
        (Some(4), Some(8))
    );
    eventually("the modification to complete", WAIT, || async {
        let out = ec2
            .describe_volumes_modifications()
            .volume_ids(&volume)
            .send()
            .await
            .ok()?;
        let state = out.volumes_modifications()[0].modification_state()?.clone();
        (state == aws_sdk_ec2::types::VolumeModificationState::Completed).then_some(())
    })
    .await;
    let grown = ec2
        .describe_volumes()
        .volume_ids(&volume)
        .send()
        .await
        .expect("describe");
    assert_eq!(grown.volumes()[0].size(), Some(8));
    let shrink = ec2
        .modify_volume()
        .volume_id(&volume)
        .size(2)
        .send()
        .await
        .expect_err("volumes only grow");
    assert_eq!(error_code(&shrink), "InvalidParameterValue");
    let never = ec2
        .describe_volumes_modifications()
        .volume_ids(gp2_id)
        .send()
        .await
        .expect_err("never modified");
    assert_eq!(error_code(&never), "InvalidParameterValue");

    let status = ec2
        .describe_volume_status()
        .volume_ids(&volume)
        .send()
        .await
        .expect("DescribeVolumeStatus");
    let item = &status.volume_statuses()[0];
    assert_eq!(
        item.volume_status().and_then(|s| s.status()),
        Some(&aws_sdk_ec2::types::VolumeStatusInfoStatus::Ok)
    );

    // Detaching: detaching, then available; a second detach is refused.
    let detached = ec2
        .detach_volume()
        .volume_id(&volume)
        .instance_id(&instance)
        .send()
        .await
        .expect("DetachVolume");
    assert_eq!(detached.state(), Some(&VolumeAttachmentState::Detaching));
    wait_volume(&ec2, &volume, VolumeState::Available).await;
    let again = ec2
        .detach_volume()
        .volume_id(&volume)
        .send()
        .await
        .expect_err("not attached");
    assert_eq!(error_code(&again), "IncorrectState");

    // Creation errors.
    let no_size = ec2
        .create_volume()
        .availability_zone(&zone)
        .send()
        .await
        .expect_err("no size");
    assert_eq!(error_code(&no_size), "MissingParameter");
    let bad_zone = ec2
        .create_volume()
        .availability_zone("us-east-1z")
        .size(1)
        .send()
        .await
        .expect_err("no such zone");
    assert_eq!(error_code(&bad_zone), "InvalidZone.NotFound");
    let snapshot = ec2
        .create_volume()
        .availability_zone(&zone)
        .snapshot_id("snap-0123456789abcdef0")
        .send()
        .await
        .expect_err("no snapshots yet");
    assert_eq!(error_code(&snapshot), "InvalidSnapshot.NotFound");
    let io1 = ec2
        .create_volume()
        .availability_zone(&zone)
        .size(10)
        .volume_type(VolumeType::Io1)
        .send()
        .await
        .expect_err("io1 needs Iops");
    assert_eq!(error_code(&io1), "MissingParameter");

    // A retry with the same ClientToken gets the first call's volume; the
    // token reused for another volume is refused.
    let token = unique("create-volume");
    let create = || {
        ec2.create_volume()
            .availability_zone(&zone)
            .size(1)
            .client_token(&token)
    };
    let first = create().send().await.expect("CreateVolume with a token");
    let retry = create().send().await.expect("the same call retried");
    assert_eq!(retry.volume_id(), first.volume_id());
    let reused = create()
        .size(2)
        .send()
        .await
        .expect_err("the token for another volume");
    assert_eq!(error_code(&reused), "IdempotentParameterMismatch");

    // Deleting, and the disk with it.
    ec2.delete_volume()
        .volume_id(&volume)
        .send()
        .await
        .expect("DeleteVolume");
    let gone = ec2
        .describe_volumes()
        .volume_ids(&volume)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&gone), "InvalidVolume.NotFound");
    let disk = ballast
        .data_dir
        .join("volumes")
        .join(format!("{volume}.img"));
    eventually("the disk to be removed", WAIT, || async {
        (!disk.exists()).then_some(())
    })
    .await;
    let missing = ec2
        .delete_volume()
        .volume_id(&volume)
        .send()
        .await
        .expect_err("already gone");
    assert_eq!(error_code(&missing), "InvalidVolume.NotFound");
}

fn ebs_mapping(device: &str, size: Option<i32>, keep: bool) -> BlockDeviceMapping {
    BlockDeviceMapping::builder()
        .device_name(device)
        .ebs(
            EbsBlockDevice::builder()
                .set_volume_size(size)
                .delete_on_termination(!keep)
                .build(),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_device_mappings_size_the_root_and_add_volumes() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .block_device_mappings(ebs_mapping("/dev/xvda", Some(20), false))
        .block_device_mappings(ebs_mapping("/dev/sdf", Some(5), true))
        .block_device_mappings(ebs_mapping("/dev/sdg", Some(1), false))
        .send()
        .await
        .expect("RunInstances with mappings");
    let instance = launched.instances()[0]
        .instance_id()
        .expect("an id")
        .to_owned();
    let volumes_of = |instance: String| {
        let ec2 = ec2.clone();
        async move {
            let out = ec2
                .describe_volumes()
                .filters(filter("attachment.instance-id", &[&instance]))
                .send()
                .await
                .expect("DescribeVolumes");
            out.volumes()
                .iter()
                .map(|v| {
                    let a = &v.attachments()[0];
                    (
                        a.device().unwrap_or_default().to_owned(),
                        v.size().unwrap_or_default(),
                        a.delete_on_termination().unwrap_or_default(),
                        v.volume_id().unwrap_or_default().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let mut volumes = volumes_of(instance.clone()).await;
    volumes.sort();
    let shape: Vec<_> = volumes
        .iter()
        .map(|(device, size, delete, _)| (device.as_str(), *size, *delete))
        .collect();
    assert_eq!(
        shape,
        [
            ("/dev/sdf", 5, false),
            ("/dev/sdg", 1, true),
            ("/dev/xvda", 20, true)
        ]
    );
    let kept = volumes[0].3.clone();
    eventually("the mapped volumes to be attached", WAIT, || async {
        let out = ec2
            .describe_volumes()
            .filters(filter("attachment.instance-id", &[&instance]))
            .filters(filter("attachment.status", &["attached"]))
            .send()
            .await
            .ok()?;
        (out.volumes().len() == 3).then_some(())
    })
    .await;

    // Termination keeps only the volume mapped with DeleteOnTermination
    // false.
    ec2.terminate_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("TerminateInstances");
    wait_volume(&ec2, &kept, VolumeState::Available).await;
    for (_, _, _, id) in volumes.iter().filter(|v| v.3 != kept) {
        let gone = ec2
            .describe_volumes()
            .volume_ids(id)
            .send()
            .await
            .expect_err("deleted with the instance");
        assert_eq!(error_code(&gone), "InvalidVolume.NotFound");
    }

    // Errors.
    for (mapping, code) in [
        (
            ebs_mapping("/dev/sdf", None, false),
            "InvalidBlockDeviceMapping",
        ),
        (
            ebs_mapping("/dev/xvda", Some(4), false),
            "InvalidBlockDeviceMapping",
        ),
        (
            ebs_mapping("sdf", Some(4), false),
            "InvalidBlockDeviceMapping",
        ),
        (
            BlockDeviceMapping::builder()
                .device_name("/dev/sdf")
                .ebs(
                    EbsBlockDevice::builder()
                        .snapshot_id("snap-0123456789abcdef0")
                        .build(),
                )
                .build(),
            "InvalidSnapshot.NotFound",
        ),
    ] {
        let refused = ec2
            .run_instances()
            .image_id(AL2023)
            .min_count(1)
            .max_count(1)
            .block_device_mappings(mapping)
            .send()
            .await
            .expect_err("a bad mapping");
        assert_eq!(error_code(&refused), code);
    }

    // A launch template's mappings apply too.
    let template = ec2
        .create_launch_template()
        .launch_template_name("with-data-volume")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(AL2023)
                .block_device_mappings(
                    aws_sdk_ec2::types::LaunchTemplateBlockDeviceMappingRequest::builder()
                        .device_name("/dev/sdh")
                        .ebs(
                            aws_sdk_ec2::types::LaunchTemplateEbsBlockDeviceRequest::builder()
                                .volume_size(2)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let from_template = ec2
        .run_instances()
        .launch_template(
            aws_sdk_ec2::types::LaunchTemplateSpecification::builder()
                .launch_template_id(
                    template
                        .launch_template()
                        .and_then(|t| t.launch_template_id())
                        .expect("an id"),
                )
                .build(),
        )
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances from the template");
    let mut devices: Vec<String> = volumes_of(
        from_template.instances()[0]
            .instance_id()
            .expect("an id")
            .to_owned(),
    )
    .await
    .into_iter()
    .map(|v| v.0)
    .collect();
    devices.sort();
    assert_eq!(devices, ["/dev/sdh", "/dev/xvda"]);
}
