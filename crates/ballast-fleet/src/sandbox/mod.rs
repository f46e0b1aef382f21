//! The sandbox runtime: instances as Linux sandboxes, made with namespaces
//! and an overlay root, no container engine.
//!
//! Each instance gets a network namespace on the VPC's bridge
//! ([`network`]) with its own loopback, the metadata service at
//! `169.254.169.254` and the AWS endpoints by name ([`endpoints`]); a PID
//! namespace whose init ([`init`]) reaps orphans and takes every process
//! down with it; a UTS namespace with its `ip-…` hostname; a cgroup with
//! its type's limits ([`cgroup`]); and a root volume: an overlay whose
//! lower layer is the host's `/` (the host is the AMI) and whose upper
//! layer, in the instance's directory, keeps what the instance writes
//! across reboots and stop/start until it is terminated.

pub mod block;
pub mod cgroup;
pub mod endpoints;
pub mod init;
pub mod nat;
pub mod network;
pub mod units;

use std::ffi::OsString;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use ballast_core::ec2::Instance;
use ballast_core::ec2::instance::decode_user_data;
use ballast_core::network::DEFAULT_VPC_CIDR;
use tokio::process::Command;

use crate::boot::Environment;
use crate::instance_dir::InstanceDir;
use crate::process::{BootScript, Group, INSTANCE_DIR_VARIABLE, INSTANCE_MARKER, UserDataCommand};
use network::InstanceNetwork;
pub use network::{Bridge, LOAD_BALANCER_BLOCK, NetworkError, Owner};

/// Where the sandbox keeps the user data, as cloud-init does.
const USER_DATA_PATH: &str = "/var/lib/cloud/instance/user-data.txt";
/// The boot script inside the instance.
const BOOT_SCRIPT_PATH: &str = "/var/lib/ballast/boot.sh";
/// What every boot runs after the user data: `/etc/rc.local`, as
/// distributions' rc-local service does (user data installs it to start
/// services on every boot).
const BOOT_HOOK_PATH: &str = "/etc/rc.local";
/// The instance metadata service, as every EC2 instance reaches it.
pub const IMDS_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)), 80);
/// The system CA bundles sandboxes get (Debian's first: the one
/// `AWS_CA_BUNDLE` names).
const CA_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];
const CA_ANCHOR_DEBIAN: &str = "/usr/local/share/ca-certificates/ballast.crt";
const CA_ANCHOR_AMAZON: &str = "/etc/pki/ca-trust/source/anchors/ballast.pem";

/// The prefix length of the default subnets.
const SUBNET_PREFIX: u8 = 20;

/// The sandbox runtime's settings: the VPC bridge, and what instances must
/// not see of the host.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub bridge: Bridge,
    pub owner: Owner,
    /// Host directories hidden inside instances (Ballast's data dir).
    pub hidden: Vec<PathBuf>,
    /// The AWS endpoints' certificate, when it could be made: instances
    /// trust its authority and reach the services by name over HTTPS.
    pub tls: Option<endpoints::Authority>,
    /// Where instances' cgroups go; `None` runs them without limits.
    pub cgroups: Option<cgroup::Hierarchy>,
}

impl Sandbox {
    /// The default VPC's sandbox: bridge `ballast0` at 172.31.0.1/16.
    pub fn default_vpc(data_dir: &Path, region: &str) -> Sandbox {
        let data_dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
        let (network, prefix) = DEFAULT_VPC_CIDR
            .split_once('/')
            .and_then(|(a, p)| Some((a.parse::<Ipv4Addr>().ok()?, p.parse::<u8>().ok()?)))
            .unwrap_or((Ipv4Addr::new(172, 31, 0, 0), 16));
        let gateway = Ipv4Addr::from(u32::from(network) + 1);
        Sandbox {
            bridge: Bridge {
                name: "ballast0".into(),
                gateway,
                prefix,
                network,
            },
            owner: Owner {
                pid: std::process::id(),
                data_dir: data_dir.clone(),
            },
            tls: endpoints::Authority::load_or_create(
                &data_dir.join("tls"),
                &endpoints::service_names(region),
                gateway,
            )
            .inspect_err(|error| {
                tracing::warn!(%error, "no HTTPS endpoints for instances");
            })
            .ok(),
            hidden: vec![data_dir],
            cgroups: cgroup::Hierarchy::detect(),
        }
    }

