"""The operations the service suites reach only through one client, called
with the others: the AWS CLI (its own parameter shorthand and JSON output
parsing) and boto3, success and error, against one Ballast per test.

Each test sets its resources up with boto3, then drives the operations
under test with the AWS CLI as a user would type them, checking what the
answer says and, where it changes something, what a later read shows."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, eventually

AL2023 = "ami-0ba11a5700a023086"
SUBNETS = ["subnet-0ba11a5700000000a", "subnet-0ba11a5700000000b"]
VPC = "vpc-0ba11a57000000000"
NO_EXECUTION = "00000000-0000-4000-a000-000000000000"
TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
TRUST_LAMBDA = TRUST_EC2.replace("ec2.amazonaws.com", "lambda.amazonaws.com")
READ_ONLY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}]}
)


class Cli:
    """The AWS CLI, with assertions on how each call ends."""

    def __init__(self, aws: AwsCli):
        self.aws = aws

    def ok(self, *args: str):
        rc, out, err = self.aws(*args)
        assert rc == 0, f"aws {' '.join(args)}: {err}"
        return out

    def fails(self, code: str, *args: str) -> None:
        rc, _, err = self.aws(*args)
        assert rc != 0 and code in err, f"aws {' '.join(args)} should fail with {code}: rc={rc} {err}"


def raises(code: str, call, **kwargs) -> None:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    assert error_code(err.value) == code


@pytest.fixture
def server(server_factory):
    server = server_factory.new("every-operation", ("--time-scale", "0.05"))
    server.start()
    return server


@pytest.fixture
def cli(server, tmp_path):
    return Cli(AwsCli(server.endpoint, tmp_path))


def running_instance(ec2, **extra) -> str:
    instance = ec2.run_instances(ImageId=AL2023, InstanceType="t3.micro", MinCount=1, MaxCount=1, **extra)
    instance_id = instance["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return instance_id


def test_ssm_parameters_documents_and_tags(server, cli, tmp_path):
    ssm = server.client("ssm")
    for name in ("/every/a", "/every/b", "/every/c"):
        ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name="/every/a", Value="v2", Type="String", Overwrite=True)

    history = cli.ok("ssm", "get-parameter-history", "--name", "/every/a")
    assert [p["Value"] for p in history["Parameters"]] == ["v1", "v2"]
    labelled = cli.ok("ssm", "label-parameter-version", "--name", "/every/a", "--parameter-version", "1", "--labels", "old")
    assert labelled["InvalidLabels"] == []
    assert ssm.get_parameter(Name="/every/a:old")["Parameter"]["Value"] == "v1"
    deleted = cli.ok("ssm", "delete-parameters", "--names", "/every/b", "/every/missing")
    assert deleted["DeletedParameters"] == ["/every/b"] and deleted["InvalidParameters"] == ["/every/missing"]

    cli.ok("ssm", "add-tags-to-resource", "--resource-type", "Parameter", "--resource-id", "/every/c", "--tags", "Key=team,Value=ops")
    tags = cli.ok("ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", "/every/c")
    assert tags["TagList"] == [{"Key": "team", "Value": "ops"}]
    cli.ok("ssm", "remove-tags-from-resource", "--resource-type", "Parameter", "--resource-id", "/every/c", "--tag-keys", "team")
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/every/c")["TagList"] == []
    cli.fails("InvalidResourceId", "ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", "/every/missing")

    def content(command: str) -> str:
        return json.dumps(
            {
                "schemaVersion": "2.2",
                "description": "every operation",
                "mainSteps": [{"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": [command]}}],
            }
        )

    ssm.create_document(Name="EveryDoc", Content=content("echo one"), DocumentType="Command", DocumentFormat="JSON")
    second = tmp_path / "doc.json"
    second.write_text(content("echo two"))
    updated = cli.ok(
        "ssm", "update-document", "--name", "EveryDoc", "--content", f"file://{second}", "--document-version", "$LATEST"
    )
    assert updated["DocumentDescription"]["DocumentVersion"] == "2"
    versions = cli.ok("ssm", "list-document-versions", "--name", "EveryDoc")
    assert sorted(v["DocumentVersion"] for v in versions["DocumentVersions"]) == ["1", "2"]
    default = cli.ok("ssm", "update-document-default-version", "--name", "EveryDoc", "--document-version", "2")
    assert default["Description"]["DefaultVersion"] == "2"
    cli.ok(
        "ssm", "modify-document-permission", "--name", "EveryDoc", "--permission-type", "Share",
        "--account-ids-to-add", "111122223333",
    )
    shared = cli.ok("ssm", "describe-document-permission", "--name", "EveryDoc", "--permission-type", "Share")
    assert shared["AccountIds"] == ["111122223333"]
    cli.fails("InvalidDocument", "ssm", "list-document-versions", "--name", "NoSuchDoc")
    cli.fails("InvalidCommandId", "ssm", "cancel-command", "--command-id", NO_EXECUTION)


def test_ssm_maintenance_windows(server, cli):
    ssm = server.client("ssm")
    window = ssm.create_maintenance_window(
        Name="every", Schedule="cron(0 2 ? * SUN *)", Duration=3, Cutoff=1, AllowUnassociatedTargets=False
    )["WindowId"]
    target = ssm.register_target_with_maintenance_window(
        WindowId=window, ResourceType="INSTANCE", Targets=[{"Key": "tag:Role", "Values": ["web"]}]
    )["WindowTargetId"]
    task = ssm.register_task_with_maintenance_window(
        WindowId=window,
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        Targets=[{"Key": "WindowTargetIds", "Values": [target]}],
        MaxConcurrency="1",
        MaxErrors="1",
        Priority=1,
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["echo hi"]}}},
    )["WindowTaskId"]

    cli.ok("ssm", "update-maintenance-window", "--window-id", window, "--description", "weekly")
    windows = cli.ok("ssm", "describe-maintenance-windows")
    assert [(w["WindowId"], w["Description"]) for w in windows["WindowIdentities"]] == [(window, "weekly")]
    cli.ok("ssm", "update-maintenance-window-target", "--window-id", window, "--window-target-id", target, "--name", "webs")
    ssm.update_maintenance_window_target(WindowId=window, WindowTargetId=target, Description="web servers")
    targets = cli.ok("ssm", "describe-maintenance-window-targets", "--window-id", window)["Targets"]
    assert [(t["Name"], t["Description"]) for t in targets] == [("webs", "web servers")]
    for_target = cli.ok(
        "ssm", "describe-maintenance-windows-for-target", "--resource-type", "INSTANCE", "--targets", "Key=tag:Role,Values=web"
    )
    assert [w["WindowId"] for w in for_target["WindowIdentities"]] == [window]
    boto_for_target = ssm.describe_maintenance_windows_for_target(
        ResourceType="INSTANCE", Targets=[{"Key": "tag:Role", "Values": ["db"]}]
    )
    assert boto_for_target["WindowIdentities"] == []

    got = cli.ok("ssm", "get-maintenance-window-task", "--window-id", window, "--window-task-id", task)
    assert got["TaskArn"] == "AWS-RunShellScript" and got["Priority"] == 1
    cli.ok("ssm", "update-maintenance-window-task", "--window-id", window, "--window-task-id", task, "--priority", "2")
    assert ssm.get_maintenance_window_task(WindowId=window, WindowTaskId=task)["Priority"] == 2
    cli.ok("ssm", "deregister-task-from-maintenance-window", "--window-id", window, "--window-task-id", task)
    cli.ok("ssm", "deregister-target-from-maintenance-window", "--window-id", window, "--window-target-id", target)
    assert ssm.describe_maintenance_window_targets(WindowId=window)["Targets"] == []

    # No run has happened: every execution read refuses an unknown id.
    ids = ("--window-execution-id", NO_EXECUTION)
    cli.fails("DoesNotExistException", "ssm", "get-maintenance-window-execution", *ids)
    cli.fails("DoesNotExistException", "ssm", "describe-maintenance-window-execution-tasks", *ids)
    cli.fails("DoesNotExistException", "ssm", "cancel-maintenance-window-execution", *ids)
    cli.fails("DoesNotExistException", "ssm", "get-maintenance-window-execution-task", *ids, "--task-id", NO_EXECUTION)
    cli.fails(
        "DoesNotExistException", "ssm", "describe-maintenance-window-execution-task-invocations", *ids,
        "--task-id", NO_EXECUTION,
    )
    cli.fails(
        "DoesNotExistException", "ssm", "get-maintenance-window-execution-task-invocation", *ids,
        "--task-id", NO_EXECUTION, "--invocation-id", NO_EXECUTION,
    )
    raises("DoesNotExistException", ssm.get_maintenance_window_execution, WindowExecutionId=NO_EXECUTION)
    raises(
        "DoesNotExistException", ssm.get_maintenance_window_execution_task,
        WindowExecutionId=NO_EXECUTION, TaskId=NO_EXECUTION,
    )
    raises(
        "DoesNotExistException", ssm.get_maintenance_window_execution_task_invocation,
        WindowExecutionId=NO_EXECUTION, TaskId=NO_EXECUTION, InvocationId=NO_EXECUTION,
    )
    raises("DoesNotExistException", ssm.cancel_maintenance_window_execution, WindowExecutionId=NO_EXECUTION)


def test_iam_roles_policies_and_profiles(server, cli):
    iam = server.client("iam")
    iam.create_role(RoleName="every", AssumeRolePolicyDocument=TRUST_EC2)
    iam.put_role_policy(RoleName="every", PolicyName="inline", PolicyDocument=READ_ONLY)
    policy = iam.create_policy(PolicyName="every-read", PolicyDocument=READ_ONLY)["Policy"]["Arn"]
    iam.create_instance_profile(InstanceProfileName="every-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="every-profile", RoleName="every")

    cli.ok("iam", "update-role", "--role-name", "every", "--description", "for every operation")
    assert iam.get_role(RoleName="every")["Role"]["Description"] == "for every operation"
    cli.ok("iam", "tag-role", "--role-name", "every", "--tags", "Key=team,Value=ops")
    assert cli.ok("iam", "list-role-tags", "--role-name", "every")["Tags"] == [{"Key": "team", "Value": "ops"}]
    cli.ok("iam", "untag-role", "--role-name", "every", "--tag-keys", "team")
    assert iam.list_role_tags(RoleName="every")["Tags"] == []
    assert cli.ok("iam", "list-role-policies", "--role-name", "every")["PolicyNames"] == ["inline"]

    assert cli.ok("iam", "get-policy", "--policy-arn", policy)["Policy"]["DefaultVersionId"] == "v1"
    local = cli.ok("iam", "list-policies", "--scope", "Local")["Policies"]
    assert [p["Arn"] for p in local] == [policy]
    made = cli.ok(
        "iam", "create-policy-version", "--policy-arn", policy, "--policy-document", READ_ONLY, "--set-as-default"
    )
    assert made["PolicyVersion"]["VersionId"] == "v2" and made["PolicyVersion"]["IsDefaultVersion"]
    versions = cli.ok("iam", "list-policy-versions", "--policy-arn", policy)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2"]
    cli.ok("iam", "set-default-policy-version", "--policy-arn", policy, "--version-id", "v1")
    cli.ok("iam", "delete-policy-version", "--policy-arn", policy, "--version-id", "v2")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=policy)["Versions"]] == ["v1"]
    cli.fails("DeleteConflict", "iam", "delete-policy-version", "--policy-arn", policy, "--version-id", "v1")
    cli.fails("NoSuchEntity", "iam", "get-policy", "--policy-arn", policy.replace("every-read", "missing"))

    profiles = cli.ok("iam", "list-instance-profiles")["InstanceProfiles"]
    assert [(p["InstanceProfileName"], [r["RoleName"] for r in p["Roles"]]) for p in profiles] == [
        ("every-profile", ["every"])
    ]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]] == ["every-profile"]
    for_role = cli.ok("iam", "list-instance-profiles-for-role", "--role-name", "every")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == ["every-profile"]


def test_autoscaling_instances_hooks_sources_and_refreshes(server, cli):
    ec2 = server.client("ec2")
    asg = server.client("autoscaling")
    elbv2 = server.client("elbv2")
    ec2.create_launch_template(
        LaunchTemplateName="every", LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro"}
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="every",
        LaunchTemplate={"LaunchTemplateName": "every", "Version": "$Latest"},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        AvailabilityZones=["us-east-1a"],
    )

    def group():
        return asg.describe_auto_scaling_groups(AutoScalingGroupNames=["every"])["AutoScalingGroups"][0]

    def states():
        return {i["InstanceId"]: i["LifecycleState"] for i in group()["Instances"]}

    def sources():
        return asg.describe_traffic_sources(AutoScalingGroupName="every")["TrafficSources"]

    def target_groups():
        return asg.describe_load_balancer_target_groups(AutoScalingGroupName="every")["LoadBalancerTargetGroups"]

    # AttachInstances with the CLI, then protection, standby and health.
    first = running_instance(ec2)
    cli.ok("autoscaling", "attach-instances", "--auto-scaling-group-name", "every", "--instance-ids", first)
    eventually("the attached instance InService", lambda: states() == {first: "InService"})
    assert group()["DesiredCapacity"] == 1
    cli.ok(
        "autoscaling", "set-instance-protection", "--auto-scaling-group-name", "every",
        "--instance-ids", first, "--protected-from-scale-in",
    )
    asg.set_instance_protection(AutoScalingGroupName="every", InstanceIds=[first], ProtectedFromScaleIn=False)
    assert group()["Instances"][0]["ProtectedFromScaleIn"] is False
    asg.enter_standby(AutoScalingGroupName="every", InstanceIds=[first], ShouldDecrementDesiredCapacity=True)
    eventually("the instance in Standby", lambda: states() == {first: "Standby"})
    asg.exit_standby(AutoScalingGroupName="every", InstanceIds=[first])
    eventually("the instance back InService", lambda: states() == {first: "InService"})
    cli.ok("autoscaling", "set-instance-health", "--instance-id", first, "--health-status", "Healthy")
    asg.set_instance_health(InstanceId=first, HealthStatus="Healthy", ShouldRespectGracePeriod=True)
    assert group()["Instances"][0]["HealthStatus"] == "Healthy"

    # DetachInstances (CLI), AttachInstances and DetachInstances (boto3).
    cli.ok(
        "autoscaling", "detach-instances", "--auto-scaling-group-name", "every", "--instance-ids", first,
        "--should-decrement-desired-capacity",
    )
    eventually("the group empty", lambda: states() == {})
    asg.attach_instances(AutoScalingGroupName="every", InstanceIds=[first])
    eventually("the instance attached again", lambda: states() == {first: "InService"})
    detached = asg.detach_instances(
        AutoScalingGroupName="every", InstanceIds=[first], ShouldDecrementDesiredCapacity=True
    )
    assert len(detached["Activities"]) == 1
    eventually("the group empty again", lambda: states() == {})
    cli.fails(
        "ValidationError", "autoscaling", "terminate-instance-in-auto-scaling-group", "--instance-id", first,
        "--should-decrement-desired-capacity",
    )
    raises("ValidationError", asg.set_instance_health, InstanceId=first, HealthStatus="Unhealthy")
    cli.fails("ValidationError", "autoscaling", "attach-instances", "--auto-scaling-group-name", "every",
              "--instance-ids", "i-0123456789abcdef0")

    # Target groups and traffic sources.
    tg = elbv2.create_target_group(Name="every", Protocol="HTTP", Port=8080, VpcId=VPC, TargetType="instance")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    cli.ok("autoscaling", "attach-load-balancer-target-groups", "--auto-scaling-group-name", "every",
           "--target-group-arns", tg_arn)
    described = cli.ok("autoscaling", "describe-load-balancer-target-groups", "--auto-scaling-group-name", "every")
    assert [t["LoadBalancerTargetGroupARN"] for t in described["LoadBalancerTargetGroups"]] == [tg_arn]
    cli.ok("autoscaling", "detach-load-balancer-target-groups", "--auto-scaling-group-name", "every",
           "--target-group-arns", tg_arn)
    eventually("the target group detached", lambda: sources() == [])
    source = f"Identifier={tg_arn},Type=elbv2"
    cli.ok("autoscaling", "attach-traffic-sources", "--auto-scaling-group-name", "every", "--traffic-sources", source)
    listed = cli.ok("autoscaling", "describe-traffic-sources", "--auto-scaling-group-name", "every")["TrafficSources"]
    assert [(s["Identifier"], s["Type"]) for s in listed] == [(tg_arn, "elbv2")]
    cli.ok("autoscaling", "detach-traffic-sources", "--auto-scaling-group-name", "every", "--traffic-sources", source)
    eventually("the source detached", lambda: target_groups() == [])
    asg.attach_traffic_sources(AutoScalingGroupName="every", TrafficSources=[{"Identifier": tg_arn, "Type": "elbv2"}])
    assert [s["Identifier"] for s in sources()] == [tg_arn]
    asg.detach_traffic_sources(AutoScalingGroupName="every", TrafficSources=[{"Identifier": tg_arn, "Type": "elbv2"}])
    asg.attach_load_balancer_target_groups(AutoScalingGroupName="every", TargetGroupARNs=[tg_arn])
    asg.detach_load_balancer_target_groups(AutoScalingGroupName="every", TargetGroupARNs=[tg_arn])
    eventually("every source detached", lambda: sources() == [])
    cli.fails("ValidationError", "autoscaling", "attach-traffic-sources", "--auto-scaling-group-name", "missing",
              "--traffic-sources", source)

    # Lifecycle hooks.
    asg.put_lifecycle_hook(
        AutoScalingGroupName="every", LifecycleHookName="hold",
        LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", HeartbeatTimeout=300,
    )
    hooks = cli.ok("autoscaling", "describe-lifecycle-hooks", "--auto-scaling-group-name", "every")["LifecycleHooks"]
    assert [(h["LifecycleHookName"], h["HeartbeatTimeout"]) for h in hooks] == [("hold", 300)]
    types = cli.ok("autoscaling", "describe-lifecycle-hook-types")["LifecycleHookTypes"]
    assert sorted(types) == sorted(asg.describe_lifecycle_hook_types()["LifecycleHookTypes"])
    assert "autoscaling:EC2_INSTANCE_TERMINATING" in types
    cli.fails("ValidationError", "autoscaling", "record-lifecycle-action-heartbeat", "--auto-scaling-group-name", "every",
              "--lifecycle-hook-name", "hold", "--instance-id", first)
    raises(
        "ValidationError", asg.record_lifecycle_action_heartbeat,
        AutoScalingGroupName="every", LifecycleHookName="hold", InstanceId=first,
    )
    cli.fails("ValidationError", "autoscaling", "complete-lifecycle-action", "--auto-scaling-group-name", "every",
              "--lifecycle-hook-name", "hold", "--instance-id", first, "--lifecycle-action-result", "CONTINUE")
    cli.ok(
        "autoscaling", "delete-lifecycle-hook", "--auto-scaling-group-name", "every", "--lifecycle-hook-name", "hold"
    )
    asg.put_lifecycle_hook(
        AutoScalingGroupName="every", LifecycleHookName="again",
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
    )
    asg.delete_lifecycle_hook(AutoScalingGroupName="every", LifecycleHookName="again")
    assert asg.describe_lifecycle_hooks(AutoScalingGroupName="every")["LifecycleHooks"] == []

    # Instance refreshes.
    cli.fails(
        "ActiveInstanceRefreshNotFound", "autoscaling", "cancel-instance-refresh", "--auto-scaling-group-name", "every"
    )
    raises("ActiveInstanceRefreshNotFound", asg.cancel_instance_refresh, AutoScalingGroupName="every")
    started = cli.ok("autoscaling", "start-instance-refresh", "--auto-scaling-group-name", "every")
    refreshes = cli.ok("autoscaling", "describe-instance-refreshes", "--auto-scaling-group-name", "every")
    assert [r["InstanceRefreshId"] for r in refreshes["InstanceRefreshes"]] == [started["InstanceRefreshId"]]

    def statuses():
        return [r["Status"] for r in asg.describe_instance_refreshes(AutoScalingGroupName="every")["InstanceRefreshes"]]

    eventually("the refresh of an empty group done", lambda: statuses() == ["Successful"])
    again = asg.start_instance_refresh(AutoScalingGroupName="every")["InstanceRefreshId"]
    assert again != started["InstanceRefreshId"]
    eventually("both refreshes listed", lambda: len(statuses()) == 2)
    processes = cli.ok("autoscaling", "describe-scaling-process-types")["Processes"]
    assert len(processes) == 9


def test_elbv2_listeners_rules_target_groups_and_tags(server, cli):
    elbv2 = server.client("elbv2")
    lb = elbv2.create_load_balancer(Name="every", Subnets=SUBNETS)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="every", Protocol="HTTP", Port=8080, VpcId=VPC, TargetType="ip")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg_arn}]
    listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=30917, DefaultActions=forward)
    listener_arn = listener["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=listener_arn, Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/a"]}], Actions=forward,
    )["Rules"][0]["RuleArn"]

    attributes = cli.ok("elbv2", "describe-load-balancer-attributes", "--load-balancer-arn", lb)["Attributes"]
    assert any(a["Key"] == "idle_timeout.timeout_seconds" for a in attributes)
    listeners = cli.ok("elbv2", "describe-listeners", "--load-balancer-arn", lb)["Listeners"]
    assert [(x["ListenerArn"], x["Port"]) for x in listeners] == [(listener_arn, 30917)]
    fixed = json.dumps([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
    modified = cli.ok("elbv2", "modify-listener", "--listener-arn", listener_arn, "--default-actions", fixed)
    assert modified["Listeners"][0]["DefaultActions"][0]["Type"] == "fixed-response"
    conditions = json.dumps([{"Field": "path-pattern", "Values": ["/b"]}])
    changed = cli.ok("elbv2", "modify-rule", "--rule-arn", rule, "--conditions", conditions)
    assert changed["Rules"][0]["Conditions"][0]["Values"] == ["/b"]
    moved = cli.ok("elbv2", "set-rule-priorities", "--rule-priorities", f"RuleArn={rule},Priority=20")
    assert moved["Rules"][0]["Priority"] == "20"
    cli.fails("RuleNotFound", "elbv2", "modify-rule", "--rule-arn", rule.replace(rule[-16:], "0" * 16),
              "--conditions", conditions)

    group = cli.ok("elbv2", "modify-target-group", "--target-group-arn", tg_arn, "--health-check-path", "/health")
    assert group["TargetGroups"][0]["HealthCheckPath"] == "/health"
    tg_attributes = cli.ok("elbv2", "describe-target-group-attributes", "--target-group-arn", tg_arn)["Attributes"]
    assert any(a["Key"] == "deregistration_delay.timeout_seconds" for a in tg_attributes)
    cli.ok("elbv2", "add-tags", "--resource-arns", tg_arn, "--tags", "Key=team,Value=ops")
    described = cli.ok("elbv2", "describe-tags", "--resource-arns", tg_arn)["TagDescriptions"]
    assert described == [{"ResourceArn": tg_arn, "Tags": [{"Key": "team", "Value": "ops"}]}]
    cli.ok("elbv2", "remove-tags", "--resource-arns", tg_arn, "--tag-keys", "team")
    assert elbv2.describe_tags(ResourceArns=[tg_arn])["TagDescriptions"][0]["Tags"] == []
    cli.fails("TargetGroupNotFound", "elbv2", "describe-target-group-attributes", "--target-group-arn",
              tg_arn.replace(tg_arn[-16:], "0" * 16))


def test_ec2_instances_tags_keys_groups_and_profiles(server, cli):
    ec2 = server.client("ec2")
    iam = server.client("iam")
    for name in ("every-a", "every-b"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    instance = running_instance(ec2)

    regions = cli.ok("ec2", "describe-regions")["Regions"]
    assert "us-east-1" in [r["RegionName"] for r in regions]
    status = cli.ok("ec2", "describe-instance-status", "--instance-ids", instance)["InstanceStatuses"]
    assert [s["InstanceState"]["Name"] for s in status] == ["running"]
    options = cli.ok("ec2", "modify-instance-metadata-options", "--instance-id", instance, "--http-tokens", "required")
    assert options["InstanceMetadataOptions"]["HttpTokens"] == "required"

    cli.ok("ec2", "create-tags", "--resources", instance, "--tags", "Key=team,Value=ops")
    tags = cli.ok("ec2", "describe-tags", "--filters", f"Name=resource-id,Values={instance}")["Tags"]
    assert [(t["Key"], t["Value"]) for t in tags] == [("team", "ops")]
    cli.ok("ec2", "delete-tags", "--resources", instance, "--tags", "Key=team")
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [instance]}])["Tags"] == []

    ec2.stop_instances(InstanceIds=[instance])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    started = cli.ok("ec2", "start-instances", "--instance-ids", instance)["StartingInstances"]
    assert started[0]["PreviousState"]["Name"] == "stopped"
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    ec2.create_key_pair(KeyName="every")
    keys = cli.ok("ec2", "describe-key-pairs", "--key-names", "every")["KeyPairs"]
    assert [k["KeyName"] for k in keys] == ["every"]
    cli.ok("ec2", "delete-key-pair", "--key-name", "every")
    cli.fails("InvalidKeyPair.NotFound", "ec2", "describe-key-pairs", "--key-names", "every")

    group = ec2.create_security_group(GroupName="every", Description="every operation", VpcId=VPC)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8")
    cli.ok("ec2", "revoke-security-group-ingress", "--group-id", group, "--protocol", "tcp", "--port", "22",
           "--cidr", "10.0.0.0/8")
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"] == []

    associated = ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": "every-a"})
    ec2.disassociate_iam_instance_profile(AssociationId=associated["IamInstanceProfileAssociation"]["AssociationId"])
    association = cli.ok(
        "ec2", "associate-iam-instance-profile", "--instance-id", instance, "--iam-instance-profile", "Name=every-a"
    )["IamInstanceProfileAssociation"]["AssociationId"]
    listed = cli.ok("ec2", "describe-iam-instance-profile-associations", "--association-ids", association)
    assert [a["State"] for a in listed["IamInstanceProfileAssociations"]] == ["associated"]
    replaced = cli.ok(
        "ec2", "replace-iam-instance-profile-association", "--association-id", association,
        "--iam-instance-profile", "Name=every-b",
    )["IamInstanceProfileAssociation"]
    assert replaced["IamInstanceProfile"]["Arn"].endswith("instance-profile/every-b")
    cli.ok("ec2", "disassociate-iam-instance-profile", "--association-id", replaced["AssociationId"])
    cli.fails("InvalidAssociationID.NotFound", "ec2", "disassociate-iam-instance-profile", "--association-id",
              replaced["AssociationId"])


def test_dynamodb_tables_items_batches_and_transactions(server, cli):
    dynamodb = server.client("dynamodb")
    active = {"Delay": 1, "MaxAttempts": 60}
    made = cli.ok(
        "dynamodb", "create-table", "--table-name", "every", "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
    )
    assert made["TableDescription"]["TableStatus"] == "CREATING"
    dynamodb.get_waiter("table_exists").wait(TableName="every", WaiterConfig=active)

    items = {"every": [{"PutRequest": {"Item": {"pk": {"S": k}}}} for k in ("a", "b")]}
    written = cli.ok("dynamodb", "batch-write-item", "--request-items", json.dumps(items))
    assert written["UnprocessedItems"] == {}
    keys = {"every": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]}}
    got = cli.ok("dynamodb", "batch-get-item", "--request-items", json.dumps(keys))
    assert sorted(i["pk"]["S"] for i in got["Responses"]["every"]) == ["a", "b"]
    put = [{"Put": {"TableName": "every", "Item": {"pk": {"S": "c"}, "v": {"N": "3"}}}}]
    cli.ok("dynamodb", "transact-write-items", "--transact-items", json.dumps(put))
    read = [{"Get": {"TableName": "every", "Key": {"pk": {"S": "c"}}}}]
    got = cli.ok("dynamodb", "transact-get-items", "--transact-items", json.dumps(read))
    assert got["Responses"][0]["Item"]["v"] == {"N": "3"}
    cli.ok("dynamodb", "delete-item", "--table-name", "every", "--key", json.dumps({"pk": {"S": "a"}}))
    assert "Item" not in dynamodb.get_item(TableName="every", Key={"pk": {"S": "a"}})
    cli.fails("ValidationException", "dynamodb", "batch-get-item", "--request-items",
              json.dumps({"every": {"Keys": [{"pk": {"S": "b"}}, {"pk": {"S": "b"}}]}}))

    limits = cli.ok("dynamodb", "describe-limits")
    assert limits == {k: v for k, v in dynamodb.describe_limits().items() if k != "ResponseMetadata"}
    assert limits["TableMaxReadCapacityUnits"] == 40000

    updated = cli.ok(
        "dynamodb", "update-table", "--table-name", "every", "--billing-mode", "PROVISIONED",
        "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5",
    )
    assert updated["TableDescription"]["TableName"] == "every"

    def billed_provisioned():
        table = dynamodb.describe_table(TableName="every")["Table"]
        return table["TableStatus"] == "ACTIVE" and table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5

    eventually("the table provisioned", billed_provisioned)
    cli.ok("dynamodb", "delete-table", "--table-name", "every")
    dynamodb.get_waiter("table_not_exists").wait(TableName="every", WaiterConfig=active)
    cli.fails("ResourceNotFoundException", "dynamodb", "delete-table", "--table-name", "every")


def test_eventbridge_buses_rules_and_targets(server, cli):
    events = server.client("events")
    bus_arn = events.create_event_bus(Name="every", Tags=[{"Key": "team", "Value": "ops"}])["EventBusArn"]
    target = "arn:aws:lambda:us-east-1:000000000000:function:every"
    events.put_rule(Name="watch", EventBusName="every", EventPattern=json.dumps({"source": ["every"]}), State="DISABLED")
    events.put_targets(Rule="watch", EventBusName="every", Targets=[{"Id": "1", "Arn": target}])

    rules = cli.ok("events", "list-rules", "--event-bus-name", "every")["Rules"]
    assert [(r["Name"], r["State"]) for r in rules] == [("watch", "DISABLED")]
    cli.ok("events", "enable-rule", "--name", "watch", "--event-bus-name", "every")
    assert events.describe_rule(Name="watch", EventBusName="every")["State"] == "ENABLED"
    names = cli.ok("events", "list-rule-names-by-target", "--target-arn", target, "--event-bus-name", "every")
    assert names["RuleNames"] == ["watch"]
    assert cli.ok("events", "describe-event-bus", "--name", "every")["Arn"] == bus_arn
    buses = cli.ok("events", "list-event-buses")["EventBuses"]
    assert sorted(b["Name"] for b in buses) == ["default", "every"]
    tags = cli.ok("events", "list-tags-for-resource", "--resource-arn", bus_arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "ops"}]
    cli.ok("events", "delete-event-bus", "--name", "every")
    cli.fails("ResourceNotFoundException", "events", "describe-event-bus", "--name", "every")


def test_lambda_configuration_code_and_permissions(server, cli, tmp_path):
    iam = server.client("iam")
    lam = server.client("lambda")
    role = iam.create_role(RoleName="every-fn", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]

    def package(answer: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.py", f"def handler(event, context):\n    return {answer!r}\n")
        return buffer.getvalue()

    lam.create_function(
        FunctionName="every", Runtime="python3.12", Handler="index.handler", Role=role,
        Code={"ZipFile": package("one")},
    )
    configuration = cli.ok("lambda", "get-function-configuration", "--function-name", "every")
    assert configuration["Handler"] == "index.handler" and configuration["Runtime"] == "python3.12"
    archive = tmp_path / "two.zip"
    archive.write_bytes(package("two"))
    updated = cli.ok("lambda", "update-function-code", "--function-name", "every", "--zip-file", f"fileb://{archive}")
    assert updated["CodeSha256"] != configuration["CodeSha256"]

    lam.add_permission(
        FunctionName="every", StatementId="events", Action="lambda:InvokeFunction", Principal="events.amazonaws.com"
    )
    policy = json.loads(cli.ok("lambda", "get-policy", "--function-name", "every")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["events"]
    cli.ok("lambda", "remove-permission", "--function-name", "every", "--statement-id", "events")
    cli.fails("ResourceNotFoundException", "lambda", "get-policy", "--function-name", "every")
    cli.fails("ResourceNotFoundException", "lambda", "get-function-configuration", "--function-name", "missing")
