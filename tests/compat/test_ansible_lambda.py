"""A scheduled function deployed with amazon.aws modules, run unchanged:
its role (`iam_role`), the function from a zip (`lambda`), read back whole
(`lambda_info` with `query: all`: configuration, aliases, versions,
policy, mappings and tags), called (`lambda_execute`), a nightly
EventBridge rule that targets it (`cloudwatchevent_rule`) and the
permission that lets the rule invoke it (`lambda_policy`), and a session
of the role (`sts_assume_role`); beside them the read-only `_info` modules
an inventory play runs.

A second run changes nothing but `lambda_execute` (a call is always a
change); a teardown with `state: absent` removes the rule, the
permission, the function and the role."""

import json
import textwrap
import zipfile

import pytest
from botocore.exceptions import ClientError

from ballast_compat import ansible_result, error_code, make_client

PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.iam_role:
            name: "{{ prefix }}-fn"
            assume_role_policy_document: >-
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Principal": {"Service": "lambda.amazonaws.com", "AWS": "arn:aws:iam::000000000000:root"},
              "Action": "sts:AssumeRole"}]}
            create_instance_profile: false
          register: role
        - amazon.aws.lambda:
            name: "{{ prefix }}-echo"
            runtime: python3.12
            handler: handler.handler
            role: "{{ role.iam_role.arn }}"
            zip_file: "{{ zip }}"
            timeout: 10
            environment_variables: {STAGE: test}
            tags: {team: web}
          register: function
        - amazon.aws.lambda_info:
            name: "{{ prefix }}-echo"
            query: all
          register: info
        - amazon.aws.lambda_execute:
            name: "{{ prefix }}-echo"
            payload: {name: ansible}
          register: called
        - amazon.aws.cloudwatchevent_rule:
            name: "{{ prefix }}-nightly"
            schedule_expression: rate(1 day)
            description: runs the echo nightly
            targets:
              - id: echo
                # The function's own ARN: the module answers with version
                # 1's (qualified) when it publishes, and the permission
                # below covers only the unqualified one.
                arn: "{{ info.functions[0].function_arn }}"
          register: rule
        - amazon.aws.lambda_policy:
            function_name: "{{ prefix }}-echo"
            statement_id: nightly
            action: lambda:InvokeFunction
            principal: events.amazonaws.com
            source_arn: "{{ rule.rule.arn }}"
            state: present
          register: permission
        - amazon.aws.sts_assume_role:
            role_arn: "{{ role.iam_role.arn }}"
            role_session_name: ansible
          register: session
        - amazon.aws.autoscaling_group_info:
          register: scaling_groups
        - amazon.aws.ec2_instance_info:
          register: instances
        - amazon.aws.elb_application_lb_info:
          register: load_balancers
        - amazon.aws.ec2_security_group_info:
            filters: {group-name: default}
          register: security_groups
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'role': role.changed, 'function': function.changed,
              'rule': rule.changed, 'permission': permission.changed},
              'output': called.result.output, 'function': info.functions[0],
              'session_key': session.sts_creds.access_key,
              'groups': scaling_groups.results | length, 'instances': instances.instances | length,
              'load_balancers': load_balancers.load_balancers | length,
              'security_groups': security_groups.security_groups | length} | to_json }}
    """
)

TEARDOWN = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.cloudwatchevent_rule:
            name: "{{ prefix }}-nightly"
            state: absent
          register: rule
        - amazon.aws.lambda_policy:
            function_name: "{{ prefix }}-echo"
            statement_id: nightly
            action: lambda:InvokeFunction
            principal: events.amazonaws.com
            state: absent
          register: permission
        - amazon.aws.lambda:
            name: "{{ prefix }}-echo"
            state: absent
          register: function
        - amazon.aws.iam_role:
            name: "{{ prefix }}-fn"
            state: absent
          register: role
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'rule': rule.changed, 'permission': permission.changed,
              'function': function.changed, 'role': role.changed}} | to_json }}
    """
)


@pytest.fixture
def endpoint(server_factory):
    server = server_factory.new("ansible-lambda")
    server.start()
    return server.endpoint


def run(endpoint, tmp_path, prefix, playbook) -> dict:
    package = tmp_path / "echo.zip"
    # The same bytes every run (a fixed date in the entry), as a build
    # that has not changed gives: the module compares code by hash.
    entry = zipfile.ZipInfo("handler.py", date_time=(2026, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(entry, "def handler(event, context):\n    return {'echo': event['name']}\n")
    return ansible_result(endpoint, tmp_path, playbook, prefix=prefix, zip=package)


def test_a_scheduled_function_deployed_read_called_and_removed(endpoint, tmp_path, uid):
    prefix = f"fn-{uid}"[:20]
    first = run(endpoint, tmp_path, prefix, PLAYBOOK)
    assert all(first["changed"].values()), first
    assert first["output"] == {"echo": "ansible"}
    function = first["function"]
    assert function["tags"] == {"team": "web"}
    assert list(function["environment"]["variables"]) == ["STAGE"]  # Ansible masks the value
    # The module creates functions with Publish: version 1 beside $LATEST.
    assert [v["version"] for v in function["versions"]] == ["$LATEST", "1"]
    assert function["aliases"] == [] and function["mappings"] == []
    assert first["session_key"].startswith("ASIA")
    assert first["security_groups"] >= 1

    second = run(endpoint, tmp_path, prefix, PLAYBOOK)
    assert not any(second["changed"].values()), second
    (statement,) = json.loads(make_client("lambda", endpoint).get_policy(FunctionName=f"{prefix}-echo")["Policy"])["Statement"]
    assert statement["Sid"] == "nightly"
    events = make_client("events", endpoint)
    (target,) = events.list_targets_by_rule(Rule=f"{prefix}-nightly")["Targets"]
    assert target["Arn"].endswith(f":function:{prefix}-echo")

    gone = run(endpoint, tmp_path, prefix, TEARDOWN)
    assert all(gone["changed"].values()), gone
    with pytest.raises(ClientError) as missing:
        make_client("lambda", endpoint).get_function(FunctionName=f"{prefix}-echo")
    assert error_code(missing.value) == "ResourceNotFoundException"
    assert events.list_rules(NamePrefix=prefix)["Rules"] == []
