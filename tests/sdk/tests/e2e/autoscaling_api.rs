//! Auto Scaling through aws-sdk-rust: every operation's shapes and errors,
//! the waiters, and what the controller does with a group whose instances
//! need no load balancer (zones, capacity, processes, hooks API,
//! protection, refresh bookkeeping).

use std::time::Duration;

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::client::Waiters;
use aws_sdk_autoscaling::types::{
    LaunchTemplateSpecification, LifecycleHookSpecification, RefreshPreferences, Tag,
    TrafficSourceIdentifier,
};
use ballast_sdk_tests::fixtures::{AL2023, AL2023_PARAMETER, al2023_template};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};

const WAIT: Duration = Duration::from_secs(30);
const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

async fn template(ballast: &Ballast) -> String {
    al2023_template(&ballast.ec2()).await
}

fn spec(name: &str) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_name(name)
        .version("$Latest")
        .build()
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

/// A new HTTP target group of instances in the default VPC: its ARN.
async fn instance_target_group(elb: &aws_sdk_elasticloadbalancingv2::Client) -> String {
    let tg = elb
        .create_target_group()
        .name(unique("tg").chars().take(32).collect::<String>())
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id("vpc-0ba11a57000000000")
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Instance)
        .send()
        .await
        .expect("CreateTargetGroup");
    tg.target_groups()[0].target_group_arn().unwrap().to_owned()
}

