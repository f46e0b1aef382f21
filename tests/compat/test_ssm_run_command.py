"""SSM Run Command with boto3 and the AWS CLI: instances whose role has the
managed-instance policy are listed by DescribeInstanceInformation, and
commands sent to them run inside them, with AWS's statuses, counts,
waiters and errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code

AL2023 = "ami-0ba11a5700a023086"
WAIT_S = 30
TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def eventually(what: str, probe, deadline: float = WAIT_S):
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline}s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def fleet(server_factory, tmp_path):
    """A server of its own (its instances are this test's), a managed
    profile, and three running instances tagged Role=web with it."""
    server = server_factory.new("run-command", extra_args=("--time-scale", "0.02"))
    server.start()
    iam, ec2, ssm = server.client("iam"), server.client("ec2"), server.client("ssm")
    iam.create_role(RoleName="managed", AssumeRolePolicyDocument=TRUST_EC2)
    iam.attach_role_policy(
        RoleName="managed", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    iam.create_instance_profile(InstanceProfileName="managed")
    iam.add_role_to_instance_profile(InstanceProfileName="managed", RoleName="managed")
    out = ec2.run_instances(
        ImageId=AL2023,
        MinCount=3,
        MaxCount=3,
        IamInstanceProfile={"Name": "managed"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "web"}]}],
    )
    ids = sorted(i["InstanceId"] for i in out["Instances"])

    def online():
        listed = ssm.describe_instance_information(
            Filters=[{"Key": "PingStatus", "Values": ["Online"]}]
        )["InstanceInformationList"]
        return sorted(i["InstanceId"] for i in listed) == ids

    eventually("three managed instances", online)
    return server, ids, AwsCli(server.endpoint, tmp_path / "aws-home")


def home(server, instance_id: str) -> Path:
    return Path(server.data_dir) / "instances" / instance_id / "home"


def test_cli_send_command_to_a_tag_waits_and_reads_each_invocation(fleet):
    server, ids, aws = fleet
    rc, out, err = aws(
        "ssm", "send-command",
        "--document-name", "AWS-RunShellScript",
        "--targets", "Key=tag:Role,Values=web",
        "--parameters", 'commands=["hostname > $HOME/who", "hostname"]',
        "--max-concurrency", "1",
        "--max-errors", "0",
        "--comment", "who are you",
        "--output-s3-bucket-name", "logs-bucket",
    )
    assert rc == 0, err
    command = out["Command"]
    assert (command["TargetCount"], command["MaxConcurrency"], command["MaxErrors"]) == (3, "1", "0")
    assert command["OutputS3BucketName"] == "logs-bucket"
    command_id = command["CommandId"]
    for instance_id in ids:
        rc, _, err = aws("ssm", "wait", "command-executed", "--command-id", command_id, "--instance-id", instance_id)
        assert rc == 0, err
        rc, out, err = aws("ssm", "get-command-invocation", "--command-id", command_id, "--instance-id", instance_id)
        assert rc == 0, err
        assert out["Status"] == "Success" and out["ResponseCode"] == 0
        host = (home(server, instance_id) / "who").read_text()
        assert out["StandardOutputContent"] == host
    rc, out, err = aws("ssm", "list-commands", "--command-id", command_id)
    assert rc == 0, err
    (listed,) = out["Commands"]
    assert (listed["Status"], listed["CompletedCount"], listed["ErrorCount"]) == ("Success", 3, 0)
    assert listed["Comment"] == "who are you"
    rc, out, err = aws("ssm", "list-command-invocations", "--command-id", command_id, "--details")
    assert rc == 0, err
    assert len(out["CommandInvocations"]) == 3
    assert all(i["CommandPlugins"][0]["Name"] == "aws:runShellScript" for i in out["CommandInvocations"])
    rc, _, err = aws("ssm", "get-command-invocation", "--command-id", command_id, "--instance-id", "i-0123456789abcdef0")
    assert rc != 0 and "InvocationDoesNotExist" in err


def test_boto3_max_errors_and_paging(fleet):
    server, ids, _ = fleet
    ssm = server.client("ssm")
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=ids,
        Parameters={"commands": ["touch $HOME/tried", "exit 2"]},
        MaxConcurrency="1",
        MaxErrors="0",
    )["Command"]["CommandId"]

    def ended():
        (command,) = ssm.list_commands(CommandId=command_id)["Commands"]
        return command if command["Status"] not in ("Pending", "InProgress") else None

    command = eventually("the command to end", ended)
    assert (command["Status"], command["StatusDetails"], command["ErrorCount"]) == ("Failed", "Failed", 1)
    details = sorted(
        i["StatusDetails"]
        for page in ssm.get_paginator("list_command_invocations").paginate(
            CommandId=command_id, PaginationConfig={"PageSize": 1}
        )
        for i in page["CommandInvocations"]
    )
    assert details == ["Failed", "Terminated", "Terminated"]
    assert sum((home(server, i) / "tried").exists() for i in ids) == 1
    waiter = ssm.get_waiter("command_executed")
    failed = next(
        i["InstanceId"]
        for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
        if i["StatusDetails"] == "Failed"
    )
    with pytest.raises(Exception):
        waiter.wait(CommandId=command_id, InstanceId=failed, WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_boto3_errors(fleet):
    server, ids, _ = fleet
    ssm = server.client("ssm")
    cases = [
        ({"DocumentName": "No-Such-Doc", "InstanceIds": ids[:1]}, "InvalidDocument"),
        ({"DocumentName": "AWS-RunShellScript", "InstanceIds": ids[:1]}, "InvalidParameters"),
        (
            {"DocumentName": "AWS-RunShellScript", "InstanceIds": ["i-0123456789abcdef0"], "Parameters": {"commands": ["true"]}},
            "InvalidInstanceId",
        ),
        (
            {"DocumentName": "AWS-RunShellScript", "InstanceIds": ids[:1], "Parameters": {"commands": ["true"]}, "MaxErrors": "x"},
            "ValidationException",
        ),
        (
            {
                "DocumentName": "AWS-RunShellScript",
                "InstanceIds": ids[:1],
                "Targets": [{"Key": "tag:Role", "Values": ["web"]}],
                "Parameters": {"commands": ["true"]},
            },
            "ValidationException",
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            ssm.send_command(**kwargs)
        assert error_code(err.value) == code, kwargs
    assert ssm.list_commands()["Commands"] == []
    with pytest.raises(ClientError) as err:
        ssm.cancel_command(CommandId="00000000-0000-4000-a000-000000000000")
    assert error_code(err.value) == "InvalidCommandId"
    with pytest.raises(ClientError) as err:
        ssm.describe_instance_information(Filters=[{"Key": "Colour", "Values": ["blue"]}])
    assert error_code(err.value) == "InvalidFilterKey"


def test_boto3_cancel_and_instance_information(fleet):
    server, ids, _ = fleet
    ssm = server.client("ssm")
    info = ssm.describe_instance_information(
        InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": ids[:2]}]
    )["InstanceInformationList"]
    assert sorted(i["InstanceId"] for i in info) == ids[:2]
    assert {i["PlatformType"] for i in info} == {"Linux"}
    assert {i["IamRole"] for i in info} == {"managed"}
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "InstanceIds", "Values": ids[:1]}],
        Parameters={"commands": ["sleep 600"]},
    )["Command"]["CommandId"]
    ssm.cancel_command(CommandId=command_id)
    (command,) = ssm.list_commands(CommandId=command_id)["Commands"]
    assert command["Status"] == "Cancelled"
    invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=ids[0])
    assert invocation["Status"] == "Cancelled"


def test_boto3_runs_an_account_document_with_its_parameters(fleet):
    server, ids, _ = fleet
    ssm = server.client("ssm")
    content = {
        "schemaVersion": "2.2",
        "description": "Greets in a chosen language.",
        "parameters": {
            "greeting": {"type": "String", "allowedValues": ["hello", "bonjour"], "default": "hello"},
            "target": {"type": "String", "allowedPattern": "^[a-z]+$"},
        },
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "greet",
                "inputs": {"runCommand": ["echo {{ greeting }} {{ target }} > $HOME/greeting", "cat $HOME/greeting"]},
            }
        ],
    }
    ssm.create_document(Name="Greet", DocumentType="Command", Content=json.dumps(content))
    command_id = ssm.send_command(
        DocumentName="Greet", InstanceIds=ids[:1], Parameters={"greeting": ["bonjour"], "target": ["world"]}
    )["Command"]["CommandId"]
    ssm.get_waiter("command_executed").wait(
        CommandId=command_id, InstanceId=ids[0], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    out = ssm.get_command_invocation(CommandId=command_id, InstanceId=ids[0], PluginName="greet")
    assert out["StandardOutputContent"] == "bonjour world\n"
    assert (home(server, ids[0]) / "greeting").read_text() == "bonjour world\n"
    for parameters in ({"greeting": ["hola"], "target": ["world"]}, {"target": ["World"]}, {"greeting": ["hello"]}):
        with pytest.raises(ClientError) as err:
            ssm.send_command(DocumentName="Greet", InstanceIds=ids[:1], Parameters=parameters)
        assert error_code(err.value) == "InvalidParameters", parameters
    with pytest.raises(ClientError) as err:
        ssm.get_command_invocation(CommandId=command_id, InstanceId=ids[0], PluginName="nope")
    assert error_code(err.value) == "InvalidPluginName"


def test_boto3_a_stopped_instance_waits_for_its_command(fleet):
    server, ids, _ = fleet
    ec2, ssm = server.client("ec2"), server.client("ssm")
    stopped = ids[0]
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[stopped], WaiterConfig={"Delay": 1})
    (info,) = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [stopped]}]
    )["InstanceInformationList"]
    assert info["PingStatus"] == "ConnectionLost"
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[stopped],
        Parameters={"commands": ["touch $HOME/after-start"]},
    )["Command"]["CommandId"]
    invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=stopped)
    assert (invocation["Status"], invocation["StatusDetails"]) == ("Delayed", "Delayed")
    # 30 s (0.6 s at this time scale) to be delivered, while stopped.
    short = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[stopped],
        Parameters={"commands": ["true"]},
        TimeoutSeconds=30,
    )["Command"]["CommandId"]

    def timed_out():
        (command,) = ssm.list_commands(CommandId=short)["Commands"]
        return command if command["Status"] == "TimedOut" else None

    command = eventually("the delivery timeout", timed_out)
    assert (command["StatusDetails"], command["DeliveryTimedOutCount"], command["ErrorCount"]) == (
        "DeliveryTimedOut",
        1,
        0,
    )
    ec2.start_instances(InstanceIds=[stopped])
    ssm.get_waiter("command_executed").wait(
        CommandId=command_id, InstanceId=stopped, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert (home(server, stopped) / "after-start").exists()
