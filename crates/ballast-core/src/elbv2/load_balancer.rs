//! Application load balancers: names, DNS names, zones and local addresses.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::attributes::{Attributes, LOAD_BALANCER};
use super::{Error, invalid};
use crate::network::{DEFAULT_SECURITY_GROUP_ID, DEFAULT_VPC_ID};

/// The DNS suffix of every load balancer name. `.internal` is reserved for
/// private use, so it never collides with a real domain; Ballast maps each
/// name to the load balancer's loopback address (see `docs/behaviour.md`).
pub const DNS_SUFFIX: &str = "elb.ballast.internal";

/// The hosted zone id ALBs report (the us-east-1 value; Route 53 aliases
/// are not emulated).
pub const CANONICAL_HOSTED_ZONE_ID: &str = "Z35SXDOTRQ7X7K";

/// A load balancer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub scheme: String,
    pub vpc_id: String,
    pub ip_address_type: String,
    pub zones: Vec<Zone>,
    pub security_groups: Vec<String>,
    /// The loopback address every listener of this load balancer binds.
    pub address: Ipv4Addr,
    pub attributes: Attributes,
    pub created_millis: i64,
}

/// A zone the load balancer is in, through one subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub zone_name: String,
    pub subnet_id: String,
}

/// CreateLoadBalancer's parameters.
#[derive(Debug, Clone, Default)]
pub struct LoadBalancerSpec {
    pub name: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub scheme: Option<String>,
    pub lb_type: Option<String>,
    pub ip_address_type: Option<String>,
}

/// Checks a load balancer name: 1–32 alphanumerics or hyphens, no hyphen at
/// either end, not starting with `internal-`.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.starts_with("internal-");
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "Load balancer name '{name}' cannot be longer than '32' characters, must contain only alphanumeric characters or hyphens, must not begin or end with a hyphen, and must not begin with 'internal-'"
        )))
    }
}

