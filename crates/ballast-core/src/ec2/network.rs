//! The region, its zones, the default VPC and what a default VPC comes
//! with (subnets, internet gateway, main route table, network ACL, DHCP
//! options) as EC2 describes them, built from [`crate::network`]. They
//! are fixed: Ballast has one VPC, and nothing creates or deletes VPCs,
//! subnets, gateways or routes yet.

use super::filter::Filterable;
use crate::network::{
    self, DEFAULT_DHCP_OPTIONS_ID, DEFAULT_INTERNET_GATEWAY_ID,
    DEFAULT_NETWORK_ACL_ASSOCIATION_IDS, DEFAULT_NETWORK_ACL_ID,
    DEFAULT_ROUTE_TABLE_ASSOCIATION_ID, DEFAULT_ROUTE_TABLE_ID, DEFAULT_SUBNET_IDS,
    DEFAULT_VPC_CIDR, DEFAULT_VPC_ID,
};

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

/// The destination every default route leads to.
pub const ANYWHERE: &str = "0.0.0.0/0";

/// The default VPC's internet gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetGateway {
    pub id: &'static str,
    pub vpc_id: &'static str,
    pub owner_id: String,
}

/// The region's internet gateways: the default VPC's, attached to it.
pub fn internet_gateways(owner_id: &str) -> Vec<InternetGateway> {
    vec![InternetGateway {
        id: DEFAULT_INTERNET_GATEWAY_ID,
        vpc_id: DEFAULT_VPC_ID,
        owner_id: owner_id.to_owned(),
    }]
}

impl Filterable for InternetGateway {
    const FILTERS: &'static [&'static str] = &[
        "attachment.state",
        "attachment.vpc-id",
        "internet-gateway-id",
        "owner-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            // An attached internet gateway's attachment is `available`.
            "attachment.state" => "available",
            "attachment.vpc-id" => self.vpc_id,
            "internet-gateway-id" => self.id,
            "owner-id" => &self.owner_id,
            _ => return Vec::new(),
        };
        vec![value.to_owned()]
    }
}

/// One route of a route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub destination: &'static str,
    /// `local` for the VPC's own block, else the gateway's id.
    pub gateway_id: &'static str,
    /// `CreateRouteTable` for the route a table is born with,
    /// `CreateRoute` for one added later.
    pub origin: &'static str,
}

/// The default VPC's main route table: its own block stays local, the
/// rest of the world goes through the internet gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub id: &'static str,
    pub vpc_id: &'static str,
    pub main_association_id: &'static str,
    pub routes: Vec<Route>,
    pub owner_id: String,
}

/// The region's route tables: the default VPC's main one. The default
/// subnets use it without an association of their own, as in AWS.
pub fn route_tables(owner_id: &str) -> Vec<RouteTable> {
    vec![RouteTable {
        id: DEFAULT_ROUTE_TABLE_ID,
        vpc_id: DEFAULT_VPC_ID,
        main_association_id: DEFAULT_ROUTE_TABLE_ASSOCIATION_ID,
        routes: vec![
            Route {
                destination: DEFAULT_VPC_CIDR,
                gateway_id: "local",
                origin: "CreateRouteTable",
            },
            Route {
                destination: ANYWHERE,
                gateway_id: DEFAULT_INTERNET_GATEWAY_ID,
                origin: "CreateRoute",
            },
        ],
        owner_id: owner_id.to_owned(),
    }]
}

impl Filterable for RouteTable {
    const FILTERS: &'static [&'static str] = &[
        "association.gateway-id",
        "association.main",
        "association.route-table-association-id",
        "association.route-table-id",
        "association.subnet-id",
        "owner-id",
        "route-table-id",
        "route.destination-cidr-block",
        "route.destination-ipv6-cidr-block",
        "route.destination-prefix-list-id",
        "route.egress-only-internet-gateway-id",
        "route.gateway-id",
        "route.instance-id",
        "route.nat-gateway-id",
        "route.origin",
        "route.state",
        "route.transit-gateway-id",
        "route.vpc-peering-connection-id",
        "vpc-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let each = |field: fn(&Route) -> &'static str| {
            self.routes.iter().map(|r| field(r).to_owned()).collect()
        };
        let value = match name {
            "association.main" => "true",
            "association.route-table-association-id" => self.main_association_id,
            "association.route-table-id" | "route-table-id" => self.id,
            "owner-id" => &self.owner_id,
            "route.destination-cidr-block" => return each(|r| r.destination),
            "route.gateway-id" => return each(|r| r.gateway_id),
            "route.origin" => return each(|r| r.origin),
            "route.state" => "active",
            "vpc-id" => self.vpc_id,
            // The main association names no subnet or gateway, and no
            // route leads anywhere but the gateway or the VPC itself.
            _ => return Vec::new(),
        };
        vec![value.to_owned()]
    }
}

/// One rule of a network ACL: every protocol, from or to anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclEntry {
    pub rule_number: i32,
    pub egress: bool,
    pub allow: bool,
}

impl AclEntry {
    /// `allow` or `deny`.
    pub fn action(&self) -> &'static str {
        if self.allow { "allow" } else { "deny" }
    }
}

/// The number of the catch-all rule every network ACL ends with.
pub const ACL_LAST_RULE: i32 = 32767;

/// The default VPC's default network ACL, associated with every default
/// subnet: rule 100 allows all traffic each way, and the last rule denies
/// what nothing allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAcl {
    pub id: &'static str,
    pub vpc_id: &'static str,
    /// `(association id, subnet id)`, one per default subnet.
    pub associations: Vec<(&'static str, &'static str)>,
    pub entries: Vec<AclEntry>,
    pub owner_id: String,
}

