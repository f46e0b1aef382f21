"""Changing a load balancer in place with boto3, the AWS CLI and amazon.aws's
`elb_application_lb`: SetSubnets, SetSecurityGroups and SetIpAddressType
change what DescribeLoadBalancers shows, refusals change nothing, and the
Ansible module moves a load balancer to other subnets and security groups
and then finds nothing left to change."""

import textwrap

import pytest
from botocore.exceptions import ClientError

from ballast_compat import ansible_result, error_code

SUBNETS = ["subnet-0ba11a5700000000a", "subnet-0ba11a5700000000b", "subnet-0ba11a5700000000c"]


def described(elbv2, arn):
    (lb,) = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    return lb


def test_set_subnets_security_groups_and_address_type_boto3_and_cli(elbv2, aws, uid):
    arn = elbv2.create_load_balancer(Name=f"set-{uid}", Subnets=SUBNETS[:2])["LoadBalancers"][0]["LoadBalancerArn"]
    moved = elbv2.set_subnets(LoadBalancerArn=arn, Subnets=SUBNETS[1:])
    assert [z["ZoneName"] for z in moved["AvailabilityZones"]] == ["us-east-1b", "us-east-1c"]
    rc, out, err = aws(
        "elbv2", "set-security-groups", "--load-balancer-arn", arn, "--security-groups", "sg-0123456789abcdef0"
    )
    assert rc == 0 and out["SecurityGroupIds"] == ["sg-0123456789abcdef0"], err
    rc, out, err = aws("elbv2", "set-ip-address-type", "--load-balancer-arn", arn, "--ip-address-type", "dualstack")
    assert rc == 0 and out["IpAddressType"] == "dualstack", err
    assert elbv2.set_ip_address_type(LoadBalancerArn=arn, IpAddressType="ipv4")["IpAddressType"] == "ipv4"
    rc, out, err = aws("elbv2", "set-subnets", "--load-balancer-arn", arn, "--subnets", SUBNETS[0], SUBNETS[2])
    assert rc == 0 and [z["SubnetId"] for z in out["AvailabilityZones"]] == [SUBNETS[0], SUBNETS[2]], err
    elbv2.set_security_groups(LoadBalancerArn=arn, SecurityGroups=["sg-0fedcba9876543210", "sg-0123456789abcdef0"])

    lb = described(elbv2, arn)
    assert [z["SubnetId"] for z in lb["AvailabilityZones"]] == [SUBNETS[0], SUBNETS[2]]
    assert lb["SecurityGroups"] == ["sg-0fedcba9876543210", "sg-0123456789abcdef0"]
    assert lb["IpAddressType"] == "ipv4"

    for call, kwargs, code in [
        (elbv2.set_subnets, {"Subnets": [SUBNETS[0]]}, "ValidationError"),
        (elbv2.set_security_groups, {"SecurityGroups": ["web"]}, "InvalidSecurityGroup"),
    ]:
        with pytest.raises(ClientError) as refused:
            call(LoadBalancerArn=arn, **kwargs)
        assert error_code(refused.value) == code
    rc, _, err = aws("elbv2", "set-subnets", "--load-balancer-arn", f"{arn}0", "--subnets", *SUBNETS[:2])
    assert rc != 0 and "LoadBalancerNotFound" in err, err
    assert described(elbv2, arn) == lb, "refusals changed nothing"
    elbv2.delete_load_balancer(LoadBalancerArn=arn)


PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.ec2_security_group:
            name: "{{ lb_name }}-{{ group }}"
            description: for the load balancer
            vpc_id: vpc-0ba11a57000000000
          register: sg
        - amazon.aws.elb_application_lb:
            name: "{{ lb_name }}"
            subnets: "{{ subnet_list.split(',') }}"
            security_groups: ["{{ sg.group_id }}"]
            listeners:
              - Protocol: HTTP
                Port: "{{ listen_port }}"
                DefaultActions:
                  - Type: fixed-response
                    FixedResponseConfig: {StatusCode: "200", ContentType: text/plain, MessageBody: up}
          register: alb
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': alb.changed, 'group': sg.group_id, 'groups': alb.security_groups,
              'subnets': alb.availability_zones | map(attribute='subnet_id') | list} | to_json }}
    """
)


def test_ansible_moves_a_load_balancer_to_other_subnets_and_groups(endpoint, elbv2, tmp_path, uid):
    lb_name = f"ans-{uid}"

    def run(subnets, group):
        return ansible_result(
            endpoint, tmp_path, PLAYBOOK, lb_name=lb_name, group=group, listen_port=38080,
            subnet_list=",".join(subnets),
        )

    first = run(SUBNETS[:2], "blue")
    assert first["changed"] and first["subnets"] == SUBNETS[:2] and first["groups"] == [first["group"]]
    moved = run(SUBNETS[1:], "green")
    assert moved["changed"], moved
    assert sorted(moved["subnets"]) == SUBNETS[1:] and moved["groups"] == [moved["group"]]
    again = run(SUBNETS[1:], "green")
    assert not again["changed"], again
    (lb,) = elbv2.describe_load_balancers(Names=[lb_name])["LoadBalancers"]
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == SUBNETS[1:]
    assert lb["SecurityGroups"] == [moved["group"]]
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