/// Checks security group ids: `sg-` and letters or digits, no repeats.
fn validate_security_groups(groups: &[String]) -> Result<(), Error> {
    for (i, group) in groups.iter().enumerate() {
        let well_formed = group.strip_prefix("sg-").is_some_and(|id| {
            (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !well_formed {
            return Err(Error::InvalidSecurityGroup(format!(
                "The security group '{group}' is not valid"
            )));
        }
        if groups[..i].contains(group) {
            return Err(invalid(format!(
                "Security group '{group}' is specified more than once"
            )));
        }
    }
    Ok(())
}

/// An `IpAddressType` an application load balancer takes.
fn ip_address_type(requested: &str) -> Result<&str, Error> {
    match requested {
        t @ ("ipv4" | "dualstack" | "dualstack-without-public-ipv4") => Ok(t),
        other => Err(invalid(format!("IP address type '{other}' is not valid"))),
    }
}

/// The zones `subnets` put a load balancer in: at least two subnets, each
/// in its own zone (`zone_of` names a subnet's zone).
fn zones(subnets: &[String], zone_of: impl Fn(&str) -> Option<String>) -> Result<Vec<Zone>, Error> {
    if subnets.len() < 2 {
        return Err(invalid(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    let mut zones: Vec<Zone> = Vec::new();
    for subnet in subnets {
        let zone_name = zone_of(subnet).ok_or_else(|| {
            Error::InvalidSubnet(format!("The subnet ID '{subnet}' is not valid"))
        })?;
        if zones.iter().any(|z| z.zone_name == zone_name) {
            return Err(Error::InvalidConfigurationRequest(format!(
                "A load balancer cannot be attached to multiple subnets in the same Availability Zone; '{subnet}' is in '{zone_name}' too"
            )));
        }
        zones.push(Zone {
            zone_name,
            subnet_id: subnet.clone(),
        });
    }
    Ok(zones)
}

impl LoadBalancer {
    /// SetSubnets: the zones the load balancer is in, all replaced.
    pub fn set_subnets(
        &mut self,
        subnets: &[String],
        zone_of: impl Fn(&str) -> Option<String>,
    ) -> Result<(), Error> {
        self.zones = zones(subnets, zone_of)?;
        Ok(())
    }

    /// SetSecurityGroups: an application load balancer keeps at least one.
    pub fn set_security_groups(&mut self, groups: &[String]) -> Result<(), Error> {
        if groups.is_empty() {
            return Err(invalid(
                "An Application Load Balancer must have at least one security group",
            ));
        }
        validate_security_groups(groups)?;
        self.security_groups = groups.to_vec();
        Ok(())
    }

    /// SetIpAddressType.
    pub fn set_ip_address_type(&mut self, requested: &str) -> Result<(), Error> {
        self.ip_address_type = ip_address_type(requested)?.to_owned();
        Ok(())
    }

    /// A new application load balancer. `zone_of` names the zone a subnet is
    /// in; `dns_id` is the numeric part of the DNS name.
    pub fn create(
        arn: String,
        spec: &LoadBalancerSpec,
        region: &str,
        address: Ipv4Addr,
        dns_id: u64,
        zone_of: impl Fn(&str) -> Option<String>,
        now_millis: i64,
    ) -> Result<Self, Error> {
        validate_name(&spec.name)?;
        match spec.lb_type.as_deref() {
            None | Some("application") => {}
            Some(other @ ("network" | "gateway")) => {
                return Err(Error::InvalidConfigurationRequest(format!(
                    "Load balancers of type '{other}' are not supported by Ballast; use 'application'"
                )));
            }
            Some(other) => {
                return Err(invalid(format!(
                    "Load balancer type '{other}' is not valid"
                )));
            }
        }
        let scheme = match spec.scheme.as_deref() {
            None | Some("internet-facing") => "internet-facing",
            Some("internal") => "internal",
            Some(other) => return Err(invalid(format!("Scheme '{other}' is not valid"))),
        };
        let ip_address_type = ip_address_type(spec.ip_address_type.as_deref().unwrap_or("ipv4"))?;
        let zones = zones(&spec.subnets, zone_of)?;
        let security_groups = if spec.security_groups.is_empty() {
            // AWS uses the VPC's default security group.
            vec![DEFAULT_SECURITY_GROUP_ID.to_owned()]
        } else {
            validate_security_groups(&spec.security_groups)?;
            spec.security_groups.clone()
        };
        let prefix = if scheme == "internal" {
            "internal-"
        } else {
            ""
        };
        Ok(LoadBalancer {
            arn,
            dns_name: format!("{prefix}{}-{dns_id}.{region}.{DNS_SUFFIX}", spec.name)
                .to_ascii_lowercase(),
            name: spec.name.clone(),
            scheme: scheme.to_owned(),
            vpc_id: DEFAULT_VPC_ID.to_owned(),
            ip_address_type: ip_address_type.to_owned(),
            zones,
            security_groups,
            address,
            attributes: Attributes::defaults(LOAD_BALANCER),
            created_millis: now_millis,
        })
    }

    /// Whether a create request with the same name asks for exactly this
    /// load balancer (AWS then returns it instead of failing).
    pub fn matches(
        &self,
        spec: &LoadBalancerSpec,
        region: &str,
        zone_of: impl Fn(&str) -> Option<String>,
    ) -> bool {
        LoadBalancer::create(
            self.arn.clone(),
            spec,
            region,
            self.address,
            0,
            zone_of,
            self.created_millis,
        )
        .is_ok_and(|c| {
            c.scheme == self.scheme
                && c.vpc_id == self.vpc_id
                && c.ip_address_type == self.ip_address_type
                && c.zones == self.zones
                && c.security_groups == self.security_groups
        })
    }

    /// The idle timeout, in (AWS) seconds.
    pub fn idle_timeout_seconds(&self) -> u64 {
        self.attributes
            .get("idle_timeout.timeout_seconds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, subnets: &[&str]) -> LoadBalancerSpec {
        LoadBalancerSpec {
            name: name.into(),
            subnets: subnets.iter().map(|s| (*s).to_owned()).collect(),
            ..LoadBalancerSpec::default()
        }
    }

    fn zone_of(subnet: &str) -> Option<String> {
        match subnet {
            "subnet-a" => Some("us-east-1a".into()),
            "subnet-b" => Some("us-east-1b".into()),
            "subnet-a2" => Some("us-east-1a".into()),
            _ => None,
        }
    }

    fn create(spec: &LoadBalancerSpec) -> Result<LoadBalancer, Error> {
        LoadBalancer::create(
            "arn".into(),
            spec,
            "us-east-1",
            Ipv4Addr::LOCALHOST,
            42,
            zone_of,
            0,
        )
    }

    #[test]
    fn dns_names_and_zones() {
        let lb = create(&spec("Web", &["subnet-a", "subnet-b"])).unwrap();
        assert_eq!(lb.dns_name, "web-42.us-east-1.elb.ballast.internal");
        assert_eq!(lb.zones.len(), 2);
        assert_eq!(lb.scheme, "internet-facing");
    }

    #[test]
    fn defaults_and_idempotence() {
        let s = spec("web", &["subnet-a", "subnet-b"]);
        let lb = create(&s).unwrap();
        assert_eq!(lb.vpc_id, DEFAULT_VPC_ID);
        assert_eq!(lb.security_groups, [DEFAULT_SECURITY_GROUP_ID]);
        assert!(lb.matches(&s, "us-east-1", zone_of));
        let mut internal = s.clone();
        internal.scheme = Some("internal".into());
        assert!(!lb.matches(&internal, "us-east-1", zone_of));
        let mut bad_sg = s;
        bad_sg.security_groups = vec!["web".into()];
        assert!(matches!(
            create(&bad_sg),
            Err(Error::InvalidSecurityGroup(_))
        ));
    }

    #[test]
    fn subnet_rules() {
        assert!(create(&spec("web", &["subnet-a"])).is_err());
        assert!(create(&spec("web", &["subnet-a", "subnet-a2"])).is_err());
        assert!(matches!(
            create(&spec("web", &["subnet-a", "subnet-x"])),
            Err(Error::InvalidSubnet(_))
        ));
    }

    #[test]
    fn subnets_groups_and_address_type_change_all_or_nothing() {
        let mut lb = create(&spec("web", &["subnet-a", "subnet-b"])).unwrap();
        let before = lb.clone();
        let subnets = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(lb.set_subnets(&subnets(&["subnet-a"]), zone_of).is_err());
        assert!(
            lb.set_subnets(&subnets(&["subnet-a", "subnet-a2"]), zone_of)
                .is_err()
        );
        assert!(matches!(
            lb.set_security_groups(&["nope".into()]),
            Err(Error::InvalidSecurityGroup(_))
        ));
        assert!(lb.set_security_groups(&[]).is_err());
        assert!(lb.set_ip_address_type("ipv6").is_err());
        assert_eq!(lb, before, "nothing changed");

        lb.set_subnets(&subnets(&["subnet-b", "subnet-a2"]), zone_of)
            .unwrap();
        assert_eq!(lb.zones[1].subnet_id, "subnet-a2");
        lb.set_security_groups(&["sg-0123".into(), "sg-4567".into()])
            .unwrap();
        assert_eq!(lb.security_groups, ["sg-0123", "sg-4567"]);
        lb.set_ip_address_type("dualstack").unwrap();
        assert_eq!(lb.ip_address_type, "dualstack");
    }

    #[test]
    fn names() {
        assert!(validate_name("internal-web").is_err());
        assert!(validate_name("web-1").is_ok());
        assert!(validate_name("web_1").is_err());
    }
}
