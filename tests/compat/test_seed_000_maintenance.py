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

import pytest

AL2023 = "ami-0ba11a5700a023086"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="sandboxed instances need root (namespaces, mounts, links)"
)

# A web server like the seed's Go one (the image has Python, not Go): it
# answers with the instance's hostname, and cron starts it on every boot.
USER_DATA = r"""#!/bin/bash
cat <<'EOF' > /home/ec2-user/hello.py
import http.server
import socket


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hello, World! From {socket.gethostname()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Hello).serve_forever()
EOF
(crontab -l 2>/dev/null; echo "@reboot nohup python3 /home/ec2-user/hello.py") | crontab -
nohup python3 /home/ec2-user/hello.py > /dev/null 2>&1 &
"""

# Seed 000's RebootWithHealthcheck, with its template's two variables
# rendered as Terraform renders them (a bucket name and "ssm_output/").
REBOOT_WITH_HEALTHCHECK = """---
schemaVersion: "0.3"
description: Executes a reboot on the instance followed by a healthcheck
parameters:
  InstanceIds:
    type: StringList
    description: The instance to target
mainSteps:
  - name: InvokeReboot
    action: aws:runCommand
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: "{{ InstanceIds }}"
      OutputS3BucketName: script-bucket-0ba11a57
      OutputS3KeyPrefix: ssm_output/
      Parameters:
        commands: |
          flag_location=/home/ec2-user/REBOOT_STARTED
          if [ ! -f $flag_location ]; then
            echo "Creating flag file at $flag_location"
            touch $flag_location
            echo "Reboot initiated"
            exit 194
          fi
          echo "Reboot finished, removing flag file at $flag_location"
          rm $flag_location
  - name: ExecuteHealthcheck
    action: aws:runCommand
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds: "{{ InstanceIds }}"
      OutputS3BucketName: script-bucket-0ba11a57
      OutputS3KeyPrefix: ssm_output/
      Parameters:
        commands: |
          sleep 60
          if ! curl http://localhost:8080/; then
            exit 1
          fi
"""

