"""Authorization on real resources, with the clients users run: seed 004's
instance policy exercised by the AWS CLI from *inside* an instance (allowed
on its own target group, refused on another), and a Deny scoped to one
resource in every service, with boto3 and the AWS CLI signing with the
credentials an instance's metadata service hands out."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, eventually, http_status, make_client

AL2023 = "ami-0ba11a5700a023086"
VPC = "vpc-0ba11a57000000000"
TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)



@pytest.fixture
def server(server_factory):
    server = server_factory.new("authorization", ("--time-scale", "0.05"))
    server.start()
    return server


def role_with_profile(iam, name: str, policy: dict) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def launch(ec2, profile: str, user_data: str | None = None) -> dict:
    # boto3 base64-encodes RunInstances' UserData itself.
    extra = {"UserData": user_data} if user_data else {}
    instance = ec2.run_instances(
        ImageId=AL2023, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": profile}, **extra
    )["Instances"][0]

    def running():
        described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])
        return described["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"

    eventually("the instance to run", running)
    return instance


def console(ec2, instance_id: str) -> str:
    return ec2.get_console_output(InstanceId=instance_id).get("Output", "")


def instance_credentials(instance: dict, role: str) -> dict:
    """The role credentials the instance's metadata service hands out (IMDSv2)."""
    base = f"http://{instance['PrivateIpAddress']}:8169"
    token_request = urllib.request.Request(
        f"{base}/latest/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}
    )
    with urllib.request.urlopen(token_request, timeout=5) as response:
        token = response.read().decode()
    request = urllib.request.Request(
        f"{base}/latest/meta-data/iam/security-credentials/{role}",
        headers={"X-aws-ec2-metadata-token": token},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def target_group(elbv2, name: str) -> str:
    arn = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=VPC)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    # A short drain, so "wait until unused" ends quickly at the test's time scale.
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}]
    )
    return arn


# Seed 004's deregister/register tasks as the instance runs them: its id from
# the metadata service (IMDSv2), then the AWS CLI with the role's credentials.
SEED_004 = r"""#!/bin/bash
set -u
imds="${AWS_EC2_METADATA_SERVICE_ENDPOINT}latest"
token=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 21600" "$imds/api/token")
INSTANCE_ID=$(curl -s -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id")
aws elbv2 register-targets --target-group-arn "@APPS@" --targets "Id=$INSTANCE_ID" \
  && echo "seed004-registered"
aws elbv2 deregister-targets --target-group-arn "@APPS@" --targets "Id=$INSTANCE_ID" \
  && echo "seed004-deregistered"
for i in $(seq 1 300); do
  state=$(aws elbv2 describe-target-health --target-group-arn "@APPS@" --targets "Id=$INSTANCE_ID" \
    --query 'TargetHealthDescriptions[0].TargetHealth.State' --output text)
  if [ "$state" = unused ]; then echo "seed004-unused"; break; fi
  sleep 0.1
done
aws elbv2 register-targets --target-group-arn "@APPS@" --targets "Id=$INSTANCE_ID" \
  && echo "seed004-registered-again"
aws elbv2 register-targets --target-group-arn "@OTHER@" --targets "Id=$INSTANCE_ID" 2>&1 \
  | grep -o AccessDenied | head -1 | sed 's/^/seed004-other: /'
echo "seed004-done"
"""


def test_seed_004_policy_from_inside_an_instance(server):
    iam, ec2, elbv2 = server.client("iam"), server.client("ec2"), server.client("elbv2")
    apps = target_group(elbv2, "apps")
    other = target_group(elbv2, "other")
    # The seed's policy: register and deregister on the app's target group,
    # target health on anything.
    role_with_profile(
        iam,
        "app-role",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "VisualEditor0",
                    "Effect": "Allow",
                    "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                    "Resource": apps,
                },
                {
                    "Sid": "VisualEditor1",
                    "Effect": "Allow",
                    "Action": "elasticloadbalancing:DescribeTargetHealth",
                    "Resource": "*",
                },
            ],
        },
    )
    script = SEED_004.replace("@APPS@", apps).replace("@OTHER@", other)
    instance_id = launch(ec2, "app-role", script)["InstanceId"]

    text = eventually(
        "the seed-004 tasks",
        lambda: "seed004-done" in (c := console(ec2, instance_id)) and c,
        120,
        lambda: console(ec2, instance_id),
    )
    for marker in ("registered", "deregistered", "unused", "registered-again"):
        assert f"seed004-{marker}" in text, text
    assert "seed004-other: AccessDenied" in text, text

    registered = elbv2.describe_target_health(TargetGroupArn=apps)["TargetHealthDescriptions"]
    assert [d["Target"]["Id"] for d in registered] == [instance_id]
    assert elbv2.describe_target_health(TargetGroupArn=other)["TargetHealthDescriptions"] == []


