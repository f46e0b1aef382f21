//! Start-up measurement: how long after a server was spawned it first
//! accepts a TCP connection.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::bail;

/// How often the port is probed.
const PROBE_EVERY: Duration = Duration::from_millis(1);

/// Polls `addr` until it accepts a connection and returns the time since
/// `spawned_at_unix_ns` (nanoseconds since the Unix epoch, as `date +%s%N`
/// prints), or since this call when that is not given.
pub fn wait_ready(
    addr: SocketAddr,
    spawned_at_unix_ns: Option<u128>,
    timeout: Duration,
) -> anyhow::Result<Duration> {
    let began = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return Ok(match spawned_at_unix_ns {
                Some(spawned) => since_unix_ns(spawned),
                None => began.elapsed(),
            });
        }
        if began.elapsed() > timeout {
            bail!("{addr} accepted no connection within {timeout:?}");
        }
        std::thread::sleep(PROBE_EVERY);
    }
}

fn since_unix_ns(spawned: u128) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let nanos = now.saturating_sub(spawned);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}
