//! EBS volumes' disks, and what the reconciler does for them.
//!
//! Every volume but a root volume has a disk: a sparse file of its size
//! under `<data-dir>/volumes/` (root volumes are the sandbox's overlay, in
//! the instance's directory). The API records CreateVolume, AttachVolume,
//! DetachVolume and ModifyVolume; each pass, [`Volumes::converge`] does
//! what they ask of the world and records what happened, so a state a
//! client polls for is reached only once it is true:
//!
//! - `creating`: the disk is made, then the volume is `available`;
//! - a modification: the disk grows, then the modification is `completed`;
//! - `attaching`: in a running sandbox, the disk's loop device appears in
//!   the instance's `/dev`, then the attachment is `attached` (a stopped
//!   instance, or one in the process runtime, gets it at once: the device
//!   is made at its next boot, or there are no devices);
//! - `detaching`: the device leaves the instance, unless the instance has
//!   it mounted (`busy` until it is unmounted or the detach is forced),
//!   then the volume is `available`.
//!
//! Disks of deleted volumes are removed. Everything here is idempotent,
//! so a restarted Ballast picks up where a killed one stopped: the disks
//! are files, the loop devices outlive the process and are found again by
//! their file.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use ballast_core::ec2::Volume;
use ballast_core::ec2::volume::{AttachmentState, ModificationState};
use ballast_store::{Store, StoreError};

use crate::sandbox::block::{self, BlockDevice};

const GIB: u64 = 1 << 30;

/// Where volumes' disks live.
#[derive(Debug, Clone)]
pub struct Disks {
    root: PathBuf,
}

impl Disks {
    pub fn new(root: PathBuf) -> Self {
        Disks { root }
    }

    /// The disk of volume `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}.img"))
    }

    /// Makes the disk of `volume` (sparse) or grows it to `size_gib`;
    /// never shrinks one.
    pub fn ensure(&self, id: &str, size_gib: i32) -> io::Result<PathBuf> {
        fs::create_dir_all(&self.root)?;
        let path = self.path(id);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        let wanted = u64::try_from(size_gib).unwrap_or(0).saturating_mul(GIB);
        if file.metadata()?.len() < wanted {
            file.set_len(wanted)?;
        }
        Ok(path)
    }

    /// The ids of the volumes that have a disk.
    fn ids(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".img"))
                    .map(str::to_owned)
            })
            .collect()
    }
}

/// A running sandbox, as the volume pass reaches it from the host.
#[derive(Debug, Clone)]
pub(crate) struct LiveRoot {
    /// `/proc/PID/root` of the instance's PID 1.
    pub root: PathBuf,
    /// `/proc/PID/mountinfo`.
    pub mountinfo: PathBuf,
}

/// What the world did for a volume this pass, recorded in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Created,
    Modified,
    Attached,
    Busy,
    Detached,
}

/// A volume's device in a running sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plug {
    instance_id: String,
    root: PathBuf,
    device: BlockDevice,
}

/// The volume pass's state across passes.
#[derive(Debug)]
pub(crate) struct Volumes {
    disks: Disks,
    /// Whether instances are sandboxes (the only runtime with devices).
    sandbox: bool,
    /// Devices made in running sandboxes, by volume id.
    plugged: HashMap<String, Plug>,
    /// Set once the first pass freed the loop devices a previous run left
    /// behind for volumes no instance has now.
    swept: bool,
}

impl Volumes {
    pub fn new(disks: Disks, sandbox: bool) -> Self {
        Volumes {
            disks,
            sandbox,
            plugged: HashMap::new(),
            swept: false,
        }
    }

