"""EC2 Auto Scaling with boto3 and the AWS CLI: groups that launch real
instances, their errors, processes, hooks and target groups, and the
seed-002 CodeDeploy sequence (describe the instance's group, suspend
processes remembering which were suspended, enter standby, exit standby,
restore) run with the AWS CLI from *inside* an instance, with the
credentials of its role from the metadata service."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, eventually

AL2023 = "ami-0ba11a5700a023086"
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]



@pytest.fixture
def server(server_factory):
    server = server_factory.new("autoscaling", ("--time-scale", "0.05"))
    server.start()
    return server


def launch_template(ec2, name: str, **data) -> None:
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro", **data},
    )


def members(asg, group: str) -> list[dict]:
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
    return groups[0]["Instances"] if groups else []


def in_service(asg, group: str, n: int) -> list[dict]:
    def probe():
        found = members(asg, group)
        ok = len(found) == n and all(m["LifecycleState"] == "InService" for m in found)
        return found if ok else None

    return eventually(f"{n} instances InService in {group}", probe)


def test_groups_with_boto3(server):
    ec2, asg, elbv2 = server.client("ec2"), server.client("autoscaling"), server.client("elbv2")
    launch_template(ec2, "web")
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web", "Version": "$Default"},
        MinSize=3,
        MaxSize=3,
        AvailabilityZones=ZONES,
        Tags=[{"Key": "team", "Value": "a", "PropagateAtLaunch": True}],
    )
    found = in_service(asg, "web", 3)
    assert sorted(m["AvailabilityZone"] for m in found) == ZONES
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 3
    assert group["HealthCheckType"] == "EC2"
    assert group["Tags"][0]["Key"] == "team" and group["Tags"][0]["PropagateAtLaunch"] is True
    details = asg.describe_auto_scaling_instances(InstanceIds=[found[0]["InstanceId"]])
    assert details["AutoScalingInstances"][0]["AutoScalingGroupName"] == "web"

    with pytest.raises(ClientError) as e:
        asg.create_auto_scaling_group(
            AutoScalingGroupName="web",
            LaunchTemplate={"LaunchTemplateName": "web"},
            MinSize=1,
            MaxSize=1,
            AvailabilityZones=ZONES,
        )
    assert error_code(e.value) == "AlreadyExists"
    with pytest.raises(ClientError) as e:
        asg.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=9)
    assert error_code(e.value) == "ValidationError"
    with pytest.raises(ClientError) as e:
        asg.delete_auto_scaling_group(AutoScalingGroupName="web")
    assert error_code(e.value) == "ResourceInUse"
    with pytest.raises(ClientError) as e:
        asg.describe_lifecycle_hooks(AutoScalingGroupName="missing")
    assert error_code(e.value) == "ValidationError"

    # Processes and hooks.
    names = [p["ProcessName"] for p in asg.describe_scaling_process_types()["Processes"]]
    assert "ReplaceUnhealthy" in names and len(names) == 9
    asg.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["AZRebalance"])
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert [p["ProcessName"] for p in group["SuspendedProcesses"]] == ["AZRebalance"]
    asg.resume_processes(AutoScalingGroupName="web")
    asg.put_lifecycle_hook(
        AutoScalingGroupName="web",
        LifecycleHookName="drain",
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=30,
        DefaultResult="CONTINUE",
    )
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName="web")["LifecycleHooks"]
    assert hooks[0]["GlobalTimeout"] == 3000 and hooks[0]["DefaultResult"] == "CONTINUE"

    # Target groups attach additively and register the instances.
    tg = elbv2.create_target_group(
        Name="web-tg", Protocol="HTTP", Port=8080, VpcId="vpc-0ba11a57000000000", TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    asg.attach_load_balancer_target_groups(AutoScalingGroupName="web", TargetGroupARNs=[tg])
    eventually(
        "three registrations",
        lambda: len(elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]) == 3,
    )
    states = asg.describe_load_balancer_target_groups(AutoScalingGroupName="web")["LoadBalancerTargetGroups"]
    assert states[0]["LoadBalancerTargetGroupARN"] == tg

    # A terminating instance waits on its hook (30 s, 1.5 s here), then
    # goes; with decrement no replacement comes.
    victim = found[0]["InstanceId"]
    asg.update_auto_scaling_group(AutoScalingGroupName="web", MinSize=2)
    activity = asg.terminate_instance_in_auto_scaling_group(
        InstanceId=victim, ShouldDecrementDesiredCapacity=True
    )["Activity"]
    assert victim in activity["Description"]
    eventually(
        "the instance waiting on its termination hook",
        lambda: any(
            m["InstanceId"] == victim and m["LifecycleState"] == "Terminating:Wait"
            for m in members(asg, "web")
        ),
    )
    in_service(asg, "web", 2)
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
    assert any("user request, shrinking the capacity from 3 to 2" in c for c in causes), causes

    asg.delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
    eventually(
        "the group deleted",
        lambda: not asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"],
    )


def test_groups_with_the_aws_cli(server, tmp_path):
    aws = AwsCli(server.endpoint, tmp_path)
    launch_template(server.client("ec2"), "cli")
    rc, _, err = aws(
        "autoscaling",
        "create-auto-scaling-group",
        "--auto-scaling-group-name",
        "cli",
        "--launch-template",
        "LaunchTemplateName=cli,Version=$Latest",
        "--min-size",
        "1",
        "--max-size",
        "2",
        "--vpc-zone-identifier",
        "subnet-0ba11a5700000000a,subnet-0ba11a5700000000b",
    )
    assert rc == 0, err

    def described():
        rc, out, _ = aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "cli")
        return out["AutoScalingGroups"][0] if rc == 0 and out["AutoScalingGroups"] else None

    eventually(
        "the CLI group in service",
        lambda: (g := described()) and [i["LifecycleState"] for i in g["Instances"]] == ["InService"],
    )
    rc, _, err = aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "cli", "--desired-capacity", "2")
    assert rc == 0, err
    group = eventually(
        "two instances",
        lambda: (g := described()) and sum(i["LifecycleState"] == "InService" for i in g["Instances"]) == 2 and g,
    )
    assert sorted(i["AvailabilityZone"] for i in group["Instances"]) == ["us-east-1a", "us-east-1b"]
    rc, _, err = aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "cli", "--desired-capacity", "5")
    assert rc != 0 and "ValidationError" in err, err
    rc, out, err = aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "cli")
    assert rc == 0 and len(out["Activities"]) == 2, err
    rc, out, err = aws("autoscaling", "describe-auto-scaling-instances")
    assert rc == 0 and len(out["AutoScalingInstances"]) == 2, err
    rc, _, err = aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "cli", "--force-delete")
    assert rc == 0, err
    eventually("the CLI group gone", lambda: described() is None)


TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

# The permissions the CodeDeploy load-balancing scripts document (seed 002).
CODEDEPLOY_LB = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:Describe*",
                    "elasticloadbalancing:DeregisterTargets",
                    "elasticloadbalancing:RegisterTargets",
                    "autoscaling:Describe*",
                    "autoscaling:EnterStandby",
                    "autoscaling:ExitStandby",
                    "autoscaling:UpdateAutoScalingGroup",
                    "autoscaling:SuspendProcesses",
                    "autoscaling:ResumeProcesses",
                ],
                "Resource": "*",
            }
        ],
    }
)

# The seed-002 sequence, as common_functions.sh runs it with HANDLE_PROCS:
# the instance finds its id (IMDSv2) and its group, remembers which
# processes were already suspended, suspends the ones it needs, lowers the
# minimum if standby would breach it, enters standby, exits, and restores
# the minimum and only the processes it suspended itself.
SEED_002 = r"""#!/bin/bash
set -u
imds="${AWS_EC2_METADATA_SERVICE_ENDPOINT}latest"
token=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$imds/api/token")
INSTANCE_ID=$(curl -s -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id")
state() {
  aws autoscaling describe-auto-scaling-instances --instance-ids "$INSTANCE_ID" \
    --query "AutoScalingInstances[?InstanceId == '$INSTANCE_ID'].LifecycleState | [0]" --output text
}
wait_for() {
  for i in $(seq 1 600); do
    [ "$(state)" = "$1" ] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1"; return 1
}
wait_for InService
ASG=$(aws autoscaling describe-auto-scaling-instances --instance-ids "$INSTANCE_ID" \
  --output text --query 'AutoScalingInstances[0].AutoScalingGroupName')
echo "seed002-group: $ASG"
aws autoscaling describe-auto-scaling-groups --auto-scaling-group-name "$ASG" \
  --query 'AutoScalingGroups[].SuspendedProcesses' --output text | awk '{printf $1"\n"}' > "$HOME/suspended-before"
echo "seed002-suspended-before: $(tr '\n' ' ' < "$HOME/suspended-before")"
PROCS="AZRebalance AlarmNotification ScheduledActions ReplaceUnhealthy"
aws autoscaling suspend-processes --auto-scaling-group-name "$ASG" --scaling-processes $PROCS || echo "seed002-error: suspend"
read MIN DESIRED <<< "$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-name "$ASG" \
  --query 'AutoScalingGroups[0].[MinSize, DesiredCapacity]' --output text)"
if [ "$MIN" -eq "$DESIRED" ]; then
  aws autoscaling update-auto-scaling-group --auto-scaling-group-name "$ASG" --min-size $((MIN - 1)) \
    && touch "$HOME/min-lowered" && echo "seed002-min-lowered: $MIN -> $((MIN - 1))"
fi
aws autoscaling enter-standby --instance-ids "$INSTANCE_ID" --auto-scaling-group-name "$ASG" \
  --should-decrement-desired-capacity > /dev/null || echo "seed002-error: enter-standby"
wait_for Standby && echo "seed002-standby"
aws autoscaling exit-standby --instance-ids "$INSTANCE_ID" --auto-scaling-group-name "$ASG" > /dev/null \
  || echo "seed002-error: exit-standby"
wait_for InService && echo "seed002-back-in-service"
if [ -f "$HOME/min-lowered" ]; then
  MIN=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-name "$ASG" \
    --query 'AutoScalingGroups[0].MinSize' --output text)
  aws autoscaling update-auto-scaling-group --auto-scaling-group-name "$ASG" --min-size $((MIN + 1)) \
    && echo "seed002-min-restored: $((MIN + 1))"
