//! Instances as process groups ("process mode").
//!
//! A boot is one `/bin/sh` leader started in a new process group; what it
//! runs (user data, the boot hook) and whatever those start in the
//! background stay in that group, so stopping the instance is signalling
//! the group. Liveness is read from `/proc`: a group is alive while one of
//! its members is not a zombie. That works whoever reaps the members,
//! including after `ballast up` itself was killed and restarted.
//!
//! A process that leaves its group (`setsid`, classic daemonizing) escapes
//! Ballast's control; the network-namespace mode the design plans would
//! close that gap with a cgroup.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The environment variable that marks every process of an instance, so a
/// restarted Ballast can tell its instances' groups from a recycled
/// process-group id.
pub const INSTANCE_MARKER: &str = "BALLAST_INSTANCE_ID";

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
        let needle = format!("{INSTANCE_MARKER}={instance_id}");
        table.members(self).iter().any(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
        })
    }
}

/// The machine's live processes by process group, read once per
/// reconciliation pass.
#[derive(Debug, Default)]
pub struct ProcessTable {
    by_group: HashMap<i32, Vec<i32>>,
}

impl ProcessTable {
    /// Reads `/proc` now.
    pub fn take() -> Self {
        let mut by_group: HashMap<i32, Vec<i32>> = HashMap::new();
        for entry in live_processes() {
            by_group.entry(entry.pgid).or_default().push(entry.pid);
        }
        ProcessTable { by_group }
    }

    /// The pids of the group's live (non-zombie) members.
    pub fn members(&self, group: Group) -> &[i32] {
        self.by_group.get(&group.pgid).map_or(&[], Vec::as_slice)
    }

    /// Whether any member of the group is alive.
    pub fn alive(&self, group: Group) -> bool {
        !self.members(group).is_empty()
    }
}

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcessEntry {
    pid: i32,
    pgid: i32,
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
        if let Some(command) = &self.user_data {
            let run = match command {
                UserDataCommand::Executable => "\"$BALLAST_INSTANCE_DIR/user-data\"".to_owned(),
                UserDataCommand::Shell(shell) => {
                    format!("{shell} \"$BALLAST_INSTANCE_DIR/user-data\"")
                }
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
    fn scripts_run_user_data_once_and_the_hook_always() {
        let first = BootScript {
            instance_id: "i-1".into(),
            generation: 1,
            user_data: Some(UserDataCommand::Shell("/bin/bash")),
        }
        .render();
        assert!(first.contains("/bin/bash \"$BALLAST_INSTANCE_DIR/user-data\""));
        assert!(first.contains("$BALLAST_BOOT_HOOK"));
        let later = BootScript {
            instance_id: "i-1".into(),
            generation: 2,
            user_data: None,
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
