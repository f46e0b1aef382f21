//! EC2's network and catalogue through aws-sdk-ec2: regions, zones, the
//! default VPC with its subnets, gateway, route table, network ACL and
//! DHCP options, security groups and their rules, images, key
//! pairs and tags, with their errors, filters and paging.

use std::time::Duration;

use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, KeyFormat, KeyType, ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use ballast_sdk_tests::fixtures::{DEFAULT_SG, VPC, filter, tag};
use ballast_sdk_tests::{Ballast, RawRequest, error_code, unique};

/// The HTTP status of an SDK error's response.
fn http_status<E>(
    error: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::http::Response,
    >,
) -> u16 {
    error.raw_response().map_or(0, |r| r.status().as_u16())
}

#[tokio::test]
async fn regions_and_zones() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    let regions = ec2
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = regions
        .regions()
        .iter()
        .filter_map(|r| r.region_name())
        .collect();
    assert_eq!(names, ["us-east-1"]);
    let err = ec2
        .describe_regions()
        .region_names("mars-north-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");

    let zones = ec2.describe_availability_zones().send().await.unwrap();
    let zones = zones.availability_zones();
    let names: Vec<_> = zones.iter().filter_map(|z| z.zone_name()).collect();
    assert_eq!(names, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    let ids: Vec<_> = zones.iter().filter_map(|z| z.zone_id()).collect();
    assert_eq!(ids, ["use1-az1", "use1-az2", "use1-az3"]);
    assert!(
        zones
            .iter()
            .all(|z| z.state().map(|s| s.as_str()) == Some("available"))
    );

    let b = ec2
        .describe_availability_zones()
        .filters(filter("zone-name", &["us-east-1b"]))
        .filters(filter("state", &["available"]))
        .send()
        .await
        .unwrap();
    assert_eq!(b.availability_zones().len(), 1);
    assert_eq!(b.availability_zones()[0].zone_id(), Some("use1-az2"));
    let none = ec2
        .describe_availability_zones()
        .filters(filter("state", &["impaired"]))
        .send()
        .await
        .unwrap();
    assert!(none.availability_zones().is_empty());

    let err = ec2
        .describe_availability_zones()
        .zone_names("us-east-1z")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
    let err = ec2
        .describe_availability_zones()
        .filters(filter("colour", &["blue"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
}

#[tokio::test]
async fn default_vpc_and_subnets() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    let vpcs = ec2
        .describe_vpcs()
        .filters(filter("is-default", &["true"]))
        .send()
        .await
        .unwrap();
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpcs.vpcs().len(), 1);
    assert_eq!(vpc.vpc_id(), Some(VPC));
    assert_eq!(vpc.cidr_block(), Some("172.31.0.0/16"));
    assert_eq!(vpc.is_default(), Some(true));
    let dns = ec2
        .describe_vpc_attribute()
        .vpc_id(VPC)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .expect("DescribeVpcAttribute");
    assert_eq!(
        dns.enable_dns_hostnames().and_then(|v| v.value()),
        Some(true)
    );
    let missing = ec2
        .describe_vpc_attribute()
        .vpc_id("vpc-0123456789abcdef0")
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport)
        .send()
        .await
        .expect_err("no such VPC");
    assert_eq!(error_code(&missing), "InvalidVpcID.NotFound");
    assert_eq!(vpc.state().map(|s| s.as_str()), Some("available"));
    for f in [filter("vpc-id", &[VPC]), filter("state", &["available"])] {
        let out = ec2.describe_vpcs().filters(f).send().await.unwrap();
        assert_eq!(out.vpcs().len(), 1);
    }
    let out = ec2.describe_vpcs().vpc_ids(VPC).send().await.unwrap();
    assert_eq!(out.vpcs().len(), 1);
    let none = ec2
        .describe_vpcs()
        .filters(filter("is-default", &["false"]))
        .send()
        .await
        .unwrap();
    assert!(none.vpcs().is_empty());
    let err = ec2
        .describe_vpcs()
        .vpc_ids("vpc-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidVpcID.NotFound");
    let err = ec2.describe_vpcs().max_results(4).send().await.unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");

    let subnets = ec2
        .describe_subnets()
        .filters(filter("default-for-az", &["true"]))
        .send()
        .await
        .unwrap();
    let subnets = subnets.subnets();
    assert_eq!(subnets.len(), 3);
    let cidrs: Vec<_> = subnets.iter().filter_map(|s| s.cidr_block()).collect();
    assert_eq!(cidrs, ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]);
    for (s, zone) in subnets
        .iter()
        .zip(["us-east-1a", "us-east-1b", "us-east-1c"])
    {
        assert_eq!(s.availability_zone(), Some(zone));
        assert_eq!(s.vpc_id(), Some(VPC));
        assert_eq!(s.default_for_az(), Some(true));
        assert_eq!(s.map_public_ip_on_launch(), Some(true));
        assert_eq!(s.available_ip_address_count(), Some(4091));
        assert_eq!(s.state().map(|s| s.as_str()), Some("available"));
    }
    let in_c = ec2
        .describe_subnets()
        .filters(filter("availability-zone", &["us-east-1c"]))
        .filters(filter("vpc-id", &[VPC]))
        .send()
        .await
        .unwrap();
    assert_eq!(in_c.subnets().len(), 1);
    let id = in_c.subnets()[0].subnet_id().unwrap().to_owned();
    let by_id = ec2
        .describe_subnets()
        .filters(filter("subnet-id", &[&id]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.subnets()[0].availability_zone(), Some("us-east-1c"));
    let by_ids = ec2.describe_subnets().subnet_ids(&id).send().await.unwrap();
    assert_eq!(by_ids.subnets().len(), 1);
    let err = ec2
        .describe_subnets()
        .subnet_ids("subnet-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSubnetID.NotFound");

    // Paging: all three subnets fit a page of five; the paginator ends.
    let pages: Vec<_> = ec2
        .describe_subnets()
        .max_results(5)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].next_token().is_none());
}

