//! Security groups and their rules.
//!
//! A rule is one (protocol, port range, peer) triple, stored with its own
//! `sgr-` id, as EC2's SecurityGroupRules are; the API groups them back into
//! `IpPermissions` by protocol and ports. Ingress and egress rules follow
//! the same rules (duplicates, matching on revoke, ids), so every rule
//! operation takes a [`Direction`] rather than existing twice. Rules are
//! recorded, not enforced: see `docs/behaviour.md`.

use serde::{Deserialize, Serialize};

use super::filter::Filterable;
use super::{Error, invalid, is_id};
use crate::network::{DEFAULT_SECURITY_GROUP_ID, DEFAULT_VPC_ID};

/// The name of every VPC's default group.
pub const DEFAULT_GROUP_NAME: &str = "default";

/// A security group as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

/// Which of a group's rule lists an operation works on: inbound
/// (`IpPermissions`) or outbound (`IpPermissionsEgress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// `IsEgress` of a SecurityGroupRule.
    pub fn is_egress(self) -> bool {
        self == Direction::Egress
    }
}

/// Who a rule lets in (or out to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peer {
    /// An IPv4 block.
    Cidr(String),
    /// Members of a security group.
    Group { group_id: String, user_id: String },
}

/// One rule of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `sgr-` and 17 hex digits.
    pub id: String,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peer: Peer,
    pub description: Option<String>,
}

impl Rule {
    /// Whether two rules allow the same traffic (descriptions aside).
    fn same_as(&self, other: &Rule) -> bool {
        self.protocol == other.protocol
            && self.from_port == other.from_port
            && self.to_port == other.to_port
            && self.peer == other.peer
    }

    /// How EC2 describes a rule in a duplicate error.
    fn describe(&self) -> String {
        let peer = match &self.peer {
            Peer::Cidr(cidr) => cidr.clone(),
            Peer::Group { group_id, .. } => group_id.clone(),
        };
        let ports = match (self.from_port, self.to_port) {
            (Some(from), Some(to)) => format!(", from port: {from}, to port: {to}"),
            _ => String::new(),
        };
        format!(
            "peer: {peer}, {}{ports}, ALLOW",
            self.protocol.to_ascii_uppercase()
        )
    }
}

/// A permission as a request names it, with group peers already resolved
/// to ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Permission {
    pub protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub peers: Vec<(Peer, Option<String>)>,
}

/// Rules that share protocol and ports, as `IpPermissions` show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionView<'a> {
    pub protocol: &'a str,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub rules: Vec<&'a Rule>,
}

/// Groups rules by (protocol, ports), in the order each first appears.
pub fn permissions(rules: &[Rule]) -> Vec<PermissionView<'_>> {
    let mut views: Vec<PermissionView<'_>> = Vec::new();
    for rule in rules {
        match views.iter_mut().find(|v| {
            v.protocol == rule.protocol
                && v.from_port == rule.from_port
                && v.to_port == rule.to_port
        }) {
            Some(view) => view.rules.push(rule),
            None => views.push(PermissionView {
                protocol: &rule.protocol,
                from_port: rule.from_port,
                to_port: rule.to_port,
                rules: vec![rule],
            }),
        }
    }
    views
}

/// The canonical spelling of an IP protocol: names for the common ones
/// (`6` → `tcp`), `-1` for all, other numbers 0–255 as given.
pub fn normalize_protocol(protocol: &str) -> Result<String, Error> {
    let lower = protocol.trim().to_ascii_lowercase();
    let name = match lower.as_str() {
        "tcp" | "6" => "tcp",
        "udp" | "17" => "udp",
        "icmp" | "1" => "icmp",
        "icmpv6" | "58" => "icmpv6",
        "-1" | "all" => "-1",
        number => match number.parse::<u8>() {
            Ok(n) => return Ok(n.to_string()),
            Err(_) => {
                return Err(invalid(format!(
                    "Invalid value '{protocol}' for IP protocol. Unknown protocol."
                )));
            }
        },
    };
    Ok(name.to_owned())
}

