//! Instances as process groups ("process mode").
//!
//! A boot is one `/bin/sh` leader started in a new process group; what it
//! runs (user data, the boot hook) and whatever those start in the
//! background stay in that group, so stopping the instance is signalling
//! the group. Liveness is read from `/proc`: a group is alive while one of
//! its members is not a zombie. That works whoever reaps the members,
//! including after `ballast up` itself was killed and restarted.
//!
//! A process that leaves the group (`setsid`, a double-forking daemon)
//! still inherits the instance's environment, so it is found by the
//! `BALLAST_INSTANCE_DIR` it carries, and stopped with the instance as a
//! real VM's daemons stop with it. Only a process that also throws its
//! environment away escapes; the network-namespace mode the design plans
//! would close that gap with a cgroup.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::sync::OnceLock;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// The environment variable that marks every process of an instance, so a
/// restarted Ballast can tell its instances' groups from a recycled
/// process-group id.
pub const INSTANCE_MARKER: &str = "BALLAST_INSTANCE_ID";

/// The environment variable holding the instance's directory. It is unique
/// to one instance of one Ballast data directory (instance ids alone may
/// repeat across servers), so it is what finds processes that left their
/// group.
pub const INSTANCE_DIR_VARIABLE: &str = "BALLAST_INSTANCE_DIR";

/// A running boot: the id of its process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub pgid: i32,
}

impl Group {
    /// Sends `signal` to every process of the group; a group that is
    /// already gone is not an error.
    pub fn signal(self, signal: Signal) -> io::Result<()> {
        match killpg(Pid::from_raw(self.pgid), signal) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
            Err(errno) => Err(io::Error::from(errno)),
        }
    }

    /// Whether some live member of the group carries `instance_id`'s
    /// marker, i.e. the group really is that instance's and not a
    /// recycled id.
    pub fn belongs_to(self, table: &ProcessTable, instance_id: &str) -> bool {
        table.members(self).iter().any(|pid| {
            environment_value(*pid, INSTANCE_MARKER).is_some_and(|id| id == instance_id.as_bytes())
        })
    }
}

/// Everything of one instance that still runs: the process group of its
/// boot, if it has one, and the processes that left that group but carry
/// the instance's directory in their environment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InstanceProcesses {
    pub group: Option<Group>,
    /// Live processes outside `group` that belong to the instance.
    pub escaped: Vec<i32>,
}

impl InstanceProcesses {
    /// Whether nothing of the instance runs any more.
    pub fn is_empty(&self) -> bool {
        self.group.is_none() && self.escaped.is_empty()
    }

    /// Signals the group and every escaped process; processes that are
    /// already gone are not an error.
    pub fn signal(&self, signal: Signal) {
        if let Some(group) = self.group {
            let _ = group.signal(signal);
        }
        for pid in &self.escaped {
            let _ = kill(Pid::from_raw(*pid), signal);
        }
    }
}

/// The machine's live processes by process group and by instance
/// directory, for one reconciliation pass.
///
/// Reading `/proc` means opening every process's `stat`, a few
/// milliseconds on a busy machine, four times a second; most passes need
/// none of it (a running process-mode instance is not checked at all, a
/// sandbox's only by its group's leader). So each part is read on first
/// use, at most once per pass.
#[derive(Debug, Default)]
pub struct ProcessTable {
    by_group: OnceLock<ByGroup>,
    /// Reading every process's environment is only needed while some
    /// instance is stopping.
    by_instance_dir: OnceLock<HashMap<OsString, Vec<ProcessEntry>>>,
}

/// Every live process, and their pids by process group.
#[derive(Debug, Default)]
struct ByGroup {
    entries: Vec<ProcessEntry>,
    pids: HashMap<i32, Vec<i32>>,
}

impl ProcessTable {
    /// A table for one pass; `/proc` is read when first asked.
    pub fn take() -> Self {
        ProcessTable::default()
    }

    fn scan(&self) -> &ByGroup {
        self.by_group.get_or_init(|| {
            let entries = live_processes();
            let mut pids: HashMap<i32, Vec<i32>> = HashMap::new();
            for entry in &entries {
                pids.entry(entry.pgid).or_default().push(entry.pid);
            }
            ByGroup { entries, pids }
        })
    }

    fn by_instance_dir(&self) -> &HashMap<OsString, Vec<ProcessEntry>> {
        self.by_instance_dir.get_or_init(|| {
            let mut index: HashMap<OsString, Vec<ProcessEntry>> = HashMap::new();
            for entry in &self.scan().entries {
                if let Some(dir) = environment_value(entry.pid, INSTANCE_DIR_VARIABLE) {
                    index
                        .entry(OsString::from_vec(dir))
                        .or_default()
                        .push(*entry);
                }
            }
            index
        })
    }

    /// The pids of the group's live (non-zombie) members.
    pub fn members(&self, group: Group) -> &[i32] {
        self.scan().pids.get(&group.pgid).map_or(&[], Vec::as_slice)
    }

