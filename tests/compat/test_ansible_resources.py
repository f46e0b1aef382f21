"""The everyday amazon.aws modules, run unchanged, on the resources around
a service: who am I and where (`aws_caller_info`, `aws_az_info`,
`aws_region_info`), a key pair, a tagged EBS volume, an Elastic IP and
their `_info` modules (`ec2_key`, `ec2_vol`, `ec2_eip`, `ec2_tag`), the
images (`ec2_ami_info`), a customer managed policy on a role with an
inline policy and an instance profile (`iam_managed_policy`, `iam_role`,
`iam_policy`, `iam_instance_profile` and their `_info` modules), and a CI
user whose access key is made and revoked (`iam_access_key`); and the
default VPC as the VPC modules find it (`ec2_vpc_net_info`,
`ec2_vpc_subnet_info`, `ec2_vpc_igw(_info)`, `ec2_vpc_route_table_info`,
`ec2_vpc_dhcp_option_info`, `ec2_eni_info`).

A second run of the same playbook changes nothing but the access key
(which `iam_access_key` makes anew on every run, by design), and a
teardown with `state: absent` removes everything, each module finding
what it must delete (`iam_managed_policy` asks ListEntitiesForPolicy)."""

import textwrap

import pytest

from ballast_compat import ansible_result, assert_all_fail, make_client

PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.aws_caller_info:
          register: caller
        - amazon.aws.aws_az_info:
          register: azs
        - amazon.aws.aws_region_info:
          register: regions
        - amazon.aws.ec2_key:
            name: "{{ prefix }}-key"
          register: key
        - amazon.aws.ec2_key_info:
            names: ["{{ prefix }}-key"]
          register: key_info
        - amazon.aws.ec2_vol:
            volume_size: 1
            volume_type: gp3
            zone: "{{ azs.availability_zones[0].zone_name }}"
            name: "{{ prefix }}-data"
            tags: {team: web}
            purge_tags: false
          register: vol
        - amazon.aws.ec2_vol_info:
            filters:
              "tag:Name": "{{ prefix }}-data"
          register: vol_info
        - amazon.aws.ec2_tag:
            resource: "{{ vol.volume_id }}"
            tags: {owner: ops}
          register: tag
        - amazon.aws.ec2_tag_info:
            resource: "{{ vol.volume_id }}"
          register: tag_info
        - amazon.aws.ec2_eip:
            in_vpc: true
            reuse_existing_ip_allowed: true
            tag_name: Name
            tag_value: "{{ prefix }}-ip"
            tags: {Name: "{{ prefix }}-ip"}
          register: eip
        - amazon.aws.ec2_eip_info:
            filters:
              "tag:Name": "{{ prefix }}-ip"
          register: eip_info
        - amazon.aws.ec2_ami_info:
            owners: [amazon]
          register: amis
        - amazon.aws.iam_managed_policy:
            name: "{{ prefix }}-read"
            policy: >-
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Action": "ssm:GetParameter", "Resource": "*"}]}
          register: managed
        - amazon.aws.iam_role:
            name: "{{ prefix }}-app"
            assume_role_policy_document: >-
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            managed_policies: ["{{ managed.policy.arn }}"]
            create_instance_profile: false
          register: role
        - amazon.aws.iam_policy:
            iam_type: role
            iam_name: "{{ prefix }}-app"
            policy_name: cache
            policy_json: >-
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Action": "dynamodb:GetItem", "Resource": "*"}]}
          register: inline
        - amazon.aws.iam_policy_info:
            iam_type: role
            iam_name: "{{ prefix }}-app"
          register: inline_info
        - amazon.aws.iam_role_info:
            name: "{{ prefix }}-app"
          register: role_info
        - amazon.aws.iam_instance_profile:
            name: "{{ prefix }}-app"
            role: "{{ prefix }}-app"
          register: profile
        - amazon.aws.iam_instance_profile_info:
            name: "{{ prefix }}-app"
          register: profile_info
        - amazon.aws.iam_user:
            name: "{{ prefix }}-ci"
            state: present
          register: user
        - amazon.aws.iam_access_key:
            user_name: "{{ prefix }}-ci"
            state: present
          register: access_key
        - amazon.aws.iam_access_key_info:
            user_name: "{{ prefix }}-ci"
          register: keys_while_held
        - amazon.aws.iam_access_key:
            user_name: "{{ prefix }}-ci"
            id: "{{ access_key.access_key_id }}"
            state: absent
        - amazon.aws.iam_access_key_info:
            user_name: "{{ prefix }}-ci"
          register: keys_after
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'key': key.changed, 'vol': vol.changed, 'tag': tag.changed,
              'eip': eip.changed, 'managed': managed.changed, 'role': role.changed,
              'inline': inline.changed, 'profile': profile.changed, 'user': user.changed},
              'account': caller.account, 'zones': azs.availability_zones | length,
              'key_fingerprint': key_info['keypairs'][0]['key_fingerprint'],
              'volume_id': vol.volume_id, 'volumes': vol_info.volumes | length,
              'volume_tags': tag_info.tags, 'public_ip': eip.public_ip,
              'addresses': eip_info.addresses | length, 'images': amis.images | length,
              'inline': inline_info.policy_names, 'role_policies': role_info.iam_roles[0].managed_policies
              | map(attribute='policy_name') | list,
              'profile_role': profile_info.iam_instance_profiles[0].roles[0].role_name,
              'keys_while_held': keys_while_held.access_keys | length,
              'keys_after': keys_after.access_keys | length} | to_json }}
    """
)

TEARDOWN = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.iam_user:
            name: "{{ prefix }}-ci"
            state: absent
          register: user
        - amazon.aws.iam_instance_profile:
            name: "{{ prefix }}-app"
            state: absent
          register: profile
        - amazon.aws.iam_policy:
            iam_type: role
            iam_name: "{{ prefix }}-app"
            policy_name: cache
            state: absent
          register: inline
        - amazon.aws.iam_role:
            name: "{{ prefix }}-app"
            state: absent
          register: role
        - amazon.aws.iam_managed_policy:
            name: "{{ prefix }}-read"
            state: absent
          register: managed
        - amazon.aws.ec2_eip_info:
            filters:
              "tag:Name": "{{ prefix }}-ip"
          register: addresses
        - amazon.aws.ec2_eip:
            public_ip: "{{ item.public_ip }}"
            state: absent
          loop: "{{ addresses.addresses }}"
          register: eip
        - amazon.aws.ec2_vol:
            name: "{{ prefix }}-data"
            state: absent
          register: vol
        - amazon.aws.ec2_key:
            name: "{{ prefix }}-key"
            state: absent
          register: key
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'user': user.changed, 'profile': profile.changed,
              'inline': inline.changed, 'role': role.changed, 'managed': managed.changed,
              'eip': eip.changed, 'vol': vol.changed, 'key': key.changed}} | to_json }}
    """
)


