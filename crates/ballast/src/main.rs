//! `ballast`: a real, local cloud for resilient services.
//!
//! `ballast up` serves the AWS APIs on one endpoint. See the README for the
//! quickstart and ARCHITECTURE.md for how the pieces fit.

mod cli;
mod ttl_sweeper;
mod up;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BALLAST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        cli::Command::Up(args) => up::run(args),
    }
}
