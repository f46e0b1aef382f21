//! The reconciler: store → running listeners, routing snapshot, health
//! checks, and the end of draining. Level-triggered: each pass reads the
//! whole configuration and converges to it, so it is restart-safe.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use ballast_core::ec2::InstanceState;
use ballast_core::elbv2::target;
use ballast_core::elbv2::target_group::parse_codes;
use ballast_core::elbv2::{Action, Drain, Listener, LoadBalancer, Registration, Rule, TargetGroup};
use ballast_store::StoreError;
use tokio::task::JoinHandle;

use crate::Proxy;
use crate::health_check::{self, CheckSpec, MIN_TIMEOUT};
use crate::registry::TargetKey;
use crate::snapshot::{GroupRoute, ListenerRoute, Snapshot, XffMode};
use crate::threads::Threads;

/// How often the reconciler runs without being told of a change.
const RESYNC: Duration = Duration::from_secs(1);

/// What the store holds that the data plane serves.
struct Config {
    load_balancers: Vec<LoadBalancer>,
    listeners: Vec<Listener>,
    rules: Vec<Rule>,
    groups: Vec<TargetGroup>,
    targets: Vec<Registration>,
    /// The private address of every running instance, for instance
    /// targets.
    running_instances: HashMap<String, Ipv4Addr>,
}

impl Config {
    fn load(proxy: &Proxy) -> Result<Config, StoreError> {
        proxy.store.read(|tx| {
            Ok(Config {
                load_balancers: tx.load_balancers()?,
                listeners: tx.listeners()?,
                rules: tx.rules()?,
                groups: tx.target_groups()?,
                targets: tx.targets()?,
                running_instances: tx
                    .instances()?
                    .into_iter()
                    .filter(|i| i.state == InstanceState::Running)
                    .map(|i| (i.id, i.private_ip))
                    .collect(),
            })
        })
    }

    /// Target groups some listener or rule forwards to.
    fn groups_in_use(&self) -> HashSet<&str> {
        self.listeners
            .iter()
            .flat_map(|l| l.default_actions.iter())
            .chain(self.rules.iter().flat_map(|r| r.actions.iter()))
            .flat_map(Action::target_group_arns)
            .collect()
    }
}

/// Why a reconcile pass failed; the next pass tries again.
#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("store task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Tasks the reconciler owns.
struct Running {
    /// Where the listeners' connections are served.
    threads: Threads,
    listeners: HashMap<SocketAddr, JoinHandle<()>>,
    checkers: HashMap<TargetKey, (CheckSpec, JoinHandle<()>)>,
    /// The DNS entries last published, to write the hosts file only on change.
    published: Option<Vec<(String, Ipv4Addr)>>,
}

/// Starts the serving threads, and returns the reconciler, which runs the
/// data plane until it is dropped. The threads stop once it and the accept
/// loops it spawned are gone (when their runtime shuts down).
pub fn start(proxy: Arc<Proxy>) -> io::Result<impl Future<Output = ()> + Send> {
    let threads = Threads::start(proxy.options.serving_threads)?;
    Ok(run(proxy, threads))
}

