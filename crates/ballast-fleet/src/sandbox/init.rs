//! The first process of a sandboxed instance: `ballast sandbox-init SPEC`.
//!
//! Ballast starts this program (its own binary, re-executed) for every boot
//! of a sandboxed instance. It joins the instance's network namespace,
//! makes new mount, UTS, IPC and PID namespaces, and forks:
//!
//! - the parent (the *launcher*) stays in the host's PID namespace, in the
//!   boot's process group, and only waits for the child, so the fleet sees
//!   the boot alive exactly as long as the instance runs;
//! - the child is PID 1 of the instance. It mounts the instance's overlay
//!   root over the host's `/`, fresh `/proc`, `/sys` and `/run`,
//!   hides Ballast's data directory, writes the files Ballast prepared
//!   (`/etc/hosts`, the boot script, the user data), sets the hostname,
//!   pivots into the new root and starts the boot script. Then it is init:
//!   it reaps every orphan, and on SIGTERM passes SIGTERM to every process
//!   of the instance and exits once none is left. When it dies the kernel
//!   kills whatever remains in the namespace, so no daemon outlives its
//!   instance, however it forked.
//!
//! Written against raw system calls (through `nix`) because no crate
//! builds a sandbox from an overlay of the host's own root; the steps are
//! those of `unshare --fork --pid --mount-proc` and `pivot_root(8)`.

use std::convert::Infallible;
use std::fs::{self, File};
use std::io;
use std::os::fd::{AsRawFd as _, OwnedFd};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::stat::{Mode, SFlag, mknod};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, chdir, fork, pipe, pivot_root, sethostname};
use serde::{Deserialize, Serialize};

/// Everything one boot of a sandbox needs, written by the fleet as JSON
/// next to the instance's other files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitSpec {
    /// The instance's network namespace (`/run/netns/NAME`).
    pub netns: PathBuf,
    /// The overlay's upper and work directories, and where it is mounted.
    pub upper: PathBuf,
    pub work: PathBuf,
    pub merged: PathBuf,
    pub hostname: String,
    /// Host directories the instance must not see (Ballast's data
    /// directory): each gets an empty read-only tmpfs over it.
    pub hidden: Vec<PathBuf>,
    /// Files written into the instance's root before it boots.
    pub files: Vec<SpecFile>,
    /// Host files bind-mounted over files of the instance, which Ballast
    /// keeps up to date while the instance runs (`/etc/hosts`), as
    /// container engines do: `(host path, path inside)`.
    #[serde(default)]
    pub binds: Vec<(PathBuf, PathBuf)>,
    /// The boot script to run, by its path inside the instance.
    pub boot_script: PathBuf,
    /// The cgroups the instance runs in (its type's vCPUs and memory).
    #[serde(default)]
    pub cgroups: Vec<PathBuf>,
    /// The boot script's environment.
    pub env: Vec<(String, String)>,
    /// The EBS volumes attached to the instance, made in its `/dev`.
    #[serde(default)]
    pub devices: Vec<super::block::BlockDevice>,
    /// Where the launcher writes PID 1's process id (as the host numbers
    /// it) once PID 1 has built the instance's root, through which the
    /// fleet reaches the running instance's `/dev` and mounts.
    #[serde(default)]
    pub pid_file: Option<PathBuf>,
}

/// A file the fleet places in the instance's root (it lands in the
/// instance's upper directory, as if the instance wrote it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpecFile {
    /// An absolute path inside the instance.
    pub path: PathBuf,
    pub contents: Vec<u8>,
    pub mode: u32,
}

/// Why a sandbox could not start. Said on the console, where the fleet's
/// `GetConsoleOutput` shows it.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("reading the sandbox spec {0}: {1}")]
    Spec(PathBuf, String),
    #[error("{step}: {errno}")]
    Sys { step: String, errno: Errno },
    #[error("{step}: {source}")]
    Io { step: String, source: io::Error },
}

fn sys<T>(step: impl Into<String>, result: nix::Result<T>) -> Result<T, InitError> {
    result.map_err(|errno| InitError::Sys {
        step: step.into(),
        errno,
    })
}

fn io<T>(step: impl Into<String>, result: io::Result<T>) -> Result<T, InitError> {
    result.map_err(|source| InitError::Io {
        step: step.into(),
        source,
    })
}

