//! Maintenance windows in process: every operation, its errors, the store
//! left unchanged by a refused call, executions written as a runner will
//! write them, tags, and authorization on the window's ARN.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ballast_core::ssm::maintenance_window::TaskType;
use ballast_core::ssm::maintenance_window::execution::{
    ExecutionStatus, TaskExecution, TaskInvocation, WindowExecution,
};
use serde_json::{Value, json};
use support::{Api, Call, Reply};

fn ssm(op: &str, body: Value) -> Call {
    Call::json("ssm", op, body)
}

async fn create(api: &Api, body: Value) -> String {
    let mut full = json!({
        "Name": "patching",
        "Schedule": "cron(0 2 ? * SUN *)",
        "Duration": 3,
        "Cutoff": 1,
        "AllowUnassociatedTargets": false,
    });
    full.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    let reply = api.root(ssm("CreateMaintenanceWindow", full)).await.ok();
    reply.json()["WindowId"].as_str().unwrap().to_owned()
}

async fn count_windows(api: &Api) -> usize {
    let reply = api
        .root(ssm("DescribeMaintenanceWindows", json!({})))
        .await
        .ok();
    reply.json()["WindowIdentities"].as_array().unwrap().len()
}

#[tokio::test]
async fn create_get_update_delete() {
    let api = Api::new();
    let id = create(
        &api,
        json!({
            "Description": "weekly",
            "ScheduleTimezone": "America/Los_Angeles",
            "StartDate": "2090-01-01T00:00:00-08:00",
        }),
    )
    .await;
    assert!(id.starts_with("mw-") && id.len() == 20, "{id}");
    let got = api
        .json_ok("ssm", "GetMaintenanceWindow", json!({"WindowId": id}))
        .await;
    assert_eq!(got["Name"], "patching");
    assert_eq!(got["Description"], "weekly");
    assert_eq!(got["Schedule"], "cron(0 2 ? * SUN *)");
    assert_eq!(got["ScheduleTimezone"], "America/Los_Angeles");
    assert_eq!(got["Duration"], 3);
    assert_eq!(got["Cutoff"], 1);
    assert_eq!(got["Enabled"], true);
    assert_eq!(got["AllowUnassociatedTargets"], false);
    // The first Sunday on or after 2090-01-01 in Los Angeles, at 02:00.
    assert_eq!(got["NextExecutionTime"], "2090-01-01T02:00-08:00");
    assert!(got["CreatedDate"].is_number());

    let updated = api
        .json_ok(
            "ssm",
            "UpdateMaintenanceWindow",
            json!({"WindowId": id, "Name": "renamed", "Enabled": false}),
        )
        .await;
    assert_eq!(updated["Name"], "renamed");
    assert_eq!(updated["Enabled"], false);
    assert_eq!(updated["Description"], "weekly");
    let got = api
        .json_ok("ssm", "GetMaintenanceWindow", json!({"WindowId": id}))
        .await;
    assert!(got.get("NextExecutionTime").is_none(), "{got}");

    let deleted = api
        .root(ssm("DeleteMaintenanceWindow", json!({"WindowId": id})))
        .await
        .ok();
    assert_eq!(deleted.json()["WindowId"], id.as_str());
    api.root(ssm("GetMaintenanceWindow", json!({"WindowId": id})))
        .await
        .assert_code("DoesNotExistException");
    // Deleting again answers as AWS does: no error.
    api.root(ssm("DeleteMaintenanceWindow", json!({"WindowId": id})))
        .await
        .ok();
}

