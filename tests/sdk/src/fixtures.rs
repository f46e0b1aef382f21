//! Ballast's fixed world and the setup many tests share.
//!
//! The default VPC, its subnets, its `default` security group and the image
//! catalogue have the same ids on every `ballast up`, so tests name them
//! directly, as a runbook written for one AWS account would.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ec2::types::{Filter, IamInstanceProfileSpecification, InstanceStateName, Tag};

use crate::{Ballast, eventually};

/// The Amazon Linux 2023 image in Ballast's catalogue (IMDSv2 only by default).
pub const AL2023: &str = "ami-0ba11a5700a023086";
/// The public SSM parameter that resolves to [`AL2023`].
pub const AL2023_PARAMETER: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
/// The default VPC.
pub const VPC: &str = "vpc-0ba11a57000000000";
/// The default subnet of the region's first zone.
pub const SUBNET_A: &str = "subnet-0ba11a57000000001";
/// The default VPC's `default` security group.
pub const DEFAULT_SG: &str = "sg-0ba11a57000000000";

/// A trust policy that lets EC2 instances assume the role.
pub const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A new launch template of [`AL2023`] on `t3.micro`, the one most Auto
/// Scaling tests launch from: its (unique) name.
pub async fn al2023_template(ec2: &aws_sdk_ec2::Client) -> String {
    let name = crate::unique("lt");
    ec2.create_launch_template()
        .launch_template_name(&name)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(AL2023)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    name
}

/// An Auto Scaling group as DescribeAutoScalingGroups shows it, and how
/// many of its instances are `InService`.
pub async fn group_in_service(
    asg: &aws_sdk_autoscaling::Client,
    name: &str,
) -> (aws_sdk_autoscaling::types::AutoScalingGroup, usize) {
    let group = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("DescribeAutoScalingGroups")
        .auto_scaling_groups()
        .first()
        .cloned()
        .expect("the group");
    let in_service = group
        .instances()
        .iter()
        .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
        .count();
    (group, in_service)
}

/// An EC2 `Describe*` filter.
pub fn filter(name: &str, values: &[&str]) -> Filter {
    values
        .iter()
        .fold(Filter::builder().name(name), |f, v| f.values(*v))
        .build()
}

/// An EC2 tag.
pub fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// Creates a role instances may assume, with `policy` inline when given, and
/// an instance profile of the same name holding it.
pub async fn role_with_profile(iam: &aws_sdk_iam::Client, name: &str, policy: Option<&str>) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .expect("CreateRole");
    if let Some(policy) = policy {
        iam.put_role_policy()
            .role_name(name)
            .policy_name("inline")
            .policy_document(policy)
            .send()
            .await
            .expect("PutRolePolicy");
    }
    iam.create_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
        .expect("CreateInstanceProfile");
    iam.add_role_to_instance_profile()
        .instance_profile_name(name)
        .role_name(name)
        .send()
        .await
        .expect("AddRoleToInstanceProfile");
}

/// What an instance's metadata service answers on `path`, asked from
/// outside with an IMDSv2 token: the status and the body.
pub async fn metadata(address: &str, path: &str) -> (u16, String) {
    let http = reqwest::Client::new();
    let base = format!("http://{address}:8169");
    let token = http
        .put(format!("{base}/latest/api/token"))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "300")
        .send()
        .await
        .expect("PUT /latest/api/token")
        .text()
        .await
        .expect("token body");
    let response = http
        .get(format!("{base}{path}"))
        .header("x-aws-ec2-metadata-token", token)
        .send()
        .await
        .expect("GET metadata");
    let status = response.status().as_u16();
    (status, response.text().await.expect("metadata body"))
}

/// An SDK configuration holding the credentials an instance gets from its
/// metadata service: launches an instance whose role, named `role`, has
/// `policy` as its only policy, waits for it to run, and reads its role
/// credentials. Returns the instance's id too, for the test to use or
/// terminate.
pub async fn config_as_instance(
    ballast: &Ballast,
    role: &str,
    policy: &str,
) -> (SdkConfig, String) {
    role_with_profile(&ballast.iam(), role, Some(policy)).await;
    let ec2 = ballast.ec2();
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name(role)
                .build(),
        )
        .send()
        .await
        .expect("RunInstances with a profile");
    let instance = &launched.instances()[0];
    let id = instance.instance_id().expect("instance id").to_owned();
    let address = instance
        .private_ip_address()
        .expect("private address")
        .to_owned();
    eventually("the instance to run", Duration::from_secs(20), || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .ok()?;
        let state = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        (state == InstanceStateName::Running).then_some(())
    })
    .await;
    let path = format!("/latest/meta-data/iam/security-credentials/{role}");
    let (_, body) = metadata(&address, &path).await;
    let doc: serde_json::Value = serde_json::from_str(&body).expect("credentials document");
    let field = |name: &str| doc[name].as_str().expect("credential field").to_owned();
    let credentials = Credentials::new(
        field("AccessKeyId"),
        field("SecretAccessKey"),
        Some(field("Token")),
        None,
        "imds",
    );
    let config = ballast
        .config()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    (config, id)
}

/// A load balancer named `name` in the default subnets of zones a and b
/// (and c with `three_zones`), with an HTTP listener on port 80 forwarding
/// to `target_group_arn`; returns it as CreateLoadBalancer described it.
pub async fn alb_forwarding_to(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    name: &str,
    target_group_arn: &str,
    three_zones: bool,
) -> aws_sdk_elasticloadbalancingv2::types::LoadBalancer {
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
    let zones: &[&str] = if three_zones {
        &["a", "b", "c"]
    } else {
        &["a", "b"]
    };
    let mut create = elb.create_load_balancer().name(name);
    for zone in zones {
        create = create.subnets(format!("subnet-0ba11a570000000{zone}"));
    }
    let created = create.send().await.expect("CreateLoadBalancer");
    let lb = created.load_balancers()[0].clone();
    elb.create_listener()
        .load_balancer_arn(lb.load_balancer_arn().expect("arn"))
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(target_group_arn)
                .build(),
        )
        .send()
        .await
        .expect("CreateListener");
    lb
}