/// Checks an IPv4 CIDR block (`a.b.c.d/n`).
pub fn check_cidr(cidr: &str) -> Result<(), Error> {
    let malformed = || invalid(format!("CIDR block {cidr} is malformed"));
    let (address, bits) = cidr.split_once('/').ok_or_else(malformed)?;
    address
        .parse::<std::net::Ipv4Addr>()
        .map_err(|_| malformed())?;
    match bits.parse::<u8>() {
        Ok(0..=32) if !bits.starts_with('+') => Ok(()),
        _ => Err(malformed()),
    }
}

/// Checks the shape of a security group rule id: `sgr-` and 8 or 17 hex
/// digits, as EC2 issues them.
pub fn check_rule_id(id: &str) -> Result<(), Error> {
    if is_id(id, "sgr") {
        Ok(())
    } else {
        Err(Error::RuleIdMalformed(id.to_owned()))
    }
}

/// The rules one permission stands for, each with a fresh id.
fn expand(permission: &Permission, mut new_id: impl FnMut() -> String) -> Result<Vec<Rule>, Error> {
    let protocol = normalize_protocol(
        permission
            .protocol
            .as_deref()
            .ok_or_else(|| Error::MissingParameter("IpPermissions.IpProtocol".to_owned()))?,
    )?;
    let (from, to) = match protocol.as_str() {
        "tcp" | "udp" => {
            let (Some(from), Some(to)) = (permission.from_port, permission.to_port) else {
                return Err(invalid(
                    "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange",
                ));
            };
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return Err(invalid(format!(
                    "Invalid TCP/UDP port range: from port {from}, to port {to}"
                )));
            }
            (Some(from as i32), Some(to as i32))
        }
        "icmp" | "icmpv6" => {
            let from = permission.from_port.unwrap_or(-1);
            let to = permission.to_port.unwrap_or(-1);
            if !(-1..=255).contains(&from) || !(-1..=255).contains(&to) {
                return Err(invalid(format!(
                    "Invalid ICMP type {from} or code {to}: each must be -1 to 255"
                )));
            }
            (Some(from as i32), Some(to as i32))
        }
        _ => (None, None),
    };
    if permission.peers.is_empty() {
        return Err(invalid(
            "Each permission needs at least one IpRanges entry or UserIdGroupPairs entry",
        ));
    }
    permission
        .peers
        .iter()
        .map(|(peer, description)| {
            if let Peer::Cidr(cidr) = peer {
                check_cidr(cidr)?;
            }
            if let Some(d) = description {
                check_text("description", d)?;
            }
            Ok(Rule {
                id: new_id(),
                protocol: protocol.clone(),
                from_port: from,
                to_port: to,
                peer: peer.clone(),
                description: description.clone(),
            })
        })
        .collect()
}

/// Group names and descriptions: up to 255 characters of
/// `a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*`.
fn check_text(what: &str, text: &str) -> Result<(), Error> {
    const SPECIAL: &str = " ._-:/()#,@[]+=&;{}!$*";
    if text.chars().count() > 255
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || SPECIAL.contains(c))
    {
        return Err(invalid(format!(
            "Invalid value '{text}' for {what}. Valid {what}s are up to 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{{}}!$*"
        )));
    }
    Ok(())
}

impl SecurityGroup {
    /// A new group in a VPC, with EC2's default egress rule (all traffic
    /// to 0.0.0.0/0).
    pub fn create(
        id: String,
        name: &str,
        description: &str,
        vpc_id: &str,
        owner_id: &str,
        egress_rule_id: String,
    ) -> Result<SecurityGroup, Error> {
        if name.is_empty() {
            return Err(Error::MissingParameter("GroupName".to_owned()));
        }
        if name.to_ascii_lowercase().starts_with("sg-") {
            return Err(invalid("Group names may not be in the format sg-*"));
        }
        check_text("groupName", name)?;
        check_text("groupDescription", description)?;
        Ok(SecurityGroup {
            id,
            name: name.to_owned(),
            description: description.to_owned(),
            vpc_id: vpc_id.to_owned(),
            owner_id: owner_id.to_owned(),
            ingress: Vec::new(),
            egress: vec![Rule {
                id: egress_rule_id,
                protocol: "-1".to_owned(),
                from_port: None,
                to_port: None,
                peer: Peer::Cidr("0.0.0.0/0".to_owned()),
                description: None,
            }],
        })
    }

