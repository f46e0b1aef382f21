//! Load balancer handlers.

use std::collections::HashMap;

use ballast_core::elbv2::attributes::LOAD_BALANCER;
use ballast_core::elbv2::load_balancer::CANONICAL_HOSTED_ZONE_ID;
use ballast_core::elbv2::{self, Error as Rule, LoadBalancerSpec};
use ballast_core::paging::page;
use ballast_core::{Arn, network};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use ballast_model::elbv2::*;

use super::{Error, attribute_changes, check_arn, creation_tags, paging};
use crate::ApiState;

/// Digits in the numeric part of a DNS name (`web-1234567890.…`).
const DNS_ID_DIGITS: u32 = 10;

/// Loads a load balancer or fails with `LoadBalancerNotFound`.
pub(super) fn load(tx: &Tx<'_>, arn: &str) -> Result<elbv2::LoadBalancer, Error> {
    check_arn(arn, "loadbalancer", "load balancer")?;
    tx.load_balancer(arn)?
        .ok_or_else(|| Rule::LoadBalancerNotFound.into())
}

/// The load balancer's state as the API shows it: Ballast's load balancers
/// are ready as soon as they are stored, so only the create response says
/// `provisioning`.
fn view(lb: &elbv2::LoadBalancer, state: &str) -> LoadBalancer {
    LoadBalancer {
        load_balancer_arn: Some(lb.arn.clone()),
        dns_name: Some(lb.dns_name.clone()),
        canonical_hosted_zone_id: Some(CANONICAL_HOSTED_ZONE_ID.to_owned()),
        created_time: Some(Timestamp::from_millis(lb.created_millis)),
        load_balancer_name: Some(lb.name.clone()),
        scheme: Some(LoadBalancerSchemeEnum::from(lb.scheme.as_str())),
        vpc_id: Some(lb.vpc_id.clone()),
        state: Some(LoadBalancerState {
            code: Some(LoadBalancerStateEnum::from(state)),
            reason: None,
        }),
        r#type: Some(LoadBalancerTypeEnum::Application),
        availability_zones: Some(
            lb.zones
                .iter()
                .map(|z| AvailabilityZone {
                    zone_name: Some(z.zone_name.clone()),
                    subnet_id: Some(z.subnet_id.clone()),
                    load_balancer_addresses: Some(Vec::new()),
                    ..AvailabilityZone::default()
                })
                .collect(),
        ),
        security_groups: Some(lb.security_groups.clone()),
        ip_address_type: Some(IpAddressType::from(lb.ip_address_type.as_str())),
        ..LoadBalancer::default()
    }
}

fn attributes_view(lb: &elbv2::LoadBalancer) -> Vec<LoadBalancerAttribute> {
    lb.attributes
        .iter()
        .map(|(k, v)| LoadBalancerAttribute {
            key: Some(k.to_owned()),
            value: Some(v.to_owned()),
        })
        .collect()
}

/// The subnets a request names, from `Subnets` or `SubnetMappings`.
fn requested_subnets(
    subnets: &Option<Vec<String>>,
    subnet_mappings: &Option<Vec<SubnetMapping>>,
) -> Result<Vec<String>, Rule> {
    match (subnets, subnet_mappings) {
        (Some(_), Some(_)) => Err(Rule::Validation(
            "You can specify subnets or subnet mappings, but not both".to_owned(),
        )),
        (Some(subnets), None) => Ok(subnets.clone()),
        (None, Some(mappings)) => mappings
            .iter()
            .map(|m| {
                if m.allocation_id.is_some() || m.private_ipv4_address.is_some() || m.ipv6_address.is_some() {
                    return Err(Rule::InvalidConfigurationRequest(
                        "Application load balancers do not support Elastic IP addresses or fixed private addresses in subnet mappings".to_owned(),
                    ));
                }
                m.subnet_id
                    .clone()
                    .ok_or_else(|| Rule::Validation("Each subnet mapping must specify a SubnetId".to_owned()))
            })
            .collect(),
        (None, None) => Ok(Vec::new()),
    }
}

/// The zone each of `subnets` is in, for those that exist.
fn placement(region: &str, subnets: &[String]) -> HashMap<String, String> {
    subnets
        .iter()
        .cloned()
        .zip(network::place_subnets(region, subnets))
        .filter_map(|(subnet, zone)| zone.map(|z| (subnet, z)))
        .collect()
}

