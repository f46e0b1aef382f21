"""ELBv2 target groups through boto3 and the AWS CLI (awsQuery).

Defaults and ranges follow AWS (aws-semantics A2/A3 and the botocore model).
botocore only checks a model `min` on the client, so values below a minimum
are sent with the `elbv2_unvalidated` client to reach the server.
"""

import re

import pytest
from botocore.exceptions import ClientError

from ballast_compat import REGION, error_code, http_status

VPC = "vpc-0a1b2c3d4e5f60718"


def tg_name(uid, suffix=""):
    name = f"c-{uid}{suffix}"
    assert len(name) <= 32
    return name


def create(elbv2, name, **kwargs):
    params = {"Name": name, "Protocol": "HTTP", "Port": 80, "VpcId": VPC}
    params.update(kwargs)
    out = elbv2.create_target_group(**params)
    assert len(out["TargetGroups"]) == 1
    return norm(out["TargetGroups"][0])


def norm(tg):
    """A target group as a comparable dict. LoadBalancerArns may be an empty
    list or absent (botocore gives no key for an absent list): both mean none."""
    return {**tg, "LoadBalancerArns": tg.get("LoadBalancerArns", [])}


def all_target_groups(elbv2, **kwargs):
    groups = []
    for page in elbv2.get_paginator("describe_target_groups").paginate(**kwargs):
        groups.extend(page["TargetGroups"])
    return groups


def all_names(elbv2):
    return [g["TargetGroupName"] for g in all_target_groups(elbv2)]


def describe_one(elbv2, arn):
    groups = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
    assert len(groups) == 1
    return norm(groups[0])


def attributes(elbv2, arn):
    out = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in out}


def unknown_arn(account_id, name="nope"):
    return f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:targetgroup/{name}/0123456789abcdef"


def assert_validation_error(exc_info):
    assert error_code(exc_info.value) == "ValidationError", exc_info.value.response
    assert http_status(exc_info.value) == 400


# --------------------------------------------------------------------------- create


def test_create_defaults(elbv2, uid, account_id):
    name = tg_name(uid)
    tg = create(elbv2, name)
    assert tg["TargetGroupName"] == name
    assert tg["Protocol"] == "HTTP"
    assert tg["Port"] == 80
    assert tg["VpcId"] == VPC
    assert tg["HealthCheckProtocol"] == "HTTP"
    assert tg["HealthCheckPort"] == "traffic-port"
    assert tg["HealthCheckPath"] == "/"
    assert tg["HealthCheckIntervalSeconds"] == 30
    assert tg["HealthCheckTimeoutSeconds"] == 5
    assert tg["HealthyThresholdCount"] == 5
    assert tg["UnhealthyThresholdCount"] == 2
    assert tg["Matcher"] == {"HttpCode": "200"}
    assert tg["HealthCheckEnabled"] is True
    assert tg["TargetType"] == "instance"
    assert tg["ProtocolVersion"] == "HTTP1"
    assert tg.get("LoadBalancerArns", []) == []
    assert tg.get("IpAddressType", "ipv4") == "ipv4"
    assert re.fullmatch(
        rf"arn:aws:elasticloadbalancing:{REGION}:{account_id}:targetgroup/{name}/[0-9a-f]{{16}}",
        tg["TargetGroupArn"],
    ), tg["TargetGroupArn"]

    # Describe shows exactly what create returned.
    assert describe_one(elbv2, tg["TargetGroupArn"]) == tg


def test_create_custom_settings(elbv2, uid):
    name = tg_name(uid)
    settings = dict(
        Port=8080,
        HealthCheckProtocol="HTTP",
        HealthCheckPort="9090",
        HealthCheckPath="/healthz",
        HealthCheckIntervalSeconds=10,
        HealthCheckTimeoutSeconds=3,
        HealthyThresholdCount=3,
        UnhealthyThresholdCount=4,
        Matcher={"HttpCode": "200-299"},
        TargetType="ip",
        ProtocolVersion="HTTP2",
        HealthCheckEnabled=True,
    )
    tg = create(elbv2, name, **settings)
    for key, value in settings.items():
        assert tg[key] == value, key
    assert describe_one(elbv2, tg["TargetGroupArn"]) == tg


