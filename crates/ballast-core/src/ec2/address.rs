//! Public IPv4 addresses: Elastic IPs and the addresses instances in a
//! default subnet are given automatically.
//!
//! Both kinds come from one block Ballast manages (`--public-cidr`, a
//! loopback block so nothing leaves the machine) and are one record: an
//! Elastic IP has an allocation id (`eipalloc-…`) and lives until
//! released; an automatic address has none and lives only while its
//! instance is up and has no Elastic IP, as in AWS's default VPC. Where an
//! address leads is its association; the fleet turns associations into
//! one-to-one NAT on the host.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::filter::Filterable;
use super::instance::{Instance, InstanceState};
use super::interface::interface_id;
use super::{Error, is_id};

/// How many Elastic IPs an account may hold in a region (AWS's default
/// quota, "EC2-VPC Elastic IPs").
pub const MAX_ELASTIC_IPS: usize = 5;

/// A public address as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub public_ip: Ipv4Addr,
    /// `eipalloc-…` for an Elastic IP; `None` for an instance's automatic
    /// public address.
    pub allocation_id: Option<String>,
    pub created_millis: i64,
    pub association: Option<Association>,
}

/// Where an address leads: an instance's (primary) private address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    /// `eipassoc-…` for an Elastic IP's association; `None` for an
    /// automatic address, which AWS gives no association id.
    pub id: Option<String>,
    pub instance_id: String,
    pub private_ip: Ipv4Addr,
}

impl Address {
    /// Whether this is an Elastic IP (DescribeAddresses shows only these).
    pub fn is_elastic(&self) -> bool {
        self.allocation_id.is_some()
    }

    /// The instance the address leads to, if any.
    pub fn instance_id(&self) -> Option<&str> {
        self.association.as_ref().map(|a| a.instance_id.as_str())
    }
}

/// The public DNS name AWS gives a public address in `region`
/// (`ec2-203-0-113-25.compute-1.amazonaws.com` in us-east-1,
/// `ec2-….eu-west-1.compute.amazonaws.com` elsewhere).
pub fn public_dns_name(address: Ipv4Addr, region: &str) -> String {
    let [a, b, c, d] = address.octets();
    if region == "us-east-1" {
        format!("ec2-{a}-{b}-{c}-{d}.compute-1.amazonaws.com")
    } else {
        format!("ec2-{a}-{b}-{c}-{d}.{region}.compute.amazonaws.com")
    }
}

/// Checks an `eipalloc-` id's shape.
pub fn check_allocation_id(id: &str) -> Result<(), Error> {
    if is_id(id, "eipalloc") {
        Ok(())
    } else {
        Err(Error::AllocationIdMalformed(id.to_owned()))
    }
}

/// Checks an `eipassoc-` id's shape.
pub fn check_association_id(id: &str) -> Result<(), Error> {
    if is_id(id, "eipassoc") {
        Ok(())
    } else {
        Err(Error::AddressAssociationIdMalformed(id.to_owned()))
    }
}

/// Parses a `PublicIp` parameter.
pub fn parse_public_ip(text: &str) -> Result<Ipv4Addr, Error> {
    text.parse()
        .map_err(|_| Error::InvalidParameterValue(format!("Invalid value '{text}' for PublicIp")))
}

/// AllocateAddress's `Domain`: only `vpc` exists since EC2-Classic retired.
pub fn check_domain(domain: Option<&str>) -> Result<(), Error> {
    match domain {
        None | Some("vpc") => Ok(()),
        Some(other) => Err(Error::InvalidParameterValue(format!(
            "Invalid value '{other}' for domain. Ballast, like AWS since EC2-Classic retired, has only 'vpc' addresses."
        ))),
    }
}

/// Checks that one more Elastic IP fits the quota.
pub fn check_quota(held: usize) -> Result<(), Error> {
    if held >= MAX_ELASTIC_IPS {
        Err(Error::AddressLimitExceeded)
    } else {
        Ok(())
    }
}

