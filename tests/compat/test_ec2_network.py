"""EC2's network and catalogue through boto3 and the AWS CLI (ec2Query):
regions, zones, the default VPC with its subnets, gateway, route table,
network ACL and DHCP options, security groups, images, key
pairs and tags, with EC2's error codes."""

import shutil
import subprocess

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code, http_status

VPC = "vpc-0ba11a57000000000"
DEFAULT_SG = "sg-0ba11a57000000000"
AL2023 = "ami-0ba11a5700a023086"


def expect_error(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    assert error_code(info.value) == code, info.value
    return info.value


# --------------------------------------------------------------------------- network


def test_regions_and_zones(ec2):
    assert [r["RegionName"] for r in ec2.describe_regions(AllRegions=True)["Regions"]] == ["us-east-1"]
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert [z["ZoneId"] for z in zones] == ["use1-az1", "use1-az2", "use1-az3"]
    assert {z["State"] for z in zones} == {"available"}
    one = ec2.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["us-east-1c"]}])
    assert [z["ZoneId"] for z in one["AvailabilityZones"]] == ["use1-az3"]
    expect_error("InvalidParameterValue", ec2.describe_availability_zones, ZoneNames=["us-east-1q"])
    expect_error("InvalidParameterValue", ec2.describe_regions, RegionNames=["moon-1"])


def test_default_vpc_and_subnets(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    assert vpcs[0]["VpcId"] == VPC and vpcs[0]["CidrBlock"] == "172.31.0.0/16" and vpcs[0]["IsDefault"]
    expect_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"])
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [VPC]}])["Subnets"]
    assert [s["CidrBlock"] for s in subnets] == ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets)
    assert {s["AvailableIpAddressCount"] for s in subnets} == {4091}
    b = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": ["us-east-1b"]}])["Subnets"]
    assert [s["CidrBlock"] for s in b] == ["172.31.16.0/20"]
    expect_error("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=["subnet-0123456789abcdef0"])
    pages = list(ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(p["Subnets"]) for p in pages) == 3
    ec2.get_waiter("vpc_available").wait(VpcIds=[VPC], WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_cli_network(aws):
    rc, out, err = aws("ec2", "describe-availability-zones")
    assert rc == 0, err
    assert [z["ZoneName"] for z in out["AvailabilityZones"]] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    rc, out, err = aws("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true")
    assert rc == 0, err
    assert len(out["Subnets"]) == 3
    rc, out, err = aws("ec2", "describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0")
    assert rc != 0 and "InvalidVpcID.NotFound" in err
    rc, out, err = aws("ec2", "describe-vpc-attribute", "--vpc-id", VPC, "--attribute", "enableDnsHostnames")
    assert rc == 0, err
    assert out == {"VpcId": VPC, "EnableDnsHostnames": {"Value": True}}
    rc, out, err = aws("ec2", "describe-vpc-attribute", "--vpc-id", "vpc-0123456789abcdef0",
                       "--attribute", "enableDnsSupport")
    assert rc != 0 and "InvalidVpcID.NotFound" in err


def test_what_the_default_vpc_comes_with(ec2):
    (gateway,) = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [VPC]}]
    )["InternetGateways"]
    assert gateway["Attachments"] == [{"State": "available", "VpcId": VPC}]
    igw = gateway["InternetGatewayId"]
    expect_error("InvalidInternetGatewayID.NotFound", ec2.describe_internet_gateways,
                 InternetGatewayIds=["igw-0123456789abcdef0"])

    tables = ec2.get_paginator("describe_route_tables").paginate(
        Filters=[{"Name": "route.gateway-id", "Values": [igw]}]
    ).build_full_result()["RouteTables"]
    assert len(tables) == 1
    (table,) = tables
    assert [(r["DestinationCidrBlock"], r["GatewayId"], r["State"]) for r in table["Routes"]] == [
        ("172.31.0.0/16", "local", "active"),
        ("0.0.0.0/0", igw, "active"),
    ]
    assert table["Associations"][0]["Main"] is True and "SubnetId" not in table["Associations"][0]
    expect_error("InvalidRouteTableID.NotFound", ec2.describe_route_tables,
                 RouteTableIds=["rtb-0123456789abcdef0"])

    (acl,) = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [VPC]}])["NetworkAcls"]
    assert acl["IsDefault"] is True
    subnets = {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]}
    assert {a["SubnetId"] for a in acl["Associations"]} == subnets
    assert {(e["Egress"], e["RuleNumber"], e["RuleAction"]) for e in acl["Entries"]} == {
        (False, 100, "allow"), (False, 32767, "deny"), (True, 100, "allow"), (True, 32767, "deny"),
    }
    expect_error("InvalidNetworkAclID.NotFound", ec2.describe_network_acls,
                 NetworkAclIds=["acl-0123456789abcdef0"])

    (options,) = ec2.describe_dhcp_options()["DhcpOptions"]
    config = {c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]}
    assert config == {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}
    expect_error("InvalidDhcpOptionID.NotFound", ec2.describe_dhcp_options,
                 DhcpOptionsIds=["dopt-0123456789abcdef0"])
    expect_error("InvalidParameterValue", ec2.describe_network_acls,
                 Filters=[{"Name": "entry.bogus", "Values": ["1"]}])