@pytest.mark.parametrize("matcher", ["200,202", "200-299", "404", "499"])
def test_create_matcher_forms(elbv2, uid, matcher):
    tg = create(elbv2, tg_name(uid), Matcher={"HttpCode": matcher})
    assert tg["Matcher"]["HttpCode"] == matcher


def test_arns_are_distinct(elbv2, uid):
    a = create(elbv2, tg_name(uid, "a"))
    b = create(elbv2, tg_name(uid, "b"))
    assert a["TargetGroupArn"] != b["TargetGroupArn"]


# --------------------------------------------------------------------------- validation


RANGE_CASES = [
    pytest.param({"HealthCheckIntervalSeconds": 4}, id="interval-4"),
    pytest.param({"HealthCheckIntervalSeconds": 301}, id="interval-301"),
    pytest.param({"HealthCheckTimeoutSeconds": 1}, id="timeout-1"),
    pytest.param({"HealthCheckTimeoutSeconds": 121, "HealthCheckIntervalSeconds": 300}, id="timeout-121"),
    pytest.param({"HealthyThresholdCount": 1}, id="healthy-1"),
    pytest.param({"HealthyThresholdCount": 11}, id="healthy-11"),
    pytest.param({"UnhealthyThresholdCount": 1}, id="unhealthy-1"),
    pytest.param({"UnhealthyThresholdCount": 11}, id="unhealthy-11"),
    pytest.param({"HealthCheckPath": "/" + "a" * 1024}, id="path-1025"),
    pytest.param({"Matcher": {"HttpCode": "600"}}, id="matcher-600"),
    pytest.param({"Matcher": {"HttpCode": "199"}}, id="matcher-199"),
    pytest.param({"Port": 65536}, id="port-65536"),
    pytest.param({"Port": 0}, id="port-0"),
    # HTTP health checks: the timeout must be smaller than the interval.
    pytest.param({"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 10}, id="timeout-equals-interval"),
    pytest.param({"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 20}, id="timeout-over-interval"),
]


@pytest.mark.parametrize("bad", RANGE_CASES)
def test_create_out_of_range_is_validation_error(elbv2_unvalidated, elbv2, uid, bad):
    name = tg_name(uid)
    with pytest.raises(ClientError) as e:
        create(elbv2_unvalidated, name, **bad)
    assert_validation_error(e)
    assert name not in all_names(elbv2), "a rejected target group was stored"


@pytest.mark.parametrize(
    "make_name",
    [
        pytest.param(lambda uid: ("c" + uid + "x" * 32)[:33], id="33-chars"),
        pytest.param(lambda uid: "-c" + uid, id="leading-dash"),
        pytest.param(lambda uid: "c" + uid + "-", id="trailing-dash"),
        pytest.param(lambda uid: "c_" + uid, id="underscore"),
        pytest.param(lambda uid: "c." + uid, id="dot"),
    ],
)
def test_create_bad_name_is_validation_error(elbv2, uid, make_name):
    name = make_name(uid)
    with pytest.raises(ClientError) as e:
        create(elbv2, name)
    assert_validation_error(e)
    assert name not in all_names(elbv2)


def test_32_char_name_is_fine(elbv2, uid):
    name = ("c" + uid + "x" * 32)[:32]
    tg = create(elbv2, name)
    assert tg["TargetGroupName"] == name


def test_duplicate_name(elbv2, uid):
    name = tg_name(uid)
    first = create(elbv2, name)

    # Identical request: AWS returns the existing group.
    again = create(elbv2, name)
    assert again["TargetGroupArn"] == first["TargetGroupArn"]
    assert again == first

    # Same name, different settings.
    for different in ({"Port": 81}, {"HealthCheckPath": "/other"}):
        with pytest.raises(ClientError) as e:
            create(elbv2, name, **different)
        assert error_code(e.value) == "DuplicateTargetGroupName", different
        assert http_status(e.value) == 400

    assert all_names(elbv2).count(name) == 1
    assert describe_one(elbv2, first["TargetGroupArn"]) == first


# --------------------------------------------------------------------------- describe


def test_describe_by_names_and_arns(elbv2, uid):
    a = create(elbv2, tg_name(uid, "a"))
    b = create(elbv2, tg_name(uid, "b"))
    create(elbv2, tg_name(uid, "c"))

    by_name = elbv2.describe_target_groups(Names=[a["TargetGroupName"], b["TargetGroupName"]])["TargetGroups"]
    assert sorted(g["TargetGroupArn"] for g in by_name) == sorted([a["TargetGroupArn"], b["TargetGroupArn"]])

    by_arn = elbv2.describe_target_groups(TargetGroupArns=[b["TargetGroupArn"]])["TargetGroups"]
    assert [norm(g) for g in by_arn] == [b]


def test_describe_all_with_paging(elbv2, uid):
    mine = {create(elbv2, tg_name(uid, str(i)))["TargetGroupArn"] for i in range(3)}
    pages = list(elbv2.get_paginator("describe_target_groups").paginate(PaginationConfig={"PageSize": 1}))
    arns = [g["TargetGroupArn"] for page in pages for g in page["TargetGroups"]]
    assert all(len(page["TargetGroups"]) <= 1 for page in pages)
    assert len(arns) == len(set(arns)), "a target group was returned on two pages"
    assert mine <= set(arns)
    assert len(pages) >= 3
    assert not pages[-1].get("NextMarker")

    first = elbv2.describe_target_groups(PageSize=1)
    assert len(first["TargetGroups"]) == 1
    assert first.get("NextMarker")


def test_describe_by_names_with_paging(elbv2, uid):
    names = [tg_name(uid, str(i)) for i in range(3)]
    for n in names:
        create(elbv2, n)
    groups = all_target_groups(elbv2, Names=names, PaginationConfig={"PageSize": 1})
    assert sorted(g["TargetGroupName"] for g in groups) == sorted(names)


def test_describe_unknown_is_target_group_not_found(elbv2, uid, account_id):
    known = create(elbv2, tg_name(uid))
    for kwargs in (
        {"Names": [tg_name(uid, "zz")]},
        {"Names": [known["TargetGroupName"], tg_name(uid, "zz")]},
        {"TargetGroupArns": [unknown_arn(account_id)]},
    ):
        with pytest.raises(ClientError) as e:
            elbv2.describe_target_groups(**kwargs)
        assert error_code(e.value) == "TargetGroupNotFound", kwargs
        assert http_status(e.value) == 400


# --------------------------------------------------------------------------- modify


def test_modify_target_group(elbv2, uid):
    tg = create(elbv2, tg_name(uid))
    out = elbv2.modify_target_group(
        TargetGroupArn=tg["TargetGroupArn"], HealthCheckPath="/ping", HealthCheckIntervalSeconds=10
    )["TargetGroups"]
    assert len(out) == 1
    modified = norm(out[0])
    assert modified["HealthCheckPath"] == "/ping"
    assert modified["HealthCheckIntervalSeconds"] == 10
    expected = dict(tg, HealthCheckPath="/ping", HealthCheckIntervalSeconds=10)
    assert modified == expected
    assert describe_one(elbv2, tg["TargetGroupArn"]) == expected

    out = elbv2.modify_target_group(
        TargetGroupArn=tg["TargetGroupArn"],
        Matcher={"HttpCode": "200,204"},
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=10,
        HealthCheckTimeoutSeconds=4,
    )["TargetGroups"][0]
    assert out["Matcher"] == {"HttpCode": "200,204"}
    assert (out["HealthyThresholdCount"], out["UnhealthyThresholdCount"], out["HealthCheckTimeoutSeconds"]) == (2, 10, 4)
    assert out["HealthCheckPath"] == "/ping"


@pytest.mark.parametrize("bad", RANGE_CASES[:10])
def test_modify_invalid_is_validation_error(elbv2_unvalidated, elbv2, uid, bad):
    tg = create(elbv2, tg_name(uid))
    with pytest.raises(ClientError) as e:
        elbv2_unvalidated.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], **bad)
    assert_validation_error(e)
    assert describe_one(elbv2, tg["TargetGroupArn"]) == tg, "a rejected modify changed the group"


def test_modify_unknown_is_target_group_not_found(elbv2, account_id):
    with pytest.raises(ClientError) as e:
        elbv2.modify_target_group(TargetGroupArn=unknown_arn(account_id), HealthCheckPath="/x")
    assert error_code(e.value) == "TargetGroupNotFound"


# --------------------------------------------------------------------------- attributes

DEFAULT_ATTRIBUTES = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.duration_seconds": "86400",
    "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}


def test_default_attributes(elbv2, uid):
    tg = create(elbv2, tg_name(uid))
    attrs = attributes(elbv2, tg["TargetGroupArn"])
    missing = {k: v for k, v in DEFAULT_ATTRIBUTES.items() if attrs.get(k) != v}
    assert not missing, f"attributes differing from AWS defaults: {missing}; got {attrs}"


def test_modify_attributes(elbv2, uid):
    tg = create(elbv2, tg_name(uid))
    arn = tg["TargetGroupArn"]
    out = elbv2.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
            {"Key": "stickiness.enabled", "Value": "true"},
            {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"},
        ],
    )
    returned = {a["Key"]: a["Value"] for a in out["Attributes"]}
    assert returned["deregistration_delay.timeout_seconds"] == "30"
    assert returned["stickiness.enabled"] == "true"
    assert returned["load_balancing.algorithm.type"] == "least_outstanding_requests"

    now = attributes(elbv2, arn)
    assert now["deregistration_delay.timeout_seconds"] == "30"
    assert now["stickiness.enabled"] == "true"
    assert now["load_balancing.algorithm.type"] == "least_outstanding_requests"
    # Untouched attributes keep their defaults.
    assert now["stickiness.type"] == "lb_cookie"
    assert now["slow_start.duration_seconds"] == "0"

    out = elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}]
    )
    assert attributes(elbv2, arn)["deregistration_delay.timeout_seconds"] == "0"


