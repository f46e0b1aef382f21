//! `deploy`: the table and its data, the key pair, the instance role, the
//! launch template, the Auto Scaling group, the load balancer, and the
//! parameters the recommender reads, in the seed's order.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use base64::Engine as _;

use crate::clients::Clients;
use crate::names;
use crate::progress::{rule, wait_for};
use crate::service::Service;

/// The recommendations the table starts with.
const RECOMMENDATIONS: &str = include_str!("../resources/recommendations.json");

/// What the instance role may do: read the table, read the parameters.
fn instance_policy(table_arn: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:DescribeTable"],
                "Resource": table_arn,
            },
            {
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                "Resource": "*",
            },
        ],
    })
    .to_string()
}

/// Lets EC2 instances assume a role.
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The shell lines that start the recommender in the background, on
/// port 80 of every address (of the instance's own address on Ballast's
/// process runtime, where instances share the host's network).
pub fn start_lines(recommender: &Path) -> String {
    let path = recommender.to_string_lossy().replace('\'', r"'\''");
    format!(
        "listen=\"${{BALLAST_PRIVATE_IP:-0.0.0.0}}:80\"\n\
         nohup '{path}' --listen \"$listen\" >\"${{HOME:-/tmp}}/recommender.log\" 2>&1 &\n"
    )
}

/// The recommender as instances get it.
#[derive(Debug, Clone)]
pub struct Recommender {
    /// Where it is on the instance.
    pub path: PathBuf,
    /// Where the instance downloads it from at first boot (on AWS);
    /// `None` when `path` is already there (on Ballast, whose instances
    /// see this machine's files).
    pub url: Option<String>,
}

impl Recommender {
    /// Where a downloaded recommender goes.
    pub const INSTALLED: &str = "/usr/local/bin/recommender";
}

/// The user data: fetch the recommender if it has to be, then start it.
pub fn user_data(recommender: &Recommender) -> String {
    let mut script = String::from("#!/bin/bash\n");
    if let Some(url) = &recommender.url {
        let url = url.replace('\'', r"'\''");
        let path = recommender.path.to_string_lossy();
        script.push_str(&format!(
            "curl -fsSL --retry 5 '{url}' -o '{path}'\nchmod +x '{path}'\n"
        ));
    }
    script.push_str(&start_lines(&recommender.path));
    script
}

/// Runs every step of the deployment.
pub async fn run(
    clients: &Clients,
    recommender: &Recommender,
    work_dir: &Path,
) -> anyhow::Result<Service> {
    rule();
    println!("Deploying a recommendation service on three instances behind a load balancer.");
    rule();
    table(clients).await?;
    key_pair(clients, work_dir).await?;
    let table_arn = clients
        .dynamodb
        .describe_table()
        .table_name(names::TABLE)
        .send()
        .await?
        .table()
        .and_then(|t| t.table_arn())
        .context("the table has no ARN")?
        .to_owned();
    create_identity(clients, names::INSTANCE, instance_policy(&table_arn)).await?;
    launch_template(clients, recommender).await?;
    let zones = group(clients).await?;
    let deployed = load_balancer(clients, &zones).await?;
    parameters(clients).await?;
    rule();
    println!("The service answers at http://{}", deployed.endpoint);
    Ok(deployed)
}