/// Whether an Elastic IP can be associated with an instance in this state:
/// AWS refuses pending and terminating or terminated instances.
pub fn check_associable(instance: &Instance) -> Result<(), Error> {
    match instance.state {
        InstanceState::Running | InstanceState::Stopping | InstanceState::Stopped => Ok(()),
        _ => Err(Error::IncorrectInstanceState(format!(
            "The instance '{}' is not in a valid state for this operation.",
            instance.id
        ))),
    }
}

/// The private address an association targets: the instance's own (the
/// only one it has); another is refused as AWS refuses an address the
/// interface does not hold.
pub fn target_private_ip(instance: &Instance, asked: Option<&str>) -> Result<Ipv4Addr, Error> {
    match asked {
        None => Ok(instance.private_ip),
        Some(text) => match text.parse::<Ipv4Addr>() {
            Ok(ip) if ip == instance.private_ip => Ok(ip),
            _ => Err(Error::InvalidParameterValue(format!(
                "The specified private IP address '{text}' is not assigned to network interface '{}'",
                interface_id(&instance.id)
            ))),
        },
    }
}

/// Associates an Elastic IP with an instance's private address, under
/// `AllowReassociation`: an address already associated elsewhere (or
/// here) is `Resource.AlreadyAssociated` unless reassociation is allowed.
pub fn associate(
    address: &mut Address,
    instance_id: &str,
    private_ip: Ipv4Addr,
    association_id: String,
    allow_reassociation: bool,
) -> Result<(), Error> {
    let allocation_id = address.allocation_id.clone().unwrap_or_default();
    if let Some(existing) = &address.association
        && !allow_reassociation
    {
        return Err(Error::AddressAlreadyAssociated(
            allocation_id,
            existing.id.clone().unwrap_or_default(),
        ));
    }
    address.association = Some(Association {
        id: Some(association_id),
        instance_id: instance_id.to_owned(),
        private_ip,
    });
    Ok(())
}

/// Checks that an Elastic IP can be released: not while associated.
pub fn check_releasable(address: &Address) -> Result<(), Error> {
    if address.association.is_some() {
        Err(Error::AddressInUse(address.public_ip.to_string()))
    } else {
        Ok(())
    }
}

/// Whether an instance should hold an automatic public address: it is up
/// (`pending` or `running`; AWS releases it on stop) and no Elastic IP
/// leads to it.
pub fn wants_automatic(instance: &Instance, has_elastic: bool) -> bool {
    instance.state.is_up() && !has_elastic
}

/// An instance with the public address it shows, for DescribeInstances'
/// filters: the instance's own and those that need its public address or
/// the region (`ip-address`, `dns-name`, `private-dns-name`).
#[derive(Debug, Clone, Copy)]
pub struct Described<'a> {
    pub instance: &'a Instance,
    pub public_ip: Option<Ipv4Addr>,
    pub region: &'a str,
}

impl Filterable for Described<'_> {
    const FILTERS: &'static [&'static str] = &[
        "availability-zone",
        "iam-instance-profile.arn",
        "image-id",
        "instance-id",
        "instance-state-code",
        "instance-state-name",
        "instance-type",
        "key-name",
        "launch-time",
        "network-interface.addresses.private-ip-address",
        "placement.availability-zone",
        "private-dns-name",
        "private-ip-address",
        "reservation-id",
        "subnet-id",
        "vpc-id",
        "instance.group-id",
        "instance.group-name",
        "ip-address",
        "dns-name",
        "network-interface.association.public-ip",
        "network-interface.addresses.association.public-ip",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "ip-address"
            | "network-interface.association.public-ip"
            | "network-interface.addresses.association.public-ip" => {
                self.public_ip.iter().map(Ipv4Addr::to_string).collect()
            }
            "dns-name" => self
                .public_ip
                .iter()
                .map(|ip| public_dns_name(*ip, self.region))
                .collect(),
            "private-dns-name" => vec![self.instance.private_dns_name(self.region)],
            _ => self.instance.filter_values(name),
        }
    }
}