@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param([{"Key": "deregistration_delay.timeout_seconds", "Value": "3601"}], id="delay-3601"),
        pytest.param([{"Key": "deregistration_delay.timeout_seconds", "Value": "-1"}], id="delay-negative"),
        pytest.param([{"Key": "deregistration_delay.timeout_seconds", "Value": "abc"}], id="delay-not-a-number"),
        pytest.param([{"Key": "no.such.attribute", "Value": "1"}], id="unknown-key"),
        pytest.param([{"Key": "stickiness.type", "Value": "bogus"}], id="bad-stickiness-type"),
        pytest.param([{"Key": "stickiness.enabled", "Value": "maybe"}], id="bad-boolean"),
        pytest.param([{"Key": "slow_start.duration_seconds", "Value": "10"}], id="slow-start-10"),
        pytest.param([{"Key": "stickiness.lb_cookie.duration_seconds", "Value": "604801"}], id="cookie-too-long"),
        pytest.param(
            [
                {"Key": "deregistration_delay.timeout_seconds", "Value": "60"},
                {"Key": "no.such.attribute", "Value": "1"},
            ],
            id="valid-plus-invalid",
        ),
    ],
)
def test_modify_attributes_invalid_is_validation_error(elbv2, uid, attrs):
    tg = create(elbv2, tg_name(uid))
    arn = tg["TargetGroupArn"]
    before = attributes(elbv2, arn)
    with pytest.raises(ClientError) as e:
        elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=attrs)
    assert_validation_error(e)
    assert attributes(elbv2, arn) == before, "a rejected attribute change was applied"