def test_a_resource_scoped_deny_applies_in_every_service(server, tmp_path):
    iam, ec2, elbv2 = server.client("iam"), server.client("ec2"), server.client("elbv2")
    asg, ssm = server.client("autoscaling"), server.client("ssm")
    keep_tg = target_group(elbv2, "keep")
    spare_tg = target_group(elbv2, "spare")
    keep_sg = ec2.create_security_group(GroupName="keep", Description="kept")["GroupId"]
    spare_sg = ec2.create_security_group(GroupName="spare", Description="spare")["GroupId"]
    ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro"}
    )
    for name in ("frozen", "free"):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "web"},
            MinSize=0,
            MaxSize=1,
            AvailabilityZones=["us-east-1a"],
        )
    for name in ("keep", "spare"):
        iam.create_role(RoleName=name, Path="/services/", AssumeRolePolicyDocument=TRUST_EC2)
    for name in ("/app/secret", "/app/public"):
        ssm.put_parameter(Name=name, Value="v", Type="String")

    def deny(action: str, resource: str) -> dict:
        return {"Effect": "Deny", "Action": action, "Resource": resource}

    role_with_profile(
        iam,
        "admin",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                deny("elasticloadbalancing:DeleteTargetGroup", keep_tg),
                deny("ec2:DeleteSecurityGroup", f"arn:aws:ec2:*:*:security-group/{keep_sg}"),
                deny("autoscaling:*", "arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/frozen"),
                deny("iam:DeleteRole", "arn:aws:iam::*:role/services/keep"),
                deny("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/app/secret"),
                deny("dynamodb:*", "arn:aws:dynamodb:*:*:table/orders"),
            ],
        },
    )
    creds = instance_credentials(launch(ec2, "admin"), "admin")
    as_instance = lambda service: make_client(  # noqa: E731
        service,
        server.endpoint,
        access_key=creds["AccessKeyId"],
        secret_key=creds["SecretAccessKey"],
        session_token=creds["Token"],
    )

    def refused(call, code: str, status: int) -> None:
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught.value) == code, caught.value.response
        assert http_status(caught.value) == status

    lb = as_instance("elbv2")
    refused(lambda: lb.delete_target_group(TargetGroupArn=keep_tg), "AccessDenied", 403)
    lb.delete_target_group(TargetGroupArn=spare_tg)
    compute = as_instance("ec2")
    refused(lambda: compute.delete_security_group(GroupId=keep_sg), "UnauthorizedOperation", 403)
    compute.delete_security_group(GroupId=spare_sg)
    scaling = as_instance("autoscaling")
    refused(lambda: scaling.set_desired_capacity(AutoScalingGroupName="frozen", DesiredCapacity=1), "AccessDenied", 403)
    scaling.update_auto_scaling_group(AutoScalingGroupName="free", MaxSize=2)
    identity = as_instance("iam")
    refused(lambda: identity.delete_role(RoleName="keep"), "AccessDenied", 403)
    identity.delete_role(RoleName="spare")
    parameters = as_instance("ssm")
    refused(lambda: parameters.get_parameter(Name="/app/secret"), "AccessDeniedException", 400)
    assert parameters.get_parameter(Name="/app/public")["Parameter"]["Value"] == "v"
    tables = as_instance("dynamodb")
    refused(lambda: tables.describe_table(TableName="orders"), "AccessDeniedException", 400)

    # The AWS CLI, signing with the same credentials, is refused the same way.
    aws = AwsCli(server.endpoint, tmp_path)
    aws.env.update(
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["Token"],
    )
    rc, _, stderr = aws("elbv2", "delete-target-group", "--target-group-arn", keep_tg)
    assert rc != 0 and "AccessDenied" in stderr, stderr
    rc, _, stderr = aws("ec2", "delete-security-group", "--group-id", keep_sg)
    assert rc != 0 and "UnauthorizedOperation" in stderr, stderr
    rc, _, stderr = aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", "frozen")
    assert rc != 0 and "AccessDenied" in stderr, stderr
    rc, _, stderr = aws("iam", "delete-role", "--role-name", "keep")
    assert rc != 0 and "AccessDenied" in stderr, stderr
    rc, _, stderr = aws("ssm", "get-parameter", "--name", "/app/secret")
    assert rc != 0 and "AccessDeniedException" in stderr, stderr
    rc, _, stderr = aws("dynamodb", "describe-table", "--table-name", "orders")
    assert rc != 0 and "AccessDeniedException" in stderr, stderr

    # What was refused is still there.
    assert [g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]] == [keep_tg]
    assert keep_sg in [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["frozen"])["AutoScalingGroups"][0]["DesiredCapacity"] == 0
    iam.get_role(RoleName="keep")