#[tokio::test]
async fn refused_windows_leave_nothing() {
    let api = Api::new();
    let base = json!({
        "Name": "patching",
        "Schedule": "rate(1 day)",
        "Duration": 3,
        "Cutoff": 1,
        "AllowUnassociatedTargets": false,
    });
    let with = |extra: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (extra, what) in [
        (json!({"Cutoff": 3}), "Cutoff"),
        (json!({"Schedule": "cron(0 2 * * SUN *)"}), "schedule"),
        (json!({"Schedule": "rate(5 weeks)"}), "schedule"),
        (json!({"Schedule": "at(soon)"}), "schedule"),
        (json!({"ScheduleTimezone": "Mars/Base"}), "ScheduleTimezone"),
        (json!({"ScheduleOffset": 2}), "ScheduleOffset"),
        (json!({"StartDate": "yesterday"}), "StartDate"),
        (
            json!({"StartDate": "2030-02-01T00:00:00Z", "EndDate": "2030-01-01T00:00:00Z"}),
            "EndDate",
        ),
    ] {
        let reply = api.root(ssm("CreateMaintenanceWindow", with(extra))).await;
        reply.assert_code("ValidationException");
        assert!(reply.message().contains(what), "{}", reply.body);
    }
    // The model's ranges.
    let reply = api
        .root(ssm(
            "CreateMaintenanceWindow",
            with(json!({"Duration": 25})),
        ))
        .await;
    reply.assert_code("ValidationException");
    assert!(
        reply.message().contains("less than or equal to 24"),
        "{}",
        reply.body
    );
    api.root(ssm("CreateMaintenanceWindow", with(json!({"Name": "a b"}))))
        .await
        .assert_code("ValidationException");
    assert_eq!(count_windows(&api).await, 0);
    // Update is checked as create is, and a missing window does not exist.
    let id = create(&api, json!({})).await;
    api.root(ssm(
        "UpdateMaintenanceWindow",
        json!({"WindowId": id, "Cutoff": 5}),
    ))
    .await
    .assert_code("ValidationException");
    api.root(ssm(
        "UpdateMaintenanceWindow",
        json!({"WindowId": id, "Name": "x-y-z", "Replace": true}),
    ))
    .await
    .assert_code("ValidationException");
    api.root(ssm(
        "UpdateMaintenanceWindow",
        json!({"WindowId": "mw-0123456789abcdef0", "Name": "x-y-z"}),
    ))
    .await
    .assert_code("DoesNotExistException");
    let got = api
        .json_ok("ssm", "GetMaintenanceWindow", json!({"WindowId": id}))
        .await;
    assert_eq!(got["Cutoff"], 1);
    assert_eq!(got["Name"], "patching");
}

#[tokio::test]
async fn client_tokens_and_the_window_limit() {
    let api = Api::new();
    let body = json!({
        "Name": "tokened",
        "Schedule": "rate(1 day)",
        "Duration": 2,
        "Cutoff": 0,
        "AllowUnassociatedTargets": true,
        "ClientToken": "token-1",
    });
    let first = api
        .root(ssm("CreateMaintenanceWindow", body.clone()))
        .await
        .ok();
    let again = api
        .root(ssm("CreateMaintenanceWindow", body.clone()))
        .await
        .ok();
    assert_eq!(first.json()["WindowId"], again.json()["WindowId"]);
    let mut other = body.clone();
    other["Duration"] = json!(4);
    api.root(ssm("CreateMaintenanceWindow", other))
        .await
        .assert_code("IdempotentParameterMismatch");
    assert_eq!(count_windows(&api).await, 1);
    for _ in 1..50 {
        create(&api, json!({})).await;
    }
    let reply = api
        .root(ssm(
            "CreateMaintenanceWindow",
            json!({"Name": "one-too-many", "Schedule": "rate(1 day)", "Duration": 2, "Cutoff": 0, "AllowUnassociatedTargets": true}),
        ))
        .await;
    reply.assert_code("ResourceLimitExceededException");
    // Paging through the 50: 10 at a time, every window once.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"MaxResults": 10});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = api.json_ok("ssm", "DescribeMaintenanceWindows", body).await;
        for w in page["WindowIdentities"].as_array().unwrap() {
            seen.push(w["WindowId"].as_str().unwrap().to_owned());
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 50);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 50);
    api.root(ssm(
        "DescribeMaintenanceWindows",
        json!({"NextToken": "not-a-token"}),
    ))
    .await
    .assert_code("ValidationException");
}

