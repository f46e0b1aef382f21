"""EC2 instances with boto3 and the AWS CLI: real process groups booted from
user data, observed from outside, and the AWS CLI and boto3 running *inside*
an instance, finding their credentials through its metadata service."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, error_code, eventually, http_status

AL2023 = "ami-0ba11a5700a023086"

# Serves the instance's directory on its private address from the boot
# hook (so on every boot), with the instance id read from IMDSv2.
WEB_USER_DATA = """#!/bin/bash
echo "user data on $BALLAST_PRIVATE_IP"
mkdir -p "$HOME/www"
imds="${AWS_EC2_METADATA_SERVICE_ENDPOINT}latest"
token=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" "$imds/api/token")
curl -s -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id" > "$HOME/www/id"
cat > "$BALLAST_BOOT_HOOK" <<'HOOK'
#!/bin/bash
cd "$HOME/www"
nohup python3 -m http.server 8080 --bind "$BALLAST_PRIVATE_IP" >/dev/null 2>&1 &
HOOK
chmod +x "$BALLAST_BOOT_HOOK"
"""

# On every boot: who am I, and may I read the parameter? Once with the AWS
# CLI and once with boto3, both configured only by the instance's
# environment (endpoint, region, metadata endpoint; no credentials).
IDENTITY_USER_DATA = """#!/bin/bash
cat > "$BALLAST_BOOT_HOOK" <<'HOOK'
#!/bin/bash
echo "cli-identity: $(aws sts get-caller-identity --query Arn --output text 2>&1)"
if value=$(aws ssm get-parameter --name /app/greeting --query Parameter.Value --output text 2>&1); then
  echo "cli-ssm: allowed $value"
else
  echo "cli-ssm: denied $(echo "$value" | grep -o AccessDeniedException | head -1)"
fi
python3 - <<'PY'
import boto3
from botocore.exceptions import ClientError
print("boto3-identity:", boto3.client("sts").get_caller_identity()["Arn"])
try:
    value = boto3.client("ssm").get_parameter(Name="/app/greeting")["Parameter"]["Value"]
    print("boto3-ssm: allowed", value)
except ClientError as e:
    print("boto3-ssm: denied", e.response["Error"]["Code"])