    /// What sandboxes borrow from the host and this host lacks, each with
    /// the package that provides it: instances boot without that feature.
    pub fn missing_tools() -> Vec<(&'static str, &'static str)> {
        const TOOLS: [(&str, &str, &str); 5] = [
            ("/usr/sbin/sshd", "SSH into instances", "openssh-server"),
            (
                nat::NFT,
                "public addresses (Elastic IPs) reachable from the host",
                "nftables",
            ),
            ("/usr/bin/sudo", "sudo for the image's user", "sudo"),
            ("/usr/sbin/cron", "crontab @reboot entries", "cron"),
            (
                "/usr/sbin/losetup",
                "EBS volumes as block devices",
                "util-linux",
            ),
        ];
        TOOLS
            .iter()
            .filter(|(path, _, _)| !Path::new(path).exists())
            .map(|(_, feature, package)| (*feature, *package))
            .collect()
    }

    /// Why this machine cannot run sandboxes, or `None` when it can.
    pub fn unavailable() -> Option<String> {
        if !nix::unistd::geteuid().is_root() {
            return Some("not running as root".into());
        }
        if !Path::new("/proc/self/ns/pid").exists() || !Path::new("/proc/self/ns/net").exists() {
            return Some("the kernel has no PID or network namespaces".into());
        }
        let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
        if !filesystems.lines().any(|l| l.ends_with("\toverlay")) {
            return Some("the kernel has no overlayfs (modprobe overlay)".into());
        }
        if network::ip(&["-V"]).is_err() {
            return Some("`ip` is missing (install the iproute2 package)".into());
        }
        None
    }

    /// Sets up the VPC bridge and removes instance namespaces no instance
    /// of `known` owns (left by a killed Ballast).
    pub fn start(&self, known: &[String]) -> Result<(), NetworkError> {
        self.bridge.ensure(&self.owner)?;
        for id in network::instance_namespaces() {
            if !known.contains(&id) {
                tracing::info!(instance = id, "removing a namespace no instance owns");
                InstanceNetwork::of(&id).remove();
            }
        }
        Ok(())
    }

    /// Removes every instance's namespace and link, then the bridge (the
    /// instances are already down).
    pub fn stop(&self) {
        for id in network::instance_namespaces() {
            InstanceNetwork::of(&id).remove();
        }
        if let Some(cgroups) = &self.cgroups {
            cgroups.remove_all();
        }
        if nat::available() {
            nat::stop();
        }
        self.bridge.remove();
    }

    /// Brings the host's NAT of public addresses to `want`: the first call
    /// (`had` is `None`) makes Ballast's table afresh, later ones replace
    /// its map when it changed. Without `nft` public addresses stay
    /// API-level (start-up said so).
    pub fn sync_nat(
        &self,
        had: &mut Option<nat::NatMap>,
        want: nat::NatMap,
    ) -> Result<(), nat::NatError> {
        if !nat::available() || had.as_ref() == Some(&want) {
            return Ok(());
        }
        match had.as_ref() {
            None => nat::start(&self.bridge.name, &want)?,
            Some(old) => nat::apply(old, &want)?,
        }
        *had = Some(want);
        Ok(())
    }

    fn network(&self, instance: &Instance) -> InstanceNetwork {
        InstanceNetwork::new(&instance.id, instance.private_ip, SUBNET_PREFIX)
    }

    /// The VPC's metadata listener: 169.254.169.254:80 on the host, which
    /// only packets from the bridge reach (see [`Bridge::ensure`]).
    pub fn metadata_listener(&self) -> io::Result<std::net::TcpListener> {
        network::bind_transparent(IMDS_ADDRESS)
    }

