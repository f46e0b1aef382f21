//! Maintenance windows through aws-sdk-ssm: every operation, its errors,
//! the schedule, executions (none yet: no runner), tags, and windows
//! surviving a kill -9.
//!
//! Schedules are set in the far future, so what the API computes from
//! the real clock is known in advance.

use aws_sdk_ssm::types::{
    MaintenanceWindowAutomationParameters, MaintenanceWindowFilter, MaintenanceWindowResourceType,
    MaintenanceWindowRunCommandParameters, MaintenanceWindowTaskCutoffBehavior,
    MaintenanceWindowTaskInvocationParameters, MaintenanceWindowTaskType, PatchOrchestratorFilter,
    ResourceTypeForTagging, Tag, Target,
};
use ballast_sdk_tests::{Ballast, error_code, unique};

const UNKNOWN_WINDOW: &str = "mw-0123456789abcdef0";
const UNKNOWN_UUID: &str = "aaaaaaaa-2222-4333-a444-555555555555";

fn target(key: &str, values: &[&str]) -> Target {
    Target::builder()
        .key(key)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
}

fn filter(key: &str, values: &[&str]) -> MaintenanceWindowFilter {
    MaintenanceWindowFilter::builder()
        .key(key)
        .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
        .build()
}

async fn create(ssm: &aws_sdk_ssm::Client, name: &str, schedule: &str) -> String {
    ssm.create_maintenance_window()
        .name(name)
        .schedule(schedule)
        .duration(4)
        .cutoff(1)
        .allow_unassociated_targets(false)
        .send()
        .await
        .unwrap()
        .window_id()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn windows_from_create_to_delete() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = unique("patch");
    let id = ssm
        .create_maintenance_window()
        .name(&name)
        .description("third Tuesday, two days later")
        .schedule("cron(30 23 ? * TUE#3 *)")
        .schedule_offset(2)
        .schedule_timezone("Europe/Berlin")
        .start_date("2090-01-01T00:00:00Z")
        .duration(4)
        .cutoff(1)
        .allow_unassociated_targets(true)
        .tags(Tag::builder().key("team").value("ops").build().unwrap())
        .client_token("create-once")
        .send()
        .await
        .unwrap()
        .window_id()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("mw-") && id.len() == 20, "{id}");

    let got = ssm
        .get_maintenance_window()
        .window_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.name(), Some(name.as_str()));
    assert_eq!(got.schedule(), Some("cron(30 23 ? * TUE#3 *)"));
    assert_eq!(got.schedule_offset(), Some(2));
    assert_eq!(got.schedule_timezone(), Some("Europe/Berlin"));
    assert_eq!(got.duration(), Some(4));
    assert_eq!(got.cutoff(), 1);
    assert!(got.enabled());
    assert!(got.allow_unassociated_targets());
    // The third Tuesday of January 2090 is the 17th; two days later, in
    // Berlin's winter time.
    assert_eq!(got.next_execution_time(), Some("2090-01-19T23:30+01:00"));
    assert!(got.created_date().is_some() && got.modified_date().is_some());

    let updated = ssm
        .update_maintenance_window()
        .window_id(&id)
        .schedule("rate(7 days)")
        .set_schedule_offset(None)
        .replace(true)
        .name(&name)
        .duration(2)
        .cutoff(0)
        .allow_unassociated_targets(false)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.schedule(), Some("rate(7 days)"));
    // Replace cleared what it did not name.
    assert_eq!(updated.description(), None);
    assert_eq!(updated.schedule_timezone(), None);
    assert_eq!(updated.start_date(), None);

    let listed = ssm
        .describe_maintenance_windows()
        .filters(filter("Name", &[&name]))
        .send()
        .await
        .unwrap();
    let windows = listed.window_identities();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].window_id(), Some(id.as_str()));
    assert_eq!(windows[0].duration(), Some(2));
    assert!(windows[0].next_execution_time().is_some());

    let tags = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::MaintenanceWindow)
        .resource_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_list().len(), 1);
    assert_eq!(tags.tag_list()[0].key(), "team");

    let deleted = ssm
        .delete_maintenance_window()
        .window_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.window_id(), Some(id.as_str()));
    let missing = ssm
        .get_maintenance_window()
        .window_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "DoesNotExistException");
}

