//! Auto Scaling groups that heal, end to end: a group of three across
//! three zones behind an ALB, serving real traffic from web servers its
//! instances' user data starts. A service killed inside an instance, an
//! instance terminated from outside, user terminations, standby and
//! suspended processes, lifecycle hooks and an instance refresh are all
//! observed from outside: through the API, target health and a request
//! loop that must not fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::types::{LaunchTemplateSpecification, RefreshPreferences, Tag};
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetGroupAttribute, TargetTypeEnum};
use ballast_sdk_tests::fixtures::{AL2023, al2023_template, alb_forwarding_to};
use ballast_sdk_tests::{Ballast, eventually, unique};
use base64::Engine as _;

const WAIT: Duration = Duration::from_secs(60);

/// User data: serve the instance's id on its private address, from the
/// boot hook, and keep the server's pid where the test can find it.
const WEB: &str = r#"#!/bin/bash
mkdir -p "$HOME/www"
echo -n "$BALLAST_INSTANCE_ID" > "$HOME/www/id"
cat > "$BALLAST_BOOT_HOOK" <<'HOOK'
#!/bin/bash
cd "$HOME/www"
nohup python3 -m http.server 8080 --bind "$BALLAST_PRIVATE_IP" >/dev/null 2>&1 &
echo -n $! > pid
HOOK
chmod +x "$BALLAST_BOOT_HOOK"
"#;

struct Fixture {
    ballast: Ballast,
    asg: Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    ec2: aws_sdk_ec2::Client,
    group: String,
    tg: String,
    url: String,
}

/// A group of three across three zones behind an ALB, every instance
/// InService and healthy.
async fn fixture(health_check_type: &str, extra_tags: Vec<Tag>) -> Fixture {
    let ballast = Ballast::start_with(&["--time-scale", "0.05", "--hosts-file", "/etc/hosts"]);
    let (asg, elb, ec2) = (ballast.autoscaling(), ballast.elbv2(), ballast.ec2());
    let lt = unique("web");
    ec2.create_launch_template()
        .launch_template_name(&lt)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(AL2023)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .user_data(base64::engine::general_purpose::STANDARD.encode(WEB))
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let short = |prefix: &str| unique(prefix).chars().take(32).collect::<String>();
    let tg = elb
        .create_target_group()
        .name(short("tg"))
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id("vpc-0ba11a57000000000")
        .target_type(TargetTypeEnum::Instance)
        .health_check_path("/id")
        .health_check_interval_seconds(5)
        .health_check_timeout_seconds(2)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(2)
        .send()
        .await
        .expect("CreateTargetGroup");
    let tg = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
    elb.modify_target_group_attributes()
        .target_group_arn(&tg)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("10")
                .build(),
        )
        .send()
        .await
        .expect("deregistration delay");
    let lb = &alb_forwarding_to(&elb, &short("lb"), &tg, true).await;
    let group = unique("web");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(&lt)
                .version("$Default")
                .build(),
        )
        .min_size(3)
        .max_size(4)
        .availability_zones("us-east-1a")
        .availability_zones("us-east-1b")
        .availability_zones("us-east-1c")
        .target_group_arns(&tg)
        .health_check_type(health_check_type)
        .health_check_grace_period(20)
        .set_tags(Some(extra_tags))
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    let fixture = Fixture {
        url: format!("http://{}/id", lb.dns_name().unwrap()),
        ballast,
        asg,
        elb,
        ec2,
        group,
        tg,
    };
    let members = fixture.steady(3).await;
    let mut zones: Vec<String> = members.iter().map(|(_, z)| z.clone()).collect();
    zones.sort();
    assert_eq!(zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    fixture
}

