//! What the user would look at: a GET through the load balancer, and the
//! targets' health; and the checks `--non-interactive` makes of them.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Context;

use crate::clients::Clients;
use crate::progress::wait_for;

/// One GET of the endpoint: the status and the body (JSON if it is).
pub async fn get(endpoint: &str) -> anyhow::Result<(u16, serde_json::Value)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let response = client
        .get(format!("http://{endpoint}/"))
        .send()
        .await
        .with_context(|| format!("GET http://{endpoint}/"))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    Ok((status, body))
}

/// Each target's id, state and reason, as DescribeTargetHealth reports.
pub async fn target_health(
    clients: &Clients,
    target_group_arn: &str,
) -> anyhow::Result<Vec<(String, String, Option<String>)>> {
    let out = clients
        .elb
        .describe_target_health()
        .target_group_arn(target_group_arn)
        .send()
        .await
        .context("DescribeTargetHealth")?;
    Ok(out
        .target_health_descriptions()
        .iter()
        .map(|d| {
            let health = d.target_health();
            (
                d.target()
                    .and_then(|t| t.id())
                    .unwrap_or_default()
                    .to_owned(),
                health
                    .and_then(|h| h.state())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                health
                    .and_then(|h| h.reason())
                    .map(|r| r.as_str().to_owned()),
            )
        })
        .collect())
}

/// Waits until the targets' health, as DescribeTargetHealth reports it, is
/// as `accept` wants: up to ten minutes, which a replacement instance may
/// take on AWS.
pub async fn targets_become(
    clients: &Clients,
    target_group_arn: &str,
    what: &str,
    accept: impl Fn(&[(String, String, Option<String>)]) -> bool,
) -> anyhow::Result<()> {
    wait_for(
        what,
        Duration::from_secs(600),
        Duration::from_millis(300),
        || async {
            let targets = target_health(clients, target_group_arn).await.ok()?;
            accept(&targets).then_some(())
        },
    )
    .await
}

/// Waits until `count` targets are healthy.
pub async fn healthy_targets(
    clients: &Clients,
    target_group_arn: &str,
    count: usize,
    deadline: Duration,
) -> anyhow::Result<()> {
    wait_for(
        &format!("{count} healthy targets"),
        deadline,
        Duration::from_millis(500),
        || async {
            let targets = target_health(clients, target_group_arn).await.ok()?;
            let healthy = targets
                .iter()
                .filter(|(_, state, _)| state == "healthy")
                .count();
            (healthy == count && targets.len() == count).then_some(())
        },
    )
    .await
}

/// The first stage's promise: every GET answers 200 with a
/// recommendation, and between them all `instances` answer.
pub async fn every_instance_recommends(endpoint: &str, instances: usize) -> anyhow::Result<()> {
    let mut answered = BTreeSet::new();
    for _ in 0..instances * 20 {
        let (status, body) = get(endpoint).await?;
        anyhow::ensure!(status == 200, "GET answered {status}: {body}");
        anyhow::ensure!(
            body.get("Title").is_some(),
            "the answer has no recommendation: {body}"
        );
        if let Some(id) = body["Metadata"]["InstanceId"].as_str() {
            answered.insert(id.to_owned());
        }
        if answered.len() == instances {
            println!("All {instances} instances answered with recommendations: {answered:?}");
            return Ok(());
        }
    }
    anyhow::bail!("only {answered:?} answered, not {instances} instances")
}