    /// The default VPC's `default` group as EC2 creates it: members may
    /// reach each other on anything, and everything may go out.
    pub fn default_group(owner_id: &str) -> SecurityGroup {
        SecurityGroup {
            id: DEFAULT_SECURITY_GROUP_ID.to_owned(),
            name: DEFAULT_GROUP_NAME.to_owned(),
            description: "default VPC security group".to_owned(),
            vpc_id: DEFAULT_VPC_ID.to_owned(),
            owner_id: owner_id.to_owned(),
            ingress: vec![Rule {
                id: "sgr-0ba11a57000000001".to_owned(),
                protocol: "-1".to_owned(),
                from_port: None,
                to_port: None,
                peer: Peer::Group {
                    group_id: DEFAULT_SECURITY_GROUP_ID.to_owned(),
                    user_id: owner_id.to_owned(),
                },
                description: None,
            }],
            egress: vec![Rule {
                id: "sgr-0ba11a57000000002".to_owned(),
                protocol: "-1".to_owned(),
                from_port: None,
                to_port: None,
                peer: Peer::Cidr("0.0.0.0/0".to_owned()),
                description: None,
            }],
        }
    }

    /// Whether this is a VPC's `default` group, which cannot be deleted.
    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_GROUP_NAME
    }

    /// The group's rules in one direction.
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    fn rules_mut(&mut self, direction: Direction) -> &mut Vec<Rule> {
        match direction {
            Direction::Ingress => &mut self.ingress,
            Direction::Egress => &mut self.egress,
        }
    }

    /// Every rule of the group with its direction, ingress first, as
    /// DescribeSecurityGroupRules lists them.
    pub fn group_rules(&self) -> impl Iterator<Item = GroupRule> + '_ {
        [Direction::Ingress, Direction::Egress]
            .into_iter()
            .flat_map(move |direction| {
                self.rules(direction).iter().map(move |rule| GroupRule {
                    group_id: self.id.clone(),
                    owner_id: self.owner_id.clone(),
                    direction,
                    rule: rule.clone(),
                })
            })
    }

    /// Adds rules in one direction; all or none. A rule that exists
    /// already, or twice in the request, is `InvalidPermission.Duplicate`.
    pub fn authorize(
        &mut self,
        direction: Direction,
        permissions: &[Permission],
        mut new_id: impl FnMut() -> String,
    ) -> Result<Vec<Rule>, Error> {
        if permissions.is_empty() {
            return Err(Error::MissingParameter("IpPermissions".to_owned()));
        }
        let mut added: Vec<Rule> = Vec::new();
        for permission in permissions {
            for rule in expand(permission, &mut new_id)? {
                if self
                    .rules(direction)
                    .iter()
                    .chain(&added)
                    .any(|r| r.same_as(&rule))
                {
                    return Err(Error::PermissionDuplicate(rule.describe()));
                }
                added.push(rule);
            }
        }
        self.rules_mut(direction).extend(added.iter().cloned());
        Ok(added)
    }

    /// Removes the rules that match `permissions` in one direction; all or
    /// none. A rule the group does not have is `InvalidPermission.NotFound`
    /// (EC2's answer outside a default VPC; see `docs/behaviour.md`).
    pub fn revoke(
        &mut self,
        direction: Direction,
        permissions: &[Permission],
    ) -> Result<Vec<Rule>, Error> {
        if permissions.is_empty() {
            return Err(Error::MissingParameter("IpPermissions".to_owned()));
        }
        // Work on a copy so a miss halfway leaves the group as it was.
        let mut rules = self.rules(direction).to_vec();
        let mut removed = Vec::new();
        for permission in permissions {
            for wanted in expand(permission, String::new)? {
                let position = rules
                    .iter()
                    .position(|r| r.same_as(&wanted))
                    .ok_or(Error::PermissionNotFound)?;
                removed.push(rules.remove(position));
            }
        }
        *self.rules_mut(direction) = rules;
        Ok(removed)
    }

    /// Removes rules by `sgr-` id in one direction; all or none. An id
    /// repeated in the request counts once; an id this group does not have
    /// in that direction (an egress rule's id given to the ingress call,
    /// say) is `InvalidSecurityGroupRuleId.NotFound`.
    pub fn revoke_ids(&mut self, direction: Direction, ids: &[String]) -> Result<Vec<Rule>, Error> {
        if ids.is_empty() {
            return Err(Error::MissingParameter("SecurityGroupRuleIds".to_owned()));
        }
        for id in ids {
            check_rule_id(id)?;
        }
        for id in ids {
            if !self.rules(direction).iter().any(|r| r.id == *id) {
                return Err(Error::RuleIdNotFound(id.clone()));
            }
        }
        let (removed, kept) = self
            .rules(direction)
            .iter()
            .cloned()
            .partition(|r| ids.contains(&r.id));
        *self.rules_mut(direction) = kept;
        Ok(removed)
    }

    /// Whether any rule of this group names `group_id` as its peer.
    pub fn references(&self, group_id: &str) -> bool {
        self.ingress
            .iter()
            .chain(&self.egress)
            .any(|r| matches!(&r.peer, Peer::Group { group_id: g, .. } if g == group_id))
    }
}

