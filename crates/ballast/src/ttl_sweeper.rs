//! The DynamoDB Time to Live sweeper: deletes items whose TTL has passed.
//!
//! It lives in the binary because it needs only the store and the clock:
//! the decision is `ballast_core::dynamodb::ttl` (pure), the work is
//! `Tx::sweep_expired_ddb_items` (an index range scan and the same delete
//! path as DeleteItem, so index entries go too). Putting it in the API
//! crate would make a request handler crate own a background loop.
//!
//! Every pass first asks a read transaction whether anything is due, so an
//! idle sweeper never takes the store's writer. A pass deletes at most
//! [`ttl::SWEEP_BATCH`] items in one transaction; when it was full the next
//! pass follows at once, otherwise after [`ttl::SWEEP_INTERVAL`] scaled by
//! `--time-scale`. TTL values are absolute epoch seconds, so "now" is the
//! clock's, unscaled.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ballast_core::dynamodb::ttl;
use ballast_core::{Clock, TimeScale};
use ballast_store::{Store, StoreError, TtlSweep};
use tokio::sync::watch;

/// Runs until `stop` turns true.
pub async fn run(
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    scale: TimeScale,
    mut stop: watch::Receiver<bool>,
) {
    let interval = scale
        .scale(ttl::SWEEP_INTERVAL)
        .max(ttl::MIN_SWEEP_INTERVAL);
    loop {
        let now = millis(clock.now());
        let pass_store = Arc::clone(&store);
        let full = match tokio::task::spawn_blocking(move || pass(&pass_store, now)).await {
            Ok(Ok(sweep)) => {
                if sweep.deleted > 0 {
                    tracing::debug!(deleted = sweep.deleted, "expired DynamoDB items deleted");
                }
                sweep.examined >= ttl::SWEEP_BATCH
            }
            Ok(Err(error)) => {
                tracing::error!(%error, "DynamoDB TTL sweep failed");
                false
            }
            Err(error) => {
                tracing::error!(%error, "DynamoDB TTL sweep panicked");
                false
            }
        };
        let pause = if full { Duration::ZERO } else { interval };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// One pass: a cheap read to see whether anything is due, then one
/// bounded write transaction.
fn pass(store: &Store, now_millis: i64) -> Result<TtlSweep, StoreError> {
    if !store.read(|tx| tx.has_expired_ddb_items(now_millis))? {
        return Ok(TtlSweep::default());
    }
    store.write(|tx| tx.sweep_expired_ddb_items(now_millis, ttl::SWEEP_BATCH))
}

fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