/// Runs the launcher, then (in the child) the instance's PID 1. Returns
/// only on failure; the caller prints the error and exits non-zero.
pub fn run(spec_path: &Path) -> Result<Infallible, InitError> {
    let text =
        fs::read(spec_path).map_err(|e| InitError::Spec(spec_path.to_owned(), e.to_string()))?;
    let spec: InitSpec = serde_json::from_slice(&text)
        .map_err(|e| InitError::Spec(spec_path.to_owned(), e.to_string()))?;
    // Limits are worth a line on the console, not a failed boot.
    if let Err(error) = super::cgroup::join(&spec.cgroups) {
        eprintln!("[ballast] running without the instance type's limits: {error}");
    }
    let netns = io("opening the network namespace", File::open(&spec.netns))?;
    sys(
        "joining the network namespace",
        setns(&netns, CloneFlags::CLONE_NEWNET),
    )?;
    drop(netns);
    sys(
        "creating the instance's namespaces",
        unshare(
            CloneFlags::CLONE_NEWNS
                | CloneFlags::CLONE_NEWUTS
                | CloneFlags::CLONE_NEWIPC
                | CloneFlags::CLONE_NEWPID,
        ),
    )?;
    // Signals are taken with sigwait from here on, in both processes.
    let signals = handled_signals();
    sys(
        "blocking signals",
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&signals), None),
    )?;
    // The instance's console is a pipe the launcher copies to the console
    // log, as a serial console is a device: a process that opens its
    // stdout again (`> /proc/1/fd/1`) cannot truncate the log.
    let (console_read, console_write) = sys("making the console", pipe())?;
    // PID 1 says on this pipe when its root is built: only then may the
    // fleet reach the instance's `/dev` through `/proc/PID/root` (before,
    // that is the host's).
    let (ready_read, ready_write) = sys("making the boot's ready pipe", pipe())?;
    // Opened (and emptied of a previous boot's) now: once PID 1 has
    // pivoted, this process shares its root, where the path is hidden.
    let pid_file = spec
        .pid_file
        .as_ref()
        .map(|path| io(format!("opening {}", path.display()), File::create(path)))
        .transpose()?;
    // SAFETY: this process is single-threaded (it is `ballast
    // sandbox-init`, started before any runtime), so fork is sound.
    match sys("forking the instance's init", unsafe { fork() })? {
        ForkResult::Parent { child } => {
            drop(console_write);
            drop(ready_write);
            if let Some(mut pid_file) = pid_file
                && root_is_ready(ready_read)
                && let Err(error) =
                    std::io::Write::write_all(&mut pid_file, child.to_string().as_bytes())
            {
                eprintln!("[ballast] writing PID 1's process id: {error}");
            }
            launcher(child, console_read)
        }
        ForkResult::Child => {
            drop(ready_read);
            drop(pid_file);
            match attach_console(console_read, console_write)
                .and_then(|()| pid1(&spec, ready_write))
            {
                Ok(never) => match never {},
                Err(error) => {
                    eprintln!("[ballast] the sandbox could not boot: {error}");
                    std::process::exit(1);
                }
            }
        }
    }
}

/// The signals the launcher and PID 1 take synchronously.
fn handled_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
    ] {
        set.add(signal);
    }
    set
}

