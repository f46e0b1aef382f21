"""Sandboxed instances with the AWS CLI, boto3, OpenSSH and Ansible: an
instance launched with a key pair takes `ssh -i key.pem ec2-user@IP`, runs
`sudo` without a password, answers Ansible's ping from a static inventory,
and inside it the AWS CLI and the `ec2-metadata` package work unmodified,
as the instance's role.

Sandboxes need root; elsewhere these tests are skipped (the process
runtime has its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ballast_compat import AwsCli

AL2023 = "ami-0ba11a5700a023086"
WAIT_S = 30

READ_ONLY_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}],
    }
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="sandboxed instances need root (namespaces, mounts, links)"
)


@pytest.fixture
def sandbox(server_factory, tmp_path):
    server = server_factory.new(
        "sandbox", extra_args=("--instance-runtime", "sandbox", "--time-scale", "0.05")
    )
    server.start()
    return server, AwsCli(server.endpoint, tmp_path / "aws-home")


def ssh_command(key: Path, user: str, address: str) -> list[str]:
    return [
        "ssh",
        "-i",
        str(key),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "BatchMode=yes",
        f"{user}@{address}",
    ]


def eventually(what: str, probe, deadline: float = WAIT_S):
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline}s waiting for {what}")
        time.sleep(0.1)


def launch_with_key(aws: AwsCli, tmp_path: Path, role: str) -> tuple[Path, str, str]:
    """Creates a key pair and a role (AWS CLI), launches one instance with
    both, waits for it to run; returns (key file, id, private address)."""
    rc, key, err = aws("ec2", "create-key-pair", "--key-name", f"k-{role}")
    assert rc == 0, err
    pem = tmp_path / "key.pem"
    pem.write_text(key["KeyMaterial"])
    pem.chmod(0o600)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    for args in (
        ("iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust),
        (
            "iam",
            "put-role-policy",
            "--role-name",
            role,
            "--policy-name",
            "read",
            "--policy-document",
            READ_ONLY_EC2,
        ),
        ("iam", "create-instance-profile", "--instance-profile-name", role),
        (
            "iam",
            "add-role-to-instance-profile",
            "--instance-profile-name",
            role,
            "--role-name",
            role,
        ),
    ):
        rc, _, err = aws(*args)
        assert rc == 0, err
    rc, out, err = aws(
        "ec2",
        "run-instances",
        "--image-id",
        AL2023,
        "--key-name",
        f"k-{role}",
        "--iam-instance-profile",
        f"Name={role}",
    )
    assert rc == 0, err
    instance = out["Instances"][0]
    rc, _, err = aws("ec2", "wait", "instance-running", "--instance-ids", instance["InstanceId"])
    assert rc == 0, err
    return pem, instance["InstanceId"], instance["PrivateIpAddress"]


def test_ssh_sudo_and_the_aws_cli_inside(sandbox, tmp_path):
    server, aws = sandbox
    pem, instance_id, address = launch_with_key(aws, tmp_path, "web")
    assert address.startswith("172.31.")
    ssh = ssh_command(pem, "ec2-user", address)

    def login():
        proc = subprocess.run(
            [*ssh, "hostname; id -un; sudo -n id -u"], capture_output=True, text=True, timeout=20
        )
        return proc if proc.returncode == 0 else None

    proc = eventually("sshd to take the key", login)
    hostname, user, root = proc.stdout.split()
    assert hostname == "ip-" + address.replace(".", "-") + ".ec2.internal"
    assert (user, root) == ("ec2-user", "0")

    # The AWS CLI inside, configured by nothing but the instance: without
    # AWS_ENDPOINT_URL it reaches STS by its real name over HTTPS (the
    # name resolves to the VPC's endpoint, whose certificate the instance
    # trusts), with the region from the session's environment and the
    # role's credentials from 169.254.169.254. (Run as root, `sudo -i`:
    # this host's Python, which the tools run on, lives under /root.)
    proc = subprocess.run(
        [*ssh, "sudo -i env -u AWS_ENDPOINT_URL aws sts get-caller-identity --output json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    arn = json.loads(proc.stdout)["Arn"]
    assert arn.endswith(f":assumed-role/web/{instance_id}"), arn
    proc = subprocess.run(
        [*ssh, "sudo -i aws iam list-roles --output json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "AccessDenied" in proc.stderr, "the role's policy applies"

    # The ec2-metadata package, unmodified, from the instance.
    python = Path(sys.executable)
    proc = subprocess.run(
        [
            *ssh,
            f"sudo -i {python} -c 'from ec2_metadata import ec2_metadata as m; "
            f"print(m.instance_id, m.private_ipv4, m.availability_zone)'",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [instance_id, address, "us-east-1a"]


def test_ansible_pings_the_instance_from_a_static_inventory(sandbox, tmp_path):
    server, aws = sandbox
    pem, _, address = launch_with_key(aws, tmp_path, "ansible")
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        f"[web]\n{address} ansible_user=ec2-user ansible_ssh_private_key_file={pem}\n"
    )
    ansible = Path(sys.prefix) / "bin" / "ansible"
    assert ansible.exists(), "ansible-core comes with tests/compat/requirements.txt"
    env = {
        **os.environ,
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_SSH_ARGS": "-o UserKnownHostsFile=/dev/null -o ConnectTimeout=5",
    }

    def ping():
        proc = subprocess.run(
            [str(ansible), "-i", str(inventory), "web", "-m", "ping", "--become"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        return proc if proc.returncode == 0 else None

    proc = eventually("ansible -m ping to succeed", ping, deadline=60)
    assert '"ping": "pong"' in proc.stdout, proc.stdout


# Seed 000's reboot step, verbatim: the flag file in ec2-user's home makes
# the second run (after the reboot exit 194 asks for) finish the job.
SEED_000_REBOOT = """flag_location=/home/ec2-user/REBOOT_STARTED
if [ ! -f $flag_location ]; then
  echo "Creating flag file at $flag_location"
  touch $flag_location
  echo "Reboot initiated"
  exit 194
