//! `ballast`: a real, local cloud for resilient services.
//!
//! `ballast up` serves the AWS APIs on one endpoint. See the README for the
//! quickstart and ARCHITECTURE.md for how the pieces fit.

mod agent;
#[cfg(feature = "count-allocations")]
mod allocations;
mod api_threads;
mod cli;
mod event_scheduler;
mod probe;
mod tls;
mod ttl_sweeper;
mod up;

use clap::Parser;

#[cfg(feature = "count-allocations")]
#[global_allocator]
static ALLOCATOR: allocations::Counting = allocations::Counting;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    if let cli::Command::SandboxInit { spec } = &cli.command {
        // Before anything else: the sandbox's init must stay
        // single-threaded until it forks.
        let Err(error) = ballast_fleet::sandbox::init::run(spec);
        eprintln!("[ballast] the sandbox could not start: {error}");
        std::process::exit(1);
    }
    if let cli::Command::ScaledSleep {
        time_scale,
        operands,
    } = &cli.command
    {
        std::process::exit(ballast_agent::scaled_time::sleep(*time_scale, operands));
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BALLAST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        cli::Command::Up(args) => up::run(args),
        cli::Command::Probe(args) => probe::run(args),
        cli::Command::SandboxInit { .. } | cli::Command::ScaledSleep { .. } => Ok(()),
        cli::Command::Agent(args) => agent::run(args),
    }
}