# Seed 000's graceful runbook: its steps as the post prints them, in its
# order, indented alike (one printed fragment is indented two spaces
# deeper than the rest).
GRACEFUL = """schemaVersion: "0.3"
description: Gracefully reboot instance with healthchecks
parameters:
  InstanceId:
    type: String
    description: The instance to target
  TargetGroupArn:
    type: String
    description: The target group ARN for Appian
mainSteps:
- name: AssertTargetGroupHealthBefore
  description: Assert the target group is healthy before we bounce Tomcat
  action: aws:assertAwsResourceProperty
  inputs:
    Service: elbv2
    Api: DescribeTargetHealth
    PropertySelector: $.TargetHealthDescriptions..TargetHealth.State
    DesiredValues:
      - healthy
    TargetGroupArn: "{{ TargetGroupArn }}"
  maxAttempts: 3
  timeoutSeconds: 60
- name: AssertInstanceIsInTargetGroup
  description: Assert the instance is a healthy target of the target group
  action: aws:assertAwsResourceProperty
  inputs:
    Service: elbv2
    Api: DescribeTargetHealth
    PropertySelector: $.TargetHealthDescriptions[0].TargetHealth.State
    DesiredValues:
      - healthy
    TargetGroupArn: "{{ TargetGroupArn }}"
    Targets:
      - Id: "{{ InstanceId }}"
  maxAttempts: 3
  timeoutSeconds: 60
- name: DeregisterInstanceFromTargetGroup
  description: Proactively remove the instance from the target group
  action: aws:executeAwsApi
  inputs:
    Service: elbv2
    Api: DeregisterTargets
    TargetGroupArn: "{{ TargetGroupArn }}"
    Targets:
      - Id: "{{ InstanceId }}"
- name: WaitForDeregisteredTarget
  description: Wait for the instance to drain connections
  action: aws:waitForAwsResourceProperty
  inputs:
    Service: elbv2
    Api: DescribeTargetHealth
    PropertySelector: $.TargetHealthDescriptions[0].TargetHealth.State
    DesiredValues:
      - unused
    TargetGroupArn: "{{ TargetGroupArn }}"
    Targets:
      - Id: "{{ InstanceId }}"
  maxAttempts: 1
  timeoutSeconds: 600
- name: AssertTargetIsDeregistered
  description: Assert the instance is no longer a target
  action: aws:assertAwsResourceProperty
  inputs:
    Service: elbv2
    Api: DescribeTargetHealth
    PropertySelector: $.TargetHealthDescriptions[0].TargetHealth.State
    DesiredValues:
      - unused
    TargetGroupArn: "{{ TargetGroupArn }}"
    Targets:
      - Id: "{{ InstanceId }}"
- name: RebootWithHealthcheck
  description: Reboot the instance with a healthcheck afterward
  action: aws:executeAutomation
  inputs:
    DocumentName: RebootWithHealthcheck
    RuntimeParameters:
      InstanceIds:
        - "{{ InstanceId }}"
  maxAttempts: 1
  onFailure: step:RegisterTarget
- name: RegisterTarget
  description: Add the instance back as a target
  action: aws:executeAwsApi
  inputs:
    Service: elbv2
    Api: RegisterTargets
    TargetGroupArn: "{{ TargetGroupArn }}"
    Targets:
      - Id: "{{ InstanceId }}"
- name: WaitForHealthyTargetGroup
  description: Wait for the target group to become healthy again
  action: aws:waitForAwsResourceProperty
  inputs:
    Service: elbv2
    Api: DescribeTargetHealth
    PropertySelector: $.TargetHealthDescriptions..TargetHealth.State
    DesiredValues:
      - healthy
    TargetGroupArn: "{{ TargetGroupArn }}"
  maxAttempts: 1
- name: AssertTargetGroupHealthAfter
  description: Assert the target group is healthy after activity
  action: aws:assertAwsResourceProperty
  inputs:
    Service: elbv2
    Api: DescribeTargetHealth
    PropertySelector: $.TargetHealthDescriptions..TargetHealth.State
    DesiredValues:
      - healthy
    TargetGroupArn: "{{ TargetGroupArn }}"
  maxAttempts: 3
  timeoutSeconds: 60
  isEnd: true
"""

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
            {"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "hello"}]}
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
    for name_, content in (("RebootWithHealthcheck", REBOOT_WITH_HEALTHCHECK),):
        ssm.create_document(
            Name=name_, Content=content, DocumentType="Automation", DocumentFormat="YAML"
        )
    ssm.create_document(
        Name="RebootInstanceGraceful",
        Content=GRACEFUL,
        DocumentType="Automation",
        DocumentFormat="YAML",
    )
    address = socket.gethostbyname(lb["DNSName"])
    return Stack(server, instances, group["TargetGroupArn"], f"http://{address}:80/")


def finished(ssm, execution_id: str, deadline: float) -> dict:
    def ended():
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)[
            "AutomationExecution"
        ]
        status = execution["AutomationExecutionStatus"]
        return execution if status not in ("Pending", "InProgress", "Waiting", "Cancelling") else None

    return eventually(f"execution {execution_id}", ended, deadline)


def boots(ec2, instance_id: str) -> int:
    output = ec2.get_console_output(InstanceId=instance_id).get("Output", "")
    return len(re.findall(rf"boot \d+ of {instance_id}", output))


def test_graceful_runbook_reboots_each_instance_with_no_failed_request(server_factory):
    stack = build(server_factory, "seed-000")
    ssm, ec2 = stack.server.client("ssm"), stack.server.client("ec2")
    before = {i: boots(ec2, i) for i in stack.instances}
    with Traffic(stack.url) as traffic:
        for instance in stack.instances:
            execution_id = ssm.start_automation_execution(
                DocumentName="RebootInstanceGraceful",
                Parameters={"InstanceId": [instance], "TargetGroupArn": [stack.target_group_arn]},
            )["AutomationExecutionId"]
            execution = finished(ssm, execution_id, 240)
            assert execution["AutomationExecutionStatus"] == "Success", json.dumps(
                execution, default=str, indent=1
            )
    after = {i: boots(ec2, i) for i in stack.instances}
    assert {i: after[i] - before[i] for i in stack.instances} == {i: 1 for i in stack.instances}
    print(f"graceful: {traffic.ok} requests answered, {len(traffic.failed)} failed")
    assert traffic.ok > 100
    assert len(traffic.answered_by) == 3
    assert traffic.failed == []
