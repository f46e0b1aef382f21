"""A service's surroundings built the way an Ansible author builds them,
with amazon.aws modules run unchanged: the default VPC and its subnets
looked up (`ec2_vpc_net_info`, `ec2_vpc_subnet_info`), a security group for
the load balancer and one for the web tier that admits only it
(`ec2_security_group`), the instances' role with an instance profile
(`iam_role`), an operators' group with a user in it, who has a console
password (`iam_user`, `iam_user_info`, `iam_group`), and an application load balancer whose listener answers by
itself (`elb_application_lb`).

The first run creates everything; a second, identical run reports no
change, which is how a playbook author tells that the modules read back
what they wrote. Then the load balancer answers on its DNS name, the
operator's key can read what its group allows, and boto3 and the AWS CLI
see what the playbook made. A teardown playbook (`state: absent`) then
removes it all, the user with its password, access key, SSH key and
group membership first, and a second teardown finds nothing to do."""

import subprocess
import textwrap
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ballast_compat import AwsCli, ansible_result, assert_all_fail, error_code, eventually, make_client

PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.ec2_vpc_net_info:
            filters: {isDefault: "true"}
          register: vpcs
        - amazon.aws.ec2_vpc_subnet_info:
            filters:
              vpc-id: "{{ vpcs.vpcs[0].id }}"
          register: subnets
        - amazon.aws.ec2_security_group:
            name: "{{ prefix }}-lb"
            description: the load balancer, open on 8080
            vpc_id: "{{ vpcs.vpcs[0].id }}"
            rules:
              - proto: tcp
                ports: [8080]
                cidr_ip: 0.0.0.0/0
          register: lb_group
        - amazon.aws.ec2_security_group:
            name: "{{ prefix }}-web"
            description: the web tier, reached only from the load balancer
            vpc_id: "{{ vpcs.vpcs[0].id }}"
            rules:
              - proto: tcp
                ports: [80]
                group_id: "{{ lb_group.group_id }}"
          register: web_group
        - amazon.aws.iam_role:
            name: "{{ prefix }}-web"
            assume_role_policy_document: >-
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            managed_policies: [arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
            create_instance_profile: true
          register: role
        - amazon.aws.iam_user:
            name: "{{ prefix }}-operator"
            password: C0nsole-only
            update_password: on_create
            password_reset_required: true
            state: present
          register: user
        - amazon.aws.iam_user_info:
            name: "{{ prefix }}-operator"
          register: user_info
        - amazon.aws.iam_group:
            name: "{{ prefix }}-operators"
            managed_policies: [arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess]
            users: ["{{ prefix }}-operator"]
            state: present
          register: group
        - amazon.aws.elb_application_lb:
            name: "{{ prefix }}"
            subnets: "{{ subnets.subnets | map(attribute='id') | list }}"
            security_groups: ["{{ lb_group.group_id }}"]
            listeners:
              - Protocol: HTTP
                Port: 8080
                DefaultActions:
                  - Type: fixed-response
                    FixedResponseConfig:
                      StatusCode: "200"
                      ContentType: text/plain
                      MessageBody: the maintenance page
            wait: true
          register: alb
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'lb_group': lb_group.changed, 'web_group': web_group.changed,
              'role': role.changed, 'user': user.changed, 'group': group.changed,
              'alb': alb.changed},
              'dns_name': alb.dns_name, 'web_group_id': web_group.group_id,
              'login_profile': user_info.iam_users[0].login_profile,
              'lb_group_id': lb_group.group_id} | to_json }}
    """
)


TEARDOWN = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.iam_user:
            name: "{{ prefix }}-operator"
            state: absent
          register: user
        - amazon.aws.iam_group:
            name: "{{ prefix }}-operators"
            state: absent
          register: group
        - amazon.aws.iam_role:
            name: "{{ prefix }}-web"
            delete_instance_profile: true
            state: absent
          register: role
        - amazon.aws.elb_application_lb:
            name: "{{ prefix }}"
            state: absent
            wait: true
          register: alb
        - amazon.aws.ec2_security_group:
            name: "{{ prefix }}-web"
            state: absent
          register: web_group
        - amazon.aws.ec2_security_group:
            name: "{{ prefix }}-lb"
            state: absent
          register: lb_group
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'user': user.changed, 'group': group.changed, 'role': role.changed,
              'alb': alb.changed, 'web_group': web_group.changed,
              'lb_group': lb_group.changed}} | to_json }}
    """
)