def test_cli_what_the_default_vpc_comes_with(aws, uid):
    rc, out, err = aws("ec2", "describe-internet-gateways", "--filters", f"Name=attachment.vpc-id,Values={VPC}")
    assert rc == 0, err
    igw = out["InternetGateways"][0]["InternetGatewayId"]
    rc, _, err = aws("ec2", "create-tags", "--resources", igw, "--tags", f"Key=cli,Value={uid}")
    assert rc == 0, err
    rc, out, err = aws("ec2", "describe-internet-gateways", "--filters", f"Name=tag:cli,Values={uid}")
    assert rc == 0, err
    assert [g["InternetGatewayId"] for g in out["InternetGateways"]] == [igw]
    rc, out, err = aws("ec2", "describe-route-tables", "--filters", "Name=association.main,Values=true",
                       "--query", "RouteTables[0].Routes[1].GatewayId")
    assert (rc, out) == (0, igw), err
    rc, out, err = aws("ec2", "describe-network-acls", "--query", "NetworkAcls[0].Entries[?RuleNumber==`100`]")
    assert rc == 0, err
    assert len(out) == 2
    rc, out, err = aws("ec2", "describe-dhcp-options", "--query", "DhcpOptions[0].DhcpOptionsId")
    assert rc == 0 and out.startswith("dopt-"), err
    rc, _, err = aws("ec2", "describe-route-tables", "--route-table-ids", "rtb-0123456789abcdef0")
    assert rc != 0 and "InvalidRouteTableID.NotFound" in err
    rc, _, err = aws("ec2", "delete-tags", "--resources", igw, "--tags", "Key=cli")
    assert rc == 0, err


def test_vpc_attributes_and_the_legacy_is_default_filter(ec2):
    """What Ansible's ec2_vpc_net_info and ec2_instance ask of the default VPC."""
    assert [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]] == [VPC]
    support = ec2.describe_vpc_attribute(VpcId=VPC, Attribute="enableDnsSupport")
    assert support["EnableDnsSupport"] == {"Value": True}
    metrics = ec2.describe_vpc_attribute(VpcId=VPC, Attribute="enableNetworkAddressUsageMetrics")
    assert metrics["EnableNetworkAddressUsageMetrics"] == {"Value": False}
    expect_error("InvalidVpcID.NotFound", ec2.describe_vpc_attribute, VpcId="vpc-0123456789abcdef0",
                 Attribute="enableDnsSupport")


# --------------------------------------------------------------------------- security groups


