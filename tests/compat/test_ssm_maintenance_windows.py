"""SSM maintenance windows through boto3 and the AWS CLI (awsJson1.1).

Windows carry a unique name and are deleted at the end of each test (the
account holds at most 50). Schedules are set in the far future so what the
server computes from its real clock is known. Error cases check the exact
code AWS returns and that a rejected call stored nothing.
"""

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code, http_status

UNKNOWN_WINDOW = "mw-0123456789abcdef0"
UNKNOWN_UUID = "aaaaaaaa-2222-4333-a444-555555555555"


def expect_error(code, call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    assert error_code(e.value) == code, e.value.response
    assert http_status(e.value) == 400
    return e.value.response["Error"]["Message"]


@pytest.fixture
def window(ssm, uid):
    """A window that runs at 03:00 UTC every day of 2090."""
    window_id = ssm.create_maintenance_window(
        Name=f"compat-{uid}",
        Schedule="cron(0 3 * * ? 2090)",
        Duration=4,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]
    yield window_id
    ssm.delete_maintenance_window(WindowId=window_id)


def test_window_lifecycle(ssm, uid):
    name = f"compat-life-{uid}"
    window_id = ssm.create_maintenance_window(
        Name=name,
        Description="first Sunday",
        Schedule="cron(0 2 ? * SUN#1 *)",
        ScheduleTimezone="Asia/Tokyo",
        StartDate="2090-03-01T00:00:00+09:00",
        Duration=3,
        Cutoff=0,
        AllowUnassociatedTargets=True,
        Tags=[{"Key": "team", "Value": "ops"}],
    )["WindowId"]
    assert window_id.startswith("mw-") and len(window_id) == 20
    got = ssm.get_maintenance_window(WindowId=window_id)
    assert got["Name"] == name
    assert got["ScheduleTimezone"] == "Asia/Tokyo"
    assert got["Enabled"] is True
    # The first Sunday of March 2090 is the 5th; shown in Tokyo time.
    assert got["NextExecutionTime"] == "2090-03-05T02:00+09:00"
    assert got["CreatedDate"] <= got["ModifiedDate"]

    updated = ssm.update_maintenance_window(WindowId=window_id, Enabled=False, Duration=6)
    assert updated["Enabled"] is False and updated["Duration"] == 6
    assert "NextExecutionTime" not in ssm.get_maintenance_window(WindowId=window_id)

    listed = ssm.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": [name]}])
    assert [w["WindowId"] for w in listed["WindowIdentities"]] == [window_id]
    assert listed["WindowIdentities"][0]["Enabled"] is False

    tags = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    assert tags["TagList"] == [{"Key": "team", "Value": "ops"}]

    assert ssm.delete_maintenance_window(WindowId=window_id)["WindowId"] == window_id
    expect_error("DoesNotExistException", ssm.get_maintenance_window, WindowId=window_id)


def test_window_errors_store_nothing(ssm, ssm_unvalidated, uid):
    name = f"compat-bad-{uid}"
    base = dict(Name=name, Schedule="rate(1 day)", Duration=3, Cutoff=1, AllowUnassociatedTargets=False)
    for change in [
        {"Cutoff": 3},
        {"Schedule": "cron(0 2 * * SUN *)"},
        {"Schedule": "rate(3 fortnights)"},
        {"Schedule": "at(2090-02-30T00:00:00)"},
        {"ScheduleTimezone": "Nowhere/Town"},
        {"ScheduleOffset": 1},
        {"StartDate": "2090-02-01T00:00:00Z", "EndDate": "2090-01-01T00:00:00Z"},
    ]:
        expect_error("ValidationException", ssm.create_maintenance_window, **{**base, **change})
    message = expect_error(
        "ValidationException", ssm_unvalidated.create_maintenance_window, **{**base, "Duration": 0}
    )
    assert "duration" in message
    assert ssm.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": [name]}])["WindowIdentities"] == []
    expect_error("DoesNotExistException", ssm.update_maintenance_window, WindowId=UNKNOWN_WINDOW, Enabled=False)


def test_client_token(ssm, uid):
    request = dict(
        Name=f"compat-token-{uid}",
        Schedule="rate(1 day)",
        Duration=2,
        Cutoff=0,
        AllowUnassociatedTargets=False,
        ClientToken=f"token-{uid}",
    )
    first = ssm.create_maintenance_window(**request)["WindowId"]
    assert ssm.create_maintenance_window(**request)["WindowId"] == first
    expect_error("IdempotentParameterMismatch", ssm.create_maintenance_window, **{**request, "Duration": 5})
    ssm.delete_maintenance_window(WindowId=first)


def test_targets_and_tasks(ssm, window):
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window,
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:Role", "Values": ["web"]}],
        OwnerInformation="ops",
    )["WindowTargetId"]
    expect_error(
        "ValidationException",
        ssm.register_target_with_maintenance_window,
        WindowId=window,
        ResourceType="INSTANCE",
        Targets=[{"Key": "Colour", "Values": ["blue"]}],
    )
    targets = ssm.describe_maintenance_window_targets(WindowId=window)["Targets"]
    assert [t["WindowTargetId"] for t in targets] == [target_id]
    assert targets[0]["Targets"] == [{"Key": "tag:Role", "Values": ["web"]}]

    task_id = ssm.register_task_with_maintenance_window(
        WindowId=window,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
        MaxConcurrency="1",
        MaxErrors="0",
        TaskInvocationParameters={
            "RunCommand": {"Parameters": {"commands": ["uptime"]}, "TimeoutSeconds": 600}
        },
    )["WindowTaskId"]
    task = ssm.get_maintenance_window_task(WindowId=window, WindowTaskId=task_id)
    assert task["TaskType"] == "RUN_COMMAND"
    assert task["Priority"] == 1
    assert task["CutoffBehavior"] == "CONTINUE_TASK"
    assert task["TaskInvocationParameters"]["RunCommand"]["Parameters"] == {"commands": ["uptime"]}
    expect_error(
        "FeatureNotAvailableException",
        ssm.register_task_with_maintenance_window,
        WindowId=window,
        TaskArn="arn:aws:lambda:us-east-1:000000000000:function:patch",
        TaskType="LAMBDA",
    )
    expect_error(
        "ValidationException",
        ssm.register_task_with_maintenance_window,
        WindowId=window,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
    )
    updated = ssm.update_maintenance_window_task(WindowId=window, WindowTaskId=task_id, MaxConcurrency="10%")
    assert updated["MaxConcurrency"] == "10%"
    tasks = ssm.describe_maintenance_window_tasks(WindowId=window)["Tasks"]
    assert [(t["WindowTaskId"], t["Type"]) for t in tasks] == [(task_id, "RUN_COMMAND")]

    expect_error(
        "TargetInUseException",
        ssm.deregister_target_from_maintenance_window,
        WindowId=window,
        WindowTargetId=target_id,
        Safe=True,
    )
    ssm.deregister_task_from_maintenance_window(WindowId=window, WindowTaskId=task_id)
    ssm.deregister_target_from_maintenance_window(WindowId=window, WindowTargetId=target_id, Safe=True)
    expect_error(
        "DoesNotExistException", ssm.get_maintenance_window_task, WindowId=window, WindowTaskId=task_id
    )