#[tokio::test]
async fn describe_filters() {
    let api = Api::new();
    let a = create(&api, json!({"Name": "alpha"})).await;
    let b = create(&api, json!({"Name": "beta"})).await;
    api.root(ssm(
        "UpdateMaintenanceWindow",
        json!({"WindowId": b, "Enabled": false}),
    ))
    .await
    .ok();
    let ids = |reply: Reply| -> Vec<String> {
        reply.json()["WindowIdentities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["WindowId"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_name = api
        .root(ssm(
            "DescribeMaintenanceWindows",
            json!({"Filters": [{"Key": "Name", "Values": ["alpha"]}]}),
        ))
        .await
        .ok();
    assert_eq!(ids(by_name), [a]);
    let disabled = api
        .root(ssm(
            "DescribeMaintenanceWindows",
            json!({"Filters": [{"Key": "Enabled", "Values": ["false"]}]}),
        ))
        .await
        .ok();
    assert_eq!(ids(disabled), [b]);
    api.root(ssm(
        "DescribeMaintenanceWindows",
        json!({"Filters": [{"Key": "Color", "Values": ["red"]}]}),
    ))
    .await
    .assert_code("ValidationException");
}

#[tokio::test]
async fn targets() {
    let api = Api::new();
    let w = create(&api, json!({})).await;
    let register = |body: Value| ssm("RegisterTargetWithMaintenanceWindow", body);
    let t1 = api
        .root(register(json!({
            "WindowId": w,
            "ResourceType": "INSTANCE",
            "Targets": [{"Key": "tag:Role", "Values": ["web"]}],
            "OwnerInformation": "ops",
            "Name": "web-servers",
        })))
        .await
        .ok()
        .json()["WindowTargetId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(t1.len(), 36);
    let t2 = api
        .root(register(json!({
            "WindowId": w,
            "ResourceType": "INSTANCE",
            "Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}],
        })))
        .await
        .ok()
        .json()["WindowTargetId"]
        .as_str()
        .unwrap()
        .to_owned();
    for (body, code) in [
        (
            json!({"WindowId": w, "ResourceType": "INSTANCE", "Targets": [{"Key": "Color", "Values": ["red"]}]}),
            "ValidationException",
        ),
        (
            json!({"WindowId": w, "ResourceType": "INSTANCE", "Targets": [{"Key": "InstanceIds", "Values": ["vol-1"]}]}),
            "ValidationException",
        ),
        (
            json!({"WindowId": w, "ResourceType": "RESOURCE_GROUP", "Targets": [{"Key": "resource-groups:Name", "Values": ["g"]}]}),
            "ValidationException",
        ),
        (
            json!({"WindowId": "mw-0123456789abcdef0", "ResourceType": "INSTANCE", "Targets": [{"Key": "tag:Role", "Values": ["web"]}]}),
            "DoesNotExistException",
        ),
    ] {
        api.root(register(body)).await.assert_code(code);
    }
    let described = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowTargets",
            json!({"WindowId": w}),
        )
        .await;
    let targets = described["Targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert_eq!(targets[0]["WindowTargetId"], t1.as_str());
    assert_eq!(targets[0]["ResourceType"], "INSTANCE");
    assert_eq!(targets[0]["OwnerInformation"], "ops");
    assert_eq!(
        targets[0]["Targets"],
        json!([{"Key": "tag:Role", "Values": ["web"]}])
    );
    let filtered = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowTargets",
            json!({"WindowId": w, "Filters": [{"Key": "WindowTargetId", "Values": [t2]}]}),
        )
        .await;
    assert_eq!(filtered["Targets"].as_array().unwrap().len(), 1);

    let updated = api.json_ok("ssm", "UpdateMaintenanceWindowTarget",
            json!({"WindowId": w, "WindowTargetId": t1, "Targets": [{"Key": "tag:Role", "Values": ["web", "api"]}]})).await;
    assert_eq!(updated["Name"], "web-servers");
    assert_eq!(updated["Targets"][0]["Values"], json!(["web", "api"]));
    api.root(ssm(
        "UpdateMaintenanceWindowTarget",
        json!({"WindowId": w, "WindowTargetId": t1, "Name": "x-y-z", "Replace": true}),
    ))
    .await
    .assert_code("ValidationException");

    // Windows for a target, and a task naming it.
    let for_target = api.json_ok("ssm", "DescribeMaintenanceWindowsForTarget",
            json!({"ResourceType": "INSTANCE", "Targets": [{"Key": "tag:Role", "Values": ["api"]}]})).await;
    assert_eq!(for_target["WindowIdentities"][0]["WindowId"], w.as_str());
    let task = api
        .json_ok(
            "ssm",
            "RegisterTaskWithMaintenanceWindow",
            json!({
                "WindowId": w, "TaskArn": "AWS-RunShellScript", "TaskType": "RUN_COMMAND",
                "Targets": [{"Key": "WindowTargetIds", "Values": [t1]}],
                "MaxConcurrency": "1", "MaxErrors": "0",
            }),
        )
        .await["WindowTaskId"]
        .as_str()
        .unwrap()
        .to_owned();
    api.root(ssm(
        "DeregisterTargetFromMaintenanceWindow",
        json!({"WindowId": w, "WindowTargetId": t1, "Safe": true}),
    ))
    .await
    .assert_code("TargetInUseException");
    api.root(ssm(
        "DeregisterTargetFromMaintenanceWindow",
        json!({"WindowId": w, "WindowTargetId": t1}),
    ))
    .await
    .ok();
    let task = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowTask",
            json!({"WindowId": w, "WindowTaskId": task}),
        )
        .await;
    assert_eq!(task["Targets"], json!([]));
    api.root(ssm(
        "DeregisterTargetFromMaintenanceWindow",
        json!({"WindowId": w, "WindowTargetId": t1}),
    ))
    .await
    .assert_code("DoesNotExistException");
}

#[tokio::test]
async fn tasks() {
    let api = Api::new();
    let w = create(&api, json!({})).await;
    let target = api.json_ok("ssm", "RegisterTargetWithMaintenanceWindow",
            json!({"WindowId": w, "ResourceType": "INSTANCE", "Targets": [{"Key": "tag:Role", "Values": ["web"]}]})).await["WindowTargetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let register = |extra: Value| {
        let mut body = json!({
            "WindowId": w,
            "TaskArn": "Graceful-Maintenance",
            "TaskType": "AUTOMATION",
            "Targets": [{"Key": "WindowTargetIds", "Values": [target]}],
            "MaxConcurrency": "1",
            "MaxErrors": "0",
            "ServiceRoleArn": "arn:aws:iam::000000000000:role/maintenance",
            "TaskInvocationParameters": {"Automation": {"DocumentVersion": "$DEFAULT", "Parameters": {"InstanceId": ["{{ TARGET_ID }}"]}}},
            "Priority": 0,
            "CutoffBehavior": "CANCEL_TASK",
            "Name": "graceful",
        });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        ssm("RegisterTaskWithMaintenanceWindow", body)
    };
    let task = api
        .root(register(json!({"ClientToken": "t"})))
        .await
        .ok()
        .json()["WindowTaskId"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same token and request: the same task.
    let again = api
        .root(register(json!({"ClientToken": "t"})))
        .await
        .ok()
        .json();
    assert_eq!(again["WindowTaskId"], task.as_str());
    api.root(register(json!({"ClientToken": "t", "Priority": 3})))
        .await
        .assert_code("IdempotentParameterMismatch");

    let got = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowTask",
            json!({"WindowId": w, "WindowTaskId": task}),
        )
        .await;
    assert_eq!(got["TaskType"], "AUTOMATION");
    assert_eq!(got["TaskArn"], "Graceful-Maintenance");
    assert_eq!(got["Priority"], 0);
    assert_eq!(got["MaxConcurrency"], "1");
    assert_eq!(got["MaxErrors"], "0");
    assert_eq!(got["CutoffBehavior"], "CANCEL_TASK");
    assert_eq!(
        got["TaskInvocationParameters"],
        json!({"Automation": {"DocumentVersion": "$DEFAULT", "Parameters": {"InstanceId": ["{{ TARGET_ID }}"]}}})
    );
    assert_eq!(
        got["ServiceRoleArn"],
        "arn:aws:iam::000000000000:role/maintenance"
    );

    for (extra, code) in [
        (
            json!({"TaskType": "LAMBDA"}),
            "FeatureNotAvailableException",
        ),
        (
            json!({"TaskType": "STEP_FUNCTIONS"}),
            "FeatureNotAvailableException",
        ),
        (json!({"TaskType": "RUN_COMMAND"}), "ValidationException"),
        (
            json!({"Targets": [{"Key": "WindowTargetIds", "Values": ["aaaaaaaa-2222-4333-a444-555555555555"]}]}),
            "DoesNotExistException",
        ),
        (
            json!({"Targets": [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]}),
            "ValidationException",
        ),
        (json!({"MaxConcurrency": "0"}), "ValidationException"),
        (
            json!({"ServiceRoleArn": "maintenance"}),
            "ValidationException",
        ),
        (
            json!({"WindowId": "mw-0123456789abcdef0"}),
            "DoesNotExistException",
        ),
    ] {
        let reply = api.root(register(extra.clone())).await;
        reply.assert_code(code);
        assert!(!reply.message().is_empty(), "{extra}");
    }
    let described = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowTasks",
            json!({"WindowId": w}),
        )
        .await;
    let tasks = described["Tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["Type"], "AUTOMATION");
    assert_eq!(tasks[0]["WindowTaskId"], task.as_str());

    // A targetless automation gets AWS's placeholder rate controls.
    let targetless = api
        .json_ok(
            "ssm",
            "RegisterTaskWithMaintenanceWindow",
            json!({"WindowId": w, "TaskArn": "AWS-RestartEC2Instance", "TaskType": "AUTOMATION"}),
        )
        .await["WindowTaskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowTask",
            json!({"WindowId": w, "WindowTaskId": targetless}),
        )
        .await;
    assert_eq!(got["MaxConcurrency"], "1");
    assert_eq!(got["Priority"], 1);
    assert_eq!(got["CutoffBehavior"], "CONTINUE_TASK");

    let filtered = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowTasks",
            json!({"WindowId": w, "Filters": [{"Key": "Priority", "Values": ["1"]}]}),
        )
        .await;
    assert_eq!(filtered["Tasks"].as_array().unwrap().len(), 1);

    let updated = api
        .json_ok(
            "ssm",
            "UpdateMaintenanceWindowTask",
            json!({"WindowId": w, "WindowTaskId": task, "Priority": 5, "MaxConcurrency": "50%"}),
        )
        .await;
    assert_eq!(updated["Priority"], 5);
    assert_eq!(updated["MaxConcurrency"], "50%");
    assert_eq!(updated["MaxErrors"], "0");
    assert_eq!(updated["Name"], "graceful");
    api.root(ssm(
        "UpdateMaintenanceWindowTask",
        json!({"WindowId": w, "WindowTaskId": task, "TaskInvocationParameters": {"RunCommand": {}}}),
    ))
    .await
    .assert_code("ValidationException");
    api.root(ssm(
        "UpdateMaintenanceWindowTask",
        json!({"WindowId": w, "WindowTaskId": task, "Replace": true, "Priority": 2}),
    ))
    .await
    .assert_code("ValidationException");

    api.root(ssm(
        "DeregisterTaskFromMaintenanceWindow",
        json!({"WindowId": w, "WindowTaskId": task}),
    ))
    .await
    .ok();
    for op in [
        "GetMaintenanceWindowTask",
        "DeregisterTaskFromMaintenanceWindow",
    ] {
        api.root(ssm(op, json!({"WindowId": w, "WindowTaskId": task})))
            .await
            .assert_code("DoesNotExistException");
    }
    // Deleting the window takes its targets and tasks.
    api.root(ssm("DeleteMaintenanceWindow", json!({"WindowId": w})))
        .await
        .ok();
    api.root(ssm(
        "DescribeMaintenanceWindowTasks",
        json!({"WindowId": w}),
    ))
    .await
    .assert_code("DoesNotExistException");
    let left = api.state.store.read(|tx| tx.all_window_targets()).unwrap();
    assert!(left.is_empty());
}