#[tokio::test]
async fn window_errors() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let attempt = |schedule: &str, duration: i32, cutoff: i32| {
        ssm.create_maintenance_window()
            .name("refused")
            .schedule(schedule)
            .duration(duration)
            .cutoff(cutoff)
            .allow_unassociated_targets(false)
            .send()
    };
    for (schedule, duration, cutoff) in [
        ("cron(0 2 * * SUN *)", 3, 1),
        ("rate(2 weeks)", 3, 1),
        ("whenever", 3, 1),
        ("rate(1 day)", 3, 3),
        ("rate(1 day)", 25, 1),
    ] {
        let err = attempt(schedule, duration, cutoff).await.unwrap_err();
        assert_eq!(error_code(&err), "ValidationException", "{schedule}");
    }
    let err = ssm
        .create_maintenance_window()
        .name("zoned")
        .schedule("rate(1 day)")
        .schedule_timezone("Atlantis/Capital")
        .duration(2)
        .cutoff(1)
        .allow_unassociated_targets(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    let none = ssm.describe_maintenance_windows().send().await.unwrap();
    assert!(none.window_identities().is_empty());

    // A used token with another request.
    let token = |duration: i32| {
        ssm.create_maintenance_window()
            .name("tokened")
            .schedule("rate(1 day)")
            .duration(duration)
            .cutoff(1)
            .allow_unassociated_targets(false)
            .client_token("token-x")
            .send()
    };
    let first = token(2).await.unwrap();
    let again = token(2).await.unwrap();
    assert_eq!(first.window_id(), again.window_id());
    let err = token(3).await.unwrap_err();
    assert_eq!(error_code(&err), "IdempotentParameterMismatch");

    let err = ssm
        .update_maintenance_window()
        .window_id(UNKNOWN_WINDOW)
        .enabled(false)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
}

