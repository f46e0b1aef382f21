//! Public addresses on the host: one-to-one NAT from each public address
//! (a loopback address of `--public-cidr`) to the private address of the
//! instance it is associated with, as AWS's internet gateway does.
//!
//! One nftables table, `ip ballast`, is Ballast's: a map from public to
//! private addresses, a DNAT in the `output` hook (connections from the
//! host to a public address go to the instance, every port and
//! protocol), a masquerade of loopback sources leaving on the bridge (a
//! host client's source is 127.0.0.1, which the instance could not answer;
//! with `route_localnet` on the bridge the kernel lets such packets be
//! routed there), and a drop of packets that arrive on the bridge for a
//! loopback address (so `route_localnet` gives instances no way into the
//! host's loopback services). The table is made afresh when the sandbox
//! runtime starts (so a killed Ballast's stale rules go), its map replaced
//! whole on every change (one atomic `nft -f`), and deleted at stop.
//!
//! Re-association must end the connections that lead to the old instance:
//! conntrack keeps NATing an existing connection to where it began, so the
//! host ends of connections to a moved or released public address are
//! destroyed with `ss -K` (iproute2, which sandboxes need anyway); the
//! kernel sends the old instance a reset.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};

/// The table's name (family `ip`).
const TABLE: &str = "ballast";

/// Where `nft` is looked for (the tool the NAT needs).
pub const NFT: &str = "/usr/sbin/nft";

/// Public address → private address.
pub type NatMap = BTreeMap<Ipv4Addr, Ipv4Addr>;

/// Why a NAT change could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NatError {
    #[error("running nft: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("nft failed: {0}")]
    Failed(String),
}

/// Runs `nft -f -` with `script`.
fn nft(script: &str) -> Result<(), NatError> {
    let mut child = Command::new(NFT)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(NatError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ))
    }
}

/// Whether this machine can do the NAT (`nft` is installed).
pub fn available() -> bool {
    Path::new(NFT).exists()
}

/// Makes the table afresh for `bridge` (dropping whatever a previous run
/// left in it) with `map` in place, and lets loopback sources be routed
/// onto the bridge.
pub fn start(bridge: &str, map: &NatMap) -> Result<(), NatError> {
    let sysctl = format!("/proc/sys/net/ipv4/conf/{bridge}/route_localnet");
    std::fs::write(&sysctl, "1")?;
    let script = format!(
        "table ip {TABLE}\n\
         delete table ip {TABLE}\n\
         table ip {TABLE} {{\n\
           map public {{ type ipv4_addr : ipv4_addr; }}\n\
           chain guard {{ type filter hook prerouting priority -300; policy accept;\n\
             iifname \"{bridge}\" ip daddr 127.0.0.0/8 drop; }}\n\
           chain output {{ type nat hook output priority -100; policy accept;\n\
             ip daddr @public dnat ip to ip daddr map @public; }}\n\
           chain postrouting {{ type nat hook postrouting priority 100; policy accept;\n\
             oifname \"{bridge}\" ip saddr 127.0.0.0/8 masquerade; }}\n\
         }}\n{}",
        elements(map)
    );
    nft(&script)
}

/// The script that fills the map with `map`'s entries.
fn elements(map: &NatMap) -> String {
    if map.is_empty() {
        return String::new();
    }
    let entries: Vec<String> = map.iter().map(|(p, i)| format!("{p} : {i}")).collect();
    format!(
        "add element ip {TABLE} public {{ {} }}\n",
        entries.join(", ")
    )
}

/// Replaces the map with `want` (atomically), then ends the host's
/// connections to every public address that led elsewhere in `had` and
/// no longer does.
pub fn apply(had: &NatMap, want: &NatMap) -> Result<(), NatError> {
    nft(&format!("flush map ip {TABLE} public\n{}", elements(want)))?;
    for (public, old) in had {
        if want.get(public) != Some(old) {
            end_connections(*public);
        }
    }
    Ok(())
}

/// Destroys the host's sockets connected to `public` (`ss -K`).
fn end_connections(public: Ipv4Addr) {
    let result = Command::new("ss")
        .args(["-K", "-t", "dst", &public.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(error) = result {
        tracing::warn!(%error, %public, "could not end connections to a moved public address");
    }
}

/// Deletes the table (Ballast stops).
pub fn stop() {
    let _ = nft(&format!("table ip {TABLE}\ndelete table ip {TABLE}\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_is_written_as_one_element_list() {
        let mut map = NatMap::new();
        assert_eq!(elements(&map), "");
        map.insert(Ipv4Addr::new(127, 252, 0, 1), Ipv4Addr::new(172, 31, 0, 4));
        map.insert(Ipv4Addr::new(127, 252, 0, 2), Ipv4Addr::new(172, 31, 16, 4));
        assert_eq!(
            elements(&map),
            "add element ip ballast public { 127.252.0.1 : 172.31.0.4, 127.252.0.2 : 172.31.16.4 }\n"
        );
    }
}
