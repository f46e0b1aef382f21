//! Authorization on real resources with aws-sdk-rust, signed with an
//! instance's role credentials: seed 004's policy lets an instance
//! register and deregister itself in its own target group (and wait for
//! `unused`) but not in another, and a Deny scoped to one resource applies
//! in every service (ELBv2, EC2, Auto Scaling, IAM, SSM, DynamoDB) while the
//! same Allow lets the rest through.

use std::time::Duration;

use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use aws_sdk_ec2::types::RequestLaunchTemplateData;
use aws_sdk_elasticloadbalancingv2::types::{TargetDescription, TargetGroupAttribute};
use aws_sdk_ssm::types::ParameterType;
use ballast_sdk_tests::fixtures::{AL2023, TRUST_EC2, VPC, config_as_instance};
use ballast_sdk_tests::{Ballast, error_code, eventually};

const WAIT: Duration = Duration::from_secs(30);

async fn target_group(elbv2: &aws_sdk_elasticloadbalancingv2::Client, name: &str) -> String {
    let arn = elbv2
        .create_target_group()
        .name(name)
        .protocol("HTTP".into())
        .port(80)
        .vpc_id(VPC)
        .send()
        .await
        .expect("CreateTargetGroup")
        .target_groups()[0]
        .target_group_arn()
        .expect("ARN")
        .to_owned();
    // A short drain, so waiting for `unused` ends quickly at the time scale.
    elbv2
        .modify_target_group_attributes()
        .target_group_arn(&arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("20")
                .build(),
        )
        .send()
        .await
        .expect("ModifyTargetGroupAttributes");
    arn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_004_policy_registers_its_instance_in_its_own_group_only() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let elbv2 = ballast.elbv2();
    let apps = target_group(&elbv2, "apps").await;
    let other = target_group(&elbv2, "other").await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"VisualEditor0","Effect":"Allow","Action":["elasticloadbalancing:RegisterTargets","elasticloadbalancing:DeregisterTargets"],"Resource":"{apps}"}},
            {{"Sid":"VisualEditor1","Effect":"Allow","Action":"elasticloadbalancing:DescribeTargetHealth","Resource":"*"}}]}}"#
    );
    let (config, instance) = config_as_instance(&ballast, "app-role", &policy).await;
    let as_instance = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let me = TargetDescription::builder().id(&instance).build();

    as_instance
        .register_targets()
        .target_group_arn(&apps)
        .targets(me.clone())
        .send()
        .await
        .expect("RegisterTargets on its own group");
    as_instance
        .deregister_targets()
        .target_group_arn(&apps)
        .targets(me.clone())
        .send()
        .await
        .expect("DeregisterTargets on its own group");
    // The playbook's wait: DescribeTargetHealth until the target is unused.
    eventually("the target to be unused", WAIT, || async {
        let health = as_instance
            .describe_target_health()
            .target_group_arn(&apps)
            .targets(me.clone())
            .send()
            .await
            .ok()?;
        let state = health.target_health_descriptions()[0]
            .target_health()?
            .state()?
            .as_str()
            .to_owned();
        (state == "unused").then_some(())
    })
    .await;
    as_instance
        .register_targets()
        .target_group_arn(&apps)
        .targets(me.clone())
        .send()
        .await
        .expect("RegisterTargets again");

    let refused = as_instance
        .register_targets()
        .target_group_arn(&other)
        .targets(me)
        .send()
        .await
        .expect_err("RegisterTargets on another group");
    assert_eq!(error_code(&refused), "AccessDenied");
    let registered = |group: &str| {
        let elbv2 = elbv2.clone();
        let group = group.to_owned();
        async move {
            elbv2
                .describe_target_health()
                .target_group_arn(group)
                .send()
                .await
                .expect("DescribeTargetHealth")
                .target_health_descriptions()
                .iter()
                .filter_map(|d| d.target()?.id().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(registered(&apps).await, vec![instance.clone()]);
    assert!(registered(&other).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_scoped_deny_applies_in_every_service() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let (elbv2, ec2, autoscaling) = (ballast.elbv2(), ballast.ec2(), ballast.autoscaling());
    let (iam, ssm) = (ballast.iam(), ballast.ssm());
    let keep_tg = target_group(&elbv2, "keep").await;
    let spare_tg = target_group(&elbv2, "spare").await;
    let mut groups = Vec::new();
    for name in ["keep", "spare"] {
        let created = ec2
            .create_security_group()
            .group_name(name)
            .description(name)
            .send()
            .await
            .expect("CreateSecurityGroup");
        groups.push(created.group_id().expect("group id").to_owned());
    }
    ec2.create_launch_template()
        .launch_template_name("web")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(AL2023)
                .instance_type("t3.micro".into())
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    for name in ["frozen", "free"] {
        autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name("web")
                    .build(),
            )
            .min_size(0)
            .max_size(1)
            .availability_zones("us-east-1a")
            .send()
            .await
            .expect("CreateAutoScalingGroup");
    }
    for name in ["keep", "spare"] {
        iam.create_role()
            .role_name(name)
            .path("/services/")
            .assume_role_policy_document(TRUST_EC2)
            .send()
            .await
            .expect("CreateRole");
    }
    for name in ["/app/secret", "/app/public"] {
        ssm.put_parameter()
            .name(name)
            .value("v")
            .r#type(ParameterType::String)
            .send()
            .await
            .expect("PutParameter");
    }
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":"*","Resource":"*"}},
            {{"Effect":"Deny","Action":"elasticloadbalancing:DeleteTargetGroup","Resource":"{keep_tg}"}},
            {{"Effect":"Deny","Action":"ec2:DeleteSecurityGroup","Resource":"arn:aws:ec2:*:*:security-group/{}"}},
            {{"Effect":"Deny","Action":"autoscaling:*","Resource":"arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/frozen"}},
            {{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"arn:aws:iam::*:role/services/keep"}},
            {{"Effect":"Deny","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/secret"}},
            {{"Effect":"Deny","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/orders"}}]}}"#,
        groups[0]
    );
    let (config, _) = config_as_instance(&ballast, "admin", &policy).await;

    let lb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let refused = lb
        .delete_target_group()
        .target_group_arn(&keep_tg)
        .send()
        .await
        .expect_err("a denied target group");
    assert_eq!(error_code(&refused), "AccessDenied");
    lb.delete_target_group()
        .target_group_arn(&spare_tg)
        .send()
        .await
        .expect("another target group");

    let compute = aws_sdk_ec2::Client::new(&config);
    let refused = compute
        .delete_security_group()
        .group_id(&groups[0])
        .send()
        .await
        .expect_err("a denied security group");
    assert_eq!(error_code(&refused), "UnauthorizedOperation");
    compute
        .delete_security_group()
        .group_id(&groups[1])
        .send()
        .await
        .expect("another security group");

    let scaling = aws_sdk_autoscaling::Client::new(&config);
    let refused = scaling
        .set_desired_capacity()
        .auto_scaling_group_name("frozen")
        .desired_capacity(1)
        .send()
        .await
        .expect_err("a denied group");
    assert_eq!(error_code(&refused), "AccessDenied");
    scaling
        .update_auto_scaling_group()
        .auto_scaling_group_name("free")
        .max_size(2)
        .send()
        .await
        .expect("another group");

    let identity = aws_sdk_iam::Client::new(&config);
    let refused = identity
        .delete_role()
        .role_name("keep")
        .send()
        .await
        .expect_err("a denied role");
    assert_eq!(error_code(&refused), "AccessDenied");
    identity
        .delete_role()
        .role_name("spare")
        .send()
        .await
        .expect("another role");

    let parameters = aws_sdk_ssm::Client::new(&config);
    let refused = parameters
        .get_parameter()
        .name("/app/secret")
        .send()
        .await
        .expect_err("a denied parameter");
    assert_eq!(error_code(&refused), "AccessDeniedException");
    parameters
        .get_parameter()
        .name("/app/public")
        .send()
        .await
        .expect("another parameter");

    let tables = aws_sdk_dynamodb::Client::new(&config);
    let refused = tables
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .expect_err("a denied table");
    assert_eq!(error_code(&refused), "AccessDeniedException");
    let other = tables
        .describe_table()
        .table_name("carts")
        .send()
        .await
        .expect_err("a table that does not exist");
    assert_eq!(
        error_code(&other),
        "ResourceNotFoundException",
        "allowed, so the table's absence is what the caller learns"
    );

    // What was refused is untouched.
    let left = elbv2.describe_target_groups().send().await.expect("groups");
    assert_eq!(left.target_groups().len(), 1);
    let frozen = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("frozen")
        .send()
        .await
        .expect("group");
    assert_eq!(frozen.auto_scaling_groups()[0].desired_capacity(), Some(0));
    iam.get_role()
        .role_name("keep")
        .send()
        .await
        .expect("kept role");
}