pub(super) fn set_subnets(
    state: &ApiState,
    input: SetSubnetsInput,
) -> Result<SetSubnetsOutput, Error> {
    let subnets = requested_subnets(&input.subnets, &input.subnet_mappings)?;
    let lb = change(state, &input.load_balancer_arn, |lb| {
        // A subnet keeps its zone: only subnets new to the load balancer
        // are placed, in zones the others leave free.
        let kept: Vec<(String, String)> = lb
            .zones
            .iter()
            .map(|z| (z.subnet_id.clone(), z.zone_name.clone()))
            .collect();
        let placed: HashMap<String, String> = subnets
            .iter()
            .cloned()
            .zip(network::replace_subnets(
                &state.scope.region,
                &subnets,
                &kept,
            ))
            .filter_map(|(subnet, zone)| zone.map(|z| (subnet, z)))
            .collect();
        lb.set_subnets(&subnets, |subnet| placed.get(subnet).cloned())?;
        if let Some(kind) = &input.ip_address_type {
            lb.set_ip_address_type(kind.as_str())?;
        }
        Ok(())
    })?;
    let shown = view(&lb, "active");
    Ok(SetSubnetsOutput {
        availability_zones: shown.availability_zones,
        ip_address_type: shown.ip_address_type,
        enable_prefix_for_ipv6_source_nat: None,
    })
}

pub(super) fn set_security_groups(
    state: &ApiState,
    input: SetSecurityGroupsInput,
) -> Result<SetSecurityGroupsOutput, Error> {
    let lb = change(state, &input.load_balancer_arn, |lb| {
        Ok(lb.set_security_groups(&input.security_groups)?)
    })?;
    Ok(SetSecurityGroupsOutput {
        security_group_ids: Some(lb.security_groups),
        enforce_security_group_inbound_rules_on_private_link_traffic: None,
    })
}

pub(super) fn set_ip_address_type(
    state: &ApiState,
    input: SetIpAddressTypeInput,
) -> Result<SetIpAddressTypeOutput, Error> {
    let lb = change(state, &input.load_balancer_arn, |lb| {
        Ok(lb.set_ip_address_type(input.ip_address_type.as_str())?)
    })?;
    Ok(SetIpAddressTypeOutput {
        ip_address_type: Some(IpAddressType::from(lb.ip_address_type.as_str())),
    })
}

/// Applies `edit` to the load balancer `arn` in one write, all or nothing,
/// and tells the data plane.
fn change(
    state: &ApiState,
    arn: &str,
    edit: impl FnOnce(&mut elbv2::LoadBalancer) -> Result<(), Error>,
) -> Result<elbv2::LoadBalancer, Error> {
    let lb = state.store.write(|tx| -> Result<_, Error> {
        let mut lb = load(tx, arn)?;
        edit(&mut lb)?;
        tx.save_load_balancer(&lb)?;
        Ok(lb)
    })?;
    state.data_plane.changed();
    Ok(lb)
}