@pytest.fixture
def endpoint(server_factory):
    server = server_factory.new("ansible-resources")
    server.start()
    return server.endpoint


def run(endpoint, tmp_path, prefix, playbook) -> dict:
    return ansible_result(endpoint, tmp_path, playbook, prefix=prefix)


def test_everyday_modules_build_find_and_remove_a_services_resources(endpoint, tmp_path, uid):
    prefix = f"res-{uid}"[:20]
    first = run(endpoint, tmp_path, prefix, PLAYBOOK)
    assert all(first["changed"].values()), first
    assert first["account"] == "000000000000" and first["zones"] >= 2
    assert first["volumes"] == 1 and first["addresses"] == 1 and first["images"] >= 1
    assert first["volume_tags"] == {"Name": f"{prefix}-data", "team": "web", "owner": "ops"}
    assert first["inline"] == ["cache"] and first["role_policies"] == [f"{prefix}-read"]
    assert first["profile_role"] == f"{prefix}-app"
    assert (first["keys_while_held"], first["keys_after"]) == (1, 0)

    second = run(endpoint, tmp_path, prefix, PLAYBOOK)
    assert not any(second["changed"].values()), second
    assert (second["volume_id"], second["public_ip"]) == (first["volume_id"], first["public_ip"])

    ec2 = make_client("ec2", endpoint)
    (pair,) = ec2.describe_key_pairs(KeyNames=[f"{prefix}-key"])["KeyPairs"]
    assert pair["KeyFingerprint"] == first["key_fingerprint"]
    (volume,) = ec2.describe_volumes(VolumeIds=[first["volume_id"]])["Volumes"]
    assert (volume["Size"], volume["VolumeType"]) == (1, "gp3")

    gone = run(endpoint, tmp_path, prefix, TEARDOWN)
    assert all(gone["changed"].values()), gone
    iam = make_client("iam", endpoint)
    assert_all_fail("NoSuchEntity", (
        (iam.get_user, {"UserName": f"{prefix}-ci"}),
        (iam.get_role, {"RoleName": f"{prefix}-app"}),
        (iam.get_instance_profile, {"InstanceProfileName": f"{prefix}-app"}),
        (iam.get_policy, {"PolicyArn": f"arn:aws:iam::000000000000:policy/{prefix}-read"}),
    ))
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_volumes(VolumeIds=[])["Volumes"] == []
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [f"{prefix}-key"]}])["KeyPairs"] == []