PY
echo "checks-done"
HOOK
chmod +x "$BALLAST_BOOT_HOOK"
"""

TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
READ_APP = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/*"}
        ],
    }
)



def state_of(ec2, instance_id: str) -> str:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def wait_state(ec2, instance_id: str, wanted: str) -> None:
    eventually(f"{instance_id} {wanted}", lambda: state_of(ec2, instance_id) == wanted)


def http_get(address: str, path: str) -> str | None:
    try:
        with urllib.request.urlopen(f"http://{address}:8080/{path}", timeout=0.5) as response:
            return response.read().decode()
    except OSError:
        return None


def console(ec2, instance_id: str) -> str:
    # botocore decodes the base64 Output itself.
    return ec2.get_console_output(InstanceId=instance_id).get("Output", "")


@pytest.fixture
def server(server_factory):
    server = server_factory.new("instances", ("--time-scale", "0.02"))
    server.start()
    return server


def test_lifecycle_with_boto3_waiters(server):
    ec2 = server.client("ec2")
    launched = ec2.run_instances(
        ImageId=AL2023,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        UserData=WEB_USER_DATA,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "web"}]}],
    )
    instance = launched["Instances"][0]
    instance_id, address = instance["InstanceId"], instance["PrivateIpAddress"]
    assert instance["State"] == {"Code": 0, "Name": "pending"}
    assert instance["MetadataOptions"]["HttpTokens"] == "required"

    wait_state(ec2, instance_id, "running")
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id])
    assert eventually("the web server", lambda: http_get(address, "id")).strip() == instance_id
    assert f"user data on {address}" in console(ec2, instance_id)

    found = ec2.describe_instances(Filters=[{"Name": "tag:app", "Values": ["web"]}])["Reservations"]
    assert [i["InstanceId"] for r in found for i in r["Instances"]] == [instance_id]
    status = ec2.describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    assert status[0]["InstanceState"]["Name"] == "running"

    stopping = ec2.stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]
    assert stopping["CurrentState"]["Name"] == "stopping"
    wait_state(ec2, instance_id, "stopped")
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance_id])
    assert http_get(address, "id") is None

    ec2.start_instances(InstanceIds=[instance_id])
    wait_state(ec2, instance_id, "running")
    assert eventually("the server after start", lambda: http_get(address, "id")).strip() == instance_id

    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, instance_id, "terminated")
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance_id])
    assert http_get(address, "id") is None


def test_errors_with_boto3(server):
    ec2 = server.client("ec2")
    with pytest.raises(ClientError) as e:
        ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"])
    assert error_code(e.value) == "InvalidInstanceID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.stop_instances(InstanceIds=["i-bad"])
    assert error_code(e.value) == "InvalidInstanceID.Malformed"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1)
    assert error_code(e.value) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1, DryRun=True)
    assert error_code(e.value) == "DryRunOperation"
    assert http_status(e.value) == 412
    with pytest.raises(ClientError) as e:
        ec2.run_instances(
            ImageId=AL2023, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": "no-such-profile"}
        )
    assert error_code(e.value) == "InvalidParameterValue"
    assert ec2.describe_instances()["Reservations"] == [], "refused launches leave nothing"

    instance_id = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, instance_id, "terminated")
    with pytest.raises(ClientError) as e:
        ec2.start_instances(InstanceIds=[instance_id])
    assert error_code(e.value) == "IncorrectInstanceState"


def test_lifecycle_with_the_aws_cli(server, tmp_path):
    aws = AwsCli(server.endpoint, tmp_path)
    ud = tmp_path / "user-data.sh"
    ud.write_text("#!/bin/sh\necho hello from the cli launch\n")
    rc, out, err = aws(
        "ec2", "run-instances", "--image-id", AL2023, "--count", "1", "--user-data", f"file://{ud}"
    )
    assert rc == 0, err
    instance_id = out["Instances"][0]["InstanceId"]
    rc, _, err = aws("ec2", "wait", "instance-running", "--instance-ids", instance_id)
    assert rc == 0, err

    def console_text():
        rc, out, _ = aws("ec2", "get-console-output", "--instance-id", instance_id)
        # The CLI decodes the base64 output itself.
        return rc == 0 and out and "hello from the cli launch" in out.get("Output", "")

    eventually("the console output", console_text)
    rc, out, err = aws(
        "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running"
    )
    assert rc == 0, err
    assert [i["InstanceId"] for r in out["Reservations"] for i in r["Instances"]] == [instance_id]
    # launch-time matches the time as DescribeInstances shows it, wildcards too.
    rc, out, err = aws("ec2", "describe-instances", "--instance-ids", instance_id)
    assert rc == 0, err
    launched = out["Reservations"][0]["Instances"][0]["LaunchTime"]
    day = launched[:10]
    for value, expected in ((f"{day}T*", [instance_id]), ("1999-01-01T*", [])):
        rc, out, err = aws(
            "ec2", "describe-instances", "--filters", f"Name=launch-time,Values={value}"
        )
        assert rc == 0, err
        found = [i["InstanceId"] for r in out["Reservations"] for i in r["Instances"]]
        assert found == expected, (value, launched)
    rc, out, err = aws("ec2", "stop-instances", "--instance-ids", instance_id)
    assert rc == 0 and out["StoppingInstances"][0]["CurrentState"]["Name"] == "stopping", err
    rc, _, err = aws("ec2", "wait", "instance-stopped", "--instance-ids", instance_id)
    assert rc == 0, err
    rc, _, err = aws("ec2", "terminate-instances", "--instance-ids", instance_id)
    assert rc == 0, err
    rc, _, err = aws("ec2", "wait", "instance-terminated", "--instance-ids", instance_id)
    assert rc == 0, err
    rc, _, err = aws("ec2", "reboot-instances", "--instance-ids", "i-0123456789abcdef0")
    assert rc != 0 and "InvalidInstanceID.NotFound" in err


def test_the_cli_and_boto3_inside_an_instance_use_its_role(server):
    iam, ec2, ssm = server.client("iam"), server.client("ec2"), server.client("ssm")
    for name, policy in (("reader", READ_APP), ("nobody", None)):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
        if policy:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy)
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    ssm.put_parameter(Name="/app/greeting", Value="hello", Type="String")

    instance_id = ec2.run_instances(
        ImageId=AL2023,
        MinCount=1,
        MaxCount=1,
        UserData=IDENTITY_USER_DATA,
        IamInstanceProfile={"Name": "reader"},
    )["Instances"][0]["InstanceId"]
    text = eventually("the first boot's checks", lambda: (c := console(ec2, instance_id)).count("checks-done") >= 1 and c, 60)
    assumed = f"arn:aws:sts::000000000000:assumed-role/reader/{instance_id}"
    assert f"cli-identity: {assumed}" in text, text
    assert f"boto3-identity: {assumed}" in text, text
    assert "cli-ssm: allowed hello" in text, text
    assert "boto3-ssm: allowed hello" in text, text

    # Swap the profile for one whose role may not read parameters, reboot
    # so the checks run again with freshly fetched credentials.
    association = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}]
    )["IamInstanceProfileAssociations"][0]
    ec2.replace_iam_instance_profile_association(
        AssociationId=association["AssociationId"], IamInstanceProfile={"Name": "nobody"}
    )
    ec2.reboot_instances(InstanceIds=[instance_id])
    text = eventually("the second boot's checks", lambda: (c := console(ec2, instance_id)).count("checks-done") >= 2 and c, 60)
    second_boot = text.split("checks-done")[1]
    assert f"assumed-role/nobody/{instance_id}" in second_boot, second_boot
    assert "cli-ssm: denied AccessDeniedException" in second_boot, second_boot
    assert "boto3-ssm: denied AccessDeniedException" in second_boot, second_boot


def test_metadata_from_outside_is_per_instance(server):
    ec2 = server.client("ec2")
    launched = ec2.run_instances(ImageId=AL2023, MinCount=2, MaxCount=2)["Instances"]
    for instance in launched:
        wait_state(ec2, instance["InstanceId"], "running")
    for instance in launched:
        base = f"http://{instance['PrivateIpAddress']}:8169"
        token_request = urllib.request.Request(
            f"{base}/latest/api/token",
            method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
        )
        with urllib.request.urlopen(token_request, timeout=2) as response:
            token = response.read().decode()
        request = urllib.request.Request(
            f"{base}/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token}
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            assert response.read().decode() == instance["InstanceId"]


def _ttls_of_answers(address: str, port: int, send) -> list[int]:
    """The IP TTLs of the HTTP responses `send()` gets back from
    `address:port`, read off the loopback interface with a packet socket."""
    import socket
    import struct

    capture = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    capture.bind(("lo", 0))
    capture.settimeout(0.2)
    try:
        send()
        ttls = []
        deadline = time.monotonic() + 2
        source = socket.inet_aton(address)
        while time.monotonic() < deadline:
            try:
                frame, (_, _, packet_type, _, _) = capture.recvfrom(65535)
            except TimeoutError:
                break
            if packet_type == socket.PACKET_OUTGOING:
                continue  # loopback shows each packet leaving and arriving
            ip = frame[14:]
            if len(ip) < 40 or ip[9] != 6 or ip[12:16] != source:
                continue
            header = (ip[0] & 0x0F) * 4
            tcp = ip[header:]
            if struct.unpack("!H", tcp[0:2])[0] != port:
                continue
            if tcp[(tcp[12] >> 4) * 4 :].startswith(b"HTTP/1.1 "):
                ttls.append(ip[8])
        return ttls
    finally:
        capture.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="reading packets off the loopback interface needs root")
def test_token_answers_leave_with_the_hop_limit(server):
    ec2 = server.client("ec2")
    instance = ec2.run_instances(
        ImageId=AL2023,
        MinCount=1,
        MaxCount=1,
        MetadataOptions={"HttpPutResponseHopLimit": 3},
    )["Instances"][0]
    wait_state(ec2, instance["InstanceId"], "running")
    address = instance["PrivateIpAddress"]
    base = f"http://{address}:8169"
    tokens = []

    def token():
        request = urllib.request.Request(
            f"{base}/latest/api/token",
            method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            tokens.append(response.read().decode())

    def instance_id():
        request = urllib.request.Request(
            f"{base}/latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": tokens[0]}
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            assert response.read().decode() == instance["InstanceId"]

    # Only the token's answer carries the hop limit.
    assert _ttls_of_answers(address, 8169, token) == [3]
    default_ttl = int(open("/proc/sys/net/ipv4/ip_default_ttl").read())
    assert _ttls_of_answers(address, 8169, instance_id) == [default_ttl]

    ec2.modify_instance_metadata_options(InstanceId=instance["InstanceId"], HttpPutResponseHopLimit=7)
    assert _ttls_of_answers(address, 8169, token) == [7]


def test_describe_instance_types_boto3_and_cli(ec2, aws):
    out = ec2.describe_instance_types(InstanceTypes=["t3.micro", "c5.large"])
    described = {
        t["InstanceType"]: (t["VCpuInfo"]["DefaultVCpus"], t["MemoryInfo"]["SizeInMiB"])
        for t in out["InstanceTypes"]
    }
    assert described == {"t3.micro": (2, 1024), "c5.large": (2, 4096)}

    pages = ec2.get_paginator("describe_instance_types").paginate(
        Filters=[{"Name": "vcpu-info.default-vcpus", "Values": ["48"]}],
        PaginationConfig={"PageSize": 5},
    )
    names = [t["InstanceType"] for page in pages for t in page["InstanceTypes"]]
    assert names == sorted(names) and len(names) > 5
    assert all(name.endswith(".12xlarge") for name in names)

    with pytest.raises(ClientError) as err:
        ec2.describe_instance_types(InstanceTypes=["t3.enormous"])
    assert error_code(err.value) == "InvalidInstanceType"
    assert "t3.enormous" in err.value.response["Error"]["Message"]

    rc, out, _ = aws(
        "ec2",
        "describe-instance-types",
        "--filters",
        "Name=instance-type,Values=t2.micro",
    )
    assert rc == 0
    [t2] = out["InstanceTypes"]
    assert (t2["VCpuInfo"]["DefaultVCpus"], t2["CurrentGeneration"], t2["Hypervisor"]) == (
        1,
        False,
        "xen",
    )
    rc, _, err_text = aws("ec2", "describe-instance-types", "--instance-types", "t3.enormous")
    assert rc != 0 and "InvalidInstanceType" in err_text


def test_detailed_monitoring_boto3_and_cli(ec2, aws):
    def state(instance_id):
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["Monitoring"]["State"]

    watched = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1, Monitoring={"Enabled": True})
    watched = watched["Instances"][0]["InstanceId"]
    plain = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    assert (state(watched), state(plain)) == ("enabled", "disabled")

    answered = ec2.monitor_instances(InstanceIds=[plain])["InstanceMonitorings"]
    assert answered == [{"InstanceId": plain, "Monitoring": {"State": "pending"}}]
    assert state(plain) == "enabled"
    rc, out, err = aws("ec2", "unmonitor-instances", "--instance-ids", plain, watched)
    assert rc == 0, err
    assert {m["InstanceId"]: m["Monitoring"]["State"] for m in out["InstanceMonitorings"]} == {
        plain: "disabling",
        watched: "disabling",
    }
    assert (state(watched), state(plain)) == ("disabled", "disabled")
    rc, out, err = aws("ec2", "monitor-instances", "--instance-ids", watched)
    assert rc == 0 and out["InstanceMonitorings"][0]["Monitoring"]["State"] == "pending", err

    with pytest.raises(ClientError) as missing:
        ec2.unmonitor_instances(InstanceIds=["i-0123456789abcdef0"])
    assert error_code(missing.value) == "InvalidInstanceID.NotFound"
    assert http_status(missing.value) == 400
    rc, _, err = aws("ec2", "monitor-instances", "--instance-ids", "i-0123456789abcdef0")
    assert rc != 0 and "InvalidInstanceID.NotFound" in err, err
    ec2.terminate_instances(InstanceIds=[watched, plain])