    /// The devices an instance booting now gets: its attached volumes'
    /// loop devices (made if need be), by the names they were attached
    /// under.
    pub fn boot_devices(&self, volumes: &[Volume]) -> Vec<BlockDevice> {
        if !self.sandbox {
            return Vec::new();
        }
        volumes
            .iter()
            .filter(|v| !v.is_root())
            .filter_map(|v| {
                let attachment = v.attachment.as_ref()?;
                if attachment.state.is_detaching() {
                    return None;
                }
                match self.loop_device(v) {
                    Ok(device) => Some(device.as_named(&attachment.device)),
                    Err(error) => {
                        tracing::warn!(%error, volume = v.id, "the volume's device could not be made");
                        None
                    }
                }
            })
            .collect()
    }

    fn loop_device(&self, volume: &Volume) -> io::Result<block::LoopDevice> {
        let file = self.disks.ensure(&volume.id, volume.size_gib)?;
        block::ensure_loop_device(&file)
    }

    /// One pass: does what the volumes ask of the world and records it.
    /// `live` finds a running sandbox by instance id; `up` says whether an
    /// instance is meant to run (pending or running).
    pub fn converge(
        &mut self,
        store: &Store,
        now_millis: i64,
        up: &dyn Fn(&str) -> bool,
        live: &dyn Fn(&str) -> Option<LiveRoot>,
    ) -> Result<(), StoreError> {
        let volumes: Vec<Volume> = store
            .read(|tx| tx.volumes())?
            .into_iter()
            .filter(|v| !v.is_root())
            .collect();
        if !self.swept {
            self.swept = true;
            self.free_stale_loops(&volumes, up);
        }
        self.unplug_stale(&volumes, live);
        for volume in &volumes {
            for done in self.step(volume, up, live) {
                record(store, &volume.id, done, now_millis)?;
            }
        }
        self.remove_orphan_disks(&volumes);
        Ok(())
    }

    /// What the world does for one volume this pass.
    fn step(
        &mut self,
        volume: &Volume,
        up: &dyn Fn(&str) -> bool,
        live: &dyn Fn(&str) -> Option<LiveRoot>,
    ) -> Vec<Done> {
        let mut done = Vec::new();
        if volume.creating {
            match self.disks.ensure(&volume.id, volume.size_gib) {
                Ok(_) => done.push(Done::Created),
                Err(error) => {
                    tracing::warn!(%error, volume = volume.id, "making the volume's disk")
                }
            }
            return done;
        }
        if let Some(m) = &volume.modification
            && m.state == ModificationState::Modifying
        {
            match self.grow(volume, m.target.size_gib) {
                Ok(()) => done.push(Done::Modified),
                Err(error) => {
                    tracing::warn!(%error, volume = volume.id, "growing the volume's disk")
                }
            }
        }
        let Some(attachment) = &volume.attachment else {
            return done;
        };
        let instance = attachment.instance_id.as_str();
        let root = if self.sandbox && up(instance) {
            live(instance)
        } else {
            None
        };
        match attachment.state {
            AttachmentState::Attaching | AttachmentState::Attached => {
                let attaching = attachment.state == AttachmentState::Attaching;
                match root {
                    Some(root) => match self.plug(volume, &attachment.device, instance, &root) {
                        Ok(()) if attaching => done.push(Done::Attached),
                        Ok(()) => {}
                        Err(error) => {
                            tracing::warn!(%error, volume = volume.id, instance, "attaching the volume")
                        }
                    },
                    // Not running here: the device is made at its next
                    // boot (or never, in the process runtime). A booting
                    // sandbox waits for its PID 1.
                    None if attaching && !(self.sandbox && up(instance)) => {
                        done.push(Done::Attached)
                    }
                    None => {}
                }
            }
            AttachmentState::Detaching { .. } | AttachmentState::Busy => {
                let force = matches!(attachment.state, AttachmentState::Detaching { force: true });
                let mounted = root.as_ref().is_some_and(|root| self.mounted(volume, root));
                if mounted && !force {
                    if attachment.state != AttachmentState::Busy {
                        done.push(Done::Busy);
                    }
                } else {
                    match self.unplug(volume, root.as_ref()) {
                        Ok(()) => done.push(Done::Detached),
                        Err(error) => {
                            tracing::warn!(%error, volume = volume.id, "detaching the volume")
                        }
                    }
                }
            }
        }
        done
    }