@pytest.fixture
def named_server(server_factory):
    """A server that publishes load balancer names in /etc/hosts, so the
    DNSName the playbook gets back is one a client can reach."""
    server = server_factory.new("ansible", extra_args=("--hosts-file", "/etc/hosts"))
    server.start()
    return server


def run(endpoint, tmp_path, prefix, playbook=PLAYBOOK) -> dict:
    return ansible_result(endpoint, tmp_path, playbook, prefix=prefix)


def test_a_playbook_builds_a_services_surroundings_and_a_second_run_changes_nothing(
    named_server, tmp_path, uid
):
    endpoint = named_server.endpoint
    prefix = f"svc-{uid}"[:24]
    first = run(endpoint, tmp_path, prefix)
    assert all(first["changed"].values()), first
    second = run(endpoint, tmp_path, prefix)
    assert not any(second["changed"].values()), second
    assert second["login_profile"]["password_reset_required"] is True, second

    def answer():
        try:
            with urllib.request.urlopen(f"http://{first['dns_name']}:8080/", timeout=5) as response:
                return response.status, response.read().decode()
        except OSError:
            return None

    assert eventually("the listener's fixed response", answer) == (200, "the maintenance page")

    ec2 = make_client("ec2", endpoint)
    (web,) = ec2.describe_security_groups(GroupIds=[first["web_group_id"]])["SecurityGroups"]
    (rule,) = web["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"]) == (80, 80)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [first["lb_group_id"]]

    iam = make_client("iam", endpoint)
    profiles = iam.list_instance_profiles_for_role(RoleName=f"{prefix}-web")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in profiles] == [f"{prefix}-web"]
    members = iam.get_group(GroupName=f"{prefix}-operators")["Users"]
    assert [u["UserName"] for u in members] == [f"{prefix}-operator"]

    key = iam.create_access_key(UserName=f"{prefix}-operator")["AccessKey"]
    operator = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}
    make_client("ssm", endpoint).put_parameter(Name=f"/{prefix}/release", Value="v1", Type="String")
    ssm = make_client("ssm", endpoint, **operator)
    assert ssm.get_parameter(Name=f"/{prefix}/release")["Parameter"]["Value"] == "v1"
    with pytest.raises(ClientError) as refused:
        ssm.put_parameter(Name=f"/{prefix}/release", Value="v2", Overwrite=True)
    assert error_code(refused.value) == "AccessDeniedException", "the group allows reading only"

    cli = AwsCli(endpoint, tmp_path / "aws-home")
    rc, out, err = cli("elbv2", "describe-listeners", "--load-balancer-arn",
                       make_client("elbv2", endpoint).describe_load_balancers(Names=[prefix])
                       ["LoadBalancers"][0]["LoadBalancerArn"])
    assert rc == 0, err
    (listener,) = out["Listeners"]
    assert listener["DefaultActions"][0]["FixedResponseConfig"]["MessageBody"] == "the maintenance page"

    iam.upload_ssh_public_key(UserName=f"{prefix}-operator", SSHPublicKeyBody=ssh_public_key(tmp_path))
    gone = run(endpoint, tmp_path, prefix, TEARDOWN)
    assert all(gone["changed"].values()), gone
    again = run(endpoint, tmp_path, prefix, TEARDOWN)
    assert not any(again["changed"].values()), again
    assert_all_fail("NoSuchEntity", (
        (iam.get_user, {"UserName": f"{prefix}-operator"}),
        (iam.get_group, {"GroupName": f"{prefix}-operators"}),
        (iam.get_role, {"RoleName": f"{prefix}-web"}),
        (iam.get_instance_profile, {"InstanceProfileName": f"{prefix}-web"}),
    ))
    assert make_client("elbv2", endpoint).describe_load_balancers()["LoadBalancers"] == []
    left = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{prefix}-*"]}])
    assert left["SecurityGroups"] == []


def ssh_public_key(tmp_path) -> str:
    """A new RSA public key, as `ssh-keygen` makes one."""
    key = tmp_path / "operator_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(key)], check=True)
    return (tmp_path / "operator_rsa.pub").read_text()
