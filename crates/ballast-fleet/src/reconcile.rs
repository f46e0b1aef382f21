//! The fleet's reconciler: level-triggered, from the store to processes.
//!
//! On every change the API signals, and a few times a second, it reads the
//! instances and converges the world to them: an instance that should be up
//! (`pending`, `running`) has a live boot of its current generation and a
//! metadata listener; one that should be down has none. Transitions only
//! the world can complete (`pending` → `running` once booted, `stopping` →
//! `stopped` and `shutting-down` → `terminated` once every process ended)
//! are written back to the store here.
//!
//! After a restart, the reconciler adopts the boots that survived (their
//! process group is recorded in the instance directory and its members
//! carry the instance's marker) and boots again the instances that should
//! be up but have no live processes: re-adopted or rebooted, never lost
//! and never duplicated.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ballast_core::ec2::instance::{self, Instance, InstanceState};
use ballast_store::StoreError;
use tokio::task::JoinHandle;

use crate::Inner;
use crate::boot::Environment;
use crate::imds;
use crate::instance_dir::InstanceDir;
use crate::process::{Group, InstanceProcesses, KILL, ProcessTable, TERMINATE};
use crate::sandbox::block::BlockDevice;
use crate::volumes::{self, Volumes};

/// How often the reconciler runs without being signalled.
const PERIOD: Duration = Duration::from_millis(250);

/// The shortest grace between SIGTERM and SIGKILL, however small the
/// time scale: processes need a moment to act on SIGTERM.
const MIN_GRACE: Duration = Duration::from_millis(300);

/// On `ballast up`'s own shutdown, how long instances get to exit.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// How often expired credentials are deleted.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(60);

/// What the reconciler knows about one instance's processes.
#[derive(Debug)]
struct Slot {
    dir: InstanceDir,
    boot: Option<Boot>,
    stopping: Option<Stopping>,
    imds: Option<Listener>,
    /// A sandbox's network may exist (set when a boot starts, cleared
    /// once the halted instance's namespace is removed).
    network_up: bool,
    /// The load balancers last written to the instance's `/etc/hosts`
    /// (`None` since its boot started), so the file is rewritten only
    /// when they change.
    hosts_written: Option<Vec<(String, std::net::Ipv4Addr)>>,
}

impl Slot {
    /// The process group of the current boot, if there is one.
    fn group(&self) -> Option<Group> {
        self.boot.map(|boot| boot.group)
    }
}

/// A boot whose process group may still be alive.
#[derive(Debug, Clone, Copy)]
struct Boot {
    group: Group,
    generation: u64,
}

/// A shutdown in progress: SIGTERM sent at `since` (by the injected
/// clock), SIGKILL once the grace is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stopping {
    since: SystemTime,
    killed: bool,
}

/// What a shutdown does next to an instance that still has processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopStep {
    /// Nothing sent yet: SIGTERM, and the grace starts now.
    Terminate,
    /// The grace is running: wait.
    Wait,
    /// The grace is over: SIGKILL (`first` the first time, so it is said
    /// on the console once; later ones reach whatever was forked since).
    Kill { first: bool },
}

/// The kill-grace rule: SIGTERM first, SIGKILL once `grace` has passed
/// since, by `now` from the injected clock.
fn stop_step(stopping: Option<Stopping>, now: SystemTime, grace: Duration) -> StopStep {
    match stopping {
        None => StopStep::Terminate,
        Some(s) if s.killed => StopStep::Kill { first: false },
        Some(s) if now.duration_since(s.since).unwrap_or(Duration::ZERO) >= grace => {
            StopStep::Kill { first: true }
        }
        Some(_) => StopStep::Wait,
    }
}

