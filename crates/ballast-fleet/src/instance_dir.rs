//! An instance's directory under the data dir: its disk, in process mode.
//!
//! ```text
//! <data-dir>/instances/i-…/
//!     user-data        the decoded user data (run on the first boot)
//!     boot.sh          what the current boot's leader runs
//!     boot-hook        the rc.local equivalent user data may install
//!     console.log      everything the boots printed (GetConsoleOutput)
//!     home/            $HOME of the instance's processes
//!     runtime.json     the current boot's process group, for re-adoption
//!     first-boot-done  present once the user data has been started
//!     volume/          sandbox mode: the root volume (overlay upper, work)
//!     mnt/             sandbox mode: where the root is mounted, inside
//!                      the instance's own mount namespace only
//!     sandbox.json     sandbox mode: the current boot's init spec
//!     init.pid         sandbox mode: the current boot's PID 1, as the host
//!                      numbers it
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The boot a running process group belongs to, kept on disk so a
/// restarted Ballast can adopt it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeRecord {
    pub pgid: i32,
    pub generation: u64,
}

/// The directory of one instance.
#[derive(Debug, Clone)]
pub struct InstanceDir {
    root: PathBuf,
}

impl InstanceDir {
    /// The directory of `instance_id` under `instances_root`.
    pub fn new(instances_root: &Path, instance_id: &str) -> Self {
        InstanceDir {
            root: instances_root.join(instance_id),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// The root volume of a sandboxed instance: the overlay's upper and
    /// work directories.
    pub fn volume(&self) -> PathBuf {
        self.root.join("volume")
    }

    /// Where a sandbox's launcher writes its PID 1's process id.
    pub fn init_pid_file(&self) -> PathBuf {
        self.root.join("init.pid")
    }

    pub fn boot_hook(&self) -> PathBuf {
        self.root.join("boot-hook")
    }

    pub fn boot_script(&self) -> PathBuf {
        self.root.join("boot.sh")
    }

    pub fn console(&self) -> PathBuf {
        self.root.join("console.log")
    }

    fn user_data(&self) -> PathBuf {
        self.root.join("user-data")
    }

    fn runtime(&self) -> PathBuf {
        self.root.join("runtime.json")
    }

    fn first_boot_marker(&self) -> PathBuf {
        self.root.join("first-boot-done")
    }

    /// Creates the directory and its home.
    pub fn create(&self) -> io::Result<()> {
        fs::create_dir_all(self.home())
    }

    /// Whether the first boot already started the user data.
    pub fn first_boot_done(&self) -> bool {
        self.first_boot_marker().exists()
    }

    /// Records that the first boot is starting, before it starts, so the
    /// user data runs at most once even if Ballast dies mid-boot.
    pub fn mark_first_boot(&self) -> io::Result<()> {
        File::create(self.first_boot_marker()).map(drop)
    }

    /// Writes the user data, executable.
    pub fn write_user_data(&self, data: &[u8]) -> io::Result<()> {
        write_executable(&self.user_data(), data)
    }

    /// Writes the script the next boot's leader runs.
    pub fn write_boot_script(&self, script: &str) -> io::Result<()> {
        write_executable(&self.boot_script(), script.as_bytes())
    }

    /// The console log, opened for appending (the boot's stdout/stderr).
    pub fn open_console(&self) -> io::Result<File> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.console())
    }

    /// Appends one line from Ballast itself to the console.
    pub fn console_line(&self, line: &str) {
        if let Ok(mut file) = self.open_console() {
            let _ = writeln!(file, "[ballast] {line}");
        }
    }

    /// The last `limit` bytes of the console.
    pub fn console_tail(&self, limit: usize) -> Option<Vec<u8>> {
        let mut file = File::open(self.console()).ok()?;
        let len = file.metadata().ok()?.len();
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        file.seek(SeekFrom::Start(len.saturating_sub(limit))).ok()?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).ok()?;
        Some(tail)
    }

    /// The boot recorded as running, if any.
    pub fn runtime_record(&self) -> Option<RuntimeRecord> {
        let text = fs::read_to_string(self.runtime()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Records the running boot.
    pub fn save_runtime_record(&self, record: RuntimeRecord) -> io::Result<()> {
        let text = serde_json::to_string(&record).map_err(io::Error::other)?;
        let temp = self.root.join("runtime.json.tmp");
        fs::write(&temp, text)?;
        fs::rename(temp, self.runtime())
    }

    /// Forgets the running boot (its processes are gone).
    pub fn clear_runtime_record(&self) {
        let _ = fs::remove_file(self.runtime());
    }

    /// Deletes the root volume (a sandbox's overlay layers), if any.
    pub fn remove_volume(&self) {
        let volume = self.volume();
        if volume.exists()
            && let Err(error) = fs::remove_dir_all(&volume)
        {
            tracing::warn!(%error, volume = %volume.display(), "deleting the root volume");
        }
    }

    /// Removes the whole directory (the instance is gone for good).
    pub fn remove(&self) -> io::Result<()> {
        match fs::remove_dir_all(&self.root) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn write_executable(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::write(path, contents)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_tail_returns_the_end() {
        let temp = tempfile::tempdir().unwrap();
        let dir = InstanceDir::new(temp.path(), "i-1");
        dir.create().unwrap();
        assert_eq!(dir.console_tail(10), None);
        dir.console_line("one");
        dir.console_line("two");
        let tail = dir.console_tail(4).unwrap();
        assert_eq!(tail, b"two\n");
    }

    #[test]
    fn runtime_records_round_trip() {
        let temp = tempfile::tempdir().unwrap();
        let dir = InstanceDir::new(temp.path(), "i-1");
        dir.create().unwrap();
        let record = RuntimeRecord {
            pgid: 7,
            generation: 3,
        };
        dir.save_runtime_record(record).unwrap();
        assert_eq!(dir.runtime_record(), Some(record));
        dir.clear_runtime_record();
        assert_eq!(dir.runtime_record(), None);
        assert!(!dir.first_boot_done());
        dir.mark_first_boot().unwrap();
        assert!(dir.first_boot_done());
    }
}