    /// Whether any member of the group is alive: its leader (a boot's
    /// init, whose pid is the group's id) still running in it is enough,
    /// and needs one file; otherwise the whole table is read.
    pub fn alive(&self, group: Group) -> bool {
        leads(group) || !self.members(group).is_empty()
    }

    /// The live processes of the instance whose directory is `dir` and
    /// whose current boot, if any, runs in `group`.
    pub fn of_instance(&self, group: Option<Group>, dir: &Path) -> InstanceProcesses {
        let escaped = self
            .by_instance_dir()
            .get(dir.as_os_str())
            .into_iter()
            .flatten()
            .filter(|entry| group.is_none_or(|g| entry.pgid != g.pgid))
            .map(|entry| entry.pid)
            .collect();
        InstanceProcesses {
            group: group.filter(|g| self.alive(*g)),
            escaped,
        }
    }
}

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcessEntry {
    pid: i32,
    pgid: i32,
}

/// Whether the process whose pid is the group's id is alive and still in
/// that group.
fn leads(group: Group) -> bool {
    fs::read_to_string(format!("/proc/{}/stat", group.pgid))
        .ok()
        .and_then(|stat| parse_stat(&stat))
        .is_some_and(|entry| entry.pgid == group.pgid)
}

/// Every process on the machine that is not a zombie.
fn live_processes() -> Vec<ProcessEntry> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_stat(&stat)
        })
        .collect()
}

/// The value of `name` in the environment process `pid` started with, if
/// it can be read (it cannot for another user's processes, which are
/// never an instance's).
fn environment_value(pid: i32, name: &str) -> Option<Vec<u8>> {
    let environ = fs::read(format!("/proc/{pid}/environ")).ok()?;
    variable(&environ, name).map(<[u8]>::to_vec)
}

/// Finds `NAME=value` in a NUL-separated environment block.
fn variable<'a>(environ: &'a [u8], name: &str) -> Option<&'a [u8]> {
    environ
        .split(|b| *b == 0)
        .find_map(|entry| entry.strip_prefix(name.as_bytes())?.strip_prefix(b"="))
}

/// Parses `pid (comm) state ppid pgrp …`, skipping zombies and dead
/// entries. `comm` may hold spaces and parentheses, so the fields after it
/// are found from the last `)`.
fn parse_stat(stat: &str) -> Option<ProcessEntry> {
    let (head, tail) = stat.rsplit_once(')')?;
    let pid = head.split_whitespace().next()?.parse().ok()?;
    let mut fields = tail.split_whitespace();
    let state = fields.next()?;
    if matches!(state, "Z" | "X" | "x") {
        return None;
    }
    let _ppid = fields.next()?;
    let pgid = fields.next()?.parse().ok()?;
    Some(ProcessEntry { pid, pgid })
}

/// What a boot's leader runs, written to `boot.sh` in the instance's
/// directory for each boot.
#[derive(Debug, Clone)]
pub struct BootScript {
    pub instance_id: String,
    pub generation: u64,
    /// The user data to run, on the first boot only.
    pub user_data: Option<UserDataCommand>,
    /// Where the user data is, as the boot's shell sees it.
    pub user_data_path: String,
    /// What the image's own boot does before the user data (sandboxes:
    /// users and keys, sshd, cron), as shell lines.
    pub system: Option<String>,
}

/// How the user data is run: directly when it starts with `#!`, by bash
/// otherwise (as cloud-init treats a plain script).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserDataCommand {
    Executable,
    Shell(&'static str),
}

impl UserDataCommand {
    /// The way to run `user_data`.
    pub fn for_data(user_data: &[u8]) -> Self {
        if user_data.starts_with(b"#!") {
            UserDataCommand::Executable
        } else if Path::new("/bin/bash").exists() {
            UserDataCommand::Shell("/bin/bash")
        } else {
            UserDataCommand::Shell("/bin/sh")
        }
    }
}

impl BootScript {
    /// The script's text. Paths come from the environment the fleet sets,
    /// so nothing in them needs quoting here.
    pub fn render(&self) -> String {
        let mut script =
            String::from("#!/bin/sh\n# Written by Ballast for one boot of this instance.\n");
        script.push_str(&format!(
            "echo \"[ballast] boot {} of {} at $(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n",
            self.generation, self.instance_id
        ));
        if let Some(system) = &self.system {
            script.push_str(system);
        }
        if let Some(command) = &self.user_data {
            let path = &self.user_data_path;
            let run = match command {
                UserDataCommand::Executable => format!("\"{path}\""),
                UserDataCommand::Shell(shell) => format!("{shell} \"{path}\""),
            };
            script.push_str("echo \"[ballast] running user data\"\n");
            script.push_str(&format!("{run}\n"));
            script.push_str("echo \"[ballast] user data exited with status $?\"\n");
        }
        script.push_str(
            "if [ -f \"$BALLAST_BOOT_HOOK\" ]; then\n\
             \x20 echo \"[ballast] running boot hook\"\n\
             \x20 if [ -x \"$BALLAST_BOOT_HOOK\" ]; then \"$BALLAST_BOOT_HOOK\"; else /bin/sh \"$BALLAST_BOOT_HOOK\"; fi\n\
             \x20 echo \"[ballast] boot hook exited with status $?\"\n\
             fi\n",
        );
        script
    }
}

