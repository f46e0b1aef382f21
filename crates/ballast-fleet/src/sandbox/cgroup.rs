//! A cgroup per sandboxed instance, holding it to its instance type's
//! vCPUs and memory (`ballast_core::ec2::instance_type`).
//!
//! cgroup v1 (one hierarchy per controller) and v2 (one unified tree) are
//! both handled. Instances' groups sit under Ballast's own group where
//! the hierarchy allows it, so whatever limits Ballast runs under also
//! hold its instances. A machine where groups cannot be made runs
//! instances without limits, said once in the log.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ballast_core::ec2::instance_type::Capacity;

const ROOT: &str = "/sys/fs/cgroup";
/// The CFS period the CPU quota is expressed in, in microseconds.
const PERIOD_US: u64 = 100_000;

/// Where instances' groups are made.
#[derive(Debug, Clone)]
pub enum Hierarchy {
    /// v2: one directory under which every instance's group sits.
    Unified(PathBuf),
    /// v1: the parent directories in the `cpu` and `memory` hierarchies.
    PerController { cpu: PathBuf, memory: PathBuf },
}

impl Hierarchy {
    /// The machine's hierarchy, or `None` when cgroups are not mounted.
    pub fn detect() -> Option<Hierarchy> {
        let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        if Path::new(ROOT).join("cgroup.controllers").exists() {
            // v2: enabling controllers for children is only allowed in a
            // group without processes of its own, so Ballast's instances
            // get a group of their own at the top.
            return Some(Hierarchy::Unified(Path::new(ROOT).join("ballast")));
        }
        let path_of = |controller: &str| {
            own.lines().find_map(|line| {
                let mut fields = line.splitn(3, ':');
                let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
                controllers
                    .split(',')
                    .any(|c| c == controller)
                    .then(|| path.trim_start_matches('/').to_owned())
            })
        };
        let cpu = Path::new(ROOT).join("cpu");
        let memory = Path::new(ROOT).join("memory");
        if !cpu.join("cgroup.procs").exists() || !memory.join("cgroup.procs").exists() {
            return None;
        }
        Some(Hierarchy::PerController {
            cpu: cpu.join(path_of("cpu").unwrap_or_default()).join("ballast"),
            memory: memory
                .join(path_of("memory").unwrap_or_default())
                .join("ballast"),
        })
    }

    /// Makes (or finds) the instance's groups with `capacity`'s limits;
    /// returns the directories whose `cgroup.procs` the instance joins.
    pub fn create(&self, instance_id: &str, capacity: Capacity) -> io::Result<Vec<PathBuf>> {
        let quota = u64::from(capacity.vcpus) * PERIOD_US;
        let memory = capacity.memory_mib * 1024 * 1024;
        match self {
            Hierarchy::Unified(parent) => {
                fs::create_dir_all(parent)?;
                fs::write(parent.join("cgroup.subtree_control"), "+cpu +memory")?;
                let group = parent.join(instance_id);
                fs::create_dir_all(&group)?;
                fs::write(group.join("cpu.max"), format!("{quota} {PERIOD_US}"))?;
                fs::write(group.join("memory.max"), memory.to_string())?;
                Ok(vec![group])
            }
            Hierarchy::PerController {
                cpu,
                memory: memory_parent,
            } => {
                let cpu_group = cpu.join(instance_id);
                let memory_group = memory_parent.join(instance_id);
                fs::create_dir_all(&cpu_group)?;
                fs::create_dir_all(&memory_group)?;
                fs::write(cpu_group.join("cpu.cfs_period_us"), PERIOD_US.to_string())?;
                fs::write(cpu_group.join("cpu.cfs_quota_us"), quota.to_string())?;
                fs::write(
                    memory_group.join("memory.limit_in_bytes"),
                    memory.to_string(),
                )?;
                Ok(vec![cpu_group, memory_group])
            }
        }
    }

    /// Removes the instance's groups (they must be empty: the instance's
    /// processes are gone).
    pub fn remove(&self, instance_id: &str) {
        let groups = match self {
            Hierarchy::Unified(parent) => vec![parent.join(instance_id)],
            Hierarchy::PerController { cpu, memory } => {
                vec![cpu.join(instance_id), memory.join(instance_id)]
            }
        };
        for group in groups {
            if group.exists()
                && let Err(error) = fs::remove_dir(&group)
            {
                tracing::debug!(%error, group = %group.display(), "removing a cgroup");
            }
        }
    }
}

impl Hierarchy {
    /// Removes every instance's group and Ballast's parent groups, as
    /// Ballast stops (every instance is down).
    pub fn remove_all(&self) {
        let parents = match self {
            Hierarchy::Unified(parent) => vec![parent.clone()],
            Hierarchy::PerController { cpu, memory } => vec![cpu.clone(), memory.clone()],
        };
        for parent in parents {
            if let Ok(entries) = fs::read_dir(&parent) {
                for entry in entries.flatten() {
                    if entry.path().is_dir() {
                        let _ = fs::remove_dir(entry.path());
                    }
                }
            }
            let _ = fs::remove_dir(&parent);
        }
    }
}

/// Moves the calling process into `groups` (its children follow).
pub fn join(groups: &[PathBuf]) -> io::Result<()> {
    let pid = std::process::id().to_string();
    for group in groups {
        fs::write(group.join("cgroup.procs"), &pid)?;
    }
    Ok(())
}
