"""Auto Scaling launch configurations with boto3 and the AWS CLI: create,
describe (paged), delete and their errors, groups created from one and
switched to a template and back, and instances that really boot from a
configuration (botocore base64-encodes CreateLaunchConfiguration's user
data for boto3 and the CLI; Describe returns it as sent)."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, eventually

AL2023 = "ami-0ba11a5700a023086"



@pytest.fixture
def server(server_factory):
    server = server_factory.new("launch-configurations", ("--time-scale", "0.05"))
    server.start()
    return server


def message(exc: ClientError) -> str:
    return exc.response["Error"]["Message"]


def in_service_instance(asg, group: str) -> dict:
    def probe():
        found = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
        members = found[0]["Instances"] if found else []
        return members[0] if len(members) == 1 and members[0]["LifecycleState"] == "InService" else None

    return eventually(f"an instance InService in {group}", probe)


def console_contains(ec2, instance_id: str, marker: str) -> str:
    return eventually(
        f"{marker!r} in the console of {instance_id}",
        lambda: marker in (out := ec2.get_console_output(InstanceId=instance_id).get("Output", "")) and out,
    )


def test_launch_configurations_with_boto3(server):
    asg, ec2, iam = server.client("autoscaling"), server.client("ec2"), server.client("iam")
    ec2.create_key_pair(KeyName="lc-key")
    sg = ec2.create_security_group(GroupName="lc-web", Description="web")["GroupId"]
    iam.create_role(
        RoleName="lc-role",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    iam.create_instance_profile(InstanceProfileName="lc-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="lc-profile", RoleName="lc-role")
    script = "#!/bin/bash\necho boto3-lc-ran\n"

    asg.create_launch_configuration(
        LaunchConfigurationName="web",
        ImageId=AL2023,
        InstanceType="t3.micro",
        KeyName="lc-key",
        SecurityGroups=[sg],
        UserData=script,
        IamInstanceProfile="lc-profile",
        InstanceMonitoring={"Enabled": False},
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 4, "VolumeType": "gp3", "DeleteOnTermination": True}}
        ],
    )
    [lc] = asg.describe_launch_configurations(LaunchConfigurationNames=["web"])["LaunchConfigurations"]
    assert lc["LaunchConfigurationARN"].endswith(":launchConfigurationName/web")
    assert ":launchConfiguration:" in lc["LaunchConfigurationARN"]
    assert base64.b64decode(lc["UserData"]).decode() == script
    assert lc["InstanceMonitoring"] == {"Enabled": False}
    assert lc["EbsOptimized"] is False
    assert lc["SecurityGroups"] == [sg]
    assert lc["KeyName"] == "lc-key"
    assert lc["IamInstanceProfile"] == "lc-profile"
    assert lc["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvdb"
    assert lc["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 4
    assert "CreatedTime" in lc

    # Errors.
    with pytest.raises(ClientError) as taken:
        asg.create_launch_configuration(LaunchConfigurationName="web", ImageId=AL2023, InstanceType="t3.micro")
    assert error_code(taken.value) == "AlreadyExists"
    assert message(taken.value) == (
        "Launch Configuration by this name already exists - A launch configuration already exists with the name web"
    )
    for extra, expected in [
        ({"ImageId": "ami-0123456789abcdef0"}, "does not exist"),
        ({"KeyName": "nope"}, "key pair"),
        ({"IamInstanceProfile": "nope"}, "Invalid IamInstanceProfile: nope"),
        ({"SecurityGroups": [sg, "default"]}, "not both"),
    ]:
        with pytest.raises(ClientError) as bad:
            asg.create_launch_configuration(
                LaunchConfigurationName="bad", **{"ImageId": AL2023, "InstanceType": "t3.micro", **extra}
            )
        assert error_code(bad.value) == "ValidationError", extra
        assert expected in message(bad.value), message(bad.value)
    with pytest.raises(ClientError) as unknown:
        asg.delete_launch_configuration(LaunchConfigurationName="nope")
    assert error_code(unknown.value) == "ValidationError"
    assert message(unknown.value) == "Launch configuration name not found - Launch configuration nope not found"

    # Paging.
    for n in range(3):
        asg.create_launch_configuration(LaunchConfigurationName=f"extra-{n}", ImageId=AL2023, InstanceType="t3.nano")
    page = asg.describe_launch_configurations(MaxRecords=2)
    assert len(page["LaunchConfigurations"]) == 2 and page["NextToken"]
    rest = asg.describe_launch_configurations(MaxRecords=2, NextToken=page["NextToken"])
    names = [c["LaunchConfigurationName"] for c in page["LaunchConfigurations"] + rest["LaunchConfigurations"]]
    assert sorted(names) == ["extra-0", "extra-1", "extra-2", "web"]
    paginated = [
        c["LaunchConfigurationName"]
        for p in asg.get_paginator("describe_launch_configurations").paginate(PaginationConfig={"PageSize": 1})
        for c in p["LaunchConfigurations"]
    ]
    assert sorted(paginated) == sorted(names)

    # A group from the configuration boots an instance with its user data.
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchConfigurationName="web",
        MinSize=1,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    member = in_service_instance(asg, "web")
    assert member["LaunchConfigurationName"] == "web" and "LaunchTemplate" not in member
    [details] = asg.describe_auto_scaling_instances(InstanceIds=[member["InstanceId"]])["AutoScalingInstances"]
    assert details["LaunchConfigurationName"] == "web"
    console_contains(ec2, member["InstanceId"], "boto3-lc-ran")
    instance = ec2.describe_instances(InstanceIds=[member["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert instance["KeyName"] == "lc-key"
    assert [g["GroupId"] for g in instance["SecurityGroups"]] == [sg]
    assert instance["IamInstanceProfile"]["Arn"].endswith(":instance-profile/lc-profile")
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [member["InstanceId"]]}])
    devices = {v["Attachments"][0]["Device"]: (v["Size"], v["VolumeType"]) for v in volumes["Volumes"]}
    assert sorted(devices) == ["/dev/xvda", "/dev/xvdb"], devices
    assert devices["/dev/xvdb"] == (4, "gp3"), devices

    with pytest.raises(ClientError) as in_use:
        asg.delete_launch_configuration(LaunchConfigurationName="web")
    assert error_code(in_use.value) == "ResourceInUse"
    assert message(in_use.value) == "Cannot delete launch configuration web because it is attached to AutoScalingGroup web"

    # Switching to a template and back; never both.
    ec2.create_launch_template(
        LaunchTemplateName="web-lt", LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro"}
    )
    with pytest.raises(ClientError) as both:
        asg.update_auto_scaling_group(
            AutoScalingGroupName="web",
            LaunchConfigurationName="extra-0",
            LaunchTemplate={"LaunchTemplateName": "web-lt"},
        )
    assert error_code(both.value) == "ValidationError"
    asg.update_auto_scaling_group(AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateName": "web-lt"})
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert "LaunchConfigurationName" not in group and group["LaunchTemplate"]["LaunchTemplateName"] == "web-lt"
    asg.delete_launch_configuration(LaunchConfigurationName="web")
    asg.update_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="extra-0")
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert group["LaunchConfigurationName"] == "extra-0" and "LaunchTemplate" not in group
    with pytest.raises(ClientError) as gone:
        asg.update_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="web")
    assert error_code(gone.value) == "ValidationError"


def test_launch_configurations_with_the_aws_cli(server, tmp_path):
    aws = AwsCli(server.endpoint, tmp_path)
    script = tmp_path / "user-data.sh"
    script.write_text("#!/bin/bash\necho cli-lc-ran\n")
    rc, _, err = aws(
        "autoscaling",
        "create-launch-configuration",
        "--launch-configuration-name",
        "cli",
        "--image-id",
        AL2023,
        "--instance-type",
        "t3.micro",
        "--user-data",
        f"file://{script}",
    )
    assert rc == 0, err
    rc, out, err = aws("autoscaling", "describe-launch-configurations", "--launch-configuration-names", "cli")
    assert rc == 0, err
    [lc] = out["LaunchConfigurations"]
    # botocore sends the script base64-encoded; it comes back so.
    assert base64.b64decode(lc["UserData"]) == b"#!/bin/bash\necho cli-lc-ran\n"
    assert lc["InstanceMonitoring"] == {"Enabled": True}

    rc, _, err = aws(
        "autoscaling",
        "create-launch-configuration",
        "--launch-configuration-name",
        "cli",
        "--image-id",
        AL2023,
        "--instance-type",
        "t3.micro",
    )
    assert rc != 0 and "AlreadyExists" in err, err
    rc, _, err = aws(
        "autoscaling",
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "cli",
        "--launch-configuration-name",
        "cli",
        "--min-size",
        "1",
        "--max-size",
        "1",
        "--vpc-zone-identifier",
        "subnet-0ba11a5700000000b",
    )
    assert rc == 0, err

    def member():
        rc, out, _ = aws("autoscaling", "describe-auto-scaling-instances")
        found = out["AutoScalingInstances"] if rc == 0 else []
        return found[0] if found and found[0]["LifecycleState"] == "InService" else None

    instance = eventually("the CLI group's instance InService", member)
    assert instance["LaunchConfigurationName"] == "cli"
    console_contains(server.client("ec2"), instance["InstanceId"], "cli-lc-ran")

    rc, _, err = aws("autoscaling", "delete-launch-configuration", "--launch-configuration-name", "cli")
    assert rc != 0 and "ResourceInUse" in err and "attached to AutoScalingGroup cli" in err, err
    rc, _, err = aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "cli", "--force-delete")
    assert rc == 0, err

    def group_gone():
        rc, out, _ = aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "cli")
        return rc == 0 and out["AutoScalingGroups"] == []

    eventually("the CLI group gone", group_gone)
    rc, _, err = aws("autoscaling", "delete-launch-configuration", "--launch-configuration-name", "cli")
    assert rc == 0, err
    rc, _, err = aws("autoscaling", "delete-launch-configuration", "--launch-configuration-name", "cli")
    assert rc != 0 and "Launch configuration name not found" in err, err
