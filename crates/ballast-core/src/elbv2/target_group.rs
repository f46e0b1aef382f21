//! Target groups: creation defaults, health-check settings and their ranges.

use serde::{Deserialize, Serialize};

use super::attributes::Attributes;
use super::{Error, invalid};

/// A target group as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    pub target_type: String,
    pub ip_address_type: String,
    pub health_check: HealthCheck,
    pub attributes: Attributes,
    pub created_millis: i64,
}

/// Health-check settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub enabled: bool,
    pub protocol: Option<String>,
    /// `traffic-port` or a port number, as text (the API's type).
    pub port: String,
    pub path: Option<String>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub matcher: Option<Matcher>,
}

/// Which responses count as healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Matcher {
    pub http_code: Option<String>,
    pub grpc_code: Option<String>,
}

/// CreateTargetGroup's parameters, before defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGroupSpec {
    pub name: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    pub target_type: Option<String>,
    pub ip_address_type: Option<String>,
    pub health_check: HealthCheckChange,
}

/// Health-check settings a request names; `None` keeps the current value
/// (or the default on creation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCheckChange {
    pub enabled: Option<bool>,
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval_seconds: Option<u32>,
    pub timeout_seconds: Option<u32>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
    pub matcher: Option<Matcher>,
}

const PROTOCOLS: &[&str] = &["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"];
const TARGET_TYPES: &[&str] = &["instance", "ip", "lambda", "alb"];

fn is_http(protocol: Option<&str>) -> bool {
    matches!(protocol, Some("HTTP" | "HTTPS"))
}

/// Checks a target group name: 1–32 alphanumerics or hyphens, no hyphen at
/// either end.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "Target group name '{name}' can only contain characters that are alphanumeric characters or hyphens(-), must be at most 32 characters, and must not begin or end with a hyphen"
        )))
    }
}

/// How a target group spreads requests over its targets
/// (`load_balancing.algorithm.type`). Here, not in the data plane, so the
/// proxy's routing snapshot and its balancer both take it from the core
/// rather than from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    LeastOutstandingRequests,
    /// Uniform random: Ballast has no anomaly detection, so every target
    /// keeps the same weight.
    WeightedRandom,
}

impl Algorithm {
    /// The attribute's value as an algorithm; round robin, ALB's default,
    /// for anything else.
    pub fn parse(value: Option<&str>) -> Algorithm {
        match value {
            Some("least_outstanding_requests") => Algorithm::LeastOutstandingRequests,
            Some("weighted_random") => Algorithm::WeightedRandom,
            _ => Algorithm::RoundRobin,
        }
    }
}

impl HealthCheck {
    /// The port checks of a target registered on `target_port` go to:
    /// `traffic-port` means the target's own.
    pub fn port_for(&self, target_port: u16) -> String {
        if self.port == "traffic-port" {
            target_port.to_string()
        } else {
            self.port.clone()
        }
    }
}