#[tokio::test]
async fn schedule() {
    let api = Api::new();
    let w = create(
        &api,
        json!({"Name": "nightly", "Schedule": "cron(0 3 * * ? 2095)", "ScheduleOffset": 1}),
    )
    .await;
    let reply = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowSchedule",
            json!({"WindowId": w, "MaxResults": 2}),
        )
        .await;
    let runs = reply["ScheduledWindowExecutions"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    // January 1 2095 matches; with the offset it runs on the 2nd.
    assert_eq!(runs[0]["ExecutionTime"], "2095-01-02T03:00Z");
    assert_eq!(runs[1]["ExecutionTime"], "2095-01-03T03:00Z");
    assert_eq!(runs[0]["Name"], "nightly");
    let next = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowSchedule",
            json!({"WindowId": w, "MaxResults": 2, "NextToken": reply["NextToken"]}),
        )
        .await;
    assert_eq!(
        next["ScheduledWindowExecutions"][0]["ExecutionTime"],
        "2095-01-04T03:00Z"
    );
    let bounded = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowSchedule",
            json!({"WindowId": w, "Filters": [
                {"Key": "ScheduledAfter", "Values": ["2095-06-01T00:00:00Z"]},
                {"Key": "ScheduledBefore", "Values": ["2095-06-03T12:00:00Z"]},
            ]}),
        )
        .await;
    let times: Vec<&str> = bounded["ScheduledWindowExecutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ExecutionTime"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2095-06-01T03:00Z",
            "2095-06-02T03:00Z",
            "2095-06-03T03:00Z"
        ]
    );
    // Pages of two up to a bound: every run once, the last page without
    // a token.
    let mut times = Vec::new();
    let mut token = Value::Null;
    loop {
        let mut body = json!({"WindowId": w, "MaxResults": 2, "Filters": [
            {"Key": "ScheduledBefore", "Values": ["2095-01-06T12:00:00Z"]},
        ]});
        if !token.is_null() {
            body["NextToken"] = token.clone();
        }
        let page = api
            .json_ok("ssm", "DescribeMaintenanceWindowSchedule", body)
            .await;
        for run in page["ScheduledWindowExecutions"].as_array().unwrap() {
            times.push(run["ExecutionTime"].as_str().unwrap().to_owned());
        }
        token = page["NextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    assert_eq!(
        times,
        [
            "2095-01-02T03:00Z",
            "2095-01-03T03:00Z",
            "2095-01-04T03:00Z",
            "2095-01-05T03:00Z",
            "2095-01-06T03:00Z"
        ]
    );
    // The schedule ends with 2095.
    let last = api.json_ok("ssm", "DescribeMaintenanceWindowSchedule",
            json!({"WindowId": w, "Filters": [{"Key": "ScheduledAfter", "Values": ["2095-12-31T00:00:00Z"]}]})).await;
    let times: Vec<&str> = last["ScheduledWindowExecutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ExecutionTime"].as_str().unwrap())
        .collect();
    assert_eq!(times, ["2095-12-31T03:00Z", "2096-01-01T03:00Z"]);
    api.root(ssm(
        "DescribeMaintenanceWindowSchedule",
        json!({"WindowId": "mw-0123456789abcdef0"}),
    ))
    .await
    .assert_code("DoesNotExistException");
    api.root(ssm(
        "DescribeMaintenanceWindowSchedule",
        json!({"WindowId": w, "Filters": [{"Key": "Soon", "Values": ["x"]}]}),
    ))
    .await
    .assert_code("ValidationException");
}

