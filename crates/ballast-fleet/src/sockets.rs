//! Which loopback addresses other programs on this machine already use.
//!
//! In process mode an instance is a process group on the host's network
//! with a loopback address of its own; a program outside Ballast that
//! listens on that address (another server, a second Ballast started
//! with an overlapping block before the lock existed) would receive the
//! instance's traffic. So a launch skips every address some TCP socket on
//! the machine is bound to, as the kernel lists them in `/proc/net/tcp`.

use std::collections::HashSet;
use std::net::Ipv4Addr;

/// The IPv4 addresses TCP sockets on this machine are bound to (any
/// state), or none where `/proc/net/tcp` cannot be read.
pub fn bound_addresses() -> HashSet<Ipv4Addr> {
    std::fs::read_to_string("/proc/net/tcp")
        .map(|table| parse_table(&table))
        .unwrap_or_default()
}

/// The local addresses of `/proc/net/tcp`'s rows (`sl local_address
/// rem_address st ...`, addresses as little-endian hex `0100007F:1F90`).
fn parse_table(table: &str) -> HashSet<Ipv4Addr> {
    table
        .lines()
        .skip(1)
        .filter_map(|row| row.split_whitespace().nth(1))
        .filter_map(|local| local.split_once(':'))
        .filter_map(|(address, _port)| u32::from_str_radix(address, 16).ok())
        .map(|raw| Ipv4Addr::from(raw.swap_bytes()))
        .filter(|address| !address.is_unspecified())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernels_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100657F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n   2: garbage\n";
        let found = parse_table(table);
        assert_eq!(found, HashSet::from([Ipv4Addr::new(127, 101, 0, 1)]));
    }

    #[test]
    fn sees_a_listener_of_this_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        assert!(listener.local_addr().is_ok());
        assert!(bound_addresses().contains(&Ipv4Addr::LOCALHOST));
    }
}