def test_security_group_lifecycle(ec2, uid):
    name = f"web-{uid}"
    created = ec2.create_security_group(
        GroupName=name,
        Description="web servers",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": "blue"}]}],
    )
    gid = created["GroupId"]
    assert gid.startswith("sg-") and len(gid) == 20
    ec2.get_waiter("security_group_exists").wait(GroupIds=[gid], WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    expect_error("InvalidGroup.Duplicate", ec2.create_security_group, GroupName=name, Description="x")
    expect_error("InvalidVpcID.NotFound", ec2.create_security_group, GroupName=f"o-{uid}", Description="x", VpcId="vpc-0123456789abcdef0")

    group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    assert group["GroupName"] == name and group["Description"] == "web servers" and group["VpcId"] == VPC
    assert group["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert group["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    by_filter = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    assert [g["GroupId"] for g in by_filter["SecurityGroups"]] == [gid]
    assert ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"] == DEFAULT_SG
    expect_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"])
    expect_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupNames=[f"nope-{uid}"])

    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "office"}]}
    peer = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": DEFAULT_SG}]}
    out = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[ssh, peer])
    assert out["Return"] is True and len(out["SecurityGroupRules"]) == 2
    expect_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=gid, IpPermissions=[ssh])
    perms = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    assert perms[0]["FromPort"] == 22 and perms[0]["IpRanges"] == [{"CidrIp": "10.0.0.0/8", "Description": "office"}]
    assert perms[1]["UserIdGroupPairs"][0]["GroupId"] == DEFAULT_SG
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[ssh])
    expect_error("InvalidPermission.NotFound", ec2.revoke_security_group_ingress, GroupId=gid, IpPermissions=[ssh])

    expect_error("CannotDelete", ec2.delete_security_group, GroupId=DEFAULT_SG)
    ec2.delete_security_group(GroupName=name)
    expect_error("InvalidGroup.NotFound", ec2.delete_security_group, GroupId=gid)


