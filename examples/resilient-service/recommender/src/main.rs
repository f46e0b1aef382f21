//! `recommender [--listen ADDRESS]`: seed 001's web service (see the
//! library's documentation). Runs until killed.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "recommender",
    about = "Answers recommendations and health checks over HTTP"
)]
struct Args {
    /// Where to listen (the scenario's load balancer sends to port 80).
    #[arg(long, env = "RECOMMENDER_LISTEN", default_value = "0.0.0.0:80")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let backend = Arc::new(recommender::backend::Aws::from_environment().await);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(address = %args.listen, "recommender listening");
    axum::serve(listener, recommender::web::router(backend))
        .await
        .context("serving")
}
