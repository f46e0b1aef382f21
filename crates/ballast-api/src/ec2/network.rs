//! DescribeRegions, DescribeAvailabilityZones, DescribeVpcs,
//! DescribeSubnets and what comes with the default VPC
//! (DescribeInternetGateways, DescribeRouteTables, DescribeNetworkAcls,
//! DescribeDhcpOptions): the fixed network of `ballast_core::ec2::network`.

use ballast_core::Arn;
use ballast_core::ec2::network::{self as net, Region as CoreRegion, Zone};
use ballast_core::ec2::{self, Error as Rule, filter};
use ballast_core::network::{
    DEFAULT_DHCP_OPTIONS_ID, DEFAULT_SUBNET_FREE_ADDRESSES, DEFAULT_VPC_CIDR_ASSOCIATION_ID,
};
use ballast_core::paging::page;

use ballast_model::ec2::{
    AttributeBooleanValue, AttributeValue, AvailabilityZone, DescribeAvailabilityZonesInput,
    DescribeAvailabilityZonesOutput, DescribeDhcpOptionsInput, DescribeDhcpOptionsOutput,
    DescribeInternetGatewaysInput, DescribeInternetGatewaysOutput, DescribeNetworkAclsInput,
    DescribeNetworkAclsOutput, DescribeRegionsInput, DescribeRegionsOutput,
    DescribeRouteTablesInput, DescribeRouteTablesOutput, DescribeSubnetsInput,
    DescribeSubnetsOutput, DescribeVpcAttributeInput, DescribeVpcAttributeOutput,
    DescribeVpcsInput, DescribeVpcsOutput, DhcpConfiguration, DhcpOptions, InternetGateway,
    InternetGatewayAttachment, NetworkAcl, NetworkAclAssociation, NetworkAclEntry, Region, Route,
    RouteTable, RouteTableAssociation, RouteTableAssociationState, Subnet, Vpc, VpcAttributeName,
    VpcCidrBlockAssociation, VpcCidrBlockState,
};

use super::{Error, describe_page, dry_run, filters};
use crate::ApiState;

pub(super) fn describe_regions(
    state: &ApiState,
    input: DescribeRegionsInput,
) -> Result<DescribeRegionsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<CoreRegion>(input.filters)?;
    let region = CoreRegion::new(&state.scope.region);
    if let Some(names) = &input.region_names
        && let Some(unknown) = names.iter().find(|n| **n != region.name)
    {
        return Err(Rule::InvalidParameterValue(format!("Invalid region: {unknown}")).into());
    }
    let regions = [region]
        .into_iter()
        .filter(|r| filter::matches(r, &[], &filters))
        .map(|r| Region {
            region_name: Some(r.name),
            endpoint: Some(r.endpoint),
            opt_in_status: Some("opt-in-not-required".to_owned()),
            ..Default::default()
        })
        .collect();
    Ok(DescribeRegionsOutput {
        regions: Some(regions),
    })
}

pub(super) fn describe_zones(
    state: &ApiState,
    input: DescribeAvailabilityZonesInput,
) -> Result<DescribeAvailabilityZonesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<Zone>(input.filters)?;
    let zones = net::zones(&state.scope.region);
    for name in input.zone_names.iter().flatten() {
        if !zones.iter().any(|z| z.name == *name) {
            return Err(Rule::InvalidParameterValue(format!(
                "Invalid availability zone: [{name}]"
            ))
            .into());
        }
    }
    for id in input.zone_ids.iter().flatten() {
        if !zones.iter().any(|z| z.id == *id) {
            return Err(Rule::InvalidParameterValue(format!("Invalid zone id: [{id}]")).into());
        }
    }
    let availability_zones = zones
        .into_iter()
        .filter(|z| {
            input
                .zone_names
                .as_ref()
                .is_none_or(|n| n.contains(&z.name))
                && input.zone_ids.as_ref().is_none_or(|i| i.contains(&z.id))
                && filter::matches(z, &[], &filters)
        })
        .map(|z| AvailabilityZone {
            opt_in_status: Some("opt-in-not-required".into()),
            messages: Some(Vec::new()),
            group_name: Some(z.region.clone()),
            network_border_group: Some(z.region.clone()),
            region_name: Some(z.region),
            zone_name: Some(z.name),
            zone_id: Some(z.id),
            zone_type: Some("availability-zone".to_owned()),
            state: Some("available".into()),
            ..Default::default()
        })
        .collect();
    Ok(DescribeAvailabilityZonesOutput {
        availability_zones: Some(availability_zones),
    })
}

