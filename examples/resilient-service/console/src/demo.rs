//! `demo`: the seed's stages, each changing one thing and showing what
//! users of the service would see. Interactive, each stage ends in the
//! seed's menu (send a GET, check target health, go on); with
//! `--non-interactive`, each ends in a check of what the seed says the
//! user should observe, and the first deviation stops the demo.
//!
//! The stages: the initial state, a broken dependency, a static response,
//! bad credentials on one instance, deep health checks, replacing the
//! failing instance, and failing open.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, SystemTime};

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

pub async fn run(
    clients: &Clients,
    service: &Service,
    recommender: &Path,
    mode: Mode,
) -> anyhow::Result<()> {
    rule();
    println!("The service is up. Each stage now breaks something, or makes it sturdier.");
    let mut clock = crate::progress::StageClock::start();
    initial(clients, service, mode).await?;
    clock.lap("initial state");
    broken_dependency(clients, service, mode).await?;
    clock.lap("broken dependency");
    static_response(clients, service, mode).await?;
    clock.lap("static response");
    let poisoned = bad_credentials(clients, service, recommender, mode).await?;
    clock.lap("bad credentials");
    deep_health_checks(clients, service, &poisoned, mode).await?;
    clock.lap("deep health checks");
    replace_instance(clients, service, &poisoned, mode).await?;
    clock.lap("replace the instance");
    fail_open(clients, service, mode).await?;
    clock.lap("fail open");
    rule();
    println!("That is the end of the demo.");
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

/// One instance loses access to the table; returns its id.
async fn bad_credentials(
    clients: &Clients,
    service: &Service,
    recommender: &Path,
    mode: Mode,
) -> anyhow::Result<String> {
    rule();
    println!(
        "The table is back, but one instance now runs with credentials that may read the\n\
         parameters and not the table. That instance answers with the static suggestion;\n\
         the others recommend as before, and every target still looks healthy."
    );
    set(clients, settings::TABLE, names::TABLE).await?;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": "*",
        }],
    });
    crate::deploy::create_identity(clients, names::BAD_CREDENTIALS, policy.to_string()).await?;
    let instance = group_instances(clients)
        .await?
        .into_iter()
        .next()
        .context("the group has no instance")?;
    let association = clients
        .ec2
        .describe_iam_instance_profile_associations()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("instance-id")
                .values(&instance)
                .build(),
        )
        .send()
        .await
        .context("DescribeIamInstanceProfileAssociations")?
        .iam_instance_profile_associations()
        .first()
        .and_then(|a| a.association_id())
        .context("the instance has no profile association")?
        .to_owned();
    clients
        .ec2
        .replace_iam_instance_profile_association()
        .association_id(&association)
        .iam_instance_profile(
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .name(names::BAD_CREDENTIALS.profile)
                .build(),
        )
        .send()
        .await
        .context("ReplaceIamInstanceProfileAssociation")?;
    println!(
        "Replaced the profile of {instance} with {}.",
        names::BAD_CREDENTIALS.profile
    );
    let rebooted_at = SystemTime::now();
    clients
        .ec2
        .reboot_instances()
        .instance_ids(&instance)
        .send()
        .await
        .context("RebootInstances")?;
    wait_for(
        "the rebooted instance to report to Systems Manager",
        Duration::from_secs(300),
        Duration::from_millis(500),
        || async {
            let out = clients
                .ssm
                .describe_instance_information()
                .send()
                .await
                .ok()?;
            let pinged = out.instance_information_list().iter().any(|i| {
                i.instance_id() == Some(instance.as_str())
                    && i.last_ping_date_time()
                        .and_then(|t| SystemTime::try_from(*t).ok())
                        .is_some_and(|t| t >= rebooted_at)
            });
            pinged.then_some(())
        },
    )
    .await?;
    restart_recommender(clients, &instance, recommender).await?;
    finish(
        clients,
        service,
        mode,
        "the poisoned instance answers with the static suggestion, the others recommend, every target is healthy",
        || async {
            // The reboot stopped the service, so the instance failed its
            // checks; it is back in rotation once they pass again.
            let count = names::GROUP_SIZE as usize;
            check::healthy_targets(clients, &service.target_group_arn, count, Duration::from_secs(600))
                .await?;
            poisoned_and_healthy_answer(&service.endpoint, &instance).await
        },
    )
    .await?;
    Ok(instance)
}

/// Restarts the recommender on `instance` through Run Command, as the
/// seed does after the reboot.
async fn restart_recommender(
    clients: &Clients,
    instance: &str,
    recommender: &Path,
) -> anyhow::Result<()> {
    let command = clients
        .ssm
        .send_command()
        .instance_ids(instance)
        .document_name("AWS-RunShellScript")
        .parameters("commands", vec![crate::deploy::start_lines(recommender)])
        .send()
        .await
        .context("SendCommand")?
        .command()
        .and_then(|c| c.command_id())
        .context("SendCommand answered without a command")?
        .to_owned();
    wait_for(
        "the recommender to restart",
        Duration::from_secs(300),
        Duration::from_millis(300),
        || async {
            let out = clients
                .ssm
                .get_command_invocation()
                .command_id(&command)
                .instance_id(instance)
                .send()
                .await
                .ok()?;
            (out.status()?.as_str() == "Success").then_some(())
        },
    )
    .await?;
    println!("Restarted the recommender on {instance}.");
    Ok(())
}