pub(super) fn create(
    state: &ApiState,
    input: CreateLoadBalancerInput,
) -> Result<CreateLoadBalancerOutput, Error> {
    let region = state.scope.region.clone();
    let subnets = requested_subnets(&input.subnets, &input.subnet_mappings)?;
    if input.customer_owned_ipv4_pool.is_some() {
        return Err(Rule::InvalidConfigurationRequest(
            "Customer-owned IPv4 pools (Outposts) are not supported by Ballast".to_owned(),
        )
        .into());
    }
    let placed = placement(&region, &subnets);
    let zone_of = |subnet: &str| placed.get(subnet).cloned();
    let spec = LoadBalancerSpec {
        name: input.name,
        subnets,
        security_groups: input.security_groups.unwrap_or_default(),
        scheme: input.scheme.map(|s| s.as_str().to_owned()),
        lb_type: input.r#type.map(|t| t.as_str().to_owned()),
        ip_address_type: input.ip_address_type.map(|t| t.as_str().to_owned()),
    };
    let tags = creation_tags(input.tags)?;
    let arn = Arn::new(
        "elasticloadbalancing",
        &region,
        &state.scope.account,
        format!("loadbalancer/app/{}/{}", spec.name, state.ids.hex(16)),
    )
    .to_string();
    let dns_id = state.ids.number(DNS_ID_DIGITS);
    let now = state.now().millis();
    let (lb, created) = state.store.write(|tx| -> Result<_, Error> {
        if let Some(existing) = tx.load_balancer_by_name(&spec.name)? {
            return if existing.matches(&spec, &region, zone_of) {
                Ok((existing, false))
            } else {
                Err(Rule::DuplicateLoadBalancerName(spec.name.clone()).into())
            };
        }
        let taken = tx.load_balancers()?.iter().map(|lb| lb.address).collect();
        let address = state.lb_addresses.first_free(&taken).ok_or_else(|| {
            Rule::InvalidConfigurationRequest(
                "Ballast has no free load balancer address left".to_owned(),
            )
        })?;
        let lb = elbv2::LoadBalancer::create(arn, &spec, &region, address, dns_id, zone_of, now)?;
        tx.save_load_balancer(&lb)?;
        tx.put_tags(&lb.arn, &tags)?;
        Ok((lb, true))
    })?;
    if created {
        state.data_plane.changed();
    }
    Ok(CreateLoadBalancerOutput {
        load_balancers: Some(vec![view(
            &lb,
            if created { "provisioning" } else { "active" },
        )]),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeLoadBalancersInput,
) -> Result<DescribeLoadBalancersOutput, Error> {
    let (size, after) = paging(input.page_size, input.marker.as_deref())?;
    if input.load_balancer_arns.is_some() && input.names.is_some() {
        return Err(Rule::Validation(
            "You can specify load balancer ARNs or names, but not both".to_owned(),
        )
        .into());
    }
    let mut lbs = state.store.read(|tx| -> Result<_, Error> {
        if let Some(arns) = &input.load_balancer_arns {
            return arns.iter().map(|arn| load(tx, arn)).collect();
        }
        if let Some(names) = &input.names {
            return names
                .iter()
                .map(|name| {
                    tx.load_balancer_by_name(name)?
                        .ok_or_else(|| Rule::LoadBalancerNotFound.into())
                })
                .collect();
        }
        Ok(tx.load_balancers()?)
    })?;
    lbs.sort_by(|a, b| a.name.cmp(&b.name));
    lbs.dedup_by(|a, b| a.arn == b.arn);
    let (lbs, next_marker) = page(lbs, |lb| lb.name.as_str(), after.as_deref(), size);
    Ok(DescribeLoadBalancersOutput {
        load_balancers: Some(lbs.iter().map(|lb| view(lb, "active")).collect()),
        next_marker,
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteLoadBalancerInput,
) -> Result<DeleteLoadBalancerOutput, Error> {
    let arn = &input.load_balancer_arn;
    check_arn(arn, "loadbalancer", "load balancer")?;
    // Deleting a load balancer that does not exist succeeds, as on AWS.
    let deleted = state.store.write(|tx| -> Result<_, Error> {
        let Some(lb) = tx.load_balancer(arn)? else {
            return Ok(false);
        };
        if lb.attributes.get("deletion_protection.enabled") == Some("true") {
            return Err(Rule::OperationNotPermitted(format!(
                "Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
            ))
            .into());
        }
        for listener in tx.listeners_of(arn)? {
            for rule in tx.rules_of(&listener.arn)? {
                tx.clear_tags(&rule.arn)?;
            }
            tx.clear_tags(&listener.default_rule_arn)?;
            tx.clear_tags(&listener.arn)?;
        }
        tx.clear_tags(arn)?;
        // Listeners and their rules go with it (ON DELETE CASCADE).
        tx.delete_load_balancer(arn)?;
        Ok(true)
    })?;
    if deleted {
        state.data_plane.changed();
    }
    Ok(DeleteLoadBalancerOutput {})
}

pub(super) fn describe_attributes(
    state: &ApiState,
    input: DescribeLoadBalancerAttributesInput,
) -> Result<DescribeLoadBalancerAttributesOutput, Error> {
    let lb = state.store.read(|tx| load(tx, &input.load_balancer_arn))?;
    Ok(DescribeLoadBalancerAttributesOutput {
        attributes: Some(attributes_view(&lb)),
    })
}

pub(super) fn modify_attributes(
    state: &ApiState,
    input: ModifyLoadBalancerAttributesInput,
) -> Result<ModifyLoadBalancerAttributesOutput, Error> {
    let changes = attribute_changes(input.attributes.iter().map(|a| (&a.key, &a.value)))?;
    let lb = change(state, &input.load_balancer_arn, |lb| {
        lb.attributes = lb.attributes.modify_in(LOAD_BALANCER, changes)?;
        Ok(())
    })?;
    Ok(ModifyLoadBalancerAttributesOutput {
        attributes: Some(attributes_view(&lb)),
    })
}
