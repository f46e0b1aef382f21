"""The community.aws modules on the services Ballast serves, run unchanged:
a target group with health check and stickiness settings and one with an
instance registered (`elb_target_group`, `elb_target`, `elb_target_info`,
`elb_target_group_info`), a DynamoDB table with an index and TTL
(`dynamodb_table`, `dynamodb_table_info`, `dynamodb_ttl`), a launch
template (`ec2_launch_template`), a launch configuration and a group's
lifecycle hook and instance refresh (`autoscaling_launch_config` and its
`_info`/`_find`, `autoscaling_lifecycle_hook`,
`autoscaling_instance_refresh` and its `_info`), session credentials
(`sts_session_token`) and the default network ACL (`ec2_vpc_nacl_info`).

A second run with the same settings changes nothing (but the session
token, new on every run by design); a third with new settings changes
each resource in place, as the module would on AWS."""

import textwrap

from ballast_compat import ansible_result, make_client

PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.ec2_vpc_net_info:
            filters: {isDefault: "true"}
          register: vpcs
        - community.aws.elb_target_group:
            name: "{{ prefix }}-web"
            protocol: http
            port: 80
            vpc_id: "{{ vpcs.vpcs[0].id }}"
            health_check_protocol: http
            health_check_path: "{{ path }}"
            health_check_interval: 10
            healthy_threshold_count: 3
            stickiness_enabled: true
            stickiness_type: lb_cookie
            stickiness_lb_cookie_duration: 600
            deregistration_delay_timeout: 30
            tags: {team: web}
            state: present
          register: web_tg
        - community.aws.elb_target_group_info:
            names: ["{{ prefix }}-web"]
          register: web_tg_info
        - amazon.aws.ec2_instance:
            name: "{{ prefix }}-app"
            image_id: ami-0ba11a5700a023086
            instance_type: t3.micro
            wait: true
          register: app
        - community.aws.elb_target_group:
            name: "{{ prefix }}-app"
            protocol: http
            port: 8080
            vpc_id: "{{ vpcs.vpcs[0].id }}"
            target_type: instance
            modify_targets: false
            state: present
        - community.aws.elb_target:
            target_group_name: "{{ prefix }}-app"
            target_id: "{{ app.instance_ids[0] }}"
            state: present
          register: target
        - community.aws.elb_target_info:
            instance_id: "{{ app.instance_ids[0] }}"
          register: target_info
        - community.aws.dynamodb_table:
            name: "{{ prefix }}-orders"
            hash_key_name: id
            hash_key_type: STRING
            range_key_name: at
            range_key_type: NUMBER
            billing_mode: PROVISIONED
            read_capacity: "{{ capacity }}"
            write_capacity: 1
            indexes:
              - name: by-owner
                type: global_all
                hash_key_name: owner
                hash_key_type: STRING
                read_capacity: 1
                write_capacity: 1
            tags: {team: web}
          register: table
        - community.aws.dynamodb_table_info:
            name: "{{ prefix }}-orders"
          register: table_info
        - community.aws.dynamodb_ttl:
            state: enable
            table_name: "{{ prefix }}-orders"
            attribute_name: expires
          register: ttl
        - community.aws.ec2_launch_template:
            name: "{{ prefix }}-lt"
            image_id: ami-0ba11a5700a023086
            instance_type: "{{ instance_type }}"
          register: template
        - community.aws.autoscaling_launch_config:
            name: "{{ prefix }}-lc"
            image_id: ami-0ba11a5700a023086
            instance_type: t3.micro
          register: config
        - community.aws.autoscaling_launch_config_info:
            name: "{{ prefix }}-lc"
          register: config_info
        - community.aws.autoscaling_launch_config_find:
            name_regex: ["{{ prefix }}"]
          register: config_find
        - amazon.aws.autoscaling_group:
            name: "{{ prefix }}-asg"
            launch_template:
              launch_template_name: "{{ prefix }}-lt"
            availability_zones: [us-east-1a]
            min_size: 0
            max_size: 1
            desired_capacity: 0
            wait_for_instances: false
        - community.aws.autoscaling_lifecycle_hook:
            autoscaling_group_name: "{{ prefix }}-asg"
            lifecycle_hook_name: drain
            transition: autoscaling:EC2_INSTANCE_TERMINATING
            heartbeat_timeout: "{{ heartbeat }}"
            default_result: CONTINUE
            state: present
          register: hook
        - community.aws.autoscaling_instance_refresh:
            name: "{{ prefix }}-asg"
            state: started
            preferences:
              min_healthy_percentage: 0
          register: refresh
        - community.aws.autoscaling_instance_refresh_info:
            name: "{{ prefix }}-asg"
          register: refreshes
        - community.aws.sts_session_token:
            duration_seconds: 3600
          register: session
        - community.aws.ec2_vpc_nacl_info:
            filters: {default: "true"}
          register: nacls
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'web_tg': web_tg.changed, 'target': target.changed,
              'table': table.changed, 'ttl': ttl.changed, 'template': template.changed,
              'config': config.changed, 'hook': hook.changed},
              'health_path': web_tg_info.target_groups[0].health_check_path,
              'target_groups': target_info.instance_target_groups | map(attribute='target_group_arn') | list,
              'table_status': table_info.table.table_status,
              'indexes': table_info.table.global_secondary_indexes | map(attribute='index_name') | list,
              'template_version': template.latest_version,
              'config_found': config_find.results | map(attribute='name') | list,
              'config_type': config_info.launch_configurations[0].instance_type,
              'refreshes': refreshes.instance_refreshes | length,
              'session_key': session.sts_creds.access_key[:4],
              'nacl_subnets': nacls.nacls[0].subnets | length} | to_json }}
    """
)


def run(endpoint, tmp_path, prefix, **settings) -> dict:
    return ansible_result(endpoint, tmp_path, PLAYBOOK, prefix=prefix, **settings)


def test_community_modules_create_find_and_update_resources(endpoint, tmp_path, uid):
    prefix = f"cm{uid}"[:12]
    first = run(endpoint, tmp_path, prefix, path="/", capacity=1, instance_type="t3.micro", heartbeat=300)
    assert all(first["changed"].values()), first
    assert first["health_path"] == "/"
    assert len(first["target_groups"]) == 1 and f"targetgroup/{prefix}-app/" in first["target_groups"][0]
    assert first["table_status"] == "ACTIVE" and first["indexes"] == ["by-owner"]
    assert first["template_version"] == 1
    assert first["config_found"] == [f"{prefix}-lc"] and first["config_type"] == "t3.micro"
    assert first["refreshes"] == 1 and first["session_key"] == "ASIA" and first["nacl_subnets"] == 3

    second = run(endpoint, tmp_path, prefix, path="/", capacity=1, instance_type="t3.micro", heartbeat=300)
    assert not any(second["changed"].values()), second

    third = run(endpoint, tmp_path, prefix, path="/health", capacity=2, instance_type="t3.small", heartbeat=600)
    changed = {k for k, v in third["changed"].items() if v}
    assert changed == {"web_tg", "table", "template", "hook"}, third
    assert third["health_path"] == "/health" and third["template_version"] == 2

    elbv2 = make_client("elbv2", endpoint)
    (tg,) = elbv2.describe_target_groups(Names=[f"{prefix}-web"])["TargetGroups"]
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert (attributes["stickiness.enabled"], attributes["stickiness.lb_cookie.duration_seconds"],
            attributes["deregistration_delay.timeout_seconds"]) == ("true", "600", "30")
    table = make_client("dynamodb", endpoint).describe_table(TableName=f"{prefix}-orders")["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    (hook,) = make_client("autoscaling", endpoint).describe_lifecycle_hooks(
        AutoScalingGroupName=f"{prefix}-asg")["LifecycleHooks"]
    assert hook["HeartbeatTimeout"] == 600