def test_attributes_unknown_group(elbv2, account_id):
    with pytest.raises(ClientError) as e:
        elbv2.describe_target_group_attributes(TargetGroupArn=unknown_arn(account_id))
    assert error_code(e.value) == "TargetGroupNotFound"
    with pytest.raises(ClientError) as e:
        elbv2.modify_target_group_attributes(
            TargetGroupArn=unknown_arn(account_id),
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
        )
    assert error_code(e.value) == "TargetGroupNotFound"


# --------------------------------------------------------------------------- delete


def test_delete_target_group(elbv2, uid, account_id):
    tg = create(elbv2, tg_name(uid))
    arn = tg["TargetGroupArn"]
    out = elbv2.delete_target_group(TargetGroupArn=arn)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as e:
        elbv2.describe_target_groups(TargetGroupArns=[arn])
    assert error_code(e.value) == "TargetGroupNotFound"
    with pytest.raises(ClientError) as e:
        elbv2.describe_target_groups(Names=[tg["TargetGroupName"]])
    assert error_code(e.value) == "TargetGroupNotFound"
    assert tg["TargetGroupName"] not in all_names(elbv2)

    # Deleting again, or deleting something that never existed, succeeds.
    elbv2.delete_target_group(TargetGroupArn=arn)
    elbv2.delete_target_group(TargetGroupArn=unknown_arn(account_id))

    # The name is free again, and the new group is a new resource.
    again = create(elbv2, tg["TargetGroupName"])
    assert again["TargetGroupArn"] != arn