    fn grow(&self, volume: &Volume, size_gib: i32) -> io::Result<()> {
        let file = self.disks.ensure(&volume.id, size_gib)?;
        if self.sandbox {
            block::refresh_capacity(&file)?;
        }
        Ok(())
    }

    /// Makes the volume's device in a running sandbox.
    fn plug(
        &mut self,
        volume: &Volume,
        device: &str,
        instance_id: &str,
        live: &LiveRoot,
    ) -> io::Result<()> {
        let wanted = |plug: &Plug| plug.instance_id == instance_id && plug.root == live.root;
        if self.plugged.get(&volume.id).is_some_and(wanted) {
            return Ok(());
        }
        let device = self.loop_device(volume)?.as_named(device);
        block::make_node(&live.root, &device)?;
        self.plugged.insert(
            volume.id.clone(),
            Plug {
                instance_id: instance_id.to_owned(),
                root: live.root.clone(),
                device,
            },
        );
        Ok(())
    }

    /// Takes the volume's device out of the instance and frees its loop
    /// device (which the kernel keeps while a forced detach leaves it
    /// mounted).
    fn unplug(&mut self, volume: &Volume, live: Option<&LiveRoot>) -> io::Result<()> {
        if let Some(plug) = self.plugged.remove(&volume.id)
            && let Some(live) = live
        {
            block::remove_node(&live.root, &plug.device)?;
        }
        if self.sandbox {
            block::free_loop_device(&self.disks.path(&volume.id))?;
        }
        Ok(())
    }

    /// Whether the instance has the volume's device mounted.
    fn mounted(&self, volume: &Volume, live: &LiveRoot) -> bool {
        let Some(plug) = self.plugged.get(&volume.id) else {
            return false;
        };
        fs::read_to_string(&live.mountinfo)
            .is_ok_and(|info| block::is_mounted(&info, plug.device.major, plug.device.minor))
    }