#[tokio::test]
async fn executions_as_a_runner_records_them() {
    let api = Api::new();
    let w = create(&api, json!({})).await;
    let empty = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowExecutions",
            json!({"WindowId": w}),
        )
        .await;
    assert_eq!(empty["WindowExecutions"], json!([]));
    let missing = "aaaaaaaa-2222-4333-a444-555555555555";
    api.root(ssm(
        "GetMaintenanceWindowExecution",
        json!({"WindowExecutionId": missing}),
    ))
    .await
    .assert_code("DoesNotExistException");
    api.root(ssm(
        "CancelMaintenanceWindowExecution",
        json!({"WindowExecutionId": missing}),
    ))
    .await
    .assert_code("DoesNotExistException");

    let execution = "11111111-2222-4333-a444-555555555555";
    let task = "22222222-2222-4333-a444-555555555555";
    let invocation = "33333333-2222-4333-a444-555555555555";
    api.state
        .store
        .write(|tx| {
            tx.save_window_execution(&WindowExecution {
                window_id: w.clone(),
                id: execution.to_owned(),
                status: ExecutionStatus::InProgress,
                status_details: None,
                start_millis: 1_700_000_000_000,
                end_millis: None,
            })?;
            tx.save_task_execution(&TaskExecution {
                window_execution_id: execution.to_owned(),
                id: task.to_owned(),
                window_task_id: "44444444-2222-4333-a444-555555555555".to_owned(),
                task_arn: "AWS-RunShellScript".to_owned(),
                task_type: TaskType::RunCommand,
                service_role: None,
                task_parameters: Some(json!({"commands": {"Values": ["uptime"]}})),
                priority: 1,
                max_concurrency: Some("1".to_owned()),
                max_errors: Some("0".to_owned()),
                status: ExecutionStatus::InProgress,
                status_details: None,
                start_millis: 1_700_000_000_000,
                end_millis: None,
                alarm_configuration: None,
            })?;
            tx.save_task_invocation(&TaskInvocation {
                window_execution_id: execution.to_owned(),
                task_execution_id: task.to_owned(),
                id: invocation.to_owned(),
                execution_id: Some("55555555-2222-4333-a444-555555555555".to_owned()),
                task_type: TaskType::RunCommand,
                parameters: Some("{}".to_owned()),
                status: ExecutionStatus::Success,
                status_details: Some("Success".to_owned()),
                start_millis: 1_700_000_000_000,
                end_millis: Some(1_700_000_060_000),
                owner_information: None,
                window_target_id: None,
                target_id: None,
            })
        })
        .unwrap();
    let list = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowExecutions",
            json!({"WindowId": w}),
        )
        .await;
    assert_eq!(list["WindowExecutions"][0]["Status"], "IN_PROGRESS");
    let before = api.json_ok("ssm", "DescribeMaintenanceWindowExecutions",
            json!({"WindowId": w, "Filters": [{"Key": "ExecutedBefore", "Values": ["2020-01-01T00:00:00Z"]}]})).await;
    assert_eq!(before["WindowExecutions"], json!([]));
    let got = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowExecution",
            json!({"WindowExecutionId": execution}),
        )
        .await;
    assert_eq!(got["TaskIds"], json!([task]));
    let tasks = api
        .json_ok(
            "ssm",
            "DescribeMaintenanceWindowExecutionTasks",
            json!({"WindowExecutionId": execution}),
        )
        .await;
    assert_eq!(
        tasks["WindowExecutionTaskIdentities"][0]["TaskArn"],
        "AWS-RunShellScript"
    );
    let got_task = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowExecutionTask",
            json!({"WindowExecutionId": execution, "TaskId": task}),
        )
        .await;
    assert_eq!(
        got_task["TaskParameters"],
        json!([{"commands": {"Values": ["uptime"]}}])
    );
    let invocations = api.json_ok("ssm", "DescribeMaintenanceWindowExecutionTaskInvocations",
            json!({"WindowExecutionId": execution, "TaskId": task, "Filters": [{"Key": "Status", "Values": ["SUCCESS"]}]})).await;
    assert_eq!(
        invocations["WindowExecutionTaskInvocationIdentities"][0]["InvocationId"],
        invocation
    );
    let got_invocation = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowExecutionTaskInvocation",
            json!({"WindowExecutionId": execution, "TaskId": task, "InvocationId": invocation}),
        )
        .await;
    assert_eq!(got_invocation["Status"], "SUCCESS");
    api.root(ssm(
        "GetMaintenanceWindowExecutionTaskInvocation",
        json!({"WindowExecutionId": execution, "TaskId": task, "InvocationId": missing}),
    ))
    .await
    .assert_code("DoesNotExistException");
    api.root(ssm(
        "DescribeMaintenanceWindowExecutionTasks",
        json!({"WindowExecutionId": execution, "Filters": [{"Key": "Status", "Values": ["DONE"]}]}),
    ))
    .await
    .assert_code("ValidationException");

    let cancelled = api
        .json_ok(
            "ssm",
            "CancelMaintenanceWindowExecution",
            json!({"WindowExecutionId": execution}),
        )
        .await;
    assert_eq!(cancelled["WindowExecutionId"], execution);
    let got = api
        .json_ok(
            "ssm",
            "GetMaintenanceWindowExecution",
            json!({"WindowExecutionId": execution}),
        )
        .await;
    assert_eq!(got["Status"], "CANCELLING");
    // The window's deletion takes its history.
    api.root(ssm("DeleteMaintenanceWindow", json!({"WindowId": w})))
        .await
        .ok();
    api.root(ssm(
        "GetMaintenanceWindowExecution",
        json!({"WindowExecutionId": execution}),
    ))
    .await
    .assert_code("DoesNotExistException");
}

