//! Elastic Load Balancing v2: resources are named by the ARNs the request
//! carries, so a policy scoped to one target group (seed 004's) allows
//! RegisterTargets on it and nothing else.

use ballast_core::tags::Tag;
use serde::Deserialize;

use super::{Access, Names, Resource, Unnamed, pairs};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    name: Option<String>,
    #[serde(rename = "Type")]
    load_balancer_type: Option<String>,
    load_balancer_arn: Option<String>,
    target_group_arn: Option<String>,
    listener_arn: Option<String>,
    rule_arn: Option<String>,
    resource_arns: Option<Vec<String>>,
    rule_priorities: Option<Vec<RulePriority>>,
    tags: Option<Vec<Tag>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RulePriority {
    rule_arn: Option<String>,
}

/// (`Describe*` calls are decided on `*`.) CreateLoadBalancer and
/// CreateTargetGroup on the ARN they create (`…/NAME/*`: its id is not
/// known yet); every other call on the load balancer, listener, rule and
/// target group ARNs it names, with their tags. `Tags` (on the Create
/// calls and AddTags) are the request's tags.
pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let operation = names.operation();
    let params: Params = names.params()?;
    let request_tags = params.tags.as_deref().map(pairs).unwrap_or_default();
    let prefix = format!(
        "arn:aws:elasticloadbalancing:{}:{}:",
        names.region(),
        names.account()
    );
    let name = params.name.as_deref().unwrap_or_default();
    let created = match operation {
        "CreateLoadBalancer" => {
            let kind = match params.load_balancer_type.as_deref() {
                Some("network") => "net",
                Some("gateway") => "gwy",
                _ => "app",
            };
            Some(format!("{prefix}loadbalancer/{kind}/{name}/*"))
        }
        "CreateTargetGroup" => Some(format!("{prefix}targetgroup/{name}/*")),
        _ => None,
    };
    if let Some(arn) = created {
        return Ok(Access::on(vec![Resource::untagged(arn)]).with_request_tags(request_tags));
    }
    let arns = [
        params.load_balancer_arn,
        params.listener_arn,
        params.rule_arn,
        params.target_group_arn,
    ]
    .into_iter()
    .flatten()
    .chain(params.resource_arns.into_iter().flatten())
    .chain(
        params
            .rule_priorities
            .into_iter()
            .flatten()
            .filter_map(|p| p.rule_arn),
    );
    let resources = arns
        .map(|arn| Resource::tagged(names.tx, arn.clone(), &arn))
        .collect::<Result<_, _>>()?;
    Ok(Access::on(resources).with_request_tags(request_tags))
}