impl Filterable for Address {
    const FILTERS: &'static [&'static str] = &[
        "allocation-id",
        "association-id",
        "domain",
        "instance-id",
        "network-border-group",
        "network-interface-id",
        "network-interface-owner-id",
        "private-ip-address",
        "public-ip",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let association = self.association.as_ref();
        let value = match name {
            "allocation-id" => self.allocation_id.clone(),
            "association-id" => association.and_then(|a| a.id.clone()),
            "domain" => Some("vpc".to_owned()),
            "instance-id" => association.map(|a| a.instance_id.clone()),
            "network-interface-id" => association.map(|a| interface_id(&a.instance_id)),
            "private-ip-address" => association.map(|a| a.private_ip.to_string()),
            "public-ip" => Some(self.public_ip.to_string()),
            // The region and the account are answered by the caller, which
            // knows them; here they match nothing more specific.
            _ => None,
        };
        value.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eip() -> Address {
        Address {
            public_ip: Ipv4Addr::new(127, 252, 0, 1),
            allocation_id: Some("eipalloc-0123456789abcdef0".into()),
            created_millis: 0,
            association: None,
        }
    }

    #[test]
    fn an_associated_address_moves_only_when_reassociation_is_allowed() {
        let mut address = eip();
        let a = Ipv4Addr::new(172, 31, 0, 4);
        associate(&mut address, "i-a", a, "eipassoc-00000001".into(), false).expect("free");
        let err = associate(&mut address, "i-b", a, "eipassoc-00000002".into(), false)
            .expect_err("taken");
        assert_eq!(err.code(), "Resource.AlreadyAssociated");
        assert_eq!(
            err.to_string(),
            "resource eipalloc-0123456789abcdef0 is already associated with associate-id eipassoc-00000001"
        );
        associate(&mut address, "i-b", a, "eipassoc-00000002".into(), true).expect("moves");
        assert_eq!(address.instance_id(), Some("i-b"));
        assert_eq!(
            check_releasable(&address).expect_err("in use").code(),
            "InvalidIPAddress.InUse"
        );
    }

    #[test]
    fn described_instances_match_launch_time_and_addresses() {
        use crate::ec2::filter::{Filter, matches};
        use crate::ec2::instance::{InstanceState, tests::instance};

        let mut launched = instance(InstanceState::Running);
        launched.launch_millis = 1_714_564_800_123;
        let described = Described {
            instance: &launched,
            public_ip: Some(Ipv4Addr::new(127, 252, 0, 9)),
            region: "us-east-1",
        };
        let one = |name: &str, value: &str| {
            let filter = Filter {
                name: name.into(),
                values: vec![value.into()],
            };
            matches(&described, &[], &[filter])
        };
        assert!(one("launch-time", "2024-05-01T12:00:00.123Z"));
        assert!(one("launch-time", "2024-05-01T*"));
        assert!(!one("launch-time", "2024-05-02T*"));
        assert!(one("ip-address", "127.252.0.9"));
        assert!(one("private-dns-name", "ip-127-101-0-1.ec2.internal"));
        assert!(one("instance-state-name", "running"));
    }

    #[test]
    fn names_and_ids_have_aws_shapes() {
        let ip = Ipv4Addr::new(127, 252, 3, 7);
        assert_eq!(
            public_dns_name(ip, "us-east-1"),
            "ec2-127-252-3-7.compute-1.amazonaws.com"
        );
        assert_eq!(
            public_dns_name(ip, "eu-west-1"),
            "ec2-127-252-3-7.eu-west-1.compute.amazonaws.com"
        );
        assert!(check_allocation_id("eipalloc-0123456789abcdef0").is_ok());
        assert_eq!(
            check_allocation_id("eip-1").expect_err("bad").code(),
            "InvalidAllocationID.Malformed"
        );
        assert_eq!(
            check_quota(MAX_ELASTIC_IPS).expect_err("full").code(),
            "AddressLimitExceeded"
        );
    }
}