impl TargetGroup {
    /// A new target group from a request, with AWS's defaults filled in.
    /// The group's load-balancing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        Algorithm::parse(self.attributes.get("load_balancing.algorithm.type"))
    }

    pub fn create(arn: String, spec: &TargetGroupSpec, now_millis: i64) -> Result<Self, Error> {
        validate_name(&spec.name)?;
        let target_type = spec
            .target_type
            .clone()
            .unwrap_or_else(|| "instance".to_owned());
        if !TARGET_TYPES.contains(&target_type.as_str()) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{target_type}' at 'targetType' failed to satisfy constraint: Member must satisfy enum value set: [instance, ip, lambda, alb]"
            )));
        }
        let lambda = target_type == "lambda";
        if let Some(p) = spec.protocol.as_deref()
            && !PROTOCOLS.contains(&p)
        {
            return Err(invalid(format!(
                "1 validation error detected: Value '{p}' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE]"
            )));
        }
        if lambda {
            if spec.protocol.is_some() || spec.port.is_some() || spec.vpc_id.is_some() {
                return Err(invalid(
                    "Protocol, port, and VPC ID cannot be specified for target groups with target type 'lambda'",
                ));
            }
        } else {
            if spec.protocol.is_none() {
                return Err(invalid("A protocol must be specified"));
            }
            if spec.port.is_none() {
                return Err(invalid("A port must be specified"));
            }
            if spec.vpc_id.is_none() {
                return Err(invalid("A VPC ID must be specified"));
            }
        }
        if spec.port == Some(0) {
            return Err(invalid("Port must be between 1 and 65535"));
        }
        let protocol_version = match spec.protocol_version.as_deref() {
            Some(v) if !is_http(spec.protocol.as_deref()) => {
                return Err(invalid(format!(
                    "Protocol version '{v}' can only be specified for HTTP and HTTPS target groups"
                )));
            }
            Some(v @ ("HTTP1" | "HTTP2" | "GRPC")) => Some(v.to_owned()),
            Some(v) => {
                return Err(invalid(format!("Protocol version '{v}' is not supported")));
            }
            None if is_http(spec.protocol.as_deref()) => Some("HTTP1".to_owned()),
            None => None,
        };
        let ip_address_type = match spec.ip_address_type.as_deref() {
            None | Some("ipv4") => "ipv4".to_owned(),
            Some("ipv6") => "ipv6".to_owned(),
            Some(other) => {
                return Err(invalid(format!("IP address type '{other}' is not valid")));
            }
        };
        let health_check = HealthCheck::defaults(
            &target_type,
            spec.protocol.as_deref(),
            protocol_version.as_deref(),
        )
        .changed(&spec.health_check, &target_type, spec.protocol.as_deref())?;
        Ok(TargetGroup {
            arn,
            name: spec.name.clone(),
            protocol: spec.protocol.clone(),
            protocol_version,
            port: spec.port,
            vpc_id: spec.vpc_id.clone(),
            target_type,
            ip_address_type,
            health_check,
            attributes: Attributes::default(),
            created_millis: now_millis,
        })
    }

    /// Whether a create request with the same name asks for exactly this
    /// group (AWS then returns it instead of failing).
    pub fn matches(&self, spec: &TargetGroupSpec) -> bool {
        TargetGroup::create(self.arn.clone(), spec, self.created_millis)
            .map(|candidate| TargetGroup {
                attributes: self.attributes.clone(),
                ..candidate
            })
            .is_ok_and(|candidate| &candidate == self)
    }

    /// ModifyTargetGroup: new health-check settings, validated as a whole.
    pub fn modify_health_check(&mut self, change: &HealthCheckChange) -> Result<(), Error> {
        self.health_check =
            self.health_check
                .changed(change, &self.target_type, self.protocol.as_deref())?;
        Ok(())
    }
}

impl HealthCheck {
    /// AWS's defaults for a group of this type, protocol and version.
    pub fn defaults(target_type: &str, protocol: Option<&str>, version: Option<&str>) -> Self {
        if target_type == "lambda" {
            return HealthCheck {
                enabled: false,
                protocol: None,
                port: "traffic-port".to_owned(),
                path: Some("/".to_owned()),
                interval_seconds: 35,
                timeout_seconds: 30,
                healthy_threshold: 5,
                unhealthy_threshold: 2,
                matcher: Some(Matcher {
                    http_code: Some("200".to_owned()),
                    grpc_code: None,
                }),
            };
        }
        if is_http(protocol) {
            let grpc = version == Some("GRPC");
            return HealthCheck {
                enabled: true,
                protocol: protocol.map(str::to_owned),
                port: "traffic-port".to_owned(),
                path: Some(if grpc { "/AWS.ALB/healthcheck" } else { "/" }.to_owned()),
                interval_seconds: 30,
                timeout_seconds: 5,
                healthy_threshold: 5,
                unhealthy_threshold: 2,
                matcher: Some(if grpc {
                    Matcher {
                        http_code: None,
                        grpc_code: Some("12".to_owned()),
                    }
                } else {
                    Matcher {
                        http_code: Some("200".to_owned()),
                        grpc_code: None,
                    }
                }),
            };
        }
        HealthCheck {
            enabled: true,
            protocol: Some("TCP".to_owned()),
            port: "traffic-port".to_owned(),
            path: None,
            interval_seconds: 30,
            timeout_seconds: 10,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: None,
        }
    }