/// The page of Ballast's fixed network (VPCs, subnets, gateways, route
/// tables, ACLs, DHCP options) a Describe call asks for:
/// those `ids` names (an unknown one is `not_found`), matching `filters`
/// with their tags, in id order; each with its tags.
#[allow(clippy::type_complexity)]
fn select_page<T: filter::Filterable>(
    state: &ApiState,
    all: Vec<T>,
    id: fn(&T) -> &'static str,
    ids: Option<&Vec<String>>,
    not_found: fn(String) -> Rule,
    filters: &[ec2::Filter],
    (size, after): (usize, Option<String>),
) -> Result<(Vec<(T, Vec<(String, String)>)>, Option<String>), Error> {
    if let Some(unknown) = ids
        .into_iter()
        .flatten()
        .find(|wanted| !all.iter().any(|item| id(item) == wanted.as_str()))
    {
        return Err(not_found(unknown.clone()).into());
    }
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let mut out = Vec::new();
        for item in all {
            if ids.is_some_and(|ids| !ids.iter().any(|wanted| wanted == id(&item))) {
                continue;
            }
            let tags = tx.tags(id(&item))?;
            if filter::matches(&item, &tags, filters) {
                out.push((item, tags));
            }
        }
        Ok(out)
    })?;
    Ok(page(selected, |(item, _)| id(item), after.as_deref(), size))
}

/// DescribeVpcAttribute: the default VPC's DNS settings, as EC2 sets them
/// for a default VPC (support and hostnames on, usage metrics off).
pub(super) fn describe_vpc_attribute(
    state: &ApiState,
    input: DescribeVpcAttributeInput,
) -> Result<DescribeVpcAttributeOutput, Error> {
    if !net::vpcs(&state.scope.account)
        .iter()
        .any(|vpc| vpc.id == input.vpc_id)
    {
        return Err(Rule::VpcNotFound(input.vpc_id).into());
    }
    dry_run(input.dry_run)?;
    let on = |value: bool| Some(AttributeBooleanValue { value: Some(value) });
    let mut out = DescribeVpcAttributeOutput {
        vpc_id: Some(input.vpc_id),
        ..DescribeVpcAttributeOutput::default()
    };
    match input.attribute {
        VpcAttributeName::EnableDnsSupport => out.enable_dns_support = on(true),
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames = on(true),
        VpcAttributeName::EnableNetworkAddressUsageMetrics => {
            out.enable_network_address_usage_metrics = on(false);
        }
        other => return Err(Rule::unknown_attribute(other.as_str()).into()),
    }
    Ok(out)
}

pub(super) fn describe_vpcs(
    state: &ApiState,
    input: DescribeVpcsInput,
) -> Result<DescribeVpcsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::Vpc>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let (vpcs, next_token) = select_page(
        state,
        net::vpcs(&state.scope.account),
        |v| v.id,
        input.vpc_ids.as_deref(),
        Rule::VpcNotFound,
        &filters,
        (size, after),
    )?;
    Ok(DescribeVpcsOutput {
        vpcs: Some(
            vpcs.into_iter()
                .map(|(vpc, tags)| Vpc {
                    vpc_id: Some(vpc.id.to_owned()),
                    owner_id: Some(vpc.owner_id),
                    state: Some("available".into()),
                    cidr_block: Some(vpc.cidr.to_owned()),
                    cidr_block_association_set: Some(vec![VpcCidrBlockAssociation {
                        association_id: Some(DEFAULT_VPC_CIDR_ASSOCIATION_ID.to_owned()),
                        cidr_block: Some(vpc.cidr.to_owned()),
                        cidr_block_state: Some(VpcCidrBlockState {
                            state: Some("associated".into()),
                            status_message: None,
                        }),
                    }]),
                    dhcp_options_id: Some(DEFAULT_DHCP_OPTIONS_ID.to_owned()),
                    instance_tenancy: Some("default".into()),
                    is_default: Some(true),
                    tags: Some(crate::tags::from_pairs(tags)),
                    ..Default::default()
                })
                .collect(),
        ),
        next_token,
    })
}