def test_schedule_pages(ssm, window):
    paginator = ssm.get_paginator("describe_maintenance_window_schedule")
    pages = paginator.paginate(
        WindowId=window,
        Filters=[{"Key": "ScheduledBefore", "Values": ["2090-01-05T12:00:00Z"]}],
        PaginationConfig={"PageSize": 2},
    )
    times = [r["ExecutionTime"] for page in pages for r in page["ScheduledWindowExecutions"]]
    assert times == [f"2090-01-0{d}T03:00Z" for d in range(1, 6)]


def test_executions_are_empty_until_a_window_runs(ssm, window):
    assert ssm.describe_maintenance_window_executions(WindowId=window)["WindowExecutions"] == []
    expect_error("DoesNotExistException", ssm.get_maintenance_window_execution, WindowExecutionId=UNKNOWN_UUID)
    expect_error(
        "DoesNotExistException", ssm.cancel_maintenance_window_execution, WindowExecutionId=UNKNOWN_UUID
    )
    expect_error(
        "DoesNotExistException",
        ssm.describe_maintenance_window_execution_task_invocations,
        WindowExecutionId=UNKNOWN_UUID,
        TaskId=UNKNOWN_UUID,
    )


# --------------------------------------------------------------------------- AWS CLI


def test_cli_window_lifecycle(aws, uid):
    rc, out, err = aws(
        "ssm",
        "create-maintenance-window",
        "--name",
        f"compat-cli-{uid}",
        "--schedule",
        "cron(30 23 ? * TUE#3 2090)",
        "--schedule-offset",
        "2",
        "--duration",
        "4",
        "--cutoff",
        "1",
        "--allow-unassociated-targets",
    )
    assert rc == 0, err
    window_id = out["WindowId"]
    rc, out, err = aws("ssm", "get-maintenance-window", "--window-id", window_id)
    assert rc == 0, err
    # The third Tuesday of January 2090 is the 17th, two days later the 19th.
    assert out["NextExecutionTime"] == "2090-01-19T23:30Z"
    assert out["AllowUnassociatedTargets"] is True
    rc, out, err = aws(
        "ssm",
        "register-task-with-maintenance-window",
        "--window-id",
        window_id,
        "--task-arn",
        "AWS-RunShellScript",
        "--task-type",
        "RUN_COMMAND",
        "--targets",
        "Key=InstanceIds,Values=i-0123456789abcdef0",
        "--max-concurrency",
        "1",
        "--max-errors",
        "0",
    )
    assert rc == 0, err
    rc, out, err = aws("ssm", "describe-maintenance-window-tasks", "--window-id", window_id)
    assert rc == 0, err
    assert out["Tasks"][0]["Targets"] == [{"Key": "InstanceIds", "Values": ["i-0123456789abcdef0"]}]
    rc, out, err = aws("ssm", "describe-maintenance-window-schedule", "--window-id", window_id, "--max-items", "2")
    assert rc == 0, err
    assert [r["ExecutionTime"] for r in out["ScheduledWindowExecutions"]] == [
        "2090-01-19T23:30Z",
        "2090-02-23T23:30Z",
    ]
    rc, out, err = aws("ssm", "delete-maintenance-window", "--window-id", window_id)
    assert rc == 0, err
    rc, out, err = aws("ssm", "get-maintenance-window", "--window-id", window_id)
    assert rc != 0 and "DoesNotExistException" in err