/// Waits for PID 1 to say its root is built: true on its byte, false when
/// it closed the pipe without one (its boot failed).
fn root_is_ready(ready: OwnedFd) -> bool {
    let mut byte = [0u8; 1];
    let mut pipe = File::from(ready);
    loop {
        match std::io::Read::read(&mut pipe, &mut byte) {
            Ok(n) => return n == 1,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}

/// Makes the console pipe the child's standard output and error.
fn attach_console(read: OwnedFd, write: OwnedFd) -> Result<(), InitError> {
    drop(read);
    for target in [1, 2] {
        // SAFETY: dup2 onto the standard descriptors of this process,
        // which owns them; `write` stays open until it is dropped below.
        if unsafe { nix::libc::dup2(write.as_raw_fd(), target) } < 0 {
            return Err(InitError::Sys {
                step: "attaching the console".into(),
                errno: Errno::last(),
            });
        }
    }
    Ok(())
}

/// Copies the console pipe to the console log and waits for the
/// instance's PID 1, then exits with it. SIGTERM reaches PID 1 through the
/// process group; the launcher itself only ends with it.
fn launcher(child: Pid, console: OwnedFd) -> ! {
    // No thread here: a process that unshared its PID namespace may not
    // make threads (clone refuses CLONE_THREAD). The copy ends when every
    // writer is gone, which is when PID 1 and with it the namespace died.
    let mut from = File::from(console);
    let mut to = std::io::stdout();
    let _ = std::io::copy(&mut from, &mut to);
    let _ = std::io::Write::flush(&mut to);
    let code = loop {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => break code,
            Ok(WaitStatus::Signaled(_, signal, _)) => break 128 + signal as i32,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => break 1,
        }
    };
    std::process::exit(code)
}

/// PID 1 of the instance: build the root, boot, then reap until told to
/// stop.
fn pid1(spec: &InitSpec, ready: OwnedFd) -> Result<Infallible, InitError> {
    enter_root(spec)?;
    // The launcher waits for this byte (or for the pipe to close, when
    // the boot failed) before it names this process to the fleet.
    io(
        "saying the root is ready",
        std::io::Write::write_all(&mut File::from(ready), b"1"),
    )?;
    let mut boot = Command::new("/bin/sh");
    boot.arg(&spec.boot_script)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir("/");
    // std resets the signal mask in the child, so the boot script sees
    // SIGTERM and SIGCHLD as usual.
    if let Err(error) = boot.spawn() {
        eprintln!("[ballast] the boot script could not start: {error}");
    }
    reap_forever()
}

/// Mounts the instance's root and pivots into it.
fn enter_root(spec: &InitSpec) -> Result<(), InitError> {
    let none: Option<&str> = None;
    sys(
        "making mounts private",
        mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none),
    )?;
    for dir in [&spec.upper, &spec.work, &spec.merged] {
        io(
            format!("creating {}", dir.display()),
            fs::create_dir_all(dir),
        )?;
    }
    let options = format!(
        "lowerdir=/,upperdir={},workdir={}",
        spec.upper.display(),
        spec.work.display()
    );
    sys(
        "mounting the root volume (overlay)",
        mount(
            Some("overlay"),
            &spec.merged,
            Some("overlay"),
            MsFlags::empty(),
            Some(options.as_str()),
        ),
    )?;
    let merged = &spec.merged;
    let inside = |path: &str| merged.join(path.trim_start_matches('/'));
    sys(
        "mounting /proc",
        mount(
            Some("proc"),
            &inside("/proc"),
            Some("proc"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            none,
        ),
    )?;
    make_dev(&inside("/dev"), &spec.devices)?;
    // A sysfs of the instance's own network namespace; where the kernel
    // refuses one, the host's read-only.
    if mount(
        Some("sysfs"),
        &inside("/sys"),
        Some("sysfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC | MsFlags::MS_RDONLY,
        none,
    )
    .is_err()
    {
        sys(
            "mounting /sys",
            mount(
                Some("/sys"),
                &inside("/sys"),
                none,
                MsFlags::MS_BIND | MsFlags::MS_REC | MsFlags::MS_RDONLY,
                none,
            ),
        )?;
    }
    // /tmp stays on the root volume, as on Amazon Linux 2: what the host
    // (the AMI) has there is visible, what the instance writes is its own.
    for (path, mode) in [("/run", "0755"), ("/dev/shm", "1777")] {
        let target = inside(path);
        io(format!("creating {path}"), fs::create_dir_all(&target))?;
        let data = format!("mode={mode}");
        sys(
            format!("mounting {path}"),
            mount(
                Some("tmpfs"),
                &target,
                Some("tmpfs"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                Some(data.as_str()),
            ),
        )?;
    }
    for (source, target) in &spec.binds {
        let target = inside(&target.to_string_lossy());
        if !target.exists() {
            if let Some(parent) = target.parent() {
                io("creating a bind target", fs::create_dir_all(parent))?;
            }
            io("creating a bind target", File::create(&target).map(drop))?;
        }
        sys(
            format!("binding {}", source.display()),
            mount(
                Some(source.as_path()),
                &target,
                none,
                MsFlags::MS_BIND,
                none,
            ),
        )?;
    }
    for hidden in &spec.hidden {
        let target = inside(&hidden.to_string_lossy());
        if target.is_dir() {
            sys(
                format!("hiding {}", hidden.display()),
                mount(
                    Some("tmpfs"),
                    &target,
                    Some("tmpfs"),
                    MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                    Some("size=4k,mode=0755"),
                ),
            )?;
        }
    }
    for file in &spec.files {
        write_file(&inside(&file.path.to_string_lossy()), file)?;
    }
    sys("setting the hostname", sethostname(spec.hostname.as_str()))?;
    sys("entering the root", chdir(merged.as_path()))?;
    // pivot_root(".", ".") stacks the old root under the new one; the
    // detach then drops it (the idiom pivot_root(2) documents).
    sys("pivoting into the root", pivot_root(".", "."))?;
    sys(
        "detaching the host's root",
        umount2(".", MntFlags::MNT_DETACH),
    )?;
    sys("entering /", chdir("/"))?;
    Ok(())
}

/// The character devices every instance has, made from the host's (the
/// set container engines give, which is what programs expect of `/dev`).
const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// The links every `/dev` has.
const DEV_LINKS: [(&str, &str); 5] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
];

/// The instance's own `/dev`: a tmpfs with the usual character devices,
/// its own pseudo-terminals, and its attached volumes' block devices, so
/// that a device made for one instance (`/dev/xvdf`) is seen by it alone.
fn make_dev(dev: &Path, devices: &[super::block::BlockDevice]) -> Result<(), InitError> {
    io("creating /dev", fs::create_dir_all(dev))?;
    sys(
        "mounting /dev",
        mount(
            Some("tmpfs"),
            dev,
            Some("tmpfs"),
            MsFlags::MS_NOSUID,
            Some("mode=0755,size=65536k"),
        ),
    )?;
    for name in DEVICES {
        let host = Path::new("/dev").join(name);
        let Ok(meta) = fs::metadata(&host) else {
            continue;
        };
        let made = mknod(
            &dev.join(name),
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(meta.mode()),
            meta.rdev(),
        );
        sys(format!("making /dev/{name}"), made)?;
        // mknod applies the umask; the host's mode is what programs expect.
        io(
            format!("making /dev/{name}"),
            fs::set_permissions(dev.join(name), fs::Permissions::from_mode(meta.mode())),
        )?;
    }
    for (name, target) in DEV_LINKS {
        io(
            format!("linking /dev/{name}"),
            std::os::unix::fs::symlink(target, dev.join(name)),
        )?;
    }
    let pts = dev.join("pts");
    io("creating /dev/pts", fs::create_dir_all(&pts))?;
    sys(
        "mounting /dev/pts",
        mount(
            Some("devpts"),
            &pts,
            Some("devpts"),
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
        ),
    )?;
    for device in devices {
        let root = dev.parent().unwrap_or(dev);
        io(
            format!("making {}", device.path.display()),
            super::block::make_node(root, device),
        )?;
    }
    Ok(())
}

fn write_file(target: &Path, file: &SpecFile) -> Result<(), InitError> {
    let step = || format!("writing {}", file.path.display());
    if let Some(parent) = target.parent() {
        io(step(), fs::create_dir_all(parent))?;
    }
    io(step(), fs::write(target, &file.contents))?;
    io(
        step(),
        fs::set_permissions(target, fs::Permissions::from_mode(file.mode)),
    )
}

/// Init's loop: reap every child; on SIGTERM (or SIGINT, SIGHUP) pass
/// SIGTERM to every process of the instance and exit once none is left.
fn reap_forever() -> Result<Infallible, InitError> {
    let signals = handled_signals();
    let mut stopping = false;
    loop {
        let signal = sys("waiting for signals", signals.wait())?;
        if signal != Signal::SIGCHLD && !stopping {
            stopping = true;
            // From PID 1 of a namespace, -1 is every other process in it.
            let _ = kill(Pid::from_raw(-1), Signal::SIGTERM);
        }
        let none_left = reap();
        if stopping && none_left {
            std::process::exit(0);
        }
    }
}

/// Reaps every child that has ended; `true` when no child is left.
fn reap() -> bool {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return false,
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return true,
        }
    }
}