async fn table(clients: &Clients) -> anyhow::Result<()> {
    println!(
        "Creating the table {} that recommendations come from.",
        names::TABLE
    );
    let attribute = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    clients
        .dynamodb
        .create_table()
        .table_name(names::TABLE)
        .attribute_definitions(attribute("MediaType", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("ItemId", ScalarAttributeType::N)?)
        .key_schema(key("MediaType", KeyType::Hash)?)
        .key_schema(key("ItemId", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .context("CreateTable")?;
    wait_for(
        "the table to be active",
        Duration::from_secs(120),
        Duration::from_millis(250),
        || async {
            let out = clients
                .dynamodb
                .describe_table()
                .table_name(names::TABLE)
                .send()
                .await
                .ok()?;
            (out.table()?.table_status()?.as_str() == "ACTIVE").then_some(())
        },
    )
    .await?;
    let items: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(RECOMMENDATIONS).context("reading the recommendations")?;
    let mut writes = Vec::new();
    for item in items {
        let mut put = PutRequest::builder();
        for (name, value) in item {
            let value = match value {
                serde_json::Value::Number(n) => AttributeValue::N(n.to_string()),
                serde_json::Value::String(s) => AttributeValue::S(s),
                other => AttributeValue::S(other.to_string()),
            };
            put = put.item(name, value);
        }
        writes.push(WriteRequest::builder().put_request(put.build()?).build());
    }
    for chunk in writes.chunks(25) {
        clients
            .dynamodb
            .batch_write_item()
            .request_items(names::TABLE, chunk.to_vec())
            .send()
            .await
            .context("BatchWriteItem")?;
    }
    println!("Filled it with {} recommendations.", writes.len());
    Ok(())
}

async fn key_pair(clients: &Clients, work_dir: &Path) -> anyhow::Result<()> {
    let out = clients
        .ec2
        .create_key_pair()
        .key_name(names::KEY_PAIR)
        .send()
        .await
        .context("CreateKeyPair")?;
    let path = work_dir.join(format!("{}.pem", names::KEY_PAIR));
    std::fs::write(&path, out.key_material().unwrap_or_default())
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    println!(
        "Created the key pair {} ({}).",
        names::KEY_PAIR,
        path.display()
    );
    Ok(())
}

/// Creates `identity`'s policy from `document`, its role (which EC2 may
/// assume, with Run Command's managed policy too) and its profile.
pub async fn create_identity(
    clients: &Clients,
    identity: names::Identity,
    document: String,
) -> anyhow::Result<()> {
    let policy_arn = clients
        .iam
        .create_policy()
        .policy_name(identity.policy)
        .policy_document(document)
        .send()
        .await
        .context("CreatePolicy")?
        .policy()
        .and_then(|p| p.arn())
        .context("the policy has no ARN")?
        .to_owned();
    clients
        .iam
        .create_role()
        .role_name(identity.role)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .context("CreateRole")?;
    for arn in [policy_arn.as_str(), names::MANAGED_INSTANCE_CORE] {
        clients
            .iam
            .attach_role_policy()
            .role_name(identity.role)
            .policy_arn(arn)
            .send()
            .await
            .context("AttachRolePolicy")?;
    }
    clients
        .iam
        .create_instance_profile()
        .instance_profile_name(identity.profile)
        .send()
        .await
        .context("CreateInstanceProfile")?;
    clients
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name(identity.profile)
        .role_name(identity.role)
        .send()
        .await
        .context("AddRoleToInstanceProfile")?;
    println!(
        "Created the role {} with the policy {} and the instance profile {}.",
        identity.role, identity.policy, identity.profile
    );
    Ok(())
}

async fn launch_template(clients: &Clients, recommender: &Recommender) -> anyhow::Result<()> {
    use aws_sdk_ec2::types::{
        InstanceType, LaunchTemplateIamInstanceProfileSpecificationRequest,
        RequestLaunchTemplateData,
    };
    let image = clients
        .ssm
        .get_parameter()
        .name(names::AMI_PARAMETER)
        .send()
        .await
        .context("GetParameter for the image")?
        .parameter()
        .and_then(|p| p.value())
        .context("the image parameter has no value")?
        .to_owned();
    let data = RequestLaunchTemplateData::builder()
        .image_id(&image)
        .instance_type(InstanceType::T3Micro)
        .key_name(names::KEY_PAIR)
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .name(names::INSTANCE.profile)
                .build(),
        )
        .user_data(base64::engine::general_purpose::STANDARD.encode(user_data(recommender)))
        .build();
    clients
        .ec2
        .create_launch_template()
        .launch_template_name(names::LAUNCH_TEMPLATE)
        .launch_template_data(data)
        .send()
        .await
        .context("CreateLaunchTemplate")?;
    println!(
        "Created the launch template {} for {image} on t3.micro.",
        names::LAUNCH_TEMPLATE
    );
    Ok(())
}

/// The group, across the region's zones; returns the zones.
async fn group(clients: &Clients) -> anyhow::Result<Vec<String>> {
    let zones: Vec<String> = clients
        .ec2
        .describe_availability_zones()
        .send()
        .await
        .context("DescribeAvailabilityZones")?
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name().map(str::to_owned))
        .collect();
    clients
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(names::GROUP)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(names::LAUNCH_TEMPLATE)
                .version("$Default")
                .build(),
        )
        .set_availability_zones(Some(zones.clone()))
        .min_size(names::GROUP_SIZE)
        .max_size(names::GROUP_SIZE)
        .send()
        .await
        .context("CreateAutoScalingGroup")?;
    println!(
        "Created the Auto Scaling group {} across {zones:?}.",
        names::GROUP
    );
    Ok(zones)
}

