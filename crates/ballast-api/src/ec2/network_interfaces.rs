//! DescribeNetworkInterfaces: each instance's primary interface, the view
//! of its instance `ballast_core::ec2::interface` gives, with the tags
//! kept under the interface's own id.

use ballast_core::ec2::interface::{self, Interface};
use ballast_core::ec2::{self, Address, Error as Rule, address, filter};
use ballast_core::paging::page;
use ballast_model::ec2::{
    DescribeNetworkInterfacesInput, DescribeNetworkInterfacesOutput, GroupIdentifier,
    NetworkInterface, NetworkInterfaceAssociation, NetworkInterfaceAttachment,
    NetworkInterfacePrivateIpAddress,
};
use ballast_wire::Timestamp;

use super::{Error, describe_page, dry_run, filters};
use crate::ApiState;

pub(super) fn describe(
    state: &ApiState,
    input: DescribeNetworkInterfacesInput,
) -> Result<DescribeNetworkInterfacesOutput, Error> {
    let ids = input.network_interface_ids.unwrap_or_default();
    if let Some(bad) = ids.iter().find(|id| !ec2::is_id(id, "eni")) {
        return Err(Rule::NetworkInterfaceIdMalformed(bad.clone()).into());
    }
    dry_run(input.dry_run)?;
    let filters = filters::<Interface<'_>>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let region = state.scope.region.as_str();
    let owner_id = state.scope.account.as_str();
    let (instances, addresses, tags) = state.store.read(|tx| -> Result<_, Error> {
        let instances: Vec<_> = tx
            .instances()?
            .into_iter()
            .filter(interface::has_interface)
            .collect();
        let tags = instances
            .iter()
            .map(|i| tx.tags(&interface::interface_id(&i.id)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((instances, tx.public_addresses()?, tags))
    })?;
    let mut found: Vec<Found<'_>> = instances
        .iter()
        .zip(tags)
        .map(|(instance, tags)| {
            let interface = Interface {
                instance,
                public: shown_address(&addresses, &instance.id),
                region,
                owner_id,
            };
            Found {
                id: interface.id(),
                interface,
                tags,
            }
        })
        .collect();
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|f| f.id == **id)) {
        return Err(Rule::NetworkInterfaceNotFound(missing.clone()).into());
    }
    found.retain(|f| {
        (ids.is_empty() || ids.contains(&f.id)) && filter::matches(&f.interface, &f.tags, &filters)
    });
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let (shown, next_token) = page(found, |f| &f.id, after.as_deref(), size);
    Ok(DescribeNetworkInterfacesOutput {
        network_interfaces: Some(
            shown
                .into_iter()
                .map(|f| view(f.interface, f.tags))
                .collect(),
        ),
        next_token,
    })
}

/// An interface a call may list, with its tags and its id (the paging
/// key).
struct Found<'a> {
    id: String,
    interface: Interface<'a>,
    tags: Vec<(String, String)>,
}

/// The public address an instance's interface shows: its Elastic IP if
/// one leads to it, else its automatic one (as DescribeInstances shows).
fn shown_address<'a>(addresses: &'a [Address], instance_id: &str) -> Option<&'a Address> {
    let leading = || {
        addresses
            .iter()
            .filter(move |a| a.instance_id() == Some(instance_id))
    };
    leading()
        .find(|a| a.is_elastic())
        .or_else(|| leading().next())
}

fn view(interface: Interface<'_>, tags: Vec<(String, String)>) -> NetworkInterface {
    let instance = interface.instance;
    let private_ip = instance.private_ip.to_string();
    let private_dns_name = instance.private_dns_name(interface.region);
    let association = interface.public.map(|public| NetworkInterfaceAssociation {
        allocation_id: public.allocation_id.clone(),
        association_id: public.association.as_ref().and_then(|a| a.id.clone()),
        ip_owner_id: interface.public_ip_owner().map(str::to_owned),
        public_dns_name: Some(address::public_dns_name(public.public_ip, interface.region)),
        public_ip: Some(public.public_ip.to_string()),
        ..Default::default()
    });
    NetworkInterface {
        association: association.clone(),
        attachment: Some(NetworkInterfaceAttachment {
            attach_time: Some(Timestamp::from_millis(instance.launch_millis)),
            attachment_id: Some(interface::attachment_id(&instance.id)),
            delete_on_termination: Some(true),
            device_index: Some(0),
            network_card_index: Some(0),
            instance_id: Some(instance.id.clone()),
            instance_owner_id: Some(interface.owner_id.to_owned()),
            status: Some("attached".into()),
            ..Default::default()
        }),
        availability_zone: Some(instance.zone.clone()),
        availability_zone_id: ballast_core::network::zone_id_of(interface.region, &instance.zone),
        description: Some(String::new()),
        groups: Some(
            instance
                .security_groups
                .iter()
                .map(|g| GroupIdentifier {
                    group_id: Some(g.id.clone()),
                    group_name: Some(g.name.clone()),
                })
                .collect(),
        ),
        interface_type: Some("interface".into()),
        ipv6_addresses: Some(Vec::new()),
        mac_address: Some(instance.mac()),
        network_interface_id: Some(interface.id()),
        owner_id: Some(interface.owner_id.to_owned()),
        private_dns_name: Some(private_dns_name.clone()),
        private_ip_address: Some(private_ip.clone()),
        private_ip_addresses: Some(vec![NetworkInterfacePrivateIpAddress {
            association,
            primary: Some(true),
            private_dns_name: Some(private_dns_name),
            private_ip_address: Some(private_ip),
        }]),
        requester_id: None,
        requester_managed: Some(false),
        source_dest_check: Some(instance.source_dest_check),
        status: Some(interface.status().into()),
        subnet_id: Some(instance.subnet_id.clone()),
        tag_set: Some(crate::tags::from_pairs(tags)),
        vpc_id: Some(instance.vpc_id.clone()),
        ..Default::default()
    }
}
