//! `destroy`: everything `deploy` made, found by name and deleted in
//! dependency order. What is already gone is skipped, so it can run after
//! a partial deploy, or twice.

use std::fmt::Display;
use std::time::Duration;

use crate::clients::Clients;
use crate::names;
use crate::progress::{rule, wait_for};

/// Says what a deletion came to; "not found" counts as done.
fn report<T, E: Display>(what: &str, result: Result<T, E>) {
    match result {
        Ok(_) => println!("Deleted {what}."),
        Err(error) => {
            let text = error.to_string();
            println!("Skipped {what}: {text}");
        }
    }
}

/// An AWS error as its code and message.
fn error_text<E, R>(error: aws_sdk_ec2::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata,
{
    use aws_sdk_ec2::error::ProvideErrorMetadata as _;
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => "no answer from the service".to_owned(),
    }
}

pub async fn run(clients: &Clients) -> anyhow::Result<()> {
    rule();
    println!("Deleting everything the scenario made.");
    rule();
    group(clients).await?;
    load_balancer(clients).await?;
    report(
        "the launch template",
        clients
            .ec2
            .delete_launch_template()
            .launch_template_name(names::LAUNCH_TEMPLATE)
            .send()
            .await
            .map_err(error_text),
    );
    for identity in [names::BAD_CREDENTIALS, names::INSTANCE] {
        delete_identity(clients, identity).await;
    }
    // DeleteKeyPair succeeds for a key that does not exist; ask first.
    match clients
        .ec2
        .describe_key_pairs()
        .key_names(names::KEY_PAIR)
        .send()
        .await
    {
        Ok(_) => report(
            "the key pair",
            clients
                .ec2
                .delete_key_pair()
                .key_name(names::KEY_PAIR)
                .send()
                .await
                .map_err(error_text),
        ),
        Err(error) => println!("Skipped the key pair: {}", error_text(error)),
    }
    report(
        "the table",
        clients
            .dynamodb
            .delete_table()
            .table_name(names::TABLE)
            .send()
            .await
            .map_err(error_text),
    );
    for name in recommender::settings::ALL {
        report(
            &format!("the parameter {name}"),
            clients
                .ssm
                .delete_parameter()
                .name(name)
                .send()
                .await
                .map_err(error_text),
        );
    }
    Ok(())
}

/// The group and its instances: deleted with ForceDelete, then waited for.
async fn group(clients: &Clients) -> anyhow::Result<()> {
    let deleted = clients
        .autoscaling
        .delete_auto_scaling_group()
        .auto_scaling_group_name(names::GROUP)
        .force_delete(true)
        .send()
        .await
        .map_err(error_text);
    let found = deleted.is_ok();
    report("the Auto Scaling group", deleted);
    if found {
        wait_for(
            "the group's instances to end",
            Duration::from_secs(600),
            Duration::from_millis(500),
            || async {
                let out = clients
                    .autoscaling
                    .describe_auto_scaling_groups()
                    .auto_scaling_group_names(names::GROUP)
                    .send()
                    .await
                    .ok()?;
                out.auto_scaling_groups().is_empty().then_some(())
            },
        )
        .await?;
    }
    Ok(())
}

async fn load_balancer(clients: &Clients) -> anyhow::Result<()> {
    let found = clients
        .elb
        .describe_load_balancers()
        .names(names::LOAD_BALANCER)
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.load_balancers()
                .first()
                .and_then(|lb| lb.load_balancer_arn().map(str::to_owned))
        });
    if let Some(arn) = found {
        report(
            "the load balancer",
            clients
                .elb
                .delete_load_balancer()
                .load_balancer_arn(&arn)
                .send()
                .await
                .map_err(error_text),
        );
        wait_for(
            "the load balancer to go",
            Duration::from_secs(300),
            Duration::from_millis(500),
            || async {
                let gone = clients
                    .elb
                    .describe_load_balancers()
                    .load_balancer_arns(&arn)
                    .send()
                    .await
                    .is_err();
                gone.then_some(())
            },
        )
        .await?;
    } else {
        println!("Skipped the load balancer: not found.");
    }
    let target_group = clients
        .elb
        .describe_target_groups()
        .names(names::TARGET_GROUP)
        .send()
        .await
        .ok()
        .and_then(|out| {
            out.target_groups()
                .first()
                .and_then(|t| t.target_group_arn().map(str::to_owned))
        });
    match target_group {
        Some(arn) => report(
            "the target group",
            clients
                .elb
                .delete_target_group()
                .target_group_arn(&arn)
                .send()
                .await
                .map_err(error_text),
        ),
        None => println!("Skipped the target group: not found."),
    }
    Ok(())
}

/// Deletes `identity`'s profile, role and policy, whichever exist.
async fn delete_identity(clients: &Clients, identity: names::Identity) {
    let iam = &clients.iam;
    let _ = iam
        .remove_role_from_instance_profile()
        .instance_profile_name(identity.profile)
        .role_name(identity.role)
        .send()
        .await;
    report(
        &format!("the instance profile {}", identity.profile),
        iam.delete_instance_profile()
            .instance_profile_name(identity.profile)
            .send()
            .await
            .map_err(error_text),
    );
    let attached: Vec<String> = iam
        .list_attached_role_policies()
        .role_name(identity.role)
        .send()
        .await
        .map(|out| {
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for arn in &attached {
        let _ = iam
            .detach_role_policy()
            .role_name(identity.role)
            .policy_arn(arn)
            .send()
            .await;
    }
    report(
        &format!("the role {}", identity.role),
        iam.delete_role()
            .role_name(identity.role)
            .send()
            .await
            .map_err(error_text),
    );
    let policy = attached
        .iter()
        .find(|arn| arn.ends_with(&format!("/{}", identity.policy)))
        .cloned();
    let policy = match policy {
        Some(arn) => Some(arn),
        None => iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .ok()
            .and_then(|out| {
                out.policies()
                    .iter()
                    .find(|p| p.policy_name() == Some(identity.policy))
                    .and_then(|p| p.arn().map(str::to_owned))
            }),
    };
    match policy {
        Some(arn) => report(
            &format!("the policy {}", identity.policy),
            iam.delete_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(error_text),
        ),
        None => println!("Skipped the policy {}: not found.", identity.policy),
    }
}