    /// These settings with `change` applied, checked against AWS's ranges.
    pub fn changed(
        &self,
        change: &HealthCheckChange,
        target_type: &str,
        protocol: Option<&str>,
    ) -> Result<HealthCheck, Error> {
        let mut next = self.clone();
        if let Some(enabled) = change.enabled {
            if !enabled && matches!(target_type, "instance" | "ip") {
                return Err(invalid(format!(
                    "Health checks cannot be disabled for target groups with target type '{target_type}'"
                )));
            }
            next.enabled = enabled;
        }
        if let Some(p) = &change.protocol {
            if !matches!(p.as_str(), "HTTP" | "HTTPS" | "TCP") {
                return Err(invalid(format!(
                    "Health check protocol '{p}' is not supported"
                )));
            }
            if is_http(protocol) && p == "TCP" {
                return Err(invalid(
                    "Health check protocol 'TCP' is not supported for target groups with the 'HTTP' or 'HTTPS' protocol",
                ));
            }
            next.protocol = Some(p.clone());
        }
        if let Some(port) = &change.port {
            let ok = port == "traffic-port"
                || port.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
            if !ok {
                return Err(invalid(format!(
                    "Health check port '{port}' must be 'traffic-port' or a number between 1 and 65535"
                )));
            }
            next.port = port.clone();
        }
        if let Some(path) = &change.path {
            if path.is_empty() || path.len() > 1024 || !path.starts_with('/') {
                return Err(invalid(
                    "Health check path must begin with a '/' and be 1 to 1024 characters long",
                ));
            }
            next.path = Some(path.clone());
        }
        check_range(
            "HealthCheckIntervalSeconds",
            change.interval_seconds,
            5,
            300,
        )?;
        check_range("HealthCheckTimeoutSeconds", change.timeout_seconds, 2, 120)?;
        check_range("HealthyThresholdCount", change.healthy_threshold, 2, 10)?;
        check_range("UnhealthyThresholdCount", change.unhealthy_threshold, 2, 10)?;
        next.interval_seconds = change.interval_seconds.unwrap_or(next.interval_seconds);
        next.timeout_seconds = change.timeout_seconds.unwrap_or(next.timeout_seconds);
        next.healthy_threshold = change.healthy_threshold.unwrap_or(next.healthy_threshold);
        next.unhealthy_threshold = change
            .unhealthy_threshold
            .unwrap_or(next.unhealthy_threshold);
        if next.timeout_seconds >= next.interval_seconds {
            return Err(invalid(format!(
                "Health check timeout '{}' must be smaller than the interval '{}'",
                next.timeout_seconds, next.interval_seconds
            )));
        }
        if let Some(matcher) = &change.matcher {
            if let Some(codes) = &matcher.http_code {
                let (lo, hi) = if is_http(protocol) {
                    (200, 499)
                } else {
                    (200, 599)
                };
                parse_codes(codes, lo, hi)?;
            }
            if let Some(codes) = &matcher.grpc_code {
                parse_codes(codes, 0, 99)?;
            }
            next.matcher = Some(matcher.clone());
        }
        Ok(next)
    }
}

