"""Rolling back an instance refresh with boto3 and the AWS CLI: a refresh
to launch template version 2 is turned around once its first replacement
is in service, the instances it launched are replaced from version 1, and
the refresh ends `RollbackSuccessful`; rollbacks AWS refuses (no desired
configuration, an image that is a Systems Manager parameter) are refused
with its error codes. Beside it, the account's limits and the lists of
termination policy and notification types."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, eventually

AL2023 = "ami-0ba11a5700a023086"


@pytest.fixture
def server(server_factory):
    server = server_factory.new("autoscaling-rollback")
    server.start()
    return server


def versions(asg, group: str) -> list[tuple[str, str]]:
    (found,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
    return sorted((i["LifecycleState"], i["LaunchTemplate"]["Version"]) for i in found["Instances"])


def latest_refresh(asg, group: str) -> dict:
    return asg.describe_instance_refreshes(AutoScalingGroupName=group)["InstanceRefreshes"][0]


def test_a_refresh_rolled_back_with_boto3_and_the_cli(server, tmp_path):
    asg = server.client("autoscaling")
    ec2 = server.client("ec2")
    cli = AwsCli(server.endpoint, tmp_path / "aws-home")
    ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro"}
    )
    ec2.create_launch_template_version(
        LaunchTemplateName="web", SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.small"}
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web", "Version": "1"},
        MinSize=0, MaxSize=3, DesiredCapacity=2, AvailabilityZones=["us-east-1a"],
    )
    eventually("two instances in service", lambda: versions(asg, "web") == [("InService", "1")] * 2)

    with pytest.raises(ClientError) as none:
        asg.rollback_instance_refresh(AutoScalingGroupName="web")
    assert error_code(none.value) == "ActiveInstanceRefreshNotFound"
    rc, _, err = cli("autoscaling", "rollback-instance-refresh", "--auto-scaling-group-name", "web")
    assert rc != 0 and "ActiveInstanceRefreshNotFound" in err, err

    preferences = {"MinHealthyPercentage": 50, "InstanceWarmup": 4}
    asg.start_instance_refresh(AutoScalingGroupName="web", Preferences=preferences)
    with pytest.raises(ClientError) as irreversible:
        asg.rollback_instance_refresh(AutoScalingGroupName="web")
    assert error_code(irreversible.value) == "IrreversibleInstanceRefresh"
    asg.cancel_instance_refresh(AutoScalingGroupName="web")
    eventually("the plain refresh cancelled", lambda: latest_refresh(asg, "web")["Status"] == "Cancelled")
    eventually("two instances in service again", lambda: len(versions(asg, "web")) == 2
               and all(state == "InService" for state, _ in versions(asg, "web")))

    started = asg.start_instance_refresh(
        AutoScalingGroupName="web", Preferences={**preferences, "AutoRollback": True},
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "2"}},
    )["InstanceRefreshId"]
    eventually("a version 2 instance in service", lambda: ("InService", "2") in versions(asg, "web"))
    rc, out, err = cli("autoscaling", "rollback-instance-refresh", "--auto-scaling-group-name", "web")
    assert rc == 0 and out["InstanceRefreshId"] == started, err
    rolling = latest_refresh(asg, "web")
    assert rolling["Status"] == "RollbackInProgress"
    assert rolling["RollbackDetails"]["RollbackReason"] == "Rollback requested by user."
    assert rolling["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"
    assert rolling["Preferences"]["AutoRollback"] is True
    # One of two was replaced; the other is what the refresh had left.
    assert rolling["InstancesToUpdate"] == rolling["RollbackDetails"]["InstancesToUpdateOnRollback"] == 1

    eventually("the rollback done", lambda: latest_refresh(asg, "web")["Status"] == "RollbackSuccessful")
    rc, out, err = cli("autoscaling", "describe-instance-refreshes", "--auto-scaling-group-name", "web")
    assert rc == 0 and out["InstanceRefreshes"][0]["Status"] == "RollbackSuccessful", err
    eventually("both instances back on version 1", lambda: versions(asg, "web") == [("InService", "1")] * 2)
    (group,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"]
    assert group["LaunchTemplate"]["Version"] == "1"


def test_no_rollback_to_an_image_parameter_with_boto3_and_the_cli(server, tmp_path):
    asg = server.client("autoscaling")
    ec2 = server.client("ec2")
    cli = AwsCli(server.endpoint, tmp_path / "aws-home")
    image = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    ec2.create_launch_template(
        LaunchTemplateName="by-alias", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )
    # The refresh's version names the AMI; the group's, which a rollback
    # goes back to, takes it from a parameter.
    ec2.create_launch_template_version(
        LaunchTemplateName="by-alias", SourceVersion="1", LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.small"}
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="by-alias",
        LaunchTemplate={"LaunchTemplateName": "by-alias", "Version": "1"},
        MinSize=0, MaxSize=2, DesiredCapacity=1, AvailabilityZones=["us-east-1a"],
    )
    eventually("one instance in service", lambda: versions(asg, "by-alias") == [("InService", "1")])
    # A warmup long enough that the refresh is still going when the
    # rollbacks are asked for.
    asg.start_instance_refresh(
        AutoScalingGroupName="by-alias", Preferences={"InstanceWarmup": 3600},
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "by-alias", "Version": "2"}},
    )
    with pytest.raises(ClientError) as refused:
        asg.rollback_instance_refresh(AutoScalingGroupName="by-alias")
    assert error_code(refused.value) == "IrreversibleInstanceRefresh"
    assert "Systems Manager parameter" in refused.value.response["Error"]["Message"]
    rc, _, err = cli("autoscaling", "rollback-instance-refresh", "--auto-scaling-group-name", "by-alias")
    assert rc != 0 and "IrreversibleInstanceRefresh" in err, err
    refresh = latest_refresh(asg, "by-alias")
    assert refresh["Status"] in ("Pending", "InProgress") and "RollbackDetails" not in refresh, refresh
    asg.cancel_instance_refresh(AutoScalingGroupName="by-alias")


def test_account_limits_and_type_lists_with_boto3_and_the_cli(server, tmp_path):
    asg = server.client("autoscaling")
    cli = AwsCli(server.endpoint, tmp_path / "aws-home")
    limits = asg.describe_account_limits()
    assert (limits["MaxNumberOfAutoScalingGroups"], limits["MaxNumberOfLaunchConfigurations"]) == (500, 200)
    assert limits["NumberOfAutoScalingGroups"] == 0
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId=AL2023, InstanceType="t3.micro")
    rc, out, err = cli("autoscaling", "describe-account-limits")
    assert rc == 0 and out["NumberOfLaunchConfigurations"] == 1, err
    rc, out, err = cli("autoscaling", "describe-termination-policy-types")
    assert rc == 0 and "NewestInstance" in out["TerminationPolicyTypes"], err
    assert asg.describe_termination_policy_types()["TerminationPolicyTypes"] == out["TerminationPolicyTypes"]
    types = asg.describe_auto_scaling_notification_types()["AutoScalingNotificationTypes"]
    rc, out, err = cli("autoscaling", "describe-auto-scaling-notification-types")
    assert rc == 0 and out["AutoScalingNotificationTypes"] == types, err
    assert "autoscaling:EC2_INSTANCE_TERMINATE" in types
