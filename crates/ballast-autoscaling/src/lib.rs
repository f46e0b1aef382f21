//! Ballast's Auto Scaling controller.
//!
//! A level-triggered reconciler, like the fleet and the data plane: on
//! every change the API signals ([`AutoScaling::changed`]) and four times a
//! second, it reads each group, observes its instances (their EC2 state,
//! their registrations in the group's target groups, the data plane's
//! health checks), lets `ballast_core::autoscaling::step` decide, and
//! carries out the decisions in the same store transaction: launches
//! (through the store's launch path, the one RunInstances uses),
//! registrations, deregistrations (drains), terminations and scaling
//! activities. It then tells the fleet and the data plane, and delivers
//! lifecycle hook notifications ([`notify`]).
//!
//! Everything it knows is in the store, so a restarted Ballast carries on
//! where the last committed pass left off.

mod notify;
mod pass;

use std::sync::Arc;
use std::time::Duration;

use ballast_core::address::InstanceAddresses;
use ballast_core::autoscaling::AutoScaling;
use ballast_core::ec2::fleet::Fleet;
use ballast_core::elbv2::data_plane::DataPlane;
use ballast_core::lambda::invoke::Functions;
use ballast_core::{Clock, Ids, Scope, TimeScale};
use ballast_store::Store;
use tokio::sync::{Notify, watch};

pub use notify::Handler;

/// How often the controller runs without being signalled.
const PERIOD: Duration = Duration::from_millis(250);

/// What the controller needs besides the store.
#[derive(Debug, Clone)]
pub struct ControllerOptions {
    /// Where instances' private addresses come from (as for RunInstances).
    pub instance_addresses: InstanceAddresses,
    /// Credentials handed to lifecycle hook commands, so they can call
    /// Ballast (CompleteLifecycleAction) as a Lambda function would with
    /// its role.
    pub access_key: String,
    pub secret_key: String,
    /// Lambda's runtime, told when a lifecycle event queued invocations.
    pub functions: Arc<dyn Functions>,
}

/// The controller: the API signals it, the binary runs and stops it.
#[derive(Debug, Clone)]
pub struct Controller {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    scope: Scope,
    scale: TimeScale,
    fleet: Arc<dyn Fleet>,
    data_plane: Arc<dyn DataPlane>,
    options: ControllerOptions,
    changed: Notify,
    stop: watch::Sender<bool>,
}

impl Controller {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        scope: Scope,
        scale: TimeScale,
        fleet: Arc<dyn Fleet>,
        data_plane: Arc<dyn DataPlane>,
        options: ControllerOptions,
    ) -> Controller {
        Controller {
            inner: Arc::new(Inner {
                store,
                clock,
                ids,
                scope,
                scale,
                fleet,
                data_plane,
                options,
                changed: Notify::new(),
                stop: watch::channel(false).0,
            }),
        }
    }

    /// Runs until [`Controller::shutdown`]; hook commands reach the API at
    /// `api_endpoint`.
    pub async fn run(&self, api_endpoint: String) {
        let mut stop = self.inner.stop.subscribe();
        loop {
            let inner = Arc::clone(&self.inner);
            match tokio::task::spawn_blocking(move || pass::run(&inner)).await {
                Ok(Ok(outcome)) => {
                    if outcome.instances_changed {
                        self.inner.fleet.changed();
                    }
                    if outcome.targets_changed {
                        self.inner.data_plane.changed();
                    }
                    if outcome.events_queued {
                        self.inner.options.functions.queued();
                    }
                    for notice in outcome.notices {
                        notify::deliver(notice, &self.inner, &api_endpoint);
                    }
                }
                Ok(Err(error)) => tracing::error!(%error, "auto scaling pass failed"),
                Err(error) => tracing::error!(%error, "auto scaling pass panicked"),
            }
            tokio::select! {
                _ = self.inner.changed.notified() => {}
                _ = tokio::time::sleep(PERIOD) => {}
                _ = stop.changed() => break,
            }
        }
    }

    /// Asks [`Controller::run`] to return.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }
}

impl AutoScaling for Controller {
    fn changed(&self) {
        self.inner.changed.notify_one();
    }
}