fn check_range(member: &str, value: Option<u32>, lo: u32, hi: u32) -> Result<(), Error> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) => Err(invalid(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must have value {}",
            lower_first(member),
            if v < lo {
                format!("greater than or equal to {lo}")
            } else {
                format!("less than or equal to {hi}")
            }
        ))),
        _ => Ok(()),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Parses a matcher such as `200`, `200,202` or `200-299` into ranges,
/// each inside `lo..=hi`.
pub fn parse_codes(codes: &str, lo: u16, hi: u16) -> Result<Vec<(u16, u16)>, Error> {
    let bad = || {
        invalid(format!(
            "Health check matcher HTTP code '{codes}' must be within '{lo}-{hi}'"
        ))
    };
    codes
        .split(',')
        .map(|part| {
            let part = part.trim();
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let a: u16 = a.trim().parse().map_err(|_| bad())?;
            let b: u16 = b.trim().parse().map_err(|_| bad())?;
            if a > b || a < lo || b > hi {
                return Err(bad());
            }
            Ok((a, b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> TargetGroupSpec {
        TargetGroupSpec {
            name: name.into(),
            protocol: Some("HTTP".into()),
            port: Some(80),
            vpc_id: Some("vpc-1".into()),
            ..TargetGroupSpec::default()
        }
    }

    #[test]
    fn http_defaults_match_aws() {
        let tg = TargetGroup::create("arn".into(), &spec("web"), 0).unwrap();
        let hc = &tg.health_check;
        assert_eq!(
            (
                hc.interval_seconds,
                hc.timeout_seconds,
                hc.healthy_threshold,
                hc.unhealthy_threshold
            ),
            (30, 5, 5, 2)
        );
        assert_eq!(hc.port, "traffic-port");
        assert_eq!(hc.path.as_deref(), Some("/"));
        assert_eq!(
            hc.matcher.as_ref().and_then(|m| m.http_code.as_deref()),
            Some("200")
        );
        assert_eq!(tg.target_type, "instance");
        assert_eq!(tg.protocol_version.as_deref(), Some("HTTP1"));
    }

    #[test]
    fn names() {
        assert!(validate_name("web-1").is_ok());
        assert!(validate_name("-web").is_err());
        assert!(validate_name("web-").is_err());
        assert!(validate_name("we_b").is_err());
        assert!(validate_name(&"a".repeat(33)).is_err());
    }

    #[test]
    fn ranges() {
        let mut s = spec("web");
        s.health_check.interval_seconds = Some(4);
        assert!(TargetGroup::create("a".into(), &s, 0).is_err());
        let mut s = spec("web");
        s.health_check.timeout_seconds = Some(30);
        assert!(
            TargetGroup::create("a".into(), &s, 0).is_err(),
            "timeout must be below interval"
        );
        let mut s = spec("web");
        s.health_check.matcher = Some(Matcher {
            http_code: Some("200-299,302".into()),
            grpc_code: None,
        });
        assert!(TargetGroup::create("a".into(), &s, 0).is_ok());
        s.health_check.matcher = Some(Matcher {
            http_code: Some("600".into()),
            grpc_code: None,
        });
        assert!(TargetGroup::create("a".into(), &s, 0).is_err());
    }

    #[test]
    fn instance_targets_need_protocol_port_and_vpc() {
        let mut s = spec("web");
        s.vpc_id = None;
        assert!(TargetGroup::create("a".into(), &s, 0).is_err());
    }

    #[test]
    fn identical_specs_match() {
        let tg = TargetGroup::create("a".into(), &spec("web"), 5).unwrap();
        assert!(tg.matches(&spec("web")));
        let mut other = spec("web");
        other.port = Some(81);
        assert!(!tg.matches(&other));
    }

    #[test]
    fn codes() {
        assert_eq!(
            parse_codes("200,202-204", 200, 499).unwrap(),
            [(200, 200), (202, 204)]
        );
        assert!(parse_codes("abc", 200, 499).is_err());
        assert!(parse_codes("300-200", 200, 499).is_err());
    }
}
