"""Auto Scaling's scaling policies with boto3, the AWS CLI and
community.aws's `autoscaling_policy`: ExecutePolicy really resizes the
group (instances launch, with AWS's cause) within its bounds and
cooldown, step policies pick their step from the metric, target tracking
configurations are kept as given, and refusals are `ValidationError`s
that change nothing."""

from __future__ import annotations

import textwrap

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, ansible_result, error_code, eventually

AL2023 = "ami-0ba11a5700a023086"


@pytest.fixture
def server(server_factory):
    server = server_factory.new("autoscaling-policies", ("--time-scale", "0.05"))
    server.start()
    return server


def make_group(server, name: str) -> None:
    server.client("ec2").create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro"}
    )
    server.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": name},
        MinSize=0, MaxSize=6, DesiredCapacity=0, AvailabilityZones=["us-east-1a"],
    )


def desired(asg, group: str) -> int:
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]["DesiredCapacity"]


def test_policies_with_boto3(server):
    asg = server.client("autoscaling")
    make_group(server, "web")
    assert [t["AdjustmentType"] for t in asg.describe_adjustment_types()["AdjustmentTypes"]] == [
        "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"
    ]
    arn = asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="grow", AdjustmentType="PercentChangeInCapacity",
        ScalingAdjustment=50, MinAdjustmentMagnitude=1, Cooldown=600,
    )["PolicyARN"]
    assert ":scalingPolicy:" in arn and arn.endswith("autoScalingGroupName/web:policyName/grow")
    asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="steps", PolicyType="StepScaling",
        AdjustmentType="ExactCapacity",
        StepAdjustments=[
            {"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 3},
        ],
    )
    asg.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="requests", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageNetworkIn"},
            "TargetValue": 1000.0, "DisableScaleIn": True,
        },
    )
    policies = {p["PolicyName"]: p for p in asg.describe_policies(AutoScalingGroupName="web")["ScalingPolicies"]}
    assert sorted(policies) == ["grow", "requests", "steps"]
    assert policies["steps"]["MetricAggregationType"] == "Average"
    assert policies["requests"]["TargetTrackingConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageNetworkIn"},
        "TargetValue": 1000.0, "DisableScaleIn": True,
    }
    assert [p["PolicyName"] for p in asg.describe_policies(PolicyTypes=["StepScaling"])["ScalingPolicies"]] == [
        "steps"
    ]

    # Above the threshold: exactly three; then half as many again, 1.5
    # rounded down: four.
    asg.execute_policy(AutoScalingGroupName="web", PolicyName="steps", MetricValue=80.0, BreachThreshold=70.0)
    assert desired(asg, "web") == 3
    asg.execute_policy(AutoScalingGroupName="web", PolicyName=arn)
    assert desired(asg, "web") == 4

    def four_up():
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
        return len([i for i in group["Instances"] if i["LifecycleState"] == "InService"]) == 4 or None

    eventually("four instances InService", four_up)
    causes = [a["Cause"] for a in asg.describe_scaling_activities(AutoScalingGroupName="web")["Activities"]]
    assert any("a user request executed policy grow changing the desired capacity from 3 to 4." in c
               for c in causes), causes

    with pytest.raises(ClientError) as refused:
        asg.execute_policy(AutoScalingGroupName="web", PolicyName="grow", HonorCooldown=True)
    assert error_code(refused.value) == "ScalingActivityInProgress"
    for why, kwargs in [
        ("no increment", {"AdjustmentType": "ChangeInCapacity"}),
        ("no adjustment type", {"ScalingAdjustment": 1}),
        ("magnitude without a percentage", {"AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 1,
                                             "MinAdjustmentMagnitude": 2}),
        ("cooldown on steps", {"PolicyType": "StepScaling", "AdjustmentType": "ChangeInCapacity", "Cooldown": 60,
                               "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}),
    ]:
        with pytest.raises(ClientError) as refused:
            asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="bad", **kwargs)
        assert error_code(refused.value) == "ValidationError", why
    with pytest.raises(ClientError) as refused:
        asg.execute_policy(AutoScalingGroupName="web", PolicyName="requests")
    assert error_code(refused.value) == "ValidationError"
    assert "bad" not in {p["PolicyName"] for p in asg.describe_policies()["ScalingPolicies"]}
    assert desired(asg, "web") == 4


def test_policies_with_the_aws_cli(server, tmp_path):
    make_group(server, "api")
    aws = AwsCli(server.endpoint, tmp_path)
    rc, out, err = aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "api",
                       "--policy-name", "in", "--adjustment-type", "ChangeInCapacity", "--scaling-adjustment", "-1")
    assert rc == 0 and out["Alarms"] == [], err
    rc, out, err = aws("autoscaling", "describe-adjustment-types")
    assert rc == 0 and [t["AdjustmentType"] for t in out["AdjustmentTypes"]] == [
        "ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"
    ], err
    rc, _, err = aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "api",
                     "--desired-capacity", "2")
    assert rc == 0, err

    def launched_with_cause():
        activities = server.client("autoscaling").describe_scaling_activities(AutoScalingGroupName="api")
        causes = [a["Cause"] for a in activities["Activities"]]
        return causes if len(causes) == 2 else None

    causes = eventually("two launches", launched_with_cause)
    assert all("a user request explicitly set group desired capacity changing the desired capacity from 0 to 2."
               in c for c in causes), causes
    rc, _, err = aws("autoscaling", "execute-policy", "--auto-scaling-group-name", "api", "--policy-name", "in")
    assert rc == 0, err
    rc, out, err = aws("autoscaling", "describe-policies", "--auto-scaling-group-name", "api")
    assert rc == 0 and [(p["PolicyName"], p["ScalingAdjustment"]) for p in out["ScalingPolicies"]] == [("in", -1)]
    assert desired(server.client("autoscaling"), "api") == 1
    rc, _, err = aws("autoscaling", "delete-policy", "--auto-scaling-group-name", "api", "--policy-name", "in")
    assert rc == 0, err
    rc, _, err = aws("autoscaling", "execute-policy", "--auto-scaling-group-name", "api", "--policy-name", "in")
    assert rc != 0 and "ValidationError" in err, err
    rc, _, err = aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "api",
                     "--policy-name", "x", "--adjustment-type", "ChangeInCapacity")
    assert rc != 0 and "Scaling increment must be specified for a SimpleScaling policy" in err, err


PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - community.aws.autoscaling_policy:
            name: scale-out
            asg_name: "{{ group }}"
            adjustment_type: ChangeInCapacity
            scaling_adjustment: 1
            cooldown: 120
            state: "{{ state }}"
          register: simple
        - community.aws.autoscaling_policy:
            name: steps
            asg_name: "{{ group }}"
            policy_type: StepScaling
            adjustment_type: ChangeInCapacity
            metric_aggregation: Maximum
            step_adjustments:
              - upper_bound: 20
                scaling_adjustment: 1
              - lower_bound: 20
                scaling_adjustment: 2
            state: "{{ state }}"
          register: steps
        - community.aws.autoscaling_policy:
            name: cpu
            asg_name: "{{ group }}"
            policy_type: TargetTrackingScaling
            target_tracking_config:
              predefined_metric_spec:
                predefined_metric_type: ASGAverageCPUUtilization
              target_value: 60
            state: "{{ state }}"
          register: tracking
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: "{{ {'changed': [simple.changed, steps.changed, tracking.changed],
              'arn': simple.arn | default(None)} | to_json }}"
    """
)


def test_the_ansible_module_keeps_each_kind_of_policy(server, tmp_path):
    make_group(server, "ansible")
    asg = server.client("autoscaling")
    run = lambda state: ansible_result(server.endpoint, tmp_path, PLAYBOOK, group="ansible", state=state)  # noqa: E731
    first = run("present")
    assert first["changed"] == [True, True, True]
    assert first["arn"].endswith("policyName/scale-out")
    assert run("present")["changed"] == [False, False, False]
    kinds = {p["PolicyName"]: p["PolicyType"] for p in asg.describe_policies()["ScalingPolicies"]}
    assert kinds == {"scale-out": "SimpleScaling", "steps": "StepScaling", "cpu": "TargetTrackingScaling"}
    assert run("absent")["changed"] == [True, True, True]
    assert asg.describe_policies()["ScalingPolicies"] == []