NETWORK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.ec2_vpc_net_info:
            filters: {isDefault: "true"}
          register: vpcs
        - amazon.aws.ec2_vpc_subnet_info:
            filters: {vpc-id: "{{ vpcs.vpcs[0].id }}"}
          register: subnets
        - amazon.aws.ec2_vpc_igw:
            vpc_id: "{{ vpcs.vpcs[0].id }}"
            tags: {Name: "{{ prefix }}-gateway"}
            purge_tags: false
          register: igw
        - amazon.aws.ec2_vpc_igw_info:
            filters: {"tag:Name": "{{ prefix }}-gateway"}
          register: igw_info
        - amazon.aws.ec2_vpc_route_table_info:
            filters: {vpc-id: "{{ vpcs.vpcs[0].id }}", association.main: "true"}
          register: tables
        - amazon.aws.ec2_vpc_dhcp_option_info:
            dhcp_options_ids: ["{{ vpcs.vpcs[0].dhcp_options_id }}"]
          register: dhcp
        - amazon.aws.ec2_eni_info:
            filters: {attachment.instance-id: "{{ instance }}"}
          register: enis
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': igw.changed, 'vpc': vpcs.vpcs[0].id,
              'cidr': vpcs.vpcs[0].cidr_block, 'subnets': subnets.subnets | length,
              'gateway': igw.gateway_id, 'found': igw_info.internet_gateways
              | map(attribute='internet_gateway_id') | list,
              'routes': tables.route_tables[0].routes | map(attribute='gateway_id') | list,
              'dhcp': dhcp.dhcp_options[0].dhcp_configurations | map(attribute='key') | list,
              'enis': enis.network_interfaces | map(attribute='id') | list,
              'eni_instance': enis.network_interfaces[0].attachment.instance_id} | to_json }}
    """
)


def test_the_vpc_modules_find_the_default_vpc_and_what_it_comes_with(endpoint, tmp_path, uid):
    """The `ec2_vpc_*_info` modules and `ec2_eni_info` describe the default
    VPC, its subnets, gateway, main route table, DHCP options and an
    instance's interface; `ec2_vpc_igw` finds the gateway already attached
    and only tags it, then changes nothing on a second run."""
    prefix = f"net-{uid}"[:20]
    ec2 = make_client("ec2", endpoint)
    (instance,) = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId="ami-0ba11a5700a023086", MinCount=1, MaxCount=1)["Instances"]
    ]
    first = ansible_result(endpoint, tmp_path, NETWORK, prefix=prefix, instance=instance)
    assert first["changed"] is True, first
    assert (first["cidr"], first["subnets"]) == ("172.31.0.0/16", 3)
    (gateway,) = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [first["vpc"]]}]
    )["InternetGateways"]
    assert first["gateway"] == gateway["InternetGatewayId"] and first["found"] == [first["gateway"]]
    assert first["routes"] == ["local", first["gateway"]]
    assert sorted(first["dhcp"]) == ["domain-name", "domain-name-servers"]
    assert first["enis"] == [f"eni-{instance[2:]}"] and first["eni_instance"] == instance

    second = ansible_result(endpoint, tmp_path, NETWORK, prefix=prefix, instance=instance)
    assert second["changed"] is False, second
    ec2.delete_tags(Resources=[first["gateway"]], Tags=[{"Key": "Name"}])
    ec2.terminate_instances(InstanceIds=[instance])
