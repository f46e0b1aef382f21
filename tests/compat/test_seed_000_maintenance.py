"""Seed 000's graceful maintenance, end to end, with boto3: three sandboxed
instances serve "hello" on 0.0.0.0:8080 behind an ALB; the seed's two
runbooks, as its `templatefile` renders them, reboot every instance one at
a time (out of rotation first, drained, rebooted with exit 194, checked
with `curl http://localhost:8080/`, back in, healthy again) while a
request loop against the load balancer counts what fails.

With the deregistration steps, nothing fails. With only the reboot runbook
and the proxy behaving as AWS's does (`--proxy-retries false
--passive-health false`), requests fail, as the seed shows.

Sandboxes need root; elsewhere this is skipped."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

AL2023 = "ami-0ba11a5700a023086"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="sandboxed instances need root (namespaces, mounts, links)"
)

# The example's files: a web server like the seed's Go one (the image has
# Python, not Go) that cron starts on every boot, and the seed's two
# runbooks as its `templatefile` renders them (graceful_reboot_instance.yml
# holds the steps as the post prints them, in its order, indented alike).
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "graceful-maintenance"
USER_DATA = (EXAMPLE / "hello.sh").read_text()
REBOOT_WITH_HEALTHCHECK = (EXAMPLE / "reboot_with_healthcheck.yml").read_text()
GRACEFUL = (EXAMPLE / "graceful_reboot_instance.yml").read_text()

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["ec2.amazonaws.com", "ssm.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


def eventually(what: str, probe, deadline: float):
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline}s waiting for {what}")
        time.sleep(0.1)


@dataclass
class Traffic:
    """A request loop against the load balancer, as the seed's curl loop."""

    url: str
    ok: int = 0
    failed: list = field(default_factory=list)
    answered_by: set = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self):
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    body = response.read().decode()
                    self.ok += 1
                    self.answered_by.add(body.strip())
            except urllib.error.HTTPError as error:
                self.failed.append(error.code)
            except (urllib.error.URLError, OSError) as error:
                self.failed.append(str(error))
            time.sleep(0.02)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


@dataclass
class Stack:
    server: object
    instances: list
    target_group_arn: str
    url: str


def build(server_factory, name: str, extra: tuple[str, ...] = ()) -> Stack:
    server = server_factory.new(
        name,
        extra_args=(
            "--instance-runtime", "sandbox", "--time-scale", "0.05",
            "--hosts-file", "/etc/hosts", *extra,
        ),
    )
    server.start()
    iam, ec2, elb, ssm = (server.client(s) for s in ("iam", "ec2", "elbv2", "ssm"))
    iam.create_role(RoleName="hello", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(
        RoleName="hello", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    iam.create_instance_profile(InstanceProfileName="hello")
    iam.add_role_to_instance_profile(InstanceProfileName="hello", RoleName="hello")
    launched = ec2.run_instances(
        ImageId=AL2023,
        MinCount=3,
        MaxCount=3,
        IamInstanceProfile={"Name": "hello"},
        UserData=USER_DATA,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "App", "Value": "HelloWorld"}]}
        ],
    )
    instances = sorted(i["InstanceId"] for i in launched["Instances"])
    # The seed's health check: 2 failures 6 s apart make a target unhealthy.
    group = elb.create_target_group(
        Name="hello-world",
        Protocol="HTTP",
        Port=8080,
        VpcId="vpc-0ba11a5700000001",
        HealthCheckPath="/",
        HealthCheckIntervalSeconds=6,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]
    lb = elb.create_load_balancer(
        Name="HelloWorldALB",
        Subnets=["subnet-0ba11a57000000a1", "subnet-0ba11a57000000b1"],
    )["LoadBalancers"][0]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )
    elb.register_targets(
        TargetGroupArn=group["TargetGroupArn"],
        Targets=[{"Id": i, "Port": 8080} for i in instances],
    )

    def healthy():
        described = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        states = [d["TargetHealth"]["State"] for d in described["TargetHealthDescriptions"]]
        return states == ["healthy"] * 3

    eventually("three healthy targets", healthy, 120)

    def managed():
        listed = ssm.describe_instance_information()["InstanceInformationList"]
        return sorted(i["InstanceId"] for i in listed if i["PingStatus"] == "Online") == instances

    eventually("three managed instances", managed, 60)
    for name_, content in (
        ("RebootWithHealthcheck", REBOOT_WITH_HEALTHCHECK),
        ("RebootInstanceGraceful", GRACEFUL),
    ):
        ssm.create_document(
            Name=name_, Content=content, DocumentType="Automation", DocumentFormat="YAML"
        )
    address = socket.gethostbyname(lb["DNSName"])
    return Stack(server, instances, group["TargetGroupArn"], f"http://{address}:80/")


def boots(ec2, instance_id: str) -> int:
    """How many times the instance booted, from its console output."""
    output = ec2.get_console_output(InstanceId=instance_id).get("Output", "")
    return len(re.findall(rf"boot \d+ of {instance_id}", output))


def service_role(iam, target_group_arn: str) -> str:
    """The seed's window role: AWS's maintenance window policy, the two
    SSM reads it adds, and ELB writes on its own target group only."""
    arn = iam.create_role(
        RoleName="PatchingMaintWindow", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName="PatchingMaintWindow",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole",
    )
    statements = [
        {
            "Sid": "AllowSSM",
            "Effect": "Allow",
            "Action": ["ssm:DescribeInstanceInformation", "ssm:ListCommandInvocations"],
            "Resource": ["*"],
        },
        {
            "Sid": "AllowElBRead",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:DescribeTargetHealth"],
            "Resource": ["*"],
        },
        {
            "Sid": "AllowELBWrite",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:RegisterTargets",
            ],
            "Resource": [target_group_arn],
        },
    ]
    policy = iam.create_policy(
        PolicyName="MwRoleAdd",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="PatchingMaintWindow", PolicyArn=policy)
    return arn


