//! Maintenance windows that really run, through aws-sdk-ssm: a window
//! scheduled `at(…)` a few seconds ahead fires on the wall clock, runs its
//! tasks lowest priority first, each one target at a time, as Run Command
//! commands and Automation executions whose effects show inside the
//! instances; `MaxErrors` stops a task, and a cancelled window stops its
//! runbook.

use std::time::{Duration, SystemTime};

use aws_sdk_ssm::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ssm::types::{
    DocumentFormat, DocumentType, MaintenanceWindowAutomationParameters,
    MaintenanceWindowExecution, MaintenanceWindowExecutionStatus,
    MaintenanceWindowExecutionTaskIdentity, MaintenanceWindowExecutionTaskInvocationIdentity,
    MaintenanceWindowRunCommandParameters, MaintenanceWindowTaskInvocationParameters,
    MaintenanceWindowTaskType, Target,
};
use ballast_sdk_tests::{Ballast, eventually, process_ended, unique, written_pid};

use crate::run_command::{home_file, launch, profile, wait_managed};

const WAIT: Duration = Duration::from_secs(60);

/// A schedule that never comes during a test.
const LATER: &str = "at(2090-01-01T00:00:00)";

fn target(key: &str, values: &[String]) -> Target {
    Target::builder()
        .key(key)
        .set_values(Some(values.to_vec()))
        .build()
}

/// `at(…)` a few seconds from now, in UTC.
fn soon() -> String {
    let at = SystemTime::now() + Duration::from_secs(3);
    let text = DateTime::from(at)
        .fmt(DateTimeFormat::DateTime)
        .expect("a time");
    format!("at({})", &text[..19])
}

/// Schedules a window a few seconds from now: its tasks are registered
/// by then, since it was made with a schedule years away.
async fn start_soon(ballast: &Ballast, window: &str) {
    ballast
        .ssm()
        .update_maintenance_window()
        .window_id(window)
        .schedule(soon())
        .send()
        .await
        .expect("UpdateMaintenanceWindow");
}

/// A window far in the future, with the instances tagged `Role=role` as
/// its target; returns (window id, window target id).
async fn window(ballast: &Ballast, role: &str) -> (String, String) {
    let ssm = ballast.ssm();
    let window = ssm
        .create_maintenance_window()
        .name(unique("runs"))
        .schedule(LATER)
        .duration(2)
        .cutoff(0)
        .allow_unassociated_targets(false)
        .send()
        .await
        .expect("CreateMaintenanceWindow")
        .window_id()
        .expect("id")
        .to_owned();
    let target = ssm
        .register_target_with_maintenance_window()
        .window_id(&window)
        .resource_type(aws_sdk_ssm::types::MaintenanceWindowResourceType::Instance)
        .targets(target("tag:Role", &[role.to_owned()]))
        .send()
        .await
        .expect("RegisterTargetWithMaintenanceWindow")
        .window_target_id()
        .expect("id")
        .to_owned();
    (window, target)
}

fn shell(lines: &[&str]) -> MaintenanceWindowTaskInvocationParameters {
    MaintenanceWindowTaskInvocationParameters::builder()
        .run_command(
            MaintenanceWindowRunCommandParameters::builder()
                .parameters("commands", lines.iter().map(|l| (*l).to_owned()).collect())
                .build(),
        )
        .build()
}

async fn ended(ballast: &Ballast, window: &str) -> MaintenanceWindowExecution {
    let ssm = ballast.ssm();
    eventually("the window execution to end", WAIT, || async {
        let out = ssm
            .describe_maintenance_window_executions()
            .window_id(window)
            .send()
            .await
            .ok()?;
        out.window_executions()
            .iter()
            .find(|e| {
                !matches!(
                    e.status(),
                    Some(MaintenanceWindowExecutionStatus::Pending)
                        | Some(MaintenanceWindowExecutionStatus::InProgress)
                        | Some(MaintenanceWindowExecutionStatus::Cancelling)
                        | None
                )
            })
            .cloned()
    })
    .await
}

async fn tasks(ballast: &Ballast, execution: &str) -> Vec<MaintenanceWindowExecutionTaskIdentity> {
    let mut tasks = ballast
        .ssm()
        .describe_maintenance_window_execution_tasks()
        .window_execution_id(execution)
        .send()
        .await
        .expect("DescribeMaintenanceWindowExecutionTasks")
        .window_execution_task_identities()
        .to_vec();
    tasks.sort_by_key(|t| t.start_time().map(|d| d.as_nanos()));
    tasks
}

