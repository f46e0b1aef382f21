//! ELBv2 load balancers, listeners, rules and target registration through
//! aws-sdk-elasticloadbalancingv2: every operation, its errors and the SDK
//! waiters. Target states that need real health checks (healthy,
//! unhealthy) are covered by the data-plane tests.

use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::client::Waiters;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ForwardActionConfig,
    HttpHeaderConditionConfig, HttpRequestMethodConditionConfig, IpAddressType,
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
    PathPatternConditionConfig, ProtocolEnum, QueryStringConditionConfig, QueryStringKeyValuePair,
    RedirectActionConfig, RedirectActionStatusCodeEnum, RuleCondition, RulePriorityPair,
    SourceIpConditionConfig, SubnetMapping, Tag, TargetDescription, TargetGroupStickinessConfig,
    TargetGroupTuple, TargetHealthReasonEnum, TargetHealthStateEnum, TargetTypeEnum,
};
use ballast_sdk_tests::fixtures::VPC;
use ballast_sdk_tests::{Ballast, error_code};

/// The default subnets of us-east-1a, -1b and -1c (docs/behaviour.md).
const SUBNETS: [&str; 3] = [
    "subnet-0ba11a5700000000a",
    "subnet-0ba11a5700000000b",
    "subnet-0ba11a5700000000c",
];
const ARN_PREFIX: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:";

/// A listener port unlikely to be used by a parallel test run: each load
/// balancer has its own address, but two Ballast processes both give
/// their first load balancer the same one.
fn port() -> i32 {
    use std::sync::atomic::{AtomicI32, Ordering};
    static NEXT: AtomicI32 = AtomicI32::new(0);
    20_000 + (std::process::id() % 2_000) as i32 * 16 + NEXT.fetch_add(1, Ordering::Relaxed) % 16
}

async fn create_lb(elb: &Client, name: &str) -> String {
    let out = elb
        .create_load_balancer()
        .name(name)
        .subnets(SUBNETS[0])
        .subnets(SUBNETS[1])
        .send()
        .await
        .unwrap();
    out.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned()
}

async fn create_tg(elb: &Client, name: &str) -> String {
    let out = elb
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(VPC)
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    out.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned()
}

fn forward(tg: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(tg)
        .build()
}

fn fixed(status: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code(status)
                .content_type("text/plain")
                .message_body("not here")
                .build(),
        )
        .build()
}

async fn create_listener(elb: &Client, lb: &str, action: Action) -> String {
    let out = elb
        .create_listener()
        .load_balancer_arn(lb)
        .protocol(ProtocolEnum::Http)
        .port(port())
        .default_actions(action)
        .send()
        .await
        .unwrap();
    out.listeners()[0].listener_arn().unwrap().to_owned()
}

fn path(pattern: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("path-pattern")
        .values(pattern)
        .build()
}

fn target(id: &str, port: i32) -> TargetDescription {
    TargetDescription::builder().id(id).port(port).build()
}

// --------------------------------------------------------------- load balancers

#[tokio::test]
async fn create_describes_an_application_load_balancer() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let out = elb
        .create_load_balancer()
        .name("web")
        .subnets(SUBNETS[1])
        .subnets(SUBNETS[2])
        .tags(Tag::builder().key("env").value("test").build())
        .send()
        .await
        .unwrap();
    let lb = &out.load_balancers()[0];
    assert_eq!(
        lb.state().and_then(|s| s.code()),
        Some(&LoadBalancerStateEnum::Provisioning)
    );
    let arn = lb.load_balancer_arn().unwrap();
    let id = arn
        .strip_prefix(&format!("{ARN_PREFIX}loadbalancer/app/web/"))
        .unwrap_or_else(|| panic!("{arn}"));
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{arn}"
    );
    let dns = lb.dns_name().unwrap();
    let digits = dns
        .strip_prefix("web-")
        .and_then(|rest| rest.strip_suffix(".us-east-1.elb.ballast.internal"))
        .unwrap_or_else(|| panic!("{dns}"));
    assert!(
        digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{dns}"
    );
    assert_eq!(lb.canonical_hosted_zone_id(), Some("Z35SXDOTRQ7X7K"));
    assert_eq!(lb.vpc_id(), Some(VPC));
    assert_eq!(lb.r#type(), Some(&LoadBalancerTypeEnum::Application));
    assert_eq!(lb.scheme(), Some(&LoadBalancerSchemeEnum::InternetFacing));
    assert_eq!(lb.ip_address_type(), Some(&IpAddressType::Ipv4));
    assert_eq!(lb.security_groups(), ["sg-0ba11a57000000000"]);
    assert!(lb.created_time().is_some());
    let zones: Vec<_> = lb
        .availability_zones()
        .iter()
        .map(|z| (z.zone_name().unwrap(), z.subnet_id().unwrap()))
        .collect();
    assert_eq!(
        zones,
        [("us-east-1b", SUBNETS[1]), ("us-east-1c", SUBNETS[2])]
    );

    elb.wait_until_load_balancer_available()
        .load_balancer_arns(arn)
        .wait(Duration::from_secs(10))
        .await
        .unwrap();
    let described = elb
        .describe_load_balancers()
        .names("web")
        .send()
        .await
        .unwrap();
    let again = &described.load_balancers()[0];
    assert_eq!(
        again.state().and_then(|s| s.code()),
        Some(&LoadBalancerStateEnum::Active)
    );
    assert_eq!(again.dns_name(), Some(dns));
    assert_eq!(again.created_time(), lb.created_time());
    let tags = elb.describe_tags().resource_arns(arn).send().await.unwrap();
    assert_eq!(tags.tag_descriptions()[0].tags()[0].key(), Some("env"));
}

