//! An EC2 reservation answered with its instances already written (the
//! DescribeInstances memo) reads byte for byte as one written from the
//! structures: EC2's `item` lists, nested lists with their own spellings,
//! timestamps, enums and text that needs escaping.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ballast_model::Prewritten;
use ballast_model::ec2::{
    DescribeInstancesOutput, GroupIdentifier, Instance, InstanceNetworkInterface, InstanceState,
    InstanceStateName, InstanceType, Placement, RunInstancesOutput, Tag,
};
use ballast_wire::xml::EC2_ITEM;
use ballast_wire::{Service, Timestamp, encode_output};

fn instance(id: &str) -> Instance {
    Instance {
        instance_id: Some(id.to_owned()),
        image_id: Some("ami-0ba11a5700a023086".to_owned()),
        instance_type: Some(InstanceType::T3Micro),
        state: Some(InstanceState {
            code: Some(16),
            name: Some(InstanceStateName::Running),
        }),
        launch_time: Some(Timestamp::from_millis(1_764_000_000_123)),
        placement: Some(Placement {
            availability_zone: Some("us-east-1a".to_owned()),
            ..Default::default()
        }),
        security_groups: Some(vec![GroupIdentifier {
            group_id: Some("sg-1".to_owned()),
            group_name: Some("web & <api>".to_owned()),
        }]),
        network_interfaces: Some(vec![InstanceNetworkInterface {
            network_interface_id: Some("eni-1".to_owned()),
            groups: Some(vec![GroupIdentifier {
                group_id: Some("sg-1".to_owned()),
                group_name: None,
            }]),
            ..Default::default()
        }]),
        tags: Some(vec![Tag {
            key: Some("Name".to_owned()),
            value: Some("a \"quoted\" name\r".to_owned()),
        }]),
        ebs_optimized: Some(false),
        ..Default::default()
    }
}

fn answer(instances: Vec<Prewritten<Instance>>) -> Vec<u8> {
    let output = DescribeInstancesOutput {
        reservations: Some(vec![RunInstancesOutput {
            reservation_id: Some("r-1".to_owned()),
            owner_id: Some("000000000000".to_owned()),
            groups: Some(Vec::new()),
            instances: Some(instances),
            requester_id: None,
        }]),
        next_token: None,
    };
    encode_output(Service::Ec2, "DescribeInstances", "req-1", Some(&output))
        .unwrap()
        .body
}

#[test]
fn kept_instances_answer_as_written_ones() {
    let ids = ["i-0a", "i-0b"];
    let written = answer(ids.iter().map(|id| instance(id).into()).collect());
    let kept = answer(
        ids.iter()
            .map(|id| Prewritten::Xml(Prewritten::write(&instance(id), EC2_ITEM).unwrap()))
            .collect(),
    );
    assert_eq!(
        String::from_utf8(kept).unwrap(),
        String::from_utf8(written.clone()).unwrap()
    );
    let text = String::from_utf8(written).unwrap();
    assert!(
        text.contains("<instanceId>i-0a</instanceId>") && text.contains("</item></instancesSet>"),
        "{text}"
    );
    assert!(text.contains("web &amp; &lt;api&gt;"), "{text}");
}