# --------------------------------------------------------------------------- tags


def tags_of(elbv2, arn):
    out = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    assert len(out) == 1
    assert out[0]["ResourceArn"] == arn
    return {t["Key"]: t.get("Value") for t in out[0].get("Tags", [])}


def test_tags(elbv2, uid):
    tg = create(elbv2, tg_name(uid), Tags=[{"Key": "owner", "Value": "compat"}])
    arn = tg["TargetGroupArn"]
    assert tags_of(elbv2, arn) == {"owner": "compat"}

    elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "ops"}])
    assert tags_of(elbv2, arn) == {"owner": "compat", "env": "dev", "team": "ops"}

    # Adding an existing key replaces its value.
    elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "env", "Value": "prod"}])
    assert tags_of(elbv2, arn) == {"owner": "compat", "env": "prod", "team": "ops"}

    elbv2.remove_tags(ResourceArns=[arn], TagKeys=["team", "owner"])
    assert tags_of(elbv2, arn) == {"env": "prod"}


def test_describe_tags_several_groups(elbv2, uid):
    a = create(elbv2, tg_name(uid, "a"), Tags=[{"Key": "k", "Value": "a"}])
    b = create(elbv2, tg_name(uid, "b"))
    out = elbv2.describe_tags(ResourceArns=[a["TargetGroupArn"], b["TargetGroupArn"]])["TagDescriptions"]
    by_arn = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d.get("Tags", [])} for d in out}
    assert by_arn == {a["TargetGroupArn"]: {"k": "a"}, b["TargetGroupArn"]: {}}


def test_tags_unknown_group(elbv2, account_id):
    arn = unknown_arn(account_id)
    with pytest.raises(ClientError) as e:
        elbv2.describe_tags(ResourceArns=[arn])
    assert error_code(e.value) == "TargetGroupNotFound"
    with pytest.raises(ClientError) as e:
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(e.value) == "TargetGroupNotFound"
    with pytest.raises(ClientError) as e:
        elbv2.remove_tags(ResourceArns=[arn], TagKeys=["k"])
    assert error_code(e.value) == "TargetGroupNotFound"


# --------------------------------------------------------------------------- AWS CLI


def test_cli_create_and_describe(aws, elbv2, uid, account_id):
    name = tg_name(uid)
    rc, out, err = aws(
        "elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80", "--vpc-id", VPC
    )
    assert rc == 0, err
    tg = out["TargetGroups"][0]
    assert tg["TargetGroupName"] == name
    assert tg["HealthCheckPath"] == "/"
    assert tg["Matcher"] == {"HttpCode": "200"}
    assert tg["TargetGroupArn"].startswith(f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:targetgroup/{name}/")

    rc, out, err = aws("elbv2", "describe-target-groups", "--names", name)
    assert rc == 0, err
    assert [g["TargetGroupArn"] for g in out["TargetGroups"]] == [tg["TargetGroupArn"]]

    create(elbv2, tg_name(uid, "b"))  # at least two groups exist

    # Without filters the CLI pages through everything.
    rc, out, err = aws("elbv2", "describe-target-groups")
    assert rc == 0, err
    arns = [g["TargetGroupArn"] for g in out["TargetGroups"]]
    assert tg["TargetGroupArn"] in arns
    assert len(arns) == len(set(arns))
    assert set(arns) == {g["TargetGroupArn"] for g in all_target_groups(elbv2)}

    # ELBv2 models its own PageSize/Marker, so `--page-size` turns the CLI's
    # auto-pagination off: the user pages by hand with --marker.
    rc, first, err = aws("elbv2", "describe-target-groups", "--page-size", "1")
    assert rc == 0, err
    assert len(first["TargetGroups"]) == 1
    assert first["NextMarker"]
    rc, second, err = aws("elbv2", "describe-target-groups", "--page-size", "1", "--marker", first["NextMarker"])
    assert rc == 0, err
    assert len(second["TargetGroups"]) == 1
    assert second["TargetGroups"][0]["TargetGroupArn"] != first["TargetGroups"][0]["TargetGroupArn"]

    rc, out, err = aws("elbv2", "describe-target-groups", "--names", tg_name(uid, "zz"))
    assert rc != 0
    assert "TargetGroupNotFound" in err

    rc, out, err = aws(
        "elbv2", "create-target-group", "--name", name + "_", "--protocol", "HTTP", "--port", "80", "--vpc-id", VPC
    )
    assert rc != 0
    assert "ValidationError" in err


# --------------------------------------------------------------------------- more validation


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"Port": None}, id="no-port"),
        pytest.param({"VpcId": None}, id="no-vpc"),
        pytest.param({"Protocol": None}, id="no-protocol"),
        pytest.param({"Protocol": "FTP"}, id="bad-protocol"),
        pytest.param({"TargetType": "vm"}, id="bad-target-type"),
        pytest.param({"HealthCheckPort": "70000"}, id="hc-port-70000"),
        pytest.param({"HealthCheckPort": "abc"}, id="hc-port-abc"),
        pytest.param({"Matcher": {"HttpCode": "abc"}}, id="matcher-garbage"),
        pytest.param({"HealthCheckEnabled": False}, id="hc-disabled-instance"),
    ],
)
def test_create_invalid_is_validation_error(elbv2_unvalidated, elbv2, uid, overrides):
    name = tg_name(uid)
    params = {"Name": name, "Protocol": "HTTP", "Port": 80, "VpcId": VPC}
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ClientError) as e:
        elbv2_unvalidated.create_target_group(**params)
    assert_validation_error(e)
    assert name not in all_names(elbv2)