#[tokio::test]
async fn subnets_and_mappings_place_zones() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    // Subnets Ballast does not know are placed by position: a, b, c.
    let out = elb
        .create_load_balancer()
        .name("mapped")
        .subnet_mappings(
            SubnetMapping::builder()
                .subnet_id("subnet-0123456789abcdef0")
                .build(),
        )
        .subnet_mappings(
            SubnetMapping::builder()
                .subnet_id("subnet-0fedcba9876543210")
                .build(),
        )
        .subnet_mappings(
            SubnetMapping::builder()
                .subnet_id("subnet-00000000000000001")
                .build(),
        )
        .scheme(LoadBalancerSchemeEnum::Internal)
        .security_groups("sg-0123456789abcdef0")
        .ip_address_type(IpAddressType::Dualstack)
        .send()
        .await
        .unwrap();
    let lb = &out.load_balancers()[0];
    let zones: Vec<_> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name())
        .collect();
    assert_eq!(zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    assert_eq!(lb.scheme(), Some(&LoadBalancerSchemeEnum::Internal));
    assert_eq!(lb.security_groups(), ["sg-0123456789abcdef0"]);
    assert_eq!(lb.ip_address_type(), Some(&IpAddressType::Dualstack));
    assert!(lb.dns_name().unwrap().starts_with("internal-mapped-"));
}

#[tokio::test]
async fn subnets_security_groups_and_address_type_change_in_place() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let arn = create_lb(&elb, "moving").await;
    let moved = elb
        .set_subnets()
        .load_balancer_arn(&arn)
        .subnets(SUBNETS[1])
        .subnets(SUBNETS[2])
        .send()
        .await
        .expect("SetSubnets");
    let zones: Vec<_> = moved
        .availability_zones()
        .iter()
        .map(|z| {
            (
                z.zone_name().unwrap_or_default(),
                z.subnet_id().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        zones,
        [("us-east-1b", SUBNETS[1]), ("us-east-1c", SUBNETS[2])]
    );
    let guarded = elb
        .set_security_groups()
        .load_balancer_arn(&arn)
        .security_groups("sg-0123456789abcdef0")
        .security_groups("sg-0fedcba9876543210")
        .send()
        .await
        .expect("SetSecurityGroups");
    assert_eq!(
        guarded.security_group_ids(),
        ["sg-0123456789abcdef0", "sg-0fedcba9876543210"]
    );
    let dual = elb
        .set_ip_address_type()
        .load_balancer_arn(&arn)
        .ip_address_type(IpAddressType::Dualstack)
        .send()
        .await
        .expect("SetIpAddressType");
    assert_eq!(dual.ip_address_type(), Some(&IpAddressType::Dualstack));
    let described = elb
        .describe_load_balancers()
        .load_balancer_arns(&arn)
        .send()
        .await
        .expect("DescribeLoadBalancers");
    let lb = &described.load_balancers()[0];
    assert_eq!(lb.availability_zones().len(), 2);
    assert_eq!(lb.availability_zones()[0].zone_name(), Some("us-east-1b"));
    assert_eq!(lb.security_groups().len(), 2);
    assert_eq!(lb.ip_address_type(), Some(&IpAddressType::Dualstack));

    // What AWS refuses changes nothing.
    let one_subnet = elb
        .set_subnets()
        .load_balancer_arn(&arn)
        .subnets(SUBNETS[0])
        .send()
        .await
        .expect_err("one subnet");
    assert_eq!(error_code(&one_subnet), "ValidationError");
    let bad_group = elb
        .set_security_groups()
        .load_balancer_arn(&arn)
        .security_groups("web")
        .send()
        .await
        .expect_err("not a group id");
    assert_eq!(error_code(&bad_group), "InvalidSecurityGroup");
    let missing = elb
        .set_ip_address_type()
        .load_balancer_arn(format!("{arn}0"))
        .ip_address_type(IpAddressType::Ipv4)
        .send()
        .await
        .expect_err("no such load balancer");
    assert_eq!(error_code(&missing), "LoadBalancerNotFound");
    let again = elb
        .describe_load_balancers()
        .load_balancer_arns(&arn)
        .send()
        .await
        .expect("DescribeLoadBalancers");
    assert_eq!(again.load_balancers()[0].security_groups().len(), 2);
    assert_eq!(again.load_balancers()[0].availability_zones().len(), 2);

    // A subnet it keeps stays in its zone; a new one takes a free zone.
    let custom = elb
        .create_load_balancer()
        .name("custom-subnets")
        .subnets("subnet-0111111111111111a")
        .subnets("subnet-0222222222222222b")
        .send()
        .await
        .expect("CreateLoadBalancer");
    let custom = custom.load_balancers()[0].load_balancer_arn().unwrap();
    let moved = elb
        .set_subnets()
        .load_balancer_arn(custom)
        .subnets("subnet-0222222222222222b")
        .subnets("subnet-0333333333333333c")
        .send()
        .await
        .expect("SetSubnets");
    let zones: Vec<_> = moved
        .availability_zones()
        .iter()
        .map(|z| {
            (
                z.subnet_id().unwrap_or_default(),
                z.zone_name().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        zones,
        [
            ("subnet-0222222222222222b", "us-east-1b"),
            ("subnet-0333333333333333c", "us-east-1a")
        ]
    );
}

#[tokio::test]
async fn same_name_same_settings_is_idempotent_otherwise_duplicate() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let first = create_lb(&elb, "api").await;
    let second = create_lb(&elb, "api").await;
    assert_eq!(first, second);
    let clash = elb
        .create_load_balancer()
        .name("api")
        .subnets(SUBNETS[0])
        .subnets(SUBNETS[2])
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&clash), "DuplicateLoadBalancerName");
}

