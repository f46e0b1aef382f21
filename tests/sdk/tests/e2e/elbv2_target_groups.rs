//! ELBv2 target groups and tags through aws-sdk-elasticloadbalancingv2.

use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, Tag, TargetGroupAttribute, TargetTypeEnum,
};
use ballast_sdk_tests::{Ballast, error_code, unique};

fn create(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
) -> aws_sdk_elasticloadbalancingv2::operation::create_target_group::builders::CreateTargetGroupFluentBuilder
{
    elb.create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id("vpc-0123456789abcdef0")
}

#[tokio::test]
async fn create_fills_aws_defaults() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let out = create(&elb, "web").send().await.unwrap();
    let tg = &out.target_groups()[0];
    let arn = tg.target_group_arn().unwrap();
    let prefix = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/";
    assert!(arn.starts_with(prefix), "{arn}");
    let suffix = &arn[prefix.len()..];
    assert_eq!(suffix.len(), 16);
    assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(tg.health_check_protocol(), Some(&ProtocolEnum::Http));
    assert_eq!(tg.health_check_port(), Some("traffic-port"));
    assert_eq!(tg.health_check_path(), Some("/"));
    assert_eq!(tg.health_check_interval_seconds(), Some(30));
    assert_eq!(tg.health_check_timeout_seconds(), Some(5));
    assert_eq!(tg.healthy_threshold_count(), Some(5));
    assert_eq!(tg.unhealthy_threshold_count(), Some(2));
    assert_eq!(tg.health_check_enabled(), Some(true));
    assert_eq!(tg.matcher().and_then(|m| m.http_code()), Some("200"));
    assert_eq!(tg.target_type(), Some(&TargetTypeEnum::Instance));
    assert!(tg.load_balancer_arns().is_empty());
}

#[tokio::test]
async fn same_name_same_settings_is_idempotent_otherwise_duplicate() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let first = create(&elb, "api").send().await.unwrap();
    let second = create(&elb, "api").send().await.unwrap();
    assert_eq!(
        first.target_groups()[0].target_group_arn(),
        second.target_groups()[0].target_group_arn()
    );
    let clash = create(&elb, "api").port(8080).send().await.unwrap_err();
    assert_eq!(error_code(&clash), "DuplicateTargetGroupName");
}

#[tokio::test]
async fn out_of_range_settings_are_validation_errors() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let cases = [
        create(&elb, "r1").health_check_interval_seconds(4),
        create(&elb, "r2").health_check_timeout_seconds(121),
        create(&elb, "r3").healthy_threshold_count(1),
        create(&elb, "r4").unhealthy_threshold_count(11),
        create(&elb, "r5").health_check_path("x".repeat(1025)),
        create(&elb, "r6").matcher(Matcher::builder().http_code("600").build()),
        create(&elb, "-leading"),
        create(&elb, "under_score"),
        create(&elb, &"n".repeat(33)),
        elb.create_target_group()
            .name("noproto")
            .port(80)
            .vpc_id("vpc-1"),
    ];
    for case in cases {
        let error = case.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationError");
    }
    let all = elb.describe_target_groups().send().await.unwrap();
    assert!(
        all.target_groups().is_empty(),
        "a rejected create stored something"
    );
}

#[tokio::test]
async fn describe_by_name_arn_and_pages() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let mut arns = Vec::new();
    for i in 0..5 {
        let out = create(&elb, &format!("page-{i}")).send().await.unwrap();
        arns.push(
            out.target_groups()[0]
                .target_group_arn()
                .unwrap()
                .to_owned(),
        );
    }
    let by_name = elb
        .describe_target_groups()
        .names("page-3")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_name.target_groups()[0].target_group_arn(),
        Some(arns[3].as_str())
    );
    let by_arn = elb
        .describe_target_groups()
        .target_group_arns(&arns[1])
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_arn.target_groups()[0].target_group_name(),
        Some("page-1")
    );

    let paged: Vec<String> = elb
        .describe_target_groups()
        .page_size(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|tg| tg.target_group_name().map(str::to_owned))
        .collect();
    assert_eq!(paged, ["page-0", "page-1", "page-2", "page-3", "page-4"]);

    let missing = elb
        .describe_target_groups()
        .names("page-1")
        .names("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "TargetGroupNotFound");
}

