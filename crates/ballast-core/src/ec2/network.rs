//! The region, its zones, the default VPC and its subnets as EC2 describes
//! them, built from [`crate::network`]. They are fixed: Ballast has one
//! VPC, and nothing creates or deletes VPCs or subnets yet.

use super::filter::Filterable;
use crate::network::{self, DEFAULT_VPC_CIDR, DEFAULT_VPC_ID};

/// The region Ballast serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub endpoint: String,
}

impl Region {
    pub fn new(name: &str) -> Region {
        Region {
            name: name.to_owned(),
            endpoint: format!("ec2.{name}.amazonaws.com"),
        }
    }
}

impl Filterable for Region {
    const FILTERS: &'static [&'static str] = &["endpoint", "region-name", "opt-in-status"];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "endpoint" => vec![self.endpoint.clone()],
            "region-name" => vec![self.name.clone()],
            "opt-in-status" => vec!["opt-in-not-required".to_owned()],
            _ => Vec::new(),
        }
    }
}

/// One availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub id: String,
    pub region: String,
}

/// The region's zones, a, b and c.
pub fn zones(region: &str) -> Vec<Zone> {
    network::zones(region)
        .into_iter()
        .enumerate()
        .map(|(i, name)| Zone {
            name,
            id: network::zone_id(region, i),
            region: region.to_owned(),
        })
        .collect()
}

impl Filterable for Zone {
    const FILTERS: &'static [&'static str] = &[
        "group-name",
        "message",
        "opt-in-status",
        "region-name",
        "state",
        "zone-id",
        "zone-name",
        "zone-type",
        "network-border-group",
    ];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            "group-name" | "network-border-group" | "region-name" => self.region.as_str(),
            "opt-in-status" => "opt-in-not-required",
            "state" => "available",
            "zone-id" => &self.id,
            "zone-name" => &self.name,
            "zone-type" => "availability-zone",
            _ => return Vec::new(),
        };
        vec![value.to_owned()]
    }
}

/// The default VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: &'static str,
    pub cidr: &'static str,
    pub owner_id: String,
}

/// The VPCs of the region: the default one.
pub fn vpcs(owner_id: &str) -> Vec<Vpc> {
    vec![Vpc {
        id: DEFAULT_VPC_ID,
        cidr: DEFAULT_VPC_CIDR,
        owner_id: owner_id.to_owned(),
    }]
}

impl Filterable for Vpc {
    const FILTERS: &'static [&'static str] = &[
        "cidr",
        "cidr-block-association.cidr-block",
        "cidr-block-association.state",
        "dhcp-options-id",
        "is-default",
        // The legacy spelling EC2 still accepts, which Ansible's
        // ec2_instance uses to find the default VPC.
        "isDefault",
        "owner-id",
        "state",
        "vpc-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            "cidr" | "cidr-block-association.cidr-block" => self.cidr,
            "cidr-block-association.state" => "associated",
            "dhcp-options-id" => network::DEFAULT_DHCP_OPTIONS_ID,
            "is-default" | "isDefault" => "true",
            "owner-id" => &self.owner_id,
            "state" => "available",
            "vpc-id" => self.id,
            _ => return Vec::new(),
        };
        vec![value.to_owned()]
    }
}

/// A subnet of the default VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: &'static str,
    pub vpc_id: &'static str,
    pub zone: String,
    pub zone_id: String,
    pub cidr: &'static str,
    pub owner_id: String,
}

/// The region's subnets: the default one of each zone, by id.
pub fn subnets(region: &str, owner_id: &str) -> Vec<Subnet> {
    network::default_subnets(region)
        .into_iter()
        .map(|s| Subnet {
            id: s.id,
            vpc_id: DEFAULT_VPC_ID,
            zone: s.zone,
            zone_id: s.zone_id,
            cidr: s.cidr,
            owner_id: owner_id.to_owned(),
        })
        .collect()
}

impl Filterable for Subnet {
    const FILTERS: &'static [&'static str] = &[
        "availability-zone",
        "availability-zone-id",
        "availabilityZone",
        "available-ip-address-count",
        "cidr",
        "cidr-block",
        "cidrBlock",
        "default-for-az",
        "defaultForAz",
        "map-public-ip-on-launch",
        "owner-id",
        "state",
        "subnet-id",
        "vpc-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            "availability-zone" | "availabilityZone" => self.zone.clone(),
            "availability-zone-id" => self.zone_id.clone(),
            "available-ip-address-count" => network::DEFAULT_SUBNET_FREE_ADDRESSES.to_string(),
            "cidr" | "cidr-block" | "cidrBlock" => self.cidr.to_owned(),
            "default-for-az" | "defaultForAz" | "map-public-ip-on-launch" => "true".to_owned(),
            "owner-id" => self.owner_id.clone(),
            "state" => "available".to_owned(),
            "subnet-id" => self.id.to_owned(),
            "vpc-id" => self.vpc_id.to_owned(),
            _ => return Vec::new(),
        };
        vec![value]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::filter::{Filter, matches};

    #[test]
    fn default_subnets_filter_by_zone_and_default() {
        let subnets = subnets("us-east-1", "0");
        let filter = |name: &str, value: &str| Filter {
            name: name.into(),
            values: vec![value.into()],
        };
        let in_b: Vec<_> = subnets
            .iter()
            .filter(|s| matches(*s, &[], &[filter("availability-zone", "us-east-1b")]))
            .collect();
        assert_eq!(in_b.len(), 1);
        assert_eq!(in_b[0].cidr, "172.31.16.0/20");
        assert!(
            subnets
                .iter()
                .all(|s| matches(s, &[], &[filter("default-for-az", "true")]))
        );
        assert_eq!(zones("us-east-1")[0].id, "use1-az1");
    }
}