#[tokio::test]
async fn bad_creates_get_aws_errors_and_store_nothing() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let base = |name: &str| {
        elb.create_load_balancer()
            .name(name)
            .subnets(SUBNETS[0])
            .subnets(SUBNETS[1])
    };
    let cases = [
        (base("-web"), "ValidationError"),
        (base("internal-web"), "ValidationError"),
        (base(&"w".repeat(33)), "ValidationError"),
        (
            elb.create_load_balancer().name("one").subnets(SUBNETS[0]),
            "ValidationError",
        ),
        (
            elb.create_load_balancer()
                .name("same-zone")
                .subnets("subnet-0123456789abcdef0")
                .subnets(SUBNETS[0]),
            "InvalidConfigurationRequest",
        ),
        (
            elb.create_load_balancer()
                .name("not-a-subnet")
                .subnets(SUBNETS[0])
                .subnets("sn-123"),
            "InvalidSubnet",
        ),
        (
            base("nlb").r#type(LoadBalancerTypeEnum::Network),
            "InvalidConfigurationRequest",
        ),
        (
            base("bad-sg").security_groups("web"),
            "InvalidSecurityGroup",
        ),
    ];
    for (case, code) in cases {
        let error = case.send().await.unwrap_err();
        assert_eq!(error_code(&error), code);
    }
    let all = elb.describe_load_balancers().send().await.unwrap();
    assert!(all.load_balancers().is_empty());
}

#[tokio::test]
async fn describe_by_name_arn_and_pages() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let mut arns = Vec::new();
    for i in 0..5 {
        arns.push(create_lb(&elb, &format!("page-{i}")).await);
    }
    let by_arn = elb
        .describe_load_balancers()
        .load_balancer_arns(&arns[2])
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_arn.load_balancers()[0].load_balancer_name(),
        Some("page-2")
    );
    let names: Vec<String> = elb
        .describe_load_balancers()
        .page_size(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|lb| lb.load_balancer_name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["page-0", "page-1", "page-2", "page-3", "page-4"]);

    let missing = elb
        .describe_load_balancers()
        .names("page-1")
        .names("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "LoadBalancerNotFound");
    let missing = elb
        .describe_load_balancers()
        .load_balancer_arns(arns[0].replace("/page-0/", "/other/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "LoadBalancerNotFound");
    let bad_size = elb
        .describe_load_balancers()
        .page_size(401)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_size), "ValidationError");
}

#[tokio::test]
async fn attributes_deletion_protection_and_delete() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let arn = create_lb(&elb, "attrs").await;
    let value_of = |attrs: &[LoadBalancerAttribute], key: &str| {
        attrs
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value())
            .map(str::to_owned)
    };
    let attrs = elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        value_of(attrs.attributes(), "idle_timeout.timeout_seconds").as_deref(),
        Some("60")
    );
    assert_eq!(
        value_of(attrs.attributes(), "deletion_protection.enabled").as_deref(),
        Some("false")
    );
    let attr = |k: &str, v: &str| LoadBalancerAttribute::builder().key(k).value(v).build();
    let changed = elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(&arn)
        .attributes(attr("idle_timeout.timeout_seconds", "120"))
        .attributes(attr("deletion_protection.enabled", "true"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        value_of(changed.attributes(), "idle_timeout.timeout_seconds").as_deref(),
        Some("120")
    );
    for (k, v) in [
        ("idle_timeout.timeout_seconds", "4001"),
        ("deletion_protection.enabled", "maybe"),
        ("deregistration_delay.timeout_seconds", "5"),
    ] {
        let error = elb
            .modify_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .attributes(attr(k, v))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationError", "{k}={v}");
    }

    let protected = elb
        .delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&protected), "OperationNotPermitted");
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(&arn)
        .attributes(attr("deletion_protection.enabled", "false"))
        .send()
        .await
        .unwrap();
    elb.delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap();
    elb.wait_until_load_balancers_deleted()
        .load_balancer_arns(&arn)
        .wait(Duration::from_secs(10))
        .await
        .unwrap();
    let gone = elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "LoadBalancerNotFound");
    // Deleting again succeeds, as on AWS; a malformed ARN does not.
    elb.delete_load_balancer()
        .load_balancer_arn(&arn)
        .send()
        .await
        .unwrap();
    let malformed = elb
        .delete_load_balancer()
        .load_balancer_arn("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&malformed), "ValidationError");
    // The name is free again.
    assert_ne!(create_lb(&elb, "attrs").await, arn);
}

// --------------------------------------------------------------- listeners

