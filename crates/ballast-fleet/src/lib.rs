//! Ballast's fleet: EC2 instances that really run.
//!
//! An instance has its own directory under the data dir (`instance_dir`)
//! and is booted by `/bin/sh` running its user data on the first boot and
//! its boot hook on every boot. It runs (`runtime`) either as a process
//! group on the host with its own loopback address (`boot`, `process`), or
//! as a Linux sandbox with its own network, root volume, hostname and PID
//! namespace (`sandbox`). Either way its metadata service (`imds`) hands out
//! its role's credentials (`credentials`). The reconciler (`reconcile`)
//! converges processes to the instances in the store.
//!
//! The API never touches processes: it writes the instance's new state and
//! calls [`Fleet::changed`](ballast_core::ec2::fleet::Fleet::changed).

mod agent;
mod boot;
mod credentials;
mod imds;
mod instance_dir;
mod process;
mod reconcile;
mod runtime;
pub mod sandbox;
mod sockets;
mod volumes;

use std::collections::HashSet;
use std::ffi::OsString;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ballast_core::ec2::instance::{self, Instance, InstanceState};
use ballast_core::{Clock, Ids, Scope, TimeScale};
use ballast_store::{Store, StoreError};
use tokio::sync::{Notify, watch};

pub use agent::AgentLaunch;
pub use boot::Environment;
pub use instance_dir::InstanceDir;
pub use runtime::Runtime;
pub use sandbox::Sandbox;
pub use volumes::Disks;

/// Where the fleet keeps instances and how it reaches them.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// The directory holding one directory per instance.
    pub instances_root: PathBuf,
    /// Process groups or sandboxes.
    pub runtime: Runtime,
    /// Where EBS volumes' disks live.
    pub disks: Disks,
    /// Run Command's agent, started by every boot; none when `None`.
    pub agent: Option<AgentLaunch>,
    /// Where instances' automatic public addresses come from
    /// (`--public-cidr`, shared with Elastic IPs).
    pub public_addresses: ballast_core::address::AddressBlock,
}

/// A handle on the fleet: the API signals changes through it, the binary
/// runs and stops it.
#[derive(Debug, Clone)]
pub struct Fleet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    time_scale: TimeScale,
    options: FleetOptions,
    metadata: Arc<imds::Metadata>,
    changed: Notify,
    stop: watch::Sender<bool>,
}

impl Fleet {
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        scope: Scope,
        time_scale: TimeScale,
        options: FleetOptions,
    ) -> Fleet {
        let metadata = Arc::new(imds::Metadata::new(
            Arc::clone(&store),
            Arc::clone(&clock),
            ids,
            scope,
        ));
        Fleet {
            inner: Arc::new(Inner {
                store,
                clock,
                time_scale,
                options,
                metadata,
                changed: Notify::new(),
                stop: watch::channel(false).0,
            }),
        }
    }

    /// Runs the fleet until [`Fleet::shutdown`]: instances' processes point
    /// their AWS tools at the API, on `api` (process mode) or on the VPC
    /// bridge at the same port (sandboxes).
    pub async fn run(&self, api: std::net::SocketAddr) {
        let imds_port = match &self.inner.options.runtime {
            Runtime::Process { imds_port } => *imds_port,
            Runtime::Sandbox(_) => sandbox::IMDS_ADDRESS.port(),
        };
        let env = Environment {
            api_endpoint: format!("http://{api}"),
            api_port: api.port(),
            region: self.inner.metadata.scope.region.clone(),
            imds_port,
            path: std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin")),
            agent: self.inner.options.agent.clone(),
            time_scale: self.inner.time_scale.factor(),
        };
        let stop = self.inner.stop.subscribe();
        reconcile::Reconciler::new(Arc::clone(&self.inner), env)
            .run(stop)
            .await;
    }

    /// Asks [`Fleet::run`] to stop every instance's processes and return.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
    }
}

impl ballast_core::ec2::fleet::Fleet for Fleet {
    fn changed(&self) {
        self.inner.changed.notify_one();
    }

    fn console_output(&self, instance_id: &str, limit: usize) -> Option<Vec<u8>> {
        InstanceDir::new(&self.inner.options.instances_root, instance_id).console_tail(limit)
    }

    fn addresses_in_use(&self) -> HashSet<Ipv4Addr> {
        match &self.inner.options.runtime {
            // Instances share the host's network: skip what is bound there.
            Runtime::Process { .. } => sockets::bound_addresses(),
            // Each sandbox has a network of its own; the VPC's addresses
            // are Ballast's alone (the bridge is claimed at start-up).
            Runtime::Sandbox(_) => HashSet::new(),
        }
    }
}

impl Inner {
    fn now_millis(&self) -> i64 {
        reconcile::millis(self.clock.now())
    }

    fn scale(&self, aws: Duration) -> Duration {
        self.time_scale.scale(aws)
    }

    /// Moves a booted instance from `pending` to `running` once it has
    /// been pending long enough, if the store still has it pending in the
    /// same boot.
    fn mark_booted(&self, seen: &Instance) -> Result<(), StoreError> {
        let now = self.now_millis();
        let pending_at_least = self.scale(instance::PENDING_AT_LEAST);
        self.store.write(|tx| {
            if let Some(mut current) = tx.instance(&seen.id)?
                && current.boot_generation == seen.boot_generation
                && current.booted(now, pending_at_least)
            {
                tx.save_instance(&current)?;
            }
            Ok(())
        })
    }

    /// Records that a running instance's system is gone (its status
    /// checks fail until its next boot).
    fn mark_impaired(&self, seen: &Instance) -> Result<(), StoreError> {
        self.store.write(|tx| {
            if let Some(mut current) = tx.instance(&seen.id)?
                && current.boot_generation == seen.boot_generation
                && current.state == InstanceState::Running
                && !current.impaired
            {
                current.impaired = true;
                tx.save_instance(&current)?;
                tracing::warn!(
                    instance = current.id,
                    "the instance's init died: its status checks fail"
                );
            }
            Ok(())
        })
    }

    /// Completes a stop or a termination whose processes all ended.
    fn mark_halted(&self, seen: &Instance) -> Result<(), StoreError> {
        let now = self.now_millis();
        self.store.write(|tx| {
            if let Some(mut current) = tx.instance(&seen.id)?
                && current.state == seen.state
                && current.halted(now)
            {
                tx.save_instance(&current)?;
            }
            Ok(())
        })
    }

    /// Deletes a terminated instance that has been visible long enough.
    fn forget(&self, seen: &Instance) -> Result<(), StoreError> {
        self.store
            .write(|tx| tx.delete_instance(&seen.id).map(drop))
    }
}
