"""Elastic IPs, public addresses and the network interfaces that carry
them through boto3 and the AWS CLI: every address operation and its
errors, instances' automatic public addresses, DescribeNetworkInterfaces,
and (as root, with sandboxes) an Elastic IP moved between instances that
answers from the new one within a second, seen with HTTP from the host.

Each test has a server of its own: the Elastic IP quota (five a region)
is the account's, so tests sharing the session server would share it."""

import os
import time
import urllib.request

import pytest

from ballast_compat import AwsCli, code_of, make_client, eventually

AL2023 = "ami-0ba11a5700a023086"


@pytest.fixture
def server(server_factory, tmp_path):
    server = server_factory.new("addresses", extra_args=("--time-scale", "0.05"))
    server.start()
    return make_client("ec2", server.endpoint), AwsCli(server.endpoint, tmp_path / "aws-home")


def running(ec2, count=1, **extra):
    ids = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=AL2023, MinCount=count, MaxCount=count, **extra)["Instances"]
    ]
    ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1})
    return ids


def instance_of(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_elastic_ips_boto3(server):
    ec2, _ = server
    a, b = running(ec2, 2)
    allocated = ec2.allocate_address(
        Domain="vpc",
        TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )
    allocation, public = allocated["AllocationId"], allocated["PublicIp"]
    assert allocation.startswith("eipalloc-") and public.startswith("127.252.")
    assert (allocated["Domain"], allocated["NetworkBorderGroup"]) == ("vpc", "us-east-1")

    (address,) = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert address["PublicIp"] == public and "AssociationId" not in address
    assert address["Tags"] == [{"Key": "Name", "Value": "web"}]
    assert ec2.describe_addresses(PublicIps=[public])["Addresses"][0]["AllocationId"] == allocation
    tagged = ec2.describe_addresses(Filters=[{"Name": "tag:Name", "Values": ["web"]}])["Addresses"]
    assert [x["AllocationId"] for x in tagged] == [allocation]

    association = ec2.associate_address(AllocationId=allocation, InstanceId=a)["AssociationId"]
    (address,) = ec2.describe_addresses(Filters=[{"Name": "association-id", "Values": [association]}])[
        "Addresses"
    ]
    shown = instance_of(ec2, a)
    assert (address["InstanceId"], address["PrivateIpAddress"]) == (a, shown["PrivateIpAddress"])
    assert shown["PublicIpAddress"] == public
    assert shown["PublicDnsName"] == f"ec2-{public.replace('.', '-')}.compute-1.amazonaws.com"

    assert code_of(ec2.associate_address, AllocationId=allocation, InstanceId=b) == "Resource.AlreadyAssociated"
    assert code_of(ec2.release_address, AllocationId=allocation) == "InvalidIPAddress.InUse"

    moved = ec2.associate_address(
        AllocationId=allocation,
        NetworkInterfaceId=address["NetworkInterfaceId"].replace(a[2:], b[2:]),
        AllowReassociation=True,
    )["AssociationId"]
    assert instance_of(ec2, b)["PublicIpAddress"] == public
    eventually("A's automatic address", lambda: instance_of(ec2, a).get("PublicIpAddress") not in (None, public))

    assert code_of(ec2.disassociate_address, AssociationId=association) == "InvalidAssociationID.NotFound"
    ec2.disassociate_address(AssociationId=moved)
    assert "InstanceId" not in ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    ec2.release_address(AllocationId=allocation)
    assert code_of(ec2.describe_addresses, AllocationIds=[allocation]) == "InvalidAllocationID.NotFound"
    assert code_of(ec2.release_address, AllocationId=allocation) == "InvalidAllocationID.NotFound"


def test_address_errors_and_quota_boto3(server):
    ec2, _ = server
    (instance,) = running(ec2)
    allocation = ec2.allocate_address()["AllocationId"]
    assert code_of(ec2.describe_addresses, AllocationIds=["eip-1"]) == "InvalidAllocationID.Malformed"
    assert code_of(ec2.describe_addresses, PublicIps=["127.252.255.254"]) == "InvalidAddress.NotFound"
    assert (
        code_of(ec2.associate_address, AllocationId="eipalloc-0123456789abcdef0", InstanceId=instance)
        == "InvalidAllocationID.NotFound"
    )
    assert (
        code_of(ec2.associate_address, AllocationId=allocation, InstanceId="i-0123456789abcdef0")
        == "InvalidInstanceID.NotFound"
    )
    assert code_of(ec2.associate_address, AllocationId=allocation) == "MissingParameter"
    assert (
        code_of(ec2.associate_address, AllocationId=allocation, InstanceId=instance, PrivateIpAddress="10.9.9.9")
        == "InvalidParameterValue"
    )
    assert code_of(ec2.disassociate_address, AssociationId="assoc-1") == "InvalidAssociationID.Malformed"
    assert code_of(ec2.allocate_address, Domain="standard") == "InvalidParameterValue"
    assert code_of(ec2.allocate_address, DryRun=True) == "DryRunOperation"
    for _ in range(4):
        ec2.allocate_address()
    assert code_of(ec2.allocate_address) == "AddressLimitExceeded"
    assert len(ec2.describe_addresses()["Addresses"]) == 5


def test_automatic_public_addresses_boto3(server):
    ec2, _ = server
    (instance,) = running(ec2)
    first = eventually("an automatic public address", lambda: instance_of(ec2, instance).get("PublicIpAddress"))
    assert first.startswith("127.252.")
    assert ec2.describe_addresses()["Addresses"] == [], "automatic addresses are not Elastic IPs"
    ec2.stop_instances(InstanceIds=[instance])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1})
    stopped = instance_of(ec2, instance)
    assert "PublicIpAddress" not in stopped and stopped["PublicDnsName"] == ""
    ec2.start_instances(InstanceIds=[instance])
    eventually("a public address after start", lambda: instance_of(ec2, instance).get("PublicIpAddress"))