def test_security_groups_page(ec2, uid):
    for i in range(6):
        ec2.create_security_group(GroupName=f"p{i}-{uid}", Description="paged")
    pages = list(ec2.get_paginator("describe_security_groups").paginate(PaginationConfig={"PageSize": 5}))
    assert len(pages) >= 2
    ids = [g["GroupId"] for p in pages for g in p["SecurityGroups"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 7


def test_cli_security_groups(aws, uid):
    name = f"cli-{uid}"
    rc, out, err = aws("ec2", "create-security-group", "--group-name", name, "--description", "from the cli")
    assert rc == 0, err
    gid = out["GroupId"]
    rc, out, err = aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
    assert rc == 0, err
    rc, out, err = aws("ec2", "authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
    assert rc != 0 and "InvalidPermission.Duplicate" in err
    rc, out, err = aws("ec2", "describe-security-groups", "--group-ids", gid)
    assert rc == 0, err
    assert out["SecurityGroups"][0]["IpPermissions"][0]["FromPort"] == 443
    rc, out, err = aws("ec2", "delete-security-group", "--group-id", gid)
    assert rc == 0, err
    rc, out, err = aws("ec2", "create-security-group", "--group-name", name, "--description", "x", "--dry-run")
    assert rc != 0 and "DryRunOperation" in err


# --------------------------------------------------------------------------- images


def test_images(ec2, aws):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-kernel-6.1-x86_64"]}])["Images"]
    assert [i["ImageId"] for i in images] == [AL2023]
    assert images[0]["State"] == "available" and images[0]["Architecture"] == "x86_64"
    assert ec2.describe_images(ImageIds=[AL2023])["Images"][0]["Name"] == images[0]["Name"]
    assert ec2.describe_images(Filters=[{"Name": "architecture", "Values": ["arm64"]}])["Images"]
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    expect_error("InvalidAMIID.NotFound", ec2.describe_images, ImageIds=["ami-0123456789abcdef0"])
    expect_error("InvalidAMIID.Malformed", ec2.describe_images, ImageIds=["ami-what"])
    rc, out, err = aws("ec2", "describe-images", "--owners", "amazon", "--filters", "Name=image-id,Values=" + AL2023)
    assert rc == 0, err
    assert out["Images"][0]["Name"].startswith("al2023-ami-2023.")


# --------------------------------------------------------------------------- key pairs


def test_key_pairs(ec2, uid, tmp_path):
    name = f"kp-{uid}"
    created = ec2.create_key_pair(KeyName=name, KeyType="ed25519")
    assert created["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert created["KeyPairId"].startswith("key-") and len(created["KeyPairId"]) == 21
    expect_error("InvalidKeyPair.Duplicate", ec2.create_key_pair, KeyName=name)
    ec2.get_waiter("key_pair_exists").wait(KeyNames=[name], WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    info = ec2.describe_key_pairs(KeyNames=[name], IncludePublicKey=True)["KeyPairs"][0]
    assert info["KeyFingerprint"] == created["KeyFingerprint"] and info["KeyType"] == "ed25519"

    if shutil.which("ssh-keygen"):
        pem = tmp_path / "k.pem"
        pem.write_text(created["KeyMaterial"])
        pem.chmod(0o600)
        public = subprocess.run(["ssh-keygen", "-y", "-f", str(pem)], capture_output=True, text=True, check=True).stdout
        assert public.split()[1] == info["PublicKey"].split()[1]

    imported = ec2.import_key_pair(KeyName=f"imp-{uid}", PublicKeyMaterial=info["PublicKey"].encode())
    assert imported["KeyFingerprint"] == created["KeyFingerprint"]
    expect_error("InvalidKeyPair.Format", ec2.import_key_pair, KeyName=f"bad-{uid}", PublicKeyMaterial=b"ssh-ed25519 nope")
    assert ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name]}])["KeyPairs"][0]["KeyName"] == name
    expect_error("InvalidKeyPair.NotFound", ec2.describe_key_pairs, KeyNames=[f"missing-{uid}"])
    ec2.delete_key_pair(KeyName=name)
    ec2.delete_key_pair(KeyPairId=imported["KeyPairId"])
    ec2.delete_key_pair(KeyName=name)  # gone already: still succeeds
    expect_error("InvalidKeyPair.NotFound", ec2.describe_key_pairs, KeyPairIds=[created["KeyPairId"]])


def test_cli_key_pair(aws, uid, tmp_path):
    rc, out, err = aws("ec2", "create-key-pair", "--key-name", f"cli-{uid}", "--query", "KeyMaterial")
    assert rc == 0, err
    assert out.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    pub = tmp_path / "k.pub"
    pub.write_text(open(__file__.replace("tests/compat/test_ec2_network.py", "crates/ballast-core/src/ec2/testdata/rsa1024.pub")).read())
    rc, out, err = aws("ec2", "import-key-pair", "--key-name", f"rsa-{uid}", "--public-key-material", f"fileb://{pub}")
    assert rc == 0, err
    expected = open(__file__.replace("tests/compat/test_ec2_network.py", "crates/ballast-core/src/ec2/testdata/rsa1024.md5")).read().strip()
    assert out["KeyFingerprint"] == expected


# --------------------------------------------------------------------------- tags and dry runs


def test_tags(ec2, uid):
    gid = ec2.create_security_group(GroupName=f"t-{uid}", Description="tags")["GroupId"]
    ec2.create_tags(Resources=[gid, AL2023], Tags=[{"Key": "owner", "Value": uid}, {"Key": "Name", "Value": "x"}])
    mine = ec2.describe_tags(Filters=[{"Name": "value", "Values": [uid]}])["Tags"]
    assert sorted((t["ResourceId"], t["ResourceType"]) for t in mine) == sorted([(gid, "security-group"), (AL2023, "image")])
    ec2.delete_tags(Resources=[gid], Tags=[{"Key": "owner"}])
    left = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [gid]}])["Tags"]
    assert [t["Key"] for t in left] == ["Name"]
    ec2.delete_tags(Resources=[AL2023])
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [AL2023]}])["Tags"] == []
    expect_error("InvalidGroup.NotFound", ec2.create_tags, Resources=["sg-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])
    expect_error("InvalidID", ec2.create_tags, Resources=["nothing-1"], Tags=[{"Key": "a", "Value": "b"}])


def test_dry_run_is_412(ec2, uid):
    e = expect_error("DryRunOperation", ec2.create_key_pair, KeyName=f"dry-{uid}", DryRun=True)
    assert http_status(e) == 412
    assert "DryRun flag is set" in e.response["Error"]["Message"]
    expect_error("InvalidKeyPair.NotFound", ec2.describe_key_pairs, KeyNames=[f"dry-{uid}"])
    expect_error("DryRunOperation", ec2.create_tags, Resources=[VPC], Tags=[{"Key": "a", "Value": "b"}], DryRun=True)


# --------------------------------------------------------------------------- egress rules and DescribeSecurityGroupRules

ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def group_rules(ec2, gid):
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]


def test_security_group_egress(ec2, uid):
    gid = ec2.create_security_group(GroupName=f"out-{uid}", Description="egress")["GroupId"]
    group = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    assert group["IpPermissions"] == []
    assert [(p["IpProtocol"], p["IpRanges"]) for p in group["IpPermissionsEgress"]] == [("-1", [{"CidrIp": "0.0.0.0/0"}])]
    [default_out] = group_rules(ec2, gid)
    assert default_out["IsEgress"] is True and default_out["CidrIpv4"] == "0.0.0.0/0" and default_out["IpProtocol"] == "-1"

    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "web"}]}
    to_default = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": DEFAULT_SG}]}
    out = ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[https, to_default])
    assert out["Return"] is True
    added = out["SecurityGroupRules"]
    assert [(r["IsEgress"], r["GroupId"], r.get("FromPort")) for r in added] == [(True, gid, 443), (True, gid, 5432)]
    assert added[1]["ReferencedGroupInfo"]["GroupId"] == DEFAULT_SG
    https_id, to_default_id = (r["SecurityGroupRuleId"] for r in added)

    egress = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert len(egress) == 3
    assert egress[1]["FromPort"] == 443 and egress[1]["IpRanges"] == [{"CidrIp": "0.0.0.0/0", "Description": "web"}]
    assert egress[2]["UserIdGroupPairs"][0]["GroupId"] == DEFAULT_SG
    for name, value in [("egress.ip-permission.from-port", "443"), ("egress.ip-permission.group-id", DEFAULT_SG)]:
        found = ec2.describe_security_groups(Filters=[{"Name": name, "Values": [value]}, {"Name": "group-id", "Values": [gid]}])
        assert [g["GroupId"] for g in found["SecurityGroups"]] == [gid], name
    assert ec2.describe_security_groups(Filters=[{"Name": "ip-permission.from-port", "Values": ["443"]}, {"Name": "group-id", "Values": [gid]}])["SecurityGroups"] == []
    assert len(group_rules(ec2, gid)) == 3
    [one] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[https_id])["SecurityGroupRules"]
    assert one["FromPort"] == 443 and one["IsEgress"] is True and one["Description"] == "web"

    expect_error("InvalidPermission.Duplicate", ec2.authorize_security_group_egress, GroupId=gid, IpPermissions=[https])
    expect_error("InvalidGroup.NotFound", ec2.authorize_security_group_egress, GroupId="sg-0123456789abcdef0", IpPermissions=[https])
    expect_error("InvalidGroup.NotFound", ec2.revoke_security_group_egress, GroupId="sg-0123456789abcdef0", IpPermissions=[https])
    expect_error("UnknownParameter", ec2.authorize_security_group_egress, GroupId=gid, IpProtocol="tcp", FromPort=25, ToPort=25, CidrIp="0.0.0.0/0")
    e = expect_error("DryRunOperation", ec2.authorize_security_group_egress, GroupId=gid, IpPermissions=[{**https, "FromPort": 25, "ToPort": 25}], DryRun=True)
    assert http_status(e) == 412

    revoked = ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[https])
    assert revoked["Return"] is True
    assert [(r["SecurityGroupRuleId"], r["IsEgress"]) for r in revoked["RevokedSecurityGroupRules"]] == [(https_id, True)]
    expect_error("InvalidPermission.NotFound", ec2.revoke_security_group_egress, GroupId=gid, IpPermissions=[https])
    expect_error("InvalidSecurityGroupRuleId.NotFound", ec2.describe_security_group_rules, SecurityGroupRuleIds=[https_id])

    expect_error("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_ingress, GroupId=gid, SecurityGroupRuleIds=[to_default_id])
    expect_error("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_egress, GroupId=gid, SecurityGroupRuleIds=["sgr-0123456789abcdef0"])
    expect_error("InvalidSecurityGroupRuleId.Malformed", ec2.revoke_security_group_egress, GroupId=gid, SecurityGroupRuleIds=["10.0.0.0/8"])
    revoked = ec2.revoke_security_group_egress(GroupId=gid, SecurityGroupRuleIds=[to_default_id])
    [gone] = revoked["RevokedSecurityGroupRules"]
    assert gone["SecurityGroupRuleId"] == to_default_id and gone["ReferencedGroupId"] == DEFAULT_SG
    assert [r["SecurityGroupRuleId"] for r in group_rules(ec2, gid)] == [default_out["SecurityGroupRuleId"]]

    # The all-traffic rule goes and comes back (under a new id).
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[ALL_OUT])
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"] == []
    assert group_rules(ec2, gid) == []
    back = ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[ALL_OUT])["SecurityGroupRules"][0]
    assert back["SecurityGroupRuleId"] != default_out["SecurityGroupRuleId"]
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissionsEgress"][0]["IpProtocol"] == "-1"


