//! The instance network on the host: one bridge for the VPC, and for each
//! instance a network namespace joined to it by a veth pair.
//!
//! ```text
//!  host                         instance i-…  (netns ballast-i-…)
//!  ballast0 172.31.0.1/16 ──┬── veth ══ eth0 172.31.x.y/20
//!  (API)                    │            routes: 172.31.0.0/16 on the link,
//!                           │            169.254.169.254 via 172.31.0.1
//!                           └── veth ══ eth0 of the next instance …
//! ```
//!
//! There is no default route in an instance and no NAT or forwarding on
//! the host: an instance reaches the host's bridge address, the metadata
//! service and the other instances, nothing beyond.
//!
//! The metadata service is not an address of the instance (so a server
//! binding `0.0.0.0:80` inside does not collide with it, as on EC2), nor
//! of the host (whose own `169.254.169.254`, on an EC2 machine, stays
//! reachable). A routing rule makes `169.254.169.254` local only for
//! packets that arrive on the bridge, and the listener binds it with
//! `IP_TRANSPARENT`. Links are made with iproute2's `ip`, which
//! the sandbox borrows from the host like its other tools (checked at
//! start-up); each call is one short-lived process, a few milliseconds.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The routing table (and rule priority) that makes 169.254.169.254 local
/// for packets from the bridge.
const METADATA_TABLE: u32 = 3169;

/// What an instance's namespace is named: this and its id.
const NETNS_PREFIX: &str = "ballast-";

/// Where iproute2 keeps named network namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// Load balancers' addresses inside the VPC when instances are sandboxes:
/// the VPC's last /20, which no default subnet uses. The whole block is
/// local to the host (an "any IP" route), so the proxy binds any address
/// of it and instances reach it across the bridge.
pub const LOAD_BALANCER_BLOCK: &str = "172.31.240.0/20";

/// The VPC's bridge on the host.
#[derive(Debug, Clone)]
pub struct Bridge {
    /// The link's name (`ballast0`).
    pub name: String,
    /// The host's address on it: what instances reach the API on.
    pub gateway: Ipv4Addr,
    /// The VPC's prefix length (16 for the default VPC).
    pub prefix: u8,
    /// The VPC's network address.
    pub network: Ipv4Addr,
}

/// Why the instance network could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("running `ip {args}`: {source}")]
    Spawn { args: String, source: io::Error },
    #[error("`ip {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
    #[error(
        "the bridge {bridge} belongs to another running Ballast ({owner}); stop it, \
         or run this one with --instance-runtime process"
    )]
    Taken { bridge: String, owner: String },
    #[error(
        "the VPC block {block} is already routed on this machine through {device}; \
         sandboxed instances need it free (or run with --instance-runtime process)"
    )]
    Routed { block: String, device: String },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Runs `ip ARGS`, failing with its standard error.
