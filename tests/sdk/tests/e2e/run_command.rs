//! SSM Run Command through aws-sdk-rust: every instance's agent
//! registers with its role's credentials, takes the invocations rate
//! control hands it, runs them, and reports; the tests observe the
//! commands' effects inside the instances as well as their statuses.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_ec2::types::{IamInstanceProfileSpecification, ResourceType, TagSpecification};
use aws_sdk_ssm::client::Waiters;
use aws_sdk_ssm::types::{
    CommandInvocationStatus, CommandStatus, InstanceInformationStringFilter, PingStatus, Target,
};
use ballast_sdk_tests::fixtures::{AL2023, tag};
use ballast_sdk_tests::{
    Ballast, error_code, eventually, process_ended, process_runs, written_pid,
};

const WAIT: Duration = Duration::from_secs(30);

/// The managed policy that makes an instance manageable.
const MANAGED_INSTANCE_CORE: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

fn start() -> Ballast {
    Ballast::start_with(&["--time-scale", "0.02"])
}

/// A role instances may assume with the managed-instance policy attached
/// (or not), and its instance profile.
pub(crate) async fn profile(ballast: &Ballast, name: &str, managed: bool) {
    let iam = ballast.iam();
    ballast_sdk_tests::fixtures::role_with_profile(&iam, name, None).await;
    if managed {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(MANAGED_INSTANCE_CORE)
            .send()
            .await
            .expect("AttachRolePolicy");
    }
}

/// Launches `count` instances with `profile`, tagged `Role=role`.
pub(crate) async fn launch(
    ballast: &Ballast,
    count: i32,
    profile: &str,
    role: &str,
) -> Vec<String> {
    let out = ballast
        .ec2()
        .run_instances()
        .image_id(AL2023)
        .min_count(count)
        .max_count(count)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name(profile)
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .tags(tag("Role", role))
                .build(),
        )
        .send()
        .await
        .expect("RunInstances");
    let mut ids: Vec<String> = out
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// Waits until DescribeInstanceInformation lists `ids` Online.
pub(crate) async fn wait_managed(ballast: &Ballast, ids: &[String]) {
    let ssm = ballast.ssm();
    eventually("the instances to be managed", WAIT, || {
        let ssm = ssm.clone();
        async move {
            let out = ssm.describe_instance_information().send().await.ok()?;
            let online = out
                .instance_information_list()
                .iter()
                .filter(|i| i.ping_status() == Some(&PingStatus::Online))
                .filter_map(|i| i.instance_id())
                .filter(|id| ids.iter().any(|want| want == id))
                .count();
            (online == ids.len()).then_some(())
        }
    })
    .await;
}

/// A file in an instance's home directory (process mode).
pub(crate) fn home_file(ballast: &Ballast, instance: &str, name: &str) -> PathBuf {
    ballast
        .data_dir
        .join("instances")
        .join(instance)
        .join("home")
        .join(name)
}

pub(crate) fn commands(lines: &[&str]) -> std::collections::HashMap<String, Vec<String>> {
    std::collections::HashMap::from([(
        "commands".to_owned(),
        lines.iter().map(|l| (*l).to_owned()).collect(),
    )])
}

/// Sends AWS-RunShellScript with `parameters` to `instance`; the
/// command's id.
async fn send_shell(
    ballast: &Ballast,
    instance: &str,
    parameters: std::collections::HashMap<String, Vec<String>>,
) -> String {
    ballast
        .ssm()
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids(instance)
        .set_parameters(Some(parameters))
        .send()
        .await
        .expect("SendCommand")
        .command()
        .and_then(|c| c.command_id())
        .expect("an id")
        .to_owned()
}