fi
echo "Reboot finished, removing flag file at $flag_location"
rm $flag_location
"""


def test_run_command_reboots_a_sandbox_and_runs_seed_000s_script_again(sandbox, tmp_path):
    server, aws = sandbox
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    for args in (
        ("iam", "create-role", "--role-name", "ssm", "--assume-role-policy-document", trust),
        (
            "iam", "attach-role-policy", "--role-name", "ssm",
            "--policy-arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        ),
        ("iam", "create-instance-profile", "--instance-profile-name", "ssm"),
        ("iam", "add-role-to-instance-profile", "--instance-profile-name", "ssm", "--role-name", "ssm"),
    ):
        rc, _, err = aws(*args)
        assert rc == 0, err
    rc, out, err = aws(
        "ec2", "run-instances", "--image-id", AL2023, "--iam-instance-profile", "Name=ssm",
        "--tag-specifications", "ResourceType=instance,Tags=[{Key=Role,Values=web}]".replace("Values", "Value"),
    )
    assert rc == 0, err
    instance_id = out["Instances"][0]["InstanceId"]

    def managed():
        rc, out, _ = aws("ssm", "describe-instance-information", "--filters", f"Key=InstanceIds,Values={instance_id}")
        return rc == 0 and [i["PingStatus"] for i in out["InstanceInformationList"]] == ["Online"]

    eventually("the sandbox's agent to register", managed)
    parameters = tmp_path / "parameters.json"
    parameters.write_text(json.dumps({"commands": [SEED_000_REBOOT]}))
    rc, out, err = aws(
        "ssm", "send-command", "--document-name", "AWS-RunShellScript",
        "--targets", "Key=tag:Role,Values=web", "--parameters", f"file://{parameters}",
        "--max-concurrency", "1", "--max-errors", "0",
    )
    assert rc == 0, err
    command_id = out["Command"]["CommandId"]
    rc, _, err = aws("ssm", "wait", "command-executed", "--command-id", command_id, "--instance-id", instance_id)
    assert rc == 0, err
    rc, out, err = aws("ssm", "get-command-invocation", "--command-id", command_id, "--instance-id", instance_id)
    assert rc == 0, err
    assert out["Status"] == "Success", out
    assert out["StandardOutputContent"] == (
        "Reboot finished, removing flag file at /home/ec2-user/REBOOT_STARTED\n"
    )
    rc, out, err = aws("ec2", "get-console-output", "--instance-id", instance_id)
    assert rc == 0, err
    assert f"boot 2 of {instance_id}" in out["Output"], out["Output"]
    # The agent kept the first run's output on the instance's volume.
    upper = Path(server.data_dir) / "instances" / instance_id / "volume" / "upper"
    kept = list((upper / "var/lib/amazon/ssm" / instance_id / "document/orchestration" / command_id).rglob("stdout"))
    assert kept, "the agent's orchestration directory"
