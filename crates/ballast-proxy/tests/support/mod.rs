//! Test support: a store with load-balancer configuration written directly,
//! a running data plane over it, and real HTTP backends.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ballast_core::elbv2::load_balancer::LoadBalancerSpec;
use ballast_core::elbv2::{
    Action, Condition, HealthCheck, HealthCheckChange, Listener, LoadBalancer, Rule, TargetGroup,
    TargetGroupSpec, TargetRequest, WeightedTargetGroup,
};
use ballast_core::{Clock, SystemClock, TimeScale};
use ballast_proxy::{Proxy, ProxyOptions};
use ballast_store::{Store, StoreError};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A registration the store or the rules refused.
#[derive(Debug)]
#[allow(dead_code)] // Read through `Debug` when a test fails.
pub enum RegisterError {
    Store(StoreError),
    Rule(ballast_core::elbv2::Error),
}

impl From<StoreError> for RegisterError {
    fn from(error: StoreError) -> Self {
        RegisterError::Store(error)
    }
}

impl From<ballast_core::elbv2::Error> for RegisterError {
    fn from(error: ballast_core::elbv2::Error) -> Self {
        RegisterError::Rule(error)
    }
}

/// Waits for `check` to hold, polling, up to `deadline`.
pub async fn eventually(what: &str, deadline: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A data plane over a fresh store, and helpers to configure it.
pub struct Harness {
    pub store: Arc<Store>,
    pub proxy: Arc<Proxy>,
    pub lb_addr: Ipv4Addr,
    pub tg_arn: String,
    pub listener_arn: String,
    pub port: u16,
    _dir: tempfile::TempDir,
    _task: JoinHandle<()>,
}

static NEXT_LB: AtomicUsize = AtomicUsize::new(0);

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Harness {
    /// A load balancer with one HTTP listener forwarding to one target
    /// group (`fast` health checks at time scale 0.01).
    pub async fn start(options: ProxyOptions, attributes: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let n = NEXT_LB.fetch_add(1, Ordering::Relaxed) as u8;
        let lb_addr = Ipv4Addr::new(127, 100, 250, 1 + n + (std::process::id() % 40) as u8 * 5);
        let port = 8080;
        let tg = {
            let spec = TargetGroupSpec {
                name: "tg".into(),
                protocol: Some("HTTP".into()),
                port: Some(80),
                vpc_id: Some("vpc-1".into()),
                target_type: Some("ip".into()),
                health_check: HealthCheckChange {
                    path: Some("/health".into()),
                    interval_seconds: Some(5),
                    timeout_seconds: Some(2),
                    healthy_threshold: Some(2),
                    unhealthy_threshold: Some(2),
                    ..HealthCheckChange::default()
                },
                ..TargetGroupSpec::default()
            };
            let mut tg = TargetGroup::create("arn:tg/main".into(), &spec, now_millis()).unwrap();
            tg.attributes = tg.attributes.modify(attributes.iter().copied()).unwrap();
            tg
        };
        let lb = LoadBalancer::create(
            "arn:lb/main".into(),
            &LoadBalancerSpec {
                name: "lb".into(),
                subnets: vec!["a".into(), "b".into()],
                ..LoadBalancerSpec::default()
            },
            "us-east-1",
            lb_addr,
            1,
            |s| Some(format!("zone-{s}")),
            now_millis(),
        )
        .unwrap();
        let listener = Listener {
            arn: "arn:listener/main".into(),
            load_balancer_arn: lb.arn.clone(),
            port,
            protocol: "HTTP".into(),
            default_actions: vec![forward_to(&tg.arn)],
            default_rule_arn: "arn:rule/default".into(),
        };
        store
            .write(|tx| {
                tx.save_target_group(&tg)?;
                tx.save_load_balancer(&lb)?;
                tx.save_listener(&listener)?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let proxy = Proxy::new(
            Arc::clone(&store),
            clock,
            TimeScale::new(0.01).unwrap(),
            options,
        );
        let task = tokio::spawn(ballast_proxy::start(Arc::clone(&proxy)).expect("serving threads"));
        let harness = Harness {
            store,
            proxy,
            lb_addr,
            tg_arn: tg.arn.clone(),
            listener_arn: listener.arn.clone(),
            port,
            _dir: dir,
            _task: task,
        };
        harness.wait_listening().await;
        harness
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.lb_addr, self.port)
    }

    async fn wait_listening(&self) {
        let addr = SocketAddr::from((self.lb_addr, self.port));
        let start = Instant::now();
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "listener never came up"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn changed(&self) {
        use ballast_core::elbv2::DataPlane;
        self.proxy.changed();
    }

    /// Changes the target group's health check (before registering, so
    /// the first checks already use it).
    pub fn set_health_check(&self, change: impl FnOnce(&mut HealthCheck)) {
        self.store
            .write(|tx| {
                let mut tg = tx.target_group(&self.tg_arn)?.unwrap();
                change(&mut tg.health_check);
                tx.save_target_group(&tg)
            })
            .unwrap();
        self.changed();
    }

    pub fn register(&self, backend: &Backend) {
        self.register_addr(backend.addr);
    }

    /// The set-up most tests start from: a backend per name, all
    /// registered at once, returned once every one is healthy.
    pub async fn healthy_backends<const N: usize>(&self, names: [&str; N]) -> [Backend; N] {
        let mut backends = Vec::new();
        for name in names {
            backends.push(Backend::start(name).await);
        }
        for backend in &backends {
            self.register(backend);
        }
        for backend in &backends {
            self.wait_state(backend, "healthy").await;
        }
        backends
            .try_into()
            .unwrap_or_else(|_| unreachable!("one backend per name"))
    }

    /// Registers an `ip` target at `addr`, whether or not anything
    /// listens there.
    pub fn register_addr(&self, addr: SocketAddr) {
        let wanted = [TargetRequest {
            id: addr.ip().to_string(),
            port: addr.port(),
            availability_zone: None,
        }];
        self.store
            .write(|tx| tx.register_targets::<RegisterError>(&self.tg_arn, &wanted, now_millis()))
            .unwrap();
        self.changed();
    }

    pub fn deregister(&self, backend: &Backend) {
        let wanted = [(backend.addr.ip().to_string(), backend.addr.port())];
        self.store
            .write(|tx| tx.deregister_targets(&self.tg_arn, &wanted, now_millis()))
            .unwrap();
        self.changed();
    }

    pub fn is_registered(&self, backend: &Backend) -> bool {
        self.store
            .read(|tx| tx.targets_of(&self.tg_arn))
            .unwrap()
            .iter()
            .any(|r| r.port == backend.addr.port())
    }

    pub fn add_rule(&self, priority: u32, condition: Condition, action: Action) {
        let rule = Rule {
            arn: format!("arn:rule/{priority}"),
            listener_arn: self.listener_arn.clone(),
            priority,
            conditions: vec![condition],
            actions: vec![action],
        };
        self.store.write(|tx| tx.save_rule(&rule)).unwrap();
        self.changed();
    }

    /// The health state and reason the data plane reports for a backend.
    pub fn health(
        &self,
        backend: &Backend,
    ) -> (&'static str, Option<&'static str>, Option<String>) {
        self.health_at(backend.addr)
    }

    /// What DescribeTargetHealth would show for the target at `addr`: the
    /// data plane's `DataPlane::target_health`, described.
    pub fn health_at(
        &self,
        addr: SocketAddr,
    ) -> (&'static str, Option<&'static str>, Option<String>) {
        use ballast_core::elbv2::DataPlane;
        self.proxy
            .target_health(&self.tg_arn, &addr.ip().to_string(), addr.port())
            .map(|t| t.describe())
            .unwrap_or(("none", None, None))
    }

    pub async fn wait_state(&self, backend: &Backend, state: &str) {
        self.wait_state_at(backend.addr, &backend.name, state).await;
    }

    pub async fn wait_state_at(&self, addr: SocketAddr, name: &str, state: &str) {
        let deadline = Duration::from_secs(10);
        let start = Instant::now();
        loop {
            let (now, _, _) = self.health_at(addr);
            if now == state {
                return;
            }
            assert!(
                start.elapsed() < deadline,
                "{name} stayed {now}, wanted {state}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn forward_to(tg_arn: &str) -> Action {
    Action::forward(
        vec![WeightedTargetGroup {
            arn: tg_arn.into(),
            weight: 1,
        }],
        None,
    )
    .unwrap()
}

/// A real HTTP backend whose health endpoint can be told what to answer.
pub struct Backend {
    pub name: String,
    pub addr: SocketAddr,
    pub health_status: Arc<AtomicU16>,
    pub health_delay_ms: Arc<AtomicU64>,
    /// Requests other than health checks that reached the app.
    pub served: Arc<AtomicUsize>,
    /// When set, the app closes the connection of every request but the
    /// health check's without answering (a crashing handler).
    pub drop_requests: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Backend {
    /// Starts a backend on a fresh loopback port.
    pub async fn start(name: &str) -> Backend {
        Backend::start_on(name, "127.0.0.1:0".parse().unwrap()).await
    }

    /// Starts a backend on `addr` (to restart one on the same port).
    pub async fn start_on(name: &str, addr: SocketAddr) -> Backend {
        Backend::try_start_on(name, addr).await.unwrap()
    }

    /// Starts a backend on `addr`, or says why it cannot bind there.
    pub async fn try_start_on(name: &str, addr: SocketAddr) -> std::io::Result<Backend> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let backend = Backend {
            name: name.to_owned(),
            addr,
            health_status: Arc::new(AtomicU16::new(200)),
            health_delay_ms: Arc::new(AtomicU64::new(0)),
            served: Arc::new(AtomicUsize::new(0)),
            drop_requests: Arc::new(AtomicBool::new(false)),
            tasks: Arc::new(Mutex::new(Vec::new())),
        };
        let state = (
            Arc::<str>::from(name),
            Arc::clone(&backend.health_status),
            Arc::clone(&backend.health_delay_ms),
            Arc::clone(&backend.served),
            Arc::clone(&backend.drop_requests),
        );
        let tasks = Arc::clone(&backend.tasks);
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                let conn = tokio::spawn(async move {
                    let service = service_fn(move |req| serve(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
                if let Ok(mut t) = tasks.lock() {
                    t.push(conn);
                }
            }
        });
        backend.tasks.lock().unwrap().push(accept);
        Ok(backend)
    }

    /// Stops accepting and drops every open connection, like a crash.
    pub fn kill(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.kill();
    }
}

type State = (
    Arc<str>,
    Arc<AtomicU16>,
    Arc<AtomicU64>,
    Arc<AtomicUsize>,
    Arc<AtomicBool>,
);

/// Returned by the app to make hyper close the connection unanswered.
#[derive(Debug, thiserror::Error)]
#[error("the app dropped the connection")]
struct Dropped;

async fn serve(state: State, mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Dropped> {
    let (name, status, delay, served, drop_requests) = state;
    let path = req.uri().path().to_owned();
    if path == "/ws" && req.headers().contains_key(http::header::UPGRADE) {
        // Switch protocols, then echo whatever arrives.
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            if let Ok(upgraded) = upgrade.await {
                let mut io = TokioIo::new(upgraded);
                let mut buf = [0u8; 1024];
                while let Ok(n) = io.read(&mut buf).await {
                    if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        });
        let mut resp = Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
        resp.headers_mut().insert(
            http::header::UPGRADE,
            http::HeaderValue::from_static("websocket"),
        );
        resp.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("upgrade"),
        );
        return Ok(resp);
    }
    if path == "/health" {
        let wait = delay.load(Ordering::Relaxed);
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        let mut resp = Response::new(Full::new(Bytes::from_static(b"ok")));
        *resp.status_mut() = http::StatusCode::from_u16(status.load(Ordering::Relaxed)).unwrap();
        return Ok(resp);
    }
    served.fetch_add(1, Ordering::Relaxed);
    if drop_requests.load(Ordering::Relaxed) {
        return Err(Dropped);
    }
    if let Some(ms) = path.strip_prefix("/slow/") {
        let ms: u64 = ms.parse().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let body = if path == "/headers" {
        let h = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned()
        };
        format!(
            "xff={} proto={} port={} trace={} host={}",
            h("x-forwarded-for"),
            h("x-forwarded-proto"),
            h("x-forwarded-port"),
            h("x-amzn-trace-id"),
            h("host")
        )
    } else {
        name.to_string()
    };
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// A client that never pools, so every request opens a new connection.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    match client.get(url).send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap_or_default())
        }
        Err(e) => (0, e.to_string()),
    }
}