def test_elastic_ips_cli(server):
    _, aws = server
    rc, out, err = aws(
        "ec2",
        "allocate-address",
        "--domain",
        "vpc",
        "--tag-specifications",
        "ResourceType=elastic-ip,Tags=[{Key=team,Value=edge}]",
    )
    assert rc == 0, err
    allocation, public = out["AllocationId"], out["PublicIp"]
    rc, out, err = aws("ec2", "describe-addresses", "--filters", "Name=tag:team,Values=edge")
    assert rc == 0, err
    assert [a["PublicIp"] for a in out["Addresses"]] == [public]
    rc, out, err = aws(
        "ec2", "run-instances", "--image-id", AL2023, "--instance-type", "t3.micro", "--count", "1"
    )
    assert rc == 0, err
    instance = out["Instances"][0]["InstanceId"]
    rc, _, err = aws("ec2", "wait", "instance-running", "--instance-ids", instance)
    assert rc == 0, err
    rc, out, err = aws("ec2", "associate-address", "--allocation-id", allocation, "--instance-id", instance)
    assert rc == 0, err
    association = out["AssociationId"]
    rc, out, err = aws(
        "ec2",
        "describe-instances",
        "--instance-ids",
        instance,
        "--query",
        "Reservations[0].Instances[0].PublicIpAddress",
    )
    assert (rc, out) == (0, public), err
    rc, _, err = aws("ec2", "associate-address", "--allocation-id", allocation, "--instance-id", instance)
    assert rc != 0 and "Resource.AlreadyAssociated" in err
    rc, _, err = aws("ec2", "release-address", "--allocation-id", allocation)
    assert rc != 0 and "InvalidIPAddress.InUse" in err
    rc, _, err = aws("ec2", "disassociate-address", "--association-id", association)
    assert rc == 0, err
    rc, _, err = aws("ec2", "disassociate-address", "--association-id", association)
    assert rc != 0 and "InvalidAssociationID.NotFound" in err
    rc, _, err = aws("ec2", "release-address", "--public-ip", public)
    assert rc == 0, err
    rc, _, err = aws("ec2", "describe-addresses", "--allocation-ids", allocation)
    assert rc != 0 and "InvalidAllocationID.NotFound" in err