    /// Devices whose volume is no longer attached to their instance
    /// (terminated with it, detached while the instance was down, or
    /// deleted) are removed, and their loop devices freed.
    fn unplug_stale(&mut self, volumes: &[Volume], live: &dyn Fn(&str) -> Option<LiveRoot>) {
        let current: HashMap<&str, &Volume> = volumes.iter().map(|v| (v.id.as_str(), v)).collect();
        let stale: Vec<String> = self
            .plugged
            .iter()
            .filter(|(id, plug)| {
                !current.get(id.as_str()).is_some_and(|v| {
                    v.attachment
                        .as_ref()
                        .is_some_and(|a| a.instance_id == plug.instance_id)
                })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            let Some(plug) = self.plugged.remove(&id) else {
                continue;
            };
            if let Some(root) = live(&plug.instance_id).filter(|r| r.root == plug.root) {
                let _ = block::remove_node(&root.root, &plug.device);
            }
            if let Err(error) = block::free_loop_device(&self.disks.path(&id)) {
                tracing::warn!(%error, volume = id, "freeing the volume's loop device");
            }
        }
    }

    /// After a start: loop devices left for volumes whose instance is not
    /// up are freed (those of up instances are plugged again this pass).
    fn free_stale_loops(&self, volumes: &[Volume], up: &dyn Fn(&str) -> bool) {
        if !self.sandbox {
            return;
        }
        for volume in volumes {
            let in_use = volume
                .attachment
                .as_ref()
                .is_some_and(|a| up(&a.instance_id));
            if !in_use && self.disks.path(&volume.id).exists() {
                let _ = block::free_loop_device(&self.disks.path(&volume.id));
            }
        }
    }

    /// Ballast is stopping and every instance is down: frees the loop
    /// devices of every disk, so nothing of the run is left in the kernel.
    pub fn shut_down(&mut self) {
        self.plugged.clear();
        if !self.sandbox {
            return;
        }
        for id in self.disks.ids() {
            if let Err(error) = block::free_loop_device(&self.disks.path(&id)) {
                tracing::warn!(%error, volume = id, "freeing the volume's loop device");
            }
        }
    }

    /// Removes the disks of volumes that are gone.
    fn remove_orphan_disks(&self, volumes: &[Volume]) {
        let known: HashSet<&str> = volumes.iter().map(|v| v.id.as_str()).collect();
        for id in self.disks.ids() {
            if known.contains(id.as_str()) || self.plugged.contains_key(&id) {
                continue;
            }
            let path = self.disks.path(&id);
            if self.sandbox {
                let _ = block::free_loop_device(&path);
            }
            if let Err(error) = fs::remove_file(&path) {
                tracing::warn!(%error, volume = id, "removing a deleted volume's disk");
            }
        }
    }
}

/// Records in the store what the world did, if the volume still asks for
/// it (the API may have moved it on meanwhile).
fn record(store: &Store, id: &str, done: Done, now_millis: i64) -> Result<(), StoreError> {
    store.write(|tx| {
        let Some(mut volume) = tx.volume(id)? else {
            return Ok(());
        };
        let before = volume.clone();
        match done {
            Done::Created => volume.created(),
            Done::Modified => volume.modified(now_millis),
            Done::Attached => volume.attached(now_millis),
            Done::Busy => volume.busy(),
            Done::Detached => {
                if volume
                    .attachment
                    .as_ref()
                    .is_some_and(|a| a.state.is_detaching())
                {
                    volume.detached();
                }
            }
        }
        if volume != before {
            tx.save_volume(&volume)?;
        }
        Ok(())
    })
}

/// The live root of a sandbox whose PID 1 wrote `pid_file`, if that
/// process still runs in process group `pgid` (so a reused PID is never
/// mistaken for it).
pub(crate) fn live_root(pid_file: &Path, pgid: i32) -> Option<LiveRoot> {
    let pid: i32 = fs::read_to_string(pid_file).ok()?.trim().parse().ok()?;
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's closing parenthesis: state, ppid, pgrp.
    let after = stat.rsplit_once(')')?.1;
    let group: i32 = after.split_whitespace().nth(2)?.parse().ok()?;
    (group == pgid).then(|| LiveRoot {
        root: PathBuf::from(format!("/proc/{pid}/root")),
        mountinfo: PathBuf::from(format!("/proc/{pid}/mountinfo")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_is_sparse_and_only_grows() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let disks = Disks::new(dir.path().join("volumes"));
        let path = disks.ensure("vol-1", 2).expect("made");
        let meta = fs::metadata(&path).expect("exists");
        assert_eq!(meta.len(), 2 * GIB);
        assert!(
            std::os::unix::fs::MetadataExt::blocks(&meta) < 1024,
            "sparse"
        );
        disks.ensure("vol-1", 1).expect("no shrink");
        assert_eq!(fs::metadata(&path).expect("exists").len(), 2 * GIB);
        disks.ensure("vol-1", 3).expect("grows");
        assert_eq!(fs::metadata(&path).expect("exists").len(), 3 * GIB);
        assert_eq!(disks.ids(), ["vol-1"]);
    }

    #[test]
    fn a_live_root_needs_the_boots_process_group() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pid_file = dir.path().join("init.pid");
        fs::write(&pid_file, std::process::id().to_string()).expect("written");
        let own_group = nix::unistd::getpgrp().as_raw();
        let live = live_root(&pid_file, own_group).expect("this process is live");
        assert_eq!(
            live.root,
            PathBuf::from(format!("/proc/{}/root", std::process::id()))
        );
        assert!(live_root(&pid_file, own_group + 1).is_none());
        assert!(live_root(&dir.path().join("missing"), own_group).is_none());
    }
}
