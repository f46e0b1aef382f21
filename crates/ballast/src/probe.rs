//! `ballast probe`: the command line around [`ballast_probe`].

use anyhow::Context;
use ballast_probe::{Load, Options};
use tokio::signal::unix::SignalKind;

use crate::cli::ProbeArgs;

/// Runs the probe; exits with status 1 when more requests failed than
/// `--max-errors` allows.
pub fn run(args: ProbeArgs) -> anyhow::Result<()> {
    let mut options = Options::new(&args.url)?;
    options.load = match (args.rate, args.concurrency) {
        (_, Some(workers)) => Load::Concurrency(workers),
        (Some(rate), None) => Load::Rate(rate),
        (None, None) => options.load,
    };
    options.duration = args.duration;
    options.requests = args.requests;
    options.timeout = args.timeout;
    options.answered_by = args.answered_by.as_deref().map(str::parse).transpose()?;
    options.json = args.json;
    let executor = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = executor.block_on(async {
        // Ctrl-C, or a SIGTERM from a script's `timeout`/`kill`: either
        // ends the probe with its summary.
        let interrupted = async {
            let mut term = tokio::signal::unix::signal(SignalKind::terminate()).ok();
            tokio::select! {
                Ok(()) = tokio::signal::ctrl_c() => {}
                Some(()) = async { term.as_mut()?.recv().await } => {}
                else => std::future::pending::<()>().await,
            }
        };
        ballast_probe::run(&options, &mut std::io::stdout(), interrupted).await
    })?;
    if summary.failed() > args.max_errors {
        std::process::exit(1);
    }
    Ok(())
}
