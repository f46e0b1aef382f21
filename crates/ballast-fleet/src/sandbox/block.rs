//! Block devices in sandboxes: an EBS volume's disk file behind a loop
//! device, whose node appears in the instance's own `/dev` under the name
//! AttachVolume gave it.
//!
//! Every sandbox has a `/dev` of its own (a tmpfs [`super::init`] fills),
//! so a node made there is seen by that instance only. A running
//! instance's `/dev` is reached from the host through its PID 1's
//! `/proc/PID/root`; a booting one gets its nodes from the init spec
//! ([`BlockDevice`]). Loop devices are made and freed with util-linux's
//! `losetup`, which the sandbox borrows from the host like `ip`: each call
//! is one short-lived process, and the kernel keeps the device across a
//! restart of Ballast, where [`loop_device`] finds it again by its file.
//!
//! The sandbox is not a security boundary (its root is the host's root
//! user): the checks here keep an instance's mistakes from reaching the
//! host's `/dev`, not a hostile instance.

use std::io;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use serde::{Deserialize, Serialize};

/// A block device the instance sees: its path inside and the host
/// device's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDevice {
    /// The kernel's name inside the instance (`/dev/xvdf`).
    pub path: PathBuf,
    /// Another name for it, a link to `path` (`/dev/sdf`, as Amazon Linux
    /// links the name AttachVolume was given).
    pub alias: Option<PathBuf>,
    pub major: u64,
    pub minor: u64,
}

/// A loop device on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopDevice {
    /// `/dev/loopN`.
    pub path: PathBuf,
    pub major: u64,
    pub minor: u64,
}

impl LoopDevice {
    fn of(path: PathBuf) -> io::Result<LoopDevice> {
        let meta = std::fs::metadata(&path)?;
        if !meta.file_type().is_block_device() {
            return Err(io::Error::other(format!(
                "{} is not a block device",
                path.display()
            )));
        }
        let rdev = meta.rdev();
        Ok(LoopDevice {
            path,
            major: nix::sys::stat::major(rdev),
            minor: nix::sys::stat::minor(rdev),
        })
    }

    /// The device as `device` inside an instance (`/dev/sdf` is made as
    /// `/dev/xvdf` with a link from `/dev/sdf`).
    pub fn as_named(&self, device: &str) -> BlockDevice {
        let kernel = ballast_core::ec2::volume::kernel_name(device);
        BlockDevice {
            alias: (kernel != device).then(|| PathBuf::from(device)),
            path: PathBuf::from(kernel),
            major: self.major,
            minor: self.minor,
        }
    }
}

/// Runs `losetup ARGS`, returning its standard output.
fn losetup(args: &[&str]) -> io::Result<String> {
    let output = Command::new("losetup")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("running losetup: {e}")))?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "`losetup {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The loop device backed by `file`, if there is one.
pub fn loop_device(file: &Path) -> io::Result<Option<LoopDevice>> {
    let file = file.to_string_lossy();
    let listed = losetup(&[
        "--list",
        "--noheadings",
        "--output",
        "NAME",
        "--associated",
        &file,
    ])?;
    match listed.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(name) => LoopDevice::of(PathBuf::from(name)).map(Some),
        None => Ok(None),
    }
}

/// The loop device backed by `file`, made if there is none.
pub fn ensure_loop_device(file: &Path) -> io::Result<LoopDevice> {
    if let Some(device) = loop_device(file)? {
        return Ok(device);
    }
    let made = losetup(&["--find", "--show", &file.to_string_lossy()])?;
    LoopDevice::of(PathBuf::from(made.trim()))
}

/// Frees the loop device behind `file`, if any; one still mounted in an
/// instance is freed by the kernel once it is unmounted.
pub fn free_loop_device(file: &Path) -> io::Result<()> {
    if let Some(device) = loop_device(file)? {
        losetup(&["--detach", &device.path.to_string_lossy()])?;
    }
    Ok(())
}

/// Tells the loop device behind `file` that the file grew.
pub fn refresh_capacity(file: &Path) -> io::Result<()> {
    if let Some(device) = loop_device(file)? {
        losetup(&["--set-capacity", &device.path.to_string_lossy()])?;
    }
    Ok(())
}