def test_describe_argument_errors(elbv2_unvalidated, elbv2, uid):
    tg = create(elbv2, tg_name(uid))
    for kwargs in (
        {"Names": [tg["TargetGroupName"]], "TargetGroupArns": [tg["TargetGroupArn"]]},
        {"PageSize": 0},
        {"PageSize": 401},
        {"TargetGroupArns": ["not-an-arn"]},
    ):
        with pytest.raises(ClientError) as e:
            elbv2_unvalidated.describe_target_groups(**kwargs)
        assert_validation_error(e)


def test_modify_timeout_must_stay_below_interval(elbv2, uid):
    tg = create(elbv2, tg_name(uid))  # interval 30
    with pytest.raises(ClientError) as e:
        elbv2.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckTimeoutSeconds=30)
    assert_validation_error(e)
    assert describe_one(elbv2, tg["TargetGroupArn"]) == tg


def test_app_cookie_stickiness_needs_cookie_name(elbv2, uid):
    tg = create(elbv2, tg_name(uid))
    arn = tg["TargetGroupArn"]
    before = attributes(elbv2, arn)
    with pytest.raises(ClientError) as e:
        elbv2.modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[
                {"Key": "stickiness.enabled", "Value": "true"},
                {"Key": "stickiness.type", "Value": "app_cookie"},
            ],
        )
    assert error_code(e.value) == "InvalidConfigurationRequest", e.value.response["Error"]
    assert http_status(e.value) == 400
    assert attributes(elbv2, arn) == before

    out = elbv2.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[
            {"Key": "stickiness.enabled", "Value": "true"},
            {"Key": "stickiness.type", "Value": "app_cookie"},
            {"Key": "stickiness.app_cookie.cookie_name", "Value": "SESSION"},
        ],
    )
    got = {a["Key"]: a["Value"] for a in out["Attributes"]}
    assert got["stickiness.type"] == "app_cookie"
    assert got["stickiness.app_cookie.cookie_name"] == "SESSION"


def test_tag_errors(elbv2, uid):
    tg = create(elbv2, tg_name(uid))
    arn = tg["TargetGroupArn"]
    with pytest.raises(ClientError) as e:
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    assert error_code(e.value) == "DuplicateTagKeys"
    with pytest.raises(ClientError) as e:
        elbv2.add_tags(ResourceArns=[arn], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert error_code(e.value) == "TooManyTags"
    assert tags_of(elbv2, arn) == {}
    # Removing a key that is not there is fine.
    elbv2.remove_tags(ResourceArns=[arn], TagKeys=["absent"])


def test_concurrent_identical_creates_make_one_group(endpoint, elbv2, uid):
    from concurrent.futures import ThreadPoolExecutor

    from ballast_compat import make_client

    name = tg_name(uid)

    def creator(_):
        client = make_client("elbv2", endpoint)
        return client.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=VPC)["TargetGroups"][0][
            "TargetGroupArn"
        ]

    with ThreadPoolExecutor(max_workers=6) as pool:
        arns = set(pool.map(creator, range(6)))
    assert len(arns) == 1
    assert all_names(elbv2).count(name) == 1