/// Where a process-mode boot finds the user data.
pub const PROCESS_USER_DATA: &str = "$BALLAST_INSTANCE_DIR/user-data";

/// Signals used to stop an instance.
pub const TERMINATE: Signal = Signal::SIGTERM;
/// Sent when the grace period is over.
pub const KILL: Signal = Signal::SIGKILL;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_with_awkward_names() {
        let entry = parse_stat("42 (my (odd) name) S 1 40 40 0 -1").unwrap();
        assert_eq!(entry, ProcessEntry { pid: 42, pgid: 40 });
        assert_eq!(parse_stat("43 (z) Z 1 40 40 0"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn our_own_process_is_live() {
        let me = std::process::id() as i32;
        let table = ProcessTable::take();
        let own = live_processes()
            .into_iter()
            .find(|p| p.pid == me)
            .expect("this test's process");
        assert!(table.alive(Group { pgid: own.pgid }));
        assert!(!table.alive(Group { pgid: -5 }));
    }

    #[test]
    fn a_group_whose_leader_exited_is_alive_while_a_member_runs() {
        // `setsid` makes the shell a group leader; it leaves a sleeper
        // behind in its group and exits.
        let mut leader = std::process::Command::new("setsid")
            .args(["sh", "-c", "sleep 30 & exit 0"])
            .spawn()
            .expect("setsid sh");
        let group = Group {
            pgid: leader.id() as i32,
        };
        leader.wait().unwrap();
        assert!(!leads(group), "the leader is gone");
        assert!(ProcessTable::take().alive(group), "its sleeper still runs");
        group.signal(KILL).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while ProcessTable::take().alive(group) {
            assert!(std::time::Instant::now() < deadline, "the group never died");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn environment_variables_are_found_by_exact_name() {
        let environ = b"PATH=/bin\0BALLAST_INSTANCE_DIR=/data/i-1\0BALLAST_INSTANCE_DIRX=no\0";
        assert_eq!(
            variable(environ, INSTANCE_DIR_VARIABLE),
            Some(&b"/data/i-1"[..])
        );
        assert_eq!(variable(environ, "BALLAST"), None);
        assert_eq!(variable(b"", "PATH"), None);
    }

    #[test]
    fn a_process_that_left_its_group_is_still_the_instances() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("i-escaped");
        // `setsid` puts the sleeper in a session and group of its own.
        let mut leader = std::process::Command::new("setsid")
            .args(["sleep", "30"])
            .env(INSTANCE_DIR_VARIABLE, &marker)
            .spawn()
            .expect("setsid sleep");
        let pid = leader.id() as i32;
        let found = (0..100).find_map(|_| {
            let processes = ProcessTable::take().of_instance(Some(Group { pgid: -5 }), &marker);
            if processes.escaped.contains(&pid) {
                return Some(processes);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            None
        });
        let processes = found.expect("the escaped process is found by its marker");
        assert_eq!(processes.group, None, "a dead group is not reported");
        assert!(!processes.is_empty());
        processes.signal(KILL);
        leader.wait().unwrap();
        let after = ProcessTable::take().of_instance(None, &marker);
        assert!(after.is_empty(), "{after:?}");
    }

    #[test]
    fn scripts_run_user_data_once_and_the_hook_always() {
        let first = BootScript {
            instance_id: "i-1".into(),
            generation: 1,
            user_data: Some(UserDataCommand::Shell("/bin/bash")),
            user_data_path: PROCESS_USER_DATA.into(),
            system: None,
        }
        .render();
        assert!(first.contains("/bin/bash \"$BALLAST_INSTANCE_DIR/user-data\""));
        assert!(first.contains("$BALLAST_BOOT_HOOK"));
        let later = BootScript {
            instance_id: "i-1".into(),
            generation: 2,
            user_data: None,
            user_data_path: PROCESS_USER_DATA.into(),
            system: None,
        }
        .render();
        assert!(!later.contains("user-data"));
        assert!(later.contains("$BALLAST_BOOT_HOOK"));
    }

    #[test]
    fn shebang_decides_how_user_data_runs() {
        assert_eq!(
            UserDataCommand::for_data(b"#!/usr/bin/env python3\n"),
            UserDataCommand::Executable
        );
        assert!(matches!(
            UserDataCommand::for_data(b"echo hi"),
            UserDataCommand::Shell(_)
        ));
    }
}