#[tokio::test]
async fn targets_and_tasks() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let window = create(&ssm, &unique("graceful"), "cron(0 3 ? * SUN 2090)").await;

    let web = ssm
        .register_target_with_maintenance_window()
        .window_id(&window)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(target("tag:Role", &["web"]))
        .owner_information("ops")
        .name("web-servers")
        .send()
        .await
        .unwrap()
        .window_target_id()
        .unwrap()
        .to_owned();
    let err = ssm
        .register_target_with_maintenance_window()
        .window_id(&window)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(target("Color", &["red"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    let err = ssm
        .register_target_with_maintenance_window()
        .window_id(UNKNOWN_WINDOW)
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(target("tag:Role", &["web"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");

    let updated = ssm
        .update_maintenance_window_target()
        .window_id(&window)
        .window_target_id(&web)
        .description("the web fleet")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.name(), Some("web-servers"));
    assert_eq!(updated.description(), Some("the web fleet"));
    let targets = ssm
        .describe_maintenance_window_targets()
        .window_id(&window)
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets().len(), 1);
    assert_eq!(
        targets.targets()[0].resource_type(),
        Some(&MaintenanceWindowResourceType::Instance)
    );

    // Seed 000's task: an Automation per target, one at a time.
    let automation = MaintenanceWindowTaskInvocationParameters::builder()
        .automation(
            MaintenanceWindowAutomationParameters::builder()
                .document_version("$DEFAULT")
                .parameters("InstanceId", vec!["{{ TARGET_ID }}".to_owned()])
                .build(),
        )
        .build();
    let task = ssm
        .register_task_with_maintenance_window()
        .window_id(&window)
        .task_arn("GracefulMaintenance")
        .task_type(MaintenanceWindowTaskType::Automation)
        .targets(target("WindowTargetIds", &[&web]))
        .max_concurrency("1")
        .max_errors("0")
        .priority(1)
        .service_role_arn("arn:aws:iam::000000000000:role/maintenance")
        .task_invocation_parameters(automation.clone())
        .cutoff_behavior(MaintenanceWindowTaskCutoffBehavior::CancelTask)
        .send()
        .await
        .unwrap()
        .window_task_id()
        .unwrap()
        .to_owned();
    let got = ssm
        .get_maintenance_window_task()
        .window_id(&window)
        .window_task_id(&task)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.task_type(),
        Some(&MaintenanceWindowTaskType::Automation)
    );
    assert_eq!(got.max_concurrency(), Some("1"));
    assert_eq!(got.max_errors(), Some("0"));
    assert_eq!(
        got.cutoff_behavior(),
        Some(&MaintenanceWindowTaskCutoffBehavior::CancelTask)
    );
    assert_eq!(got.task_invocation_parameters(), Some(&automation));

    for (task_type, code) in [
        (
            MaintenanceWindowTaskType::Lambda,
            "FeatureNotAvailableException",
        ),
        (
            MaintenanceWindowTaskType::StepFunctions,
            "FeatureNotAvailableException",
        ),
    ] {
        let err = ssm
            .register_task_with_maintenance_window()
            .window_id(&window)
            .task_arn("arn:aws:lambda:us-east-1:000000000000:function:patch")
            .task_type(task_type)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), code);
    }
    let err = ssm
        .register_task_with_maintenance_window()
        .window_id(&window)
        .task_arn("AWS-RunShellScript")
        .task_type(MaintenanceWindowTaskType::RunCommand)
        .targets(target("WindowTargetIds", &[UNKNOWN_UUID]))
        .max_concurrency("1")
        .max_errors("0")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    // Run Command parameters do not go with an Automation task.
    let err = ssm
        .update_maintenance_window_task()
        .window_id(&window)
        .window_task_id(&task)
        .task_invocation_parameters(
            MaintenanceWindowTaskInvocationParameters::builder()
                .run_command(MaintenanceWindowRunCommandParameters::builder().build())
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");

    let updated = ssm
        .update_maintenance_window_task()
        .window_id(&window)
        .window_task_id(&task)
        .priority(3)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.priority(), 3);
    assert_eq!(updated.max_concurrency(), Some("1"));
    let tasks = ssm
        .describe_maintenance_window_tasks()
        .window_id(&window)
        .filters(filter("TaskType", &["AUTOMATION"]))
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.tasks().len(), 1);
    assert_eq!(tasks.tasks()[0].priority(), 3);

    let for_target = ssm
        .describe_maintenance_windows_for_target()
        .resource_type(MaintenanceWindowResourceType::Instance)
        .targets(target("tag:Role", &["web"]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        for_target.window_identities()[0].window_id(),
        Some(window.as_str())
    );

    let err = ssm
        .deregister_target_from_maintenance_window()
        .window_id(&window)
        .window_target_id(&web)
        .safe(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "TargetInUseException");
    ssm.deregister_task_from_maintenance_window()
        .window_id(&window)
        .window_task_id(&task)
        .send()
        .await
        .unwrap();
    let err = ssm
        .get_maintenance_window_task()
        .window_id(&window)
        .window_task_id(&task)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    ssm.deregister_target_from_maintenance_window()
        .window_id(&window)
        .window_target_id(&web)
        .safe(true)
        .send()
        .await
        .unwrap();
    let err = ssm
        .deregister_task_from_maintenance_window()
        .window_id(&window)
        .window_task_id(&task)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
}