    /// Removes a halted instance's namespace and cgroups (its processes
    /// are gone).
    pub fn halted(&self, instance: &Instance) {
        self.network(instance).remove();
        if let Some(cgroups) = &self.cgroups {
            cgroups.remove(&instance.id);
        }
    }

    /// The instance's cgroups with its type's limits, made now; none where
    /// the type or the machine gives no limits.
    fn cgroups(&self, instance: &Instance) -> Vec<PathBuf> {
        let (Some(hierarchy), Some(capacity)) = (
            &self.cgroups,
            ballast_core::ec2::instance_type::capacity(&instance.instance_type),
        ) else {
            return Vec::new();
        };
        hierarchy
            .create(&instance.id, capacity)
            .inspect_err(|error| {
                tracing::warn!(%error, instance = instance.id, "no cgroup: the instance runs without limits");
            })
            .unwrap_or_default()
    }

    /// The API's address as instances reach it: the bridge's own address.
    pub fn api_address(&self, port: u16) -> SocketAddr {
        SocketAddr::from((self.bridge.gateway, port))
    }

    /// Starts a boot: wires the network, writes the init's spec and starts
    /// `ballast sandbox-init` in a new process group.
    pub fn boot(
        &self,
        instance: &Instance,
        dir: &InstanceDir,
        env: &Environment,
        public_key: Option<&str>,
        devices: Vec<block::BlockDevice>,
    ) -> io::Result<(Group, tokio::process::Child)> {
        dir.create()?;
        self.network(instance)
            .ensure(&self.bridge)
            .map_err(io::Error::other)?;
        let first_boot = !dir.first_boot_done();
        std::fs::write(dir.root().join("hosts"), self.hosts(instance, env, &[]))?;
        let mut files = vec![
            file(
                "/etc/hostname",
                format!("{}\n", hostname(instance, env)).into_bytes(),
                0o644,
            ),
            // Login shells and SSH sessions (pam_env) find the API and the
            // region, and the tools the host (the AMI) has on its PATH.
            file(
                "/etc/environment",
                self.login_environment(env).into_bytes(),
                0o644,
            ),
            file(
                "/etc/profile.d/ballast-aws.sh",
                self.login_profile(env).into_bytes(),
                0o644,
            ),
        ];
        files.extend(self.trust_files());
        files.extend(aws_cli_in_standard_place(&env.path));
        // systemd units the instance enabled, started by the boot.
        let units = units::enabled(&dir.volume().join("upper"));
        for unit in &units {
            files.push(file(
                &unit_script_path(unit),
                unit.script().into_bytes(),
                0o755,
            ));
        }
        let mut user_data = None;
        if first_boot {
            if let Some(data) = instance
                .user_data
                .as_deref()
                .and_then(|encoded| decode_user_data(encoded).ok())
            {
                user_data = Some(UserDataCommand::for_data(&data));
                files.push(file(USER_DATA_PATH, data, 0o755));
            }
            dir.mark_first_boot()?;
        }
        let script = BootScript {
            instance_id: instance.id.clone(),
            generation: instance.boot_generation,
            user_data,
            user_data_path: USER_DATA_PATH.into(),
            system: Some(system_boot(instance, public_key, first_boot, &units, env)),
        };
        files.push(file(BOOT_SCRIPT_PATH, script.render().into_bytes(), 0o755));
        let spec = init::InitSpec {
            netns: self.network(instance).netns_path(),
            upper: dir.volume().join("upper"),
            work: dir.volume().join("work"),
            merged: dir.root().join("mnt"),
            hostname: hostname(instance, env),
            hidden: self.hidden.clone(),
            files,
            boot_script: BOOT_SCRIPT_PATH.into(),
            cgroups: self.cgroups(instance),
            binds: vec![(dir.root().join("hosts"), "/etc/hosts".into())],
            env: self.variables(instance, dir, env, first_boot),
            devices,
            pid_file: Some(dir.init_pid_file()),
        };
        let spec_path = dir.root().join("sandbox.json");
        std::fs::write(
            &spec_path,
            serde_json::to_vec(&spec).map_err(io::Error::other)?,
        )?;
        let mut command = Command::new("/proc/self/exe");
        command
            .arg("sandbox-init")
            .arg(&spec_path)
            .env_clear()
            .env(INSTANCE_MARKER, &instance.id)
            .env(INSTANCE_DIR_VARIABLE, dir.root());
        crate::boot::start_leader(command, instance, dir)
    }

