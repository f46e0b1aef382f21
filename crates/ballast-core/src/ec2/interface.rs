//! Network interfaces. Ballast gives every instance one, its primary
//! interface, and creates no others, so an interface is a view of its
//! instance: `eni-` and the instance id's digits, attached as
//! `eni-attach-` and the same digits, listed on its own (as
//! DescribeNetworkInterfaces lists it) until the instance is terminated.

use std::net::Ipv4Addr;

use super::address::{Address, public_dns_name};
use super::filter::Filterable;
use super::instance::{Instance, InstanceState, private_dns_name};

/// The network interface id of an instance's one interface: `eni-` and
/// the instance id's digits, so either id finds the other.
pub fn interface_id(instance_id: &str) -> String {
    format!("eni-{}", instance_id.trim_start_matches("i-"))
}

/// The instance id behind an interface id of [`interface_id`]'s shape.
pub fn instance_of_interface(interface_id: &str) -> Option<String> {
    interface_id
        .strip_prefix("eni-")
        .map(|hex| format!("i-{hex}"))
}

/// The id of the attachment of an instance's interface.
pub fn attachment_id(instance_id: &str) -> String {
    format!("eni-attach-{}", instance_id.trim_start_matches("i-"))
}

/// Whether an instance still has its interface: EC2 deletes a primary
/// interface with its instance, and only then.
pub fn has_interface(instance: &Instance) -> bool {
    instance.state != InstanceState::Terminated
}

/// An instance's interface as DescribeNetworkInterfaces shows and filters
/// it, with the public address leading to it, if any.
#[derive(Debug, Clone, Copy)]
pub struct Interface<'a> {
    pub instance: &'a Instance,
    pub public: Option<&'a Address>,
    pub region: &'a str,
    pub owner_id: &'a str,
}

impl Interface<'_> {
    /// The interface's id.
    pub fn id(&self) -> String {
        interface_id(&self.instance.id)
    }

    /// `in-use` while attached, which a primary interface always is.
    pub fn status(&self) -> &'static str {
        "in-use"
    }

    /// Who owns the public address: the account for an Elastic IP,
    /// `amazon` for an instance's automatic one.
    pub fn public_ip_owner(&self) -> Option<&str> {
        self.public.map(|address| {
            if address.is_elastic() {
                self.owner_id
            } else {
                "amazon"
            }
        })
    }

    fn public_ip(&self) -> Option<Ipv4Addr> {
        self.public.map(|address| address.public_ip)
    }
}

impl Filterable for Interface<'_> {
    const FILTERS: &'static [&'static str] = &[
        "addresses.association.owner-id",
        "addresses.association.public-ip",
        "addresses.primary",
        "addresses.private-ip-address",
        "association.allocation-id",
        "association.association-id",
        "association.ip-owner-id",
        "association.public-dns-name",
        "association.public-ip",
        "attachment.attachment-id",
        "attachment.delete-on-termination",
        "attachment.device-index",
        "attachment.instance-id",
        "attachment.instance-owner-id",
        "attachment.status",
        "availability-zone",
        "description",
        "group-id",
        "group-name",
        "interface-type",
        "mac-address",
        "network-interface-id",
        "owner-id",
        "private-dns-name",
        "private-ip-address",
        "requester-managed",
        "source-dest-check",
        "status",
        "subnet-id",
        "vpc-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let instance = self.instance;
        let association = self.public.and_then(|a| a.association.as_ref());
        let one = |value: &str| vec![value.to_owned()];
        match name {
            "addresses.association.owner-id" | "association.ip-owner-id" => self
                .public_ip_owner()
                .map(str::to_owned)
                .into_iter()
                .collect(),
            "addresses.association.public-ip" | "association.public-ip" => {
                self.public_ip().iter().map(Ipv4Addr::to_string).collect()
            }
            "association.public-dns-name" => self
                .public_ip()
                .iter()
                .map(|ip| public_dns_name(*ip, self.region))
                .collect(),
            "association.allocation-id" => self
                .public
                .and_then(|a| a.allocation_id.clone())
                .into_iter()
                .collect(),
            "association.association-id" => {
                association.and_then(|a| a.id.clone()).into_iter().collect()
            }
            "addresses.primary" | "attachment.delete-on-termination" => one("true"),
            "requester-managed" => one("false"),
            "addresses.private-ip-address" | "private-ip-address" => {
                vec![instance.private_ip.to_string()]
            }
            "attachment.attachment-id" => vec![attachment_id(&instance.id)],
            "attachment.device-index" => one("0"),
            "attachment.instance-id" => one(&instance.id),
            "attachment.instance-owner-id" | "owner-id" => one(self.owner_id),
            "attachment.status" => one("attached"),
            "availability-zone" => one(&instance.zone),
            "description" => one(""),
            "group-id" => instance
                .security_groups
                .iter()
                .map(|g| g.id.clone())
                .collect(),
            "group-name" => instance
                .security_groups
                .iter()
                .map(|g| g.name.clone())
                .collect(),
            "interface-type" => one("interface"),
            "mac-address" => vec![instance.mac()],
            "network-interface-id" => vec![self.id()],
            "private-dns-name" => vec![private_dns_name(instance.private_ip, self.region)],
            "source-dest-check" => vec![instance.source_dest_check.to_string()],
            "status" => one(self.status()),
            "subnet-id" => one(&instance.subnet_id),
            "vpc-id" => one(&instance.vpc_id),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::address::Association;
    use crate::ec2::filter::{Filter, matches};
    use crate::ec2::instance::tests::instance;

    fn filter(name: &str, value: &str) -> Filter {
        Filter {
            name: name.into(),
            values: vec![value.into()],
        }
    }

    #[test]
    fn ids_name_each_other() {
        assert_eq!(interface_id("i-0abc"), "eni-0abc");
        assert_eq!(instance_of_interface("eni-0abc").as_deref(), Some("i-0abc"));
        assert_eq!(attachment_id("i-0abc"), "eni-attach-0abc");
        assert!(has_interface(&instance(InstanceState::Stopped)));
        assert!(!has_interface(&instance(InstanceState::Terminated)));
    }

    #[test]
    fn filters_see_the_instance_and_its_public_address() {
        let running = instance(InstanceState::Running);
        let elastic = Address {
            public_ip: Ipv4Addr::new(127, 252, 0, 9),
            allocation_id: Some("eipalloc-0123456789abcdef0".into()),
            created_millis: 0,
            association: Some(Association {
                id: Some("eipassoc-0123456789abcdef0".into()),
                instance_id: running.id.clone(),
                private_ip: running.private_ip,
            }),
        };
        let bare = Interface {
            instance: &running,
            public: None,
            region: "us-east-1",
            owner_id: "000000000000",
        };
        let public = Interface {
            public: Some(&elastic),
            ..bare
        };
        let by_instance = filter("attachment.instance-id", &running.id);
        assert!(matches(&bare, &[], std::slice::from_ref(&by_instance)));
        assert!(matches(
            &bare,
            &[],
            &[filter("mac-address", &running.mac())]
        ));
        assert!(!matches(
            &bare,
            &[],
            &[filter("association.public-ip", "*")]
        ));
        assert!(matches(
            &public,
            &[],
            &[by_instance, filter("association.public-ip", "127.252.0.9")]
        ));
        assert_eq!(public.public_ip_owner(), Some("000000000000"));
        assert!(matches(
            &public,
            &[],
            &[filter("association.association-id", "eipassoc-*")]
        ));
    }
}
