//! The local network every resource lives in: EC2 describes it, ELBv2
//! places load balancers in it.
//!
//! Ballast has one default VPC per region, with one default subnet in each
//! of the region's three zones (`{region}a`, `{region}b`, `{region}c`) and
//! a default security group. The ids look like AWS's (a prefix and 17 hex
//! digits) so clients that check their shape accept them; the last digit of
//! a default subnet id names its zone.
//!
//! Subnets are not looked up anywhere yet: a default subnet id is in its own
//! zone, and any other well-formed `subnet-…` id is placed by its position
//! in the request (first → zone a, second → b, third → c). See
//! `docs/behaviour.md`.

/// The default VPC.
pub const DEFAULT_VPC_ID: &str = "vpc-0ba11a57000000000";

/// The default VPC's default security group.
pub const DEFAULT_SECURITY_GROUP_ID: &str = "sg-0ba11a57000000000";

/// The default subnet of zones a, b and c, in that order.
pub const DEFAULT_SUBNET_IDS: [&str; 3] = [
    "subnet-0ba11a5700000000a",
    "subnet-0ba11a5700000000b",
    "subnet-0ba11a5700000000c",
];

/// The default VPC's IPv4 block.
pub const DEFAULT_VPC_CIDR: &str = "172.31.0.0/16";

/// Whether `address` is inside the default VPC's block (172.31.0.0/16),
/// where sandboxed instances live.
pub fn in_default_vpc(address: std::net::Ipv4Addr) -> bool {
    let [a, b, ..] = address.octets();
    (a, b) == (172, 31)
}

/// The default VPC's DHCP options set.
pub const DEFAULT_DHCP_OPTIONS_ID: &str = "dopt-0ba11a57000000000";

/// The association id of the default VPC's IPv4 block.
pub const DEFAULT_VPC_CIDR_ASSOCIATION_ID: &str = "vpc-cidr-assoc-0ba11a57000000000";

/// The default VPC's internet gateway, attached to it as in every
/// default VPC.
pub const DEFAULT_INTERNET_GATEWAY_ID: &str = "igw-0ba11a57000000000";

/// The default VPC's main route table, which every default subnet uses.
pub const DEFAULT_ROUTE_TABLE_ID: &str = "rtb-0ba11a57000000000";

/// The main association of [`DEFAULT_ROUTE_TABLE_ID`].
pub const DEFAULT_ROUTE_TABLE_ASSOCIATION_ID: &str = "rtbassoc-0ba11a57000000000";

/// The default VPC's default network ACL, which allows everything.
pub const DEFAULT_NETWORK_ACL_ID: &str = "acl-0ba11a57000000000";

/// The associations of the default network ACL with the default subnets
/// of zones a, b and c, in that order.
pub const DEFAULT_NETWORK_ACL_ASSOCIATION_IDS: [&str; 3] = [
    "aclassoc-0ba11a5700000000a",
    "aclassoc-0ba11a5700000000b",
    "aclassoc-0ba11a5700000000c",
];

/// The default subnets' blocks, zones a, b and c in order: consecutive /20s
/// of the default VPC, as AWS lays them out.
pub const DEFAULT_SUBNET_CIDRS: [&str; 3] = ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"];

/// Free addresses in a /20: 4096 less the five AWS reserves in every subnet.
pub const DEFAULT_SUBNET_FREE_ADDRESSES: i32 = 4091;

/// A default subnet of the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultSubnet {
    pub id: &'static str,
    pub zone: String,
    pub zone_id: String,
    pub cidr: &'static str,
}

/// The region's default subnets, zones a, b and c in order.
pub fn default_subnets(region: &str) -> Vec<DefaultSubnet> {
    (0..ZONE_LETTERS.len())
        .map(|i| DefaultSubnet {
            id: DEFAULT_SUBNET_IDS[i],
            zone: format!("{region}{}", ZONE_LETTERS[i]),
            zone_id: zone_id(region, i),
            cidr: DEFAULT_SUBNET_CIDRS[i],
        })
        .collect()
}