#[tokio::test]
async fn listeners_forward_and_answer() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let lb = create_lb(&elb, "listen").await;
    let tg = create_tg(&elb, "listen-tg").await;
    let tg2 = create_tg(&elb, "listen-tg2").await;
    let port = port();
    let out = elb
        .create_listener()
        .load_balancer_arn(&lb)
        .protocol(ProtocolEnum::Http)
        .port(port)
        .default_actions(forward(&tg))
        .send()
        .await
        .unwrap();
    let listener = &out.listeners()[0];
    let arn = listener.listener_arn().unwrap().to_owned();
    let lb_suffix = lb.split("loadbalancer/").nth(1).unwrap();
    assert!(
        arn.starts_with(&format!("{ARN_PREFIX}listener/{lb_suffix}/")),
        "{arn}"
    );
    assert_eq!(listener.port(), Some(port));
    assert_eq!(listener.protocol(), Some(&ProtocolEnum::Http));
    let action = &listener.default_actions()[0];
    assert_eq!(action.r#type(), Some(&ActionTypeEnum::Forward));
    assert_eq!(action.target_group_arn(), Some(tg.as_str()));
    let groups = action.forward_config().unwrap().target_groups();
    assert_eq!(groups[0].target_group_arn(), Some(tg.as_str()));
    assert_eq!(groups[0].weight(), Some(1));

    // The same request again is idempotent; another action on the port is not.
    let again = elb
        .create_listener()
        .load_balancer_arn(&lb)
        .protocol(ProtocolEnum::Http)
        .port(port)
        .default_actions(forward(&tg))
        .send()
        .await
        .unwrap();
    assert_eq!(again.listeners()[0].listener_arn(), Some(arn.as_str()));
    let duplicate = elb
        .create_listener()
        .load_balancer_arn(&lb)
        .protocol(ProtocolEnum::Http)
        .port(port)
        .default_actions(fixed("404"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&duplicate), "DuplicateListener");

    // Weighted forward, fixed response and redirect listeners.
    let weighted = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .target_groups(
                    TargetGroupTuple::builder()
                        .target_group_arn(&tg)
                        .weight(3)
                        .build(),
                )
                .target_groups(
                    TargetGroupTuple::builder()
                        .target_group_arn(&tg2)
                        .weight(1)
                        .build(),
                )
                .target_group_stickiness_config(
                    TargetGroupStickinessConfig::builder()
                        .enabled(true)
                        .duration_seconds(60)
                        .build(),
                )
                .build(),
        )
        .build();
    let weighted_arn = create_listener(&elb, &lb, weighted).await;
    let fixed_arn = create_listener(&elb, &lb, fixed("503")).await;
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build();
    let redirect_arn = create_listener(&elb, &lb, redirect).await;

    let described = elb
        .describe_listeners()
        .listener_arns(&weighted_arn)
        .listener_arns(&fixed_arn)
        .listener_arns(&redirect_arn)
        .send()
        .await
        .unwrap();
    let by_arn = |arn: &str| {
        described
            .listeners()
            .iter()
            .find(|l| l.listener_arn() == Some(arn))
            .unwrap()
            .default_actions()[0]
            .clone()
    };
    let w = by_arn(&weighted_arn);
    assert_eq!(
        w.target_group_arn(),
        None,
        "two groups: no single TargetGroupArn"
    );
    let config = w.forward_config().unwrap();
    let weights: Vec<_> = config.target_groups().iter().map(|g| g.weight()).collect();
    assert_eq!(weights, [Some(3), Some(1)]);
    let stickiness = config.target_group_stickiness_config().unwrap();
    assert_eq!(
        (stickiness.enabled(), stickiness.duration_seconds()),
        (Some(true), Some(60))
    );
    let f = by_arn(&fixed_arn);
    let f = f.fixed_response_config().unwrap();
    assert_eq!(
        (f.status_code(), f.content_type(), f.message_body()),
        (Some("503"), Some("text/plain"), Some("not here"))
    );
    let r = by_arn(&redirect_arn);
    let r = r.redirect_config().unwrap();
    assert_eq!(r.protocol(), Some("HTTPS"));
    assert_eq!(r.port(), Some("443"));
    assert_eq!(r.host(), Some("#{host}"));
    assert_eq!(r.path(), Some("/#{path}"));
    assert_eq!(r.query(), Some("#{query}"));
    assert_eq!(
        r.status_code(),
        Some(&RedirectActionStatusCodeEnum::Http301)
    );

    // Every listener of the load balancer, page by page.
    let all: Vec<String> = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .page_size(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|l| l.listener_arn().map(str::to_owned))
        .collect();
    assert_eq!(all.len(), 4);

    // The target groups know their load balancer now.
    let groups = elb
        .describe_target_groups()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    let mut names: Vec<_> = groups
        .target_groups()
        .iter()
        .filter_map(|g| g.target_group_name())
        .collect();
    names.sort();
    assert_eq!(names, ["listen-tg", "listen-tg2"]);
    assert_eq!(
        groups.target_groups()[0].load_balancer_arns(),
        [lb.as_str()]
    );
}