/// The region's network ACLs: the default VPC's default one.
pub fn network_acls(owner_id: &str) -> Vec<NetworkAcl> {
    let entries = [true, false]
        .into_iter()
        .flat_map(|egress| {
            [(100, true), (ACL_LAST_RULE, false)].map(|(rule_number, allow)| AclEntry {
                rule_number,
                egress,
                allow,
            })
        })
        .collect();
    vec![NetworkAcl {
        id: DEFAULT_NETWORK_ACL_ID,
        vpc_id: DEFAULT_VPC_ID,
        associations: DEFAULT_NETWORK_ACL_ASSOCIATION_IDS
            .into_iter()
            .zip(DEFAULT_SUBNET_IDS)
            .collect(),
        entries,
        owner_id: owner_id.to_owned(),
    }]
}

impl Filterable for NetworkAcl {
    const FILTERS: &'static [&'static str] = &[
        "association.association-id",
        "association.network-acl-id",
        "association.subnet-id",
        "default",
        "entry.cidr",
        "entry.egress",
        "entry.icmp.code",
        "entry.icmp.type",
        "entry.ipv6-cidr",
        "entry.port-range.from",
        "entry.port-range.to",
        "entry.protocol",
        "entry.rule-action",
        "entry.rule-number",
        "network-acl-id",
        "owner-id",
        "vpc-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let entries = |field: fn(&AclEntry) -> String| self.entries.iter().map(field).collect();
        let value = match name {
            "association.association-id" => {
                return self
                    .associations
                    .iter()
                    .map(|(id, _)| (*id).to_owned())
                    .collect();
            }
            "association.subnet-id" => {
                return self
                    .associations
                    .iter()
                    .map(|(_, s)| (*s).to_owned())
                    .collect();
            }
            "association.network-acl-id" | "network-acl-id" => self.id,
            "default" => "true",
            "entry.cidr" => ANYWHERE,
            "entry.egress" => return entries(|e| e.egress.to_string()),
            "entry.protocol" => "-1",
            "entry.rule-action" => return entries(|e| e.action().to_owned()),
            "entry.rule-number" => return entries(|e| e.rule_number.to_string()),
            "owner-id" => &self.owner_id,
            "vpc-id" => self.vpc_id,
            // Every entry covers all protocols and ports over IPv4.
            _ => return Vec::new(),
        };
        vec![value.to_owned()]
    }
}

/// The default VPC's DHCP options: the region's internal domain and
/// Amazon's resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpOptions {
    pub id: &'static str,
    /// `(key, values)`, as DHCP options sets list their configuration.
    pub configurations: Vec<(&'static str, Vec<String>)>,
    pub owner_id: String,
}

/// The region's DHCP options sets: the default VPC's.
pub fn dhcp_options(region: &str, owner_id: &str) -> Vec<DhcpOptions> {
    let domain = if region == "us-east-1" {
        "ec2.internal".to_owned()
    } else {
        format!("{region}.compute.internal")
    };
    vec![DhcpOptions {
        id: DEFAULT_DHCP_OPTIONS_ID,
        configurations: vec![
            ("domain-name", vec![domain]),
            ("domain-name-servers", vec!["AmazonProvidedDNS".to_owned()]),
        ],
        owner_id: owner_id.to_owned(),
    }]
}

impl Filterable for DhcpOptions {
    const FILTERS: &'static [&'static str] = &["dhcp-options-id", "key", "owner-id", "value"];

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "dhcp-options-id" => vec![self.id.to_owned()],
            "key" => self
                .configurations
                .iter()
                .map(|(key, _)| (*key).to_owned())
                .collect(),
            "owner-id" => vec![self.owner_id.clone()],
            "value" => self
                .configurations
                .iter()
                .flat_map(|(_, values)| values.iter().cloned())
                .collect(),
            _ => Vec::new(),
        }
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

    #[test]
    fn the_default_vpc_routes_through_its_gateway() {
        let filter = |name: &str, value: &str| Filter {
            name: name.into(),
            values: vec![value.into()],
        };
        let [gateway] = internet_gateways("0").try_into().expect("one gateway");
        assert!(matches(
            &gateway,
            &[],
            &[filter("attachment.vpc-id", DEFAULT_VPC_ID)]
        ));
        let [table] = route_tables("0").try_into().expect("one table");
        assert!(matches(
            &table,
            &[],
            &[
                filter("route.gateway-id", gateway.id),
                filter("route.destination-cidr-block", ANYWHERE),
                filter("association.main", "true"),
            ]
        ));
        assert!(!matches(
            &table,
            &[],
            &[filter("association.subnet-id", "*")]
        ));
        let [acl] = network_acls("0").try_into().expect("one ACL");
        assert_eq!(acl.entries.len(), 4);
        assert!(matches(
            &acl,
            &[],
            &[filter("association.subnet-id", DEFAULT_SUBNET_IDS[2])]
        ));
        assert!(matches(&acl, &[], &[filter("entry.rule-number", "32767")]));
        let [options] = dhcp_options("eu-west-1", "0").try_into().expect("one set");
        assert!(matches(
            &options,
            &[],
            &[filter("value", "eu-west-1.compute.internal")]
        ));
        assert!(matches(
            &options,
            &[],
            &[filter("key", "domain-name-servers")]
        ));
    }
}
