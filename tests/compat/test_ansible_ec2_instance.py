"""amazon.aws.ec2_instance as a playbook author runs it: the first run
launches a named instance in the default VPC's `default` security group,
with detailed monitoring, and waits for it to run; a second run with the same arguments finds it and
changes nothing (the module reads the instance's `groupSet` attribute to
decide); a third turns termination protection on (it reads and then
modifies `disableApiTermination`). What each run leaves is read back with
boto3 and the AWS CLI."""

import textwrap

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, ansible_playbook, error_code, make_client

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
            detailed_monitoring: true
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


def run(endpoint, tmp_path, **extra) -> bool:
    """Runs the playbook; whether the task reported a change."""
    out = tmp_path / "changed"
    ansible_playbook(endpoint, tmp_path, PLAYBOOK, out=out, **extra)
    return out.read_text().strip() == "True"


def test_a_playbook_launches_finds_and_protects_an_instance(endpoint, tmp_path, uid):
    cli = AwsCli(endpoint, tmp_path / "aws-home")
    ec2 = make_client("ec2", endpoint)
    name = f"ansible-{uid}"

    assert run(endpoint, tmp_path, name=name, protected="false")
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [name]}])["Reservations"]
    (instance,) = [i for r in found for i in r["Instances"]]
    assert instance["State"]["Name"] == "running"
    assert [g["GroupName"] for g in instance["SecurityGroups"]] == ["default"]
    assert instance["Monitoring"]["State"] == "enabled", "launched with detailed monitoring"

    assert not run(endpoint, tmp_path, name=name, protected="false"), "the second run changes nothing"
    assert run(endpoint, tmp_path, name=name, protected="true")
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
