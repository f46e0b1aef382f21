//! `resilient-service`: seed 001's scenario on aws-sdk-rust. `deploy`
//! builds the service and checks that it answers; `demo` walks through
//! the stages; `destroy` takes everything down again; `all` does the
//! three. Point it at Ballast with `--endpoint-url` (or
//! `AWS_ENDPOINT_URL`).

mod check;
mod clients;
mod demo;
mod deploy;
mod destroy;
mod names;
mod progress;
mod service;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "resilient-service",
    about = "Build, check and take down a resilient web service"
)]
struct Cli {
    /// The AWS endpoint (Ballast's, for a local run).
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true)]
    endpoint_url: Option<String>,
    /// Where the key pair's private key is written.
    #[arg(long, default_value = ".", global = true)]
    work_dir: PathBuf,
    /// The recommender program the instances run: on Ballast, a path on
    /// this machine; by default the one built next to this program.
    #[arg(long, global = true, conflicts_with = "recommender_url")]
    recommender: Option<PathBuf>,
    /// Instead, where instances download the recommender from at first
    /// boot (a Linux release build): how it reaches instances on AWS.
    #[arg(long, global = true)]
    recommender_url: Option<String>,
    /// Check what each stage should show instead of offering the menu;
    /// the first deviation ends the run with an error.
    #[arg(long, global = true)]
    non_interactive: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the service and check that it answers.
    Deploy,
    /// Walk through the stages on the deployed service.
    Demo,
    /// Delete everything the scenario made.
    Destroy,
    /// Deploy, demo, then destroy, whatever happened in between.
    All,
}

fn recommender(cli: &Cli) -> anyhow::Result<deploy::Recommender> {
    if let Some(url) = &cli.recommender_url {
        return Ok(deploy::Recommender {
            path: PathBuf::from(deploy::Recommender::INSTALLED),
            url: Some(url.clone()),
        });
    }
    let path = match &cli.recommender {
        Some(path) => path.clone(),
        None => {
            let exe = std::env::current_exe().context("finding this program")?;
            let sibling = exe.with_file_name("recommender");
            anyhow::ensure!(
                sibling.exists(),
                "no recommender next to {}; build it (cargo build -p recommender), or pass --recommender or --recommender-url",
                exe.display()
            );
            sibling
        }
    };
    Ok(deploy::Recommender { path, url: None })
}

/// Deploys, then waits until the targets are healthy and the endpoint
/// answers, as the seed verifies it.
async fn deploy(
    clients: &clients::Clients,
    cli: &Cli,
    recommender: &deploy::Recommender,
) -> anyhow::Result<service::Service> {
    let service = deploy::run(clients, recommender, &cli.work_dir).await?;
    check::healthy_targets(
        clients,
        &service.target_group_arn,
        names::GROUP_SIZE as usize,
        Duration::from_secs(600),
    )
    .await?;
    progress::wait_for(
        "the load balancer endpoint to answer",
        Duration::from_secs(120),
        Duration::from_millis(500),
        || async {
            let (status, _) = check::get(&service.endpoint).await.ok()?;
            (status == 200).then_some(())
        },
    )
    .await?;
    Ok(service)
}

fn mode(cli: &Cli) -> demo::Mode {
    if cli.non_interactive {
        demo::Mode::Checked
    } else {
        demo::Mode::Interactive
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let clients = clients::Clients::new(cli.endpoint_url.as_deref()).await;
    match cli.command {
        Command::Deploy => {
            let recommender = recommender(&cli)?;
            deploy(&clients, &cli, &recommender).await.map(|_| ())
        }
        Command::Demo => {
            let service = service::Service::find(&clients).await?;
            let recommender = recommender(&cli)?;
            demo::run(&clients, &service, &recommender.path, mode(&cli)).await
        }
        Command::Destroy => destroy::run(&clients).await,
        Command::All => {
            let recommender = recommender(&cli)?;
            let mut clock = progress::StageClock::start();
            let deployed = deploy(&clients, &cli, &recommender).await;
            clock.lap("deploy");
            let shown = match deployed {
                Ok(service) => demo::run(&clients, &service, &recommender.path, mode(&cli)).await,
                Err(error) => Err(error),
            };
            let mut clock = progress::StageClock::start();
            let destroyed = destroy::run(&clients).await;
            clock.lap("destroy");
            shown.and(destroyed)
        }
    }
}