pub(super) fn describe_subnets(
    state: &ApiState,
    input: DescribeSubnetsInput,
) -> Result<DescribeSubnetsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::Subnet>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let (subnets, next_token) = select_page(
        state,
        net::subnets(&state.scope.region, &state.scope.account),
        |s| s.id,
        input.subnet_ids.as_deref(),
        Rule::SubnetNotFound,
        &filters,
        (size, after),
    )?;
    Ok(DescribeSubnetsOutput {
        subnets: Some(
            subnets
                .into_iter()
                .map(|(s, tags)| Subnet {
                    subnet_arn: Some(
                        Arn::new(
                            "ec2",
                            &state.scope.region,
                            &state.scope.account,
                            format!("subnet/{}", s.id),
                        )
                        .to_string(),
                    ),
                    subnet_id: Some(s.id.to_owned()),
                    state: Some("available".into()),
                    vpc_id: Some(s.vpc_id.to_owned()),
                    owner_id: Some(s.owner_id),
                    cidr_block: Some(s.cidr.to_owned()),
                    available_ip_address_count: Some(DEFAULT_SUBNET_FREE_ADDRESSES),
                    availability_zone: Some(s.zone),
                    availability_zone_id: Some(s.zone_id),
                    default_for_az: Some(true),
                    map_public_ip_on_launch: Some(true),
                    assign_ipv6_address_on_creation: Some(false),
                    ipv6_native: Some(false),
                    enable_dns64: Some(false),
                    map_customer_owned_ip_on_launch: Some(false),
                    tags: Some(crate::tags::from_pairs(tags)),
                    ..Default::default()
                })
                .collect(),
        ),
        next_token,
    })
}

/// DescribeInternetGateways: the default VPC's gateway, attached to it.
/// EC2 reports an attached gateway's attachment as `available`, a value
/// outside the model's enum, which clients read as text.
pub(super) fn describe_internet_gateways(
    state: &ApiState,
    input: DescribeInternetGatewaysInput,
) -> Result<DescribeInternetGatewaysOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::InternetGateway>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let (gateways, next_token) = select_page(
        state,
        net::internet_gateways(&state.scope.account),
        |g| g.id,
        input.internet_gateway_ids.as_ref(),
        Rule::InternetGatewayNotFound,
        &filters,
        (size, after),
    )?;
    let internet_gateways = gateways
        .into_iter()
        .map(|(gateway, tags)| InternetGateway {
            attachments: Some(vec![InternetGatewayAttachment {
                state: Some("available".into()),
                vpc_id: Some(gateway.vpc_id.to_owned()),
            }]),
            internet_gateway_id: Some(gateway.id.to_owned()),
            owner_id: Some(gateway.owner_id),
            tags: Some(crate::tags::from_pairs(tags)),
        })
        .collect();
    Ok(DescribeInternetGatewaysOutput {
        internet_gateways: Some(internet_gateways),
        next_token,
    })
}