def run_window(stack: Stack, document: str, parameters: dict) -> tuple[dict, Traffic]:
    """The seed's window (one instance at a time, no error allowed) with
    `document` as its task, scheduled a few seconds ahead; waits for it to
    end under a request loop. Returns the window execution and the loop."""
    iam, ssm = stack.server.client("iam"), stack.server.client("ssm")
    role_arn = service_role(iam, stack.target_group_arn)
    # The task names its runbook by ARN, as Terraform's `.arn` does.
    account = stack.server.client("sts").get_caller_identity()["Account"]
    document_arn = f"arn:aws:ssm:us-east-1:{account}:document/{document}"
    start = time.gmtime(time.time() + 4)
    window_id = ssm.create_maintenance_window(
        Name="PatchWithHealthcheck",
        Description="Daily patch event with a healthcheck afterward",
        Schedule=time.strftime("at(%Y-%m-%dT%H:%M:%S)", start),
        Duration=3,
        Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]
    target_id = ssm.register_target_with_maintenance_window(
        WindowId=window_id,
        Name="PatchWithHealthcheckTargets",
        ResourceType="INSTANCE",
        Targets=[{"Key": "tag:App", "Values": ["HelloWorld"]}],
    )["WindowTargetId"]
    ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        TaskType="AUTOMATION",
        TaskArn=document_arn,
        Priority=10,
        ServiceRoleArn=role_arn,
        MaxConcurrency="1",
        MaxErrors="0",
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
        TaskInvocationParameters={
            "Automation": {"DocumentVersion": "$LATEST", "Parameters": parameters}
        },
    )

    def ended():
        executions = ssm.describe_maintenance_window_executions(WindowId=window_id)[
            "WindowExecutions"
        ]
        done = [e for e in executions if e["Status"] not in ("PENDING", "IN_PROGRESS", "CANCELLING")]
        return done[0] if done else None

    with Traffic(stack.url) as traffic:
        execution = eventually("the window to run and end", ended, 420)
    return execution, traffic


def automation_runs(ssm, execution: dict) -> list[dict]:
    """The Automation execution of each task invocation, oldest first."""
    tasks = ssm.describe_maintenance_window_execution_tasks(
        WindowExecutionId=execution["WindowExecutionId"]
    )["WindowExecutionTaskIdentities"]
    assert len(tasks) == 1, tasks
    invocations = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=execution["WindowExecutionId"], TaskId=tasks[0]["TaskExecutionId"]
    )["WindowExecutionTaskInvocationIdentities"]
    runs = [
        ssm.get_automation_execution(AutomationExecutionId=i["ExecutionId"])["AutomationExecution"]
        for i in invocations
    ]
    return sorted(runs, key=lambda r: r["ExecutionStartTime"])


def test_seed_window_reboots_every_instance_one_at_a_time_with_no_failed_request(
    server_factory,
):
    stack = build(server_factory, "seed-000")
    ssm, ec2 = stack.server.client("ssm"), stack.server.client("ec2")
    before = {i: boots(ec2, i) for i in stack.instances}
    began = time.monotonic()
    execution, traffic = run_window(
        stack,
        "RebootInstanceGraceful",
        {"InstanceId": ["{{ TARGET_ID }}"], "TargetGroupArn": [stack.target_group_arn]},
    )
    took = time.monotonic() - began
    window_s = (execution["EndTime"] - execution["StartTime"]).total_seconds()
    print(
        f"\ngraceful window: {traffic.ok} requests answered, {len(traffic.failed)} failed, "
        f"window {window_s:.0f} s ({took:.0f} s with set-up)"
    )
    assert execution["Status"] == "SUCCESS", execution
    # At time-scale 0.05 the seed's three reboots, each with its 300 s
    # drain and its health check's `sleep 60`, fit in a minute.
    assert window_s < 60, window_s
    runs = automation_runs(ssm, execution)
    assert [r["AutomationExecutionStatus"] for r in runs] == ["Success"] * 3, runs
    assert sorted(r["Parameters"]["InstanceId"][0] for r in runs) == stack.instances
    # One at a time: each run starts after the one before it ended.
    for earlier, later in zip(runs, runs[1:]):
        assert earlier["ExecutionEndTime"] <= later["ExecutionStartTime"]
    assert all(r["ExecutedBy"].endswith("assumed-role/PatchingMaintWindow/MaintenanceWindow") for r in runs)
    after = {i: boots(ec2, i) for i in stack.instances}
    assert {i: after[i] - before[i] for i in stack.instances} == {i: 1 for i in stack.instances}
    assert traffic.ok > 100
    assert len(traffic.answered_by) == 3
    assert traffic.failed == []


def test_rebooting_without_deregistration_fails_requests_as_on_aws(server_factory):
    stack = build(
        server_factory,
        "seed-000-ungraceful",
        ("--proxy-retries", "false", "--passive-health", "false"),
    )
    execution, traffic = run_window(
        stack, "RebootWithHealthcheck", {"InstanceIds": ["{{ TARGET_ID }}"]}
    )
    print(
        f"\nreboot-only window: {traffic.ok} requests answered, {len(traffic.failed)} failed"
    )
    assert execution["Status"] == "SUCCESS", execution
    assert traffic.failed, "a reboot in rotation should cost requests"