impl Fixture {
    /// The group's instances: `(id, lifecycle state, health, zone)`.
    async fn members(&self) -> Vec<(String, String, String, String)> {
        let out = self
            .asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(&self.group)
            .send()
            .await
            .expect("DescribeAutoScalingGroups");
        out.auto_scaling_groups()[0]
            .instances()
            .iter()
            .map(|i| {
                (
                    i.instance_id().unwrap_or_default().to_owned(),
                    i.lifecycle_state()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    i.health_status().unwrap_or_default().to_owned(),
                    i.availability_zone().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Target health: `(id, state)`.
    async fn health(&self) -> Vec<(String, String)> {
        let out = self
            .elb
            .describe_target_health()
            .target_group_arn(&self.tg)
            .send()
            .await
            .expect("DescribeTargetHealth");
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
                )
            })
            .collect()
    }

    /// Waits until exactly `n` instances are InService and healthy, and
    /// each is healthy in the target group with nothing else registered.
    async fn steady(&self, n: usize) -> Vec<(String, String)> {
        eventually(
            &format!("{n} instances in service and healthy"),
            WAIT,
            || async {
                let members = self.members().await;
                if members.len() != n
                    || members
                        .iter()
                        .any(|(_, state, health, _)| state != "InService" || health != "Healthy")
                {
                    return None;
                }
                let mut health = self.health().await;
                health.sort();
                let mut ids: Vec<&String> = members.iter().map(|(id, ..)| id).collect();
                ids.sort();
                let healthy: Vec<&String> = health
                    .iter()
                    .filter(|(_, s)| s == "healthy")
                    .map(|(id, _)| id)
                    .collect();
                (health.len() == n && healthy == ids).then(|| {
                    members
                        .into_iter()
                        .map(|(id, _, _, zone)| (id, zone))
                        .collect()
                })
            },
        )
        .await
    }

    async fn address(&self, id: &str) -> String {
        let out = self
            .ec2
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("DescribeInstances");
        out.reservations()[0].instances()[0]
            .private_ip_address()
            .unwrap_or_default()
            .to_owned()
    }

    async fn activity_causes(&self) -> Vec<String> {
        let out = self
            .asg
            .describe_scaling_activities()
            .auto_scaling_group_name(&self.group)
            .send()
            .await
            .expect("DescribeScalingActivities");
        out.activities()
            .iter()
            .map(|a| {
                format!(
                    "{} | {} | {}",
                    a.description().unwrap_or_default(),
                    a.cause().unwrap_or_default(),
                    a.status_code().map(|s| s.as_str()).unwrap_or_default()
                )
            })
            .collect()
    }
}

/// A request loop through the load balancer: counts answers and failures
/// until stopped.
struct Traffic {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    failed: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Traffic {
    fn start(url: &str) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let (stop, ok, failed, url) = (
                Arc::clone(&stop),
                Arc::clone(&ok),
                Arc::clone(&failed),
                url.to_owned(),
            );
            async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .expect("client");
                while !stop.load(Ordering::Relaxed) {
                    match client.get(&url).send().await {
                        Ok(r) if r.status().is_success() => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => failed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("status {}", r.status())),
                        Err(e) => failed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(e.to_string()),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        Traffic {
            stop,
            ok,
            failed,
            task,
        }
    }