/// What every default VPC comes with: an attached internet gateway, a
/// main route table sending the world through it, a network ACL that
/// allows everything on every default subnet, and the region's DHCP
/// options; each found by id, filter and tag, and an unknown id refused.
#[tokio::test]
async fn the_default_vpc_has_a_gateway_routes_an_acl_and_dhcp_options() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    let gateways = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", &[VPC]))
        .send()
        .await
        .expect("DescribeInternetGateways");
    let [gateway] = gateways.internet_gateways() else {
        panic!("one gateway: {gateways:?}");
    };
    let gateway_id = gateway.internet_gateway_id().expect("an id").to_owned();
    let attachment = &gateway.attachments()[0];
    assert_eq!(attachment.vpc_id(), Some(VPC));
    assert_eq!(attachment.state().map(|s| s.as_str()), Some("available"));
    let err = ec2
        .describe_internet_gateways()
        .internet_gateway_ids("igw-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such gateway");
    assert_eq!(error_code(&err), "InvalidInternetGatewayID.NotFound");

    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &[VPC]))
        .filters(filter("association.main", &["true"]))
        .send()
        .await
        .expect("DescribeRouteTables");
    let [table] = tables.route_tables() else {
        panic!("one main table: {tables:?}");
    };
    let routes: Vec<_> = table
        .routes()
        .iter()
        .map(|r| (r.destination_cidr_block(), r.gateway_id()))
        .collect();
    assert_eq!(
        routes,
        [
            (Some("172.31.0.0/16"), Some("local")),
            (Some("0.0.0.0/0"), Some(gateway_id.as_str())),
        ]
    );
    assert_eq!(table.associations()[0].main(), Some(true));
    let none = ec2
        .describe_route_tables()
        .filters(filter("association.subnet-id", &["*"]))
        .send()
        .await
        .expect("filtered");
    assert!(
        none.route_tables().is_empty(),
        "default subnets use the main table"
    );
    let err = ec2
        .describe_route_tables()
        .route_table_ids("rtb-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such table");
    assert_eq!(error_code(&err), "InvalidRouteTableID.NotFound");

    let acls = ec2
        .describe_network_acls()
        .filters(filter("default", &["true"]))
        .send()
        .await
        .expect("DescribeNetworkAcls");
    let [acl] = acls.network_acls() else {
        panic!("one ACL: {acls:?}");
    };
    assert_eq!(acl.associations().len(), 3);
    let rules: Vec<_> = acl
        .entries()
        .iter()
        .map(|e| {
            (
                e.egress(),
                e.rule_number(),
                e.rule_action().map(|a| a.as_str()),
            )
        })
        .collect();
    assert!(rules.contains(&(Some(false), Some(100), Some("allow"))));
    assert!(rules.contains(&(Some(true), Some(32767), Some("deny"))));
    let err = ec2
        .describe_network_acls()
        .network_acl_ids("acl-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such ACL");
    assert_eq!(error_code(&err), "InvalidNetworkAclID.NotFound");

    let options = ec2
        .describe_dhcp_options()
        .send()
        .await
        .expect("DescribeDhcpOptions");
    let [set] = options.dhcp_options() else {
        panic!("one set: {options:?}");
    };
    let domain = set
        .dhcp_configurations()
        .iter()
        .find(|c| c.key() == Some("domain-name"))
        .expect("a domain name");
    assert_eq!(domain.values()[0].value(), Some("ec2.internal"));
    let err = ec2
        .describe_dhcp_options()
        .dhcp_options_ids("dopt-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such set");
    assert_eq!(error_code(&err), "InvalidDhcpOptionID.NotFound");

    // Each is taggable, and found by its tags.
    let ids = [
        gateway_id.clone(),
        table.route_table_id().expect("an id").to_owned(),
        acl.network_acl_id().expect("an id").to_owned(),
        set.dhcp_options_id().expect("an id").to_owned(),
    ];
    ec2.create_tags()
        .set_resources(Some(ids.to_vec()))
        .tags(tag("Name", "default"))
        .send()
        .await
        .expect("CreateTags");
    let tagged = ec2
        .describe_internet_gateways()
        .filters(filter("tag:Name", &["default"]))
        .send()
        .await
        .expect("by tag");
    assert_eq!(tagged.internet_gateways().len(), 1);
    let described = ec2
        .describe_tags()
        .filters(filter("key", &["Name"]))
        .send()
        .await
        .expect("DescribeTags");
    let mut types: Vec<_> = described
        .tags()
        .iter()
        .filter_map(|t| t.resource_type().map(|r| r.as_str().to_owned()))
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "dhcp-options",
            "internet-gateway",
            "network-acl",
            "route-table"
        ]
    );
    let err = ec2
        .describe_route_tables()
        .filters(filter("route.bogus", &["x"]))
        .send()
        .await
        .expect_err("an unknown filter");
    assert_eq!(error_code(&err), "InvalidParameterValue");
}

