//! Process CPU time from `/proc`, to show where a request's time goes: how
//! much CPU the server and this client each burn per request.

use std::time::Duration;

/// Linux reports `utime`/`stime` in USER_HZ ticks, 100 per second on every
/// mainstream architecture.
const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time of every thread of process `pid` (`"self"` for
/// this process), or `None` when it cannot be read.
pub fn process_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Reads `utime + stime` from a `/proc/PID/stat` line. The command name may
/// hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_stat(stat: &str) -> Option<Duration> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// CPU time of the server (when its pid is known) and of this client.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    pub server: Option<Duration>,
    pub client: Option<Duration>,
}

impl CpuSample {
    /// Samples both processes now.
    pub fn take(server_pid: Option<u32>) -> CpuSample {
        CpuSample {
            server: server_pid.and_then(|pid| process_cpu(&pid.to_string())),
            client: process_cpu("self"),
        }
    }

    /// Microseconds of CPU per request between `earlier` and `self`, for
    /// the server and the client.
    pub fn per_request_us(&self, earlier: &CpuSample, requests: u64) -> (Option<f64>, Option<f64>) {
        let per = |now: Option<Duration>, then: Option<Duration>| {
            let spent = now?.checked_sub(then?)?;
            (requests > 0).then(|| spent.as_secs_f64() * 1e6 / requests as f64)
        };
        (
            per(self.server, earlier.server),
            per(self.client, earlier.client),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utime_and_stime_after_the_command_name() {
        let stat = "4242 (odd ) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0";
        assert_eq!(parse_stat(stat), Some(Duration::from_secs(3)));
        assert!(process_cpu("self").is_some());
    }
}