#[tokio::test]
async fn listener_errors() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let lb = create_lb(&elb, "errs").await;
    let other_lb = create_lb(&elb, "errs-other").await;
    let tg = create_tg(&elb, "errs-tg").await;
    let tcp_tg = elb
        .create_target_group()
        .name("errs-tcp")
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .vpc_id(VPC)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let missing_tg = tg.replace("/errs-tg/", "/missing/");
    let listener = |lb: &str| {
        elb.create_listener()
            .load_balancer_arn(lb)
            .protocol(ProtocolEnum::Http)
            .port(port())
    };
    let cases = [
        (
            listener(&lb)
                .protocol(ProtocolEnum::Https)
                .default_actions(forward(&tg)),
            "UnsupportedProtocol",
        ),
        (
            listener(&lb)
                .protocol(ProtocolEnum::Tcp)
                .default_actions(forward(&tg)),
            "UnsupportedProtocol",
        ),
        (
            listener(&lb).default_actions(forward(&missing_tg)),
            "TargetGroupNotFound",
        ),
        (
            listener(&lb).default_actions(forward(&tcp_tg)),
            "IncompatibleProtocols",
        ),
        (
            listener(&lb.replace("/errs/", "/nope/")).default_actions(forward(&tg)),
            "LoadBalancerNotFound",
        ),
        (
            listener(&lb).default_actions(fixed("302")),
            "ValidationError",
        ),
        (
            listener(&lb)
                .default_actions(forward(&tg))
                .default_actions(fixed("404")),
            "InvalidLoadBalancerAction",
        ),
        (
            listener(&lb).default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Redirect)
                    .redirect_config(
                        RedirectActionConfig::builder()
                            .status_code(RedirectActionStatusCodeEnum::Http302)
                            .build(),
                    )
                    .build(),
            ),
            "InvalidLoadBalancerAction",
        ),
        (
            listener(&lb).default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::AuthenticateOidc)
                    .build(),
            ),
            "InvalidLoadBalancerAction",
        ),
        (
            listener(&lb).port(0).default_actions(forward(&tg)),
            "ValidationError",
        ),
    ];
    for (case, code) in cases {
        let error = case.send().await.unwrap_err();
        assert_eq!(error_code(&error), code);
    }
    let none = elb
        .describe_listeners()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    assert!(
        none.listeners().is_empty(),
        "a rejected listener was stored"
    );

    // A target group serves one load balancer.
    create_listener(&elb, &lb, forward(&tg)).await;
    let taken = listener(&other_lb)
        .default_actions(forward(&tg))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&taken), "TargetGroupAssociationLimit");

    let unknown = elb
        .describe_listeners()
        .listener_arns(format!(
            "{}/0123456789abcdef",
            lb.replace(":loadbalancer/", ":listener/")
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown), "ListenerNotFound");
    let neither = elb.describe_listeners().send().await.unwrap_err();
    assert_eq!(error_code(&neither), "ValidationError");
    let no_lb = elb
        .describe_listeners()
        .load_balancer_arn(other_lb.replace("/errs-other/", "/gone/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&no_lb), "LoadBalancerNotFound");
}

#[tokio::test]
async fn modify_and_delete_listeners() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let lb = create_lb(&elb, "mod").await;
    let tg = create_tg(&elb, "mod-tg").await;
    let first = create_listener(&elb, &lb, fixed("404")).await;
    let second = create_listener(&elb, &lb, fixed("404")).await;
    let second_port = elb
        .describe_listeners()
        .listener_arns(&second)
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .port()
        .unwrap();
    let new_port = port();
    let out = elb
        .modify_listener()
        .listener_arn(&first)
        .port(new_port)
        .default_actions(forward(&tg))
        .send()
        .await
        .unwrap();
    let modified = &out.listeners()[0];
    assert_eq!(modified.port(), Some(new_port));
    assert_eq!(
        modified.default_actions()[0].target_group_arn(),
        Some(tg.as_str())
    );
    let clash = elb
        .modify_listener()
        .listener_arn(&first)
        .port(second_port)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&clash), "DuplicateListener");
    let https = elb
        .modify_listener()
        .listener_arn(&first)
        .protocol(ProtocolEnum::Https)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&https), "UnsupportedProtocol");

    // A group a listener forwards to cannot be deleted.
    let in_use = elb
        .delete_target_group()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&in_use), "ResourceInUse");

    elb.delete_listener()
        .listener_arn(&first)
        .send()
        .await
        .unwrap();
    let gone = elb
        .delete_listener()
        .listener_arn(&first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "ListenerNotFound");
    let groups = elb
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .unwrap();
    assert!(groups.target_groups()[0].load_balancer_arns().is_empty());
    elb.delete_target_group()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();

    // Deleting the load balancer deletes its listeners.
    elb.delete_load_balancer()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    let gone = elb
        .describe_listeners()
        .listener_arns(&second)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "ListenerNotFound");
}

// --------------------------------------------------------------- rules

