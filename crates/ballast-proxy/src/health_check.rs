//! Active HTTP health checks, one task per in-use target.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballast_core::elbv2::CheckOutcome;
use http::Method;

use crate::registry::Target;
use crate::upstream::{Connection, Outgoing, head};

/// The shortest scaled check timeout: below this a loaded machine turns
/// scheduling delays into false timeouts.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(200);

/// What to check and how often, already scaled to wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    pub addr: SocketAddr,
    pub path: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    /// Inclusive ranges of healthy status codes.
    pub matcher: Vec<(u16, u16)>,
}

/// Checks `target` every interval until the task is aborted. The first
/// check runs at once, so a new target leaves `initial` quickly. These
/// checks alone decide the health the API reports; a success also ends a
/// passive routing hold that began before the check did.
pub async fn run(target: Arc<Target>, spec: CheckSpec) {
    loop {
        let ticket = target.check_started();
        let outcome = check_once(&spec).await;
        if target.record(
            ticket,
            outcome,
            spec.healthy_threshold,
            spec.unhealthy_threshold,
        ) {
            let (state, reason, _) = target.tracker().describe();
            tracing::info!(addr = %spec.addr, state, reason, "target health changed");
        }
        tokio::time::sleep(spec.interval).await;
    }
}

/// One health check: `GET path` on a fresh connection, as ALB does.
pub async fn check_once(spec: &CheckSpec) -> CheckOutcome {
    let attempt = async {
        let mut connection = Connection::open(spec.addr, spec.timeout).await.ok()?;
        let mut request = Vec::new();
        head::write_check(&mut request, &spec.path, &spec.addr.to_string());
        let response = connection
            .exchange(&mut request, &mut Outgoing::Empty, &Method::GET)
            .await
            .ok()?;
        Some(response.parts.status.as_u16())
    };
    match tokio::time::timeout(spec.timeout, attempt).await {
        Err(_) => CheckOutcome::Timeout,
        Ok(None) => CheckOutcome::Failed,
        Ok(Some(code))
            if spec
                .matcher
                .iter()
                .any(|(lo, hi)| (*lo..=*hi).contains(&code)) =>
        {
            CheckOutcome::Success
        }
        Ok(Some(code)) => CheckOutcome::CodeMismatch(code),
    }
}
