//! Elastic IPs: AllocateAddress, DescribeAddresses, AssociateAddress,
//! DisassociateAddress and ReleaseAddress.
//!
//! The rules are `ballast_core::ec2::address`; every change is one write
//! transaction, after which the fleet is told so that the host's NAT
//! follows the association at once.

use std::net::Ipv4Addr;

use ballast_core::ec2::address::{self, Address};
use ballast_core::ec2::interface;
use ballast_core::ec2::{Error as Rule, filter};
use ballast_model::ec2::{
    self as wire, AllocateAddressInput, AllocateAddressOutput, AssociateAddressInput,
    AssociateAddressOutput, DescribeAddressesInput, DescribeAddressesOutput,
    DisassociateAddressInput, DomainType, ReleaseAddressInput,
};
use ballast_store::Tx;

use super::{Error, creation_tags, dry_run, filters};
use crate::ApiState;

/// The `NetworkBorderGroup` of every address: the region.
fn border_group(state: &ApiState) -> String {
    state.scope.region.clone()
}

pub(super) fn allocate(
    state: &ApiState,
    input: AllocateAddressInput,
) -> Result<AllocateAddressOutput, Error> {
    address::check_domain(input.domain.as_ref().map(|d| d.as_str()))?;
    if let Some(group) = &input.network_border_group
        && group != &state.scope.region
    {
        return Err(Rule::InvalidParameterValue(format!(
            "Invalid value '{group}' for NetworkBorderGroup. Valid value is '{}'",
            state.scope.region
        ))
        .into());
    }
    let wanted = input
        .address
        .as_deref()
        .map(address::parse_public_ip)
        .transpose()?;
    let tags = creation_tags(input.tag_specifications, "elastic-ip")?;
    let block = state.public_addresses;
    let allocation_id = format!("eipalloc-{}", state.ids.hex(17));
    let now = state.now().millis();
    let public_ip = state.store.write(|tx| -> Result<Ipv4Addr, Error> {
        address::check_quota(tx.elastic_addresses()?.len())?;
        let public_ip = match wanted {
            Some(ip) => {
                if !block.contains(ip) {
                    return Err(Rule::AddressNotFound(ip.to_string()).into());
                }
                if tx.public_address(ip)?.is_some() {
                    return Err(Rule::AddressInUse(ip.to_string()).into());
                }
                ip
            }
            None => tx.free_public_ip(block)?.ok_or_else(|| {
                Rule::InsufficientAddressCapacity(format!(
                    "There are not enough free addresses in Ballast's public address block ({block})."
                ))
            })?,
        };
        dry_run(input.dry_run)?;
        tx.save_address(&Address {
            public_ip,
            allocation_id: Some(allocation_id.clone()),
            created_millis: now,
            association: None,
        })?;
        tx.put_tags(&allocation_id, &tags)?;
        Ok(public_ip)
    })?;
    Ok(AllocateAddressOutput {
        allocation_id: Some(allocation_id),
        public_ip: Some(public_ip.to_string()),
        public_ipv4_pool: Some("amazon".to_owned()),
        network_border_group: Some(border_group(state)),
        domain: Some(DomainType::Vpc),
        ..Default::default()
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeAddressesInput,
) -> Result<DescribeAddressesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<Address>(input.filters)?;
    let allocation_ids = input
        .allocation_ids
        .map(|ids| ids.into_inner())
        .unwrap_or_default();
    for id in &allocation_ids {
        address::check_allocation_id(id)?;
    }
    let public_ips = input
        .public_ips
        .map(|ips| ips.into_inner())
        .unwrap_or_default();
    let account = state.scope.account.clone();
    let region = state.scope.region.clone();
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let addresses = tx.elastic_addresses()?;
        if let Some(missing) = allocation_ids.iter().find(|id| {
            !addresses
                .iter()
                .any(|a| a.allocation_id.as_ref() == Some(id))
        }) {
            return Err(Rule::AllocationNotFound(missing.clone()).into());
        }
        if let Some(missing) = public_ips
            .iter()
            .find(|ip| !addresses.iter().any(|a| &a.public_ip.to_string() == *ip))
        {
            return Err(Rule::AddressNotFound(missing.clone()).into());
        }
        let mut out = Vec::new();
        for address in addresses {
            let allocation_id = address.allocation_id.clone().unwrap_or_default();
            if !allocation_ids.is_empty() && !allocation_ids.contains(&allocation_id) {
                continue;
            }
            if !public_ips.is_empty() && !public_ips.contains(&address.public_ip.to_string()) {
                continue;
            }
            // The filters the record cannot answer alone.
            let outside = filters.iter().any(|f| match f.name.as_str() {
                "network-border-group" => !f.values.contains(&region),
                "network-interface-owner-id" => {
                    address.association.is_none() || !f.values.contains(&account)
                }
                _ => false,
            });
            let tags = tx.tags(&allocation_id)?;
            let own: Vec<_> = filters
                .iter()
                .filter(|f| {
                    !matches!(
                        f.name.as_str(),
                        "network-border-group" | "network-interface-owner-id"
                    )
                })
                .cloned()
                .collect();
            if !outside && filter::matches(&address, &tags, &own) {
                out.push((address, tags));
            }
        }
        Ok(out)
    })?;
    Ok(DescribeAddressesOutput {
        addresses: Some(
            selected
                .into_iter()
                .map(|(address, tags)| view(state, address, tags))
                .collect(),
        ),
    })
}

