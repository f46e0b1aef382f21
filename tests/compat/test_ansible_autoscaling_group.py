"""amazon.aws.autoscaling_group as a playbook author runs it: the first run
creates a group with tags; a second run with new tags and a capacity of one
updates it in place (the module then calls DeleteTags, CreateOrUpdateTags
and DisableMetricsCollection, as it does on every update) and waits until
the instance is InService; a third run with metrics collection on enables
it. What each run leaves is read back with boto3."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ballast_compat import REPO, AwsCli, make_client

EXAMPLE = REPO / "examples" / "ansible-rolling-deploy"

PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - name: the group, as this run wants it
          amazon.aws.autoscaling_group:
            name: "{{ group }}"
            launch_template:
              launch_template_name: "{{ template }}"
            availability_zones: [us-east-1a, us-east-1b]
            min_size: 0
            max_size: 2
            desired_capacity: "{{ capacity }}"
            tags: "{{ tags }}"
            purge_tags: true
            metrics_collection: "{{ metrics }}"
            metrics_list: [GroupDesiredCapacity, GroupInServiceInstances]
            wait_for_instances: true
            wait_timeout: 120
          register: result
        - ansible.builtin.debug:
            var: result.changed
    """
)


def run(env, tmp_path, **extra):
    playbook = tmp_path / "group.yml"
    playbook.write_text(PLAYBOOK)
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), "-i", "localhost,"]
    for key, value in extra.items():
        args += ["-e", f"{key}={value}"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done.stdout


def test_a_playbook_creates_and_updates_a_group(endpoint, tmp_path, uid):
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
    asg = make_client("autoscaling", endpoint)
    template = f"ansible-{uid}"
    ec2.create_launch_template(
        LaunchTemplateName=template,
        LaunchTemplateData={"ImageId": "ami-0ba11a5700a023086", "InstanceType": "t3.micro"},
    )
    group = f"ansible-{uid}"

    run(env, tmp_path, group=group, template=template, capacity=0, metrics="false",
        tags='[{"team":"web"},{"stage":"draft"}]')
    made = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    assert {t["Key"]: t["Value"] for t in made["Tags"]} == {"team": "web", "stage": "draft"}
    assert made["DesiredCapacity"] == 0

    run(env, tmp_path, group=group, template=template, capacity=1, metrics="false",
        tags='[{"team":"platform"},{"owner":"ops"}]')
    updated = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    assert {t["Key"]: t["Value"] for t in updated["Tags"]} == {"team": "platform", "owner": "ops"}
    assert [i["LifecycleState"] for i in updated["Instances"]] == ["InService"]
    assert updated["EnabledMetrics"] == []

    run(env, tmp_path, group=group, template=template, capacity=1, metrics="true",
        tags='[{"team":"platform"},{"owner":"ops"}]')
    metrics = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    assert sorted(m["Metric"] for m in metrics["EnabledMetrics"]) == [
        "GroupDesiredCapacity", "GroupInServiceInstances"
    ]

    asg.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