/// Makes `device`'s node (and alias) under `root`, the instance's root as
/// seen from the host; a node already there with other numbers is
/// replaced.
pub fn make_node(root: &Path, device: &BlockDevice) -> io::Result<()> {
    inside_dev(root)?;
    let node = inside(root, &device.path);
    let wanted = makedev(device.major, device.minor);
    match std::fs::symlink_metadata(&node) {
        Ok(meta) if meta.file_type().is_block_device() && meta.rdev() == wanted => {}
        Ok(_) => {
            std::fs::remove_file(&node)?;
            make_block_node(&node, wanted)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => make_block_node(&node, wanted)?,
        Err(e) => return Err(e),
    }
    if let Some(alias) = &device.alias {
        let link = inside(root, alias);
        let _ = std::fs::remove_file(&link);
        let target = device.path.strip_prefix("/dev").unwrap_or(&device.path);
        std::os::unix::fs::symlink(target, &link)?;
    }
    Ok(())
}

/// Removes `device`'s node and alias from the instance's `/dev`.
pub fn remove_node(root: &Path, device: &BlockDevice) -> io::Result<()> {
    inside_dev(root)?;
    for path in std::iter::once(&device.path).chain(device.alias.as_ref()) {
        match std::fs::remove_file(inside(root, path)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Whether a process whose mounts are `mountinfo` (`/proc/PID/mountinfo`)
/// has the device `major:minor` mounted.
pub fn is_mounted(mountinfo: &str, major: u64, minor: u64) -> bool {
    let wanted = format!("{major}:{minor}");
    mountinfo
        .lines()
        .any(|line| line.split_whitespace().nth(2) == Some(wanted.as_str()))
}

fn make_block_node(node: &Path, rdev: nix::libc::dev_t) -> io::Result<()> {
    mknod(node, SFlag::S_IFBLK, Mode::from_bits_truncate(0o660), rdev).map_err(io::Error::from)
}

/// The instance's `/dev` under `root`, refused when it is not a directory
/// of its own (a link out of the instance) or is the host's `/dev` (a
/// root not yet built), so that the caller tries again later.
fn inside_dev(root: &Path) -> io::Result<PathBuf> {
    let dev = root.join("dev");
    let meta = std::fs::symlink_metadata(&dev)?;
    if !meta.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dev.display()
        )));
    }
    if std::fs::metadata("/dev").is_ok_and(|host| same_file(&host, &meta)) {
        return Err(io::Error::other(format!(
            "{} is the host's /dev",
            dev.display()
        )));
    }
    Ok(dev)
}

fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.dev() == b.dev() && a.ino() == b.ino()
}

fn inside(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mount_of_the_device_is_found_by_its_numbers() {
        let mountinfo = "\
22 1 0:21 / / rw,relatime - overlay overlay rw\n\
36 22 7:3 / /data rw,relatime - ext4 /dev/xvdb rw\n";
        assert!(is_mounted(mountinfo, 7, 3));
        assert!(!is_mounted(mountinfo, 7, 30));
        assert!(!is_mounted(mountinfo, 0, 22));
    }

    #[test]
    fn sd_names_are_made_as_xvd_with_a_link() {
        let device = LoopDevice {
            path: "/dev/loop3".into(),
            major: 7,
            minor: 3,
        };
        let named = device.as_named("/dev/sdf");
        assert_eq!(named.path, PathBuf::from("/dev/xvdf"));
        assert_eq!(named.alias, Some(PathBuf::from("/dev/sdf")));
        assert_eq!(device.as_named("/dev/xvdb").alias, None);
    }

    #[test]
    fn nodes_are_made_and_removed_under_the_instances_dev() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let root = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(root.path().join("dev")).expect("dev");
        let device = LoopDevice {
            path: "/dev/loop3".into(),
            major: 7,
            minor: 3,
        }
        .as_named("/dev/sdf");
        make_node(root.path(), &device).expect("made");
        make_node(root.path(), &device).expect("made again, unchanged");
        let meta = std::fs::metadata(root.path().join("dev/sdf")).expect("the link resolves");
        assert!(meta.file_type().is_block_device());
        assert_eq!(meta.rdev(), makedev(7, 3));
        remove_node(root.path(), &device).expect("removed");
        assert!(!root.path().join("dev/xvdf").exists());
        assert!(std::fs::symlink_metadata(root.path().join("dev/sdf")).is_err());
    }

    #[test]
    fn the_hosts_dev_is_never_an_instances() {
        // A booting instance's `/proc/PID/root` is still the host's `/`.
        let device = LoopDevice {
            path: "/dev/loop3".into(),
            major: 7,
            minor: 3,
        }
        .as_named("/dev/sdz");
        let refused = make_node(Path::new("/"), &device).expect_err("refused");
        assert!(refused.to_string().contains("host's /dev"), "{refused}");
        assert!(!Path::new("/dev/xvdz").exists());
    }
}