async fn invocations(
    ballast: &Ballast,
    execution: &str,
    task: &str,
) -> Vec<MaintenanceWindowExecutionTaskInvocationIdentity> {
    let mut invocations = ballast
        .ssm()
        .describe_maintenance_window_execution_task_invocations()
        .window_execution_id(execution)
        .task_id(task)
        .send()
        .await
        .expect("DescribeMaintenanceWindowExecutionTaskInvocations")
        .window_execution_task_invocation_identities()
        .to_vec();
    invocations.sort_by_key(|i| i.start_time().map(|d| d.as_nanos()));
    invocations
}

fn status(text: Option<&MaintenanceWindowExecutionStatus>) -> &str {
    text.map(|s| s.as_str()).unwrap_or("")
}

const WRITER: &str = r#"
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
  Window:
    type: String
mainSteps:
  - name: Write
    action: aws:runCommand
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds:
        - '{{ InstanceId }}'
      Parameters:
        commands: 'echo {{ Window }} > $HOME/second'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_runs_its_tasks_by_priority_one_target_at_a_time() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    profile(&ballast, "window-managed", true).await;
    let ids = launch(&ballast, 2, "window-managed", "web").await;
    wait_managed(&ballast, &ids).await;
    let ssm = ballast.ssm();
    let runbook = unique("writer");
    ssm.create_document()
        .name(&runbook)
        .document_type(DocumentType::Automation)
        .document_format(DocumentFormat::Yaml)
        .content(WRITER)
        .send()
        .await
        .expect("CreateDocument");
    let (window, target_id) = window(&ballast, "web").await;
    let on_targets = target("WindowTargetIds", std::slice::from_ref(&target_id));
    // Registered second but with the lower priority: it runs first.
    ssm.register_task_with_maintenance_window()
        .window_id(&window)
        .task_type(MaintenanceWindowTaskType::Automation)
        .task_arn(&runbook)
        .priority(2)
        .max_concurrency("1")
        .max_errors("0")
        .targets(on_targets.clone())
        .task_invocation_parameters(
            MaintenanceWindowTaskInvocationParameters::builder()
                .automation(
                    MaintenanceWindowAutomationParameters::builder()
                        .document_version("$LATEST")
                        .parameters("InstanceId", vec!["{{ TARGET_ID }}".to_owned()])
                        .parameters("Window", vec!["{{ WINDOW_ID }}".to_owned()])
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow (automation)");
    ssm.register_task_with_maintenance_window()
        .window_id(&window)
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .task_arn("AWS-RunShellScript")
        .priority(1)
        .max_concurrency("1")
        .max_errors("0")
        .targets(on_targets)
        .task_invocation_parameters(shell(&[
            "echo {{ WINDOW_EXECUTION_ID }} {{ TARGET_ID }} > $HOME/first",
        ]))
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow (command)");
    start_soon(&ballast, &window).await;

    let execution = ended(&ballast, &window).await;
    assert_eq!(status(execution.status()), "SUCCESS", "{execution:?}");
    let execution_id = execution.window_execution_id().expect("id");
    let tasks = tasks(&ballast, execution_id).await;
    assert_eq!(tasks.len(), 2);
    assert_eq!(
        tasks[0].task_type(),
        Some(&MaintenanceWindowTaskType::RunCommand)
    );
    assert!(tasks[0].end_time() <= tasks[1].start_time(), "{tasks:?}");
    for task in &tasks {
        assert_eq!(status(task.status()), "SUCCESS", "{task:?}");
        let runs = invocations(&ballast, execution_id, task.task_execution_id().unwrap()).await;
        assert_eq!(runs.len(), 2);
        assert!(
            runs.iter().all(|r| status(r.status()) == "SUCCESS"),
            "{runs:?}"
        );
        assert!(
            runs[0].end_time() <= runs[1].start_time(),
            "one at a time: {runs:?}"
        );
    }
    // What the commands wrote, with the pseudo parameters replaced.
    for id in &ids {
        let first = std::fs::read_to_string(home_file(&ballast, id, "first")).expect("first");
        assert_eq!(first.trim(), format!("{execution_id} {id}"));
        let second = std::fs::read_to_string(home_file(&ballast, id, "second")).expect("second");
        assert_eq!(second.trim(), window);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_errors_stops_a_task_and_a_cancelled_window_stops_its_runbook() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    profile(&ballast, "window-failing", true).await;
    let ids = launch(&ballast, 2, "window-failing", "db").await;
    wait_managed(&ballast, &ids).await;
    let ssm = ballast.ssm();
    let (failing, target_id) = window(&ballast, "db").await;
    ssm.register_task_with_maintenance_window()
        .window_id(&failing)
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .task_arn("AWS-RunShellScript")
        .max_concurrency("1")
        .max_errors("0")
        .targets(target("WindowTargetIds", &[target_id]))
        .task_invocation_parameters(shell(&["exit 3"]))
        .send()
        .await
        .unwrap();
    start_soon(&ballast, &failing).await;
    let execution = ended(&ballast, &failing).await;
    assert_eq!(status(execution.status()), "FAILED", "{execution:?}");
    let execution_id = execution.window_execution_id().unwrap();
    let task = tasks(&ballast, execution_id).await.remove(0);
    assert_eq!(status(task.status()), "FAILED");
    let runs = invocations(&ballast, execution_id, task.task_execution_id().unwrap()).await;
    let mut statuses: Vec<&str> = runs.iter().map(|r| status(r.status())).collect();
    statuses.sort();
    assert_eq!(statuses, ["CANCELLED", "FAILED"], "the second never ran");

    // A runbook that sleeps, stopped with its window.
    let sleeper = unique("sleeper");
    ssm.create_document()
        .name(&sleeper)
        .document_type(DocumentType::Automation)
        .document_format(DocumentFormat::Yaml)
        .content("schemaVersion: '0.3'\nmainSteps:\n  - name: Long\n    action: aws:sleep\n    inputs:\n      Duration: PT2H\n")
        .send()
        .await
        .unwrap();
    let sleeping = ssm
        .create_maintenance_window()
        .name(unique("sleeping"))
        .schedule(LATER)
        .duration(3)
        .cutoff(1)
        .allow_unassociated_targets(true)
        .send()
        .await
        .unwrap()
        .window_id()
        .unwrap()
        .to_owned();
    ssm.register_task_with_maintenance_window()
        .window_id(&sleeping)
        .task_type(MaintenanceWindowTaskType::Automation)
        .task_arn(&sleeper)
        .send()
        .await
        .unwrap();
    start_soon(&ballast, &sleeping).await;
    let running = eventually("the sleeper to start", WAIT, || async {
        let out = ssm.describe_automation_executions().send().await.ok()?;
        out.automation_execution_metadata_list()
            .iter()
            .find(|m| m.document_name() == Some(sleeper.as_str()))
            .and_then(|m| m.automation_execution_id().map(str::to_owned))
    })
    .await;
    let execution = ssm
        .describe_maintenance_window_executions()
        .window_id(&sleeping)
        .send()
        .await
        .unwrap()
        .window_executions()[0]
        .window_execution_id()
        .unwrap()
        .to_owned();
    ssm.cancel_maintenance_window_execution()
        .window_execution_id(&execution)
        .send()
        .await
        .expect("CancelMaintenanceWindowExecution");
    let cancelled = ended(&ballast, &sleeping).await;
    assert_eq!(status(cancelled.status()), "CANCELLED");
    eventually("the runbook to be cancelled", WAIT, || async {
        let got = ssm
            .get_automation_execution()
            .automation_execution_id(&running)
            .send()
            .await
            .ok()?;
        let status = got.automation_execution()?.automation_execution_status()?;
        (status.as_str() == "Cancelled").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_run_carries_on_after_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Ballast::start_in(dir.path(), &["--time-scale", "0.02"]);
    let ssm = first.ssm();
    let napper = unique("napper");
    // Five minutes of AWS time: 6 s here.
    ssm.create_document()
        .name(&napper)
        .document_type(DocumentType::Automation)
        .document_format(DocumentFormat::Yaml)
        .content("schemaVersion: '0.3'\nmainSteps:\n  - name: Nap\n    action: aws:sleep\n    inputs:\n      Duration: PT5M\n")
        .send()
        .await
        .unwrap();
    let window = ssm
        .create_maintenance_window()
        .name(unique("durable"))
        .schedule(LATER)
        .duration(2)
        .cutoff(0)
        .allow_unassociated_targets(true)
        .send()
        .await
        .unwrap()
        .window_id()
        .unwrap()
        .to_owned();
    ssm.register_task_with_maintenance_window()
        .window_id(&window)
        .task_type(MaintenanceWindowTaskType::Automation)
        .task_arn(&napper)
        .send()
        .await
        .unwrap();
    start_soon(&first, &window).await;
    let napping = eventually("the runbook to start", WAIT, || async {
        let out = ssm.describe_automation_executions().send().await.ok()?;
        out.automation_execution_metadata_list()
            .iter()
            .find(|m| m.current_step_name() == Some("Nap"))
            .and_then(|m| m.automation_execution_id().map(str::to_owned))
    })
    .await;
    first.kill9();

    let second = Ballast::start_in(dir.path(), &["--time-scale", "0.02"]);
    let execution = ended(&second, &window).await;
    assert_eq!(status(execution.status()), "SUCCESS", "{execution:?}");
    let got = second
        .ssm()
        .get_automation_execution()
        .automation_execution_id(&napping)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.automation_execution()
            .and_then(|e| e.automation_execution_status())
            .map(|s| s.as_str()),
        Some("Success")
    );
    // Exactly one run of the window, and one of its runbook.
    let executions = second
        .ssm()
        .describe_maintenance_window_executions()
        .window_id(&window)
        .send()
        .await
        .unwrap();
    assert_eq!(executions.window_executions().len(), 1);
    let runbooks = second
        .ssm()
        .describe_automation_executions()
        .send()
        .await
        .unwrap();
    assert_eq!(runbooks.automation_execution_metadata_list().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_task_cutoff_stops_a_running_command() {
    // A one-hour window with no cutoff margin ends 7.2 s after it fires.
    let ballast = Ballast::start_with(&["--time-scale", "0.002"]);
    profile(&ballast, "window-cutoff", true).await;
    let ids = launch(&ballast, 1, "window-cutoff", "batch").await;
    wait_managed(&ballast, &ids).await;
    let ssm = ballast.ssm();
    let (window_id, target_id) = window(&ballast, "batch").await;
    ssm.update_maintenance_window()
        .window_id(&window_id)
        .duration(1)
        .send()
        .await
        .expect("UpdateMaintenanceWindow");
    let mut parameters = shell(&["sleep 1000000 & echo $! > \"$HOME/cut-off.pid\"; wait"]);
    if let Some(run) = parameters.run_command.as_mut() {
        run.parameters
            .get_or_insert_with(Default::default)
            .insert("executionTimeout".to_owned(), vec!["172800".to_owned()]);
    }
    ssm.register_task_with_maintenance_window()
        .window_id(&window_id)
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .task_arn("AWS-RunShellScript")
        .cutoff_behavior(aws_sdk_ssm::types::MaintenanceWindowTaskCutoffBehavior::CancelTask)
        .max_concurrency("1")
        .max_errors("0")
        .targets(target("WindowTargetIds", &[target_id]))
        .task_invocation_parameters(parameters)
        .send()
        .await
        .expect("RegisterTaskWithMaintenanceWindow");
    start_soon(&ballast, &window_id).await;
    let sleeper = written_pid(&home_file(&ballast, &ids[0], "cut-off.pid"), WAIT).await;
    let execution = ended(&ballast, &window_id).await;
    assert_eq!(status(execution.status()), "TIMED_OUT", "{execution:?}");
    // The cutoff cancelled the command, so its script was stopped.
    process_ended(sleeper, "the cut-off script's sleep to end", WAIT).await;
    let execution_id = execution.window_execution_id().unwrap();
    let task = tasks(&ballast, execution_id).await.remove(0);
    assert_eq!(status(task.status()), "TIMED_OUT");
    let runs = invocations(&ballast, execution_id, task.task_execution_id().unwrap()).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(status(runs[0].status()), "TIMED_OUT");
    let command = runs[0].execution_id().expect("the command").to_owned();
    let listed = ssm
        .list_commands()
        .command_id(&command)
        .send()
        .await
        .expect("ListCommands");
    assert_eq!(
        listed.commands()[0].status().map(|s| s.as_str()),
        Some("Cancelled")
    );
}