def test_security_group_rules_page(ec2, uid):
    gid = ec2.create_security_group(GroupName=f"rules-{uid}", Description="paged rules")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]} for p in range(1, 7)],
    )
    filters = [{"Name": "group-id", "Values": [gid]}]
    pages = list(ec2.get_paginator("describe_security_group_rules").paginate(Filters=filters, PaginationConfig={"PageSize": 5}))
    assert [len(p["SecurityGroupRules"]) for p in pages] == [5, 2]
    rules = [r for p in pages for r in p["SecurityGroupRules"]]
    assert sorted(r["IsEgress"] for r in rules) == [False] * 6 + [True]
    ids = [r["SecurityGroupRuleId"] for r in rules]
    assert ids == sorted(set(ids))
    ingress_ids = [r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]]
    out = ec2.revoke_security_group_ingress(GroupId=gid, SecurityGroupRuleIds=ingress_ids[:2])
    assert sorted(r["SecurityGroupRuleId"] for r in out["RevokedSecurityGroupRules"]) == sorted(ingress_ids[:2])
    assert len(group_rules(ec2, gid)) == 5
    expect_error("InvalidParameterValue", ec2.describe_security_group_rules, Filters=[{"Name": "is-egress", "Values": ["true"]}])


def test_default_group_egress_removed_and_restored(server_factory):
    # A server of its own: the default group is shared by every test.
    ec2 = server_factory.new("default-egress").start().client("ec2")
    rules = group_rules(ec2, DEFAULT_SG)
    assert sorted(r["IsEgress"] for r in rules) == [False, True]
    [out] = [r for r in rules if r["IsEgress"]]
    expect_error("InvalidPermission.Duplicate", ec2.authorize_security_group_egress, GroupId=DEFAULT_SG, IpPermissions=[ALL_OUT])
    revoked = ec2.revoke_security_group_egress(GroupId=DEFAULT_SG, IpPermissions=[ALL_OUT])
    assert revoked["RevokedSecurityGroupRules"][0]["SecurityGroupRuleId"] == out["SecurityGroupRuleId"]
    group = ec2.describe_security_groups(GroupIds=[DEFAULT_SG])["SecurityGroups"][0]
    assert group["IpPermissionsEgress"] == [] and len(group["IpPermissions"]) == 1
    expect_error("InvalidPermission.NotFound", ec2.revoke_security_group_egress, GroupId=DEFAULT_SG, IpPermissions=[ALL_OUT])
    ec2.authorize_security_group_egress(GroupId=DEFAULT_SG, IpPermissions=[ALL_OUT])
    egress = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert [(p["IpProtocol"], p["IpRanges"]) for p in egress] == [("-1", [{"CidrIp": "0.0.0.0/0"}])]


