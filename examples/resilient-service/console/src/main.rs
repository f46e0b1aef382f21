//! `resilient-service`: seed 001's scenario on aws-sdk-rust. `deploy`
//! builds the service and checks that it answers from all three
//! instances; `destroy` takes everything down again; `all` does both.
//! Point it at Ballast with `--endpoint-url` (or `AWS_ENDPOINT_URL`).

mod check;
mod clients;
mod deploy;
mod destroy;
mod names;
mod progress;

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
    /// The recommender program the instances run (on Ballast, a path on
    /// this machine); by default the one built next to this program.
    #[arg(long, global = true)]
    recommender: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the service and check that every instance answers.
    Deploy,
    /// Delete everything the scenario made.
    Destroy,
    /// Deploy, check, then destroy, whatever happened in between.
    All,
}

fn recommender(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path);
    }
    let exe = std::env::current_exe().context("finding this program")?;
    let sibling = exe.with_file_name("recommender");
    anyhow::ensure!(
        sibling.exists(),
        "no recommender next to {}; build it (cargo build -p recommender) or pass --recommender",
        exe.display()
    );
    Ok(sibling)
}

async fn deploy_and_check(clients: &clients::Clients, cli: &Cli) -> anyhow::Result<()> {
    let recommender = recommender(cli.recommender.clone())?;
    let deployed = deploy::run(clients, &recommender, &cli.work_dir).await?;
    check::healthy_targets(
        clients,
        &deployed.target_group_arn,
        names::GROUP_SIZE as usize,
        Duration::from_secs(600),
    )
    .await?;
    check::every_instance_recommends(&deployed.endpoint, names::GROUP_SIZE as usize).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let clients = clients::Clients::new(cli.endpoint_url.as_deref()).await;
    match cli.command {
        Command::Deploy => deploy_and_check(&clients, &cli).await,
        Command::Destroy => destroy::run(&clients).await,
        Command::All => {
            let deployed = deploy_and_check(&clients, &cli).await;
            let destroyed = destroy::run(&clients).await;
            deployed.and(destroyed)
        }
    }
}