    /// The API as instances reach it.
    fn endpoint(&self, env: &Environment) -> String {
        format!("http://{}", self.api_address(env.api_port))
    }

    /// The AWS variables every process of the instance starts with: the
    /// endpoint, the region, and the bundle that trusts the endpoints'
    /// certificate.
    fn aws_variables(&self, env: &Environment) -> Vec<(String, String)> {
        let mut variables = vec![
            ("AWS_ENDPOINT_URL".to_owned(), self.endpoint(env)),
            ("AWS_REGION".to_owned(), env.region.clone()),
            ("AWS_DEFAULT_REGION".to_owned(), env.region.clone()),
        ];
        if self.tls.is_some() {
            variables.push(("AWS_CA_BUNDLE".to_owned(), CA_BUNDLES[0].to_owned()));
        }
        variables
    }

    /// `/etc/environment`: what every session starts with.
    fn login_environment(&self, env: &Environment) -> String {
        let mut text = format!("PATH={}\n", env.path.to_string_lossy());
        for (name, value) in self.aws_variables(env) {
            text.push_str(&format!("{name}={value}\n"));
        }
        text
    }

    /// `/etc/profile.d/ballast-aws.sh`: login shells, whose profile resets
    /// `PATH`, get the AWS variables and the host's tools.
    fn login_profile(&self, env: &Environment) -> String {
        let exports: Vec<String> = self
            .aws_variables(env)
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let path = env.path.to_string_lossy();
        format!(
            "export {}\ncase \":$PATH:\" in *\":{path}:\"*) ;; *) PATH=\"$PATH:{path}\" ;; esac\n",
            exports.join(" ")
        )
    }

    /// Rewrites a running instance's `/etc/hosts` with `load_balancers`
    /// (in place: the sandbox sees the file through a bind mount). The
    /// reconciler calls it only when they changed since it last wrote.
    pub fn refresh_hosts(
        &self,
        instance: &Instance,
        dir: &InstanceDir,
        env: &Environment,
        load_balancers: &[(String, Ipv4Addr)],
    ) {
        let path = dir.root().join("hosts");
        // Only a running sandbox has the file; one being torn down keeps
        // whatever it had.
        if path.exists()
            && let Err(error) = std::fs::write(&path, self.hosts(instance, env, load_balancers))
        {
            tracing::warn!(%error, instance = instance.id, "updating the instance's /etc/hosts");
        }
    }

    /// The instance's `/etc/hosts`: itself, the AWS endpoints on the
    /// bridge (the private DNS of an interface endpoint) and the load
    /// balancers' names.
    fn hosts(
        &self,
        instance: &Instance,
        env: &Environment,
        load_balancers: &[(String, Ipv4Addr)],
    ) -> String {
        let name = hostname(instance, env);
        let short = name.split('.').next().unwrap_or(&name);
        let mut hosts = format!(
            "127.0.0.1   localhost localhost.localdomain\n\
             ::1         localhost6 localhost6.localdomain6\n\
             {}  {name} {short}\n",
            instance.private_ip
        );
        if self.tls.is_some() {
            hosts.push_str(&format!(
                "{}  {}\n",
                self.bridge.gateway,
                endpoints::service_names(&env.region).join(" ")
            ));
        }
        for (name, address) in load_balancers {
            hosts.push_str(&format!("{address}  {name}\n"));
        }
        hosts
    }