async fn wait_executed(ballast: &Ballast, command: &str, instance: &str) {
    // The waiter fails on Failed/TimedOut; those tests read the
    // invocation instead.
    let _ = ballast
        .ssm()
        .wait_until_command_executed()
        .command_id(command)
        .instance_id(instance)
        .wait(WAIT)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_runs_on_every_tagged_managed_instance() {
    let ballast = start();
    profile(&ballast, "managed", true).await;
    profile(&ballast, "unmanaged", false).await;
    let web = launch(&ballast, 3, "managed", "web").await;
    let other = launch(&ballast, 1, "unmanaged", "web").await;
    wait_managed(&ballast, &web).await;

    // The instance whose role lacks the policy is refused by IAM, so it
    // is never listed, and a command cannot name it.
    let log = ballast
        .data_dir
        .join("instances")
        .join(&other[0])
        .join("ssm-agent.log");
    eventually("the unmanaged agent to be refused", WAIT, || {
        let log = log.clone();
        async move {
            let text = std::fs::read_to_string(&log).ok()?;
            text.contains("AccessDenied").then_some(())
        }
    })
    .await;
    let ssm = ballast.ssm();
    let listed = ssm
        .describe_instance_information()
        .filters(
            InstanceInformationStringFilter::builder()
                .key("tag:Role")
                .values("web")
                .build()
                .expect("a filter"),
        )
        .send()
        .await
        .expect("DescribeInstanceInformation");
    let mut ids: Vec<&str> = listed
        .instance_information_list()
        .iter()
        .filter_map(|i| i.instance_id())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, web.iter().map(String::as_str).collect::<Vec<_>>());
    let info = &listed.instance_information_list()[0];
    assert_eq!(info.iam_role(), Some("managed"));
    assert!(info.ip_address().is_some_and(|ip| !ip.is_empty()));
    let refused = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids(&other[0])
        .set_parameters(Some(commands(&["true"])))
        .send()
        .await
        .expect_err("an unmanaged instance");
    assert_eq!(error_code(&refused), "InvalidInstanceId");

    // One at a time to every web instance; each writes a file.
    let sent = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .targets(Target::builder().key("tag:Role").values("web").build())
        .set_parameters(Some(commands(&[
            "echo \"ran on $(hostname)\" > \"$HOME/ran\"",
            "echo done",
        ])))
        .max_concurrency("1")
        .max_errors("0")
        .comment("write a file")
        .send()
        .await
        .expect("SendCommand");
    let command = sent.command().expect("a command");
    let id = command.command_id().expect("an id").to_owned();
    assert_eq!(command.target_count(), 3);
    assert_eq!(command.max_concurrency(), Some("1"));
    for instance in &web {
        wait_executed(&ballast, &id, instance).await;
        let invocation = ssm
            .get_command_invocation()
            .command_id(&id)
            .instance_id(instance)
            .send()
            .await
            .expect("GetCommandInvocation");
        assert_eq!(invocation.status(), Some(&CommandInvocationStatus::Success));
        assert_eq!(invocation.standard_output_content(), Some("done\n"));
        assert_eq!(invocation.response_code(), 0);
        assert_eq!(invocation.plugin_name(), Some("aws:runShellScript"));
        let written = std::fs::read_to_string(home_file(&ballast, instance, "ran"))
            .expect("the command's file");
        assert!(written.starts_with("ran on "), "{written}");
    }
    assert!(!home_file(&ballast, &other[0], "ran").exists());
    let listed = ssm
        .list_commands()
        .command_id(&id)
        .send()
        .await
        .expect("ListCommands");
    let command = &listed.commands()[0];
    assert_eq!(command.status(), Some(&CommandStatus::Success));
    assert_eq!(command.completed_count(), 3);
    assert_eq!(command.comment(), Some("write a file"));
    let invocations = ssm
        .list_command_invocations()
        .command_id(&id)
        .details(true)
        .send()
        .await
        .expect("ListCommandInvocations");
    assert_eq!(invocations.command_invocations().len(), 3);
    let plugin = &invocations.command_invocations()[0].command_plugins()[0];
    assert_eq!(plugin.output(), Some("done\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_errors_zero_stops_the_rest_after_one_failure() {
    let ballast = start();
    profile(&ballast, "managed", true).await;
    let web = launch(&ballast, 3, "managed", "web").await;
    wait_managed(&ballast, &web).await;
    let ssm = ballast.ssm();
    let sent = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .targets(
            Target::builder()
                .key("InstanceIds")
                .set_values(Some(web.clone()))
                .build(),
        )
        .set_parameters(Some(commands(&["touch \"$HOME/tried\"", "exit 3"])))
        .max_concurrency("1")
        .max_errors("0")
        .send()
        .await
        .expect("SendCommand");
    let id = sent
        .command()
        .and_then(|c| c.command_id())
        .expect("an id")
        .to_owned();
    let command = eventually("the command to end", WAIT, || {
        let ssm = ssm.clone();
        let id = id.clone();
        async move {
            let out = ssm.list_commands().command_id(&id).send().await.ok()?;
            let command = out.commands().first()?.clone();
            (command.status() == Some(&CommandStatus::Failed)).then_some(command)
        }
    })
    .await;
    assert_eq!(command.status_details(), Some("Failed"));
    assert_eq!((command.error_count(), command.completed_count()), (1, 3));
    let out = ssm
        .list_command_invocations()
        .command_id(&id)
        .send()
        .await
        .expect("ListCommandInvocations");
    let mut details: Vec<&str> = out
        .command_invocations()
        .iter()
        .filter_map(|i| i.status_details())
        .collect();
    details.sort_unstable();
    assert_eq!(details, ["Failed", "Terminated", "Terminated"]);
    // Only one instance ever ran the script.
    let tried = web
        .iter()
        .filter(|i| home_file(&ballast, i, "tried").exists())
        .count();
    assert_eq!(tried, 1);
    let failed = out
        .command_invocations()
        .iter()
        .find(|i| i.status_details() == Some("Failed"))
        .and_then(|i| i.instance_id())
        .expect("the failed one");
    let invocation = ssm
        .get_command_invocation()
        .command_id(&id)
        .instance_id(failed)
        .send()
        .await
        .expect("GetCommandInvocation");
    assert_eq!(invocation.response_code(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_194_reboots_and_runs_the_script_again() {
    let ballast = start();
    profile(&ballast, "managed", true).await;
    let instance = launch(&ballast, 1, "managed", "web").await.remove(0);
    wait_managed(&ballast, std::slice::from_ref(&instance)).await;
    // Seed 000's reboot script, its flag in the instance's home.
    let script = "flag_location=$HOME/REBOOT_STARTED\n\
                  if [ ! -f $flag_location ]; then\n\
                  \x20 echo \"Creating flag file at $flag_location\"\n\
                  \x20 touch $flag_location\n\
                  \x20 echo \"Reboot initiated\"\n\
                  \x20 exit 194\n\
                  fi\n\
                  echo \"Reboot finished, removing flag file at $flag_location\"\n\
                  rm $flag_location\n";
    let ssm = ballast.ssm();
    let id = send_shell(&ballast, &instance, commands(&[script])).await;
    ssm.wait_until_command_executed()
        .command_id(&id)
        .instance_id(&instance)
        .wait(WAIT)
        .await
        .expect("the command succeeds after the reboot");
    let invocation = ssm
        .get_command_invocation()
        .command_id(&id)
        .instance_id(&instance)
        .send()
        .await
        .expect("GetCommandInvocation");
    assert!(
        invocation
            .standard_output_content()
            .is_some_and(|o| o.starts_with("Reboot finished")),
        "{invocation:?}"
    );
    assert!(!home_file(&ballast, &instance, "REBOOT_STARTED").exists());
    // The console shows a second boot.
    let console = ballast
        .ec2()
        .get_console_output()
        .instance_id(&instance)
        .latest(true)
        .send()
        .await
        .expect("GetConsoleOutput");
    let text = console.output().map(decode).unwrap_or_default();
    assert!(text.contains(&format!("boot 2 of {instance}")), "{text}");
}

fn decode(base64_text: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_cancels_and_errors() {
    let ballast = start();
    profile(&ballast, "managed", true).await;
    let instance = launch(&ballast, 1, "managed", "web").await.remove(0);
    wait_managed(&ballast, std::slice::from_ref(&instance)).await;
    let ssm = ballast.ssm();

    // executionTimeout 100 s is 2 s at the tests' time scale.
    let mut parameters = commands(&["sleep 600"]);
    parameters.insert("executionTimeout".into(), vec!["100".into()]);
    let id = send_shell(&ballast, &instance, parameters).await;
    let invocation = eventually("the execution timeout", WAIT, || {
        let ssm = ssm.clone();
        let (id, instance) = (id.clone(), instance.clone());
        async move {
            let out = ssm
                .get_command_invocation()
                .command_id(&id)
                .instance_id(&instance)
                .send()
                .await
                .ok()?;
            (out.status() == Some(&CommandInvocationStatus::TimedOut)).then_some(out)
        }
    })
    .await;
    assert_eq!(invocation.status_details(), Some("ExecutionTimedOut"));
    assert_eq!(invocation.response_code(), 137);

    // Cancel a long one: the script stops, and what it started with it.
    // (100,000 s is 2,000 s here, far past the deadlines below.)
    let line = "sleep 100000 & echo $! > \"$HOME/cancelled.pid\"; wait";
    let id = send_shell(&ballast, &instance, commands(&[line])).await;
    let sleeper = written_pid(&home_file(&ballast, &instance, "cancelled.pid"), WAIT).await;
    assert!(process_runs(sleeper));
    ssm.cancel_command()
        .command_id(&id)
        .send()
        .await
        .expect("CancelCommand");
    let out = ssm
        .list_commands()
        .command_id(&id)
        .send()
        .await
        .expect("ListCommands");
    assert_eq!(out.commands()[0].status(), Some(&CommandStatus::Cancelled));
    process_ended(sleeper, "the cancelled script's sleep to end", WAIT).await;

    // Errors.
    let unknown_document = ssm
        .send_command()
        .document_name("No-Such-Document")
        .instance_ids(&instance)
        .send()
        .await
        .expect_err("an unknown document");
    assert_eq!(error_code(&unknown_document), "InvalidDocument");
    let no_commands = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids(&instance)
        .send()
        .await
        .expect_err("no commands");
    assert_eq!(error_code(&no_commands), "InvalidParameters");
    let bad_limit = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids(&instance)
        .set_parameters(Some(commands(&["true"])))
        .max_concurrency("0")
        .send()
        .await
        .expect_err("a concurrency of 0");
    assert_eq!(error_code(&bad_limit), "ValidationException");
    let missing = ssm
        .get_command_invocation()
        .command_id("00000000-0000-4000-a000-000000000000")
        .instance_id(&instance)
        .send()
        .await
        .expect_err("no such invocation");
    assert_eq!(error_code(&missing), "InvocationDoesNotExist");
    let bad_id = ssm
        .list_commands()
        .command_id("00000000-0000-4000-a000-000000000000")
        .send()
        .await
        .expect_err("no such command");
    assert_eq!(error_code(&bad_id), "InvalidCommandId");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripts_sleep_follows_the_time_scale_as_its_timeout_does() {
    let ballast = start();
    profile(&ballast, "managed", true).await;
    let instance = launch(&ballast, 1, "managed", "web").await.remove(0);
    wait_managed(&ballast, std::slice::from_ref(&instance)).await;
    // A runbook written for AWS: a minute's sleep under a two-minute
    // timeout. At the tests' time scale the timeout is 2.4 s, so a sleep
    // in real time would be killed.
    let mut parameters = commands(&["sleep 60", "sleep 0.5m 15s", "echo slept"]);
    parameters.insert("executionTimeout".into(), vec!["120".into()]);
    let id = send_shell(&ballast, &instance, parameters).await;
    wait_executed(&ballast, &id, &instance).await;
    let invocation = ballast
        .ssm()
        .get_command_invocation()
        .command_id(&id)
        .instance_id(&instance)
        .send()
        .await
        .expect("GetCommandInvocation");
    assert_eq!(
        invocation.status(),
        Some(&CommandInvocationStatus::Success),
        "{:?}",
        invocation.standard_error_content()
    );
    assert_eq!(invocation.standard_output_content(), Some("slept\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_survives_kill_9_of_ballast() {
    let mut ballast = start();
    profile(&ballast, "managed", true).await;
    let instance = launch(&ballast, 1, "managed", "web").await.remove(0);
    wait_managed(&ballast, std::slice::from_ref(&instance)).await;
    // 50 s at the tests' time scale is 1 s: still running at the kill.
    let id = send_shell(
        &ballast,
        &instance,
        commands(&["sleep 50", "echo survived"]),
    )
    .await;
    ballast.kill9();
    // Where it was, so the instance's agent finds it again.
    let data_dir = ballast.data_dir.clone();
    let address = ballast.endpoint.trim_start_matches("http://").to_owned();
    let restarted = Ballast::start_in(&data_dir, &["--time-scale", "0.02", "--listen", &address]);
    let ssm = restarted.ssm();
    let invocation = eventually("the command to end after the restart", WAIT, || {
        let ssm = ssm.clone();
        let (id, instance) = (id.clone(), instance.clone());
        async move {
            let out = ssm
                .get_command_invocation()
                .command_id(&id)
                .instance_id(&instance)
                .send()
                .await
                .ok()?;
            let done = !matches!(
                out.status(),
                Some(CommandInvocationStatus::Pending | CommandInvocationStatus::InProgress)
            );
            done.then_some(out)
        }
    })
    .await;
    // Either the agent, still running in the instance, finished it, or
    // (if the instance was booted anew) its new agent reported it failed:
    // never left in progress.
    match invocation.status() {
        Some(CommandInvocationStatus::Success) => {
            assert_eq!(invocation.standard_output_content(), Some("survived\n"));
        }
        other => assert_eq!(other, Some(&CommandInvocationStatus::Failed)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_command_is_decided_on_the_document_and_each_instance() {
    let ballast = start();
    profile(&ballast, "managed", true).await;
    let dev = launch(&ballast, 1, "managed", "dev").await.remove(0);
    let prod = launch(&ballast, 1, "managed", "prod").await.remove(0);
    wait_managed(&ballast, &[dev.clone(), prod.clone()]).await;
    // An operator allowed to run AWS-RunShellScript, on dev instances only.
    let policy = r#"{
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:SendCommand",
             "Resource": "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"},
            {"Effect": "Allow", "Action": "ssm:SendCommand",
             "Resource": "arn:aws:ec2:us-east-1:*:instance/*",
             "Condition": {"StringEquals": {"aws:ResourceTag/Role": "dev"}}},
            {"Effect": "Allow", "Action": ["ssm:ListCommands", "ssm:GetCommandInvocation"],
             "Resource": "*"}
        ]
    }"#;
    let (config, _) =
        ballast_sdk_tests::fixtures::config_as_instance(&ballast, "operator", policy).await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let allowed = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .instance_ids(&dev)
        .set_parameters(Some(commands(&["true"])))
        .send()
        .await;
    assert!(allowed.is_ok(), "{allowed:?}");
    for (document, instance) in [("AWS-RunShellScript", &prod), ("AWS-StopEC2Instance", &dev)] {
        let refused = ssm
            .send_command()
            .document_name(document)
            .instance_ids(instance)
            .set_parameters(Some(commands(&["true"])))
            .send()
            .await
            .expect_err("outside the policy");
        assert_eq!(
            error_code(&refused),
            "AccessDeniedException",
            "{document} {instance}"
        );
    }
    let by_tag = ssm
        .send_command()
        .document_name("AWS-RunShellScript")
        .targets(Target::builder().key("tag:Role").values("dev").build())
        .set_parameters(Some(commands(&["true"])))
        .send()
        .await
        .expect_err("instance/* is not only dev instances");
    assert_eq!(error_code(&by_tag), "AccessDeniedException");
}
