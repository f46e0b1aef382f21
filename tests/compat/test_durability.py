"""Acknowledged writes survive `kill -9`.

Each test runs its own server on its own data dir, SIGKILLs it immediately
after a call returned success, starts it again on the same data dir and reads
the state back with boto3.
"""

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code

VPC = "vpc-0durable0000000001"


def test_parameter_and_target_group_survive_kill9(server_factory, uid):
    server = server_factory.new().start()
    ssm, elbv2 = server.client("ssm"), server.client("elbv2")
    account = server.client("sts").get_caller_identity()["Account"]

    name = f"/durable/{uid}/param"
    ssm.put_parameter(Name=name, Value="first", Type="String", Description="kept")
    secret = f"/durable/{uid}/secret"
    ssm.put_parameter(Name=secret, Value="hush", Type="SecureString")
    tg = elbv2.create_target_group(
        Name=f"d-{uid}", Protocol="HTTP", Port=8080, VpcId=VPC, HealthCheckPath="/health"
    )["TargetGroups"][0]
    put = ssm.put_parameter(Name=name, Value="second", Type="String", Overwrite=True)
    assert put["Version"] == 2
    server.kill9()  # right after the last acknowledged call

    server.start()
    ssm, elbv2 = server.client("ssm"), server.client("elbv2")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("second", 2)
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Value"] == "first"
    assert ssm.get_parameter(Name=secret, WithDecryption=True)["Parameter"]["Value"] == "hush"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}])
    assert [m["Description"] for m in meta["Parameters"]] == ["kept"]

    again = elbv2.describe_target_groups(Names=[f"d-{uid}"])["TargetGroups"]
    assert len(again) == 1
    # LoadBalancerArns may be [] or absent; both mean none.
    assert {**again[0], "LoadBalancerArns": again[0].get("LoadBalancerArns", [])} == {
        **tg,
        "LoadBalancerArns": tg.get("LoadBalancerArns", []),
    }
    assert server.client("sts").get_caller_identity()["Account"] == account


def test_modifications_and_deletes_survive_kill9(server_factory, uid):
    server = server_factory.new().start()
    ssm, elbv2 = server.client("ssm"), server.client("elbv2")

    keep, gone = f"/durable/{uid}/keep", f"/durable/{uid}/gone"
    ssm.put_parameter(Name=keep, Value="v", Type="String")
    ssm.put_parameter(Name=gone, Value="v", Type="String")
    tg = elbv2.create_target_group(Name=f"m-{uid}", Protocol="HTTP", Port=80, VpcId=VPC)["TargetGroups"][0]
    doomed = elbv2.create_target_group(Name=f"x-{uid}", Protocol="HTTP", Port=80, VpcId=VPC)["TargetGroups"][0]
    server.kill9()

    server.start()
    ssm, elbv2 = server.client("ssm"), server.client("elbv2")
    arn = tg["TargetGroupArn"]
    elbv2.modify_target_group(TargetGroupArn=arn, HealthCheckPath="/ready", HealthCheckIntervalSeconds=10)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "15"}]
    )
    elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "env", "Value": "durable"}])
    elbv2.delete_target_group(TargetGroupArn=doomed["TargetGroupArn"])
    ssm.label_parameter_version(Name=keep, ParameterVersion=1, Labels=["pinned"])
    ssm.delete_parameter(Name=gone)
    server.kill9()

    server.start()
    ssm, elbv2 = server.client("ssm"), server.client("elbv2")
    got = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    assert (got["HealthCheckPath"], got["HealthCheckIntervalSeconds"]) == ("/ready", 10)
    attrs = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    }
    assert attrs["deregistration_delay.timeout_seconds"] == "15"
    tags = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "env", "Value": "durable"}]
    with pytest.raises(ClientError) as e:
        elbv2.describe_target_groups(TargetGroupArns=[doomed["TargetGroupArn"]])
    assert error_code(e.value) == "TargetGroupNotFound"

    assert ssm.get_parameter(Name=f"{keep}:pinned")["Parameter"]["Version"] == 1
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=gone)
    assert error_code(e.value) == "ParameterNotFound"


@pytest.mark.parametrize("durability", ["process", "machine"])
def test_rapid_writes_then_kill9(server_factory, uid, durability):
    """Every acknowledged version of a burst of overwrites is there after a
    crash, whether commits are synced to disk or only written."""
    server = server_factory.new(extra_args=("--durability", durability)).start()
    ssm = server.client("ssm")
    name = f"/durable/{uid}/burst"
    ssm.put_parameter(Name=name, Value="0", Type="String")
    for i in range(1, 30):
        assert ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)["Version"] == i + 1
    server.kill9()

    server.start()
    ssm = server.client("ssm")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"]) == ("29", 30)
    history = [h["Version"] for page in ssm.get_paginator("get_parameter_history").paginate(Name=name) for h in page["Parameters"]]
    assert history == list(range(1, 31))


def test_graceful_stop_exits_cleanly(server_factory, uid):
    server = server_factory.new().start()
    server.client("ssm").put_parameter(Name=f"/durable/{uid}/stop", Value="v", Type="String")
    rc = server.stop()
    assert rc == 0, f"SIGTERM should shut down cleanly, exit status {rc}\n{server.log()}"
    server.start()
    assert server.client("ssm").get_parameter(Name=f"/durable/{uid}/stop")["Parameter"]["Value"] == "v"