def test_network_interfaces_boto3_and_cli(server):
    ec2, aws = server
    (instance,) = running(ec2)
    primary = instance_of(ec2, instance)["NetworkInterfaces"][0]
    eni = primary["NetworkInterfaceId"]
    (interface,) = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance]}]
    )["NetworkInterfaces"]
    assert interface["NetworkInterfaceId"] == eni
    assert interface["MacAddress"] == primary["MacAddress"]
    assert interface["PrivateIpAddress"] == primary["PrivateIpAddress"]
    assert (interface["Status"], interface["InterfaceType"]) == ("in-use", "interface")
    assert interface["Attachment"]["AttachmentId"] == primary["Attachment"]["AttachmentId"]
    public = eventually("an automatic public address", lambda: instance_of(ec2, instance).get("PublicIpAddress"))
    (interface,) = ec2.describe_network_interfaces(
        Filters=[{"Name": "association.public-ip", "Values": [public]}]
    )["NetworkInterfaces"]
    assert interface["Association"]["IpOwnerId"] == "amazon"

    pages = list(ec2.get_paginator("describe_network_interfaces").paginate(PaginationConfig={"PageSize": 5}))
    assert [i["NetworkInterfaceId"] for p in pages for i in p["NetworkInterfaces"]] == [eni]
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-0123456789abcdef0"]) == (
        "InvalidNetworkInterfaceID.NotFound"
    )
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=["nic-1"]) == (
        "InvalidNetworkInterfaceID.Malformed"
    )

    rc, _, err = aws("ec2", "create-tags", "--resources", eni, "--tags", "Key=tier,Value=web")
    assert rc == 0, err
    rc, out, err = aws(
        "ec2", "describe-network-interfaces", "--filters", "Name=tag:tier,Values=web",
        "--query", "NetworkInterfaces[].Attachment.InstanceId",
    )
    assert (rc, out) == (0, [instance]), err
    rc, _, err = aws("ec2", "describe-network-interfaces", "--network-interface-ids", "eni-0123456789abcdef0")
    assert rc != 0 and "InvalidNetworkInterfaceID.NotFound" in err

    ec2.terminate_instances(InstanceIds=[instance])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1})
    assert code_of(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni]) == (
        "InvalidNetworkInterfaceID.NotFound"
    )


SERVE_HOSTNAME = """#!/bin/bash
mkdir -p /opt/app && hostname > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
"""


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=0.5) as response:
            return response.read().decode()
    except OSError:
        return None


@pytest.mark.skipif(os.geteuid() != 0, reason="sandboxed instances need root (namespaces, mounts, links)")
def test_elastic_ip_moves_between_sandboxes_within_a_second(server_factory):
    server = server_factory.new(
        "eip-sandbox", extra_args=("--instance-runtime", "sandbox", "--time-scale", "0.05")
    )
    server.start()
    ec2 = make_client("ec2", server.endpoint)
    a, b = running(
        ec2,
        2,
        UserData=SERVE_HOSTNAME,  # boto3 encodes it
        MetadataOptions={"HttpTokens": "optional"},
    )
    hostname = {i: f"ip-{instance_of(ec2, i)['PrivateIpAddress'].replace('.', '-')}.ec2.internal\n" for i in (a, b)}
    allocated = ec2.allocate_address(Domain="vpc")
    url = f"http://{allocated['PublicIp']}:8080/"
    ec2.associate_address(AllocationId=allocated["AllocationId"], InstanceId=a)
    eventually("A's answer on the Elastic IP", lambda: fetch(url) == hostname[a], deadline_s=30)

    started = time.monotonic()
    ec2.associate_address(AllocationId=allocated["AllocationId"], InstanceId=b, AllowReassociation=True)
    eventually("B's answer on the Elastic IP", lambda: fetch(url) == hostname[b])
    moved_in = time.monotonic() - started
    assert moved_in < 1.0, f"the Elastic IP took {moved_in:.3f}s to reach B"