impl Filterable for SecurityGroup {
    const FILTERS: &'static [&'static str] = &[
        "description",
        "group-id",
        "group-name",
        "owner-id",
        "vpc-id",
        "ip-permission.protocol",
        "ip-permission.from-port",
        "ip-permission.to-port",
        "ip-permission.cidr",
        "ip-permission.group-id",
        "ip-permission.user-id",
        "ip-permission.ipv6-cidr",
        "ip-permission.prefix-list-id",
        "egress.ip-permission.protocol",
        "egress.ip-permission.from-port",
        "egress.ip-permission.to-port",
        "egress.ip-permission.cidr",
        "egress.ip-permission.group-id",
        "egress.ip-permission.user-id",
        "egress.ip-permission.ipv6-cidr",
        "egress.ip-permission.prefix-list-id",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let one = |v: &str| vec![v.to_owned()];
        let (rules, field) = match name.strip_prefix("egress.") {
            Some(field) => (&self.egress, field),
            None => (&self.ingress, name),
        };
        match field {
            "description" => one(&self.description),
            "group-id" => one(&self.id),
            "group-name" => one(&self.name),
            "owner-id" => one(&self.owner_id),
            "vpc-id" => one(&self.vpc_id),
            "ip-permission.protocol" => rules.iter().map(|r| r.protocol.clone()).collect(),
            "ip-permission.from-port" => rules
                .iter()
                .filter_map(|r| r.from_port.map(|p| p.to_string()))
                .collect(),
            "ip-permission.to-port" => rules
                .iter()
                .filter_map(|r| r.to_port.map(|p| p.to_string()))
                .collect(),
            "ip-permission.cidr" => rules
                .iter()
                .filter_map(|r| match &r.peer {
                    Peer::Cidr(c) => Some(c.clone()),
                    Peer::Group { .. } => None,
                })
                .collect(),
            "ip-permission.group-id" => rules
                .iter()
                .filter_map(|r| match &r.peer {
                    Peer::Group { group_id, .. } => Some(group_id.clone()),
                    Peer::Cidr(_) => None,
                })
                .collect(),
            "ip-permission.user-id" => rules
                .iter()
                .filter_map(|r| match &r.peer {
                    Peer::Group { user_id, .. } => Some(user_id.clone()),
                    Peer::Cidr(_) => None,
                })
                .collect(),
            // Rules are IPv4 blocks and groups only, so IPv6 blocks and
            // prefix lists match no group.
            _ => Vec::new(),
        }
    }
}