    /// The instance's trust store: the host's bundle (the AMI's) with
    /// Ballast's authority added, at the paths Debian and Amazon Linux use,
    /// and the authority alone where update-ca-certificates and
    /// update-ca-trust look for local ones.
    fn trust_files(&self) -> Vec<init::SpecFile> {
        let Some(tls) = &self.tls else {
            return Vec::new();
        };
        let mut files = vec![
            file(CA_ANCHOR_DEBIAN, tls.ca_pem.clone().into_bytes(), 0o644),
            file(CA_ANCHOR_AMAZON, tls.ca_pem.clone().into_bytes(), 0o644),
        ];
        for bundle in CA_BUNDLES {
            let mut contents = std::fs::read(bundle).unwrap_or_default();
            if !contents.is_empty() && !contents.ends_with(b"\n") {
                contents.push(b'\n');
            }
            contents.extend_from_slice(tls.ca_pem.as_bytes());
            files.push(file(bundle, contents, 0o644));
        }
        files
    }

    /// The boot's environment: the AWS tools find the API on the bridge and
    /// the credentials at 169.254.169.254, as on EC2.
    fn variables(
        &self,
        instance: &Instance,
        dir: &InstanceDir,
        env: &Environment,
        first_boot: bool,
    ) -> Vec<(String, String)> {
        let text = |s: &OsString| s.to_string_lossy().into_owned();
        let mut variables = vec![
            ("PATH".into(), text(&env.path)),
            ("HOME".into(), "/root".into()),
            ("USER".into(), "root".into()),
            ("LANG".into(), "C.UTF-8".into()),
        ];
        variables.extend(self.aws_variables(env));
        variables.extend([
            (INSTANCE_MARKER.into(), instance.id.clone()),
            (
                INSTANCE_DIR_VARIABLE.into(),
                dir.root().to_string_lossy().into_owned(),
            ),
            ("BALLAST_BOOT_HOOK".into(), BOOT_HOOK_PATH.into()),
            ("BALLAST_PRIVATE_IP".into(), instance.private_ip.to_string()),
            (
                "BALLAST_FIRST_BOOT".into(),
                if first_boot { "1" } else { "0" }.into(),
            ),
        ]);
        variables
    }
}

/// What the image does at boot before the user data, as cloud-init and
/// the image's services would: on the first boot, the image's default
/// user with the key pair's public key and passwordless sudo; on every
/// boot, sshd and cron when the host has them (see
/// [`Sandbox::missing_tools`]).
fn system_boot(
    instance: &Instance,
    public_key: Option<&str>,
    first_boot: bool,
    units: &[units::Unit],
    env: &Environment,
) -> String {
    let user = ballast_core::catalogue::find(&instance.image_id)
        .map_or("ec2-user", |image| image.default_user);
    let mut script = String::new();
    if first_boot {
        script.push_str(&format!(
            "if ! id {user} >/dev/null 2>&1; then\n\
             \x20 useradd --create-home --shell /bin/bash {user} 2>/dev/null || adduser -D -s /bin/sh {user}\n\
             fi\n\
             mkdir -p /etc/sudoers.d\n\
             echo '{user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-cloud-init-users\n\
             chmod 440 /etc/sudoers.d/90-cloud-init-users\n"
        ));
        if let Some(key) = public_key {
            // A public key line holds no single quote, so it can be quoted.
            let key = key.replace('\'', "");
            script.push_str(&format!(
                "home=$(getent passwd {user} | cut -d: -f6)\n\
                 mkdir -p \"$home/.ssh\"\n\
                 echo '{key}' >> \"$home/.ssh/authorized_keys\"\n\
                 chmod 700 \"$home/.ssh\"; chmod 600 \"$home/.ssh/authorized_keys\"\n\
                 chown -R {user}: \"$home/.ssh\"\n"
            ));
        }
    }
    // Services start beside the user data, not before it, as systemd
    // starts them in parallel with cloud-init's final stage (making host
    // keys alone takes a few hundred milliseconds).
    script.push_str(
        "(\n\
         \x20 if [ -x /usr/sbin/sshd ]; then\n\
         \x20   ssh-keygen -A >/dev/null 2>&1; mkdir -p /run/sshd\n\
         \x20   /usr/sbin/sshd && echo \"[ballast] sshd started\"\n\
         \x20 fi\n\
         \x20 if command -v cron >/dev/null 2>&1; then cron; elif command -v crond >/dev/null 2>&1; then crond; fi\n",
    );
    for unit in units {
        script.push_str("  ");
        script.push_str(&unit.start_line(&unit_script_path(unit)));
    }
    script.push_str(") &\n");
    // Where SSM Agent keeps its state and log on Amazon Linux.
    if let Some(agent) = env.agent_lines(
        "/var/lib/amazon/ssm",
        "/var/log/amazon/ssm/amazon-ssm-agent.log",
    ) {
        script.push_str(&agent);
    }
    script
}