pub fn ip(args: &[&str]) -> Result<String, NetworkError> {
    let joined = args.join(" ");
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| NetworkError::Spawn {
            args: joined.clone(),
            source,
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(NetworkError::Failed {
            args: joined,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

impl Bridge {
    /// `172.31.0.0/16`.
    pub fn block(&self) -> String {
        format!("{}/{}", self.network, self.prefix)
    }

    /// Creates the bridge, or takes over one a killed Ballast left, and
    /// marks it as this process's (`owner` is written to the link's alias).
    /// Refuses a bridge another live Ballast owns, and a VPC block some
    /// other link already routes.
    pub fn ensure(&self, owner: &Owner) -> Result<(), NetworkError> {
        if let Ok(shown) = ip(&["-o", "link", "show", "dev", &self.name]) {
            if let Some(alias) = alias_of(&shown)
                && let Some(other) = Owner::parse(&alias)
                && other.pid != owner.pid
                && other.is_alive()
            {
                return Err(NetworkError::Taken {
                    bridge: self.name.clone(),
                    owner: alias,
                });
            }
        } else {
            self.refuse_routed_block()?;
            ip(&["link", "add", &self.name, "type", "bridge"])?;
        }
        ip(&["link", "set", "dev", &self.name, "alias", &owner.render()])?;
        let address = format!("{}/{}", self.gateway, self.prefix);
        let shown = ip(&["-o", "-4", "addr", "show", "dev", &self.name])?;
        if !shown.contains(&format!("inet {address} ")) {
            ip(&["addr", "add", &address, "dev", &self.name])?;
        }
        ip(&["link", "set", "dev", &self.name, "up"])?;
        // 169.254.169.254 is local for what comes in on the bridge only.
        let table = METADATA_TABLE.to_string();
        let rules = ip(&["-4", "rule", "show", "iif", &self.name])?;
        if !rules.contains(&format!("lookup {table}")) {
            ip(&[
                "-4", "rule", "add", "iif", &self.name, "lookup", &table, "priority", &table,
            ])?;
        }
        local_route("replace", "169.254.169.254/32", &table)?;
        local_route("replace", LOAD_BALANCER_BLOCK, "local")?;
        Ok(())
    }

    fn refuse_routed_block(&self) -> Result<(), NetworkError> {
        let routes = ip(&[
            "-o",
            "-4",
            "route",
            "show",
            "match",
            &self.network.to_string(),
        ])?;
        for route in routes.lines() {
            let mut words = route.split_whitespace();
            let destination = words.next().unwrap_or_default();
            if destination == "default" {
                continue;
            }
            let device = route
                .split_whitespace()
                .skip_while(|w| *w != "dev")
                .nth(1)
                .unwrap_or("?");
            return Err(NetworkError::Routed {
                block: self.block(),
                device: device.to_owned(),
            });
        }
        Ok(())
    }

    /// Deletes the bridge (its veths went with their namespaces) and the
    /// metadata service's routing.
    pub fn remove(&self) {
        let table = METADATA_TABLE.to_string();
        let _ = ip(&["-4", "rule", "del", "iif", &self.name, "lookup", &table]);
        let _ = ip(&["-4", "route", "flush", "table", &table]);
        let _ = local_route("del", LOAD_BALANCER_BLOCK, "local");
        // Links still on the bridge (an instance's namespace on its way
        // out keeps its veth for a moment) go first.
        let attached = ip(&["-o", "link", "show", "master", &self.name]).unwrap_or_default();
        for line in attached.lines() {
            if let Some(name) = line.split(':').nth(1) {
                let name = name.trim().split('@').next().unwrap_or_default();
                let _ = ip(&["link", "del", "dev", name]);
            }
        }
        let _ = ip(&["link", "del", "dev", &self.name]);
    }
}

/// `ip route ACTION local BLOCK dev lo table TABLE`: makes (or unmakes)
/// every address of `block` the host's own, for the lookups of `table`.
fn local_route(action: &str, block: &str, table: &str) -> Result<String, NetworkError> {
    ip(&[
        "-4", "route", action, "local", block, "dev", "lo", "table", table,
    ])
}

/// Who owns a bridge: a process and its data directory, kept in the
/// link's alias so a second Ballast can tell a live owner from a dead one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub data_dir: PathBuf,
}

impl Owner {
    const PREFIX: &'static str = "ballast pid=";

    pub fn render(&self) -> String {
        format!(
            "{}{} data={}",
            Self::PREFIX,
            self.pid,
            self.data_dir.display()
        )
    }

    pub fn parse(alias: &str) -> Option<Owner> {
        let rest = alias.strip_prefix(Self::PREFIX)?;
        let (pid, data) = rest.split_once(" data=")?;
        Some(Owner {
            pid: pid.parse().ok()?,
            data_dir: PathBuf::from(data),
        })
    }

    /// Whether the owner still runs (a zombie, killed but not yet reaped,
    /// does not).
    fn is_alive(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| !matches!(state, "Z" | "X"))
        })
    }
}

/// The alias in `ip -o link show` output (`… alias TEXT`).
fn alias_of(shown: &str) -> Option<String> {
    let (_, rest) = shown.split_once(" alias ")?;
    Some(rest.trim_end().trim_end_matches('\\').trim().to_owned())
}

/// One instance's namespace and link.
#[derive(Debug, Clone)]
pub struct InstanceNetwork {
    /// The namespace's name under /run/netns.
    pub netns: String,
    /// The host end of the veth pair.
    pub veth: String,
    pub address: Ipv4Addr,
    /// The instance's subnet prefix length (20 for default subnets).
    pub prefix: u8,
}

impl InstanceNetwork {
    /// The network of `instance_id` at `address`.
    pub fn new(instance_id: &str, address: Ipv4Addr, prefix: u8) -> Self {
        let hex = instance_id.trim_start_matches("i-");
        let tail = &hex[hex.len().saturating_sub(12)..];
        InstanceNetwork {
            netns: format!("{NETNS_PREFIX}{instance_id}"),
            veth: format!("bv{tail}"),
            address,
            prefix,
        }
    }