/// The zone id of the region's `index`th zone, as AWS spells them:
/// `use1-az1` for us-east-1a, `euw1-az2` for eu-west-1b, `apse2-az3` for
/// ap-southeast-2c.
pub fn zone_id(region: &str, index: usize) -> String {
    let mut parts = region.split('-');
    let (geo, direction, number) = (parts.next(), parts.next(), parts.next());
    let short = match (geo, direction, number) {
        (Some(geo), Some(direction), Some(number)) => {
            let direction = match direction {
                "east" => "e",
                "west" => "w",
                "north" => "n",
                "south" => "s",
                "central" => "c",
                "northeast" => "ne",
                "northwest" => "nw",
                "southeast" => "se",
                "southwest" => "sw",
                other => other,
            };
            format!("{geo}{direction}{number}")
        }
        _ => region.replace('-', ""),
    };
    format!("{short}-az{}", index + 1)
}

/// The zone letters, in order.
const ZONE_LETTERS: [char; 3] = ['a', 'b', 'c'];

/// The region's zones: `{region}a`, `{region}b`, `{region}c`.
pub fn zones(region: &str) -> Vec<String> {
    ZONE_LETTERS
        .iter()
        .map(|letter| format!("{region}{letter}"))
        .collect()
}

/// Whether `zone` is one of the region's zones.
pub fn is_zone(region: &str, zone: &str) -> bool {
    zone_index(region, zone).is_some()
}

/// The zone id of one of the region's zones (`use1-az2` for
/// `us-east-1b`); `None` for a zone the region does not have.
pub fn zone_id_of(region: &str, zone: &str) -> Option<String> {
    zone_index(region, zone).map(|i| zone_id(region, i))
}

/// The position of `zone` among the region's zones.
fn zone_index(region: &str, zone: &str) -> Option<usize> {
    let letter = zone.strip_prefix(region)?;
    ZONE_LETTERS
        .iter()
        .position(|l| letter.len() == 1 && letter.starts_with(*l))
}

/// The default subnet of a zone of the region.
pub fn default_subnet(region: &str, zone: &str) -> Option<&'static str> {
    zone_index(region, zone).map(|i| DEFAULT_SUBNET_IDS[i])
}

