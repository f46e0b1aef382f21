"""amazon.aws.ec2_instance as a playbook author runs it: the first run
launches a named instance in the default VPC's `default` security group
and waits for it to run; a second run with the same arguments finds it and
changes nothing (the module reads the instance's `groupSet` attribute to
decide); a third turns termination protection on (it reads and then
modifies `disableApiTermination`). What each run leaves is read back with
boto3 and the AWS CLI."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ballast_compat import REPO, AwsCli, error_code, make_client

EXAMPLE = REPO / "examples" / "ansible-rolling-deploy"

PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - name: the instance, as this run wants it
          amazon.aws.ec2_instance:
            name: "{{ name }}"
            image_id: ami-0ba11a5700a023086
            instance_type: t3.micro
            security_group: default
            termination_protection: "{{ protected }}"
            state: running
            wait: true
            wait_timeout: 120
          register: result
        - ansible.builtin.copy:
            content: "{{ result.changed }}"
            dest: "{{ out }}"
    """
)


def run(env, tmp_path, **extra) -> bool:
    """Runs the playbook; whether the task reported a change."""
    playbook = tmp_path / "instance.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "changed"
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-i", "localhost,",
            "-e", f"out={out}"]
    for key, value in extra.items():
        args += ["-e", f"{key}={value}"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return out.read_text().strip() == "True"


def test_a_playbook_launches_finds_and_protects_an_instance(endpoint, tmp_path, uid):
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(REPO / "target" / "ansible-collections")
    subprocess.run(
        [str(EXAMPLE / "install-collection.sh"), sys.executable, collections], check=True, timeout=300
    )
    cli = AwsCli(endpoint, tmp_path / "aws-home")
    env = {
        **cli.env,
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    }
    ec2 = make_client("ec2", endpoint)
    name = f"ansible-{uid}"

    assert run(env, tmp_path, name=name, protected="false")
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [name]}])["Reservations"]
    (instance,) = [i for r in found for i in r["Instances"]]
    assert instance["State"]["Name"] == "running"
    assert [g["GroupName"] for g in instance["SecurityGroups"]] == ["default"]

    assert not run(env, tmp_path, name=name, protected="false"), "the second run changes nothing"
    assert run(env, tmp_path, name=name, protected="true")
    rc, out, err = cli(
        "ec2", "describe-instance-attribute", "--instance-id", instance["InstanceId"],
        "--attribute", "disableApiTermination",
    )
    assert rc == 0, err
    assert out["DisableApiTermination"] == {"Value": True}

    groups = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="groupSet")["Groups"]
    assert [g["GroupName"] for g in groups] == ["default"]
    with pytest.raises(ClientError) as refused:
        ec2.modify_instance_attribute(
            InstanceId=instance["InstanceId"],
            SourceDestCheck={"Value": False},
            EbsOptimized={"Value": True},
        )
    assert error_code(refused.value) == "InvalidParameterCombination"
    ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], SourceDestCheck={"Value": False})
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["SourceDestCheck"] is False
    assert described["NetworkInterfaces"][0]["NetworkInterfaceId"].startswith("eni-")

    rc, _, err = cli("ec2", "terminate-instances", "--instance-ids", instance["InstanceId"])
    assert rc != 0 and "OperationNotPermitted" in err, err
    rc, _, err = cli(
        "ec2", "modify-instance-attribute", "--instance-id", instance["InstanceId"],
        "--no-disable-api-termination",
    )
    assert rc == 0, err
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