async fn run(proxy: Arc<Proxy>, threads: Threads) {
    let mut running = Running {
        threads,
        listeners: HashMap::new(),
        checkers: HashMap::new(),
        published: None,
    };
    loop {
        let wait = match reconcile(&proxy, &mut running).await {
            Ok(Some(next_drain)) => next_drain.min(RESYNC),
            Ok(None) => RESYNC,
            Err(error) => {
                tracing::warn!(%error, "data plane reconcile failed; retrying");
                RESYNC
            }
        };
        tokio::select! {
            _ = proxy.changed.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// One pass. Returns how long until the next registration finishes
/// draining, if any is draining.
async fn reconcile(
    proxy: &Arc<Proxy>,
    running: &mut Running,
) -> Result<Option<Duration>, ReconcileError> {
    let loader = Arc::clone(proxy);
    let mut config = tokio::task::spawn_blocking(move || Config::load(&loader)).await??;
    let next_drain = reap_drained(proxy, &mut config).await?;

    let in_use = config.groups_in_use();
    let mut keys = HashSet::new();
    let mut groups = HashMap::new();
    let mut wanted_checks = HashMap::new();
    let mut target_addrs = HashSet::new();
    for group in &config.groups {
        let mut targets = Vec::new();
        for reg in config
            .targets
            .iter()
            .filter(|r| r.target_group_arn == group.arn)
        {
            let Some(addr) = target_addr(reg, &config.running_instances) else {
                continue;
            };
            target_addrs.insert(addr);
            let key: TargetKey = (group.arn.clone(), reg.id.clone(), reg.port);
            keys.insert(key.clone());
            let target = proxy
                .registry
                .entry(key.clone(), addr, reg.registered_millis);
            if reg.is_draining() {
                continue;
            }
            if in_use.contains(group.arn.as_str())
                && let Some(spec) = check_spec(proxy, group, reg, addr)
            {
                wanted_checks.insert(key, (spec, Arc::clone(&target)));
            }
            targets.push(target);
        }
        groups.insert(
            group.arn.clone(),
            Arc::new(GroupRoute {
                algorithm: group.algorithm(),
                targets,
                cursor: AtomicUsize::new(0),
                slow_start: proxy.scale.scale(Duration::from_secs(
                    group
                        .attributes
                        .get("slow_start.duration_seconds")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                )),
            }),
        );
    }
    let listeners = listener_routes(&config);
    let wanted_addrs: HashSet<SocketAddr> = listeners.keys().copied().collect();
    proxy
        .snapshot
        .store(Arc::new(Snapshot { listeners, groups }));
    proxy.registry.retain(&keys);
    proxy.pool.retain(&target_addrs);

    sync_listeners(proxy, running, &wanted_addrs).await;
    sync_checks(running, wanted_checks);
    publish_names(proxy, running, &config.load_balancers).await;
    Ok(next_drain)
}

/// Writes the load balancers' DNS names to the hosts file when they change.
async fn publish_names(proxy: &Proxy, running: &mut Running, load_balancers: &[LoadBalancer]) {
    let Some(hosts) = proxy.options.hosts_file.clone() else {
        return;
    };
    let entries: Vec<(String, Ipv4Addr)> = load_balancers
        .iter()
        .map(|lb| (lb.dns_name.clone(), lb.address))
        .collect();
    if running.published.as_ref() == Some(&entries) {
        return;
    }
    let written = entries.clone();
    match tokio::task::spawn_blocking(move || hosts.write(&written)).await {
        Ok(Ok(())) => running.published = Some(entries),
        Ok(Err(error)) => {
            if running.published.is_none() {
                tracing::warn!(%error, "cannot publish load balancer names in the hosts file; DNSName will not resolve (the addresses still work)");
            }
            running.published = Some(entries);
        }
        Err(error) => tracing::warn!(%error, "hosts file task failed"),
    }
}

/// Where a registration's traffic goes: an `ip` target's address, or an
/// instance target's private address while the instance is running. A
/// stopped or terminated instance gets no traffic and no health checks,
/// and starts over at `initial` when it runs again, as on AWS.
fn target_addr(reg: &Registration, running: &HashMap<String, Ipv4Addr>) -> Option<SocketAddr> {
    if let Some(address) = running.get(&reg.id) {
        return Some(SocketAddr::new(IpAddr::V4(*address), reg.port));
    }
    let ip: IpAddr = reg.id.parse().ok()?;
    Some(SocketAddr::new(ip, reg.port))
}

fn check_spec(
    proxy: &Proxy,
    group: &TargetGroup,
    reg: &Registration,
    addr: SocketAddr,
) -> Option<CheckSpec> {
    let hc = &group.health_check;
    if !hc.enabled {
        return None;
    }
    let port = match hc.port.as_str() {
        "traffic-port" => reg.port,
        other => other.parse().ok()?,
    };
    let matcher = hc
        .matcher
        .as_ref()
        .and_then(|m| m.http_code.as_deref())
        .and_then(|codes| parse_codes(codes, 100, 599).ok())
        .unwrap_or_else(|| vec![(200, 399)]);
    Some(CheckSpec {
        addr: SocketAddr::new(addr.ip(), port),
        path: hc.path.clone().unwrap_or_else(|| "/".to_owned()),
        interval: proxy
            .scale
            .scale(Duration::from_secs(u64::from(hc.interval_seconds))),
        timeout: proxy
            .scale
            .scale(Duration::from_secs(u64::from(hc.timeout_seconds)))
            .max(MIN_TIMEOUT),
        healthy_threshold: hc.healthy_threshold,
        unhealthy_threshold: hc.unhealthy_threshold,
        matcher,
    })
}

fn listener_routes(config: &Config) -> HashMap<SocketAddr, Arc<ListenerRoute>> {
    let mut routes = HashMap::new();
    for listener in &config.listeners {
        let Some(lb) = config
            .load_balancers
            .iter()
            .find(|lb| lb.arn == listener.load_balancer_arn)
        else {
            continue;
        };
        let mut rules: Vec<Rule> = config
            .rules
            .iter()
            .filter(|r| r.listener_arn == listener.arn)
            .cloned()
            .collect();
        rules.sort_by_key(|r| r.priority);
        routes.insert(
            SocketAddr::new(IpAddr::V4(lb.address), listener.port),
            Arc::new(ListenerRoute {
                port: listener.port,
                rules,
                default_actions: listener.default_actions.clone(),
                idle_timeout: Duration::from_secs(lb.idle_timeout_seconds()),
                xff: XffMode::parse(lb.attributes.get("routing.http.xff_header_processing.mode")),
            }),
        );
    }
    routes
}

/// Deletes registrations whose drain is over (`Registration::drain`: the
/// scaled deregistration delay has passed, or no load balancer uses the
/// group); returns the wait until the next one is.
async fn reap_drained(
    proxy: &Arc<Proxy>,
    config: &mut Config,
) -> Result<Option<Duration>, ReconcileError> {
    let now = ballast_core::epoch_millis(proxy.clock.now());
    let mut due = false;
    let mut next: Option<i64> = None;
    {
        let in_use = config.groups_in_use();
        for reg in config.targets.iter().filter(|r| r.is_draining()) {
            let group = config.groups.iter().find(|g| g.arn == reg.target_group_arn);
            let delay = group.map_or(0, |g| target::drain_delay_millis(g, proxy.scale));
            let used = in_use.contains(reg.target_group_arn.as_str());
            match reg.drain(delay, used, now) {
                Drain::Active => {}
                Drain::Until(at) => next = Some(next.map_or(at, |n| n.min(at))),
                Drain::Over => due = true,
            }
        }
    }
    if due {
        // The store applies the same rule again under its write lock, so a
        // target registered again since `config` was read stays.
        let writer = Arc::clone(proxy);
        let scale = proxy.scale;
        let reaped = tokio::task::spawn_blocking(move || {
            writer
                .store
                .write(|tx| tx.reap_drained_targets(None, scale, now))
        })
        .await??;
        for r in &reaped {
            tracing::info!(target_group = %r.target_group_arn, id = r.id, port = r.port, "target finished draining");
        }
        config.targets.retain(|r| {
            !reaped.iter().any(|g| {
                g.target_group_arn == r.target_group_arn && g.id == r.id && g.port == r.port
            })
        });
    }
    Ok(next.map(|at| Duration::from_millis(u64::try_from(at.saturating_sub(now)).unwrap_or(0))))
}

async fn sync_listeners(proxy: &Arc<Proxy>, running: &mut Running, wanted: &HashSet<SocketAddr>) {
    running.listeners.retain(|addr, task| {
        let keep = wanted.contains(addr);
        if !keep {
            task.abort();
            tracing::info!(%addr, "listener down");
        }
        keep
    });
    for addr in wanted {
        if running.listeners.contains_key(addr) {
            continue;
        }
        match crate::listener::start(Arc::clone(proxy), running.threads.clone(), *addr).await {
            Ok(task) => {
                running.listeners.insert(*addr, task);
            }
            Err(error) => tracing::warn!(%addr, %error, "cannot bind listener; will retry"),
        }
    }
}

fn sync_checks(
    running: &mut Running,
    wanted: HashMap<TargetKey, (CheckSpec, Arc<crate::registry::Target>)>,
) {
    running.checkers.retain(|key, (spec, task)| {
        let keep = wanted.get(key).is_some_and(|(want, _)| want == spec);
        if !keep {
            task.abort();
        }
        keep
    });
    for (key, (spec, target)) in wanted {
        if running.checkers.contains_key(&key) {
            continue;
        }
        let task = tokio::spawn(health_check::run(target, spec.clone()));
        running.checkers.insert(key, (spec, task));
    }
}