    /// The network of `instance_id` as far as removing it goes (its
    /// address no longer matters).
    pub fn of(instance_id: &str) -> Self {
        InstanceNetwork::new(instance_id, Ipv4Addr::UNSPECIFIED, 0)
    }

    pub fn netns_path(&self) -> PathBuf {
        Path::new(NETNS_DIR).join(&self.netns)
    }

    /// Makes the namespace and its link, or completes what a previous run
    /// began; a namespace that is already wired is left as it is.
    pub fn ensure(&self, bridge: &Bridge) -> Result<(), NetworkError> {
        if !self.netns_path().exists() {
            ip(&["netns", "add", &self.netns])?;
        }
        let ns = self.netns.as_str();
        if ip(&["-n", ns, "link", "show", "dev", "eth0"]).is_err() {
            let _ = ip(&["link", "del", "dev", &self.veth]);
            ip(&[
                "link", "add", &self.veth, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ])?;
        }
        ip(&[
            "link",
            "set",
            "dev",
            &self.veth,
            "master",
            &bridge.name,
            "up",
        ])?;
        let own = format!("{}/{}", self.address, self.prefix);
        let shown = ip(&["-n", ns, "-o", "-4", "addr", "show"])?;
        if !shown.contains(&format!("inet {own} ")) {
            ip(&["-n", ns, "addr", "add", &own, "dev", "eth0"])?;
        }
        ip(&["-n", ns, "link", "set", "dev", "lo", "up"])?;
        ip(&["-n", ns, "link", "set", "dev", "eth0", "up"])?;
        // The whole VPC is on the link (AWS's implicit router); nothing
        // else is routed at all.
        ip(&[
            "-n",
            ns,
            "route",
            "replace",
            &bridge.block(),
            "dev",
            "eth0",
            "src",
            &self.address.to_string(),
        ])?;
        ip(&[
            "-n",
            ns,
            "route",
            "replace",
            "169.254.169.254/32",
            "via",
            &bridge.gateway.to_string(),
            "dev",
            "eth0",
        ])?;
        Ok(())
    }

    /// Deletes the namespace; its veth pair goes with it once nothing
    /// holds the namespace any more.
    pub fn remove(&self) {
        if self.netns_path().exists() {
            let _ = ip(&["netns", "del", &self.netns]);
        }
        let _ = ip(&["link", "del", "dev", &self.veth]);
    }
}

/// Binds a listener to an address that is not one of the host's own
/// (`IP_TRANSPARENT`), non-blocking, for tokio.
pub fn bind_transparent(address: SocketAddr) -> io::Result<TcpListener> {
    use nix::sys::socket::{
        AddressFamily, Backlog, SockFlag, SockType, SockaddrIn, bind, listen, setsockopt, socket,
        sockopt,
    };
    let SocketAddr::V4(v4) = address else {
        return Err(io::Error::other("IPv4 only"));
    };
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    setsockopt(&fd, sockopt::IpTransparent, &true)?;
    bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::from(v4))?;
    listen(&fd, Backlog::new(1024).unwrap_or(Backlog::MAXCONN))?;
    Ok(TcpListener::from(fd))
}

/// The instances whose namespaces (`ballast-i-…`) are on the machine.
pub fn instance_namespaces() -> Vec<String> {
    std::fs::read_dir(NETNS_DIR)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|name| name.strip_prefix(NETNS_PREFIX).map(str::to_owned))
                .filter(|id| id.starts_with("i-"))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_round_trip_through_the_alias() {
        let owner = Owner {
            pid: 42,
            data_dir: PathBuf::from("/var/lib/ballast data"),
        };
        assert_eq!(Owner::parse(&owner.render()), Some(owner));
        assert_eq!(Owner::parse("something else"), None);
        let shown = "7: ballast0: <BROADCAST> mtu 1500 qdisc noop state DOWN \\    link/ether 00:11 brd ff \\    alias ballast pid=9 data=/d";
        assert_eq!(alias_of(shown).as_deref(), Some("ballast pid=9 data=/d"));
    }

    #[test]
    fn link_names_fit_the_kernels_limit() {
        let net = InstanceNetwork::new("i-0123456789abcdef0", Ipv4Addr::new(172, 31, 0, 4), 20);
        assert!(net.veth.len() <= 15, "{}", net.veth);
        assert_eq!(net.veth, "bv56789abcdef0");
        assert_eq!(net.netns, "ballast-i-0123456789abcdef0");
    }
}
