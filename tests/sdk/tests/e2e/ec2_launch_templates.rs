//! EC2 launch templates through aws-sdk-ec2: create, versions with
//! `SourceVersion`, `$Latest`/`$Default`, ModifyLaunchTemplate, deletes,
//! filters, paging, tags, `ResolveAlias`, and every error, each checked to
//! leave the store as it was.

use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateErrorCode, LaunchTemplateHttpTokensState,
    LaunchTemplateIamInstanceProfileSpecificationRequest,
    LaunchTemplateInstanceMetadataEndpointState, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceMetadataTagsState,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, LaunchTemplatePlacementRequest,
    LaunchTemplateTagSpecificationRequest, LaunchTemplatesMonitoringRequest,
    RequestLaunchTemplateData, ResourceType, ShutdownBehavior, Tag, TagSpecification, VolumeType,
};
use aws_sdk_ssm::types::ParameterType;
use ballast_sdk_tests::fixtures::{AL2023, AL2023_PARAMETER, DEFAULT_SG, SUBNET_A, filter, tag};
use ballast_sdk_tests::{Ballast, error_code};

fn data(image: &str, instance_type: &str) -> RequestLaunchTemplateData {
    RequestLaunchTemplateData::builder()
        .image_id(image)
        .instance_type(InstanceType::from(instance_type))
        .build()
}

