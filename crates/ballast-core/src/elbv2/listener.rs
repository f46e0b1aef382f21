//! Listeners and the actions their rules take.

use serde::{Deserialize, Serialize};

use super::{Error, invalid};

/// A listener as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub arn: String,
    pub load_balancer_arn: String,
    pub port: u16,
    pub protocol: String,
    pub default_actions: Vec<Action>,
    /// The ARN of the listener's default rule, which DescribeRules lists.
    pub default_rule_arn: String,
}

/// What a rule does with a request that matches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Forward to one or more weighted target groups.
    Forward(ForwardConfig),
    /// Answer directly.
    FixedResponse(FixedResponse),
    /// Redirect the client.
    Redirect(Redirect),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardConfig {
    pub target_groups: Vec<WeightedTargetGroup>,
    pub stickiness_enabled: bool,
    pub stickiness_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedTargetGroup {
    pub arn: String,
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedResponse {
    pub status_code: u16,
    pub content_type: Option<String>,
    pub body: Option<String>,
}

/// Redirect components; `#{host}`, `#{path}`, `#{port}`, `#{query}` and
/// `#{protocol}` refer to the request's own values, as on AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub protocol: String,
    pub port: String,
    pub host: String,
    pub path: String,
    pub query: String,
    /// 301 or 302.
    pub status_code: u16,
}

impl Action {
    /// The target groups this action can send traffic to.
    pub fn target_group_arns(&self) -> impl Iterator<Item = &str> {
        let groups = match self {
            Action::Forward(forward) => forward.target_groups.as_slice(),
            _ => &[],
        };
        groups.iter().map(|g| g.arn.as_str())
    }

    /// A fixed response, checked as AWS checks it.
    pub fn fixed_response(
        status_code: &str,
        content_type: Option<String>,
        body: Option<String>,
    ) -> Result<Action, Error> {
        let status = status_code
            .parse::<u16>()
            .ok()
            .filter(|s| (200..=599).contains(s) && !(300..400).contains(s))
            .ok_or_else(|| {
                invalid(format!(
                    "Fixed-response status code '{status_code}' must be 2XX, 4XX or 5XX"
                ))
            })?;
        if let Some(ct) = &content_type {
            const ALLOWED: &[&str] = &[
                "text/plain",
                "text/css",
                "text/html",
                "application/javascript",
                "application/json",
            ];
            if !ALLOWED.contains(&ct.as_str()) {
                return Err(invalid(format!(
                    "Fixed-response content type '{ct}' is not valid"
                )));
            }
        }
        if body.as_ref().is_some_and(|b| b.len() > 1024) {
            return Err(invalid(
                "Fixed-response message body must be at most 1024 characters",
            ));
        }
        Ok(Action::FixedResponse(FixedResponse {
            status_code: status,
            content_type,
            body,
        }))
    }

    /// A redirect, with AWS's defaults for omitted components.
    pub fn redirect(
        protocol: Option<String>,
        port: Option<String>,
        host: Option<String>,
        path: Option<String>,
        query: Option<String>,
        status_code: &str,
    ) -> Result<Action, Error> {
        let status_code = match status_code {
            "HTTP_301" => 301,
            "HTTP_302" => 302,
            other => {
                return Err(invalid(format!(
                    "Redirect status code '{other}' must be HTTP_301 or HTTP_302"
                )));
            }
        };
        let redirect = Redirect {
            protocol: protocol.unwrap_or_else(|| "#{protocol}".to_owned()),
            port: port.unwrap_or_else(|| "#{port}".to_owned()),
            host: host.unwrap_or_else(|| "#{host}".to_owned()),
            path: path.unwrap_or_else(|| "/#{path}".to_owned()),
            query: query.unwrap_or_else(|| "#{query}".to_owned()),
            status_code,
        };
        if !matches!(redirect.protocol.as_str(), "HTTP" | "HTTPS" | "#{protocol}") {
            return Err(invalid(
                "Redirect protocol must be HTTP, HTTPS or #{protocol}",
            ));
        }
        if !redirect.path.starts_with('/') {
            return Err(invalid("Redirect path must start with a '/'"));
        }
        Ok(Action::Redirect(redirect))
    }

    /// A forward to target groups with weights (0–999; at least one above 0
    /// when several are given).
    pub fn forward(
        groups: Vec<WeightedTargetGroup>,
        stickiness: Option<(bool, u32)>,
    ) -> Result<Action, Error> {
        if groups.is_empty() {
            return Err(invalid(
                "A forward action must name at least one target group",
            ));
        }
        if groups.len() > 5 {
            return Err(invalid("A forward action can name at most 5 target groups"));
        }
        if groups.iter().any(|g| g.weight > 999) {
            return Err(invalid("Target group weights must be between 0 and 999"));
        }
        let (enabled, seconds) = stickiness.unwrap_or((false, 3600));
        Ok(Action::Forward(ForwardConfig {
            target_groups: groups,
            stickiness_enabled: enabled,
            stickiness_seconds: seconds,
        }))
    }
}

/// Checks an action list: exactly one terminal action (forward,
/// fixed-response or redirect), as ALB allows without authentication.
pub fn validate_actions(actions: &[Action]) -> Result<(), Error> {
    match actions.len() {
        0 => Err(invalid("At least one action must be specified")),
        1 => Ok(()),
        _ => Err(Error::InvalidLoadBalancerAction(
            "Only one forward, fixed-response or redirect action can be specified".to_owned(),
        )),
    }
}

/// Resolves `#{...}` placeholders of a redirect against a request.
pub fn redirect_location(
    redirect: &Redirect,
    request_host: &str,
    request_port: u16,
    request_path: &str,
    request_query: Option<&str>,
) -> String {
    let fill = |template: &str| {
        template
            .replace("#{protocol}", "http")
            .replace("#{host}", request_host)
            .replace("#{port}", &request_port.to_string())
            .replace("#{path}", request_path.trim_start_matches('/'))
            .replace("#{query}", request_query.unwrap_or(""))
    };
    let scheme = fill(&redirect.protocol).to_ascii_lowercase();
    let port = fill(&redirect.port);
    let default_port = if scheme == "https" { "443" } else { "80" };
    let authority = if port == default_port {
        fill(&redirect.host)
    } else {
        format!("{}:{port}", fill(&redirect.host))
    };
    let query = fill(&redirect.query);
    let mut location = format!("{scheme}://{authority}{}", fill(&redirect.path));
    if !query.is_empty() {
        location.push('?');
        location.push_str(&query);
    }
    location
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_fill_placeholders() {
        let Action::Redirect(r) = Action::redirect(
            Some("HTTPS".into()),
            Some("443".into()),
            None,
            None,
            None,
            "HTTP_301",
        )
        .unwrap() else {
            panic!("not a redirect")
        };
        assert_eq!(
            redirect_location(&r, "example.test", 80, "/a/b", Some("x=1")),
            "https://example.test/a/b?x=1"
        );
    }

    #[test]
    fn fixed_response_rules() {
        assert!(Action::fixed_response("200", Some("text/plain".into()), None).is_ok());
        assert!(Action::fixed_response("302", None, None).is_err());
        assert!(Action::fixed_response("200", Some("image/png".into()), None).is_err());
    }

    #[test]
    fn forward_rules() {
        assert!(Action::forward(vec![], None).is_err());
        let g = |w| WeightedTargetGroup {
            arn: "a".into(),
            weight: w,
        };
        assert!(Action::forward(vec![g(1000)], None).is_err());
        assert!(Action::forward(vec![g(1)], None).is_ok());
    }
}
