"""amazon.aws.autoscaling_group as a playbook author runs it: the first run
creates a group with tags; a second run with new tags and a capacity of one
updates it in place (the module then calls DeleteTags, CreateOrUpdateTags
and DisableMetricsCollection, as it does on every update) and waits until
the instance is InService; a third run with metrics collection on enables
it. What each run leaves is read back with boto3."""

import textwrap

from ballast_compat import ansible_playbook, make_client

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


def test_a_playbook_creates_and_updates_a_group(endpoint, tmp_path, uid):
    ec2 = make_client("ec2", endpoint)
    asg = make_client("autoscaling", endpoint)
    template = f"ansible-{uid}"
    ec2.create_launch_template(
        LaunchTemplateName=template,
        LaunchTemplateData={"ImageId": "ami-0ba11a5700a023086", "InstanceType": "t3.micro"},
    )
    group = f"ansible-{uid}"

    ansible_playbook(endpoint, tmp_path, PLAYBOOK, group=group, template=template, capacity=0, metrics="false",
        tags='[{"team":"web"},{"stage":"draft"}]')
    made = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    assert {t["Key"]: t["Value"] for t in made["Tags"]} == {"team": "web", "stage": "draft"}
    assert made["DesiredCapacity"] == 0

    ansible_playbook(endpoint, tmp_path, PLAYBOOK, group=group, template=template, capacity=1, metrics="false",
        tags='[{"team":"platform"},{"owner":"ops"}]')
    updated = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    assert {t["Key"]: t["Value"] for t in updated["Tags"]} == {"team": "platform", "owner": "ops"}
    assert [i["LifecycleState"] for i in updated["Instances"]] == ["InService"]
    assert updated["EnabledMetrics"] == []

    ansible_playbook(endpoint, tmp_path, PLAYBOOK, group=group, template=template, capacity=1, metrics="true",
        tags='[{"team":"platform"},{"owner":"ops"}]')
    metrics = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0]
    assert sorted(m["Metric"] for m in metrics["EnabledMetrics"]) == [
        "GroupDesiredCapacity", "GroupInServiceInstances"
    ]

    asg.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