#[tokio::test]
async fn security_groups_lifecycle() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    // The default group exists from the start.
    let default = ec2
        .describe_security_groups()
        .group_names("default")
        .send()
        .await
        .unwrap();
    let group = &default.security_groups()[0];
    assert_eq!(group.group_id(), Some(DEFAULT_SG));
    assert_eq!(group.vpc_id(), Some(VPC));
    assert_eq!(group.ip_permissions_egress().len(), 1);

    let name = unique("web");
    let created = ec2
        .create_security_group()
        .group_name(&name)
        .description("web servers")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(tag("team", "blue"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = created.group_id().unwrap().to_owned();
    assert!(id.starts_with("sg-") && id.len() == 20, "{id}");
    assert!(id[3..].bytes().all(|b| b.is_ascii_hexdigit()));
    ec2.wait_until_security_group_exists()
        .group_ids(&id)
        .wait(Duration::from_secs(10))
        .await
        .unwrap();

    let err = ec2
        .create_security_group()
        .group_name(&name)
        .description("again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.Duplicate");
    let err = ec2
        .create_security_group()
        .group_name("x")
        .description("d")
        .vpc_id("vpc-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidVpcID.NotFound");
    let err = ec2
        .create_security_group()
        .group_name("sg-web")
        .description("d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");

    // Describe by id, by name, by filters.
    let by_id = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    let group = &by_id.security_groups()[0];
    assert_eq!(group.group_name(), Some(name.as_str()));
    assert_eq!(group.description(), Some("web servers"));
    assert_eq!(group.tags()[0].key(), Some("team"));
    for f in [
        filter("group-name", &[&name]),
        filter("group-id", &[&id]),
        filter("tag:team", &["blue"]),
    ] {
        let out = ec2
            .describe_security_groups()
            .filters(f)
            .send()
            .await
            .unwrap();
        assert_eq!(out.security_groups().len(), 1);
    }
    let in_vpc = ec2
        .describe_security_groups()
        .filters(filter("vpc-id", &[VPC]))
        .send()
        .await
        .unwrap();
    assert_eq!(in_vpc.security_groups().len(), 2);
    let err = ec2
        .describe_security_groups()
        .group_ids("sg-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");
    let err = ec2
        .describe_security_groups()
        .group_names("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");
    let err = ec2
        .describe_security_groups()
        .group_ids("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroupId.Malformed");

    // Ingress rules: recorded, duplicates refused, revoked.
    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip("10.0.0.0/8")
                .description("office")
                .build(),
        )
        .build();
    let from_default = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(8080)
        .to_port(8090)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(DEFAULT_SG).build())
        .build();
    let added = ec2
        .authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(ssh.clone())
        .ip_permissions(from_default.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(added.r#return(), Some(true));
    assert_eq!(added.security_group_rules().len(), 2);
    assert!(
        added.security_group_rules()[0]
            .security_group_rule_id()
            .unwrap()
            .starts_with("sgr-")
    );
    let err = ec2
        .authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(ssh.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidPermission.Duplicate");
    let bad_port = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(1)
        .to_port(70000)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    let err = ec2
        .authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(bad_port)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
    let err = ec2
        .authorize_security_group_ingress()
        .group_id("sg-0123456789abcdef0")
        .ip_permissions(ssh.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");

    let described = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    let perms = described.security_groups()[0].ip_permissions();
    assert_eq!(perms.len(), 2);
    assert_eq!(perms[0].ip_protocol(), Some("tcp"));
    assert_eq!(perms[0].from_port(), Some(22));
    assert_eq!(perms[0].ip_ranges()[0].cidr_ip(), Some("10.0.0.0/8"));
    assert_eq!(perms[0].ip_ranges()[0].description(), Some("office"));
    assert_eq!(
        perms[1].user_id_group_pairs()[0].group_id(),
        Some(DEFAULT_SG)
    );
    let by_port = ec2
        .describe_security_groups()
        .filters(filter("ip-permission.from-port", &["22"]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_port.security_groups().len(), 1);

    let revoked = ec2
        .revoke_security_group_ingress()
        .group_id(&id)
        .ip_permissions(ssh.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.r#return(), Some(true));
    let err = ec2
        .revoke_security_group_ingress()
        .group_id(&id)
        .ip_permissions(ssh)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidPermission.NotFound");
    let described = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(described.security_groups()[0].ip_permissions().len(), 1);

    // A group another group's rule names cannot go; the default never.
    let user = ec2
        .create_security_group()
        .group_name(unique("user"))
        .description("refers to web")
        .send()
        .await
        .unwrap();
    let user_id = user.group_id().unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(user_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&id).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let err = ec2
        .delete_security_group()
        .group_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DependencyViolation");
    ec2.delete_security_group()
        .group_id(user_id)
        .send()
        .await
        .unwrap();
    let err = ec2
        .delete_security_group()
        .group_id(DEFAULT_SG)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "CannotDelete");
    let err = ec2
        .delete_security_group()
        .group_name("default")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "CannotDelete");

    let deleted = ec2
        .delete_security_group()
        .group_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.group_id(), Some(id.as_str()));
    let err = ec2
        .delete_security_group()
        .group_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");
    let err = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");
}

#[tokio::test]
async fn default_group_rules_can_change() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    ec2.authorize_security_group_ingress()
        .group_name("default")
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(80)
                .to_port(80)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = ec2
        .describe_security_groups()
        .group_ids(DEFAULT_SG)
        .send()
        .await
        .unwrap();
    // The original all-traffic-from-itself rule and the new one.
    assert_eq!(out.security_groups()[0].ip_permissions().len(), 2);
    assert_eq!(out.security_groups()[0].group_name(), Some("default"));
}

#[tokio::test]
async fn security_groups_page() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    for i in 0..6 {
        ec2.create_security_group()
            .group_name(format!("g{i}"))
            .description("paged")
            .send()
            .await
            .unwrap();
    }
    let first = ec2
        .describe_security_groups()
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.security_groups().len(), 5);
    let token = first.next_token().expect("a second page").to_owned();
    let second = ec2
        .describe_security_groups()
        .max_results(5)
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.security_groups().len(), 2);
    assert!(second.next_token().is_none());
    let pages = ec2
        .describe_security_groups()
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mut ids: Vec<_> = pages.iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(ids.len(), 7);
    ids.dedup();
    assert_eq!(ids.len(), 7);
    let err = ec2
        .describe_security_groups()
        .max_results(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
}