/// Whether text looks like a subnet id: `subnet-` and 1 to 32 letters or
/// digits. AWS's ids are 8 or 17 hex digits; scripts written for local
/// tools often use shorter made-up ids, which are accepted too.
fn is_subnet_id(text: &str) -> bool {
    text.strip_prefix("subnet-").is_some_and(|id| {
        (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// The zone each subnet of a request is in, in request order; `None` for
/// text that is not a subnet id, or an unknown subnet past the third.
pub fn place_subnets(region: &str, subnets: &[String]) -> Vec<Option<String>> {
    subnets
        .iter()
        .enumerate()
        .map(|(position, subnet)| {
            if let Some(i) = DEFAULT_SUBNET_IDS.iter().position(|d| d == subnet) {
                return Some(format!("{region}{}", ZONE_LETTERS[i]));
            }
            if !is_subnet_id(subnet) {
                return None;
            }
            ZONE_LETTERS
                .get(position)
                .map(|letter| format!("{region}{letter}"))
        })
        .collect()
}

/// The zone each subnet of a SetSubnets request is in: a subnet the load
/// balancer keeps stays in its zone (`kept`: subnet, zone), a default
/// subnet is in its own, and any other takes the first zone no other
/// subnet of the request is in. `None` as [`place_subnets`] says.
pub fn replace_subnets(
    region: &str,
    subnets: &[String],
    kept: &[(String, String)],
) -> Vec<Option<String>> {
    let known = |subnet: &String| -> Option<String> {
        kept.iter()
            .find(|(id, _)| id == subnet)
            .map(|(_, zone)| zone.clone())
            .or_else(|| {
                DEFAULT_SUBNET_IDS
                    .iter()
                    .position(|d| d == subnet)
                    .map(|i| format!("{region}{}", ZONE_LETTERS[i]))
            })
    };
    let mut taken: Vec<String> = subnets.iter().filter_map(known).collect();
    subnets
        .iter()
        .map(|subnet| {
            if let Some(zone) = known(subnet) {
                return Some(zone);
            }
            if !is_subnet_id(subnet) {
                return None;
            }
            let zone = ZONE_LETTERS
                .iter()
                .map(|letter| format!("{region}{letter}"))
                .find(|zone| !taken.contains(zone))?;
            taken.push(zone.clone());
            Some(zone)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaced_subnets_keep_their_zones_and_new_ones_take_free_zones() {
        let kept = [("subnet-2222".to_owned(), "us-east-1b".to_owned())];
        let placed = replace_subnets(
            "us-east-1",
            &owned(&["subnet-2222", "subnet-3333", "nope"]),
            &kept,
        );
        assert_eq!(
            placed,
            [
                Some("us-east-1b".to_owned()),
                Some("us-east-1a".to_owned()),
                None
            ]
        );
        let with_default = replace_subnets(
            "us-east-1",
            &owned(&["subnet-4444", DEFAULT_SUBNET_IDS[0]]),
            &[],
        );
        assert_eq!(
            with_default,
            [Some("us-east-1b".to_owned()), Some("us-east-1a".to_owned())]
        );
    }

    fn owned(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn default_subnets_are_in_their_zones() {
        let placed = place_subnets(
            "eu-west-1",
            &owned(&[DEFAULT_SUBNET_IDS[2], DEFAULT_SUBNET_IDS[0]]),
        );
        assert_eq!(
            placed,
            [Some("eu-west-1c".to_owned()), Some("eu-west-1a".to_owned())]
        );
        assert_eq!(
            default_subnet("eu-west-1", "eu-west-1b"),
            Some(DEFAULT_SUBNET_IDS[1])
        );
        assert_eq!(default_subnet("eu-west-1", "eu-west-1d"), None);
    }

    #[test]
    fn other_subnets_go_by_position() {
        let placed = place_subnets(
            "us-east-1",
            &owned(&[
                "subnet-0123456789abcdef0",
                "subnet-12345678",
                "subnet-0fedcba9876543210",
                "subnet-0aaaaaaaaaaaaaaaa",
            ]),
        );
        assert_eq!(
            placed,
            [
                Some("us-east-1a".to_owned()),
                Some("us-east-1b".to_owned()),
                Some("us-east-1c".to_owned()),
                None
            ]
        );
    }

    #[test]
    fn malformed_subnets_have_no_zone() {
        let placed = place_subnets(
            "us-east-1",
            &owned(&["subnet-web", "sn-1", "subnet-x_z", "subnet-"]),
        );
        assert_eq!(placed, [Some("us-east-1a".to_owned()), None, None, None]);
    }

    #[test]
    fn zone_ids_look_like_aws() {
        assert_eq!(zone_id("us-east-1", 0), "use1-az1");
        assert_eq!(zone_id("eu-west-1", 1), "euw1-az2");
        assert_eq!(zone_id("ap-southeast-2", 2), "apse2-az3");
        assert_eq!(
            zone_id_of("us-east-1", "us-east-1c").as_deref(),
            Some("use1-az3")
        );
        assert_eq!(zone_id_of("us-east-1", "us-east-1d"), None);
        assert_eq!(zone_id_of("us-east-1", "us-west-2a"), None);
        let subnets = default_subnets("us-east-1");
        assert_eq!(subnets[1].zone, "us-east-1b");
        assert_eq!(subnets[1].cidr, "172.31.16.0/20");
    }

    #[test]
    fn zones_of_a_region() {
        assert_eq!(
            zones("us-east-1"),
            ["us-east-1a", "us-east-1b", "us-east-1c"]
        );
        assert!(is_zone("us-east-1", "us-east-1b"));
        assert!(!is_zone("us-east-1", "us-east-1d"));
        assert!(!is_zone("us-east-1", "us-west-2a"));
    }
}