/// Where the script that runs `unit` is, inside the instance.
fn unit_script_path(unit: &units::Unit) -> String {
    format!("/var/lib/ballast/units/{}.sh", unit.name)
}

/// The instance's hostname: its private DNS name, as Amazon Linux sets it.
fn hostname(instance: &Instance, env: &Environment) -> String {
    instance.private_dns_name(&env.region)
}

/// Where `sudo` looks for commands (Debian's and Amazon Linux's
/// `secure_path`), which is all Ansible's `become` tasks see.
const SECURE_PATH: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// Amazon Linux has the AWS CLI at `/usr/bin/aws`, trusting the system's
/// certificates, so `sudo aws …` and Ansible's `become` tasks (whose
/// environment sudo resets) find it and reach AWS by name. When this
/// host's `aws` lives elsewhere on `path` (a virtualenv, pyenv), the
/// instance gets `/usr/local/bin/aws` running it with the system bundle
/// (which trusts Ballast's endpoints) unless `AWS_CA_BUNDLE` says
/// otherwise; none when sudo would find it anyway.
fn aws_cli_in_standard_place(path: &std::ffi::OsStr) -> Option<init::SpecFile> {
    let found = std::env::split_paths(path)
        .map(|dir| dir.join("aws"))
        .find(|candidate| candidate.is_file())?;
    if found
        .parent()
        .is_some_and(|dir| SECURE_PATH.iter().any(|secure| dir == Path::new(secure)))
    {
        return None;
    }
    let script = format!(
        "#!/bin/sh\n# The AWS CLI of the host Ballast runs on, where Amazon Linux keeps it.\n\
         export AWS_CA_BUNDLE=\"${{AWS_CA_BUNDLE:-{bundle}}}\"\nexec {} \"$@\"\n",
        crate::agent::shell_quote(&found.to_string_lossy()),
        bundle = CA_BUNDLES[0],
    );
    Some(file("/usr/local/bin/aws", script.into_bytes(), 0o755))
}

fn file(path: &str, contents: Vec<u8>, mode: u32) -> init::SpecFile {
    init::SpecFile {
        path: path.into(),
        contents,
        mode,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aws_cli_off_sudos_path_is_run_from_usr_local_bin() {
        let empty = tempfile::tempdir().expect("a directory");
        let venv = tempfile::tempdir().expect("a directory");
        let aws = venv.path().join("aws");
        std::fs::write(&aws, "#!/bin/sh\n").expect("written");
        let path = std::env::join_paths([empty.path(), venv.path()]).expect("a PATH");
        let shim = aws_cli_in_standard_place(&path).expect("a shim");
        assert_eq!(shim.path, Path::new("/usr/local/bin/aws"));
        let text = String::from_utf8(shim.contents).expect("text");
        assert!(
            text.contains(&format!("exec '{}' \"$@\"", aws.display())),
            "{text}"
        );
        assert!(aws_cli_in_standard_place(empty.path().as_os_str()).is_none());
    }
}