/// GETs until both the poisoned instance (with the static suggestion)
/// and a healthy one (with a real recommendation) have answered, and no
/// answer broke the pattern.
async fn poisoned_and_healthy_answer(endpoint: &str, poisoned: &str) -> anyhow::Result<()> {
    let (mut saw_static, mut saw_real) = (false, false);
    for _ in 0..200 {
        let (status, body) = check::get(endpoint).await?;
        anyhow::ensure!(status == 200, "GET answered {status}: {body}");
        let from = body["Metadata"]["InstanceId"].as_str().unwrap_or_default();
        let title = body["Title"]["S"].as_str().unwrap_or_default();
        if from == poisoned {
            anyhow::ensure!(title == STATIC_TITLE, "{poisoned} recommended {title}");
            saw_static = true;
        } else {
            anyhow::ensure!(
                title != STATIC_TITLE,
                "{from} answered the static suggestion"
            );
            saw_real = true;
        }
        if saw_static && saw_real {
            return Ok(());
        }
    }
    anyhow::bail!(
        "after 200 requests: static from {poisoned} {saw_static}, real from the others {saw_real}"
    )
}

async fn deep_health_checks(
    clients: &Clients,
    service: &Service,
    poisoned: &str,
    mode: Mode,
) -> anyhow::Result<()> {
    rule();
    println!(
        "Deep health checks look at the table too. The instance that cannot read it fails\n\
         them and leaves rotation; every request now gets a real recommendation."
    );
    set(clients, settings::HEALTH_CHECK, "deep").await?;
    finish(
        clients,
        service,
        mode,
        "the poisoned instance is unhealthy (Target.ResponseCodeMismatch), the others healthy and answering",
        || async {
            let tg = &service.target_group_arn;
            check::targets_become(clients, tg, "the poisoned target to fail its checks", |targets| {
                targets.len() == names::GROUP_SIZE as usize
                    && targets.iter().all(|(id, state, reason)| {
                        if id == poisoned {
                            state == "unhealthy"
                                && reason.as_deref() == Some("Target.ResponseCodeMismatch")
                        } else {
                            state == "healthy"
                        }
                    })
            })
            .await?;
            for _ in 0..30 {
                let (status, body) = check::get(&service.endpoint).await?;
                let from = body["Metadata"]["InstanceId"].as_str().unwrap_or_default();
                anyhow::ensure!(status == 200 && from != poisoned, "GET answered {status}: {body}");
            }
            Ok(())
        },
    )
    .await
}

async fn replace_instance(
    clients: &Clients,
    service: &Service,
    poisoned: &str,
    mode: Mode,
) -> anyhow::Result<()> {
    rule();
    println!(
        "The group replaces the failing instance: terminated without lowering the group's\n\
         capacity, it drains, and a new instance with the right credentials takes its place."
    );
    clients
        .autoscaling
        .terminate_instance_in_auto_scaling_group()
        .instance_id(poisoned)
        .should_decrement_desired_capacity(false)
        .send()
        .await
        .context("TerminateInstanceInAutoScalingGroup")?;
    println!("Terminated {poisoned} in the group.");
    finish(
        clients,
        service,
        mode,
        "three healthy targets, none of them the terminated instance, every GET recommends",
        || async {
            let tg = &service.target_group_arn;
            check::targets_become(clients, tg, "a replacement to be healthy", |targets| {
                let healthy: BTreeSet<&str> = targets
                    .iter()
                    .filter(|(_, state, _)| state == "healthy")
                    .map(|(id, _, _)| id.as_str())
                    .collect();
                healthy.len() == names::GROUP_SIZE as usize && !healthy.contains(poisoned)
            })
            .await?;
            for _ in 0..30 {
                let (status, body) = check::get(&service.endpoint).await?;
                let title = body["Title"]["S"].as_str().unwrap_or_default();
                anyhow::ensure!(
                    status == 200 && title != STATIC_TITLE,
                    "GET answered {status}: {body}"
                );
            }
            Ok(())
        },
    )
    .await
}

async fn fail_open(clients: &Clients, service: &Service, mode: Mode) -> anyhow::Result<()> {
    rule();
    println!(
        "Last, the table goes missing again. Every instance fails its deep health check, and\n\
         with no healthy target the load balancer fails open: it sends requests to all of\n\
         them, and they answer with the static suggestion."
    );
    set(clients, settings::TABLE, NO_TABLE).await?;
    finish(
        clients,
        service,
        mode,
        "every target is unhealthy, and GET still answers 200 with the static suggestion",
        || async {
            let tg = &service.target_group_arn;
            check::targets_become(clients, tg, "every target to fail its checks", |targets| {
                // The replaced instance may still be draining.
                let serving: Vec<_> = targets
                    .iter()
                    .filter(|(_, state, _)| state != "draining")
                    .collect();
                serving.len() == names::GROUP_SIZE as usize
                    && serving.iter().all(|(_, state, _)| state == "unhealthy")
            })
            .await?;
            answers(&service.endpoint, 200, Some(STATIC_TITLE)).await
        },
    )
    .await
}

/// The group's instances, in id order.
async fn group_instances(clients: &Clients) -> anyhow::Result<Vec<String>> {
    let out = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(names::GROUP)
        .send()
        .await
        .context("DescribeAutoScalingGroups")?;
    let mut ids: Vec<String> = out
        .auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances())
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    ids.sort();
    Ok(ids)
}

async fn set(clients: &Clients, name: &str, value: &str) -> anyhow::Result<()> {
    clients.set_parameter(name, value).await?;
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
        Duration::from_secs(300),
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