fn view(state: &ApiState, address: Address, tags: Vec<(String, String)>) -> wire::Address {
    let association = address.association.as_ref();
    wire::Address {
        allocation_id: address.allocation_id.clone(),
        association_id: association.and_then(|a| a.id.clone()),
        domain: Some(DomainType::Vpc),
        instance_id: association.map(|a| a.instance_id.clone()),
        network_interface_id: association.map(|a| interface::interface_id(&a.instance_id)),
        network_interface_owner_id: association.map(|_| state.scope.account.clone()),
        private_ip_address: association.map(|a| a.private_ip.to_string()),
        public_ip: Some(address.public_ip.to_string()),
        public_ipv4_pool: Some("amazon".to_owned()),
        network_border_group: Some(border_group(state)),
        tags: Some(crate::tags::from_pairs(tags)),
        ..Default::default()
    }
}

/// The Elastic IP a request names by `AllocationId` or `PublicIp`.
fn named(
    tx: &Tx<'_>,
    allocation_id: Option<&str>,
    public_ip: Option<&str>,
) -> Result<Address, Error> {
    match (allocation_id, public_ip) {
        (Some(id), _) => {
            address::check_allocation_id(id)?;
            Ok(tx
                .elastic_address(id)?
                .ok_or_else(|| Rule::AllocationNotFound(id.to_owned()))?)
        }
        (None, Some(text)) => {
            let ip = address::parse_public_ip(text)?;
            Ok(tx
                .public_address(ip)?
                .filter(Address::is_elastic)
                .ok_or_else(|| Rule::AddressNotFound(text.to_owned()))?)
        }
        (None, None) => Err(Rule::MissingParameterDetail(
            "Either public IP or allocation id must be specified".to_owned(),
        )
        .into()),
    }
}

pub(super) fn associate(
    state: &ApiState,
    input: AssociateAddressInput,
) -> Result<AssociateAddressOutput, Error> {
    let instance_id = match (&input.instance_id, &input.network_interface_id) {
        (Some(_), Some(_)) => {
            return Err(Rule::InvalidParameterCombination(
                "Only one of instanceId or networkInterfaceId may be specified".to_owned(),
            )
            .into());
        }
        (Some(id), None) => {
            super::instances::check_instance_id(id)?;
            id.clone()
        }
        (None, Some(eni)) => interface::instance_of_interface(eni)
            .filter(|id| ballast_core::ec2::is_id(id, "i"))
            .ok_or_else(|| Rule::NetworkInterfaceIdMalformed(eni.clone()))?,
        (None, None) => {
            return Err(Rule::MissingParameterDetail(
                "Either instance ID or network interface id must be specified".to_owned(),
            )
            .into());
        }
    };
    let association_id = format!("eipassoc-{}", state.ids.hex(17));
    state.store.write(|tx| -> Result<_, Error> {
        let mut address = named(
            tx,
            input.allocation_id.as_deref(),
            input.public_ip.as_deref(),
        )?;
        let instance = match tx.instance(&instance_id)? {
            Some(instance) => instance,
            None => {
                return Err(match &input.network_interface_id {
                    Some(eni) => Rule::NetworkInterfaceNotFound(eni.clone()),
                    None => Rule::InstanceNotFound(vec![instance_id.clone()]),
                }
                .into());
            }
        };
        address::check_associable(&instance)?;
        let private_ip =
            address::target_private_ip(&instance, input.private_ip_address.as_deref())?;
        address::associate(
            &mut address,
            &instance.id,
            private_ip,
            association_id.clone(),
            input.allow_reassociation.unwrap_or(false),
        )?;
        dry_run(input.dry_run)?;
        // The instance's other public address goes: another Elastic IP is
        // disassociated (it stays allocated), an automatic one released.
        for mut other in tx.instance_public_addresses(&instance.id)? {
            if other.public_ip == address.public_ip {
                continue;
            }
            if other.is_elastic() {
                other.association = None;
                tx.save_address(&other)?;
            } else {
                tx.delete_address(&other)?;
            }
        }
        tx.save_address(&address)?;
        Ok(())
    })?;
    state.fleet.changed();
    Ok(AssociateAddressOutput {
        association_id: Some(association_id),
    })
}

pub(super) fn disassociate(state: &ApiState, input: DisassociateAddressInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let mut address = match (&input.association_id, &input.public_ip) {
            (Some(id), _) => {
                address::check_association_id(id)?;
                tx.elastic_addresses()?
                    .into_iter()
                    .find(|a| a.association.as_ref().and_then(|x| x.id.as_ref()) == Some(id))
                    .ok_or_else(|| Rule::AddressAssociationNotFound(id.clone()))?
            }
            (None, Some(ip)) => named(tx, None, Some(ip))?,
            (None, None) => {
                return Err(Rule::MissingParameterDetail(
                    "Either public IP or association id must be specified".to_owned(),
                )
                .into());
            }
        };
        dry_run(input.dry_run)?;
        address.association = None;
        tx.save_address(&address)?;
        Ok(())
    })?;
    state.fleet.changed();
    Ok(())
}

pub(super) fn release(state: &ApiState, input: ReleaseAddressInput) -> Result<(), Error> {
    if let Some(group) = &input.network_border_group
        && group != &state.scope.region
    {
        return Err(Rule::InvalidParameterValue(format!(
            "Invalid value '{group}' for NetworkBorderGroup. Valid value is '{}'",
            state.scope.region
        ))
        .into());
    }
    state.store.write(|tx| -> Result<_, Error> {
        let address = named(
            tx,
            input.allocation_id.as_deref(),
            input.public_ip.as_deref(),
        )?;
        address::check_releasable(&address)?;
        dry_run(input.dry_run)?;
        tx.delete_address(&address)?;
        Ok(())
    })?;
    Ok(())
}