async fn load_balancer(clients: &Clients, zones: &[String]) -> anyhow::Result<Service> {
    use aws_sdk_ec2::types::Filter;
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
    let filter = |name: &str, values: Vec<String>| {
        Filter::builder()
            .name(name)
            .set_values(Some(values))
            .build()
    };
    let vpc = clients
        .ec2
        .describe_vpcs()
        .filters(filter("is-default", vec!["true".to_owned()]))
        .send()
        .await
        .context("DescribeVpcs")?
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .context("there is no default VPC")?
        .to_owned();
    let subnets: Vec<String> = clients
        .ec2
        .describe_subnets()
        .filters(filter("vpc-id", vec![vpc.clone()]))
        .filters(filter("availability-zone", zones.to_vec()))
        .filters(filter("default-for-az", vec!["true".to_owned()]))
        .send()
        .await
        .context("DescribeSubnets")?
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_id().map(str::to_owned))
        .collect();
    let target_group = clients
        .elb
        .create_target_group()
        .name(names::TARGET_GROUP)
        .protocol(ProtocolEnum::Http)
        .port(names::PORT)
        .health_check_path("/healthcheck")
        .health_check_interval_seconds(10)
        .health_check_timeout_seconds(5)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(2)
        .vpc_id(&vpc)
        .send()
        .await
        .context("CreateTargetGroup")?;
    let target_group_arn = target_group
        .target_groups()
        .first()
        .and_then(|t| t.target_group_arn())
        .context("no target group ARN")?
        .to_owned();
    let lb = clients
        .elb
        .create_load_balancer()
        .name(names::LOAD_BALANCER)
        .set_subnets(Some(subnets))
        .send()
        .await
        .context("CreateLoadBalancer")?;
    let lb = lb.load_balancers().first().context("no load balancer")?;
    let lb_arn = lb
        .load_balancer_arn()
        .context("no load balancer ARN")?
        .to_owned();
    let endpoint = lb.dns_name().context("no DNS name")?.to_owned();
    wait_for(
        "the load balancer to be active",
        Duration::from_secs(300),
        Duration::from_millis(500),
        || async {
            let out = clients
                .elb
                .describe_load_balancers()
                .load_balancer_arns(&lb_arn)
                .send()
                .await
                .ok()?;
            let state = out
                .load_balancers()
                .first()?
                .state()?
                .code()?
                .as_str()
                .to_owned();
            (state == "active").then_some(())
        },
    )
    .await?;
    clients
        .elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(names::PORT)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&target_group_arn)
                .build(),
        )
        .send()
        .await
        .context("CreateListener")?;
    clients
        .autoscaling
        .attach_load_balancer_target_groups()
        .auto_scaling_group_name(names::GROUP)
        .target_group_arns(&target_group_arn)
        .send()
        .await
        .context("AttachLoadBalancerTargetGroups")?;
    println!(
        "Created the target group {}, the load balancer {} and its listener, and attached the group.",
        names::TARGET_GROUP,
        names::LOAD_BALANCER
    );
    Ok(Service {
        endpoint,
        target_group_arn,
    })
}

/// The parameters' starting values: the real table, no fallback, shallow
/// health checks.
async fn parameters(clients: &Clients) -> anyhow::Result<()> {
    use recommender::settings;
    for (name, value) in [
        (settings::TABLE, names::TABLE),
        (settings::FAILURE_RESPONSE, "none"),
        (settings::HEALTH_CHECK, "shallow"),
    ] {
        clients.set_parameter(name, value).await?;
    }
    println!("Set the service's parameters to their starting values.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_starts_a_local_recommender() {
        let script = user_data(&Recommender {
            path: PathBuf::from("/opt/it's/recommender"),
            url: None,
        });
        assert!(script.starts_with("#!/bin/bash\n"));
        assert!(!script.contains("curl"));
        assert!(
            script.contains(r"nohup '/opt/it'\''s/recommender' --listen"),
            "{script}"
        );
    }

    #[test]
    fn user_data_downloads_the_recommender_first_on_aws() {
        let script = user_data(&Recommender {
            path: PathBuf::from(Recommender::INSTALLED),
            url: Some("https://example.com/recommender".to_owned()),
        });
        let fetch = script.find("curl -fsSL").expect("a download");
        let start = script
            .find("nohup '/usr/local/bin/recommender'")
            .expect("a start");
        assert!(fetch < start, "{script}");
    }
}
