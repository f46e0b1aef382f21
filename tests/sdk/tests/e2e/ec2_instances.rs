//! EC2 instances through aws-sdk-rust: instances are real process groups
//! on their own loopback addresses, observed from outside (HTTP to the
//! service user data started, the console, the metadata service).

use std::time::Duration;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::types::{
    Filter, HttpTokensState, InstanceStateName, InstanceType, ResourceType, Tag, TagSpecification,
};
use ballast_sdk_tests::fixtures::{AL2023, filter};
use ballast_sdk_tests::{
    Ballast, error_code, eventually, process_ended, process_runs, written_pid,
};
use base64::Engine as _;

/// Amazon Linux 2 (IMDSv1 allowed by default).
const AL2: &str = "ami-0ba11a5700a002086";

/// How long any instance transition may take at the tests' time scale.
const WAIT: Duration = Duration::from_secs(20);

/// User data: record each boot, and (from the boot hook, so on every
/// boot) serve the instance's directory on its private address.
const WEB_USER_DATA: &str = r#"#!/bin/bash
echo "user data running on $BALLAST_PRIVATE_IP"
mkdir -p "$HOME/www"
imds="${AWS_EC2_METADATA_SERVICE_ENDPOINT}latest"
token=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" "$imds/api/token")
curl -s -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id" > "$HOME/www/id"
cat > "$BALLAST_BOOT_HOOK" <<'HOOK'
#!/bin/bash
cd "$HOME/www"
echo "boot" >> boots
nohup python3 -m http.server 8080 --bind "$BALLAST_PRIVATE_IP" >/dev/null 2>&1 &
HOOK
chmod +x "$BALLAST_BOOT_HOOK"
"#;

fn encoded(user_data: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(user_data)
}

fn start() -> Ballast {
    Ballast::start_with(&["--time-scale", "0.02"])
}

/// Launches one instance of AL2023 and returns its id and private address.
async fn launch(ec2: &Client, user_data: Option<&str>) -> (String, String) {
    launch_image(ec2, AL2023, user_data).await
}

async fn launch_image(ec2: &Client, image: &str, user_data: Option<&str>) -> (String, String) {
    let mut request = ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1);
    if let Some(data) = user_data {
        request = request.user_data(encoded(data));
    }
    let reservation = request.send().await.expect("RunInstances");
    let instance = &reservation.instances()[0];
    assert_eq!(
        instance.state().and_then(|s| s.name()),
        Some(&InstanceStateName::Pending)
    );
    (
        instance.instance_id().unwrap_or_default().to_owned(),
        instance.private_ip_address().unwrap_or_default().to_owned(),
    )
}

async fn state_of(ec2: &Client, id: &str) -> Option<InstanceStateName> {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .ok()?;
    out.reservations()
        .first()?
        .instances()
        .first()?
        .state()?
        .name()
        .cloned()
}

async fn wait_state(ec2: &Client, id: &str, wanted: InstanceStateName) {
    eventually(&format!("{id} to be {wanted:?}"), WAIT, || async {
        (state_of(ec2, id).await.as_ref() == Some(&wanted)).then_some(())
    })
    .await;
}

/// GET a path of the instance's web server.
async fn get(address: &str, path: &str) -> Option<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .ok()?;
    let response = client
        .get(format!("http://{address}:8080/{path}"))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.text().await.ok()
}

