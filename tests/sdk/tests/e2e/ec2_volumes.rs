//! EBS volumes through aws-sdk-rust: every instance's root volume, as
//! DescribeVolumes and DescribeInstances show it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{
    InstanceType, ResourceType, Tag, TagSpecification, VolumeAttachmentState, VolumeState,
    VolumeType,
};
use ballast_sdk_tests::fixtures::{AL2023, filter};
use ballast_sdk_tests::{Ballast, error_code};

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
    ec2.wait_until_instance_terminated()
        .instance_ids(&instances[0])
        .wait(WAIT)
        .await
        .expect("terminated");
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