#[tokio::test]
async fn schedule_and_executions() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let window = create(&ssm, &unique("nightly"), "cron(0 3 * * ? 2090)").await;
    let page = ssm
        .describe_maintenance_window_schedule()
        .window_id(&window)
        .max_results(3)
        .send()
        .await
        .unwrap();
    let times: Vec<&str> = page
        .scheduled_window_executions()
        .iter()
        .filter_map(|r| r.execution_time())
        .collect();
    assert_eq!(
        times,
        [
            "2090-01-01T03:00Z",
            "2090-01-02T03:00Z",
            "2090-01-03T03:00Z"
        ]
    );
    let next = ssm
        .describe_maintenance_window_schedule()
        .window_id(&window)
        .max_results(1)
        .set_next_token(page.next_token().map(str::to_owned))
        .send()
        .await
        .unwrap();
    assert_eq!(
        next.scheduled_window_executions()[0].execution_time(),
        Some("2090-01-04T03:00Z")
    );
    let bounded = ssm
        .describe_maintenance_window_schedule()
        .window_id(&window)
        .filters(
            PatchOrchestratorFilter::builder()
                .key("ScheduledBefore")
                .values("2090-01-02T12:00:00Z")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bounded.scheduled_window_executions().len(), 2);
    let err = ssm
        .describe_maintenance_window_schedule()
        .window_id(UNKNOWN_WINDOW)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");

    // No runner yet: no executions, and the calls on one say so.
    let executions = ssm
        .describe_maintenance_window_executions()
        .window_id(&window)
        .send()
        .await
        .unwrap();
    assert!(executions.window_executions().is_empty());
    let err = ssm
        .get_maintenance_window_execution()
        .window_execution_id(UNKNOWN_UUID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    let err = ssm
        .describe_maintenance_window_execution_tasks()
        .window_execution_id(UNKNOWN_UUID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    let err = ssm
        .get_maintenance_window_execution_task()
        .window_execution_id(UNKNOWN_UUID)
        .task_id(UNKNOWN_UUID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    let err = ssm
        .describe_maintenance_window_execution_task_invocations()
        .window_execution_id(UNKNOWN_UUID)
        .task_id(UNKNOWN_UUID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    let err = ssm
        .get_maintenance_window_execution_task_invocation()
        .window_execution_id(UNKNOWN_UUID)
        .task_id(UNKNOWN_UUID)
        .invocation_id(UNKNOWN_UUID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    let err = ssm
        .cancel_maintenance_window_execution()
        .window_execution_id(UNKNOWN_UUID)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DoesNotExistException");
    // A malformed id is the model's validation error.
    let err = ssm
        .get_maintenance_window_execution()
        .window_execution_id("not-a-uuid")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
}

#[tokio::test]
async fn windows_survive_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Ballast::start_in(dir.path(), &[]);
    let (window, target, task) = {
        let ssm = first.ssm();
        let window = create(&ssm, "durable", "rate(1 day)").await;
        let target = ssm
            .register_target_with_maintenance_window()
            .window_id(&window)
            .resource_type(MaintenanceWindowResourceType::Instance)
            .targets(target("InstanceIds", &["i-0123456789abcdef0"]))
            .send()
            .await
            .unwrap()
            .window_target_id()
            .unwrap()
            .to_owned();
        let task = ssm
            .register_task_with_maintenance_window()
            .window_id(&window)
            .task_arn("AWS-RunShellScript")
            .task_type(MaintenanceWindowTaskType::RunCommand)
            .targets(target_ids(&target))
            .max_concurrency("2")
            .max_errors("1")
            .send()
            .await
            .unwrap()
            .window_task_id()
            .unwrap()
            .to_owned();
        (window, target, task)
    };
    first.kill9();
    let second = Ballast::start_in(dir.path(), &[]);
    let ssm = second.ssm();
    let got = ssm
        .get_maintenance_window()
        .window_id(&window)
        .send()
        .await
        .unwrap();
    assert_eq!(got.schedule(), Some("rate(1 day)"));
    let targets = ssm
        .describe_maintenance_window_targets()
        .window_id(&window)
        .send()
        .await
        .unwrap();
    assert_eq!(
        targets.targets()[0].window_target_id(),
        Some(target.as_str())
    );
    let got = ssm
        .get_maintenance_window_task()
        .window_id(&window)
        .window_task_id(&task)
        .send()
        .await
        .unwrap();
    assert_eq!(got.max_concurrency(), Some("2"));
}

fn target_ids(id: &str) -> Target {
    target("WindowTargetIds", &[id])
}
