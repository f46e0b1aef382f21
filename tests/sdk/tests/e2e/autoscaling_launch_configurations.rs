//! Launch configurations through aws-sdk-rust: create, describe (paged),
//! delete and their errors; groups created from one, switched between a
//! configuration and a template; and a group whose configuration's
//! instance really boots with its image, type, key pair, security group,
//! instance profile and user data.

use std::time::Duration;

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::error::ProvideErrorMetadata;
use aws_sdk_autoscaling::types::{
    BlockDeviceMapping, Ebs, InstanceMetadataHttpTokensState, InstanceMetadataOptions,
    InstanceMonitoring, LaunchTemplateSpecification,
};
use aws_smithy_runtime_api::client::result::SdkError;
use ballast_sdk_tests::fixtures::{AL2023, al2023_template, metadata, role_with_profile};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};
use base64::Engine as _;

const WAIT: Duration = Duration::from_secs(60);

/// An error's code and message.
fn refused<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: &SdkError<E, R>,
) -> (String, String) {
    let message = match error {
        SdkError::ServiceError(service) => service.err().message().unwrap_or_default().to_owned(),
        _ => String::new(),
    };
    (error_code(error), message)
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn key_pair(ballast: &Ballast) -> String {
    let name = unique("key");
    ballast
        .ec2()
        .create_key_pair()
        .key_name(&name)
        .send()
        .await
        .expect("CreateKeyPair");
    name
}

async fn security_group(ballast: &Ballast) -> String {
    ballast
        .ec2()
        .create_security_group()
        .group_name(unique("lc-web"))
        .description("launch configuration test")
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id()
        .expect("group id")
        .to_owned()
}

async fn template(ballast: &Ballast) -> String {
    al2023_template(&ballast.ec2()).await
}

async fn group(asg: &Client, name: &str) -> aws_sdk_autoscaling::types::AutoScalingGroup {
    asg.describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("DescribeAutoScalingGroups")
        .auto_scaling_groups()
        .first()
        .cloned()
        .expect("the group")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_configurations_create_describe_page_delete_and_refuse_as_aws_does() {
    let ballast = Ballast::start();
    let asg = ballast.autoscaling();
    let key = key_pair(&ballast).await;
    let sg = security_group(&ballast).await;
    let profile = unique("profile");
    role_with_profile(&ballast.iam(), &profile, None).await;
    let user_data = b64("#!/bin/bash\necho configured\n");

    let name = unique("lc");
    asg.create_launch_configuration()
        .launch_configuration_name(&name)
        .image_id(AL2023)
        .instance_type("t3.micro")
        .key_name(&key)
        .security_groups(&sg)
        .user_data(&user_data)
        .iam_instance_profile(&profile)
        .block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name("/dev/xvdb")
                .ebs(
                    Ebs::builder()
                        .volume_size(8)
                        .volume_type("gp3")
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        )
        .metadata_options(
            InstanceMetadataOptions::builder()
                .http_tokens(InstanceMetadataHttpTokensState::Required)
                .http_put_response_hop_limit(2)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchConfiguration");

    let described = asg
        .describe_launch_configurations()
        .launch_configuration_names(&name)
        .send()
        .await
        .expect("DescribeLaunchConfigurations");
    let [lc] = described.launch_configurations() else {
        panic!("one configuration: {described:?}");
    };
    assert_eq!(lc.launch_configuration_name(), Some(name.as_str()));
    let arn = lc.launch_configuration_arn().unwrap_or_default();
    assert!(
        arn.starts_with("arn:aws:autoscaling:us-east-1:")
            && arn.contains(":launchConfiguration:")
            && arn.ends_with(&format!(":launchConfigurationName/{name}")),
        "{arn}"
    );
    assert_eq!(lc.image_id(), Some(AL2023));
    assert_eq!(lc.instance_type(), Some("t3.micro"));
    assert_eq!(lc.key_name(), Some(key.as_str()));
    assert_eq!(lc.security_groups(), std::slice::from_ref(&sg));
    assert_eq!(lc.user_data(), Some(user_data.as_str()), "base64 as given");
    assert_eq!(lc.iam_instance_profile(), Some(profile.as_str()));
    assert_eq!(
        lc.instance_monitoring()
            .and_then(InstanceMonitoring::enabled),
        Some(true),
        "detailed monitoring unless turned off"
    );
    assert_eq!(lc.ebs_optimized(), Some(false));
    assert!(lc.created_time().is_some());
    let [mapping] = lc.block_device_mappings() else {
        panic!("one block device: {lc:?}");
    };
    assert_eq!(mapping.device_name(), Some("/dev/xvdb"));
    assert_eq!(mapping.ebs().and_then(Ebs::volume_size), Some(8));
    assert_eq!(mapping.ebs().and_then(Ebs::volume_type), Some("gp3"));
    assert_eq!(
        lc.metadata_options().and_then(|m| m.http_tokens()),
        Some(&InstanceMetadataHttpTokensState::Required)
    );

    // The errors of CreateLaunchConfiguration.
    let again = asg
        .create_launch_configuration()
        .launch_configuration_name(&name)
        .image_id(AL2023)
        .instance_type("t3.micro")
        .send()
        .await
        .expect_err("a taken name");
    assert_eq!(
        refused(&again),
        (
            "AlreadyExists".to_owned(),
            format!(
                "Launch Configuration by this name already exists - A launch configuration already exists with the name {name}"
            )
        )
    );
    let create = || {
        asg.create_launch_configuration()
            .launch_configuration_name(unique("bad"))
            .image_id(AL2023)
            .instance_type("t3.micro")
    };
    let cases = [
        (create().image_id("ami-0123456789abcdef0"), "does not exist"),
        (create().key_name("no-such-key"), "key pair"),
        (
            create().security_groups("sg-0123456789abcdef0"),
            "security group",
        ),
        (
            create().security_groups(&sg).security_groups("default"),
            "not both",
        ),
        (create().user_data("not base64!"), "BASE64"),
        (
            create().iam_instance_profile("no-such-profile"),
            "Invalid IamInstanceProfile: no-such-profile",
        ),
        (
            asg.create_launch_configuration()
                .launch_configuration_name(unique("bad"))
                .image_id(AL2023),
            "ImageId and InstanceType",
        ),
    ];
    for (request, expected) in cases {
        let error = request.send().await.expect_err(expected);
        let (code, message) = refused(&error);
        assert_eq!(code, "ValidationError", "{message}");
        assert!(message.contains(expected), "{expected}: {message}");
    }

    // Paging: MaxRecords (at most 100) and NextToken.
    for _ in 0..3 {
        asg.create_launch_configuration()
            .launch_configuration_name(unique("lc"))
            .image_id(AL2023)
            .instance_type("t3.nano")
            .send()
            .await
            .expect("CreateLaunchConfiguration");
    }
    let first = asg
        .describe_launch_configurations()
        .max_records(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.launch_configurations().len(), 3);
    let token = first.next_token().expect("a next page").to_owned();
    let second = asg
        .describe_launch_configurations()
        .max_records(3)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.launch_configurations().len(), 1);
    assert!(second.next_token().is_none());
    let everything = asg.describe_launch_configurations().send().await.unwrap();
    assert_eq!(everything.launch_configurations().len(), 4, "50 by default");
    let too_many = asg
        .describe_launch_configurations()
        .max_records(101)
        .send()
        .await
        .expect_err("MaxRecords over 100");
    assert_eq!(error_code(&too_many), "ValidationError");
    let bad_token = asg
        .describe_launch_configurations()
        .next_token("garbage")
        .send()
        .await
        .expect_err("a bad token");
    assert_eq!(error_code(&bad_token), "InvalidNextToken");

    // Groups name a configuration or a template, never both.
    let lt = template(&ballast).await;
    let g = unique("asg");
    let both = asg
        .create_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_configuration_name(&name)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(&lt)
                .build(),
        )
        .min_size(0)
        .max_size(0)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect_err("both sources");
    assert_eq!(error_code(&both), "ValidationError");
    let unknown = asg
        .create_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_configuration_name("no-such-lc")
        .min_size(0)
        .max_size(0)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect_err("an unknown configuration");
    assert_eq!(
        refused(&unknown),
        (
            "ValidationError".to_owned(),
            "Launch configuration name not found - Launch configuration no-such-lc not found"
                .to_owned()
        )
    );
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_configuration_name(&name)
        .min_size(0)
        .max_size(0)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("CreateAutoScalingGroup from a configuration");
    let described = group(&asg, &g).await;
    assert_eq!(described.launch_configuration_name(), Some(name.as_str()));
    assert!(described.launch_template().is_none());

    // A configuration in use is not deleted.
    let in_use = asg
        .delete_launch_configuration()
        .launch_configuration_name(&name)
        .send()
        .await
        .expect_err("in use");
    assert_eq!(
        refused(&in_use),
        (
            "ResourceInUse".to_owned(),
            format!(
                "Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {g}"
            )
        )
    );

    // Switching the group to a template frees the configuration, and back.
    let both = asg
        .update_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_configuration_name(&name)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(&lt)
                .build(),
        )
        .send()
        .await
        .expect_err("both sources");
    assert_eq!(error_code(&both), "ValidationError");
    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(&lt)
                .build(),
        )
        .send()
        .await
        .expect("UpdateAutoScalingGroup to a template");
    let described = group(&asg, &g).await;
    assert_eq!(described.launch_configuration_name(), None);
    assert_eq!(
        described
            .launch_template()
            .and_then(|t| t.launch_template_name()),
        Some(lt.as_str())
    );
    asg.delete_launch_configuration()
        .launch_configuration_name(&name)
        .send()
        .await
        .expect("DeleteLaunchConfiguration");
    let gone = asg
        .delete_launch_configuration()
        .launch_configuration_name(&name)
        .send()
        .await
        .expect_err("already deleted");
    assert_eq!(
        refused(&gone),
        (
            "ValidationError".to_owned(),
            format!("Launch configuration name not found - Launch configuration {name} not found")
        )
    );
    let other = everything
        .launch_configurations()
        .iter()
        .filter_map(|c| c.launch_configuration_name())
        .find(|n| *n != name)
        .expect("another configuration")
        .to_owned();
    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_configuration_name(&other)
        .send()
        .await
        .expect("UpdateAutoScalingGroup to a configuration");
    let described = group(&asg, &g).await;
    assert_eq!(described.launch_configuration_name(), Some(other.as_str()));
    assert!(described.launch_template().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_from_a_configuration_boots_its_user_data_key_groups_and_profile() {
    let dir = tempfile::tempdir().expect("data dir");
    let mut first = Ballast::start_in(dir.path(), &["--time-scale", "0.05"]);
    let ballast = &first;
    let asg = ballast.autoscaling();
    let key = key_pair(ballast).await;
    let sg = security_group(ballast).await;
    let profile = unique("profile");
    role_with_profile(&ballast.iam(), &profile, None).await;
    let profile_arn = ballast
        .iam()
        .get_instance_profile()
        .instance_profile_name(&profile)
        .send()
        .await
        .expect("GetInstanceProfile")
        .instance_profile()
        .map(|p| p.arn().to_owned())
        .expect("the profile");

    let name = unique("lc");
    asg.create_launch_configuration()
        .launch_configuration_name(&name)
        .image_id(AL2023)
        .instance_type("t3.small")
        .key_name(&key)
        .security_groups(&sg)
        .iam_instance_profile(&profile_arn)
        .block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name("/dev/sdf")
                .ebs(Ebs::builder().volume_size(2).build())
                .build(),
        )
        .user_data(b64(
            "#!/bin/bash\necho \"launch configuration user data ran\"\n",
        ))
        .send()
        .await
        .expect("CreateLaunchConfiguration");
    let g = unique("asg");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .launch_configuration_name(&name)
        .min_size(1)
        .max_size(1)
        .availability_zones("us-east-1b")
        .send()
        .await
        .expect("CreateAutoScalingGroup");

    // Both acknowledged creations survive a kill -9.
    first.kill9();
    let ballast = Ballast::start_in(dir.path(), &["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let ec2 = ballast.ec2();
    let described = asg
        .describe_launch_configurations()
        .launch_configuration_names(&name)
        .send()
        .await
        .expect("DescribeLaunchConfigurations after the restart");
    assert_eq!(described.launch_configurations().len(), 1);

    let id = eventually("an instance InService", WAIT, || async {
        let described = group(&asg, &g).await;
        let member = described.instances().first()?;
        (member.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
            .then(|| member.instance_id().unwrap_or_default().to_owned())
    })
    .await;
    let described = group(&asg, &g).await;
    assert_eq!(
        described.instances()[0].launch_configuration_name(),
        Some(name.as_str())
    );
    assert!(described.instances()[0].launch_template().is_none());
    let details = asg
        .describe_auto_scaling_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("DescribeAutoScalingInstances");
    assert_eq!(
        details.auto_scaling_instances()[0].launch_configuration_name(),
        Some(name.as_str())
    );

    // EC2 launched it with everything the configuration says.
    let instance = ec2
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("DescribeInstances")
        .reservations()[0]
        .instances()[0]
        .clone();
    assert_eq!(instance.image_id(), Some(AL2023));
    assert_eq!(
        instance.instance_type().map(|t| t.as_str()),
        Some("t3.small")
    );
    assert_eq!(instance.key_name(), Some(key.as_str()));
    assert_eq!(
        instance
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect::<Vec<_>>(),
        [sg.as_str()]
    );
    assert_eq!(
        instance.iam_instance_profile().and_then(|p| p.arn()),
        Some(profile_arn.as_str())
    );
    assert_eq!(
        instance.placement().and_then(|p| p.availability_zone()),
        Some("us-east-1b")
    );
    let address = instance
        .private_ip_address()
        .expect("an address")
        .to_owned();

    // The configuration's block device is a volume attached to it, next to
    // the root volume.
    let mut volumes: Vec<(String, i32)> = ec2
        .describe_volumes()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("attachment.instance-id")
                .values(&id)
                .build(),
        )
        .send()
        .await
        .expect("DescribeVolumes")
        .volumes()
        .iter()
        .map(|v| {
            (
                v.attachments()
                    .first()
                    .and_then(|a| a.device())
                    .unwrap_or_default()
                    .to_owned(),
                v.size().unwrap_or_default(),
            )
        })
        .collect();
    volumes.sort();
    assert_eq!(volumes.len(), 2, "{volumes:?}");
    assert_eq!(volumes[0], ("/dev/sdf".to_owned(), 2));
    assert_eq!(volumes[1].0, "/dev/xvda");

    // Its user data really ran, and its metadata serves the role.
    let console = eventually("the user data's output", WAIT, || async {
        let out = ec2
            .get_console_output()
            .instance_id(&id)
            .send()
            .await
            .ok()?;
        let text = base64::engine::general_purpose::STANDARD
            .decode(out.output()?)
            .ok()?;
        let text = String::from_utf8_lossy(&text).into_owned();
        text.contains("launch configuration user data ran")
            .then_some(text)
    })
    .await;
    assert!(console.contains("launch configuration user data ran"));
    let (status, info) = metadata(&address, "/latest/meta-data/iam/info").await;
    assert_eq!(status, 200, "{info}");
    assert!(info.contains(&profile_arn), "{info}");

    // Deleting the group frees the configuration.
    asg.delete_auto_scaling_group()
        .auto_scaling_group_name(&g)
        .force_delete(true)
        .send()
        .await
        .expect("DeleteAutoScalingGroup");
    eventually("the group gone", WAIT, || async {
        let out = asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(&g)
            .send()
            .await
            .ok()?;
        out.auto_scaling_groups().is_empty().then_some(())
    })
    .await;
    asg.delete_launch_configuration()
        .launch_configuration_name(&name)
        .send()
        .await
        .expect("DeleteLaunchConfiguration once the group is gone");
}