#[tokio::test]
async fn modify_health_check() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let arn = create(&elb, "mod").send().await.unwrap().target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let out = elb
        .modify_target_group()
        .target_group_arn(&arn)
        .health_check_path("/healthz")
        .health_check_interval_seconds(10)
        .matcher(Matcher::builder().http_code("200-299").build())
        .send()
        .await
        .unwrap();
    let tg = &out.target_groups()[0];
    assert_eq!(tg.health_check_path(), Some("/healthz"));
    assert_eq!(tg.health_check_interval_seconds(), Some(10));
    let bad = elb
        .modify_target_group()
        .target_group_arn(&arn)
        .health_check_timeout_seconds(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad), "ValidationError");
    let unknown = elb
        .modify_target_group()
        .target_group_arn(arn.replace("/mod/", "/other/"))
        .health_check_path("/x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown), "TargetGroupNotFound");
    let described = elb
        .describe_target_groups()
        .names("mod")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.target_groups()[0].health_check_interval_seconds(),
        Some(10)
    );
}

#[tokio::test]
async fn attributes_have_defaults_and_ranges() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let arn = create(&elb, "attrs").send().await.unwrap().target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let value_of = |attrs: &[TargetGroupAttribute], key: &str| {
        attrs
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    let attrs = elb
        .describe_target_group_attributes()
        .target_group_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        value_of(attrs.attributes(), "deregistration_delay.timeout_seconds").as_deref(),
        Some("300")
    );
    assert_eq!(
        value_of(attrs.attributes(), "load_balancing.algorithm.type").as_deref(),
        Some("round_robin")
    );
    let attr = |k: &str, v: &str| TargetGroupAttribute::builder().key(k).value(v).build();
    let changed = elb
        .modify_target_group_attributes()
        .target_group_arn(&arn)
        .attributes(attr("deregistration_delay.timeout_seconds", "5"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        value_of(changed.attributes(), "deregistration_delay.timeout_seconds").as_deref(),
        Some("5")
    );
    for (k, v) in [
        ("deregistration_delay.timeout_seconds", "3601"),
        ("stickiness.enabled", "sometimes"),
        ("no.such.attribute", "1"),
    ] {
        let error = elb
            .modify_target_group_attributes()
            .target_group_arn(&arn)
            .attributes(attr(k, v))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationError", "{k}={v}");
    }
    let after = elb
        .describe_target_group_attributes()
        .target_group_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        value_of(after.attributes(), "deregistration_delay.timeout_seconds").as_deref(),
        Some("5")
    );
}

#[tokio::test]
async fn tags_and_delete() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let name = unique("tg").replace('-', "x");
    let name = &name[..name.len().min(32)];
    let arn = create(&elb, name)
        .tags(Tag::builder().key("env").value("test").build())
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    elb.add_tags()
        .resource_arns(&arn)
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .unwrap();
    let described = elb
        .describe_tags()
        .resource_arns(&arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = described.tag_descriptions()[0]
        .tags()
        .iter()
        .filter_map(|t| t.key())
        .collect();
    assert_eq!(keys, ["env", "team"]);
    elb.remove_tags()
        .resource_arns(&arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let described = elb
        .describe_tags()
        .resource_arns(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.tag_descriptions()[0].tags().len(), 1);

    let duplicate = elb
        .add_tags()
        .resource_arns(&arn)
        .tags(Tag::builder().key("a").value("1").build())
        .tags(Tag::builder().key("a").value("2").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&duplicate), "DuplicateTagKeys");

    elb.delete_target_group()
        .target_group_arn(&arn)
        .send()
        .await
        .unwrap();
    let gone = elb
        .describe_target_groups()
        .target_group_arns(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "TargetGroupNotFound");
    let tags_gone = elb
        .describe_tags()
        .resource_arns(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&tags_gone), "TargetGroupNotFound");
    // Deleting again succeeds, as on AWS.
    elb.delete_target_group()
        .target_group_arn(&arn)
        .send()
        .await
        .unwrap();
    let malformed = elb
        .delete_target_group()
        .target_group_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&malformed), "ValidationError");
}