#[tokio::test]
async fn rules_in_priority_order_with_the_default_last() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let lb = create_lb(&elb, "rules").await;
    let tg = create_tg(&elb, "rules-tg").await;
    let listener = create_listener(&elb, &lb, fixed("404")).await;

    let api = elb
        .create_rule()
        .listener_arn(&listener)
        .priority(20)
        .conditions(path("/api/*"))
        .actions(forward(&tg))
        .send()
        .await
        .unwrap();
    let api = &api.rules()[0];
    assert_eq!(api.priority(), Some("20"));
    assert_eq!(api.is_default(), Some(false));
    let api_arn = api.rule_arn().unwrap().to_owned();
    let listener_suffix = listener.split("listener/").nth(1).unwrap();
    assert!(
        api_arn.starts_with(&format!("{ARN_PREFIX}listener-rule/{listener_suffix}/")),
        "{api_arn}"
    );
    // Legacy Values come back in the configuration member too.
    let condition = &api.conditions()[0];
    assert_eq!(condition.field(), Some("path-pattern"));
    assert_eq!(condition.values(), ["/api/*"]);
    assert_eq!(
        condition.path_pattern_config().map(|c| c.values().to_vec()),
        Some(vec!["/api/*".to_owned()])
    );

    let every_kind = elb
        .create_rule()
        .listener_arn(&listener)
        .priority(10)
        .conditions(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(
                    aws_sdk_elasticloadbalancingv2::types::HostHeaderConditionConfig::builder()
                        .values("*.example.test")
                        .build(),
                )
                .build(),
        )
        .conditions(
            RuleCondition::builder()
                .field("http-header")
                .http_header_config(
                    HttpHeaderConditionConfig::builder()
                        .http_header_name("X-Canary")
                        .values("yes")
                        .build(),
                )
                .build(),
        )
        .conditions(
            RuleCondition::builder()
                .field("http-request-method")
                .http_request_method_config(
                    HttpRequestMethodConditionConfig::builder()
                        .values("GET")
                        .values("HEAD")
                        .build(),
                )
                .build(),
        )
        .conditions(
            RuleCondition::builder()
                .field("query-string")
                .query_string_config(
                    QueryStringConditionConfig::builder()
                        .values(
                            QueryStringKeyValuePair::builder()
                                .key("v")
                                .value("2")
                                .build(),
                        )
                        .values(QueryStringKeyValuePair::builder().value("beta").build())
                        .build(),
                )
                .build(),
        )
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(PathPatternConditionConfig::builder().values("/x").build())
                .build(),
        )
        .actions(fixed("200"))
        .send()
        .await
        .unwrap();
    let every_kind = &every_kind.rules()[0];
    let host = &every_kind.conditions()[0];
    assert_eq!(host.values(), ["*.example.test"]);
    let header = every_kind.conditions()[1].http_header_config().unwrap();
    assert_eq!(header.http_header_name(), Some("X-Canary"));
    assert_eq!(header.values(), ["yes"]);
    let methods = every_kind.conditions()[2]
        .http_request_method_config()
        .unwrap();
    assert_eq!(methods.values(), ["GET", "HEAD"]);
    let query = every_kind.conditions()[3].query_string_config().unwrap();
    assert_eq!(query.values()[0].key(), Some("v"));
    assert_eq!(query.values()[1].key(), None);
    assert_eq!(query.values()[1].value(), Some("beta"));

    let rules = elb
        .describe_rules()
        .listener_arn(&listener)
        .send()
        .await
        .unwrap();
    let priorities: Vec<_> = rules.rules().iter().filter_map(|r| r.priority()).collect();
    assert_eq!(priorities, ["10", "20", "default"]);
    let default = &rules.rules()[2];
    assert_eq!(default.is_default(), Some(true));
    assert!(default.conditions().is_empty());
    assert_eq!(
        default.actions()[0].r#type(),
        Some(&ActionTypeEnum::FixedResponse)
    );
    let default_arn = default.rule_arn().unwrap().to_owned();

    // Paged, and by ARN (the default rule included).
    let paged: Vec<String> = elb
        .describe_rules()
        .listener_arn(&listener)
        .page_size(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .flat_map(|page| {
            page.rules()
                .iter()
                .filter_map(|r| r.priority().map(str::to_owned))
        })
        .collect();
    assert_eq!(paged, ["10", "20", "default"]);
    let by_arn = elb
        .describe_rules()
        .rule_arns(&default_arn)
        .rule_arns(&api_arn)
        .send()
        .await
        .unwrap();
    let priorities: Vec<_> = by_arn.rules().iter().filter_map(|r| r.priority()).collect();
    assert_eq!(priorities, ["20", "default"]);

    // The rule's target group belongs to the load balancer now.
    let groups = elb
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.target_groups()[0].load_balancer_arns(),
        [lb.as_str()]
    );
}