/// Every member Ballast keeps, set.
fn full_data() -> RequestLaunchTemplateData {
    RequestLaunchTemplateData::builder()
        .image_id(format!("resolve:ssm:{AL2023_PARAMETER}"))
        .instance_type(InstanceType::T3Micro)
        .key_name("deployer")
        .user_data("IyEvYmluL3NoCmVjaG8gaGk=")
        .iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .name("web-profile")
                .build(),
        )
        .security_groups("default")
        .tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::Instance)
                .tags(tag("role", "web"))
                .build(),
        )
        .tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::Volume)
                .tags(tag("backup", "daily"))
                .build(),
        )
        .metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .http_tokens(LaunchTemplateHttpTokensState::Required)
                .http_put_response_hop_limit(2)
                .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                .instance_metadata_tags(LaunchTemplateInstanceMetadataTagsState::Enabled)
                .build(),
        )
        .placement(
            LaunchTemplatePlacementRequest::builder()
                .availability_zone("us-east-1a")
                .build(),
        )
        .network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .device_index(0)
                .subnet_id(SUBNET_A)
                .groups(DEFAULT_SG)
                .groups("sg-0123456789abcdef0")
                .associate_public_ip_address(true)
                .build(),
        )
        .monitoring(
            LaunchTemplatesMonitoringRequest::builder()
                .enabled(true)
                .build(),
        )
        .disable_api_termination(true)
        .instance_initiated_shutdown_behavior(ShutdownBehavior::Terminate)
        .block_device_mappings(
            LaunchTemplateBlockDeviceMappingRequest::builder()
                .device_name("/dev/xvda")
                .ebs(
                    LaunchTemplateEbsBlockDeviceRequest::builder()
                        .volume_size(20)
                        .volume_type(VolumeType::Gp3)
                        .delete_on_termination(true)
                        .encrypted(false)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Template names and `(latest, default)` versions: what errors must leave
/// unchanged.
async fn snapshot(ec2: &aws_sdk_ec2::Client) -> Vec<(String, i64, i64, usize)> {
    let mut out = Vec::new();
    let templates = ec2.describe_launch_templates().send().await.unwrap();
    for t in templates.launch_templates() {
        let versions = ec2
            .describe_launch_template_versions()
            .launch_template_id(t.launch_template_id().unwrap())
            .send()
            .await
            .unwrap();
        out.push((
            t.launch_template_name().unwrap().to_owned(),
            t.latest_version_number().unwrap(),
            t.default_version_number().unwrap(),
            versions.launch_template_versions().len(),
        ));
    }
    out
}

#[tokio::test]
async fn create_and_describe_keep_every_member_and_tag() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();

    let created = ec2
        .create_launch_template()
        .launch_template_name("web")
        .version_description("first")
        .launch_template_data(full_data())
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .tags(tag("team", "blue"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let t = created.launch_template().unwrap();
    let id = t.launch_template_id().unwrap().to_owned();
    assert!(id.starts_with("lt-") && id.len() == 20, "{id}");
    assert!(id[3..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(t.launch_template_name(), Some("web"));
    assert_eq!(
        (t.default_version_number(), t.latest_version_number()),
        (Some(1), Some(1))
    );
    assert_eq!(t.created_by(), Some("arn:aws:iam::000000000000:root"));
    assert!(t.create_time().is_some());
    assert_eq!(t.tags().len(), 1);
    assert_eq!(t.tags()[0].key(), Some("team"));

    // By id, by name, and by each filter.
    for out in [
        ec2.describe_launch_templates()
            .launch_template_ids(&id)
            .send()
            .await
            .unwrap(),
        ec2.describe_launch_templates()
            .launch_template_names("web")
            .send()
            .await
            .unwrap(),
        ec2.describe_launch_templates()
            .filters(filter("launch-template-name", &["w?b"]))
            .send()
            .await
            .unwrap(),
        ec2.describe_launch_templates()
            .filters(filter("tag:team", &["blue"]))
            .send()
            .await
            .unwrap(),
        ec2.describe_launch_templates()
            .filters(filter("tag-key", &["team"]))
            .send()
            .await
            .unwrap(),
        ec2.describe_launch_templates()
            .filters(filter("create-time", &["20*"]))
            .send()
            .await
            .unwrap(),
    ] {
        let found: Vec<_> = out
            .launch_templates()
            .iter()
            .filter_map(|t| t.launch_template_id())
            .collect();
        assert_eq!(found, [id.as_str()]);
        assert_eq!(out.launch_templates()[0].tags()[0].value(), Some("blue"));
    }
    let none = ec2
        .describe_launch_templates()
        .filters(filter("tag:team", &["red"]))
        .send()
        .await
        .unwrap();
    assert!(none.launch_templates().is_empty());

    // The version holds every member as given.
    let versions = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .versions("$Latest")
        .send()
        .await
        .unwrap();
    let v = &versions.launch_template_versions()[0];
    assert_eq!(v.version_number(), Some(1));
    assert_eq!(v.version_description(), Some("first"));
    assert_eq!(v.default_version(), Some(true));
    assert_eq!(v.launch_template_name(), Some("web"));
    assert_eq!(v.created_by(), Some("arn:aws:iam::000000000000:root"));
    let d = v.launch_template_data().unwrap();
    assert_eq!(
        d.image_id(),
        Some(format!("resolve:ssm:{AL2023_PARAMETER}").as_str())
    );
    assert_eq!(d.instance_type(), Some(&InstanceType::T3Micro));
    assert_eq!(d.key_name(), Some("deployer"));
    assert_eq!(d.user_data(), Some("IyEvYmluL3NoCmVjaG8gaGk="));
    assert_eq!(
        d.iam_instance_profile().unwrap().name(),
        Some("web-profile")
    );
    assert_eq!(d.iam_instance_profile().unwrap().arn(), None);
    assert_eq!(d.security_groups(), ["default"]);
    let specs = d.tag_specifications();
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[0].resource_type(), Some(&ResourceType::Instance));
    assert_eq!(specs[0].tags()[0].key(), Some("role"));
    assert_eq!(specs[1].resource_type(), Some(&ResourceType::Volume));
    let m = d.metadata_options().unwrap();
    assert_eq!(
        m.http_tokens(),
        Some(&LaunchTemplateHttpTokensState::Required)
    );
    assert_eq!(m.http_put_response_hop_limit(), Some(2));
    assert_eq!(
        m.http_endpoint(),
        Some(&LaunchTemplateInstanceMetadataEndpointState::Enabled)
    );
    assert_eq!(
        m.instance_metadata_tags(),
        Some(&LaunchTemplateInstanceMetadataTagsState::Enabled)
    );
    assert_eq!(
        d.placement().unwrap().availability_zone(),
        Some("us-east-1a")
    );
    let nic = &d.network_interfaces()[0];
    assert_eq!(nic.device_index(), Some(0));
    assert_eq!(nic.subnet_id(), Some(SUBNET_A));
    assert_eq!(nic.groups(), [DEFAULT_SG, "sg-0123456789abcdef0"]);
    assert_eq!(nic.associate_public_ip_address(), Some(true));
    assert_eq!(d.monitoring().unwrap().enabled(), Some(true));
    assert_eq!(d.disable_api_termination(), Some(true));
    assert_eq!(
        d.instance_initiated_shutdown_behavior(),
        Some(&ShutdownBehavior::Terminate)
    );
    let bdm = &d.block_device_mappings()[0];
    assert_eq!(bdm.device_name(), Some("/dev/xvda"));
    let ebs = bdm.ebs().unwrap();
    assert_eq!(
        (
            ebs.volume_size(),
            ebs.volume_type(),
            ebs.delete_on_termination()
        ),
        (Some(20), Some(&VolumeType::Gp3), Some(true))
    );
    assert!(d.security_group_ids().is_empty());

    // ResolveAlias shows the AMI the public parameter names.
    let resolved = ec2
        .describe_launch_template_versions()
        .launch_template_name("web")
        .resolve_alias(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resolved.launch_template_versions()[0]
            .launch_template_data()
            .unwrap()
            .image_id(),
        Some(AL2023)
    );

    // The template is a taggable EC2 resource.
    ec2.create_tags()
        .resources(&id)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let tags = ec2
        .describe_tags()
        .filters(filter("resource-type", &["launch-template"]))
        .send()
        .await
        .unwrap();
    let pairs: Vec<_> = tags
        .tags()
        .iter()
        .map(|t| {
            (
                t.resource_id().unwrap(),
                t.key().unwrap(),
                t.value().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [(id.as_str(), "env", "prod"), (id.as_str(), "team", "blue")]
    );
    assert_eq!(
        tags.tags()[0].resource_type(),
        Some(&ResourceType::LaunchTemplate)
    );
    ec2.delete_tags()
        .resources(&id)
        .tags(Tag::builder().key("team").build())
        .send()
        .await
        .unwrap();
    let out = ec2
        .describe_launch_templates()
        .launch_template_ids(&id)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = out.launch_templates()[0]
        .tags()
        .iter()
        .filter_map(|t| t.key())
        .collect();
    assert_eq!(keys, ["env"]);
    let err = ec2
        .create_tags()
        .resources("lt-0123456789abcdef0")
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidLaunchTemplateId.NotFound");
}

#[tokio::test]
async fn versions_latest_default_overlay_and_modify() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let created = ec2
        .create_launch_template()
        .launch_template_name("app")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(AL2023)
                .instance_type(InstanceType::T3Micro)
                .key_name("deployer")
                .security_group_ids(DEFAULT_SG)
                .metadata_options(
                    LaunchTemplateInstanceMetadataOptionsRequest::builder()
                        .http_tokens(LaunchTemplateHttpTokensState::Required)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = created
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();

    // Version 2 from version 1: only the instance type changes.
    let v2 = ec2
        .create_launch_template_version()
        .launch_template_id(&id)
        .source_version("1")
        .version_description("bigger")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .instance_type(InstanceType::T3Large)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let v2 = v2.launch_template_version().unwrap();
    assert_eq!(v2.version_number(), Some(2));
    assert_eq!(v2.default_version(), Some(false));
    let d = v2.launch_template_data().unwrap();
    assert_eq!(d.instance_type(), Some(&InstanceType::T3Large));
    assert_eq!(d.image_id(), Some(AL2023));
    assert_eq!(d.key_name(), Some("deployer"));
    assert_eq!(d.security_group_ids(), [DEFAULT_SG]);
    assert_eq!(
        d.metadata_options().unwrap().http_tokens(),
        Some(&LaunchTemplateHttpTokensState::Required)
    );

    // Version 3 from nothing: only what it gives.
    let v3 = ec2
        .create_launch_template_version()
        .launch_template_name("app")
        .launch_template_data(data("ami-0ba11a5700a023a64", "t4g.small"))
        .send()
        .await
        .unwrap();
    let d = v3
        .launch_template_version()
        .unwrap()
        .launch_template_data()
        .unwrap();
    assert_eq!(d.key_name(), None);
    assert!(d.security_group_ids().is_empty());

    // Version 4 from `$Latest` (3), overlaying a new key.
    let v4 = ec2
        .create_launch_template_version()
        .launch_template_name("app")
        .source_version("$Latest")
        .launch_template_data(RequestLaunchTemplateData::builder().key_name("ops").build())
        .send()
        .await
        .unwrap();
    let d = v4
        .launch_template_version()
        .unwrap()
        .launch_template_data()
        .unwrap();
    assert_eq!(
        (d.image_id(), d.key_name()),
        (Some("ami-0ba11a5700a023a64"), Some("ops"))
    );

    let numbers = |out: &aws_sdk_ec2::operation::describe_launch_template_versions::DescribeLaunchTemplateVersionsOutput| -> Vec<i64> {
        out.launch_template_versions()
            .iter()
            .filter_map(|v| v.version_number())
            .collect()
    };
    let all = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&all), [4, 3, 2, 1]);
    let aliases = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .versions("$Latest")
        .versions("$Default")
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&aliases), [4, 1]);
    let picked = ec2
        .describe_launch_template_versions()
        .launch_template_name("app")
        .versions("2")
        .versions("3")
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&picked), [3, 2]);
    let range = ec2
        .describe_launch_template_versions()
        .launch_template_name("app")
        .min_version("2")
        .max_version("3")
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&range), [3, 2]);
    let filtered = ec2
        .describe_launch_template_versions()
        .launch_template_name("app")
        .filters(filter("instance-type", &["t3.*"]))
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&filtered), [2, 1]);
    let default_only = ec2
        .describe_launch_template_versions()
        .launch_template_name("app")
        .filters(filter("is-default-version", &["true"]))
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&default_only), [1]);

    // Paging one version at a time sees each once, newest first.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = ec2
            .describe_launch_template_versions()
            .launch_template_id(&id)
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(numbers(&page));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, [4, 3, 2, 1]);

    // ModifyLaunchTemplate moves the default, and `$Default` with it.
    let modified = ec2
        .modify_launch_template()
        .launch_template_name("app")
        .default_version("2")
        .send()
        .await
        .unwrap();
    let t = modified.launch_template().unwrap();
    assert_eq!(
        (t.default_version_number(), t.latest_version_number()),
        (Some(2), Some(4))
    );
    let default = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .versions("$Default")
        .send()
        .await
        .unwrap();
    assert_eq!(numbers(&default), [2]);
    assert_eq!(
        default.launch_template_versions()[0].default_version(),
        Some(true)
    );
    let described = ec2
        .describe_launch_templates()
        .launch_template_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.launch_templates()[0].default_version_number(),
        Some(2)
    );
    ec2.modify_launch_template()
        .launch_template_id(&id)
        .default_version("$Latest")
        .send()
        .await
        .unwrap();

    // Across templates: `$Latest` and `$Default` of every template.
    ec2.create_launch_template()
        .launch_template_name("other")
        .launch_template_data(data(AL2023, "t3.nano"))
        .send()
        .await
        .unwrap();
    let across = ec2
        .describe_launch_template_versions()
        .versions("$Latest")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = across
        .launch_template_versions()
        .iter()
        .map(|v| {
            (
                v.launch_template_name().unwrap(),
                v.version_number().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("app", 4), ("other", 1)]);
}