/// DescribeRouteTables: the default VPC's main route table.
pub(super) fn describe_route_tables(
    state: &ApiState,
    input: DescribeRouteTablesInput,
) -> Result<DescribeRouteTablesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::RouteTable>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let (tables, next_token) = select_page(
        state,
        net::route_tables(&state.scope.account),
        |t| t.id,
        input.route_table_ids.as_ref(),
        Rule::RouteTableNotFound,
        &filters,
        (size, after),
    )?;
    let route_tables = tables
        .into_iter()
        .map(|(table, tags)| RouteTable {
            associations: Some(vec![RouteTableAssociation {
                main: Some(true),
                route_table_association_id: Some(table.main_association_id.to_owned()),
                route_table_id: Some(table.id.to_owned()),
                association_state: Some(RouteTableAssociationState {
                    state: Some("associated".into()),
                    status_message: None,
                }),
                ..Default::default()
            }]),
            propagating_vgws: Some(Vec::new()),
            route_table_id: Some(table.id.to_owned()),
            routes: Some(
                table
                    .routes
                    .iter()
                    .map(|route| Route {
                        destination_cidr_block: Some(route.destination.to_owned()),
                        gateway_id: Some(route.gateway_id.to_owned()),
                        origin: Some(route.origin.into()),
                        state: Some("active".into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            tags: Some(crate::tags::from_pairs(tags)),
            vpc_id: Some(table.vpc_id.to_owned()),
            owner_id: Some(table.owner_id),
        })
        .collect();
    Ok(DescribeRouteTablesOutput {
        route_tables: Some(route_tables),
        next_token,
    })
}

/// DescribeNetworkAcls: the default VPC's default ACL, on every default
/// subnet.
pub(super) fn describe_network_acls(
    state: &ApiState,
    input: DescribeNetworkAclsInput,
) -> Result<DescribeNetworkAclsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::NetworkAcl>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let (acls, next_token) = select_page(
        state,
        net::network_acls(&state.scope.account),
        |a| a.id,
        input.network_acl_ids.as_ref(),
        Rule::NetworkAclNotFound,
        &filters,
        (size, after),
    )?;
    let network_acls = acls
        .into_iter()
        .map(|(acl, tags)| NetworkAcl {
            associations: Some(
                acl.associations
                    .iter()
                    .map(|(id, subnet)| NetworkAclAssociation {
                        network_acl_association_id: Some((*id).to_owned()),
                        network_acl_id: Some(acl.id.to_owned()),
                        subnet_id: Some((*subnet).to_owned()),
                    })
                    .collect(),
            ),
            entries: Some(
                acl.entries
                    .iter()
                    .map(|entry| NetworkAclEntry {
                        cidr_block: Some(net::ANYWHERE.to_owned()),
                        egress: Some(entry.egress),
                        protocol: Some("-1".to_owned()),
                        rule_action: Some(entry.action().into()),
                        rule_number: Some(entry.rule_number),
                        ..Default::default()
                    })
                    .collect(),
            ),
            is_default: Some(true),
            network_acl_id: Some(acl.id.to_owned()),
            tags: Some(crate::tags::from_pairs(tags)),
            vpc_id: Some(acl.vpc_id.to_owned()),
            owner_id: Some(acl.owner_id),
        })
        .collect();
    Ok(DescribeNetworkAclsOutput {
        network_acls: Some(network_acls),
        next_token,
    })
}

/// DescribeDhcpOptions: the default VPC's options set.
pub(super) fn describe_dhcp_options(
    state: &ApiState,
    input: DescribeDhcpOptionsInput,
) -> Result<DescribeDhcpOptionsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::DhcpOptions>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let (sets, next_token) = select_page(
        state,
        net::dhcp_options(&state.scope.region, &state.scope.account),
        |o| o.id,
        input.dhcp_options_ids.as_deref(),
        Rule::DhcpOptionsNotFound,
        &filters,
        (size, after),
    )?;
    let dhcp_options = sets
        .into_iter()
        .map(|(set, tags)| DhcpOptions {
            owner_id: Some(set.owner_id),
            tags: Some(crate::tags::from_pairs(tags)),
            dhcp_options_id: Some(set.id.to_owned()),
            dhcp_configurations: Some(
                set.configurations
                    .into_iter()
                    .map(|(key, values)| DhcpConfiguration {
                        key: Some(key.to_owned()),
                        values: Some(
                            values
                                .into_iter()
                                .map(|value| AttributeValue { value: Some(value) })
                                .collect(),
                        ),
                    })
                    .collect(),
            ),
        })
        .collect();
    Ok(DescribeDhcpOptionsOutput {
        dhcp_options: Some(dhcp_options),
        next_token,
    })
}