async fn in_service(asg: &Client, name: &str, n: usize) -> Vec<(String, String)> {
    eventually(&format!("{n} instances InService"), WAIT, || async {
        let g = group(asg, name).await;
        let members: Vec<(String, String)> = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
            .map(|i| {
                (
                    i.instance_id().unwrap_or_default().to_owned(),
                    i.availability_zone().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (members.len() == n && g.instances().len() == n).then_some(members)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_spread_across_zones_and_describe_as_aws_does() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let lt = template(&ballast).await;
    let name = unique("asg");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(spec(&lt))
        .min_size(3)
        .max_size(6)
        .set_availability_zones(Some(ZONES.iter().map(|z| (*z).to_owned()).collect()))
        .tags(
            Tag::builder()
                .key("team")
                .value("web")
                .propagate_at_launch(true)
                .build(),
        )
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    asg.wait_until_group_exists()
        .auto_scaling_group_names(&name)
        .wait(WAIT)
        .await
        .expect("group_exists waiter");
    // The SDK's waiters poll every 15 s at least: wait for the state
    // first, so each waiter's first poll is the one that matches.
    let members = in_service(&asg, &name, 3).await;
    asg.wait_until_group_in_service()
        .auto_scaling_group_names(&name)
        .wait(WAIT)
        .await
        .expect("group_in_service waiter");
    let mut zones: Vec<&str> = members.iter().map(|(_, z)| z.as_str()).collect();
    zones.sort_unstable();
    assert_eq!(zones, ZONES, "one instance per zone");

    let g = group(&asg, &name).await;
    assert_eq!(g.desired_capacity(), Some(3));
    assert_eq!(g.default_cooldown(), Some(300));
    assert_eq!(g.health_check_type(), Some("EC2"));
    assert_eq!(g.health_check_grace_period(), Some(0));
    assert_eq!(g.termination_policies(), ["Default"]);
    assert!(
        g.auto_scaling_group_arn()
            .unwrap_or_default()
            .contains(&format!("autoScalingGroupName/{name}"))
    );
    assert_eq!(
        g.launch_template().and_then(|t| t.launch_template_name()),
        Some(lt.as_str())
    );

    // Instances carry the propagated tags and the group's name tag.
    let ec2 = ballast.ec2();
    let described = ec2
        .describe_instances()
        .instance_ids(&members[0].0)
        .send()
        .await
        .unwrap();
    let tags = described.reservations()[0].instances()[0].tags().to_vec();
    let has = |k: &str, v: &str| {
        tags.iter()
            .any(|t| t.key() == Some(k) && t.value() == Some(v))
    };
    assert!(has("team", "web"), "{tags:?}");
    assert!(has("aws:autoscaling:groupName", &name), "{tags:?}");

    // DescribeAutoScalingInstances and the activities.
    let instances = asg
        .describe_auto_scaling_instances()
        .instance_ids(&members[0].0)
        .send()
        .await
        .unwrap();
    let details = &instances.auto_scaling_instances()[0];
    assert_eq!(details.auto_scaling_group_name(), Some(name.as_str()));
    assert_eq!(details.lifecycle_state(), Some("InService"));
    assert_eq!(details.health_status(), Some("Healthy"));
    let activities = asg
        .describe_scaling_activities()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(activities.activities().len(), 3);
    for a in activities.activities() {
        assert_eq!(a.status_code().map(|s| s.as_str()), Some("Successful"));
        assert!(
            a.description()
                .unwrap_or_default()
                .starts_with("Launching a new EC2 instance: i-")
        );
        // AWS's cause names the request, then the launch it led to.
        let cause = a.cause().unwrap_or_default();
        assert!(
            cause.contains(
                "a user request created an AutoScalingGroup changing the desired capacity from 0 to 3.  At "
            ) && cause.contains("difference between desired and actual capacity"),
            "{cause}"
        );
    }

    // Scale out, then in; protected instances stay.
    asg.set_instance_protection()
        .auto_scaling_group_name(&name)
        .instance_ids(&members[0].0)
        .protected_from_scale_in(true)
        .send()
        .await
        .expect("SetInstanceProtection");
    asg.set_desired_capacity()
        .auto_scaling_group_name(&name)
        .desired_capacity(5)
        .send()
        .await
        .expect("SetDesiredCapacity");
    in_service(&asg, &name, 5).await;
    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .max_size(1)
        .min_size(1)
        .send()
        .await
        .expect("UpdateAutoScalingGroup pulls desired down");
    let left = in_service(&asg, &name, 1).await;
    assert_eq!(left[0].0, members[0].0, "the protected instance stays");

    // Errors.
    let e = asg
        .set_desired_capacity()
        .auto_scaling_group_name(&name)
        .desired_capacity(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
    let e = asg
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(spec(&lt))
        .min_size(0)
        .max_size(1)
        .availability_zones("us-east-1a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "AlreadyExists");
    let e = asg
        .create_auto_scaling_group()
        .auto_scaling_group_name(unique("bad"))
        .launch_template(spec("no-such-template"))
        .min_size(0)
        .max_size(1)
        .availability_zones("us-east-1a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
    let e = asg
        .create_auto_scaling_group()
        .auto_scaling_group_name(unique("bad"))
        .launch_template(spec(&lt))
        .min_size(2)
        .max_size(1)
        .availability_zones("us-east-1a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
    let e = asg
        .create_auto_scaling_group()
        .auto_scaling_group_name(unique("bad"))
        .launch_template(spec(&lt))
        .min_size(0)
        .max_size(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError", "no zone and no subnet");
    let e = asg
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ResourceInUse");
    let e = asg
        .describe_auto_scaling_groups()
        .max_records(101)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");

    // Force delete terminates the instances, then the group goes.
    asg.delete_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .force_delete(true)
        .send()
        .await
        .expect("DeleteAutoScalingGroup ForceDelete");
    eventually("the group deleted", WAIT, || async {
        asg.describe_auto_scaling_groups()
            .auto_scaling_group_names(&name)
            .send()
            .await
            .ok()?
            .auto_scaling_groups()
            .is_empty()
            .then_some(())
    })
    .await;
    asg.wait_until_group_not_exists()
        .auto_scaling_group_names(&name)
        .wait(WAIT)
        .await
        .expect("group_not_exists waiter");
    let state = ec2
        .describe_instances()
        .instance_ids(&members[0].0)
        .send()
        .await
        .unwrap()
        .reservations()[0]
        .instances()[0]
        .state()
        .and_then(|s| s.name())
        .cloned();
    assert!(matches!(
        state,
        Some(
            aws_sdk_ec2::types::InstanceStateName::ShuttingDown
                | aws_sdk_ec2::types::InstanceStateName::Terminated
        )
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_hooks_target_groups_and_refreshes() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let lt = template(&ballast).await;
    let name = unique("asg");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(spec(&lt))
        .min_size(0)
        .max_size(2)
        .vpc_zone_identifier("subnet-0ba11a5700000000a,subnet-0ba11a5700000000b")
        .lifecycle_hook_specification_list(
            LifecycleHookSpecification::builder()
                .lifecycle_hook_name("on-launch")
                .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
                .heartbeat_timeout(120)
                .default_result("CONTINUE")
                .build(),
        )
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    let g = group(&asg, &name).await;
    assert_eq!(g.availability_zones(), ["us-east-1a", "us-east-1b"]);
    assert_eq!(
        g.vpc_zone_identifier(),
        Some("subnet-0ba11a5700000000a,subnet-0ba11a5700000000b")
    );

    // Processes.
    let types = asg.describe_scaling_process_types().send().await.unwrap();
    assert_eq!(types.processes().len(), 9);
    asg.suspend_processes()
        .auto_scaling_group_name(&name)
        .scaling_processes("AZRebalance")
        .scaling_processes("Launch")
        .send()
        .await
        .expect("SuspendProcesses");
    let suspended: Vec<String> = group(&asg, &name)
        .await
        .suspended_processes()
        .iter()
        .map(|p| p.process_name().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(suspended, ["AZRebalance", "Launch"]);
    let e = asg
        .suspend_processes()
        .auto_scaling_group_name(&name)
        .scaling_processes("Nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
    // Launch suspended: no instance comes.
    asg.set_desired_capacity()
        .auto_scaling_group_name(&name)
        .desired_capacity(1)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(group(&asg, &name).await.instances().is_empty());
    asg.resume_processes()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("ResumeProcesses (all)");
    assert!(group(&asg, &name).await.suspended_processes().is_empty());

    // The launch hook holds the new instance.
    let hooks = asg
        .describe_lifecycle_hooks()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap();
    let hook = &hooks.lifecycle_hooks()[0];
    assert_eq!(hook.heartbeat_timeout(), Some(120));
    assert_eq!(hook.global_timeout(), Some(12000));
    assert_eq!(hook.default_result(), Some("CONTINUE"));
    let waiting = eventually("the instance in Pending:Wait", WAIT, || async {
        let g = group(&asg, &name).await;
        g.instances()
            .iter()
            .find(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("Pending:Wait"))
            .and_then(|i| i.instance_id().map(str::to_owned))
    })
    .await;
    asg.record_lifecycle_action_heartbeat()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("on-launch")
        .instance_id(&waiting)
        .send()
        .await
        .expect("RecordLifecycleActionHeartbeat");
    let e = asg
        .complete_lifecycle_action()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("on-launch")
        .lifecycle_action_token("00000000-0000-4000-a000-000000000000")
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
    asg.complete_lifecycle_action()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("on-launch")
        .instance_id(&waiting)
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .expect("CompleteLifecycleAction");
    in_service(&asg, &name, 1).await;
    let e = asg
        .put_lifecycle_hook()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("bad")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
        .heartbeat_timeout(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
    asg.delete_lifecycle_hook()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("on-launch")
        .send()
        .await
        .expect("DeleteLifecycleHook");
    let types = asg.describe_lifecycle_hook_types().send().await.unwrap();
    assert_eq!(types.lifecycle_hook_types().len(), 2);

    // Target groups: additive, with states, and the traffic source forms.
    let elb = ballast.elbv2();
    let tg_arn = instance_target_group(&elb).await;
    asg.attach_load_balancer_target_groups()
        .auto_scaling_group_name(&name)
        .target_group_arns(&tg_arn)
        .send()
        .await
        .expect("AttachLoadBalancerTargetGroups");
    let states = asg
        .describe_load_balancer_target_groups()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        states.load_balancer_target_groups()[0].load_balancer_target_group_arn(),
        Some(tg_arn.as_str())
    );
    let sources = asg
        .describe_traffic_sources()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sources.traffic_sources()[0].identifier(),
        Some(tg_arn.as_str())
    );
    assert_eq!(sources.traffic_sources()[0].r#type(), Some("elbv2"));
    // The group's instance is registered with the attached group.
    eventually("the instance registered", WAIT, || async {
        let health = elb
            .describe_target_health()
            .target_group_arn(&tg_arn)
            .send()
            .await
            .ok()?;
        (health.target_health_descriptions().len() == 1).then_some(())
    })
    .await;
    asg.detach_traffic_sources()
        .auto_scaling_group_name(&name)
        .traffic_sources(
            TrafficSourceIdentifier::builder()
                .identifier(&tg_arn)
                .r#type("elbv2")
                .build(),
        )
        .send()
        .await
        .expect("DetachTrafficSources");
    eventually("the attachment removed", WAIT, || async {
        let states = asg
            .describe_load_balancer_target_groups()
            .auto_scaling_group_name(&name)
            .send()
            .await
            .ok()?;
        states
            .load_balancer_target_groups()
            .is_empty()
            .then_some(())
    })
    .await;
    let e = asg
        .attach_load_balancer_target_groups()
        .auto_scaling_group_name(&name)
        .target_group_arns(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0123456789abcdef",
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");

    // Instance refresh bookkeeping.
    let e = asg
        .cancel_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ActiveInstanceRefreshNotFound");
    let started = asg
        .start_instance_refresh()
        .auto_scaling_group_name(&name)
        .preferences(
            RefreshPreferences::builder()
                .min_healthy_percentage(0)
                .instance_warmup(1)
                .build(),
        )
        .send()
        .await
        .expect("StartInstanceRefresh");
    let id = started.instance_refresh_id().unwrap().to_owned();
    let e = asg
        .start_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "InstanceRefreshInProgress");
    let done = eventually("the refresh to succeed", WAIT, || async {
        let r = asg
            .describe_instance_refreshes()
            .auto_scaling_group_name(&name)
            .send()
            .await
            .ok()?;
        let r = r.instance_refreshes().first()?.clone();
        (r.status().map(|s| s.as_str()) == Some("Successful")).then_some(r)
    })
    .await;
    assert_eq!(done.instance_refresh_id(), Some(id.as_str()));
    assert_eq!(done.percentage_complete(), Some(100));
    let now = in_service(&asg, &name, 1).await;
    assert_ne!(now[0].0, waiting, "the refresh replaced the instance");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_ballast_carries_on_where_it_stopped() {
    let dir = tempfile::tempdir().expect("data dir");
    let mut first = Ballast::start_in(dir.path(), &["--time-scale", "0.05"]);
    let asg = first.autoscaling();
    let lt = template(&first).await;
    let name = unique("asg");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(spec(&lt))
        .min_size(2)
        .max_size(3)
        .availability_zones("us-east-1a")
        .availability_zones("us-east-1b")
        .send()
        .await
        .unwrap();
    let mut before: Vec<String> = in_service(&asg, &name, 2)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    before.sort();
    // A launch hook the next instance will wait on across the restart.
    asg.put_lifecycle_hook()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("hold")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
        .heartbeat_timeout(7200)
        .send()
        .await
        .unwrap();
    asg.set_desired_capacity()
        .auto_scaling_group_name(&name)
        .desired_capacity(3)
        .send()
        .await
        .unwrap();
    let waiting = eventually("the third instance waiting", WAIT, || async {
        group(&asg, &name)
            .await
            .instances()
            .iter()
            .find(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("Pending:Wait"))
            .and_then(|i| i.instance_id().map(str::to_owned))
    })
    .await;
    first.kill9();

    let second = Ballast::start_in(dir.path(), &["--time-scale", "0.05"]);
    let asg = second.autoscaling();
    // Nothing lost, nothing doubled: the same instances, the same wait.
    let g = group(&asg, &name).await;
    let mut ids: Vec<String> = g
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    let mut expected = before.clone();
    expected.push(waiting.clone());
    expected.sort();
    assert_eq!(ids, expected);
    asg.complete_lifecycle_action()
        .auto_scaling_group_name(&name)
        .lifecycle_hook_name("hold")
        .instance_id(&waiting)
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .expect("the wait survived the restart");
    let mut after: Vec<String> = in_service(&asg, &name, 3)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    after.sort();
    assert_eq!(after, expected);
    let running = second
        .ec2()
        .describe_instances()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .reservations()
        .iter()
        .map(|r| r.instances().len())
        .sum::<usize>();
    assert_eq!(running, 3, "no instance launched twice");
}

async fn running_instance(ec2: &aws_sdk_ec2::Client) -> String {
    use aws_sdk_ec2::client::Waiters as _;

    let run = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances");
    let id = run.instances()[0].instance_id().unwrap().to_owned();
    ec2.wait_until_instance_running()
        .instance_ids(&id)
        .wait(WAIT)
        .await
        .expect("the instance running");
    id
}

async fn ec2_state(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    let reply = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("DescribeInstances");
    reply.reservations()[0].instances()[0]
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_attached_detached_and_marked_unhealthy() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let ec2 = ballast.ec2();
    let lt = template(&ballast).await;
    let name = unique("asg");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(spec(&lt))
        .min_size(0)
        .max_size(3)
        .desired_capacity(0)
        .availability_zones(ZONES[0])
        .send()
        .await
        .expect("CreateAutoScalingGroup");

    // AttachInstances: a running instance joins and the desired capacity
    // grows by one.
    let own = running_instance(&ec2).await;
    asg.attach_instances()
        .auto_scaling_group_name(&name)
        .instance_ids(&own)
        .send()
        .await
        .expect("AttachInstances");
    let members = in_service(&asg, &name, 1).await;
    assert_eq!(members[0].0, own);
    assert_eq!(group(&asg, &name).await.desired_capacity(), Some(1));
    let e = asg
        .attach_instances()
        .auto_scaling_group_name(&name)
        .instance_ids("i-0123456789abcdef0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");

    // SetInstanceHealth: an Unhealthy instance is terminated and replaced.
    asg.set_instance_health()
        .instance_id(&own)
        .health_status("Unhealthy")
        .should_respect_grace_period(false)
        .send()
        .await
        .expect("SetInstanceHealth");
    let replacement = eventually("a replacement InService", WAIT, || async {
        let g = group(&asg, &name).await;
        let ids: Vec<&str> = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
            .filter_map(|i| i.instance_id())
            .collect();
        (ids.len() == 1 && ids[0] != own).then(|| ids[0].to_owned())
    })
    .await;
    eventually("the unhealthy instance terminated", WAIT, || async {
        (ec2_state(&ec2, &own).await == "terminated").then_some(())
    })
    .await;
    let e = asg
        .set_instance_health()
        .instance_id("i-0123456789abcdef0")
        .health_status("Unhealthy")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");

    // DetachInstances: the instance leaves the group and keeps running.
    let detached = asg
        .detach_instances()
        .auto_scaling_group_name(&name)
        .instance_ids(&replacement)
        .should_decrement_desired_capacity(true)
        .send()
        .await
        .expect("DetachInstances");
    assert_eq!(detached.activities().len(), 1);
    eventually("the group empty", WAIT, || async {
        group(&asg, &name)
            .await
            .instances()
            .is_empty()
            .then_some(())
    })
    .await;
    assert_eq!(group(&asg, &name).await.desired_capacity(), Some(0));
    assert_eq!(ec2_state(&ec2, &replacement).await, "running");
    let e = asg
        .detach_instances()
        .auto_scaling_group_name(&name)
        .instance_ids(&replacement)
        .should_decrement_desired_capacity(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");

    // AttachTrafficSources, then DetachLoadBalancerTargetGroups.
    let tg_arn = instance_target_group(&ballast.elbv2()).await;
    asg.attach_traffic_sources()
        .auto_scaling_group_name(&name)
        .traffic_sources(
            TrafficSourceIdentifier::builder()
                .identifier(&tg_arn)
                .r#type("elbv2")
                .build(),
        )
        .send()
        .await
        .expect("AttachTrafficSources");
    let states = asg
        .describe_load_balancer_target_groups()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        states.load_balancer_target_groups()[0].load_balancer_target_group_arn(),
        Some(tg_arn.as_str())
    );
    asg.detach_load_balancer_target_groups()
        .auto_scaling_group_name(&name)
        .target_group_arns(&tg_arn)
        .send()
        .await
        .expect("DetachLoadBalancerTargetGroups");
    eventually("the target group detached", WAIT, || async {
        let sources = asg
            .describe_traffic_sources()
            .auto_scaling_group_name(&name)
            .send()
            .await
            .ok()?;
        sources.traffic_sources().is_empty().then_some(())
    })
    .await;
    let e = asg
        .attach_traffic_sources()
        .auto_scaling_group_name("no-such-group")
        .traffic_sources(
            TrafficSourceIdentifier::builder()
                .identifier(&tg_arn)
                .r#type("elbv2")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ValidationError");
}

/// The EC2 tags of an instance, as `(key, value)`.
async fn instance_tags(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<(String, String)> {
    let reply = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .expect("DescribeInstances");
    reply.reservations()[0].instances()[0]
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The steps of AWS's own aws-sdk-rust Auto Scaling scenario (a group of
/// one from a launch template, metrics collection on, scaled to two, an
/// instance terminated and replaced, metrics off, scaled to zero and
/// deleted), with tags changed along the way: a tag set after creation
/// reaches the instances launched after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_collection_and_tags_through_a_groups_life() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let ec2 = ballast.ec2();
    let lt = template(&ballast).await;
    let name = unique("asg");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(spec(&lt))
        .min_size(1)
        .max_size(1)
        .set_availability_zones(Some(ZONES.iter().map(|z| (*z).to_owned()).collect()))
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    asg.enable_metrics_collection()
        .auto_scaling_group_name(&name)
        .granularity("1Minute")
        .set_metrics(Some(
            [
                "GroupMinSize",
                "GroupMaxSize",
                "GroupDesiredCapacity",
                "GroupInServiceInstances",
                "GroupTotalInstances",
            ]
            .map(String::from)
            .to_vec(),
        ))
        .send()
        .await
        .expect("EnableMetricsCollection");
    let enabled = group(&asg, &name).await;
    let metrics: Vec<&str> = enabled
        .enabled_metrics()
        .iter()
        .filter_map(|m| m.metric())
        .collect();
    assert_eq!(metrics.len(), 5, "{metrics:?}");
    assert!(
        enabled
            .enabled_metrics()
            .iter()
            .all(|m| m.granularity() == Some("1Minute"))
    );
    let types = asg
        .describe_metric_collection_types()
        .send()
        .await
        .expect("DescribeMetricCollectionTypes");
    assert!(types.metrics().len() >= 8);
    assert_eq!(types.granularities()[0].granularity(), Some("1Minute"));
    let first = in_service(&asg, &name, 1).await;

    asg.create_or_update_tags()
        .tags(
            Tag::builder()
                .resource_id(&name)
                .resource_type("auto-scaling-group")
                .key("team")
                .value("web")
                .propagate_at_launch(true)
                .build(),
        )
        .send()
        .await
        .expect("CreateOrUpdateTags");
    let tags = asg
        .describe_tags()
        .filters(
            aws_sdk_autoscaling::types::Filter::builder()
                .name("auto-scaling-group")
                .values(&name)
                .build(),
        )
        .send()
        .await
        .expect("DescribeTags");
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), Some("team"));
    assert_eq!(tags.tags()[0].propagate_at_launch(), Some(true));

    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .max_size(3)
        .send()
        .await
        .expect("UpdateAutoScalingGroup");
    asg.set_desired_capacity()
        .auto_scaling_group_name(&name)
        .desired_capacity(2)
        .send()
        .await
        .expect("SetDesiredCapacity");
    let two = in_service(&asg, &name, 2).await;
    let (second, _) = two
        .iter()
        .find(|(id, _)| *id != first[0].0)
        .expect("a second instance");
    let tagged = instance_tags(&ec2, second).await;
    assert!(
        tagged.contains(&("team".to_owned(), "web".to_owned())),
        "the tag reached the instance launched after it: {tagged:?}"
    );
    assert!(
        !instance_tags(&ec2, &first[0].0)
            .await
            .iter()
            .any(|(k, _)| k == "team"),
        "an instance launched before keeps its tags"
    );

    ec2.terminate_instances()
        .instance_ids(&first[0].0)
        .send()
        .await
        .expect("TerminateInstances");
    eventually("the terminated instance replaced", WAIT, || async {
        let g = group(&asg, &name).await;
        let ids: Vec<&str> = g
            .instances()
            .iter()
            .filter_map(|i| i.instance_id())
            .collect();
        let in_service = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
            .count();
        (in_service == 2 && !ids.contains(&first[0].0.as_str())).then_some(())
    })
    .await;

    asg.delete_tags()
        .tags(
            Tag::builder()
                .resource_id(&name)
                .resource_type("auto-scaling-group")
                .key("team")
                .build(),
        )
        .send()
        .await
        .expect("DeleteTags");
    assert!(group(&asg, &name).await.tags().is_empty());
    asg.disable_metrics_collection()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("DisableMetricsCollection");
    assert!(group(&asg, &name).await.enabled_metrics().is_empty());
    let refused = asg
        .enable_metrics_collection()
        .auto_scaling_group_name(&name)
        .granularity("1Hour")
        .send()
        .await
        .expect_err("only 1Minute");
    assert_eq!(error_code(&refused), "ValidationError");
    let refused = asg
        .create_or_update_tags()
        .tags(
            Tag::builder()
                .resource_id("no-such-group")
                .resource_type("auto-scaling-group")
                .key("k")
                .value("v")
                .build(),
        )
        .send()
        .await
        .expect_err("no such group");
    assert_eq!(error_code(&refused), "ValidationError");

    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .min_size(0)
        .desired_capacity(0)
        .send()
        .await
        .expect("scale to zero");
    eventually("the group empty", WAIT, || async {
        group(&asg, &name)
            .await
            .instances()
            .is_empty()
            .then_some(())
    })
    .await;
    asg.delete_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("DeleteAutoScalingGroup");
}

/// The launch template versions of a group's instances, by lifecycle.
async fn versions(asg: &Client, name: &str) -> Vec<(String, String)> {
    let mut seen: Vec<(String, String)> = group(asg, name)
        .await
        .instances()
        .iter()
        .map(|i| {
            (
                i.lifecycle_state()
                    .map(|s| s.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                i.launch_template()
                    .and_then(|t| t.version())
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    seen.sort();
    seen
}

async fn refresh_status(asg: &Client, name: &str) -> aws_sdk_autoscaling::types::InstanceRefresh {
    asg.describe_instance_refreshes()
        .auto_scaling_group_name(name)
        .send()
        .await
        .expect("DescribeInstanceRefreshes")
        .instance_refreshes()
        .first()
        .cloned()
        .expect("a refresh")
}

/// Version `version` of the launch template `template`.
fn template_version(template: &str, version: &str) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_name(template)
        .version(version)
        .build()
}

/// Adds version 2 (a `t3.small` from the AL2023 AMI) to `template`, and
/// starts a group of `desired` instances on version 1: its name, once
/// they are in service.
async fn group_on_version_1(
    ballast: &Ballast,
    template: &str,
    prefix: &str,
    desired: i32,
) -> String {
    ballast
        .ec2()
        .create_launch_template_version()
        .launch_template_name(template)
        .source_version("1")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(AL2023)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplateVersion");
    let asg = ballast.autoscaling();
    let name = unique(prefix);
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(template_version(template, "1"))
        .min_size(0)
        .max_size(desired + 1)
        .desired_capacity(desired)
        .availability_zones(ZONES[0])
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    in_service(&asg, &name, desired as usize).await;
    name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_whose_image_is_a_parameter_cannot_be_rolled_back() {
    // Version 1, the group's, takes its image from a parameter; version 2,
    // the refresh's, names the AMI: what decides is the version the
    // rollback would go back to.
    let ballast = Ballast::start();
    let asg = ballast.autoscaling();
    let ec2 = ballast.ec2();
    let template = unique("lt-ssm");
    ec2.create_launch_template()
        .launch_template_name(&template)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(format!("resolve:ssm:{AL2023_PARAMETER}"))
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let version = |v: &str| template_version(&template, v);
    let name = group_on_version_1(&ballast, &template, "ssm-image", 1).await;
    // A warmup long enough that the refresh is still going when the
    // rollback is asked for.
    asg.start_instance_refresh()
        .auto_scaling_group_name(&name)
        .preferences(RefreshPreferences::builder().instance_warmup(3600).build())
        .desired_configuration(
            aws_sdk_autoscaling::types::DesiredConfiguration::builder()
                .launch_template(version("2"))
                .build(),
        )
        .send()
        .await
        .expect("StartInstanceRefresh");
    let refused = asg
        .rollback_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect_err("the image is a parameter");
    assert_eq!(error_code(&refused), "IrreversibleInstanceRefresh");
    let status = refresh_status(&asg, &name).await;
    assert!(
        matches!(
            status.status().map(|s| s.as_str()),
            Some("Pending" | "InProgress")
        ),
        "the refused rollback changed nothing: {status:?}"
    );
    assert!(status.rollback_details().is_none(), "{status:?}");
    asg.cancel_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("CancelInstanceRefresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_rolled_back_midway_puts_the_group_back_on_its_version() {
    let ballast = Ballast::start();
    let asg = ballast.autoscaling();
    let template = template(&ballast).await;
    let version = |v: &str| template_version(&template, v);
    let name = group_on_version_1(&ballast, &template, "rollback", 2).await;
    let none = asg
        .rollback_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect_err("no refresh to roll back");
    assert_eq!(error_code(&none), "ActiveInstanceRefreshNotFound");

    // A refresh to the group's own configuration has nothing to go back to.
    let preferences = RefreshPreferences::builder()
        .min_healthy_percentage(50)
        .instance_warmup(4)
        .build();
    asg.start_instance_refresh()
        .auto_scaling_group_name(&name)
        .preferences(preferences)
        .send()
        .await
        .expect("StartInstanceRefresh");
    let irreversible = asg
        .rollback_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect_err("no desired configuration");
    assert_eq!(error_code(&irreversible), "IrreversibleInstanceRefresh");
    asg.cancel_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("CancelInstanceRefresh");
    eventually("the refresh to be cancelled", WAIT, || async {
        let r = refresh_status(&asg, &name).await;
        (r.status().map(|s| s.as_str()) == Some("Cancelled")).then_some(())
    })
    .await;
    in_service(&asg, &name, 2).await;

    // To version 2, one instance at a time; rolled back once the first
    // replacement is in service.
    let refresh = asg
        .start_instance_refresh()
        .auto_scaling_group_name(&name)
        .preferences(
            RefreshPreferences::builder()
                .min_healthy_percentage(50)
                .instance_warmup(4)
                .auto_rollback(true)
                .build(),
        )
        .desired_configuration(
            aws_sdk_autoscaling::types::DesiredConfiguration::builder()
                .launch_template(version("2"))
                .build(),
        )
        .send()
        .await
        .expect("StartInstanceRefresh to version 2")
        .instance_refresh_id()
        .expect("an id")
        .to_owned();
    eventually("one instance in service on version 2", WAIT, || async {
        let seen = versions(&asg, &name).await;
        seen.contains(&("InService".to_owned(), "2".to_owned()))
            .then_some(())
    })
    .await;
    let rolled = asg
        .rollback_instance_refresh()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("RollbackInstanceRefresh");
    assert_eq!(rolled.instance_refresh_id(), Some(refresh.as_str()));
    let during = refresh_status(&asg, &name).await;
    assert_eq!(
        during.status().map(|s| s.as_str()),
        Some("RollbackInProgress")
    );
    let details = during.rollback_details().expect("RollbackDetails");
    assert_eq!(
        details.rollback_reason(),
        Some("Rollback requested by user.")
    );
    assert!(details.rollback_start_time().is_some());
    // One of the two was replaced: the other needs no rollback.
    assert_eq!(details.instances_to_update_on_rollback(), Some(1));
    assert_eq!(during.instances_to_update(), Some(1));
    assert_eq!(
        during.preferences().and_then(|p| p.auto_rollback()),
        Some(true)
    );

    let done = eventually(
        "the rollback to succeed",
        Duration::from_secs(60),
        || async {
            let r = refresh_status(&asg, &name).await;
            (r.status().map(|s| s.as_str()) == Some("RollbackSuccessful")).then_some(r)
        },
    )
    .await;
    assert!(done.end_time().is_some());
    let after = in_service(&asg, &name, 2).await;
    assert_eq!(after.len(), 2);
    assert_eq!(
        versions(&asg, &name).await,
        [
            ("InService".to_owned(), "1".to_owned()),
            ("InService".to_owned(), "1".to_owned())
        ],
        "every instance is back on version 1"
    );
    let kept = group(&asg, &name).await;
    assert_eq!(
        kept.launch_template().and_then(|t| t.version()),
        Some("1"),
        "the group keeps its configuration"
    );
}

#[tokio::test]
async fn account_limits_count_what_the_account_has() {
    let ballast = Ballast::start();
    let asg = ballast.autoscaling();
    let limits = asg
        .describe_account_limits()
        .send()
        .await
        .expect("DescribeAccountLimits");
    assert_eq!(limits.max_number_of_auto_scaling_groups(), Some(500));
    assert_eq!(limits.max_number_of_launch_configurations(), Some(200));
    assert_eq!(limits.number_of_auto_scaling_groups(), Some(0));
    let template = template(&ballast).await;
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("counted")
        .launch_template(spec(&template))
        .min_size(0)
        .max_size(1)
        .availability_zones(ZONES[0])
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    let limits = asg
        .describe_account_limits()
        .send()
        .await
        .expect("DescribeAccountLimits");
    assert_eq!(limits.number_of_auto_scaling_groups(), Some(1));
    assert_eq!(limits.number_of_launch_configurations(), Some(0));

    let policies = asg
        .describe_termination_policy_types()
        .send()
        .await
        .expect("DescribeTerminationPolicyTypes");
    let policies = policies.termination_policy_types();
    assert!(policies.contains(&"OldestLaunchTemplate".to_owned()));
    assert!(policies.windows(2).all(|w| w[0] < w[1]), "sorted");
    let notifications = asg
        .describe_auto_scaling_notification_types()
        .send()
        .await
        .expect("DescribeAutoScalingNotificationTypes");
    assert!(
        notifications
            .auto_scaling_notification_types()
            .contains(&"autoscaling:EC2_INSTANCE_LAUNCH".to_owned())
    );
}
