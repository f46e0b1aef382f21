//! The data plane end to end: real sockets, real backends, real health
//! checks, configuration written to a real store.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use ballast_core::elbv2::{Action, Condition};
use ballast_proxy::ProxyOptions;
use support::{Backend, Harness, client, eventually, forward_to, get};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_registered_targets_is_503() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let (status, body) = get(&client(), &h.url("/")).await;
    assert_eq!(status, 503);
    assert!(body.contains("503 Service Temporarily Unavailable") || body.contains("503"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_across_healthy_targets() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [_a, _b] = h.healthy_backends(["a", "b"]).await;
    let c = client();
    let mut counts = std::collections::HashMap::new();
    for _ in 0..40 {
        let (status, body) = get(&c, &h.url("/")).await;
        assert_eq!(status, 200);
        *counts.entry(body).or_insert(0) += 1;
    }
    assert_eq!(counts.get("a"), Some(&20), "{counts:?}");
    assert_eq!(counts.get("b"), Some(&20), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_states_and_reason_codes() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let a = Backend::start("a").await;
    a.health_status
        .store(503, std::sync::atomic::Ordering::Relaxed);
    h.register(&a);
    h.wait_state(&a, "unhealthy").await;
    let (_, reason, description) = h.health(&a);
    assert_eq!(reason, Some("Target.ResponseCodeMismatch"));
    assert_eq!(
        description.as_deref(),
        Some("Health checks failed with these codes: [503]")
    );

    a.health_status
        .store(200, std::sync::atomic::Ordering::Relaxed);
    h.wait_state(&a, "healthy").await;

    a.health_delay_ms
        .store(1_000, std::sync::atomic::Ordering::Relaxed);
    h.wait_state(&a, "unhealthy").await;
    assert_eq!(h.health(&a).1, Some("Target.Timeout"));

    a.health_delay_ms
        .store(0, std::sync::atomic::Ordering::Relaxed);
    h.wait_state(&a, "healthy").await;
    a.kill();
    h.wait_state(&a, "unhealthy").await;
    assert_eq!(h.health(&a).1, Some("Target.FailedHealthChecks"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fails_open_when_no_target_is_healthy() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    for backend in [&a, &b] {
        backend
            .health_status
            .store(500, std::sync::atomic::Ordering::Relaxed);
        h.register(backend);
    }
    h.wait_state(&a, "unhealthy").await;
    h.wait_state(&b, "unhealthy").await;
    let c = client();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..10 {
        let (status, body) = get(&c, &h.url("/")).await;
        assert_eq!(status, 200, "fail-open still serves");
        seen.insert(body);
    }
    assert_eq!(
        seen.len(),
        2,
        "both unhealthy targets take traffic: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_without_retries_is_502() {
    let options = ProxyOptions {
        retry_connect_failures: false,
        passive_health: false,
        ..ProxyOptions::default()
    };
    let h = Harness::start(options, &[]).await;
    let [a] = h.healthy_backends(["a"]).await;
    a.kill();
    let (status, _) = get(&client(), &h.url("/")).await;
    assert_eq!(status, 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_is_504() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    h.store
        .write(|tx| {
            let mut lb = tx.load_balancer("arn:lb/main")?.unwrap();
            lb.attributes = lb
                .attributes
                .modify_in(
                    ballast_core::elbv2::attributes::LOAD_BALANCER,
                    [("idle_timeout.timeout_seconds", "1")],
                )
                .unwrap();
            tx.save_load_balancer(&lb)
        })
        .unwrap();
    let [_a] = h.healthy_backends(["a"]).await;
    let (status, _) = get(&client(), &h.url("/slow/3000")).await;
    assert_eq!(status, 504);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_target_costs_nothing_with_retries() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [a, _b] = h.healthy_backends(["a", "b"]).await;
    a.kill();
    let c = client();
    for _ in 0..20 {
        let (status, body) = get(&c, &h.url("/")).await;
        assert_eq!((status, body.as_str()), (200, "b"));
    }
    // The active checks, not the refused requests, report it.
    h.wait_state(&a, "unhealthy").await;
    assert_eq!(h.health(&a).1, Some("Target.FailedHealthChecks"));
}

/// What the API reports for a target whose health check passes.
const HEALTHY: (&str, Option<&str>, Option<String>) = ("healthy", None, None);

/// AWS's seed-001 "broken table" stage: the app closes the connection of
/// every request while its health check answers 200. AWS shows every
/// target `healthy` (shallow checks) and clients get 502s; so must Ballast,
/// with passive health on: its verdict steers routing and never reaches
/// DescribeTargetHealth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_closing_request_connections_stays_healthy_with_passive_health() {
    let options = ProxyOptions::default();
    assert!(options.passive_health && options.retry_connect_failures);
    let h = Harness::start(options, &[]).await;
    let backends = [
        Backend::start("a").await,
        Backend::start("b").await,
        Backend::start("c").await,
    ];
    for backend in &backends {
        backend.drop_requests.store(true, Ordering::Relaxed);
        h.register(backend);
    }
    for backend in &backends {
        h.wait_state(backend, "healthy").await;
    }
    let c = client();
    for i in 0..15 {
        let (status, _) = get(&c, &h.url("/table")).await;
        assert_eq!(status, 502, "request {i}: every target closes it");
        for backend in &backends {
            assert_eq!(
                h.health(backend),
                HEALTHY,
                "request {i}: {} must stay healthy in the API",
                backend.name
            );
        }
    }
    for backend in &backends {
        assert!(
            backend.served.load(Ordering::Relaxed) > 0,
            "{} saw requests (fail-open kept routing to it)",
            backend.name
        );
    }
}

/// A long health-check interval (300 s, 3 s at the harness's time scale)
/// so a passive hold lasts well beyond a burst of requests: only a check
/// started after the failure ends it.
const LONG_INTERVAL_SECONDS: u32 = 300;
const LONG_INTERVAL: Duration = Duration::from_secs(3);

/// How many times a held target may be tried again in `elapsed`: once per
/// active check that may have ended its hold, plus the first failure.
fn allowed_retries_of_a_held_target(elapsed: Duration) -> usize {
    1 + (elapsed.as_millis() / LONG_INTERVAL.as_millis()) as usize
}

/// A target whose traffic port refuses connections while its health check
/// (on `HealthCheckPort`) answers 200: routing avoids it after the first
/// refusal, and the API keeps reporting the active checks' `healthy`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_target_is_skipped_but_reported_healthy() {
    // Without retries, every request routed to the refusing target is a
    // 502, so the client sees exactly how often routing chose it.
    let options = ProxyOptions {
        retry_connect_failures: false,
        ..ProxyOptions::default()
    };
    let h = Harness::start(options, &[]).await;
    let (good, refusing, _health_only) = refusing_pair().await;
    let health_port = good.addr.port();
    h.set_health_check(|hc| {
        hc.port = health_port.to_string();
        hc.interval_seconds = LONG_INTERVAL_SECONDS;
    });
    h.register(&good);
    h.register_addr(refusing);
    h.wait_state(&good, "healthy").await;
    h.wait_state_at(refusing, "refusing", "healthy").await;

    let c = client();
    let start = std::time::Instant::now();
    let mut refused = 0;
    for i in 0..20 {
        let (status, body) = get(&c, &h.url("/")).await;
        match status {
            502 => refused += 1,
            _ => assert_eq!((status, body.as_str()), (200, "good"), "request {i}"),
        }
        assert_eq!(h.health_at(refusing), HEALTHY, "request {i}");
        assert_eq!(h.health(&good), HEALTHY, "request {i}");
    }
    let allowed = allowed_retries_of_a_held_target(start.elapsed());
    assert!(refused >= 1, "round robin tried the refusing target");
    assert!(
        refused <= allowed,
        "routing kept choosing the refusing target: {refused} of 20 (at most {allowed})"
    );
}

/// Two loopback addresses sharing one port number for health checks: a
/// good backend serving traffic and checks on `127.0.0.3:P`, and a
/// refusing target at `127.0.0.2:Q` (nothing listens) whose checks on
/// `127.0.0.2:P` pass. Returns the good backend, the refusing address
/// and the health-only backend (keep it alive).
async fn refusing_pair() -> (Backend, std::net::SocketAddr, Backend) {
    let any_port = |ip: [u8; 4]| std::net::SocketAddr::from((ip, 0));
    for _ in 0..20 {
        let good = Backend::start_on("good", any_port([127, 0, 0, 3])).await;
        let twin = std::net::SocketAddr::from(([127, 0, 0, 2], good.addr.port()));
        let Ok(health_only) = Backend::try_start_on("refusing", twin).await else {
            continue;
        };
        let closed = std::net::TcpListener::bind(any_port([127, 0, 0, 2]))
            .and_then(|l| l.local_addr())
            .unwrap();
        return (good, closed, health_only);
    }
    panic!("no port free on both 127.0.0.2 and 127.0.0.3");
}

/// A target whose app closes request connections, next to a good one:
/// with retries and passive health every request is served by the good
/// one, the closing target is tried again only after a later passing
/// check, and the API still reports both `healthy`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_closing_connections_is_skipped_but_reported_healthy() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    h.set_health_check(|hc| hc.interval_seconds = LONG_INTERVAL_SECONDS);
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    a.drop_requests.store(true, Ordering::Relaxed);
    h.register(&a);
    h.register(&b);
    h.wait_state(&a, "healthy").await;
    h.wait_state(&b, "healthy").await;
    let c = client();
    let start = std::time::Instant::now();
    for i in 0..20 {
        let (status, body) = get(&c, &h.url("/")).await;
        assert_eq!((status, body.as_str()), (200, "b"), "request {i}");
        assert_eq!(h.health(&a), HEALTHY, "request {i}");
    }
    let allowed = allowed_retries_of_a_held_target(start.elapsed());
    let tried = a.served.load(Ordering::Relaxed);
    assert!(
        (1..=allowed).contains(&tried),
        "a was tried {tried} times in 20 requests (at most {allowed})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_lets_in_flight_finish_and_stops_new_requests() {
    let h = Harness::start(
        ProxyOptions::default(),
        &[("deregistration_delay.timeout_seconds", "100")],
    )
    .await;
    let [a, _b] = h.healthy_backends(["a", "b"]).await;

    // Start slow requests until one lands on `a`, then deregister `a`.
    let c = client();
    let slow = {
        let mut found = None;
        for _ in 0..4 {
            let url = h.url("/slow/600");
            let c2 = c.clone();
            let task = tokio::spawn(async move { get(&c2, &url).await });
            tokio::time::sleep(Duration::from_millis(50)).await;
            if a.served.load(std::sync::atomic::Ordering::Relaxed) > 0 && found.is_none() {
                found = Some(task);
            }
        }
        found.expect("a slow request reached a")
    };
    h.deregister(&a);
    // New requests go to b only, at once.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..10 {
        let (status, body) = get(&c, &h.url("/")).await;
        assert_eq!((status, body.as_str()), (200, "b"));
    }
    let (status, body) = slow.await.unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, "a"),
        "in-flight request finished"
    );
    // 100 s at scale 0.01 is one second; then the registration is gone.
    assert!(h.is_registered(&a));
    eventually("a to finish draining", WAIT, || !h.is_registered(&a)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_route_by_path_and_host_and_answer_directly() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [_a] = h.healthy_backends(["a"]).await;
    h.add_rule(
        10,
        Condition::PathPattern(vec!["/fixed/*".into()]),
        Action::fixed_response("418", Some("text/plain".into()), Some("teapot".into())).unwrap(),
    );
    h.add_rule(
        20,
        Condition::HostHeader(vec!["old.example.test".into()]),
        Action::redirect(
            None,
            None,
            Some("new.example.test".into()),
            None,
            None,
            "HTTP_301",
        )
        .unwrap(),
    );
    h.add_rule(
        30,
        Condition::PathPattern(vec!["/app/*".into()]),
        forward_to(&h.tg_arn),
    );
    let c = client();
    eventually_status(&c, &h.url("/fixed/x"), 418).await;
    let (_, body) = get(&c, &h.url("/fixed/x")).await;
    assert_eq!(body, "teapot");
    // The rules were added one transaction each, so a snapshot may hold
    // the first and not yet the others: wait for the redirect too.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let response = loop {
        let response = no_redirects
            .get(h.url("/path?q=1"))
            .header("host", "old.example.test")
            .send()
            .await
            .unwrap();
        if response.status().as_u16() == 301 {
            break response;
        }
        assert!(
            start.elapsed() < WAIT,
            "the redirect rule kept answering {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("http://new.example.test:{}/path?q=1", h.port)
    );
    let (status, body) = get(&c, &h.url("/app/x")).await;
    assert_eq!((status, body.as_str()), (200, "a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_are_set_as_alb_sets_them() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [_a] = h.healthy_backends(["a"]).await;
    let response = client()
        .get(h.url("/headers"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains("xff=203.0.113.7, 127.0.0.1"), "{body}");
    assert!(body.contains("proto=http"), "{body}");
    assert!(body.contains(&format!("port={}", h.port)), "{body}");
    assert!(body.contains("trace=Root=1-"), "{body}");
    assert!(
        body.contains(&format!("host={}:{}", h.lb_addr, h.port)),
        "{body}"
    );
}

async fn eventually_status(c: &reqwest::Client, url: &str, want: u16) {
    let start = std::time::Instant::now();
    loop {
        let (status, _) = get(c, url).await;
        if status == want {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "{url} kept answering {status}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_names_resolve_through_the_system_resolver() {
    let hosts = ballast_proxy::hosts::HostsFile::new("/etc/hosts");
    let options = ProxyOptions {
        hosts_file: Some(hosts.clone()),
        ..ProxyOptions::default()
    };
    let h = Harness::start(options, &[]).await;
    let [_a] = h.healthy_backends(["a"]).await;
    let dns_name = h
        .store
        .read(|tx| tx.load_balancer("arn:lb/main"))
        .unwrap()
        .unwrap()
        .dns_name;
    let mut resolved = None;
    let start = std::time::Instant::now();
    while resolved.is_none() && start.elapsed() < WAIT {
        if let Ok(mut addrs) = tokio::net::lookup_host((dns_name.as_str(), h.port)).await {
            resolved = addrs.next();
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let resolved = resolved.unwrap_or_else(|| panic!("{dns_name} never resolved"));
    assert_eq!(resolved.ip(), std::net::IpAddr::V4(h.lb_addr));
    let (status, body) = get(&client(), &format!("http://{dns_name}:{}/", h.port)).await;
    hosts.clear().unwrap();
    assert_eq!((status, body.as_str()), (200, "a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_clients_are_served() {
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [_a] = h.healthy_backends(["a"]).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = h2.get(h.url("/")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_and_others_are_unaffected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [_a] = h.healthy_backends(["a"]).await;
    let c = client();
    let mut raw = tokio::net::TcpStream::connect((h.lb_addr, h.port))
        .await
        .unwrap();
    raw.write_all(b"THIS IS NOT HTTP\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, raw.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let (status, body) = get(&c, &h.url("/")).await;
    assert_eq!((status, body.as_str()), (200, "a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_outstanding_requests_avoids_a_busy_target() {
    let h = Harness::start(
        ProxyOptions::default(),
        &[(
            "load_balancing.algorithm.type",
            "least_outstanding_requests",
        )],
    )
    .await;
    let [a, b] = h.healthy_backends(["a", "b"]).await;
    let c = client();
    // Park slow requests; each goes to whichever target has fewer.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let (c2, url) = (c.clone(), h.url("/slow/1500"));
        slow.push(tokio::spawn(async move { get(&c2, &url).await }));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // With one slow request on each, quick requests still alternate; with
    // a third slow one, the target holding two is avoided.
    let (c3, url) = (c.clone(), h.url("/slow/1500"));
    slow.push(tokio::spawn(async move { get(&c3, &url).await }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let served_a = a.served.load(std::sync::atomic::Ordering::Relaxed);
    let served_b = b.served.load(std::sync::atomic::Ordering::Relaxed);
    let busier = if served_a > served_b { "a" } else { "b" };
    for _ in 0..5 {
        let (status, body) = get(&c, &h.url("/")).await;
        assert_eq!(status, 200);
        assert_ne!(
            body, busier,
            "least outstanding requests avoided the busier target"
        );
    }
    for task in slow {
        assert_eq!(task.await.unwrap().0, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrades_pass_through() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Harness::start(ProxyOptions::default(), &[]).await;
    let [_a] = h.healthy_backends(["a"]).await;
    let mut stream = tokio::net::TcpStream::connect((h.lb_addr, h.port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /ws HTTP/1.1\r\nHost: lb\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "connection closed before the response head ended");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream.write_all(b"ping over the tunnel").await.unwrap();
    let mut echo = [0u8; 20];
    tokio::time::timeout(WAIT, stream.read_exact(&mut echo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&echo, b"ping over the tunnel");
}
