"""Auto Scaling's scheduled actions with boto3, the AWS CLI and
community.aws's `autoscaling_scheduled_action`: a one-time action resizes
its group when its time comes (instances really launch) and is gone, a
recurring one shows its next run as `StartTime`, an update keeps what it
leaves out, the batch calls report failures per entry, and bad requests
are `ValidationError`s that change nothing."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, ansible_result, error_code, eventually

AL2023 = "ami-0ba11a5700a023086"


@pytest.fixture
def server(server_factory):
    server = server_factory.new("autoscaling-schedules", ("--time-scale", "0.05"))
    server.start()
    return server


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def make_group(server, name: str) -> None:
    server.client("ec2").create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro"}
    )
    server.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        AvailabilityZones=["us-east-1a", "us-east-1b"],
    )


def names(asg, group: str) -> list[str]:
    actions = asg.describe_scheduled_actions(AutoScalingGroupName=group)["ScheduledUpdateGroupActions"]
    return [a["ScheduledActionName"] for a in actions]


def test_scheduled_actions_with_boto3(server):
    asg = server.client("autoscaling")
    make_group(server, "web")
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName="web", ScheduledActionName="peak",
        StartTime=now() + dt.timedelta(seconds=3), MinSize=1, DesiredCapacity=2,
    )
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName="web", ScheduledActionName="nightly", Recurrence="30 23 * * *",
        TimeZone="Asia/Tokyo", MinSize=0, MaxSize=3, DesiredCapacity=0,
    )
    (nightly,) = asg.describe_scheduled_actions(
        AutoScalingGroupName="web", ScheduledActionNames=["nightly"]
    )["ScheduledUpdateGroupActions"]
    # 23:30 in Tokyo is 14:30 UTC; the next one is StartTime (and Time).
    assert nightly["StartTime"] > now() and nightly["Time"] == nightly["StartTime"]
    assert (nightly["StartTime"].hour, nightly["StartTime"].minute) == (14, 30)
    assert nightly["ScheduledActionARN"].endswith("autoScalingGroupName/web:scheduledActionName/nightly")

    def resized():
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
        up = [i for i in group["Instances"] if i["LifecycleState"] == "InService"]
        return group if len(up) == 2 else None

    group = eventually("the scheduled action's two instances InService", resized)
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 2)
    assert names(asg, "web") == ["nightly"]
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
    assert len(causes) == 2 and all(
        "a scheduled action update of AutoScalingGroup constraints to min: 1, max: 3, desired: 2 "
        "changing the desired capacity from 0 to 2." in cause for cause in causes
    ), causes

    asg.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="nightly", MaxSize=2)
    (updated,) = asg.describe_scheduled_actions(AutoScalingGroupName="web")["ScheduledUpdateGroupActions"]
    assert (updated["Recurrence"], updated["MaxSize"], updated["DesiredCapacity"]) == ("30 23 * * *", 2, 0)
    assert updated["ScheduledActionARN"] == nightly["ScheduledActionARN"]

    failed = asg.batch_put_scheduled_update_group_action(
        AutoScalingGroupName="web",
        ScheduledUpdateGroupActions=[
            {"ScheduledActionName": "later", "StartTime": now() + dt.timedelta(hours=1), "DesiredCapacity": 1},
            {"ScheduledActionName": "before", "StartTime": now() - dt.timedelta(hours=1), "DesiredCapacity": 1},
        ],
    )["FailedScheduledUpdateGroupActions"]
    assert failed == [{"ScheduledActionName": "before", "ErrorCode": "ValidationError",
                       "ErrorMessage": "Given start time is in the past"}]
    failed = asg.batch_delete_scheduled_action(
        AutoScalingGroupName="web", ScheduledActionNames=["later", "nightly", "ghost"]
    )["FailedScheduledActions"]
    assert [(f["ScheduledActionName"], f["ErrorCode"]) for f in failed] == [("ghost", "ValidationError")]
    assert names(asg, "web") == []

    for why, kwargs in [
        ("in the past", {"StartTime": now() - dt.timedelta(minutes=5), "DesiredCapacity": 1}),
        ("no sizes", {"StartTime": now() + dt.timedelta(minutes=5)}),
        ("no time", {"DesiredCapacity": 1}),
        ("bad cron", {"Recurrence": "every day", "DesiredCapacity": 1}),
        ("bad zone", {"Recurrence": "0 9 * * *", "TimeZone": "Atlantis/Capital", "DesiredCapacity": 1}),
        ("desired over max", {"Recurrence": "0 9 * * *", "MaxSize": 1, "DesiredCapacity": 2}),
    ]:
        with pytest.raises(ClientError) as refused:
            asg.put_scheduled_update_group_action(AutoScalingGroupName="web", ScheduledActionName="x", **kwargs)
        assert error_code(refused.value) == "ValidationError", why
    with pytest.raises(ClientError) as refused:
        asg.delete_scheduled_action(AutoScalingGroupName="web", ScheduledActionName="ghost")
    assert error_code(refused.value) == "ValidationError"
    with pytest.raises(ClientError) as refused:
        asg.describe_scheduled_actions(AutoScalingGroupName="no-such-group")
    assert error_code(refused.value) == "ValidationError"
    assert names(asg, "web") == []


def test_scheduled_actions_with_the_aws_cli(server, tmp_path):
    make_group(server, "api")
    aws = AwsCli(server.endpoint, tmp_path)
    start = (now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rc, _, err = aws(
        "autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", "api",
        "--scheduled-action-name", "tomorrow", "--start-time", start, "--desired-capacity", "1",
    )
    assert rc == 0, err
    rc, out, err = aws(
        "autoscaling", "batch-put-scheduled-update-group-action", "--auto-scaling-group-name", "api",
        "--scheduled-update-group-actions",
        "ScheduledActionName=workdays,Recurrence=0 8 * * 1-5,MinSize=1,MaxSize=3",
    )
    assert rc == 0 and out["FailedScheduledUpdateGroupActions"] == [], err
    rc, out, err = aws("autoscaling", "describe-scheduled-actions", "--auto-scaling-group-name", "api",
                       "--max-items", "1")
    assert rc == 0, err
    assert [a["ScheduledActionName"] for a in out["ScheduledUpdateGroupActions"]] == ["tomorrow"]
    assert out["ScheduledUpdateGroupActions"][0]["StartTime"].startswith(start[:19])
    assert "NextToken" in out
    rc, out, err = aws("autoscaling", "describe-scheduled-actions", "--auto-scaling-group-name", "api")
    assert rc == 0 and [a["ScheduledActionName"] for a in out["ScheduledUpdateGroupActions"]] == [
        "tomorrow", "workdays"
    ], err
    rc, _, err = aws("autoscaling", "delete-scheduled-action", "--auto-scaling-group-name", "api",
                     "--scheduled-action-name", "tomorrow")
    assert rc == 0, err
    rc, out, err = aws("autoscaling", "batch-delete-scheduled-action", "--auto-scaling-group-name", "api",
                       "--scheduled-action-names", "workdays")
    assert rc == 0 and out["FailedScheduledActions"] == [], err
    rc, _, err = aws("autoscaling", "delete-scheduled-action", "--auto-scaling-group-name", "api",
                     "--scheduled-action-name", "tomorrow")
    assert rc != 0 and "ValidationError" in err and "Scheduled action name not found" in err, err
    rc, _, err = aws(
        "autoscaling", "put-scheduled-update-group-action", "--auto-scaling-group-name", "api",
        "--scheduled-action-name", "yesterday", "--start-time", "2020-01-01T00:00:00Z", "--desired-capacity", "1",
    )
    assert rc != 0 and "Given start time is in the past" in err, err


PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - community.aws.autoscaling_scheduled_action:
            autoscaling_group_name: "{{ group }}"
            scheduled_action_name: business-hours
            recurrence: "0 9 * * 1-5"
            time_zone: Europe/Berlin
            end_time: "{{ end }}"
            min_size: 1
            max_size: 3
            desired_capacity: 2
            state: "{{ state }}"
          register: action
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: "{{ {'changed': action.changed, 'recurrence': action.recurrence | default(None),
              'desired': action.desired_capacity | default(None)} | to_json }}"
    """
)


def test_the_ansible_module_puts_and_removes_a_recurring_action(server, tmp_path):
    make_group(server, "ansible")
    end = (now() + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = lambda state: ansible_result(server.endpoint, tmp_path, PLAYBOOK, group="ansible", end=end, state=state)  # noqa: E731
    assert run("present") == {"changed": True, "recurrence": "0 9 * * 1-5", "desired": 2}
    assert run("present")["changed"] is False
    (action,) = server.client("autoscaling").describe_scheduled_actions()["ScheduledUpdateGroupActions"]
    assert (action["TimeZone"], action["MinSize"], action["MaxSize"]) == ("Europe/Berlin", 1, 3)
    assert run("absent")["changed"] is True
    assert names(server.client("autoscaling"), "ansible") == []
    assert run("absent")["changed"] is False
