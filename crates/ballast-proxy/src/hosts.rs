//! Making load balancer DNS names resolve: a managed block in the hosts
//! file.
//!
//! glibc's resolver reads `/etc/hosts` on every lookup, so an entry there
//! makes `DNSName` work for curl, Python and Rust clients with no set-up
//! (glibc does not resolve `*.localhost` here, and there is no local DNS
//! server to configure). Each Ballast process owns one block, marked with
//! its pid; blocks of processes that are gone are pruned on every write.
//! Writes happen in place under an exclusive lock, since `/etc/hosts` is
//! often a bind mount that cannot be replaced by rename. When the file is
//! not writable, Ballast says so once and names keep not resolving; the
//! addresses still work.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

const BEGIN: &str = "# ballast:begin pid=";
const END: &str = "# ballast:end pid=";

/// The hosts file Ballast keeps its block in.
#[derive(Debug, Clone)]
pub struct HostsFile {
    path: PathBuf,
    pid: u32,
}

impl HostsFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HostsFile {
            path: path.into(),
            pid: std::process::id(),
        }
    }

    /// Replaces this process's block with `entries` (name → address).
    pub fn write(&self, entries: &[(String, Ipv4Addr)]) -> std::io::Result<()> {
        let mut file = OpenOptions::new().read(true).write(true).open(&self.path)?;
        file.lock()?;
        let result = self.rewrite(&mut file, entries);
        let _ = file.unlock();
        result
    }

    /// Removes this process's block (on shutdown).
    pub fn clear(&self) -> std::io::Result<()> {
        self.write(&[])
    }

    fn rewrite(&self, file: &mut File, entries: &[(String, Ipv4Addr)]) -> std::io::Result<()> {
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let mut kept = without_stale_blocks(&text, self.pid, pid_alive);
        if !entries.is_empty() {
            if !kept.is_empty() && !kept.ends_with('\n') {
                kept.push('\n');
            }
            kept.push_str(&format!("{BEGIN}{}\n", self.pid));
            for (name, addr) in entries {
                kept.push_str(&format!("{addr}\t{name}\n"));
            }
            kept.push_str(&format!("{END}{}\n", self.pid));
        }
        if kept == text {
            return Ok(());
        }
        file.seek(SeekFrom::Start(0))?;
        file.write_all(kept.as_bytes())?;
        file.set_len(kept.len() as u64)?;
        file.flush()
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// `text` without the block of `own_pid` and without blocks whose owner is
/// no longer alive.
fn without_stale_blocks(text: &str, own_pid: u32, alive: impl Fn(u32) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(pid) = trimmed
            .strip_prefix(BEGIN)
            .and_then(|p| p.parse::<u32>().ok())
        {
            skipping = pid == own_pid || !alive(pid);
            if skipping {
                continue;
            }
        }
        if skipping {
            if trimmed.starts_with(END) {
                skipping = false;
            }
            continue;
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_own_block_and_prunes_dead_owners() {
        let text = "127.0.0.1 localhost\n\
                    # ballast:begin pid=10\n127.100.0.1\told\n# ballast:end pid=10\n\
                    # ballast:begin pid=20\n127.100.0.2\tother\n# ballast:end pid=20\n\
                    # ballast:begin pid=30\n127.100.0.3\tdead\n# ballast:end pid=30\n";
        let kept = without_stale_blocks(text, 10, |pid| pid == 20);
        assert_eq!(
            kept,
            "127.0.0.1 localhost\n# ballast:begin pid=20\n127.100.0.2\tother\n# ballast:end pid=20\n"
        );
    }

    #[test]
    fn writes_and_clears_a_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(&path, "127.0.0.1 localhost").unwrap();
        let hosts = HostsFile::new(&path);
        hosts
            .write(&[(
                "web-1.us-east-1.elb.ballast.internal".into(),
                Ipv4Addr::new(127, 100, 0, 1),
            )])
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("127.100.0.1\tweb-1.us-east-1.elb.ballast.internal\n"),
            "{text}"
        );
        assert!(text.starts_with("127.0.0.1 localhost\n"));
        hosts.clear().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "127.0.0.1 localhost\n"
        );
    }
}
