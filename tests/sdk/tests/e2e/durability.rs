//! Every acknowledged mutation survives `kill -9` of `ballast up`.

use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use aws_sdk_ssm::types::ParameterType;
use ballast_sdk_tests::Ballast;

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Ballast::start_in(dir.path(), &[]);
    let ssm = first.ssm();
    let elb = first.elbv2();
    for i in 0..20 {
        ssm.put_parameter()
            .name(format!("/durable/p{i}"))
            .value(format!("value-{i}"))
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
    }
    let arn = elb
        .create_target_group()
        .name("durable")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id("vpc-1")
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    // The last acknowledged write, immediately followed by SIGKILL.
    ssm.put_parameter()
        .name("/durable/p0")
        .value("overwritten")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    first.kill9();

    let second = Ballast::start_in(dir.path(), &[]);
    let ssm = second.ssm();
    let got = ssm
        .get_parameter()
        .name("/durable/p0")
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("overwritten"));
    assert_eq!(got.parameter().unwrap().version(), 2);
    let all = ssm
        .get_parameters_by_path()
        .path("/durable")
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .map(|page| page.parameters().len())
            .sum::<usize>(),
        20
    );
    let groups = second
        .elbv2()
        .describe_target_groups()
        .names("durable")
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.target_groups()[0].target_group_arn(),
        Some(arn.as_str())
    );
}
