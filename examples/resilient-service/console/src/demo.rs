//! `demo`: the seed's stages, each changing one thing and showing what
//! users of the service would see. Interactive, each stage ends in the
//! seed's menu (send a GET, check target health, go on); with
//! `--non-interactive`, each ends in a check of what the seed says the
//! user should observe, and the first deviation stops the demo.
//!
//! The stages so far: the initial state, a broken dependency, and a
//! static response. The later ones (bad credentials, deep health checks,
//! replacing an instance, failing open) are still to come.

use std::io::BufRead;
use std::time::Duration;

use anyhow::Context;
use recommender::settings;

use crate::check;
use crate::clients::Clients;
use crate::names;
use crate::progress::{rule, wait_for};
use crate::service::Service;

/// How each stage ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Interactive,
    Checked,
}

/// The title the static response suggests.
const STATIC_TITLE: &str = "404 Not Found: A Coloring Book";
/// A table name that names nothing.
const NO_TABLE: &str = "this-is-not-a-table";

pub async fn run(clients: &Clients, service: &Service, mode: Mode) -> anyhow::Result<()> {
    rule();
    println!("The service is up. Each stage now breaks something, or makes it sturdier.");
    initial(clients, service, mode).await?;
    broken_dependency(clients, service, mode).await?;
    static_response(clients, service, mode).await?;
    rule();
    println!("That is as far as the demo goes for now.");
    Ok(())
}

async fn initial(clients: &Clients, service: &Service, mode: Mode) -> anyhow::Result<()> {
    rule();
    println!(
        "At first every instance reads recommendations from the table, and shallow\n\
         health checks report every instance healthy."
    );
    finish(
        clients,
        service,
        mode,
        "every instance recommends, every target is healthy",
        || async {
            check::healthy_targets(
                clients,
                &service.target_group_arn,
                names::GROUP_SIZE as usize,
                Duration::from_secs(300),
            )
            .await?;
            check::every_instance_recommends(&service.endpoint, names::GROUP_SIZE as usize).await
        },
    )
    .await
}

async fn broken_dependency(clients: &Clients, service: &Service, mode: Mode) -> anyhow::Result<()> {
    rule();
    println!(
        "Now the table the service depends on goes missing: its parameter names a table\n\
         that does not exist. Requests fail with an error code, yet the load balancer still\n\
         sees healthy targets, because shallow checks do not look at the table."
    );
    set(clients, settings::TABLE, NO_TABLE).await?;
    finish(
        clients,
        service,
        mode,
        "GET answers 502, every target is still healthy",
        || async {
            answers(&service.endpoint, 502, None).await?;
            all_healthy(clients, service).await
        },
    )
    .await
}

async fn static_response(clients: &Clients, service: &Service, mode: Mode) -> anyhow::Result<()> {
    rule();
    println!(
        "Rather than failing, the service can answer with a suggestion it always has at\n\
         hand. Requests succeed again, with the same static recommendation every time."
    );
    set(clients, settings::FAILURE_RESPONSE, "static").await?;
    finish(
        clients,
        service,
        mode,
        "GET answers 200 with the static suggestion, every target is healthy",
        || async {
            answers(&service.endpoint, 200, Some(STATIC_TITLE)).await?;
            all_healthy(clients, service).await
        },
    )
    .await
}

async fn set(clients: &Clients, name: &str, value: &str) -> anyhow::Result<()> {
    clients
        .ssm
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .with_context(|| format!("PutParameter {name}"))?;
    println!("Set {name} to '{value}'.");
    Ok(())
}

/// Waits until a GET answers `status` (with `title`, when given).
async fn answers(endpoint: &str, status: u16, title: Option<&str>) -> anyhow::Result<()> {
    let what = match title {
        Some(title) => format!("GET to answer {status} with '{title}'"),
        None => format!("GET to answer {status}"),
    };
    wait_for(
        &what,
        Duration::from_secs(60),
        Duration::from_millis(200),
        || async {
            let (got, body) = check::get(endpoint).await.ok()?;
            let titled = title.is_none_or(|t| body["Title"]["S"].as_str() == Some(t));
            (got == status && titled).then_some(())
        },
    )
    .await
}

/// Every target is healthy now.
async fn all_healthy(clients: &Clients, service: &Service) -> anyhow::Result<()> {
    let targets = check::target_health(clients, &service.target_group_arn).await?;
    anyhow::ensure!(
        targets.len() == names::GROUP_SIZE as usize
            && targets.iter().all(|(_, state, _)| state == "healthy"),
        "expected {} healthy targets, found {targets:?}",
        names::GROUP_SIZE
    );
    Ok(())
}

/// Ends a stage: the menu, or the stage's check of `what` it shows.
async fn finish<F, Fut>(
    clients: &Clients,
    service: &Service,
    mode: Mode,
    what: &str,
    check: F,
) -> anyhow::Result<()>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    match mode {
        Mode::Checked => {
            check().await.with_context(|| format!("expected: {what}"))?;
            println!("Checked: {what}.");
            Ok(())
        }
        Mode::Interactive => menu(clients, service).await,
    }
}

/// The seed's three choices, until the user goes on.
async fn menu(clients: &Clients, service: &Service) -> anyhow::Result<()> {
    loop {
        println!(
            "\nSee the current state of the service by selecting one of the following choices:\n\n\
             1. Send a GET request to the load balancer endpoint.\n\
             2. Check the health of load balancer targets.\n\
             3. Go to the next part of the demo.\n"
        );
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line)?;
        if read == 0 {
            return Ok(());
        }
        match line.trim() {
            "1" => match check::get(&service.endpoint).await {
                Ok((status, body)) => {
                    println!("GET http://{}\n{status}\n{body:#}", service.endpoint)
                }
                Err(error) => println!("The request failed: {error:#}"),
            },
            "2" => {
                for (id, state, reason) in
                    check::target_health(clients, &service.target_group_arn).await?
                {
                    let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
                    println!("\tTarget {id} on port {} is {state}{reason}", names::PORT);
                }
            }
            "3" => return Ok(()),
            other => println!("'{other}' is not one of the choices."),
        }
    }
}
