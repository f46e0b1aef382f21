//! Start-up measurement: how long after a server was spawned it first
//! answers a signed request (STS `GetCallerIdentity`, which every peer
//! serves) with a 200.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::bail;

use crate::endpoint::Endpoint;
use crate::load::{Connection, exchange};
use crate::sign::{Operation, SignMode, Signer};
use crate::stats::Outcome;

/// How often the server is asked.
const PROBE_EVERY: Duration = Duration::from_millis(1);

/// Asks `endpoint` until it answers 200 and returns the time since
/// `spawned_at_unix_ns` (nanoseconds since the Unix epoch, as `date +%s%N`
/// prints), or since this call when that is not given.
pub async fn wait_ready(
    endpoint: &Endpoint,
    spawned_at_unix_ns: Option<u128>,
    timeout: Duration,
) -> anyhow::Result<Duration> {
    let began = Instant::now();
    let mut signer = Signer::new(
        endpoint.clone(),
        Operation::get_caller_identity(),
        SignMode::PerRequest,
    );
    loop {
        // A fresh client each time: a refused connection is not retried.
        let mut client = Connection::new(endpoint, Arc::new(AtomicU64::new(0)));
        let request = signer.request()?;
        let outcome = tokio::time::timeout(Duration::from_secs(1), exchange(&mut client, request))
            .await
            .unwrap_or(Outcome::Timeout);
        if let Outcome::Ok = outcome {
            return Ok(match spawned_at_unix_ns {
                Some(spawned) => since_unix_ns(spawned),
                None => began.elapsed(),
            });
        }
        if began.elapsed() > timeout {
            bail!(
                "{} gave no 200 to a signed GetCallerIdentity within {timeout:?} (last: {outcome:?})",
                endpoint.host()
            );
        }
        tokio::time::sleep(PROBE_EVERY).await;
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