fi
RESUME=""
for p in $PROCS; do
  grep -qx "$p" "$HOME/suspended-before" || RESUME="$RESUME $p"
done
aws autoscaling resume-processes --auto-scaling-group-name "$ASG" --scaling-processes $RESUME \
  && echo "seed002-resumed:$RESUME"
# Not granted by the role: refused.
aws autoscaling delete-auto-scaling-group --auto-scaling-group-name "$ASG" --force-delete 2>&1 \
  | grep -o AccessDenied | head -1 | sed 's/^/seed002-denied: /'
echo "seed002-done"
"""


def test_seed_002_standby_and_processes_from_inside_an_instance(server):
    iam, ec2, asg = server.client("iam"), server.client("ec2"), server.client("autoscaling")
    iam.create_role(RoleName="codedeploy-lb", AssumeRolePolicyDocument=TRUST_EC2)
    iam.put_role_policy(RoleName="codedeploy-lb", PolicyName="lb", PolicyDocument=CODEDEPLOY_LB)
    iam.create_instance_profile(InstanceProfileName="codedeploy-lb")
    iam.add_role_to_instance_profile(InstanceProfileName="codedeploy-lb", RoleName="codedeploy-lb")
    launch_template(
        ec2,
        "seed002",
        UserData=__import__("base64").b64encode(SEED_002.encode()).decode(),
        IamInstanceProfile={"Name": "codedeploy-lb"},
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="deploy",
        LaunchTemplate={"LaunchTemplateName": "seed002"},
        MinSize=1,
        MaxSize=2,
        AvailabilityZones=["us-east-1a"],
    )
    # AZRebalance was suspended before the deployment: it must stay so.
    asg.suspend_processes(AutoScalingGroupName="deploy", ScalingProcesses=["AZRebalance"])
    instance_id = in_service(asg, "deploy", 1)[0]["InstanceId"]

    def console() -> str:
        return ec2.get_console_output(InstanceId=instance_id).get("Output", "")

    text = eventually("the seed-002 sequence", lambda: "seed002-done" in (c := console()) and c, 120)
    assert "seed002-group: deploy" in text, text
    assert "seed002-suspended-before: AZRebalance" in text, text
    assert "seed002-min-lowered: 1 -> 0" in text, text
    assert "seed002-standby" in text, text
    assert "seed002-back-in-service" in text, text
    assert "seed002-min-restored: 1" in text, text
    assert "seed002-resumed: AlarmNotification ScheduledActions ReplaceUnhealthy" in text, text
    assert "seed002-denied: AccessDenied" in text, text
    assert "seed002-error" not in text, text

    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["deploy"])["AutoScalingGroups"][0]
    assert [p["ProcessName"] for p in group["SuspendedProcesses"]] == ["AZRebalance"]
    assert (group["MinSize"], group["DesiredCapacity"]) == (1, 1)
    assert [(i["InstanceId"], i["LifecycleState"]) for i in group["Instances"]] == [(instance_id, "InService")]
    descriptions = [a["Description"] for a in asg.describe_scaling_activities(AutoScalingGroupName="deploy")["Activities"]]
    assert f"Moving EC2 instance to Standby: {instance_id}" in descriptions
    assert f"Moving EC2 instance out of Standby: {instance_id}" in descriptions


def test_tags_and_metrics_collection_with_boto3_and_the_cli(server, tmp_path):
    ec2, asg = server.client("ec2"), server.client("autoscaling")
    aws = AwsCli(server.endpoint, tmp_path)
    launch_template(ec2, "settings")
    for name in ("alpha", "beta"):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "settings"},
            MinSize=0,
            MaxSize=1,
            AvailabilityZones=ZONES,
        )

    # Tags: boto3 sets them, the CLI lists, changes and deletes them.
    asg.create_or_update_tags(
        Tags=[
            {"ResourceId": "alpha", "ResourceType": "auto-scaling-group", "Key": "team",
             "Value": "web", "PropagateAtLaunch": True},
            {"ResourceId": "beta", "ResourceType": "auto-scaling-group", "Key": "team",
             "Value": "api", "PropagateAtLaunch": False},
        ]
    )
    listed = asg.describe_tags(Filters=[{"Name": "key", "Values": ["team"]}])["Tags"]
    assert [(t["ResourceId"], t["Value"], t["PropagateAtLaunch"]) for t in listed] == [
        ("alpha", "web", True), ("beta", "api", False)
    ]
    assert all(t["ResourceType"] == "auto-scaling-group" for t in listed)
    rc, _, err = aws(
        "autoscaling", "create-or-update-tags", "--tags",
        "ResourceId=beta,ResourceType=auto-scaling-group,Key=team,Value=core,PropagateAtLaunch=true",
    )
    assert rc == 0, err
    rc, out, err = aws("autoscaling", "describe-tags", "--filters", "Name=auto-scaling-group,Values=beta")
    assert rc == 0, err
    assert [(t["Key"], t["Value"], t["PropagateAtLaunch"]) for t in out["Tags"]] == [("team", "core", True)]
    rc, _, err = aws(
        "autoscaling", "delete-tags", "--tags", "ResourceId=beta,ResourceType=auto-scaling-group,Key=team"
    )
    assert rc == 0, err
    asg.delete_tags(Tags=[{"ResourceId": "alpha", "ResourceType": "auto-scaling-group", "Key": "absent"}])
    assert [t["ResourceId"] for t in asg.describe_tags()["Tags"]] == ["alpha"]
    with pytest.raises(ClientError) as refused:
        asg.create_or_update_tags(
            Tags=[{"ResourceId": "nope", "ResourceType": "auto-scaling-group", "Key": "k", "Value": "v"}]
        )
    assert error_code(refused.value) == "ValidationError"
    with pytest.raises(ClientError) as refused:
        asg.describe_tags(Filters=[{"Name": "tag:team", "Values": ["web"]}])
    assert error_code(refused.value) == "ValidationError"
    rc, _, err = aws(
        "autoscaling", "delete-tags", "--tags", "ResourceId=nope,ResourceType=auto-scaling-group,Key=team"
    )
    assert rc != 0 and "ValidationError" in err, err

    # Metrics collection: boto3 turns some on, the CLI the rest and then off.
    asg.enable_metrics_collection(
        AutoScalingGroupName="alpha", Granularity="1Minute", Metrics=["GroupMinSize", "GroupMaxSize"]
    )
    enabled = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["alpha"])["AutoScalingGroups"][0]
    assert enabled["EnabledMetrics"] == [
        {"Metric": "GroupMinSize", "Granularity": "1Minute"},
        {"Metric": "GroupMaxSize", "Granularity": "1Minute"},
    ]
    rc, _, err = aws("autoscaling", "enable-metrics-collection", "--auto-scaling-group-name", "alpha",
                     "--granularity", "1Minute")
    assert rc == 0, err
    rc, out, err = aws("autoscaling", "describe-metric-collection-types")
    assert rc == 0, err
    everything = [m["Metric"] for m in out["Metrics"]]
    assert out["Granularities"] == [{"Granularity": "1Minute"}]
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["alpha"])["AutoScalingGroups"][0]
    assert [m["Metric"] for m in group["EnabledMetrics"]] == everything
    assert [m["Metric"] for m in asg.describe_metric_collection_types()["Metrics"]] == everything
    asg.disable_metrics_collection(AutoScalingGroupName="alpha", Metrics=["GroupMinSize"])
    rc, _, err = aws("autoscaling", "disable-metrics-collection", "--auto-scaling-group-name", "alpha")
    assert rc == 0, err
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["alpha"])["AutoScalingGroups"][0]
    assert group["EnabledMetrics"] == []
    rc, _, err = aws("autoscaling", "enable-metrics-collection", "--auto-scaling-group-name", "alpha",
                     "--granularity", "5Minute")
    assert rc != 0 and "ValidationError" in err, err
    with pytest.raises(ClientError) as refused:
        asg.disable_metrics_collection(AutoScalingGroupName="nope")
    assert error_code(refused.value) == "ValidationError"
