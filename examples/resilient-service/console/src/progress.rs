//! What the user sees: the narration between steps, and a spinner on
//! every wait.

use std::future::Future;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Times the parts of a run, each printed as `Stage time: NAME: 1.2 s`
/// (what `bench/resilient-service.sh` reads).
#[derive(Debug)]
pub struct StageClock {
    since: Instant,
}

impl StageClock {
    pub fn start() -> StageClock {
        StageClock {
            since: Instant::now(),
        }
    }

    /// Prints the time since the last lap (or the start) under `name`.
    pub fn lap(&mut self, name: &str) {
        println!(
            "Stage time: {name}: {:.1} s",
            self.since.elapsed().as_secs_f64()
        );
        self.since = Instant::now();
    }
}

/// A line between sections.
pub fn rule() {
    println!("{}", "-".repeat(88));
}

/// Waits until `probe` gives a value, asking again every `every`, with a
/// spinner saying `what`; an error once `deadline` passes.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    deadline: Duration,
    every: Duration,
    mut probe: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(what.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            spinner.finish_with_message(format!("{what}: done"));
            return Ok(value);
        }
        if started.elapsed() > deadline {
            spinner.abandon_with_message(format!("{what}: gave up"));
            anyhow::bail!("gave up after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(every).await;
    }
}