/// One rule with its group and direction: a SecurityGroupRule as
/// DescribeSecurityGroupRules lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRule {
    pub group_id: String,
    pub owner_id: String,
    pub direction: Direction,
    pub rule: Rule,
}

impl Filterable for GroupRule {
    const FILTERS: &'static [&'static str] = &["group-id", "security-group-rule-id"];

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "group-id" => vec![self.group_id.clone()],
            "security-group-rule-id" => vec![self.rule.id.clone()],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> SecurityGroup {
        SecurityGroup::create(
            "sg-0123456789abcdef0".into(),
            "web",
            "web servers",
            DEFAULT_VPC_ID,
            "000000000000",
            EGRESS_ALL.into(),
        )
        .unwrap()
    }

    /// The id of [`group`]'s default egress rule.
    const EGRESS_ALL: &str = "sgr-0eeeeeeeeeeeeeee0";

    fn tcp(port: i64, cidr: &str) -> Permission {
        Permission {
            protocol: Some("tcp".into()),
            from_port: Some(port),
            to_port: Some(port),
            peers: vec![(Peer::Cidr(cidr.into()), None)],
        }
    }

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("sgr-{n:017x}")
        }
    }

    #[test]
    fn authorize_then_duplicate_then_revoke() {
        let mut g = group();
        let added = g
            .authorize(Direction::Ingress, &[tcp(22, "10.0.0.0/8")], ids())
            .unwrap();
        assert_eq!(added.len(), 1);
        let dup = g
            .authorize(Direction::Ingress, &[tcp(22, "10.0.0.0/8")], ids())
            .unwrap_err();
        assert_eq!(dup.code(), "InvalidPermission.Duplicate");
        assert!(
            dup.to_string()
                .contains("peer: 10.0.0.0/8, TCP, from port: 22")
        );
        // A duplicate within one request changes nothing either.
        let before = g.clone();
        assert!(
            g.authorize(
                Direction::Ingress,
                &[tcp(80, "0.0.0.0/0"), tcp(80, "0.0.0.0/0")],
                ids()
            )
            .is_err()
        );
        assert_eq!(g, before);
        assert_eq!(
            g.revoke(Direction::Ingress, &[tcp(22, "10.0.0.0/8")])
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            g.revoke(Direction::Ingress, &[tcp(22, "10.0.0.0/8")])
                .unwrap_err(),
            Error::PermissionNotFound
        );
    }

    #[test]
    fn protocols_and_ports() {
        assert_eq!(normalize_protocol("TCP").unwrap(), "tcp");
        assert_eq!(normalize_protocol("6").unwrap(), "tcp");
        assert_eq!(normalize_protocol("-1").unwrap(), "-1");
        assert_eq!(normalize_protocol("47").unwrap(), "47");
        assert!(normalize_protocol("tcpx").is_err());
        let mut g = group();
        let mut bad = tcp(22, "10.0.0.0/8");
        bad.to_port = Some(70000);
        assert!(g.authorize(Direction::Ingress, &[bad], ids()).is_err());
        let mut all = tcp(22, "10.0.0.0/8");
        all.protocol = Some("-1".into());
        let added = g.authorize(Direction::Ingress, &[all], ids()).unwrap();
        assert_eq!(added[0].from_port, None);
        assert!(
            g.authorize(Direction::Ingress, &[tcp(22, "10.0.0.0/33")], ids())
                .is_err()
        );
    }

    #[test]
    fn views_group_rules_by_ports() {
        let mut g = group();
        g.authorize(
            Direction::Ingress,
            &[
                tcp(22, "10.0.0.0/8"),
                tcp(22, "192.168.0.0/16"),
                tcp(80, "0.0.0.0/0"),
            ],
            ids(),
        )
        .unwrap();
        let views = permissions(&g.ingress);
        assert_eq!(views.len(), 2);
        assert_eq!(views[0].rules.len(), 2);
    }

    #[test]
    fn egress_is_its_own_list() {
        let mut g = group();
        // The same rule may exist once in each direction.
        g.authorize(Direction::Ingress, &[tcp(443, "0.0.0.0/0")], ids())
            .unwrap();
        let added = g
            .authorize(Direction::Egress, &[tcp(443, "0.0.0.0/0")], ids())
            .unwrap();
        assert_eq!(g.ingress.len(), 1);
        assert_eq!(g.egress.len(), 2);
        assert_eq!(g.egress[1], added[0]);
        let dup = g
            .authorize(Direction::Egress, &[tcp(443, "0.0.0.0/0")], ids())
            .unwrap_err();
        assert_eq!(dup.code(), "InvalidPermission.Duplicate");

        // Revoking in one direction leaves the other alone.
        let revoked = g
            .revoke(Direction::Egress, &[tcp(443, "0.0.0.0/0")])
            .unwrap();
        assert_eq!(revoked, added);
        assert_eq!(g.ingress.len(), 1);
        assert_eq!(
            g.revoke(Direction::Egress, &[tcp(443, "0.0.0.0/0")])
                .unwrap_err(),
            Error::PermissionNotFound
        );
    }

    #[test]
    fn default_egress_rule_can_go_and_come_back() {
        let mut g = group();
        let all = Permission {
            protocol: Some("-1".into()),
            from_port: None,
            to_port: None,
            peers: vec![(Peer::Cidr("0.0.0.0/0".into()), None)],
        };
        let dup = g
            .authorize(Direction::Egress, std::slice::from_ref(&all), ids())
            .unwrap_err();
        assert_eq!(dup.code(), "InvalidPermission.Duplicate");
        let removed = g
            .revoke(Direction::Egress, std::slice::from_ref(&all))
            .unwrap();
        assert_eq!(removed[0].id, EGRESS_ALL);
        assert!(g.egress.is_empty());
        let back = g.authorize(Direction::Egress, &[all], ids()).unwrap();
        assert_eq!(g.egress, back);
        assert_ne!(back[0].id, EGRESS_ALL);
    }

    #[test]
    fn a_failed_revoke_changes_nothing() {
        let mut g = group();
        g.authorize(Direction::Egress, &[tcp(53, "10.0.0.0/8")], ids())
            .unwrap();
        let before = g.clone();
        // The first permission matches, the second does not.
        let err = g
            .revoke(
                Direction::Egress,
                &[tcp(53, "10.0.0.0/8"), tcp(54, "10.0.0.0/8")],
            )
            .unwrap_err();
        assert_eq!(err, Error::PermissionNotFound);
        assert_eq!(g, before);
    }

    #[test]
    fn revoke_by_rule_id() {
        let mut g = group();
        let ingress = g
            .authorize(Direction::Ingress, &[tcp(22, "10.0.0.0/8")], ids())
            .unwrap();
        let ingress_id = ingress[0].id.clone();

        // An id of the other direction is not found, and nothing changes.
        let before = g.clone();
        let err = g
            .revoke_ids(Direction::Egress, &[EGRESS_ALL.into(), ingress_id.clone()])
            .unwrap_err();
        assert_eq!(err, Error::RuleIdNotFound(ingress_id.clone()));
        assert_eq!(err.code(), "InvalidSecurityGroupRuleId.NotFound");
        assert_eq!(g, before);

        let err = g
            .revoke_ids(Direction::Egress, &["10.0.0.0/8".into()])
            .unwrap_err();
        assert_eq!(err.code(), "InvalidSecurityGroupRuleId.Malformed");
        assert_eq!(
            g.revoke_ids(Direction::Egress, &[]).unwrap_err().code(),
            "MissingParameter"
        );

        // A repeated id counts once.
        let removed = g
            .revoke_ids(Direction::Egress, &[EGRESS_ALL.into(), EGRESS_ALL.into()])
            .unwrap();
        assert_eq!(removed.len(), 1);
        assert!(g.egress.is_empty());
        assert_eq!(g.ingress, ingress);
        let removed = g.revoke_ids(Direction::Ingress, &[ingress_id]).unwrap();
        assert_eq!(removed, ingress);
        assert!(g.ingress.is_empty());
    }

    #[test]
    fn group_rules_and_their_filters() {
        let mut g = group();
        g.authorize(Direction::Ingress, &[tcp(22, "10.0.0.0/8")], ids())
            .unwrap();
        let rules: Vec<GroupRule> = g.group_rules().collect();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].direction, Direction::Ingress);
        assert!(!rules[0].direction.is_egress());
        assert_eq!(rules[1].direction, Direction::Egress);
        assert!(rules[1].direction.is_egress());
        assert_eq!(rules[1].rule.id, EGRESS_ALL);
        assert_eq!(rules[1].group_id, g.id);
        assert_eq!(rules[1].owner_id, "000000000000");

        let by = |name: &str, value: &str| {
            let filters = [crate::ec2::Filter {
                name: name.into(),
                values: vec![value.into()],
            }];
            crate::ec2::filter::check::<GroupRule>(&filters).unwrap();
            rules
                .iter()
                .filter(|r| crate::ec2::filter::matches(*r, &[], &filters))
                .count()
        };
        assert_eq!(by("group-id", &g.id), 2);
        assert_eq!(by("group-id", "sg-other"), 0);
        assert_eq!(by("security-group-rule-id", EGRESS_ALL), 1);
        assert_eq!(by("security-group-rule-id", "sgr-*"), 2);
        assert_eq!(by("tag:Name", "*"), 0);
        let unknown = [crate::ec2::Filter {
            name: "is-egress".into(),
            values: vec!["true".into()],
        }];
        assert!(crate::ec2::filter::check::<GroupRule>(&unknown).is_err());
    }

    #[test]
    fn egress_filters_read_egress_rules() {
        let mut g = group();
        let to_peer = Permission {
            protocol: Some("tcp".into()),
            from_port: Some(5432),
            to_port: Some(5433),
            peers: vec![(
                Peer::Group {
                    group_id: "sg-0ba11a57000000000".into(),
                    user_id: "000000000000".into(),
                },
                None,
            )],
        };
        g.authorize(Direction::Egress, &[to_peer], ids()).unwrap();
        g.authorize(Direction::Ingress, &[tcp(22, "10.0.0.0/8")], ids())
            .unwrap();
        let values = |name: &str| {
            let mut v = g.values(name);
            v.sort();
            v
        };
        assert_eq!(values("egress.ip-permission.protocol"), ["-1", "tcp"]);
        assert_eq!(values("egress.ip-permission.from-port"), ["5432"]);
        assert_eq!(values("egress.ip-permission.to-port"), ["5433"]);
        assert_eq!(values("egress.ip-permission.cidr"), ["0.0.0.0/0"]);
        assert_eq!(
            values("egress.ip-permission.group-id"),
            ["sg-0ba11a57000000000"]
        );
        assert_eq!(values("egress.ip-permission.user-id"), ["000000000000"]);
        assert!(values("egress.ip-permission.ipv6-cidr").is_empty());
        assert_eq!(values("ip-permission.from-port"), ["22"]);
        assert_eq!(values("ip-permission.cidr"), ["10.0.0.0/8"]);
    }

    #[test]
    fn names() {
        let create = |name: &str| {
            SecurityGroup::create(
                "sg-1".into(),
                name,
                "d",
                DEFAULT_VPC_ID,
                "0",
                "sgr-1".into(),
            )
        };
        assert!(create("sg-web").is_err());
        assert!(create("").is_err());
        assert!(create("web ü").is_err());
        assert!(create("web-1 (prod)").is_ok());
        assert!(SecurityGroup::default_group("0").is_default());
    }
}
