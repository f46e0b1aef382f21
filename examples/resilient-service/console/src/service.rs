//! The deployed service as the later steps need it, found by name.

use anyhow::Context;

use crate::clients::Clients;
use crate::names;

/// Where the service answers, and the target group behind it.
#[derive(Debug, Clone)]
pub struct Service {
    /// The load balancer's DNS name.
    pub endpoint: String,
    pub target_group_arn: String,
}

impl Service {
    /// The service `deploy` made, by its names.
    pub async fn find(clients: &Clients) -> anyhow::Result<Service> {
        let lbs = clients
            .elb
            .describe_load_balancers()
            .names(names::LOAD_BALANCER)
            .send()
            .await
            .context("the load balancer was not found; run deploy first")?;
        let endpoint = lbs
            .load_balancers()
            .first()
            .and_then(|lb| lb.dns_name())
            .context("the load balancer has no DNS name")?
            .to_owned();
        let groups = clients
            .elb
            .describe_target_groups()
            .names(names::TARGET_GROUP)
            .send()
            .await
            .context("the target group was not found; run deploy first")?;
        let target_group_arn = groups
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .context("the target group has no ARN")?
            .to_owned();
        Ok(Service {
            endpoint,
            target_group_arn,
        })
    }
}