#[tokio::test]
async fn modify_delete_and_reprioritise_rules() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let lb = create_lb(&elb, "rmod").await;
    let tg = create_tg(&elb, "rmod-tg").await;
    let listener = create_listener(&elb, &lb, fixed("404")).await;
    let create = |priority: i32, pattern: &str| {
        elb.create_rule()
            .listener_arn(&listener)
            .priority(priority)
            .conditions(path(pattern))
            .actions(fixed("200"))
    };
    let a = create(1, "/a").send().await.unwrap().rules()[0]
        .rule_arn()
        .unwrap()
        .to_owned();
    let b = create(2, "/b").send().await.unwrap().rules()[0]
        .rule_arn()
        .unwrap()
        .to_owned();
    let taken = create(2, "/c").send().await.unwrap_err();
    assert_eq!(error_code(&taken), "PriorityInUse");
    for bad in [0, 50_001] {
        let error = create(bad, "/c").send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationError");
    }
    let source_ip = elb
        .create_rule()
        .listener_arn(&listener)
        .priority(3)
        .conditions(
            RuleCondition::builder()
                .field("source-ip")
                .source_ip_config(
                    SourceIpConditionConfig::builder()
                        .values("10.0.0.0/8")
                        .build(),
                )
                .build(),
        )
        .actions(fixed("200"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&source_ip), "InvalidConfigurationRequest");
    let bad_field = elb
        .create_rule()
        .listener_arn(&listener)
        .priority(3)
        .conditions(RuleCondition::builder().field("cookie").values("x").build())
        .actions(fixed("200"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_field), "ValidationError");

    // Swapping priorities in one call works: all changes apply together.
    let swapped = elb
        .set_rule_priorities()
        .rule_priorities(RulePriorityPair::builder().rule_arn(&a).priority(2).build())
        .rule_priorities(RulePriorityPair::builder().rule_arn(&b).priority(1).build())
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.rules().len(), 2);
    let rules = elb
        .describe_rules()
        .listener_arn(&listener)
        .send()
        .await
        .unwrap();
    let order: Vec<_> = rules.rules().iter().filter_map(|r| r.rule_arn()).collect();
    assert_eq!(order[..2], [b.as_str(), a.as_str()]);
    let default_arn = rules.rules()[2].rule_arn().unwrap().to_owned();

    let clash = elb
        .set_rule_priorities()
        .rule_priorities(RulePriorityPair::builder().rule_arn(&a).priority(1).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&clash), "PriorityInUse");
    let default_priority = elb
        .set_rule_priorities()
        .rule_priorities(
            RulePriorityPair::builder()
                .rule_arn(&default_arn)
                .priority(9)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&default_priority), "OperationNotPermitted");

    let modified = elb
        .modify_rule()
        .rule_arn(&a)
        .conditions(path("/new/*"))
        .actions(forward(&tg))
        .send()
        .await
        .unwrap();
    let modified = &modified.rules()[0];
    assert_eq!(modified.conditions()[0].values(), ["/new/*"]);
    assert_eq!(modified.actions()[0].target_group_arn(), Some(tg.as_str()));
    assert_eq!(modified.priority(), Some("2"));
    let default_modify = elb
        .modify_rule()
        .rule_arn(&default_arn)
        .actions(fixed("200"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&default_modify), "OperationNotPermitted");

    let default_delete = elb
        .delete_rule()
        .rule_arn(&default_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&default_delete), "OperationNotPermitted");
    elb.delete_rule().rule_arn(&a).send().await.unwrap();
    let missing = elb.delete_rule().rule_arn(&a).send().await.unwrap_err();
    assert_eq!(error_code(&missing), "RuleNotFound");
    let missing = elb.describe_rules().rule_arns(&a).send().await.unwrap_err();
    assert_eq!(error_code(&missing), "RuleNotFound");
    let missing = elb
        .modify_rule()
        .rule_arn(&a)
        .actions(fixed("200"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "RuleNotFound");
    let unknown_listener = elb
        .create_rule()
        .listener_arn(format!("{listener}0"))
        .priority(5)
        .conditions(path("/x"))
        .actions(fixed("200"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown_listener), "ListenerNotFound");
    // With its rule gone, nothing forwards to the group.
    let groups = elb
        .describe_target_groups()
        .target_group_arns(&tg)
        .send()
        .await
        .unwrap();
    assert!(groups.target_groups()[0].load_balancer_arns().is_empty());
}

// --------------------------------------------------------------- targets