#[tokio::test]
async fn tags() {
    let api = Api::new();
    let w = create(&api, json!({"Tags": [{"Key": "team", "Value": "ops"}]})).await;
    let list = |id: &str| {
        ssm(
            "ListTagsForResource",
            json!({"ResourceType": "MaintenanceWindow", "ResourceId": id}),
        )
    };
    let tags = api.root(list(&w)).await.ok().json();
    assert_eq!(tags["TagList"], json!([{"Key": "team", "Value": "ops"}]));
    api.root(ssm(
        "AddTagsToResource",
        json!({"ResourceType": "MaintenanceWindow", "ResourceId": w, "Tags": [{"Key": "env", "Value": "prod"}]}),
    ))
    .await
    .ok();
    api.root(ssm(
        "RemoveTagsFromResource",
        json!({"ResourceType": "MaintenanceWindow", "ResourceId": w, "TagKeys": ["team"]}),
    ))
    .await
    .ok();
    let tags = api.root(list(&w)).await.ok().json();
    assert_eq!(tags["TagList"], json!([{"Key": "env", "Value": "prod"}]));
    api.root(list("mw-0123456789abcdef0"))
        .await
        .assert_code("InvalidResourceId");
    // Deleted with the window.
    api.root(ssm("DeleteMaintenanceWindow", json!({"WindowId": w})))
        .await
        .ok();
    let arn = format!("arn:aws:ssm:us-east-1:000000000000:maintenancewindow/{w}");
    assert!(api.state.store.read(|tx| tx.tags(&arn)).unwrap().is_empty());
}