/// A metadata listener, stopped when dropped.
#[derive(Debug)]
struct Listener(JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The reconciler's state across passes.
pub(crate) struct Reconciler {
    inner: Arc<Inner>,
    env: Environment,
    slots: HashMap<String, Slot>,
    volumes: Volumes,
    last_sweep: Option<SystemTime>,
    /// The public-to-private map last written to the host's NAT (`None`
    /// until the first pass made the table).
    nat: Option<crate::sandbox::nat::NatMap>,
    /// The last NAT failure, said once rather than on every pass.
    nat_error: Option<String>,
}

impl Reconciler {
    pub(crate) fn new(inner: Arc<Inner>, env: Environment) -> Self {
        let volumes = Volumes::new(
            inner.options.disks.clone(),
            inner.options.runtime.is_sandbox(),
        );
        Reconciler {
            inner,
            env,
            slots: HashMap::new(),
            volumes,
            last_sweep: None,
            nat: None,
            nat_error: None,
        }
    }

    /// Runs until `stop` fires, then stops every instance's processes.
    pub(crate) async fn run(mut self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let known = self
            .inner
            .store
            .read(|tx| tx.instances())
            .map(|all| all.into_iter().map(|i| i.id).collect::<Vec<_>>())
            .unwrap_or_default();
        // Sandboxes share one metadata listener, for the whole VPC.
        let _shared_imds = match self.inner.options.runtime.start(&known) {
            Some(listener) => Some(Listener(imds::serve(
                Arc::clone(&self.inner.metadata),
                imds::Caller::BySourceAddress,
                listener,
            ))),
            None => None,
        };
        loop {
            if let Err(error) = self.pass().await {
                tracing::error!(%error, "fleet reconciliation failed");
            }
            tokio::select! {
                _ = self.inner.changed.notified() => {}
                _ = tokio::time::sleep(PERIOD) => {}
                _ = stop.changed() => break,
            }
        }
        self.shut_down_all().await;
    }

    /// Gives up instances their automatic public addresses (and takes
    /// back those no longer wanted), then points the host's NAT at where
    /// every public address leads. Both are idempotent: a pass after a
    /// restart converges whatever the last run left.
    fn public_addresses(&mut self) -> Result<(), StoreError> {
        let store = &self.inner.store;
        if store.read(|tx| tx.automatic_addresses_stale())? {
            let block = self.inner.options.public_addresses;
            let now = ballast_core::clock::epoch_millis(self.inner.clock.now());
            if store.write(|tx| tx.sync_automatic_addresses(block, now))? {
                tracing::debug!("automatic public addresses updated");
            }
        }
        let want = store
            .read(|tx| tx.public_addresses())?
            .into_iter()
            .filter_map(|a| Some((a.public_ip, a.association?.private_ip)))
            .collect();
        match self.inner.options.runtime.sync_nat(&mut self.nat, want) {
            Ok(()) => self.nat_error = None,
            Err(error) => {
                let text = error.to_string();
                if self.nat_error.as_ref() != Some(&text) {
                    tracing::warn!(error = text, "public addresses could not be NATed");
                    self.nat_error = Some(text);
                }
            }
        }
        Ok(())
    }

    /// One pass over every instance.
    async fn pass(&mut self) -> Result<(), StoreError> {
        self.public_addresses()?;
        let instances = self.inner.store.read(|tx| tx.instances())?;
        let table = ProcessTable::take();
        let names = self.load_balancer_names()?;
        for instance in &instances {
            if !self.slots.contains_key(&instance.id) {
                let slot = self.adopt(instance, &table);
                self.slots.insert(instance.id.clone(), slot);
            }
            self.step(instance, &table).await?;
            if let Some(slot) = self.slots.get_mut(&instance.id)
                && slot.boot.is_some()
                && instance.state.is_up()
                && slot.hosts_written.as_ref() != Some(&names)
            {
                self.inner
                    .options
                    .runtime
                    .refresh(instance, &slot.dir, &self.env, &names);
                slot.hosts_written = Some(names.clone());
            }
        }
        let known: std::collections::HashSet<&str> =
            instances.iter().map(|i| i.id.as_str()).collect();
        self.slots.retain(|id, slot| {
            let keep = known.contains(id.as_str());
            if !keep {
                table
                    .of_instance(slot.group(), slot.dir.root())
                    .signal(KILL);
            }
            keep
        });
        self.converge_volumes(&instances)?;
        self.sweep_sessions()?;
        Ok(())
    }

    /// The volume pass: disks made and grown, devices in and out of
    /// running sandboxes (see [`crate::volumes`]).
    fn converge_volumes(&mut self, instances: &[Instance]) -> Result<(), StoreError> {
        let up = |id: &str| instances.iter().any(|i| i.id == id && i.state.is_up());
        let slots = &self.slots;
        let live = |id: &str| {
            let slot = slots.get(id)?;
            volumes::live_root(&slot.dir.init_pid_file(), slot.group()?.pgid)
        };
        let now = self.inner.now_millis();
        self.volumes.converge(&self.inner.store, now, &up, &live)
    }

    /// The load balancers' DNS names and addresses, for sandboxes'
    /// `/etc/hosts` (none in process mode, which shares the host's).
    fn load_balancer_names(&self) -> Result<Vec<(String, std::net::Ipv4Addr)>, StoreError> {
        if !self.inner.options.runtime.is_sandbox() {
            return Ok(Vec::new());
        }
        let balancers = self.inner.store.read(|tx| tx.load_balancers())?;
        Ok(balancers
            .into_iter()
            .map(|lb| (lb.dns_name, lb.address))
            .collect())
    }

    /// A slot for an instance seen for the first time since Ballast
    /// started, adopting the boot that survived a restart if there is one.
    fn adopt(&self, instance: &Instance, table: &ProcessTable) -> Slot {
        let dir = InstanceDir::new(&self.inner.options.instances_root, &instance.id);
        let boot = dir.runtime_record().and_then(|record| {
            let group = Group { pgid: record.pgid };
            if table.alive(group) && group.belongs_to(table, &instance.id) {
                tracing::info!(
                    instance = instance.id,
                    pgid = record.pgid,
                    "adopted a running boot"
                );
                dir.console_line("Ballast restarted; this boot's processes were adopted");
                Some(Boot {
                    group,
                    generation: record.generation,
                })
            } else {
                dir.clear_runtime_record();
                None
            }
        });
        Slot {
            dir,
            boot,
            stopping: None,
            imds: None,
            network_up: true,
            hosts_written: None,
        }
    }

    async fn step(&mut self, instance: &Instance, table: &ProcessTable) -> Result<(), StoreError> {
        let grace = self.grace();
        let now = self.inner.clock.now();
        let Some(slot) = self.slots.get_mut(&instance.id) else {
            return Ok(());
        };
        if instance.state.is_up() {
            ensure_metadata_listener(slot, instance, &self.inner).await;
            match slot.boot {
                Some(boot) if boot.generation == instance.boot_generation => {
                    if instance.state == InstanceState::Pending {
                        self.inner.mark_booted(instance)?;
                    } else if self.inner.options.runtime.is_sandbox()
                        && !instance.impaired
                        && !table.alive(boot.group)
                    {
                        // A sandbox's init died while the instance ran: as
                        // a VM whose kernel died, it fails its status
                        // checks (a process-mode boot has no init to lose).
                        self.inner.mark_impaired(instance)?;
                    }
                }
                Some(_) => {
                    // A reboot: the old boot ends before the new one starts.
                    if wind_down(slot, table, grace, now) {
                        let devices = boot_devices(&self.volumes, &self.inner, instance)?;
                        start_boot(slot, instance, &self.inner, &self.env, devices);
                    }
                }
                None => {
                    // Processes a previous boot left behind (after a
                    // restart) end before this boot starts.
                    if wind_down(slot, table, grace, now) {
                        let devices = boot_devices(&self.volumes, &self.inner, instance)?;
                        start_boot(slot, instance, &self.inner, &self.env, devices);
                    }
                }
            }
            return Ok(());
        }
        if !wind_down(slot, table, grace, now) {
            return Ok(());
        }
        if slot.imds.take().is_some() || slot.network_up {
            slot.network_up = false;
            self.inner.options.runtime.halted(instance);
        }
        match instance.state {
            InstanceState::Stopping | InstanceState::ShuttingDown => {
                self.inner.mark_halted(instance)?;
            }
            InstanceState::Stopped => {}
            InstanceState::Terminated => {
                // The root volume goes with the instance
                // (DeleteOnTermination); the console stays readable while
                // the instance is still described.
                slot.dir.remove_volume();
                let now = self.inner.now_millis();
                let visible = self.inner.scale(instance::TERMINATED_VISIBLE_FOR);
                if instance.expired(now, visible) {
                    self.inner.forget(instance)?;
                    if let Err(error) = slot.dir.remove() {
                        tracing::warn!(%error, instance = instance.id, "removing the instance directory");
                    }
                }
            }
            InstanceState::Pending | InstanceState::Running => {}
        }
        Ok(())
    }

    /// The scaled grace between SIGTERM and SIGKILL.
    fn grace(&self) -> Duration {
        self.inner.scale(instance::SHUTDOWN_GRACE).max(MIN_GRACE)
    }

    fn sweep_sessions(&mut self) -> Result<(), StoreError> {
        let clock_now = self.inner.clock.now();
        if self.last_sweep.is_some_and(|at| {
            clock_now.duration_since(at).unwrap_or(Duration::ZERO) < SESSION_SWEEP_EVERY
        }) {
            return Ok(());
        }
        self.last_sweep = Some(clock_now);
        let now = millis(clock_now);
        self.inner
            .store
            .write(|tx| tx.delete_expired_sessions(now))?;
        Ok(())
    }

    /// Ballast is shutting down: every instance's processes get SIGTERM,
    /// then SIGKILL after a short grace. The store keeps the instances
    /// `running`; the next start boots them again.
    async fn shut_down_all(&mut self) {
        let running = |table: &ProcessTable| -> Vec<InstanceProcesses> {
            self.slots
                .values()
                .map(|slot| table.of_instance(slot.group(), slot.dir.root()))
                .filter(|processes| !processes.is_empty())
                .collect()
        };
        for slot in self.slots.values().filter(|slot| slot.boot.is_some()) {
            slot.dir
                .console_line("Ballast is shutting down; stopping this instance's processes");
        }
        for processes in running(&ProcessTable::take()) {
            processes.signal(TERMINATE);
        }
        // Real processes on their way out, waited for in real time (the
        // injected clock may be a manual one that never moves here).
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < deadline && !running(&ProcessTable::take()).is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for processes in running(&ProcessTable::take()) {
            processes.signal(KILL);
        }
        for slot in self.slots.values() {
            slot.dir.clear_runtime_record();
        }
        self.slots.clear();
        self.volumes.shut_down();
        self.inner.options.runtime.stop();
    }
}

/// The block devices a boot of `instance` gets: its attached volumes'.
fn boot_devices(
    volumes: &Volumes,
    inner: &Inner,
    instance: &Instance,
) -> Result<Vec<BlockDevice>, StoreError> {
    let attached = inner.store.read(|tx| tx.instance_volumes(&instance.id))?;
    Ok(volumes.boot_devices(&attached))
}

/// Starts a boot of the instance's current generation.
fn start_boot(
    slot: &mut Slot,
    instance: &Instance,
    inner: &Inner,
    env: &Environment,
    devices: Vec<BlockDevice>,
) {
    slot.network_up = true;
    slot.hosts_written = None;
    let public_key = instance.key_name.as_deref().and_then(|name| {
        inner
            .store
            .read(|tx| tx.key_pair_by_name(name))
            .ok()
            .flatten()
            .map(|key| key.public_key)
    });
    match inner
        .options
        .runtime
        .boot(instance, &slot.dir, env, public_key.as_deref(), devices)
    {
        Ok((group, mut leader)) => {
            tracing::info!(instance = instance.id, pgid = group.pgid, "booted");
            slot.boot = Some(Boot {
                group,
                generation: instance.boot_generation,
            });
            slot.stopping = None;
            let dir = slot.dir.clone();
            // Reap the leader, and say on the console how the boot ended.
            tokio::spawn(async move {
                if let Ok(status) = leader.wait().await {
                    dir.console_line(&format!("boot script finished ({status})"));
                }
            });
        }
        Err(error) => {
            tracing::error!(%error, instance = instance.id, "could not boot");
            slot.dir
                .console_line(&format!("the boot could not start: {error}"));
        }
    }
}

/// Moves the instance's processes towards gone: SIGTERM first, SIGKILL
/// after the grace (and again each pass to whatever was forked since).
/// Returns `true` once nothing of the instance runs, in its boot's group or
/// outside it.
fn wind_down(slot: &mut Slot, table: &ProcessTable, grace: Duration, now: SystemTime) -> bool {
    let processes = table.of_instance(slot.group(), slot.dir.root());
    if processes.is_empty() {
        if slot.boot.take().is_some() {
            slot.dir.clear_runtime_record();
        }
        slot.stopping = None;
        return true;
    }
    match stop_step(slot.stopping, now, grace) {
        StopStep::Terminate => {
            slot.dir
                .console_line("stopping: sending SIGTERM to every process");
            processes.signal(TERMINATE);
            slot.stopping = Some(Stopping {
                since: now,
                killed: false,
            });
        }
        StopStep::Kill { first } => {
            if first {
                slot.dir
                    .console_line("stopping: grace period over, sending SIGKILL");
            }
            processes.signal(KILL);
            slot.stopping = Some(Stopping {
                since: slot.stopping.map_or(now, |s| s.since),
                killed: true,
            });
        }
        StopStep::Wait => {}
    }
    false
}

/// Makes sure an up instance's metadata listener runs (unless its
/// metadata endpoint is disabled). A failed bind is retried next pass.
async fn ensure_metadata_listener(slot: &mut Slot, instance: &Instance, inner: &Arc<Inner>) {
    if !instance.metadata.enabled() {
        slot.imds = None;
        return;
    }
    if slot.imds.as_ref().is_some_and(|l| !l.0.is_finished()) {
        return;
    }
    match inner.options.runtime.metadata_listener(instance).await {
        Ok(None) => {}
        Ok(Some(listener)) => {
            let task = imds::serve(
                Arc::clone(&inner.metadata),
                imds::Caller::Instance(instance.id.clone()),
                listener,
            );
            slot.imds = Some(Listener(task));
        }
        Err(error) => {
            slot.imds = None;
            tracing::warn!(%error, instance = instance.id, "metadata listener could not bind");
        }
    }
}

pub(crate) use ballast_core::epoch_millis as millis;

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use ballast_core::{Clock, ManualClock};

    use super::*;

    #[test]
    fn kill_grace_follows_the_injected_clock() {
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(100));
        let grace = Duration::from_secs(2);
        assert_eq!(stop_step(None, clock.now(), grace), StopStep::Terminate);
        let stopping = Stopping {
            since: clock.now(),
            killed: false,
        };
        clock.advance(Duration::from_millis(1_999));
        assert_eq!(
            stop_step(Some(stopping), clock.now(), grace),
            StopStep::Wait
        );
        clock.advance(Duration::from_millis(1));
        assert_eq!(
            stop_step(Some(stopping), clock.now(), grace),
            StopStep::Kill { first: true }
        );
        let killed = Stopping {
            killed: true,
            ..stopping
        };
        assert_eq!(
            stop_step(Some(killed), clock.now(), grace),
            StopStep::Kill { first: false }
        );
        // A clock set back never ends the grace early.
        clock.set(UNIX_EPOCH);
        assert_eq!(
            stop_step(Some(stopping), clock.now(), grace),
            StopStep::Wait
        );
    }
}