    /// Stops the loop: `(answered, failures)`.
    async fn stop(self) -> (usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        (self.ok.load(Ordering::Relaxed), failed)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_service_is_replaced_and_a_refresh_loses_no_request() {
    let f = fixture("ELB", Vec::new()).await;
    let before = f.steady(3).await;

    // Kill the web server inside one instance: the instance keeps running,
    // ELB health fails, the group replaces it; the request loop across
    // the kill loses nothing.
    let traffic = Traffic::start(&f.url);
    let (victim, victim_zone) = before[0].clone();
    let address = f.address(&victim).await;
    let pid = reqwest::get(format!("http://{address}:8080/pid"))
        .await
        .expect("GET /pid")
        .text()
        .await
        .expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .expect("kill");
    assert!(killed.success());
    eventually("the dead instance out of the group", WAIT, || async {
        let members = f.members().await;
        (!members.iter().any(|(id, ..)| *id == victim)).then_some(())
    })
    .await;
    let after = f.steady(3).await;
    let (answered, failures) = traffic.stop().await;
    println!(
        "kill -9 of the service: {answered} GETs answered, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    assert!(answered > 0);
    let replacement: Vec<&(String, String)> =
        after.iter().filter(|m| !before.contains(m)).collect();
    assert_eq!(replacement.len(), 1);
    assert_eq!(replacement[0].1, victim_zone, "replaced in the same zone");
    let causes = f.activity_causes().await;
    assert!(
        causes.iter().any(
            |c| c.contains(&format!("Terminating EC2 instance: {victim}"))
                && c.contains("ELB system health check failure")
                && c.ends_with("Successful")
        ),
        "{causes:#?}"
    );

    // An instance refresh replaces every instance; no request fails.
    let traffic = Traffic::start(&f.url);
    let refresh = f
        .asg
        .start_instance_refresh()
        .auto_scaling_group_name(&f.group)
        .preferences(
            RefreshPreferences::builder()
                .min_healthy_percentage(66)
                .instance_warmup(5)
                .build(),
        )
        .send()
        .await
        .expect("StartInstanceRefresh");
    let id = refresh.instance_refresh_id().unwrap().to_owned();
    eventually(
        "the refresh to succeed",
        Duration::from_secs(120),
        || async {
            let out = f
                .asg
                .describe_instance_refreshes()
                .auto_scaling_group_name(&f.group)
                .instance_refresh_ids(&id)
                .send()
                .await
                .ok()?;
            let r = out.instance_refreshes().first()?;
            (r.status().map(|s| s.as_str()) == Some("Successful")).then_some(())
        },
    )
    .await;
    let refreshed = f.steady(3).await;
    let (answered, failures) = traffic.stop().await;
    println!(
        "instance refresh: {answered} GETs answered, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    assert!(
        refreshed.iter().all(|m| !after.contains(m)),
        "every instance replaced: {after:?} → {refreshed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec2_health_user_terminations_standby_and_suspended_replacement() {
    let f = fixture("EC2", Vec::new()).await;
    let before = f.steady(3).await;

    // TerminateInstances from outside the group: replaced (EC2 health).
    let outside = before[0].0.clone();
    f.ec2
        .terminate_instances()
        .instance_ids(&outside)
        .send()
        .await
        .expect("TerminateInstances");
    eventually("the terminated instance replaced", WAIT, || async {
        let members = f.members().await;
        (!members.iter().any(|(id, ..)| *id == outside)).then_some(())
    })
    .await;
    let now = f.steady(3).await;
    assert!(
        f.activity_causes()
            .await
            .iter()
            .any(|c| c.contains(&outside) && c.contains("EC2 health check"))
    );

    // TerminateInstanceInAutoScalingGroup without decrement: replaced.
    let first = now[0].0.clone();
    let activity = f
        .asg
        .terminate_instance_in_auto_scaling_group()
        .instance_id(&first)
        .should_decrement_desired_capacity(false)
        .send()
        .await
        .expect("TerminateInstanceInAutoScalingGroup");
    assert!(
        activity
            .activity()
            .and_then(|a| a.description())
            .unwrap_or_default()
            .contains(&first)
    );
    eventually("the instance gone", WAIT, || async {
        (!f.members().await.iter().any(|(id, ..)| *id == first)).then_some(())
    })
    .await;
    let now = f.steady(3).await;

    // With decrement: desired 3 → 2 needs min 2.
    f.asg
        .update_auto_scaling_group()
        .auto_scaling_group_name(&f.group)
        .min_size(1)
        .send()
        .await
        .unwrap();
    let second = now[0].0.clone();
    f.asg
        .terminate_instance_in_auto_scaling_group()
        .instance_id(&second)
        .should_decrement_desired_capacity(true)
        .send()
        .await
        .expect("TerminateInstanceInAutoScalingGroup with decrement");
    let now = f.steady(2).await;
    assert!(!now.iter().any(|(id, _)| *id == second));

    // Standby: out of the target group and back, seen in target health.
    let standby = now[0].0.clone();
    let out = f
        .asg
        .enter_standby()
        .auto_scaling_group_name(&f.group)
        .instance_ids(&standby)
        .should_decrement_desired_capacity(true)
        .send()
        .await
        .expect("EnterStandby");
    assert_eq!(out.activities().len(), 1);
    eventually("the standby instance draining", WAIT, || async {
        f.health()
            .await
            .iter()
            .any(|(id, s)| *id == standby && s == "draining")
            .then_some(())
    })
    .await;
    eventually("the instance in Standby and deregistered", WAIT, || async {
        let members = f.members().await;
        let in_standby = members
            .iter()
            .any(|(id, state, ..)| *id == standby && state == "Standby");
        let registered = f.health().await.iter().any(|(id, _)| *id == standby);
        (in_standby && !registered).then_some(())
    })
    .await;
    f.asg
        .exit_standby()
        .auto_scaling_group_name(&f.group)
        .instance_ids(&standby)
        .send()
        .await
        .expect("ExitStandby");
    let back = f.steady(2).await;
    assert!(back.iter().any(|(id, _)| *id == standby));

    // ReplaceUnhealthy suspended: a stopped instance is marked Unhealthy
    // and stays; resumed, it is replaced.
    f.asg
        .suspend_processes()
        .auto_scaling_group_name(&f.group)
        .scaling_processes("ReplaceUnhealthy")
        .send()
        .await
        .expect("SuspendProcesses");
    let stopped = back[0].0.clone();
    f.ec2
        .stop_instances()
        .instance_ids(&stopped)
        .send()
        .await
        .expect("StopInstances");
    eventually("the stopped instance Unhealthy", WAIT, || async {
        f.members()
            .await
            .iter()
            .any(|(id, state, health, _)| {
                *id == stopped && state == "InService" && health == "Unhealthy"
            })
            .then_some(())
    })
    .await;
    // Two seconds is 40 s of AWS time at this scale: long enough for a
    // replacement to have started were replacement not suspended.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let members = f.members().await;
    assert_eq!(members.len(), 2, "{members:?}");
    assert!(
        members
            .iter()
            .any(|(id, state, ..)| *id == stopped && state == "InService")
    );
    f.asg
        .resume_processes()
        .auto_scaling_group_name(&f.group)
        .scaling_processes("ReplaceUnhealthy")
        .send()
        .await
        .expect("ResumeProcesses");
    eventually("the unhealthy instance replaced", WAIT, || async {
        (!f.members().await.iter().any(|(id, ..)| *id == stopped)).then_some(())
    })
    .await;
    f.steady(2).await;
    drop(f.ballast);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_hook_holds_until_completed_and_its_timeout_abandons() {
    let events = tempfile::tempdir().expect("events dir");
    // The EventBridge stand-in: every hook of the group without a target
    // of its own notifies this command, which keeps the event.
    let handler = format!(
        "exec:cat > {}/event-$(date +%s%N).json",
        events.path().display()
    );
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let (asg, ec2) = (ballast.autoscaling(), ballast.ec2());
    let lt = al2023_template(&ec2).await;
    let group = unique("hooked");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(&lt)
                .build(),
        )
        .min_size(0)
        .max_size(1)
        .availability_zones("us-east-1a")
        .tags(
            Tag::builder()
                .key("ballast:lifecycle-hook-handler")
                .value(&handler)
                .build(),
        )
        .send()
        .await
        .unwrap();
    asg.put_lifecycle_hook()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name("attach-volume")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
        .heartbeat_timeout(60)
        .notification_metadata("volume=vol-1")
        .send()
        .await
        .expect("PutLifecycleHook");
    asg.set_desired_capacity()
        .auto_scaling_group_name(&group)
        .desired_capacity(1)
        .send()
        .await
        .unwrap();

    let members = |asg: Client, group: String| async move {
        let out = asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(group)
            .send()
            .await
            .ok()?;
        Some(
            out.auto_scaling_groups()
                .first()?
                .instances()
                .iter()
                .map(|i| {
                    (
                        i.instance_id().unwrap_or_default().to_owned(),
                        i.lifecycle_state()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>(),
        )
    };
    let read_events = |dir: std::path::PathBuf| {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path())
                && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
            {
                out.push(json);
            }
        }
        out
    };

    // The notification arrives; the instance waits for it to complete.
    let event = eventually("the launch notification", WAIT, || async {
        read_events(events.path().to_owned()).into_iter().next()
    })
    .await;
    assert_eq!(event["detail-type"], "EC2 Instance-launch Lifecycle Action");
    assert_eq!(event["source"], "aws.autoscaling");
    assert_eq!(event["detail"]["LifecycleHookName"], "attach-volume");
    assert_eq!(event["detail"]["NotificationMetadata"], "volume=vol-1");
    let first = event["detail"]["EC2InstanceId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let token = event["detail"]["LifecycleActionToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let state = members(asg.clone(), group.clone())
        .await
        .unwrap_or_default();
    assert_eq!(state, [(first.clone(), "Pending:Wait".to_owned())]);
    asg.complete_lifecycle_action()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name("attach-volume")
        .lifecycle_action_token(&token)
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .expect("CompleteLifecycleAction");
    eventually("the instance InService", WAIT, || async {
        let m = members(asg.clone(), group.clone()).await?;
        (m == [(first.clone(), "InService".to_owned())]).then_some(())
    })
    .await;

    // Its replacement is never completed: after the heartbeat timeout (60 s,
    // 3 s here) the default result ABANDON terminates it, and another
    // comes.
    asg.terminate_instance_in_auto_scaling_group()
        .instance_id(&first)
        .should_decrement_desired_capacity(false)
        .send()
        .await
        .unwrap();
    let second = eventually("a replacement waiting", WAIT, || async {
        let m = members(asg.clone(), group.clone()).await?;
        m.iter()
            .find(|(id, state)| *id != first && state == "Pending:Wait")
            .map(|(id, _)| id.clone())
    })
    .await;
    let third = eventually("the abandoned one replaced", WAIT, || async {
        let m = members(asg.clone(), group.clone()).await?;
        m.iter()
            .find(|(id, _)| *id != first && *id != second)
            .map(|(id, _)| id.clone())
    })
    .await;
    let activities = asg
        .describe_scaling_activities()
        .auto_scaling_group_name(&group)
        .send()
        .await
        .unwrap();
    let abandoned = activities
        .activities()
        .iter()
        .find(|a| {
            a.description().unwrap_or_default() == format!("Launching a new EC2 instance: {second}")
        })
        .expect("the abandoned launch's activity");
    assert_eq!(
        abandoned.status_code().map(|s| s.as_str()),
        Some("Cancelled")
    );
    assert!(
        abandoned
            .status_message()
            .unwrap_or_default()
            .contains("ABANDON"),
        "{abandoned:?}"
    );
    let state = eventually("the abandoned instance terminated", WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&second)
            .send()
            .await
            .ok()?;
        let state = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        matches!(
            state,
            aws_sdk_ec2::types::InstanceStateName::ShuttingDown
                | aws_sdk_ec2::types::InstanceStateName::Terminated
        )
        .then_some(state)
    })
    .await;
    println!("abandoned launch {second} is {state:?}; replaced by {third}");
    // It stays a member (`Terminating:Proceed`) until it has terminated.
    eventually("the abandoned instance out of the group", WAIT, || async {
        let m = members(asg.clone(), group.clone()).await?;
        (!m.iter().any(|(id, _)| *id == second)).then_some(())
    })
    .await;
    eventually("three launch notifications", WAIT, || async {
        (read_events(events.path().to_owned()).len() == 3).then_some(())
    })
    .await;

    // A termination hook whose target is a webhook: scaling in to zero
    // sends the terminate event there, and the instance waits for it.
    let (webhook, received) = webhook().await;
    asg.put_lifecycle_hook()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name("drain-cache")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_TERMINATING")
        .notification_target_arn(format!("http://{webhook}/lifecycle"))
        .heartbeat_timeout(7200)
        .send()
        .await
        .expect("PutLifecycleHook with a webhook");
    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .min_size(0)
        .desired_capacity(0)
        .send()
        .await
        .unwrap();
    let event = eventually("the terminate notification", WAIT, || async {
        received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .first()
            .cloned()
    })
    .await;
    assert_eq!(
        event["detail-type"],
        "EC2 Instance-terminate Lifecycle Action"
    );
    assert_eq!(event["detail"]["EC2InstanceId"], third.as_str());
    assert_eq!(event["detail"]["Origin"], "AutoScalingGroup");
    let m = members(asg.clone(), group.clone())
        .await
        .unwrap_or_default();
    assert_eq!(m, [(third.clone(), "Terminating:Wait".to_owned())]);
    asg.complete_lifecycle_action()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name("drain-cache")
        .lifecycle_action_token(
            event["detail"]["LifecycleActionToken"]
                .as_str()
                .unwrap_or_default(),
        )
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .expect("CompleteLifecycleAction on termination");
    eventually("the group empty", WAIT, || async {
        members(asg.clone(), group.clone())
            .await?
            .is_empty()
            .then_some(())
    })
    .await;
}

/// A webhook on a free loopback port that keeps the JSON bodies it is
/// POSTed and answers 200.
async fn webhook() -> (
    std::net::SocketAddr,
    Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind webhook");
    let addr = listener.local_addr().expect("webhook address");
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head, then as many body bytes as it announces.
            let body = loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .and_then(|v| v.trim().parse::<usize>().ok())
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break Some(body.to_owned());
                    }
                }
            };
            if let Some(json) = body.and_then(|b| serde_json::from_str(&b).ok()) {
                kept.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(json);
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await;
        }
    });
    (addr, received)
}