async fn health(
    elb: &Client,
    tg: &str,
    targets: &[TargetDescription],
) -> Vec<(String, i32, String, Option<String>, Option<String>)> {
    let out = elb
        .describe_target_health()
        .target_group_arn(tg)
        .set_targets((!targets.is_empty()).then(|| targets.to_vec()))
        .send()
        .await
        .unwrap();
    out.target_health_descriptions()
        .iter()
        .map(|d| {
            let t = d.target().unwrap();
            let h = d.target_health().unwrap();
            (
                t.id().unwrap().to_owned(),
                t.port().unwrap(),
                h.state().unwrap().as_str().to_owned(),
                h.reason().map(|r| r.as_str().to_owned()),
                d.health_check_port().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn registration_and_target_health() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let tg = create_tg(&elb, "health").await;
    elb.register_targets()
        .target_group_arn(&tg)
        .targets(TargetDescription::builder().id("127.0.0.1").build())
        .targets(target("127.0.0.2", 9000))
        .send()
        .await
        .unwrap();

    // No listener forwards to the group yet: unused, Target.NotInUse.
    let out = elb
        .describe_target_health()
        .target_group_arn(&tg)
        .send()
        .await
        .unwrap();
    let first = &out.target_health_descriptions()[0];
    assert_eq!(
        first.target().unwrap().port(),
        Some(8080),
        "the group's port"
    );
    assert_eq!(first.health_check_port(), Some("8080"));
    let h = first.target_health().unwrap();
    assert_eq!(h.state(), Some(&TargetHealthStateEnum::Unused));
    assert_eq!(h.reason(), Some(&TargetHealthReasonEnum::NotInUse));
    assert_eq!(
        h.description(),
        Some("Target group is not configured to receive traffic from the load balancer")
    );
    assert_eq!(
        health(&elb, &tg, &[]).await[1],
        (
            "127.0.0.2".to_owned(),
            9000,
            "unused".to_owned(),
            Some("Target.NotInUse".to_owned()),
            Some("9000".to_owned())
        )
    );

    // Asking about a target that is not registered.
    let out = elb
        .describe_target_health()
        .target_group_arn(&tg)
        .targets(target("127.0.0.9", 8080))
        .send()
        .await
        .unwrap();
    let d = &out.target_health_descriptions()[0];
    let h = d.target_health().unwrap();
    assert_eq!(h.state(), Some(&TargetHealthStateEnum::Unused));
    assert_eq!(h.reason(), Some(&TargetHealthReasonEnum::NotRegistered));
    assert_eq!(
        h.description(),
        Some("Target is not registered to the target group")
    );

    // Deregistering from a group no load balancer uses is immediate.
    elb.deregister_targets()
        .target_group_arn(&tg)
        .targets(target("127.0.0.2", 9000))
        .send()
        .await
        .unwrap();
    elb.wait_until_target_deregistered()
        .target_group_arn(&tg)
        .targets(target("127.0.0.2", 9000))
        .wait(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(health(&elb, &tg, &[]).await.len(), 1);

    // Once a listener forwards to it, targets start in `initial`.
    let lb = create_lb(&elb, "health-lb").await;
    create_listener(&elb, &lb, forward(&tg)).await;
    let states = health(&elb, &tg, &[]).await;
    assert_eq!(states[0].2, "initial", "{states:?}");
    assert!(
        matches!(
            states[0].3.as_deref(),
            Some("Elb.RegistrationInProgress" | "Elb.InitialHealthChecking")
        ),
        "{states:?}"
    );

    // Deregistration drains (the default delay is 300 s).
    elb.deregister_targets()
        .target_group_arn(&tg)
        .targets(TargetDescription::builder().id("127.0.0.1").build())
        .send()
        .await
        .unwrap();
    let states = health(&elb, &tg, &[target("127.0.0.1", 8080)]).await;
    assert_eq!(
        (states[0].2.as_str(), states[0].3.as_deref()),
        ("draining", Some("Target.DeregistrationInProgress"))
    );
    // Unknown targets are ignored.
    elb.deregister_targets()
        .target_group_arn(&tg)
        .targets(target("127.0.0.42", 8080))
        .send()
        .await
        .unwrap();
    // Registering it again cancels the drain. (Which health state follows
    // is the data plane's business: nothing listens on the target here.)
    elb.register_targets()
        .target_group_arn(&tg)
        .targets(target("127.0.0.1", 8080))
        .send()
        .await
        .unwrap();
    let states = health(&elb, &tg, &[target("127.0.0.1", 8080)]).await;
    assert_eq!(states.len(), 1, "{states:?}");
    assert!(
        matches!(states[0].2.as_str(), "initial" | "unhealthy"),
        "{states:?}"
    );
}

#[tokio::test]
async fn target_errors() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let ip_tg = create_tg(&elb, "targets-ip").await;
    let instance_tg = elb
        .create_target_group()
        .name("targets-instance")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(VPC)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    let register =
        |tg: &str, t: TargetDescription| elb.register_targets().target_group_arn(tg).targets(t);
    let cases = [
        (register(&ip_tg, target("10.0.0.5", 80)), "InvalidTarget"),
        (register(&ip_tg, target("not-an-ip", 80)), "InvalidTarget"),
        (register(&ip_tg, target("::1", 80)), "InvalidTarget"),
        (
            register(&instance_tg, target("i-0123456789abcdef0", 80)),
            "InvalidTarget",
        ),
        (
            register(
                &ip_tg.replace("/targets-ip/", "/gone/"),
                target("127.0.0.1", 80),
            ),
            "TargetGroupNotFound",
        ),
        (
            register(
                &ip_tg,
                TargetDescription::builder()
                    .id("127.0.0.1")
                    .availability_zone("eu-west-1a")
                    .build(),
            ),
            "ValidationError",
        ),
    ];
    for (case, code) in cases {
        let error = case.send().await.unwrap_err();
        assert_eq!(error_code(&error), code);
    }
    assert!(health(&elb, &ip_tg, &[]).await.is_empty());
    let unknown = elb
        .describe_target_health()
        .target_group_arn(ip_tg.replace("/targets-ip/", "/gone/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown), "TargetGroupNotFound");
    // Registering the same target twice is harmless.
    for _ in 0..2 {
        register(&ip_tg, target("127.0.0.1", 80))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(health(&elb, &ip_tg, &[]).await.len(), 1);
}

// --------------------------------------------------------------- tags

#[tokio::test]
async fn load_balancers_listeners_and_rules_take_tags() {
    let ballast = Ballast::start();
    let elb = ballast.elbv2();
    let lb = create_lb(&elb, "tagged").await;
    let listener = elb
        .create_listener()
        .load_balancer_arn(&lb)
        .protocol(ProtocolEnum::Http)
        .port(port())
        .default_actions(fixed("404"))
        .tags(Tag::builder().key("kind").value("listener").build())
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .listener_arn()
        .unwrap()
        .to_owned();
    let rule = elb
        .create_rule()
        .listener_arn(&listener)
        .priority(1)
        .conditions(path("/x"))
        .actions(fixed("200"))
        .tags(Tag::builder().key("kind").value("rule").build())
        .send()
        .await
        .unwrap()
        .rules()[0]
        .rule_arn()
        .unwrap()
        .to_owned();
    elb.add_tags()
        .resource_arns(&lb)
        .resource_arns(&listener)
        .tags(Tag::builder().key("team").value("web").build())
        .send()
        .await
        .unwrap();
    let described = elb
        .describe_tags()
        .resource_arns(&lb)
        .resource_arns(&listener)
        .resource_arns(&rule)
        .send()
        .await
        .unwrap();
    let keys: Vec<Vec<_>> = described
        .tag_descriptions()
        .iter()
        .map(|d| d.tags().iter().filter_map(|t| t.key()).collect())
        .collect();
    assert_eq!(keys, [vec!["team"], vec!["kind", "team"], vec!["kind"]]);
    elb.remove_tags()
        .resource_arns(&listener)
        .tag_keys("kind")
        .send()
        .await
        .unwrap();

    elb.delete_load_balancer()
        .load_balancer_arn(&lb)
        .send()
        .await
        .unwrap();
    for (arn, code) in [
        (&lb, "LoadBalancerNotFound"),
        (&listener, "ListenerNotFound"),
        (&rule, "RuleNotFound"),
    ] {
        let error = elb
            .describe_tags()
            .resource_arns(arn)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), code);
        let error = elb
            .add_tags()
            .resource_arns(arn)
            .tags(Tag::builder().key("k").value("v").build())
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), code);
    }
}
