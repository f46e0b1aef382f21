//! systemd units an instance enabled, started at boot by Ballast's init.
//!
//! A sandbox's PID 1 is Ballast's init, not systemd, so `systemctl enable`
//! inside an instance only makes its symlink (systemctl does that without
//! a running manager). At every boot the fleet reads the symlinks the
//! instance itself made, in its root volume's upper layer (the host's own
//! enabled units, the AMI's, are not the instance's), and the boot starts
//! each unit's `ExecStart` as its `User`, in its `WorkingDirectory`, with
//! its `Environment`: what user data relies on to bring a service back
//! after a reboot. `systemctl start` and friends still need systemd and
//! fail inside, as they do in a container without it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::agent::shell_quote as quote;

/// The targets whose wanted units start at boot.
const BOOT_TARGETS: [&str; 2] = ["multi-user.target.wants", "default.target.wants"];

/// What Ballast's init runs for one enabled service unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// `app.service`.
    pub name: String,
    pub exec_start: String,
    pub working_directory: Option<String>,
    pub user: Option<String>,
    pub environment: Vec<(String, String)>,
    /// `Type=oneshot`: run to the end before the next unit.
    pub oneshot: bool,
}

/// The service units the instance enabled, by name, read from its upper
/// layer `upper` (unit files it wrote) or the host (units the image has).
pub fn enabled(upper: &Path) -> Vec<Unit> {
    let mut units = Vec::new();
    for target in BOOT_TARGETS {
        let wants = upper.join("etc/systemd/system").join(target);
        let Ok(entries) = fs::read_dir(&wants) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".service") || units.iter().any(|u: &Unit| u.name == name) {
                continue;
            }
            let Some(text) = unit_file(upper, &entry.path()) else {
                continue;
            };
            if let Some(unit) = parse(&name, &text) {
                units.push(unit);
            }
        }
    }
    units.sort_by(|a, b| a.name.cmp(&b.name));
    units
}

/// The unit file a wants-symlink points at, as the instance sees it: its
/// own copy in the upper layer, else the host's.
fn unit_file(upper: &Path, link: &Path) -> Option<String> {
    let target = fs::read_link(link).ok()?;
    let inside: PathBuf = if target.is_absolute() {
        target
    } else {
        Path::new("/etc/systemd/system")
            .join(link.parent()?.file_name()?)
            .join(target)
    };
    let relative = inside.strip_prefix("/").ok()?;
    fs::read_to_string(upper.join(relative))
        .or_else(|_| fs::read_to_string(&inside))
        .ok()
}

/// The `[Service]` settings Ballast's init honours.
pub fn parse(name: &str, text: &str) -> Option<Unit> {
    let mut section = "";
    let mut unit = Unit {
        name: name.to_owned(),
        exec_start: String::new(),
        working_directory: None,
        user: None,
        environment: Vec::new(),
        oneshot: false,
    };
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if section != "[Service]" || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            // The first ExecStart; its prefixes (-, @, +, !, :) change how
            // systemd treats failures and privileges, not what runs.
            "ExecStart" if unit.exec_start.is_empty() => {
                unit.exec_start = value
                    .trim_start_matches(['-', '@', '+', '!', ':'])
                    .to_owned();
            }
            "WorkingDirectory" => {
                unit.working_directory = Some(value.trim_start_matches('-').to_owned());
            }
            "User" => unit.user = Some(value.to_owned()),
            "Environment" => unit.environment.extend(assignments(value)),
            "Type" => unit.oneshot = value == "oneshot",
            _ => {}
        }
    }
    (!unit.exec_start.is_empty()).then_some(unit)
}

/// `A=1 "B=two words"` → `[(A, 1), (B, two words)]`.
fn assignments(value: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
        .into_iter()
        .filter_map(|word| {
            let (k, v) = word.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

impl Unit {
    /// The script that runs the unit: its directory and environment, then
    /// its command in place of the script.
    pub fn script(&self) -> String {
        let mut script = String::from("#!/bin/sh\n");
        let dir = self.working_directory.as_deref().unwrap_or("/");
        let dir = if dir == "~" { "$HOME" } else { dir };
        script.push_str(&format!("cd {} || exit 1\n", quote(dir)));
        for (key, value) in &self.environment {
            script.push_str(&format!("export {key}={}\n", quote(value)));
        }
        script.push_str(&format!("exec {}\n", self.exec_start));
        script
    }

    /// The boot script's line that starts the unit from `path`.
    pub fn start_line(&self, path: &str) -> String {
        let run = match &self.user {
            Some(user) if user != "root" => format!("runuser -u {} -- {path}", quote(user)),
            _ => path.to_owned(),
        };
        let background = if self.oneshot { "" } else { " &" };
        format!(
            "echo \"[ballast] starting {name}\"; {run}{background}\n",
            name = self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIT: &str = "[Unit]\nDescription=app\n\n[Service]\nType=simple\nUser=ec2-user\n\
        WorkingDirectory=-/opt/app\nEnvironment=PORT=8080 \"GREETING=hello there\"\n\
        ExecStart=-/usr/bin/python3 -m http.server 8080\nExecStart=/bin/false\n\n\
        [Install]\nWantedBy=multi-user.target\n";

    #[test]
    fn services_parse_to_what_the_init_runs() {
        let unit = parse("app.service", UNIT).unwrap();
        assert_eq!(unit.exec_start, "/usr/bin/python3 -m http.server 8080");
        assert_eq!(unit.working_directory.as_deref(), Some("/opt/app"));
        assert_eq!(unit.user.as_deref(), Some("ec2-user"));
        assert_eq!(
            unit.environment,
            [
                ("PORT".to_owned(), "8080".to_owned()),
                ("GREETING".to_owned(), "hello there".to_owned())
            ]
        );
        assert!(!unit.oneshot);
        let script = unit.script();
        assert!(script.contains("cd '/opt/app' || exit 1\n"));
        assert!(script.contains("export GREETING='hello there'\n"));
        assert!(script.ends_with("exec /usr/bin/python3 -m http.server 8080\n"));
        assert!(
            unit.start_line("/x.sh")
                .contains("runuser -u 'ec2-user' -- /x.sh &")
        );
        assert_eq!(parse("empty.service", "[Service]\nType=oneshot\n"), None);
    }

    #[test]
    fn only_the_instances_own_enabled_units_start() {
        let upper = tempfile::tempdir().unwrap();
        let system = upper.path().join("etc/systemd/system");
        fs::create_dir_all(system.join("multi-user.target.wants")).unwrap();
        fs::write(system.join("app.service"), UNIT).unwrap();
        std::os::unix::fs::symlink(
            "/etc/systemd/system/app.service",
            system.join("multi-user.target.wants/app.service"),
        )
        .unwrap();
        let units = enabled(upper.path());
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].name, "app.service");
        assert!(enabled(&upper.path().join("nothing")).is_empty());
    }
}