def test_cli_security_group_egress(aws, uid):
    rc, out, err = aws("ec2", "create-security-group", "--group-name", f"cli-out-{uid}", "--description", "egress from the cli")
    assert rc == 0, err
    gid = out["GroupId"]
    rc, out, err = aws("ec2", "authorize-security-group-egress", "--group-id", gid, "--protocol", "tcp", "--port", "443", "--cidr", "10.0.0.0/8")
    assert rc == 0, err
    assert out["Return"] is True and out["SecurityGroupRules"][0]["IsEgress"] is True
    rule_id = out["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rc, out, err = aws("ec2", "authorize-security-group-egress", "--group-id", gid, "--protocol", "tcp", "--port", "443", "--cidr", "10.0.0.0/8")
    assert rc != 0 and "InvalidPermission.Duplicate" in err
    rc, out, err = aws("ec2", "describe-security-group-rules", "--filters", f"Name=group-id,Values={gid}")
    assert rc == 0, err
    assert sorted((r["IpProtocol"], r["IsEgress"]) for r in out["SecurityGroupRules"]) == [("-1", True), ("tcp", True)]
    rc, out, err = aws("ec2", "revoke-security-group-egress", "--group-id", gid, "--security-group-rule-ids", rule_id)
    assert rc == 0, err
    assert out["RevokedSecurityGroupRules"][0]["SecurityGroupRuleId"] == rule_id
    rc, out, err = aws("ec2", "revoke-security-group-egress", "--group-id", gid, "--security-group-rule-ids", rule_id)
    assert rc != 0 and "InvalidSecurityGroupRuleId.NotFound" in err
    rc, out, err = aws("ec2", "revoke-security-group-egress", "--group-id", gid, "--ip-permissions", "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]")
    assert rc == 0, err
    rc, out, err = aws("ec2", "describe-security-groups", "--group-ids", gid)
    assert rc == 0, err
    assert out["SecurityGroups"][0]["IpPermissionsEgress"] == []
    rc, out, err = aws("ec2", "revoke-security-group-egress", "--group-id", gid, "--protocol", "all", "--cidr", "0.0.0.0/0")
    assert rc != 0 and "InvalidPermission.NotFound" in err
    rc, out, err = aws("ec2", "authorize-security-group-egress", "--group-id", gid, "--protocol", "all", "--cidr", "0.0.0.0/0")
    assert rc == 0, err
    rc, out, err = aws("ec2", "describe-security-groups", "--group-ids", gid, "--query", "SecurityGroups[0].IpPermissionsEgress[0].IpProtocol")
    assert rc == 0, err
    assert out == "-1"
    rc, out, err = aws("ec2", "authorize-security-group-egress", "--group-id", "sg-0123456789abcdef0", "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/8")
    assert rc != 0 and "InvalidGroup.NotFound" in err
