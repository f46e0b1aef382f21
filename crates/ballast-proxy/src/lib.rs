//! Ballast's data plane: load balancers that really balance.
//!
//! [`Proxy`] reconciles the store's load balancers, listeners, rules and
//! target registrations into running parts:
//!
//! - a listening socket per listener, on its load balancer's own loopback
//!   address ([`listener`]), whose connections are served on threads of
//!   their own, each with a single-threaded runtime (`threads.rs`);
//! - an immutable routing [`snapshot`] swapped atomically on every change,
//!   so the request path never reads the store;
//! - a [`registry`] of live per-target state (health, passive routing
//!   holds, in-flight requests) that outlives snapshots;
//! - a health-check task per in-use target ([`health_check`]);
//! - the request path ([`forward`]): rules, actions, the balancing
//!   algorithm ([`balance`]), fail-open, passive health (routing only), the
//!   proxy's own HTTP/1.1 client and its connection pool ([`upstream`]),
//!   retries of requests whose connection failed before an answer (only
//!   idempotent ones without a body once anything was sent) and ALB's
//!   502/503/504 ([`responses`]);
//! - the reaper that ends draining when the deregistration delay is over.
//!
//! Every AWS duration goes through the [`TimeScale`].

pub mod balance;
mod body;
pub mod forward;
pub mod health_check;
pub mod hosts;
pub mod listener;
mod reconcile;
pub mod registry;
pub mod responses;
pub mod snapshot;
mod threads;
pub mod upstream;

use std::num::NonZeroUsize;
use std::sync::Arc;

use arc_swap::ArcSwap;
use ballast_core::elbv2::{DataPlane, HealthTracker};
use ballast_core::{Clock, TimeScale};
use ballast_store::Store;
use tokio::sync::Notify;

pub use reconcile::start;
pub use threads::default_count as default_serving_threads;

/// How the data plane runs, and its behaviour beyond AWS's (on by
/// default).
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// How many threads serve client connections (by default, one per
    /// core the process may run on).
    pub serving_threads: NonZeroUsize,
    /// Retry a request on another target when the connection to the first
    /// failed before anything was sent.
    pub retry_connect_failures: bool,
    /// Skip a target in routing at once when a connection to it fails or
    /// dies mid-request, until an active health check started afterwards
    /// passes. Routing only: the health the API reports (and the Auto
    /// Scaling controller reads) comes from the active checks alone.
    pub passive_health: bool,
    /// Where load balancer DNS names are published (`/etc/hosts`), or
    /// `None` to leave name resolution alone.
    pub hosts_file: Option<hosts::HostsFile>,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            serving_threads: threads::default_count(),
            retry_connect_failures: true,
            passive_health: true,
            hosts_file: None,
        }
    }
}

/// The data plane's shared state.
#[derive(Debug)]
pub struct Proxy {
    pub(crate) store: Arc<Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) scale: TimeScale,
    pub(crate) options: ProxyOptions,
    pub(crate) registry: registry::Registry,
    pub(crate) snapshot: ArcSwap<snapshot::Snapshot>,
    pub(crate) pool: Arc<upstream::Pool>,
    pub(crate) changed: Notify,
}

impl Proxy {
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        scale: TimeScale,
        options: ProxyOptions,
    ) -> Arc<Proxy> {
        let pool = Arc::new(upstream::Pool::new(options.serving_threads));
        Arc::new(Proxy {
            store,
            registry: registry::Registry::new(Arc::clone(&clock)),
            clock,
            scale,
            options,
            snapshot: ArcSwap::from_pointee(snapshot::Snapshot::default()),
            pool,
            changed: Notify::new(),
        })
    }
}

impl DataPlane for Proxy {
    fn target_health(&self, target_group_arn: &str, id: &str, port: u16) -> Option<HealthTracker> {
        self.registry.health(target_group_arn, id, port)
    }

    fn changed(&self) {
        self.changed.notify_one();
    }
}
