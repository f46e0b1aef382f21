//! DescribeRegions, DescribeAvailabilityZones, DescribeVpcs and
//! DescribeSubnets: the fixed network of `ballast_core::ec2::network`.

use ballast_core::Arn;
use ballast_core::ec2::network::{self as net, Region as CoreRegion, Zone};
use ballast_core::ec2::{Error as Rule, filter, paging};
use ballast_core::network::{
    DEFAULT_DHCP_OPTIONS_ID, DEFAULT_SUBNET_FREE_ADDRESSES, DEFAULT_VPC_CIDR_ASSOCIATION_ID,
};
use ballast_core::paging::page;

use ballast_model::ec2::{
    AvailabilityZone, DescribeAvailabilityZonesInput, DescribeAvailabilityZonesOutput,
    DescribeRegionsInput, DescribeRegionsOutput, DescribeSubnetsInput, DescribeSubnetsOutput,
    DescribeVpcsInput, DescribeVpcsOutput, Region, Subnet, Vpc, VpcCidrBlockAssociation,
    VpcCidrBlockState,
};

use super::{Error, dry_run, filters};
use crate::ApiState;

/// The smallest `MaxResults` of DescribeVpcs and DescribeSubnets.
const MIN_PAGE: i64 = 5;

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

pub(super) fn describe_vpcs(
    state: &ApiState,
    input: DescribeVpcsInput,
) -> Result<DescribeVpcsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<net::Vpc>(input.filters)?;
    let (size, after) = paging(
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        MIN_PAGE,
    )?;
    let all = net::vpcs(&state.scope.account);
    if let Some(ids) = &input.vpc_ids
        && let Some(unknown) = ids
            .iter()
            .find(|id| !all.iter().any(|v| v.id == id.as_str()))
    {
        return Err(Rule::VpcNotFound(unknown.clone()).into());
    }
    let vpcs = state.store.read(|tx| -> Result<_, Error> {
        let mut out = Vec::new();
        for vpc in all {
            if input
                .vpc_ids
                .as_ref()
                .is_some_and(|ids| !ids.iter().any(|i| i == vpc.id))
            {
                continue;
            }
            let tags = tx.tags(vpc.id)?;
            if filter::matches(&vpc, &tags, &filters) {
                out.push((vpc, tags));
            }
        }
        Ok(out)
    })?;
    let (vpcs, next_token) = page(vpcs, |(v, _)| v.id, after.as_deref(), size);
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
    let (size, after) = paging(
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        MIN_PAGE,
    )?;
    let all = net::subnets(&state.scope.region, &state.scope.account);
    if let Some(ids) = &input.subnet_ids
        && let Some(unknown) = ids
            .iter()
            .find(|id| !all.iter().any(|s| s.id == id.as_str()))
    {
        return Err(Rule::SubnetNotFound(unknown.clone()).into());
    }
    let subnets = state.store.read(|tx| -> Result<_, Error> {
        let mut out = Vec::new();
        for subnet in all {
            if input
                .subnet_ids
                .as_ref()
                .is_some_and(|ids| !ids.iter().any(|i| i == subnet.id))
            {
                continue;
            }
            let tags = tx.tags(subnet.id)?;
            if filter::matches(&subnet, &tags, &filters) {
                out.push((subnet, tags));
            }
        }
        Ok(out)
    })?;
    let (subnets, next_token) = page(subnets, |(s, _)| s.id, after.as_deref(), size);
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