async fn boots(address: &str) -> Option<usize> {
    get(address, "boots").await.map(|b| b.lines().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_data_serves_and_every_transition_is_observable() {
    let ballast = start();
    let ec2 = ballast.ec2();
    let (id, address) = launch(&ec2, Some(WEB_USER_DATA)).await;
    assert!(address.starts_with("127."), "a loopback address: {address}");

    wait_state(&ec2, &id, InstanceStateName::Running).await;
    ec2.wait_until_instance_running()
        .instance_ids(&id)
        .wait(WAIT)
        .await
        .expect("instance_running waiter");
    // The service user data started answers on the instance's own address,
    // with the id the instance read from its metadata.
    let served_id = eventually("the web server", WAIT, || get(&address, "id")).await;
    assert_eq!(served_id.trim(), id);
    assert_eq!(boots(&address).await, Some(1));

    let console = ec2
        .get_console_output()
        .instance_id(&id)
        .send()
        .await
        .expect("GetConsoleOutput");
    let console = base64::engine::general_purpose::STANDARD
        .decode(console.output().unwrap_or_default())
        .expect("base64 console");
    let console = String::from_utf8_lossy(&console);
    assert!(
        console.contains(&format!("user data running on {address}")),
        "{console}"
    );

    // Reboot: same state, the processes restart through the boot hook.
    ec2.reboot_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("reboot");
    eventually("a second boot", WAIT, || async {
        (boots(&address).await == Some(2)).then_some(())
    })
    .await;
    assert_eq!(state_of(&ec2, &id).await, Some(InstanceStateName::Running));

    // Stop: the server goes away with the instance.
    let stopping = ec2
        .stop_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("stop");
    let change = &stopping.stopping_instances()[0];
    assert_eq!(
        change.current_state().and_then(|s| s.name()),
        Some(&InstanceStateName::Stopping)
    );
    wait_state(&ec2, &id, InstanceStateName::Stopped).await;
    ec2.wait_until_instance_stopped()
        .instance_ids(&id)
        .wait(WAIT)
        .await
        .expect("instance_stopped waiter");
    assert_eq!(
        get(&address, "id").await,
        None,
        "nothing answers when stopped"
    );

    // Start: a new boot, same address, the hook brings the service back;
    // the user data does not run again.
    ec2.start_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("start");
    wait_state(&ec2, &id, InstanceStateName::Running).await;
    eventually("the third boot", WAIT, || async {
        (boots(&address).await == Some(3)).then_some(())
    })
    .await;
    let console = ec2
        .get_console_output()
        .instance_id(&id)
        .send()
        .await
        .unwrap();
    let console = base64::engine::general_purpose::STANDARD
        .decode(console.output().unwrap_or_default())
        .unwrap();
    let runs = String::from_utf8_lossy(&console)
        .matches("user data running on")
        .count();
    assert_eq!(runs, 1, "user data runs on the first boot only");

    // Terminate: gone for good, still listed as terminated.
    ec2.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("terminate");
    ec2.wait_until_instance_terminated()
        .instance_ids(&id)
        .wait(WAIT)
        .await
        .expect("instance_terminated waiter");
    assert_eq!(get(&address, "id").await, None);
    let again = ec2.start_instances().instance_ids(&id).send().await;
    assert_eq!(error_code(&again.unwrap_err()), "IncorrectInstanceState");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launches_place_tag_filter_and_refuse_bad_input() {
    let ballast = start();
    let ec2 = ballast.ec2();
    let out = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(2)
        .max_count(3)
        .placement(
            aws_sdk_ec2::types::Placement::builder()
                .availability_zone("us-east-1b")
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .tags(Tag::builder().key("role").value("web").build())
                .build(),
        )
        .send()
        .await
        .expect("RunInstances");
    let instances = out.instances();
    assert_eq!(instances.len(), 3);
    let mut addresses: Vec<_> = instances
        .iter()
        .map(|i| i.private_ip_address().unwrap_or_default())
        .collect();
    addresses.dedup();
    assert_eq!(addresses.len(), 3, "every instance has its own address");
    for (index, instance) in instances.iter().enumerate() {
        assert_eq!(instance.ami_launch_index(), Some(index as i32));
        assert_eq!(
            instance.placement().and_then(|p| p.availability_zone()),
            Some("us-east-1b")
        );
        assert_eq!(instance.subnet_id(), Some("subnet-0ba11a5700000000b"));
        assert_eq!(instance.instance_type(), Some(&InstanceType::M1Small));
        assert_eq!(instance.security_groups()[0].group_name(), Some("default"));
    }
    let ids: Vec<String> = instances
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();

    let tagged = ec2
        .describe_instances()
        .filters(Filter::builder().name("tag:role").values("web").build())
        .filters(
            Filter::builder()
                .name("availability-zone")
                .values("us-east-1b")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.reservations().len(), 1, "one reservation");
    assert_eq!(tagged.reservations()[0].instances().len(), 3);
    let none = ec2
        .describe_instances()
        .filters(Filter::builder().name("tag:role").values("db").build())
        .send()
        .await
        .unwrap();
    assert!(none.reservations().is_empty());

    // Paging walks every instance exactly once.
    let mut seen = Vec::new();
    let mut pages = ec2
        .describe_instances()
        .max_results(5)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for r in page.unwrap().reservations() {
            seen.extend(
                r.instances()
                    .iter()
                    .filter_map(|i| i.instance_id().map(str::to_owned)),
            );
        }
    }
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected);

    // Status: running instances only, unless all are asked for.
    wait_state(&ec2, &ids[0], InstanceStateName::Running).await;
    let statuses = ec2
        .describe_instance_status()
        .instance_ids(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(statuses.instance_statuses().len(), 1);

    // Errors, each leaving nothing behind.
    let before = ec2
        .describe_instances()
        .send()
        .await
        .unwrap()
        .reservations()
        .len();
    let missing = ec2
        .describe_instances()
        .instance_ids("i-0123456789abcdef0")
        .send()
        .await;
    assert_eq!(
        error_code(&missing.unwrap_err()),
        "InvalidInstanceID.NotFound"
    );
    let malformed = ec2.stop_instances().instance_ids("i-nope").send().await;
    assert_eq!(
        error_code(&malformed.unwrap_err()),
        "InvalidInstanceID.Malformed"
    );
    let bad_image = ec2
        .run_instances()
        .image_id("ami-0123456789abcdef0")
        .min_count(1)
        .max_count(1)
        .send()
        .await;
    assert_eq!(error_code(&bad_image.unwrap_err()), "InvalidAMIID.NotFound");
    let bad_subnet = ec2
        .run_instances()
        .image_id(AL2023)
        .subnet_id("subnet-0123456789abcdef0")
        .min_count(1)
        .max_count(1)
        .send()
        .await;
    assert_eq!(
        error_code(&bad_subnet.unwrap_err()),
        "InvalidSubnetID.NotFound"
    );
    let bad_counts = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(3)
        .max_count(2)
        .send()
        .await;
    assert_eq!(
        error_code(&bad_counts.unwrap_err()),
        "InvalidParameterValue"
    );
    let bad_user_data = ec2
        .run_instances()
        .image_id(AL2023)
        .user_data("%%% not base64")
        .min_count(1)
        .max_count(1)
        .send()
        .await;
    assert_eq!(
        error_code(&bad_user_data.unwrap_err()),
        "InvalidUserData.Malformed"
    );
    let no_key = ec2
        .run_instances()
        .image_id(AL2023)
        .key_name("no-such-key")
        .min_count(1)
        .max_count(1)
        .send()
        .await;
    assert_eq!(error_code(&no_key.unwrap_err()), "InvalidKeyPair.NotFound");
    let dry = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .dry_run(true)
        .send()
        .await;
    assert_eq!(error_code(&dry.unwrap_err()), "DryRunOperation");
    let after = ec2
        .describe_instances()
        .send()
        .await
        .unwrap()
        .reservations()
        .len();
    assert_eq!(before, after, "refused launches leave nothing");

    // Tags on instances go through the generic tag calls too.
    ec2.create_tags()
        .resources(&ids[0])
        .tags(Tag::builder().key("team").value("a").build())
        .send()
        .await
        .expect("CreateTags on an instance");
    let tags = ec2
        .describe_tags()
        .filters(
            Filter::builder()
                .name("resource-id")
                .values(&ids[0])
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 2);
    assert_eq!(
        tags.tags()[0].resource_type().map(|t| t.as_str()),
        Some("instance")
    );

    ec2.terminate_instances()
        .set_instance_ids(Some(ids.clone()))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_answers_each_instance_about_itself() {
    let ballast = start();
    let ec2 = ballast.ec2();
    let (a, a_address) = launch(&ec2, None).await;
    let (b, b_address) = launch_image(&ec2, AL2, None).await;
    wait_state(&ec2, &a, InstanceStateName::Running).await;
    wait_state(&ec2, &b, InstanceStateName::Running).await;
    let imds = |address: &str| format!("http://{address}:8169");
    let http = reqwest::Client::new();

    // IMDSv2: a token, then metadata about the instance whose address
    // was reached.
    let token = http
        .put(format!("{}/latest/api/token", imds(&a_address)))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "60")
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    assert_eq!(
        token.headers()["x-aws-ec2-metadata-token-ttl-seconds"],
        "60"
    );
    let token = token.text().await.unwrap();
    let get = |address: String, path: &'static str, token: Option<String>| {
        let http = http.clone();
        async move {
            let mut request = http.get(format!("{address}{path}"));
            if let Some(token) = token {
                request = request.header("x-aws-ec2-metadata-token", token);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, body) = get(
        imds(&a_address),
        "/latest/meta-data/instance-id",
        Some(token.clone()),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, a.as_str()));
    let (_, local) = get(
        imds(&a_address),
        "/latest/meta-data/local-ipv4",
        Some(token.clone()),
    )
    .await;
    assert_eq!(local, a_address);
    let (_, zone) = get(
        imds(&a_address),
        "/latest/meta-data/placement/region",
        Some(token.clone()),
    )
    .await;
    assert_eq!(zone, "us-east-1");
    // The MAC the instance reads is the one EC2 describes for it.
    let (_, mac) = get(
        imds(&a_address),
        "/latest/meta-data/mac",
        Some(token.clone()),
    )
    .await;
    let described = ec2
        .describe_instances()
        .instance_ids(&a)
        .send()
        .await
        .unwrap();
    let interface = &described.reservations()[0].instances()[0].network_interfaces()[0];
    assert_eq!(Some(mac.as_str()), interface.mac_address());
    let (_, document) = get(
        imds(&a_address),
        "/latest/dynamic/instance-identity/document",
        Some(token.clone()),
    )
    .await;
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    assert_eq!(document["instanceId"], a.as_str());
    assert_eq!(document["imageId"], AL2023);

    // AL2023 requires tokens by default, as on EC2.
    let (status, _) = get(imds(&a_address), "/latest/meta-data/instance-id", None).await;
    assert_eq!(status, 401);

    // A's token means nothing at B, and B answers about B.
    let token_a = token.clone();
    let (status, _) = get(
        imds(&b_address),
        "/latest/meta-data/instance-id",
        Some(token),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = get(imds(&b_address), "/latest/meta-data/instance-id", None).await;
    assert_eq!(
        (status, body.as_str()),
        (200, b.as_str()),
        "IMDSv1 allowed by default"
    );

    // Requiring tokens turns IMDSv1 away.
    ec2.modify_instance_metadata_options()
        .instance_id(&b)
        .http_tokens(HttpTokensState::Required)
        .send()
        .await
        .unwrap();
    let (status, _) = get(imds(&b_address), "/latest/meta-data/instance-id", None).await;
    assert_eq!(status, 401);
    let described = ec2
        .describe_instances()
        .instance_ids(&b)
        .send()
        .await
        .unwrap();
    let options = described.reservations()[0].instances()[0]
        .metadata_options()
        .unwrap();
    assert_eq!(options.http_tokens(), Some(&HttpTokensState::Required));

    // No profile, no iam/ tree; no user data, no user-data.
    let (status, _) = get(
        imds(&a_address),
        "/latest/meta-data/iam/info",
        Some(token_a.clone()),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = get(imds(&a_address), "/latest/user-data", Some(token_a)).await;
    assert_eq!(status, 404);
    // A token request needs a TTL.
    let bad = http
        .put(format!("{}/latest/api/token", imds(&a_address)))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_then_restart_adopts_running_instances() {
    let data = tempfile::tempdir().unwrap();
    let mut ballast = Ballast::start_in(data.path(), &["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    let (id, address) = launch(&ec2, Some(WEB_USER_DATA)).await;
    wait_state(&ec2, &id, InstanceStateName::Running).await;
    eventually("the web server", WAIT, || get(&address, "id")).await;

    ballast.kill9();
    // The instance's processes outlive Ballast, like a VM outlives its
    // control plane.
    assert_eq!(
        get(&address, "id").await.as_deref().map(str::trim),
        Some(id.as_str())
    );

    let ballast = Ballast::start_in(data.path(), &["--time-scale", "0.02"]);
    let ec2 = ballast.ec2();
    assert_eq!(state_of(&ec2, &id).await, Some(InstanceStateName::Running));
    // Adopted, not booted again: the console says so, there is still one
    // boot, and one instance.
    eventually("the adoption", WAIT, || async {
        let out = ec2
            .get_console_output()
            .instance_id(&id)
            .send()
            .await
            .ok()?;
        let text = base64::engine::general_purpose::STANDARD
            .decode(out.output()?)
            .ok()?;
        String::from_utf8_lossy(&text)
            .contains("adopted")
            .then_some(())
    })
    .await;
    assert_eq!(boots(&address).await, Some(1));
    let all = ec2.describe_instances().send().await.unwrap();
    assert_eq!(all.reservations().len(), 1);
    // The adopted processes are really under control: stopping ends them.
    ec2.stop_instances().instance_ids(&id).send().await.unwrap();
    wait_state(&ec2, &id, InstanceStateName::Stopped).await;
    assert_eq!(get(&address, "id").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_templates_fill_in_what_the_request_leaves_out() {
    use aws_sdk_ec2::types::{
        LaunchTemplateSpecification, LaunchTemplateTagSpecificationRequest,
        RequestLaunchTemplateData,
    };
    let ballast = start();
    let ec2 = ballast.ec2();
    let data = RequestLaunchTemplateData::builder()
        .image_id(
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        )
        .instance_type(InstanceType::T3Small)
        .user_data(encoded("#!/bin/sh\necho launched from a template\n"))
        .tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .resource_type(ResourceType::Instance)
                .tags(Tag::builder().key("Name").value("from-template").build())
                .build(),
        )
        .build();
    let template = ec2
        .create_launch_template()
        .launch_template_name("web")
        .launch_template_data(data)
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let template_id = template
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .unwrap()
        .to_owned();
    ec2.create_launch_template_version()
        .launch_template_name("web")
        .source_version("1")
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .instance_type(InstanceType::T3Large)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplateVersion");

    // The default version (1), by name, with no image in the request.
    let out = ec2
        .run_instances()
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name("web")
                .build(),
        )
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances from a template");
    let instance = &out.instances()[0];
    let id = instance.instance_id().unwrap().to_owned();
    assert_eq!(instance.image_id(), Some(AL2023), "resolve:ssm: resolved");
    assert_eq!(instance.instance_type(), Some(&InstanceType::T3Small));
    let tags: Vec<(&str, &str)> = instance
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    assert!(tags.contains(&("Name", "from-template")), "{tags:?}");
    assert!(tags.contains(&("aws:ec2launchtemplate:id", template_id.as_str())));
    assert!(tags.contains(&("aws:ec2launchtemplate:version", "1")));
    eventually("the template's user data to run", WAIT, || async {
        let out = ec2
            .get_console_output()
            .instance_id(&id)
            .send()
            .await
            .ok()?;
        let text = base64::engine::general_purpose::STANDARD
            .decode(out.output()?)
            .ok()?;
        String::from_utf8_lossy(&text)
            .contains("launched from a template")
            .then_some(())
    })
    .await;

    // $Latest by id, and the request's own values win over the template's.
    let out = ec2
        .run_instances()
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_id(&template_id)
                .version("$Latest")
                .build(),
        )
        .image_id(AL2)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances from $Latest");
    let instance = &out.instances()[0];
    assert_eq!(instance.instance_type(), Some(&InstanceType::T3Large));
    assert_eq!(instance.image_id(), Some(AL2));

    let missing = ec2
        .run_instances()
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name("nope")
                .build(),
        )
        .min_count(1)
        .max_count(1)
        .send()
        .await;
    assert_eq!(
        error_code(&missing.unwrap_err()),
        "InvalidLaunchTemplateName.NotFoundException"
    );
    let no_version = ec2
        .run_instances()
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name("web")
                .version("9")
                .build(),
        )
        .min_count(1)
        .max_count(1)
        .send()
        .await;
    assert_eq!(
        error_code(&no_version.unwrap_err()),
        "InvalidLaunchTemplateId.VersionNotFound"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alb_routes_to_instance_targets() {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ProtocolEnum, TargetDescription, TargetTypeEnum,
    };
    let ballast = Ballast::start_with(&["--time-scale", "0.02", "--hosts-file", "/etc/hosts"]);
    let ec2 = ballast.ec2();
    let elb = ballast.elbv2();
    let (a, a_address) = launch(&ec2, Some(WEB_USER_DATA)).await;
    let (b, b_address) = launch(&ec2, Some(WEB_USER_DATA)).await;
    for (id, address) in [(&a, &a_address), (&b, &b_address)] {
        wait_state(&ec2, id, InstanceStateName::Running).await;
        eventually("the instance's web server", WAIT, || get(address, "id")).await;
    }

    let tg = elb
        .create_target_group()
        .name(
            ballast_sdk_tests::unique("inst")
                .chars()
                .take(32)
                .collect::<String>(),
        )
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id("vpc-0ba11a57000000000")
        .target_type(TargetTypeEnum::Instance)
        .health_check_path("/id")
        .health_check_interval_seconds(5)
        .health_check_timeout_seconds(2)
        .healthy_threshold_count(2)
        .send()
        .await
        .unwrap();
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
    let lb = elb
        .create_load_balancer()
        .name(
            ballast_sdk_tests::unique("inst")
                .chars()
                .take(32)
                .collect::<String>(),
        )
        .subnets("subnet-0ba11a5700000000a")
        .subnets("subnet-0ba11a5700000000b")
        .send()
        .await
        .unwrap();
    let dns = lb.load_balancers()[0].dns_name().unwrap().to_owned();
    elb.create_listener()
        .load_balancer_arn(lb.load_balancers()[0].load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&tg_arn)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Instance targets take the group's port; no address is given.
    elb.register_targets()
        .target_group_arn(&tg_arn)
        .targets(TargetDescription::builder().id(&a).build())
        .targets(TargetDescription::builder().id(&b).build())
        .send()
        .await
        .expect("RegisterTargets with instances");
    let health = |elb: aws_sdk_elasticloadbalancingv2::Client, tg: String| async move {
        let out = elb
            .describe_target_health()
            .target_group_arn(tg)
            .send()
            .await
            .ok()?;
        Some(
            out.target_health_descriptions()
                .iter()
                .map(|d| {
                    (
                        d.target()
                            .and_then(|t| t.id())
                            .unwrap_or_default()
                            .to_owned(),
                        d.target_health()
                            .and_then(|h| h.state())
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        d.target_health()
                            .and_then(|h| h.reason())
                            .map(|r| r.as_str().to_owned()),
                    )
                })
                .collect::<Vec<_>>(),
        )
    };
    eventually("both instances healthy", WAIT, || async {
        let states = health(elb.clone(), tg_arn.clone()).await?;
        states
            .iter()
            .all(|(_, state, _)| state == "healthy")
            .then_some(())
    })
    .await;

    // Traffic through the load balancer reaches both instances.
    let http = reqwest::Client::new();
    let url = format!("http://{dns}/id");
    let mut answered = std::collections::HashSet::new();
    for _ in 0..20 {
        let body = http.get(&url).send().await.unwrap().text().await.unwrap();
        answered.insert(body.trim().to_owned());
    }
    assert_eq!(answered, [a.clone(), b.clone()].into_iter().collect());

    // A stopped instance leaves rotation and says why.
    ec2.stop_instances().instance_ids(&a).send().await.unwrap();
    wait_state(&ec2, &a, InstanceStateName::Stopped).await;
    let states = eventually("a's invalid state", WAIT, || async {
        let states = health(elb.clone(), tg_arn.clone()).await?;
        states
            .iter()
            .any(|(id, state, _)| id == &a && state == "unused")
            .then_some(states)
    })
    .await;
    assert!(
        states.contains(&(
            a.clone(),
            "unused".to_owned(),
            Some("Target.InvalidState".to_owned())
        )),
        "{states:?}"
    );
    for _ in 0..10 {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap().trim(), b);
    }

    // Only running instances can be registered.
    let refused = elb
        .register_targets()
        .target_group_arn(&tg_arn)
        .targets(
            TargetDescription::builder()
                .id("i-0123456789abcdef0")
                .build(),
        )
        .send()
        .await;
    assert_eq!(error_code(&refused.unwrap_err()), "InvalidTarget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_boot_leaves_the_instance_running() {
    let ballast = start();
    let ec2 = ballast.ec2();
    let (id, _) = launch(&ec2, Some("#!/bin/sh\necho about to fail\nexit 3\n")).await;
    wait_state(&ec2, &id, InstanceStateName::Running).await;
    eventually("the failed user data on the console", WAIT, || async {
        let out = ec2
            .get_console_output()
            .instance_id(&id)
            .send()
            .await
            .ok()?;
        let text = base64::engine::general_purpose::STANDARD
            .decode(out.output()?)
            .ok()?;
        String::from_utf8_lossy(&text)
            .contains("user data exited with status 3")
            .then_some(())
    })
    .await;
    // Like a VM whose service died: the instance itself is still running.
    let status = ec2
        .describe_instance_status()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status.instance_statuses()[0]
            .instance_state()
            .and_then(|s| s.name()),
        Some(&InstanceStateName::Running)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_left_its_process_group_stops_with_the_instance() {
    let ballast = start();
    let ec2 = ballast.ec2();
    // `setsid -f` forks the server into a session and process group of its
    // own, as a classic daemon does.
    let user_data = r#"#!/bin/bash
mkdir -p "$HOME/www" && echo up > "$HOME/www/alive"
setsid -f python3 -m http.server 8080 --bind "$BALLAST_PRIVATE_IP" --directory "$HOME/www" >/dev/null 2>&1
"#;
    let (id, address) = launch(&ec2, Some(user_data)).await;
    wait_state(&ec2, &id, InstanceStateName::Running).await;
    eventually("the daemon to serve", WAIT, || get(&address, "alive")).await;

    ec2.stop_instances().instance_ids(&id).send().await.unwrap();
    wait_state(&ec2, &id, InstanceStateName::Stopped).await;
    assert_eq!(
        get(&address, "alive").await,
        None,
        "a stopped instance's daemon still answers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_ballast_down_stops_processes_that_left_their_group() {
    let mut ballast = start();
    let ec2 = ballast.ec2();
    let user_data = r#"#!/bin/bash
setsid sh -c 'echo $$ > "$HOME/daemon.pid"; exec sleep 100000' >/dev/null 2>&1 &
"#;
    let (id, _) = launch(&ec2, Some(user_data)).await;
    let pid_file = ballast
        .data_dir
        .join("instances")
        .join(&id)
        .join("home/daemon.pid");
    let daemon = written_pid(&pid_file, WAIT).await;
    assert!(process_runs(daemon));
    let status = ballast
        .terminate(Duration::from_secs(20))
        .expect("exited after SIGTERM");
    assert!(status.success(), "{status:?}");
    process_ended(
        daemon,
        "the instance's daemon to end with Ballast",
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_types_are_described_with_their_vcpus_and_memory() {
    let ballast = Ballast::start();
    let ec2 = ballast.ec2();
    let out = ec2
        .describe_instance_types()
        .instance_types(InstanceType::T3Micro)
        .instance_types(InstanceType::M5Large)
        .send()
        .await
        .expect("DescribeInstanceTypes");
    let described: Vec<(String, i32, i64)> = out
        .instance_types()
        .iter()
        .map(|t| {
            (
                t.instance_type().unwrap().as_str().to_owned(),
                t.v_cpu_info().unwrap().default_v_cpus().unwrap(),
                t.memory_info().unwrap().size_in_mib().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("m5.large".to_owned(), 2, 8192),
            ("t3.micro".to_owned(), 2, 1024)
        ]
    );

    // Filters, and pages of at least five.
    let arm = ec2
        .describe_instance_types()
        .filters(filter("processor-info.supported-architecture", &["arm64"]))
        .filters(filter("burstable-performance-supported", &["true"]))
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = arm
        .instance_types()
        .iter()
        .map(|t| t.instance_type().unwrap().as_str())
        .collect();
    assert_eq!(
        names,
        [
            "t4g.2xlarge",
            "t4g.large",
            "t4g.medium",
            "t4g.micro",
            "t4g.nano",
            "t4g.small",
            "t4g.xlarge"
        ]
    );
    let first = ec2
        .describe_instance_types()
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(first.instance_types().len(), 5);
    let second = ec2
        .describe_instance_types()
        .max_results(5)
        .next_token(first.next_token().expect("more pages"))
        .send()
        .await
        .unwrap();
    assert!(second.instance_types()[0].instance_type() > first.instance_types()[4].instance_type());

    let unknown = ec2
        .describe_instance_types()
        .instance_types(InstanceType::from("t3.enormous"))
        .send()
        .await
        .expect_err("an unknown type");
    assert_eq!(error_code(&unknown), "InvalidInstanceType");
    let small_page = ec2
        .describe_instance_types()
        .max_results(4)
        .send()
        .await
        .expect_err("pages of at least five");
    assert_eq!(error_code(&small_page), "InvalidParameterValue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_mode_skips_an_address_another_program_listens_on() {
    let ballast = start();
    let ec2 = ballast.ec2();
    let (_, first) = launch(&ec2, None).await;
    let first: std::net::Ipv4Addr = first.parse().expect("an IPv4 address");
    // Something outside Ballast takes the address the next launch would get.
    let next = std::net::Ipv4Addr::from(u32::from(first) + 1);
    let squatter = std::net::TcpListener::bind((next, 0)).expect("bind the next address");
    let (_, second) = launch(&ec2, None).await;
    assert_ne!(second, next.to_string(), "the launch took a used address");
    assert_eq!(
        second,
        std::net::Ipv4Addr::from(u32::from(first) + 2).to_string()
    );
    drop(squatter);
    let (_, third) = launch(&ec2, None).await;
    assert_eq!(third, next.to_string(), "a freed address is used again");
}

/// The instance's `attribute`, as DescribeInstanceAttribute answers it.
async fn attribute(
    ec2: &Client,
    id: &str,
    attribute: aws_sdk_ec2::types::InstanceAttributeName,
) -> aws_sdk_ec2::operation::describe_instance_attribute::DescribeInstanceAttributeOutput {
    ec2.describe_instance_attribute()
        .instance_id(id)
        .attribute(attribute)
        .send()
        .await
        .expect("DescribeInstanceAttribute")
}

/// Attributes read and changed one at a time: protections that refuse the
/// calls they guard, security groups replaced, and the instance type and
/// user data changed while stopped, which the next start boots with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_attributes_are_read_and_changed() {
    use aws_sdk_ec2::types::{AttributeBooleanValue, AttributeValue, InstanceAttributeName as A};

    let ballast = start();
    let ec2 = ballast.ec2();
    let (id, _) = launch(&ec2, Some("#!/bin/bash\necho first\n")).await;
    wait_state(&ec2, &id, InstanceStateName::Running).await;

    let groups = attribute(&ec2, &id, A::GroupSet).await;
    assert_eq!(groups.groups().len(), 1, "{groups:?}");
    assert_eq!(
        attribute(&ec2, &id, A::InstanceType)
            .await
            .instance_type()
            .and_then(|v| v.value()),
        Some("t3.micro")
    );
    assert_eq!(
        attribute(&ec2, &id, A::DisableApiTermination)
            .await
            .disable_api_termination()
            .and_then(|v| v.value()),
        Some(false)
    );
    let vpc = ec2.describe_vpcs().send().await.unwrap().vpcs()[0]
        .vpc_id()
        .unwrap()
        .to_owned();
    let web = ec2
        .create_security_group()
        .group_name("web")
        .description("web servers")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_owned();
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .groups(&web)
        .send()
        .await
        .expect("ModifyInstanceAttribute groups");
    let groups = attribute(&ec2, &id, A::GroupSet).await;
    assert_eq!(groups.groups()[0].group_id(), Some(web.as_str()));

    ec2.modify_instance_attribute()
        .instance_id(&id)
        .disable_api_termination(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .expect("termination protection on");
    let refused = ec2
        .terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect_err("protected");
    assert_eq!(error_code(&refused), "OperationNotPermitted");
    let refused = ec2
        .modify_instance_attribute()
        .instance_id(&id)
        .instance_type(AttributeValue::builder().value("t3.large").build())
        .send()
        .await
        .expect_err("the type changes only while stopped");
    assert_eq!(error_code(&refused), "IncorrectInstanceState");
    let refused = ec2
        .modify_instance_attribute()
        .instance_id(&id)
        .source_dest_check(AttributeBooleanValue::builder().value(false).build())
        .ebs_optimized(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .expect_err("one attribute a call");
    assert_eq!(error_code(&refused), "InvalidParameterCombination");

    ec2.stop_instances().instance_ids(&id).send().await.unwrap();
    wait_state(&ec2, &id, InstanceStateName::Stopped).await;
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .instance_type(AttributeValue::builder().value("t3.large").build())
        .send()
        .await
        .expect("the type changes while stopped");
    ec2.modify_instance_attribute()
        .instance_id(&id)
        .user_data(
            aws_sdk_ec2::types::SecureBlobAttributeValue::builder()
                .value(aws_sdk_ec2::primitives::Blob::new(
                    "#!/bin/bash\necho second\n",
                ))
                .build(),
        )
        .send()
        .await
        .expect("user data changes while stopped");
    let data = attribute(&ec2, &id, A::UserData).await;
    assert_eq!(
        data.user_data().and_then(|v| v.value()),
        Some(encoded("#!/bin/bash\necho second\n").as_str())
    );
    ec2.start_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    wait_state(&ec2, &id, InstanceStateName::Running).await;
    let described = ec2
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let instance = &described.reservations()[0].instances()[0];
    assert_eq!(instance.instance_type(), Some(&InstanceType::T3Large));

    ec2.modify_instance_attribute()
        .instance_id(&id)
        .attribute(A::DisableApiTermination)
        .value("false")
        .send()
        .await
        .expect("the Attribute/Value form");
    ec2.terminate_instances()
        .instance_ids(&id)
        .send()
        .await
        .expect("no longer protected");
}

/// Detailed monitoring through aws-sdk-ec2: asked for at launch, turned on
/// and off by Monitor- and UnmonitorInstances (which answer EC2's
/// transitional states), shown by DescribeInstances, refused for an
/// instance that does not exist and once an instance is terminated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detailed_monitoring_is_asked_for_turned_on_and_off() {
    use aws_sdk_ec2::types::{MonitoringState, RunInstancesMonitoringEnabled};

    let ballast = start();
    let ec2 = ballast.ec2();
    let monitoring = |id: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_instances()
                .instance_ids(id)
                .send()
                .await
                .expect("DescribeInstances")
                .reservations()[0]
                .instances()[0]
                .monitoring()
                .and_then(|m| m.state())
                .cloned()
        }
    };
    let watched = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .monitoring(
            RunInstancesMonitoringEnabled::builder()
                .enabled(true)
                .build(),
        )
        .send()
        .await
        .expect("RunInstances with monitoring")
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_owned();
    let (plain, _) = launch(&ec2, None).await;
    assert_eq!(
        monitoring(watched.clone()).await,
        Some(MonitoringState::Enabled)
    );
    assert_eq!(
        monitoring(plain.clone()).await,
        Some(MonitoringState::Disabled)
    );

    let on = ec2
        .monitor_instances()
        .instance_ids(&plain)
        .send()
        .await
        .expect("MonitorInstances");
    let answered = &on.instance_monitorings()[0];
    assert_eq!(answered.instance_id(), Some(plain.as_str()));
    assert_eq!(
        answered.monitoring().and_then(|m| m.state()),
        Some(&MonitoringState::Pending)
    );
    assert_eq!(
        monitoring(plain.clone()).await,
        Some(MonitoringState::Enabled)
    );
    let off = ec2
        .unmonitor_instances()
        .instance_ids(&plain)
        .instance_ids(&watched)
        .send()
        .await
        .expect("UnmonitorInstances");
    assert_eq!(off.instance_monitorings().len(), 2);
    assert!(
        off.instance_monitorings().iter().all(|m| {
            m.monitoring().and_then(|m| m.state()) == Some(&MonitoringState::Disabling)
        })
    );
    assert_eq!(monitoring(watched).await, Some(MonitoringState::Disabled));

    let missing = ec2
        .monitor_instances()
        .instance_ids("i-0123456789abcdef0")
        .send()
        .await
        .expect_err("no such instance");
    assert_eq!(error_code(&missing), "InvalidInstanceID.NotFound");
    ec2.terminate_instances()
        .instance_ids(&plain)
        .send()
        .await
        .unwrap();
    wait_state(&ec2, &plain, InstanceStateName::Terminated).await;
    let late = ec2
        .monitor_instances()
        .instance_ids(&plain)
        .send()
        .await
        .expect_err("terminated");
    assert_eq!(error_code(&late), "IncorrectInstanceState");
}