#[tokio::test]
async fn images() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let al2023 = ec2
        .describe_images()
        .owners("amazon")
        .filters(filter("name", &["al2023-ami-2023.*-kernel-6.1-x86_64"]))
        .filters(filter("architecture", &["x86_64"]))
        .send()
        .await
        .unwrap();
    assert_eq!(al2023.images().len(), 1);
    let image = &al2023.images()[0];
    let id = image.image_id().unwrap().to_owned();
    assert!(id.starts_with("ami-") && id.len() == 21, "{id}");
    assert_eq!(image.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(image.image_owner_alias(), Some("amazon"));
    let by_id = ec2.describe_images().image_ids(&id).send().await.unwrap();
    assert_eq!(by_id.images()[0].name(), image.name());
    let by_filter = ec2
        .describe_images()
        .filters(filter("image-id", &[&id]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_filter.images().len(), 1);
    let mine = ec2.describe_images().owners("self").send().await.unwrap();
    assert!(mine.images().is_empty());
    let all = ec2.describe_images().send().await.unwrap();
    assert!(all.images().len() >= 3);

    let err = ec2
        .describe_images()
        .image_ids("ami-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidAMIID.NotFound");
    let err = ec2
        .describe_images()
        .image_ids("ami-nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidAMIID.Malformed");
}

#[tokio::test]
async fn key_pairs() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    let created = ec2
        .create_key_pair()
        .key_name("deploy")
        .key_type(KeyType::Ed25519)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::KeyPair)
                .tags(tag("env", "dev"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let material = created.key_material().unwrap();
    assert!(material.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    let id = created.key_pair_id().unwrap().to_owned();
    assert!(id.starts_with("key-") && id.len() == 21, "{id}");
    let fingerprint = created.key_fingerprint().unwrap().to_owned();
    ec2.wait_until_key_pair_exists()
        .key_names("deploy")
        .wait(Duration::from_secs(10))
        .await
        .unwrap();

    // The default (rsa) request is answered with an Ed25519 key.
    let default = ec2
        .create_key_pair()
        .key_name("default-type")
        .send()
        .await
        .unwrap();
    assert!(
        default
            .key_material()
            .unwrap()
            .contains("OPENSSH PRIVATE KEY")
    );
    let ppk = ec2
        .create_key_pair()
        .key_name("putty")
        .key_format(KeyFormat::Ppk)
        .send()
        .await
        .unwrap();
    assert!(
        ppk.key_material()
            .unwrap()
            .starts_with("PuTTY-User-Key-File-3: ssh-ed25519\n")
    );

    let err = ec2
        .create_key_pair()
        .key_name("deploy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidKeyPair.Duplicate");

    let described = ec2
        .describe_key_pairs()
        .key_names("deploy")
        .include_public_key(true)
        .send()
        .await
        .unwrap();
    let info = &described.key_pairs()[0];
    assert_eq!(info.key_pair_id(), Some(id.as_str()));
    assert_eq!(info.key_fingerprint(), Some(fingerprint.as_str()));
    assert_eq!(info.key_type().map(|t| t.as_str()), Some("ed25519"));
    assert!(info.create_time().is_some());
    assert_eq!(info.tags()[0].value(), Some("dev"));
    let public = info.public_key().unwrap().to_owned();
    assert!(public.starts_with("ssh-ed25519 AAAA"));

    // Importing the same public key gives the same fingerprint.
    let imported = ec2
        .import_key_pair()
        .key_name("imported")
        .public_key_material(Blob::new(public.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.key_fingerprint(), Some(fingerprint.as_str()));
    let rsa = ec2
        .import_key_pair()
        .key_name("laptop-rsa")
        .public_key_material(Blob::new(
            include_str!("../../../../crates/ballast-core/src/ec2/testdata/rsa1024.pub").as_bytes(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        rsa.key_fingerprint(),
        Some(include_str!("../../../../crates/ballast-core/src/ec2/testdata/rsa1024.md5").trim())
    );
    let err = ec2
        .import_key_pair()
        .key_name("junk")
        .public_key_material(Blob::new("not a key"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidKeyPair.Format");
    let err = ec2
        .import_key_pair()
        .key_name("imported")
        .public_key_material(Blob::new(public.as_bytes()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidKeyPair.Duplicate");

    let all = ec2.describe_key_pairs().send().await.unwrap();
    assert_eq!(all.key_pairs().len(), 5);
    assert!(all.key_pairs().iter().all(|k| k.public_key().is_none()));
    let by_filter = ec2
        .describe_key_pairs()
        .filters(filter("key-name", &["dep*"]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_filter.key_pairs().len(), 1);
    let by_id = ec2
        .describe_key_pairs()
        .key_pair_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(by_id.key_pairs()[0].key_name(), Some("deploy"));
    let err = ec2
        .describe_key_pairs()
        .key_names("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidKeyPair.NotFound");
    let err = ec2
        .describe_key_pairs()
        .key_pair_ids("key-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidKeyPair.NotFound");

    ec2.delete_key_pair()
        .key_name("deploy")
        .send()
        .await
        .unwrap();
    ec2.delete_key_pair()
        .key_pair_id(imported.key_pair_id().unwrap())
        .send()
        .await
        .unwrap();
    // Deleting what is not there succeeds, as on EC2.
    ec2.delete_key_pair()
        .key_name("deploy")
        .send()
        .await
        .unwrap();
    let err = ec2
        .describe_key_pairs()
        .key_names("deploy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidKeyPair.NotFound");
    let left = ec2.describe_key_pairs().send().await.unwrap();
    assert_eq!(left.key_pairs().len(), 3);
}

#[tokio::test]
async fn tags() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let group = ec2
        .create_security_group()
        .group_name("tagged")
        .description("d")
        .send()
        .await
        .unwrap();
    let sg = group.group_id().unwrap();
    let key = ec2.create_key_pair().key_name("k").send().await.unwrap();
    let key_id = key.key_pair_id().unwrap();
    let subnet = "subnet-0ba11a5700000000a";
    let image = "ami-0ba11a5700a023086";

    ec2.create_tags()
        .resources(VPC)
        .resources(subnet)
        .resources(sg)
        .resources(key_id)
        .resources(image)
        .tags(tag("Name", "main"))
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();

    let all = ec2.describe_tags().send().await.unwrap();
    assert_eq!(all.tags().len(), 10);
    let types: std::collections::BTreeSet<_> = all
        .tags()
        .iter()
        .filter_map(|t| t.resource_type().map(|r| r.as_str().to_owned()))
        .collect();
    assert_eq!(
        types.into_iter().collect::<Vec<_>>(),
        ["image", "key-pair", "security-group", "subnet", "vpc"]
    );
    let of_sg = ec2
        .describe_tags()
        .filters(filter("resource-id", &[sg]))
        .filters(filter("key", &["env"]))
        .send()
        .await
        .unwrap();
    assert_eq!(of_sg.tags().len(), 1);
    assert_eq!(of_sg.tags()[0].value(), Some("prod"));
    let by_type = ec2
        .describe_tags()
        .filters(filter("resource-type", &["subnet"]))
        .filters(filter("value", &["main"]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_type.tags().len(), 1);

    // Paging through the ten tags five at a time.
    let items = ec2
        .describe_tags()
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(items.len(), 10);

    // Tags show on the resources themselves.
    let vpc = ec2
        .describe_vpcs()
        .filters(filter("tag:Name", &["main"]))
        .send()
        .await
        .unwrap();
    assert_eq!(vpc.vpcs().len(), 1);
    let subnets = ec2
        .describe_subnets()
        .filters(filter("tag-key", &["env"]))
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 1);
    let images = ec2
        .describe_images()
        .filters(filter("tag:env", &["prod"]))
        .send()
        .await
        .unwrap();
    assert_eq!(images.images().len(), 1);

    // DeleteTags: a value that does not match leaves the tag; no value
    // removes it whatever it is; no tags removes them all.
    ec2.delete_tags()
        .resources(sg)
        .tags(Tag::builder().key("env").value("dev").build())
        .send()
        .await
        .unwrap();
    let out = ec2
        .describe_tags()
        .filters(filter("resource-id", &[sg]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.tags().len(), 2);
    ec2.delete_tags()
        .resources(sg)
        .tags(Tag::builder().key("env").build())
        .send()
        .await
        .unwrap();
    let out = ec2
        .describe_tags()
        .filters(filter("resource-id", &[sg]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.tags().len(), 1);
    ec2.delete_tags().resources(VPC).send().await.unwrap();
    let out = ec2
        .describe_tags()
        .filters(filter("resource-id", &[VPC]))
        .send()
        .await
        .unwrap();
    assert!(out.tags().is_empty());

    // Errors: each kind's not-found code, InvalidID, the tag limit.
    let cases = [
        ("sg-0123456789abcdef0", "InvalidGroup.NotFound"),
        ("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
        ("subnet-0123456789abcdef0", "InvalidSubnetID.NotFound"),
        ("key-0123456789abcdef0", "InvalidKeyPair.NotFound"),
        ("ami-0123456789abcdef0", "InvalidAMIID.NotFound"),
        ("bogus-1", "InvalidID"),
    ];
    for (id, code) in cases {
        let err = ec2
            .create_tags()
            .resources(id)
            .tags(tag("a", "b"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), code, "{id}");
    }
    let mut many = ec2.create_tags().resources(sg);
    for i in 0..50 {
        many = many.tags(tag(&format!("k{i}"), "v"));
    }
    let err = many.send().await.unwrap_err();
    assert_eq!(error_code(&err), "TagLimitExceeded");
    let err = ec2
        .create_tags()
        .resources(sg)
        .tags(tag("aws:reserved", "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
}

#[tokio::test]
async fn dry_run_is_412_and_changes_nothing() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let err = ec2
        .create_security_group()
        .group_name("dry")
        .description("d")
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DryRunOperation");
    assert_eq!(http_status(&err), 412);
    let err = ec2
        .describe_security_groups()
        .group_names("dry")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");

    let err = ec2
        .create_key_pair()
        .key_name("dry")
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DryRunOperation");
    let keys = ec2.describe_key_pairs().send().await.unwrap();
    assert!(keys.key_pairs().is_empty());

    let err = ec2
        .create_tags()
        .resources(VPC)
        .tags(tag("a", "b"))
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DryRunOperation");
    let err = ec2
        .authorize_security_group_ingress()
        .group_id(DEFAULT_SG)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(1)
                .to_port(2)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DryRunOperation");
    let err = ec2.describe_vpcs().dry_run(true).send().await.unwrap_err();
    assert_eq!(error_code(&err), "DryRunOperation");
    let tags = ec2.describe_tags().send().await.unwrap();
    assert!(tags.tags().is_empty());
}

#[tokio::test]
async fn state_survives_restart_and_unknown_actions_are_invalid() {
    let mut ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let group = ec2
        .create_security_group()
        .group_name("durable")
        .description("d")
        .send()
        .await
        .unwrap();
    ec2.create_key_pair()
        .key_name("durable")
        .send()
        .await
        .unwrap();
    let dir = ballast.data_dir.clone();
    ballast.kill9();
    let again = Ballast::start_in(&dir, &[]);
    let ec2 = again.ec2();
    let groups = ec2
        .describe_security_groups()
        .group_ids(group.group_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(groups.security_groups()[0].group_name(), Some("durable"));
    ec2.describe_key_pairs()
        .key_names("durable")
        .send()
        .await
        .unwrap();

    let response = RawRequest::query("ec2", "Action=DescribeSpaceships&Version=2016-11-15")
        .send(&again.endpoint, true)
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code().as_deref(), Some("InvalidAction"));
    assert!(
        response.body.contains("<Response><Errors><Error>"),
        "{}",
        response.body
    );
}

/// All traffic to anywhere: the egress rule EC2 gives every new group.
fn all_traffic_out() -> IpPermission {
    IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build()
}

#[tokio::test]
async fn egress_rules_lifecycle() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let id = ec2
        .create_security_group()
        .group_name(unique("out"))
        .description("egress rules")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();

    // A new group starts with EC2's all-traffic egress rule, as a
    // permission and as a rule.
    let described = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    let egress = described.security_groups()[0].ip_permissions_egress();
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0].ip_protocol(), Some("-1"));
    assert_eq!(egress[0].from_port(), None);
    assert_eq!(egress[0].ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
    assert!(described.security_groups()[0].ip_permissions().is_empty());
    let rules = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[&id]))
        .send()
        .await
        .unwrap();
    assert_eq!(rules.security_group_rules().len(), 1);
    let default_out = &rules.security_group_rules()[0];
    assert_eq!(default_out.is_egress(), Some(true));
    assert_eq!(default_out.group_id(), Some(id.as_str()));
    assert_eq!(default_out.ip_protocol(), Some("-1"));
    assert_eq!(default_out.cidr_ipv4(), Some("0.0.0.0/0"));
    assert!(default_out.group_owner_id().is_some());
    let default_out_id = default_out.security_group_rule_id().unwrap().to_owned();
    assert!(
        default_out
            .security_group_rule_arn()
            .unwrap()
            .ends_with(&format!(":security-group-rule/{default_out_id}"))
    );

    // Authorize: to a CIDR and to a group.
    let https = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip("0.0.0.0/0")
                .description("web")
                .build(),
        )
        .build();
    let to_default = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(DEFAULT_SG).build())
        .build();
    let added = ec2
        .authorize_security_group_egress()
        .group_id(&id)
        .ip_permissions(https.clone())
        .ip_permissions(to_default.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(added.r#return(), Some(true));
    let added = added.security_group_rules();
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|r| r.is_egress() == Some(true)));
    assert!(added.iter().all(|r| r.group_id() == Some(id.as_str())));
    assert_eq!(added[0].from_port(), Some(443));
    assert_eq!(added[0].description(), Some("web"));
    assert_eq!(
        added[1].referenced_group_info().unwrap().group_id(),
        Some(DEFAULT_SG)
    );
    let https_id = added[0].security_group_rule_id().unwrap().to_owned();
    let to_default_id = added[1].security_group_rule_id().unwrap().to_owned();
    assert!(
        https_id.starts_with("sgr-") && https_id.len() == 21,
        "{https_id}"
    );

    // Described as permissions (egress only) and as rules.
    let group = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap()
        .security_groups()[0]
        .clone();
    assert!(group.ip_permissions().is_empty());
    let egress = group.ip_permissions_egress();
    assert_eq!(egress.len(), 3);
    assert_eq!(egress[1].ip_protocol(), Some("tcp"));
    assert_eq!(egress[1].from_port(), Some(443));
    assert_eq!(egress[1].to_port(), Some(443));
    assert_eq!(egress[1].ip_ranges()[0].description(), Some("web"));
    assert_eq!(
        egress[2].user_id_group_pairs()[0].group_id(),
        Some(DEFAULT_SG)
    );
    let rules = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[&id]))
        .send()
        .await
        .unwrap();
    assert_eq!(rules.security_group_rules().len(), 3);
    let one = ec2
        .describe_security_group_rules()
        .security_group_rule_ids(&https_id)
        .send()
        .await
        .unwrap();
    assert_eq!(one.security_group_rules().len(), 1);
    assert_eq!(one.security_group_rules()[0].from_port(), Some(443));
    assert_eq!(one.security_group_rules()[0].is_egress(), Some(true));
    let by_filter = ec2
        .describe_security_group_rules()
        .filters(filter("security-group-rule-id", &[&to_default_id]))
        .send()
        .await
        .unwrap();
    assert_eq!(by_filter.security_group_rules().len(), 1);
    assert_eq!(by_filter.security_group_rules()[0].to_port(), Some(5432));

    // The egress filters of DescribeSecurityGroups see egress rules only.
    for (f, expected) in [
        (filter("egress.ip-permission.from-port", &["443"]), 1),
        (filter("egress.ip-permission.to-port", &["5432"]), 1),
        (filter("egress.ip-permission.protocol", &["tcp"]), 1),
        (filter("egress.ip-permission.group-id", &[DEFAULT_SG]), 1),
        (filter("ip-permission.from-port", &["443"]), 0),
    ] {
        let out = ec2
            .describe_security_groups()
            .filters(f.clone())
            .send()
            .await
            .unwrap();
        let ids: Vec<_> = out
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect();
        assert_eq!(ids.len(), expected, "{f:?}: {ids:?}");
        if expected == 1 {
            assert_eq!(ids[0], id);
        }
    }
    let both = ec2
        .describe_security_groups()
        .filters(filter("egress.ip-permission.cidr", &["0.0.0.0/0"]))
        .send()
        .await
        .unwrap();
    // The default group's all-traffic rule and this group's.
    assert_eq!(both.security_groups().len(), 2);

    // A duplicate, an unknown group, a malformed id.
    let err = ec2
        .authorize_security_group_egress()
        .group_id(&id)
        .ip_permissions(https.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidPermission.Duplicate");
    let err = ec2
        .authorize_security_group_egress()
        .group_id("sg-0123456789abcdef0")
        .ip_permissions(https.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");
    let err = ec2
        .revoke_security_group_egress()
        .group_id("sg-0123456789abcdef0")
        .ip_permissions(https.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroup.NotFound");
    let err = ec2
        .authorize_security_group_egress()
        .group_id("web")
        .ip_permissions(https.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidGroupId.Malformed");
    // The flat members are not supported on the egress calls.
    let err = ec2
        .authorize_security_group_egress()
        .group_id(&id)
        .ip_protocol("tcp")
        .from_port(25)
        .to_port(25)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "UnknownParameter");
    let err = ec2
        .authorize_security_group_egress()
        .group_id(&id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(25)
                .to_port(25)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .dry_run(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DryRunOperation");
    assert_eq!(http_status(&err), 412);

    // Revoke by permission; then it is gone, and revoking it again fails.
    let revoked = ec2
        .revoke_security_group_egress()
        .group_id(&id)
        .ip_permissions(https.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.r#return(), Some(true));
    assert!(revoked.unknown_ip_permissions().is_empty());
    let gone = &revoked.revoked_security_group_rules()[0];
    assert_eq!(gone.security_group_rule_id(), Some(https_id.as_str()));
    assert_eq!(gone.is_egress(), Some(true));
    assert_eq!(gone.cidr_ipv4(), Some("0.0.0.0/0"));
    let err = ec2
        .revoke_security_group_egress()
        .group_id(&id)
        .ip_permissions(https)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidPermission.NotFound");
    let err = ec2
        .describe_security_group_rules()
        .security_group_rule_ids(&https_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSecurityGroupRuleId.NotFound");

    // Revoke by rule id: an egress id is unknown to the ingress call.
    let err = ec2
        .revoke_security_group_ingress()
        .group_id(&id)
        .security_group_rule_ids(&to_default_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSecurityGroupRuleId.NotFound");
    let err = ec2
        .revoke_security_group_egress()
        .group_id(&id)
        .security_group_rule_ids("sgr-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSecurityGroupRuleId.NotFound");
    let err = ec2
        .revoke_security_group_egress()
        .group_id(&id)
        .security_group_rule_ids("10.0.0.0/8")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSecurityGroupRuleId.Malformed");
    let err = ec2
        .revoke_security_group_egress()
        .group_id(&id)
        .security_group_rule_ids(&to_default_id)
        .ip_permissions(to_default.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterCombination");
    let revoked = ec2
        .revoke_security_group_egress()
        .group_id(&id)
        .security_group_rule_ids(&to_default_id)
        .send()
        .await
        .unwrap();
    let gone = &revoked.revoked_security_group_rules()[0];
    assert_eq!(gone.security_group_rule_id(), Some(to_default_id.as_str()));
    assert_eq!(gone.referenced_group_id(), Some(DEFAULT_SG));
    assert_eq!(gone.from_port(), Some(5432));

    // What is left is the original all-traffic rule.
    let left = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[&id]))
        .send()
        .await
        .unwrap();
    let left: Vec<_> = left
        .security_group_rules()
        .iter()
        .filter_map(|r| r.security_group_rule_id())
        .collect();
    assert_eq!(left, [default_out_id.as_str()]);
}

#[tokio::test]
async fn default_egress_rule_can_be_removed_and_restored() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    // The default group: one rule each way.
    let rules = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[DEFAULT_SG]))
        .send()
        .await
        .unwrap();
    let rules = rules.security_group_rules();
    assert_eq!(rules.len(), 2);
    let egress: Vec<_> = rules
        .iter()
        .filter(|r| r.is_egress() == Some(true))
        .collect();
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0].cidr_ipv4(), Some("0.0.0.0/0"));
    let ingress: Vec<_> = rules
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .collect();
    assert_eq!(
        ingress[0].referenced_group_info().unwrap().group_id(),
        Some(DEFAULT_SG)
    );

    // Its all-traffic egress rule already exists, so adding it is a
    // duplicate; revoked, the group has no egress; re-added, it is back
    // under a new id.
    let err = ec2
        .authorize_security_group_egress()
        .group_id(DEFAULT_SG)
        .ip_permissions(all_traffic_out())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidPermission.Duplicate");
    let revoked = ec2
        .revoke_security_group_egress()
        .group_id(DEFAULT_SG)
        .ip_permissions(all_traffic_out())
        .send()
        .await
        .unwrap();
    assert_eq!(
        revoked.revoked_security_group_rules()[0].security_group_rule_id(),
        egress[0].security_group_rule_id()
    );
    let group = ec2
        .describe_security_groups()
        .group_ids(DEFAULT_SG)
        .send()
        .await
        .unwrap();
    assert!(
        group.security_groups()[0]
            .ip_permissions_egress()
            .is_empty()
    );
    assert_eq!(group.security_groups()[0].ip_permissions().len(), 1);
    let none = ec2
        .describe_security_groups()
        .filters(filter("egress.ip-permission.cidr", &["0.0.0.0/0"]))
        .send()
        .await
        .unwrap();
    assert!(none.security_groups().is_empty());
    let err = ec2
        .revoke_security_group_egress()
        .group_id(DEFAULT_SG)
        .ip_permissions(all_traffic_out())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidPermission.NotFound");

    let back = ec2
        .authorize_security_group_egress()
        .group_id(DEFAULT_SG)
        .ip_permissions(all_traffic_out())
        .send()
        .await
        .unwrap();
    let back_id = back.security_group_rules()[0]
        .security_group_rule_id()
        .unwrap();
    assert_ne!(Some(back_id), egress[0].security_group_rule_id());
    let group = ec2
        .describe_security_groups()
        .group_ids(DEFAULT_SG)
        .send()
        .await
        .unwrap();
    let out = group.security_groups()[0].ip_permissions_egress();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].ip_protocol(), Some("-1"));
    assert_eq!(out[0].ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));

    // A new group's rule goes by id just as well, and comes back the same
    // way.
    let id = ec2
        .create_security_group()
        .group_name(unique("closed"))
        .description("no egress")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();
    let rule_id = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[&id]))
        .send()
        .await
        .unwrap()
        .security_group_rules()[0]
        .security_group_rule_id()
        .unwrap()
        .to_owned();
    ec2.revoke_security_group_egress()
        .group_id(&id)
        .security_group_rule_ids(&rule_id)
        .send()
        .await
        .unwrap();
    let rules = ec2
        .describe_security_group_rules()
        .filters(filter("group-id", &[&id]))
        .send()
        .await
        .unwrap();
    assert!(rules.security_group_rules().is_empty());
    ec2.authorize_security_group_egress()
        .group_id(&id)
        .ip_permissions(all_traffic_out())
        .send()
        .await
        .unwrap();
    let group = ec2
        .describe_security_groups()
        .group_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        group.security_groups()[0].ip_permissions_egress()[0].ip_protocol(),
        Some("-1")
    );
}

#[tokio::test]
async fn ingress_rules_revoke_by_id_and_all_rules_page() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let mut groups = Vec::new();
    for i in 0..3 {
        let id = ec2
            .create_security_group()
            .group_name(format!("r{i}"))
            .description("rules")
            .send()
            .await
            .unwrap()
            .group_id()
            .unwrap()
            .to_owned();
        groups.push(id);
    }
    let added = ec2
        .authorize_security_group_ingress()
        .group_id(&groups[0])
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .ip_ranges(IpRange::builder().cidr_ip("192.168.0.0/16").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let ssh: Vec<_> = added
        .security_group_rules()
        .iter()
        .map(|r| r.security_group_rule_id().unwrap().to_owned())
        .collect();
    assert!(
        added
            .security_group_rules()
            .iter()
            .all(|r| r.is_egress() == Some(false))
    );

    // Default group (2) + three new groups' egress (3) + two ingress = 7.
    let all = ec2
        .describe_security_group_rules()
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let ids: Vec<_> = all
        .iter()
        .filter_map(|r| r.security_group_rule_id())
        .collect();
    assert_eq!(ids.len(), 7);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, ids, "paged in rule id order, each once");
    assert_eq!(
        all.iter().filter(|r| r.is_egress() == Some(true)).count(),
        4
    );
    let first = ec2
        .describe_security_group_rules()
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.security_group_rules().len(), 5);
    assert!(first.next_token().is_some());
    let err = ec2
        .describe_security_group_rules()
        .max_results(4)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
    let err = ec2
        .describe_security_group_rules()
        .filters(filter("is-egress", &["true"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
    let err = ec2
        .describe_security_group_rules()
        .security_group_rule_ids("sgr-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSecurityGroupRuleId.NotFound");

    // Ingress rules go by id too, all or none.
    let err = ec2
        .revoke_security_group_ingress()
        .group_id(&groups[0])
        .security_group_rule_ids(&ssh[0])
        .security_group_rule_ids("sgr-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidSecurityGroupRuleId.NotFound");
    let revoked = ec2
        .revoke_security_group_ingress()
        .group_id(&groups[0])
        .security_group_rule_ids(&ssh[0])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.revoked_security_group_rules().len(), 1);
    assert_eq!(
        revoked.revoked_security_group_rules()[0].is_egress(),
        Some(false)
    );
    let perms = ec2
        .describe_security_groups()
        .group_ids(&groups[0])
        .send()
        .await
        .unwrap();
    let ranges = perms.security_groups()[0].ip_permissions()[0].ip_ranges();
    assert_eq!(ranges.len(), 1);
    assert_eq!(ranges[0].cidr_ip(), Some("192.168.0.0/16"));
}