#[tokio::test]
async fn authorization_names_the_window_and_the_passed_role() {
    let api = Api::new();
    let open = create(&api, json!({"Name": "open"})).await;
    let closed = create(&api, json!({"Name": "closed"})).await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":["ssm:GetMaintenanceWindow","ssm:RegisterTaskWithMaintenanceWindow","ssm:DescribeMaintenanceWindows"],"Resource":["arn:aws:ssm:us-east-1:000000000000:maintenancewindow/{open}","*"]}},
            {{"Effect":"Deny","Action":"ssm:*","Resource":"arn:aws:ssm:us-east-1:000000000000:maintenancewindow/{closed}"}},
            {{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::000000000000:role/allowed"}}
        ]}}"#
    );
    let operator = api.session("window-operator", &policy).await;
    api.call(
        &operator,
        ssm("GetMaintenanceWindow", json!({"WindowId": open})),
    )
    .await
    .ok();
    api.call(
        &operator,
        ssm("GetMaintenanceWindow", json!({"WindowId": closed})),
    )
    .await
    .assert_code("AccessDeniedException");
    api.call(&operator, ssm("DescribeMaintenanceWindows", json!({})))
        .await
        .ok();
    let task = |role: &str| {
        ssm(
            "RegisterTaskWithMaintenanceWindow",
            json!({"WindowId": open, "TaskArn": "AWS-RestartEC2Instance", "TaskType": "AUTOMATION",
                   "ServiceRoleArn": format!("arn:aws:iam::000000000000:role/{role}")}),
        )
    };
    api.call(&operator, task("allowed")).await.ok();
    api.call(&operator, task("admin"))
        .await
        .assert_code("AccessDeniedException");
}
