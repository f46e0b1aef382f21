//! Application load balancers with real traffic, observed as a user would:
//! HTTP answers, which backend answered, DescribeTargetHealth, SDK waiters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::client::Waiters;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ProtocolEnum, TargetDescription, TargetGroupAttribute,
    TargetHealthStateEnum, TargetTypeEnum,
};
use ballast_sdk_tests::backend::Backend;
use ballast_sdk_tests::{Ballast, unique};

const WAIT: Duration = Duration::from_secs(20);

/// A load balancer with one listener forwarding to one `ip` target group.
pub(crate) struct Alb {
    pub(crate) elb: Client,
    pub(crate) tg_arn: String,
    pub(crate) url: String,
}

pub(crate) fn short(prefix: &str) -> String {
    let name = unique(prefix);
    name.chars()
        .rev()
        .take(28)
        .collect::<String>()
        .chars()
        .rev()
        .collect::<String>()
        .trim_start_matches('-')
        .to_owned()
}

pub(crate) fn target(backend: &Backend) -> TargetDescription {
    TargetDescription::builder()
        .id(backend.addr.ip().to_string())
        .port(i32::from(backend.addr.port()))
        .build()
}

pub(crate) async fn alb(ballast: &Ballast, deregistration_delay: &str, with_listener: bool) -> Alb {
    let elb = ballast.elbv2();
    let tg_arn = elb
        .create_target_group()
        .name(short("tg"))
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id("vpc-0ba11a5700000001")
        .target_type(TargetTypeEnum::Ip)
        .health_check_path("/health")
        .health_check_interval_seconds(5)
        .health_check_timeout_seconds(2)
        .healthy_threshold_count(2)
        .unhealthy_threshold_count(2)
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_owned();
    elb.modify_target_group_attributes()
        .target_group_arn(&tg_arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value(deregistration_delay)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let lb = elb
        .create_load_balancer()
        .name(short("lb"))
        .subnets("subnet-0ba11a57000000a1")
        .subnets("subnet-0ba11a57000000b1")
        .send()
        .await
        .unwrap();
    let lb = &lb.load_balancers()[0];
    let lb_arn = lb.load_balancer_arn().unwrap().to_owned();
    let dns = lb.dns_name().unwrap().to_owned();
    elb.wait_until_load_balancer_available()
        .load_balancer_arns(&lb_arn)
        .wait(WAIT)
        .await
        .unwrap();
    if with_listener {
        elb.create_listener()
            .load_balancer_arn(&lb_arn)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&tg_arn)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    Alb {
        elb,
        tg_arn,
        url: format!("http://{dns}:8080/"),
    }
}

impl Alb {
    pub(crate) async fn register(&self, backend: &Backend) {
        self.elb
            .register_targets()
            .target_group_arn(&self.tg_arn)
            .targets(target(backend))
            .send()
            .await
            .unwrap();
    }

    pub(crate) async fn deregister(&self, backend: &Backend) {
        self.elb
            .deregister_targets()
            .target_group_arn(&self.tg_arn)
            .targets(target(backend))
            .send()
            .await
            .unwrap();
    }

    /// Polls until healthy, then confirms with the SDK's waiter (whose own
    /// retry delay is 15 s, so it should pass on its first attempt here).
    pub(crate) async fn in_service(&self, backend: &Backend) {
        self.wait_health(backend, TargetHealthStateEnum::Healthy)
            .await;
        self.elb
            .wait_until_target_in_service()
            .target_group_arn(&self.tg_arn)
            .targets(target(backend))
            .wait(WAIT)
            .await
            .unwrap();
    }

    /// Polls until unused, then confirms with the SDK's waiter.
    pub(crate) async fn deregistered(&self, backend: &Backend) {
        self.wait_health(backend, TargetHealthStateEnum::Unused)
            .await;
        self.elb
            .wait_until_target_deregistered()
            .target_group_arn(&self.tg_arn)
            .targets(target(backend))
            .wait(WAIT)
            .await
            .unwrap();
    }

    /// (State, Reason, Description) of one target.
    pub(crate) async fn health(
        &self,
        backend: &Backend,
    ) -> (String, Option<String>, Option<String>) {
        let out = self
            .elb
            .describe_target_health()
            .target_group_arn(&self.tg_arn)
            .targets(target(backend))
            .send()
            .await
            .unwrap();
        let health = out.target_health_descriptions()[0].target_health().unwrap();
        (
            health
                .state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            health.reason().map(|r| r.as_str().to_owned()),
            health.description().map(str::to_owned),
        )
    }

    pub(crate) async fn wait_health(
        &self,
        backend: &Backend,
        state: TargetHealthStateEnum,
    ) -> (String, Option<String>, Option<String>) {
        let start = Instant::now();
        loop {
            let now = self.health(backend).await;
            if now.0 == state.as_str() {
                return now;
            }
            assert!(
                start.elapsed() < WAIT,
                "{} stayed {now:?}, wanted {state:?}",
                backend.name
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Result<(u16, String), String> {
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_health_goes_through_alb_states_with_reasons() {
    let ballast = Ballast::start_with(&["--time-scale", "0.01", "--hosts-file", "/etc/hosts"]);
    let alb = alb(&ballast, "100", false).await;
    let a = Backend::start("a").await;
    alb.register(&a).await;
    let (state, reason, _) = alb.health(&a).await;
    assert_eq!(
        (state.as_str(), reason.as_deref()),
        ("unused", Some("Target.NotInUse"))
    );

    // Put the group behind a listener: initial, then healthy.
    let lb_arn = alb
        .elb
        .describe_load_balancers()
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned();
    alb.elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&alb.tg_arn)
                .build(),
        )
        .send()
        .await
        .unwrap();
    alb.in_service(&a).await;
    let client = reqwest::Client::new();
    assert_eq!(get(&client, &alb.url).await.unwrap(), (200, "a".to_owned()));

    a.health_status.store(500, Ordering::Relaxed);
    let (_, reason, description) = alb.wait_health(&a, TargetHealthStateEnum::Unhealthy).await;
    assert_eq!(reason.as_deref(), Some("Target.ResponseCodeMismatch"));
    assert_eq!(
        description.as_deref(),
        Some("Health checks failed with these codes: [500]")
    );
    // Fail-open: the only target is unhealthy, and it still serves.
    assert_eq!(get(&client, &alb.url).await.unwrap(), (200, "a".to_owned()));

    let stranger = Backend::start("stranger").await;
    let (state, reason, _) = alb.health(&stranger).await;
    assert_eq!(
        (state.as_str(), reason.as_deref()),
        ("unused", Some("Target.NotRegistered"))
    );

    a.health_status.store(200, Ordering::Relaxed);
    alb.in_service(&a).await;
    alb.deregister(&a).await;
    let (state, reason, _) = alb.health(&a).await;
    assert_eq!(
        (state.as_str(), reason.as_deref()),
        ("draining", Some("Target.DeregistrationInProgress"))
    );
    // The data plane applies a change moments after the API answers (ALB
    // takes seconds): from then on, new requests get 503.
    let start = Instant::now();
    loop {
        let (status, _) = get(&client, &alb.url).await.unwrap();
        if status == 503 {
            break;
        }
        assert_eq!(status, 200, "until the change applies, the target answers");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "a draining target still takes new requests"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..5 {
        let (status, _) = get(&client, &alb.url).await.unwrap();
        assert_eq!(status, 503, "a draining target takes no new requests");
    }
    alb.deregistered(&a).await;
    let (state, reason, _) = alb.health(&a).await;
    assert_eq!(
        (state.as_str(), reason.as_deref()),
        ("unused", Some("Target.NotRegistered"))
    );
}

/// Runs GETs against `url` until told to stop (or a minute passes),
/// counting answers that are not a 200 from a backend.
fn request_loop(
    url: String,
) -> (
    Arc<AtomicBool>,
    Arc<AtomicUsize>,
    Arc<AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let (s, o, f) = (Arc::clone(&stop), Arc::clone(&ok), Arc::clone(&failed));
    let task = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let start = Instant::now();
        while !s.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(60) {
            match get(&client, &url).await {
                Ok((200, _)) => o.fetch_add(1, Ordering::Relaxed),
                _ => f.fetch_add(1, Ordering::Relaxed),
            };
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    (stop, ok, failed, task)
}

/// Seed 004: one backend at a time, deregister → wait unused → restart →
/// register → wait healthy, under a steady request loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_with_deregistration_loses_no_request() {
    let ballast = Ballast::start_with(&["--time-scale", "0.01", "--hosts-file", "/etc/hosts"]);
    let alb = alb(&ballast, "30", true).await;
    let mut backends = vec![Backend::start("a").await, Backend::start("b").await];
    for b in &backends {
        alb.register(b).await;
    }
    for b in &backends {
        alb.in_service(b).await;
    }
    let (stop, ok, failed, task) = request_loop(alb.url.clone());
    for slot in &mut backends {
        alb.deregister(slot).await;
        alb.deregistered(slot).await;
        slot.kill();
        let restarted = Backend::start_on(&format!("{}-v2", slot.name), slot.addr).await;
        alb.register(&restarted).await;
        alb.in_service(&restarted).await;
        *slot = restarted;
    }
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("rolling restart with deregistration: {ok} ok, {failed} failed");
    assert!(ok > 50, "the loop ran ({ok} requests)");
    assert_eq!(failed, 0);
}

/// The control: the same restarts without deregistration, with Ballast's
/// retries and passive health off, cost requests — so the test above can
/// fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_without_deregistration_and_retries_lose_requests() {
    let ballast = Ballast::start_with(&[
        "--time-scale",
        "0.01",
        "--hosts-file",
        "/etc/hosts",
        "--proxy-retries",
        "false",
        "--passive-health",
        "false",
    ]);
    let alb = alb(&ballast, "30", true).await;
    let mut backends = vec![Backend::start("a").await, Backend::start("b").await];
    for b in &backends {
        alb.register(b).await;
    }
    for b in &backends {
        alb.in_service(b).await;
    }
    let (stop, ok, failed, task) = request_loop(alb.url.clone());
    for slot in &mut backends {
        slot.kill();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let restarted = Backend::start_on(&format!("{}-v2", slot.name), slot.addr).await;
        alb.in_service(&restarted).await;
        *slot = restarted;
    }
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("restarts without deregistration or retries: {ok} ok, {failed} failed");
    assert!(
        failed > 0,
        "killing a registered target must cost requests without the safeguards"
    );
}

/// With retries and passive health on (the default), even an unannounced
/// crash of a registered target costs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unannounced_crash_costs_nothing_with_retries() {
    let ballast = Ballast::start_with(&["--time-scale", "0.01", "--hosts-file", "/etc/hosts"]);
    let alb = alb(&ballast, "30", true).await;
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    alb.register(&a).await;
    alb.register(&b).await;
    alb.in_service(&a).await;
    alb.in_service(&b).await;
    let (stop, ok, failed, task) = request_loop(alb.url.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    a.kill();
    alb.wait_health(&a, TargetHealthStateEnum::Unhealthy).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    task.await.unwrap();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("unannounced crash with retries: {ok} ok, {failed} failed");
    assert!(ok > 20);
    assert_eq!(failed, 0);
}