#[tokio::test]
async fn client_tokens_make_creates_idempotent() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let create = |name: &'static str| {
        ec2.create_launch_template()
            .launch_template_name(name)
            .client_token("token-1")
            .launch_template_data(data(AL2023, "t3.micro"))
            .send()
    };
    let first = create("once").await.unwrap();
    let again = create("once").await.unwrap();
    assert_eq!(
        first.launch_template().unwrap().launch_template_id(),
        again.launch_template().unwrap().launch_template_id()
    );
    let err = create("twice").await.unwrap_err();
    assert_eq!(error_code(&err), "IdempotentParameterMismatch");

    let version = || {
        ec2.create_launch_template_version()
            .launch_template_name("once")
            .client_token("v-token")
            .launch_template_data(data(AL2023, "t3.large"))
            .send()
    };
    let v1 = version().await.unwrap();
    let v2 = version().await.unwrap();
    assert_eq!(
        v1.launch_template_version().unwrap().version_number(),
        v2.launch_template_version().unwrap().version_number()
    );
    let all = ec2.describe_launch_templates().send().await.unwrap();
    assert_eq!(all.launch_templates().len(), 1);
    assert_eq!(all.launch_templates()[0].latest_version_number(), Some(2));
}

#[tokio::test]
async fn deleting_versions_and_templates() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let created = ec2
        .create_launch_template()
        .launch_template_name("gone")
        .launch_template_data(data(AL2023, "t3.micro"))
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::LaunchTemplate)
                .tags(tag("k", "v"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = created
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();
    for instance_type in ["t3.small", "t3.medium"] {
        ec2.create_launch_template_version()
            .launch_template_id(&id)
            .launch_template_data(data(AL2023, instance_type))
            .send()
            .await
            .unwrap();
    }

    // The default version cannot be deleted; a missing one is reported.
    let out = ec2
        .delete_launch_template_versions()
        .launch_template_id(&id)
        .versions("1")
        .versions("3")
        .versions("9")
        .send()
        .await
        .unwrap();
    let deleted: Vec<_> = out
        .successfully_deleted_launch_template_versions()
        .iter()
        .map(|d| (d.launch_template_id().unwrap(), d.version_number().unwrap()))
        .collect();
    assert_eq!(deleted, [(id.as_str(), 3)]);
    let refused: Vec<_> = out
        .unsuccessfully_deleted_launch_template_versions()
        .iter()
        .map(|e| {
            (
                e.version_number().unwrap(),
                e.response_error().unwrap().code().unwrap().clone(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (1, LaunchTemplateErrorCode::UnexpectedError),
            (
                9,
                LaunchTemplateErrorCode::LaunchTemplateVersionDoesNotExist
            ),
        ]
    );
    assert!(
        out.unsuccessfully_deleted_launch_template_versions()[0]
            .response_error()
            .unwrap()
            .message()
            .unwrap()
            .contains("default version")
    );

    // The latest is now 2; the next version is 4 (numbers are not reused).
    let t = ec2
        .describe_launch_templates()
        .launch_template_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(t.launch_templates()[0].latest_version_number(), Some(2));
    let v4 = ec2
        .create_launch_template_version()
        .launch_template_id(&id)
        .launch_template_data(data(AL2023, "t3.large"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        v4.launch_template_version().unwrap().version_number(),
        Some(4)
    );
    let err = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .versions("3")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidLaunchTemplateId.VersionNotFound");

    // Versions of a template that does not exist fail one by one.
    let out = ec2
        .delete_launch_template_versions()
        .launch_template_id("lt-0123456789abcdef0")
        .versions("2")
        .send()
        .await
        .unwrap();
    assert!(
        out.successfully_deleted_launch_template_versions()
            .is_empty()
    );
    assert_eq!(
        out.unsuccessfully_deleted_launch_template_versions()[0]
            .response_error()
            .unwrap()
            .code(),
        Some(&LaunchTemplateErrorCode::LaunchTemplateIdDoesNotExist)
    );
    let out = ec2
        .delete_launch_template_versions()
        .launch_template_name("nope")
        .versions("2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.unsuccessfully_deleted_launch_template_versions()[0]
            .response_error()
            .unwrap()
            .code(),
        Some(&LaunchTemplateErrorCode::LaunchTemplateNameDoesNotExist)
    );

    // Deleting the template takes its versions and tags; the name is free.
    let deleted = ec2
        .delete_launch_template()
        .launch_template_name("gone")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.launch_template().unwrap().launch_template_id(),
        Some(id.as_str())
    );
    let err = ec2
        .describe_launch_templates()
        .launch_template_names("gone")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&err),
        "InvalidLaunchTemplateName.NotFoundException"
    );
    let err = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidLaunchTemplateId.NotFound");
    let tags = ec2
        .describe_tags()
        .filters(filter("resource-id", &[&id]))
        .send()
        .await
        .unwrap();
    assert!(tags.tags().is_empty());
    let err = ec2
        .delete_launch_template()
        .launch_template_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidLaunchTemplateId.NotFound");
    ec2.create_launch_template()
        .launch_template_name("gone")
        .launch_template_data(data(AL2023, "t3.micro"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn every_error_leaves_the_store_unchanged() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let created = ec2
        .create_launch_template()
        .launch_template_name("keep")
        .launch_template_data(data(AL2023, "t3.micro"))
        .send()
        .await
        .unwrap();
    let id = created
        .launch_template()
        .unwrap()
        .launch_template_id()
        .unwrap()
        .to_owned();
    let before = snapshot(&ec2).await;

    let create = |name: &str, d: RequestLaunchTemplateData| {
        ec2.create_launch_template()
            .launch_template_name(name)
            .launch_template_data(d)
            .send()
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "InvalidLaunchTemplateName.AlreadyExistsException",
            error_code(&create("keep", data(AL2023, "t3.micro")).await.unwrap_err()),
        ),
        (
            "InvalidLaunchTemplateName.MalformedException",
            error_code(&create("no", data(AL2023, "t3.micro")).await.unwrap_err()),
        ),
        (
            "InvalidLaunchTemplateName.MalformedException",
            error_code(
                &create("bad name!", data(AL2023, "t3.micro"))
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterCombination",
            error_code(
                &create(
                    "both-profiles",
                    RequestLaunchTemplateData::builder()
                        .iam_instance_profile(
                            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                                .arn("arn:aws:iam::000000000000:instance-profile/p")
                                .name("p")
                                .build(),
                        )
                        .build(),
                )
                .await
                .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &create(
                    "bad-hops",
                    RequestLaunchTemplateData::builder()
                        .metadata_options(
                            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                                .http_put_response_hop_limit(65)
                                .build(),
                        )
                        .build(),
                )
                .await
                .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &create(
                    "bad-launch-tags",
                    RequestLaunchTemplateData::builder()
                        .tag_specifications(
                            LaunchTemplateTagSpecificationRequest::builder()
                                .resource_type(ResourceType::LaunchTemplate)
                                .tags(tag("a", "b"))
                                .build(),
                        )
                        .build(),
                )
                .await
                .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &create(
                    "bad-shutdown",
                    RequestLaunchTemplateData::builder()
                        .instance_initiated_shutdown_behavior(ShutdownBehavior::from("explode"))
                        .build(),
                )
                .await
                .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &ec2.create_launch_template()
                    .launch_template_name("wrong-tag-type")
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .tag_specifications(
                        TagSpecification::builder()
                            .resource_type(ResourceType::Instance)
                            .tags(tag("a", "b"))
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "MissingParameter",
            error_code(
                &ec2.create_launch_template()
                    .launch_template_name("no-data")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "DryRunOperation",
            error_code(
                &ec2.create_launch_template()
                    .launch_template_name("dry")
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .dry_run(true)
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateId.Malformed",
            error_code(
                &ec2.describe_launch_templates()
                    .launch_template_ids("lt-nope")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateId.NotFound",
            error_code(
                &ec2.describe_launch_templates()
                    .launch_template_ids("lt-0123456789abcdef0")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateName.NotFoundException",
            error_code(
                &ec2.describe_launch_templates()
                    .launch_template_names("keep")
                    .launch_template_names("missing")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &ec2.describe_launch_templates()
                    .max_results(201)
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &ec2.describe_launch_templates()
                    .filters(filter("colour", &["blue"]))
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateName.NotFoundException",
            error_code(
                &ec2.create_launch_template_version()
                    .launch_template_name("missing")
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateId.VersionNotFound",
            error_code(
                &ec2.create_launch_template_version()
                    .launch_template_id(&id)
                    .source_version("7")
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterCombination",
            error_code(
                &ec2.create_launch_template_version()
                    .launch_template_id(&id)
                    .launch_template_name("keep")
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "MissingParameter",
            error_code(
                &ec2.create_launch_template_version()
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "DryRunOperation",
            error_code(
                &ec2.create_launch_template_version()
                    .launch_template_id(&id)
                    .launch_template_data(data(AL2023, "t3.micro"))
                    .dry_run(true)
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateId.VersionNotFound",
            error_code(
                &ec2.describe_launch_template_versions()
                    .launch_template_name("keep")
                    .versions("3")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "MissingParameter",
            error_code(
                &ec2.describe_launch_template_versions()
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterValue",
            error_code(
                &ec2.describe_launch_template_versions()
                    .versions("1")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterCombination",
            error_code(
                &ec2.describe_launch_template_versions()
                    .launch_template_id(&id)
                    .launch_template_name("keep")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateId.VersionNotFound",
            error_code(
                &ec2.modify_launch_template()
                    .launch_template_name("keep")
                    .default_version("2")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterCombination",
            error_code(
                &ec2.modify_launch_template()
                    .launch_template_id(&id)
                    .launch_template_name("keep")
                    .default_version("1")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidLaunchTemplateId.Malformed",
            error_code(
                &ec2.modify_launch_template()
                    .launch_template_id("lt-xyz")
                    .default_version("1")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "MissingParameter",
            error_code(&ec2.delete_launch_template().send().await.unwrap_err()),
        ),
        (
            "InvalidLaunchTemplateName.NotFoundException",
            error_code(
                &ec2.delete_launch_template()
                    .launch_template_name("missing")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "DryRunOperation",
            error_code(
                &ec2.delete_launch_template()
                    .launch_template_id(&id)
                    .dry_run(true)
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        (
            "InvalidParameterCombination",
            error_code(
                &ec2.delete_launch_template_versions()
                    .launch_template_id(&id)
                    .launch_template_name("keep")
                    .versions("1")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
    ];
    for (expected, got) in &cases {
        assert_eq!(got, expected);
    }
    assert_eq!(snapshot(&ec2).await, before);
}

#[tokio::test]
async fn describe_launch_templates_pages() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    for i in 0..5 {
        ec2.create_launch_template()
            .launch_template_name(format!("paged-{i}"))
            .launch_template_data(data(AL2023, "t3.micro"))
            .send()
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = ec2
            .describe_launch_templates()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        names.extend(
            page.launch_templates()
                .iter()
                .filter_map(|t| t.launch_template_name().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        ["paged-0", "paged-1", "paged-2", "paged-3", "paged-4"]
    );
    let err = ec2
        .describe_launch_templates()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
}

#[tokio::test]
async fn resolve_alias_reads_account_parameters() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let ssm = ballast.ssm();
    ssm.put_parameter()
        .name("/golden/ami")
        .value("ami-0ba11a5700c024086")
        .r#type(ParameterType::String)
        .data_type("aws:ec2:image")
        .send()
        .await
        .unwrap();
    ec2.create_launch_template()
        .launch_template_name("golden")
        .launch_template_data(data("resolve:ssm:/golden/ami", "t3.micro"))
        .send()
        .await
        .unwrap();
    let image = |resolve: bool| {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_launch_template_versions()
                .launch_template_name("golden")
                .resolve_alias(resolve)
                .send()
                .await
                .unwrap()
                .launch_template_versions()[0]
                .launch_template_data()
                .unwrap()
                .image_id()
                .map(str::to_owned)
        }
    };
    assert_eq!(image(true).await.as_deref(), Some("ami-0ba11a5700c024086"));
    assert_eq!(
        image(false).await.as_deref(),
        Some("resolve:ssm:/golden/ami")
    );
}
