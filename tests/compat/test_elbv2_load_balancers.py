"""ELBv2 load balancers, listeners, rules, target registration and health
through boto3 and the AWS CLI (awsQuery).

Names, defaults and error codes follow the botocore model and AWS's
documentation; Ballast's own choices (zones and default subnets, loopback
targets, DNS names) are in docs/behaviour.md. Health states that need the
data plane to check real backends (healthy, unhealthy) are covered by the
end-to-end tests, not here.
"""

import itertools
import json
import os
import re

import pytest
from botocore.exceptions import ClientError

from ballast_compat import REGION, error_code, http_status

SUBNETS = ["subnet-0ba11a5700000000a", "subnet-0ba11a5700000000b", "subnet-0ba11a5700000000c"]
DEFAULT_VPC = "vpc-0ba11a57000000000"
DEFAULT_SG = "sg-0ba11a57000000000"
NOT_IN_USE = "Target group is not configured to receive traffic from the load balancer"
NOT_REGISTERED = "Target is not registered to the target group"
FAST_WAITER = {"Delay": 1, "MaxAttempts": 10}

_ports = itertools.count(30000 + (os.getpid() % 1000) * 16)


def next_port():
    """A listener port; each load balancer has its own address, so these
    only need to differ within one load balancer."""
    return next(_ports)


def name(uid, suffix=""):
    n = f"c-{uid}{suffix}"
    assert len(n) <= 32
    return n


def create_lb(elbv2, lb_name, **kwargs):
    params = {"Name": lb_name, "Subnets": SUBNETS[:2]}
    params.update(kwargs)
    out = elbv2.create_load_balancer(**params)
    assert len(out["LoadBalancers"]) == 1
    return out["LoadBalancers"][0]


def create_tg(elbv2, tg_name, **kwargs):
    params = {"Name": tg_name, "Protocol": "HTTP", "Port": 8080, "VpcId": DEFAULT_VPC, "TargetType": "ip"}
    params.update(kwargs)
    return elbv2.create_target_group(**params)["TargetGroups"][0]["TargetGroupArn"]


def forward(tg_arn):
    return [{"Type": "forward", "TargetGroupArn": tg_arn}]


def fixed(status="404"):
    return [
        {
            "Type": "fixed-response",
            "FixedResponseConfig": {"StatusCode": status, "ContentType": "text/plain", "MessageBody": "nothing"},
        }
    ]


def create_listener(elbv2, lb_arn, actions, port=None):
    out = elbv2.create_listener(
        LoadBalancerArn=lb_arn, Protocol="HTTP", Port=port or next_port(), DefaultActions=actions
    )
    return out["Listeners"][0]


def path(*patterns):
    return [{"Field": "path-pattern", "Values": list(patterns)}]


def health(elbv2, tg_arn, targets=None):
    kwargs = {"TargetGroupArn": tg_arn}
    if targets is not None:
        kwargs["Targets"] = targets
    return elbv2.describe_target_health(**kwargs)["TargetHealthDescriptions"]


def raises(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(*args, **kwargs)
    assert error_code(e.value) == code, e.value.response["Error"]
    assert http_status(e.value) == 400
    return e.value


def all_lbs(elbv2, **kwargs):
    out = []
    for page in elbv2.get_paginator("describe_load_balancers").paginate(**kwargs):
        out.extend(page["LoadBalancers"])
    return out


# --------------------------------------------------------------------------- load balancers


def test_create_load_balancer(elbv2, uid, account_id):
    n = name(uid)
    lb = create_lb(elbv2, n, Subnets=[SUBNETS[0], SUBNETS[2]], Tags=[{"Key": "env", "Value": "compat"}])
    assert lb["State"] == {"Code": "provisioning"}
    assert re.fullmatch(
        rf"arn:aws:elasticloadbalancing:{REGION}:{account_id}:loadbalancer/app/{n}/[0-9a-f]{{16}}",
        lb["LoadBalancerArn"],
    ), lb["LoadBalancerArn"]
    assert re.fullmatch(rf"{n}-[0-9]{{10}}\.{REGION}\.elb\.ballast\.internal", lb["DNSName"]), lb["DNSName"]
    assert lb["LoadBalancerName"] == n
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert lb["Type"] == "application"
    assert lb["Scheme"] == "internet-facing"
    assert lb["IpAddressType"] == "ipv4"
    assert lb["VpcId"] == DEFAULT_VPC
    assert lb["SecurityGroups"] == [DEFAULT_SG]
    assert [(z["ZoneName"], z["SubnetId"]) for z in lb["AvailabilityZones"]] == [
        (f"{REGION}a", SUBNETS[0]),
        (f"{REGION}c", SUBNETS[2]),
    ]
    assert lb["CreatedTime"].tzinfo is not None

    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig=FAST_WAITER)
    elbv2.get_waiter("load_balancer_exists").wait(Names=[n], WaiterConfig=FAST_WAITER)
    described = elbv2.describe_load_balancers(Names=[n])["LoadBalancers"]
    assert len(described) == 1
    assert described[0]["State"] == {"Code": "active"}
    assert {k: v for k, v in described[0].items() if k != "State"} == {k: v for k, v in lb.items() if k != "State"}
    tags = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "env", "Value": "compat"}]


def test_subnet_mappings_scheme_and_security_groups(elbv2, uid):
    out = elbv2.create_load_balancer(
        Name=name(uid),
        SubnetMappings=[{"SubnetId": "subnet-0123456789abcdef0"}, {"SubnetId": "subnet-0fedcba9876543210"}],
        Scheme="internal",
        SecurityGroups=["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
        IpAddressType="dualstack",
    )
    lb = out["LoadBalancers"][0]
    # Unknown subnets are placed by position: first in zone a, second in b.
    assert [(z["ZoneName"], z["SubnetId"]) for z in lb["AvailabilityZones"]] == [
        (f"{REGION}a", "subnet-0123456789abcdef0"),
        (f"{REGION}b", "subnet-0fedcba9876543210"),
    ]
    assert lb["Scheme"] == "internal"
    assert lb["DNSName"].startswith(f"internal-{name(uid)}-")
    assert lb["SecurityGroups"] == ["sg-0123456789abcdef0", "sg-0fedcba9876543210"]
    assert lb["IpAddressType"] == "dualstack"


def test_create_is_idempotent_then_duplicate(elbv2, uid):
    n = name(uid)
    first = create_lb(elbv2, n)
    again = create_lb(elbv2, n)
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert again["DNSName"] == first["DNSName"]
    raises("DuplicateLoadBalancerName", create_lb, elbv2, n, Subnets=[SUBNETS[0], SUBNETS[2]])
    raises("DuplicateLoadBalancerName", create_lb, elbv2, n, Scheme="internal")
    assert [lb["LoadBalancerName"] for lb in all_lbs(elbv2)].count(n) == 1


@pytest.mark.parametrize(
    "overrides,code",
    [
        pytest.param({"Name": "-lead"}, "ValidationError", id="leading-dash"),
        pytest.param({"Name": "internal-x"}, "ValidationError", id="internal-prefix"),
        pytest.param({"Name": "a_b"}, "ValidationError", id="underscore"),
        pytest.param({"Name": "x" * 33}, "ValidationError", id="33-chars"),
        pytest.param({"Subnets": [SUBNETS[0]]}, "ValidationError", id="one-subnet"),
        pytest.param({"Subnets": ["subnet-0123456789abcdef0", SUBNETS[0]]}, "InvalidConfigurationRequest", id="same-zone"),
        pytest.param({"Subnets": [SUBNETS[0], "sn-1"]}, "InvalidSubnet", id="not-a-subnet"),
        pytest.param({"Type": "network"}, "InvalidConfigurationRequest", id="network"),
        pytest.param({"Type": "gateway"}, "InvalidConfigurationRequest", id="gateway"),
        pytest.param({"SecurityGroups": ["default"]}, "InvalidSecurityGroup", id="bad-sg"),
        pytest.param({"Scheme": "public"}, "ValidationError", id="bad-scheme"),
        pytest.param({"IpAddressType": "ipv5"}, "ValidationError", id="bad-ip-type"),
        pytest.param(
            {"SubnetMappings": [{"SubnetId": SUBNETS[0]}, {"SubnetId": SUBNETS[1]}]},
            "ValidationError",
            id="subnets-and-mappings",
        ),
    ],
)
def test_create_errors(elbv2_unvalidated, elbv2, uid, overrides, code):
    params = {"Name": name(uid), "Subnets": SUBNETS[:2]}
    params.update(overrides)
    raises(code, elbv2_unvalidated.create_load_balancer, **params)
    assert params["Name"] not in [lb["LoadBalancerName"] for lb in all_lbs(elbv2)]


def test_describe_load_balancers(elbv2_unvalidated, elbv2, uid, account_id):
    lbs = [create_lb(elbv2, name(uid, str(i))) for i in range(3)]
    arns = [lb["LoadBalancerArn"] for lb in lbs]
    by_arn = elbv2.describe_load_balancers(LoadBalancerArns=arns[1:])["LoadBalancers"]
    assert [lb["LoadBalancerArn"] for lb in by_arn] == arns[1:]
    by_name = elbv2.describe_load_balancers(Names=[name(uid, "2"), name(uid, "0")])["LoadBalancers"]
    assert [lb["LoadBalancerName"] for lb in by_name] == [name(uid, "0"), name(uid, "2")]

    pages = list(elbv2.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 1}))
    seen = [lb["LoadBalancerArn"] for page in pages for lb in page["LoadBalancers"]]
    assert all(len(page["LoadBalancers"]) <= 1 for page in pages)
    assert len(seen) == len(set(seen))
    assert set(arns) <= set(seen)
    assert not pages[-1].get("NextMarker")

    raises("LoadBalancerNotFound", elbv2.describe_load_balancers, Names=[name(uid, "0"), name(uid, "zz")])
    unknown = f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:loadbalancer/app/nope/0123456789abcdef"
    raises("LoadBalancerNotFound", elbv2.describe_load_balancers, LoadBalancerArns=[unknown])
    for kwargs in ({"PageSize": 0}, {"PageSize": 401}, {"Names": [name(uid, "0")], "LoadBalancerArns": arns[:1]}):
        raises("ValidationError", elbv2_unvalidated.describe_load_balancers, **kwargs)


def test_load_balancer_attributes(elbv2, uid):
    arn = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "60"
    assert attrs["deletion_protection.enabled"] == "false"
    assert attrs["routing.http2.enabled"] == "true"
    assert attrs["routing.http.xff_header_processing.mode"] == "append"

    out = elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "30"},
            {"Key": "routing.http.xff_header_processing.mode", "Value": "preserve"},
        ],
    )
    changed = {a["Key"]: a["Value"] for a in out["Attributes"]}
    assert changed["idle_timeout.timeout_seconds"] == "30"
    assert changed["routing.http.xff_header_processing.mode"] == "preserve"

    for bad in (
        [{"Key": "idle_timeout.timeout_seconds", "Value": "0"}],
        [{"Key": "idle_timeout.timeout_seconds", "Value": "4001"}],
        [{"Key": "routing.http.xff_header_processing.mode", "Value": "rewrite"}],
        [{"Key": "no.such.key", "Value": "1"}],
        [{"Key": "idle_timeout.timeout_seconds", "Value": "90"}, {"Key": "deletion_protection.enabled", "Value": "yes"}],
    ):
        raises("ValidationError", elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn, Attributes=bad)
    after = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert after["idle_timeout.timeout_seconds"] == "30", "a rejected change was applied"


def test_delete_load_balancer(elbv2, uid, account_id):
    lb = create_lb(elbv2, name(uid))
    arn = lb["LoadBalancerArn"]
    tg = create_tg(elbv2, name(uid, "t"))
    listener = create_listener(elbv2, arn, forward(tg))
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}]
    )
    raises("OperationNotPermitted", elbv2.delete_load_balancer, LoadBalancerArn=arn)
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    elbv2.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[arn], WaiterConfig=FAST_WAITER)
    raises("LoadBalancerNotFound", elbv2.describe_load_balancers, LoadBalancerArns=[arn])
    # Its listeners went with it, and the target group is free.
    raises("ListenerNotFound", elbv2.describe_listeners, ListenerArns=[listener["ListenerArn"]])
    assert elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0].get("LoadBalancerArns", []) == []
    # Deleting again, or something that never existed, succeeds.
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    elbv2.delete_load_balancer(
        LoadBalancerArn=f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:loadbalancer/app/nope/0123456789abcdef"
    )
    raises("ValidationError", elbv2.delete_load_balancer, LoadBalancerArn="not-an-arn")


# --------------------------------------------------------------------------- listeners


def test_listener_forward(elbv2, uid):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    tg = create_tg(elbv2, name(uid, "t"))
    port = next_port()
    listener = create_listener(elbv2, lb, forward(tg), port=port)
    lb_path = lb.split(":loadbalancer/")[1]
    assert re.fullmatch(rf".*:listener/{lb_path}/[0-9a-f]{{16}}", listener["ListenerArn"]), listener["ListenerArn"]
    assert listener["LoadBalancerArn"] == lb
    assert listener["Port"] == port
    assert listener["Protocol"] == "HTTP"
    assert listener["DefaultActions"] == [
        {
            "Type": "forward",
            "TargetGroupArn": tg,
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            },
        }
    ]
    # Identical settings: the same listener. Other settings on the port: duplicate.
    assert create_listener(elbv2, lb, forward(tg), port=port)["ListenerArn"] == listener["ListenerArn"]
    raises("DuplicateListener", create_listener, elbv2, lb, fixed(), port=port)

    described = elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]
    assert described == [listener]
    group = elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
    assert group["LoadBalancerArns"] == [lb]
    by_lb = elbv2.describe_target_groups(LoadBalancerArn=lb)["TargetGroups"]
    assert [g["TargetGroupArn"] for g in by_lb] == [tg]
    raises("ResourceInUse", elbv2.delete_target_group, TargetGroupArn=tg)


def test_listener_action_kinds(elbv2, uid):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    tg1 = create_tg(elbv2, name(uid, "a"))
    tg2 = create_tg(elbv2, name(uid, "b"))
    weighted = create_listener(
        elbv2,
        lb,
        [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": tg1, "Weight": 80}, {"TargetGroupArn": tg2, "Weight": 20}],
                    "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300},
                },
            }
        ],
    )
    action = weighted["DefaultActions"][0]
    assert "TargetGroupArn" not in action
    assert action["ForwardConfig"] == {
        "TargetGroups": [{"TargetGroupArn": tg1, "Weight": 80}, {"TargetGroupArn": tg2, "Weight": 20}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300},
    }
    fixed_listener = create_listener(elbv2, lb, fixed("503"))
    assert fixed_listener["DefaultActions"] == [
        {
            "Type": "fixed-response",
            "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "nothing"},
        }
    ]
    redirect = create_listener(
        elbv2, lb, [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    )
    assert redirect["DefaultActions"][0]["RedirectConfig"] == {
        "Protocol": "HTTPS",
        "Port": "443",
        "Host": "#{host}",
        "Path": "/#{path}",
        "Query": "#{query}",
        "StatusCode": "HTTP_301",
    }
    pages = list(elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=lb, PaginationConfig={"PageSize": 1}))
    ports = [l["Port"] for page in pages for l in page["Listeners"]]
    assert len(ports) == 3
    assert ports == sorted(ports)
    assert sorted(elbv2.describe_target_groups(LoadBalancerArn=lb)["TargetGroups"], key=lambda g: g["TargetGroupName"])[0][
        "LoadBalancerArns"
    ] == [lb]


def test_listener_errors(elbv2_unvalidated, elbv2, uid, account_id):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    other = create_lb(elbv2, name(uid, "o"))["LoadBalancerArn"]
    tg = create_tg(elbv2, name(uid, "t"))
    tcp = elbv2.create_target_group(Name=name(uid, "p"), Protocol="TCP", Port=80, VpcId=DEFAULT_VPC)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    missing_tg = f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:targetgroup/nope/0123456789abcdef"
    missing_lb = f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:loadbalancer/app/nope/0123456789abcdef"

    def attempt(code, **overrides):
        params = {"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": next_port(), "DefaultActions": forward(tg)}
        params.update(overrides)
        raises(code, elbv2_unvalidated.create_listener, **params)

    attempt("UnsupportedProtocol", Protocol="HTTPS", Certificates=[{"CertificateArn": "arn:aws:acm:x"}])
    attempt("UnsupportedProtocol", Protocol="TCP")
    attempt("ValidationError", Protocol="FTP")
    attempt("ValidationError", Port=0)
    attempt("ValidationError", Port=65536)
    attempt("TargetGroupNotFound", DefaultActions=forward(missing_tg))
    attempt("IncompatibleProtocols", DefaultActions=forward(tcp))
    attempt("LoadBalancerNotFound", LoadBalancerArn=missing_lb)
    attempt("ValidationError", DefaultActions=fixed("301"))
    attempt("ValidationError", DefaultActions=[{"Type": "forward"}])
    attempt("ValidationError", DefaultActions=[{"Type": "teleport"}])
    attempt("ValidationError", DefaultActions=[])
    attempt("InvalidLoadBalancerAction", DefaultActions=forward(tg) + fixed())
    attempt("InvalidLoadBalancerAction", DefaultActions=[{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_302"}}])
    attempt("InvalidLoadBalancerAction", DefaultActions=[{"Type": "authenticate-cognito"}])
    assert elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"] == [], "a rejected listener was stored"

    create_listener(elbv2, lb, forward(tg))
    attempt("TargetGroupAssociationLimit", LoadBalancerArn=other)

    missing_listener = lb.replace(":loadbalancer/", ":listener/") + "/0123456789abcdef"
    raises("ListenerNotFound", elbv2.describe_listeners, ListenerArns=[missing_listener])
    raises("ListenerNotFound", elbv2.delete_listener, ListenerArn=missing_listener)
    raises("ListenerNotFound", elbv2.modify_listener, ListenerArn=missing_listener, Port=81)
    raises("LoadBalancerNotFound", elbv2.describe_listeners, LoadBalancerArn=missing_lb)
    raises("ValidationError", elbv2.describe_listeners)


def test_modify_and_delete_listener(elbv2, uid):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    tg = create_tg(elbv2, name(uid, "t"))
    first = create_listener(elbv2, lb, fixed())
    second = create_listener(elbv2, lb, fixed())
    new_port = next_port()
    out = elbv2.modify_listener(ListenerArn=first["ListenerArn"], Port=new_port, DefaultActions=forward(tg))["Listeners"][0]
    assert out["Port"] == new_port
    assert out["DefaultActions"][0]["TargetGroupArn"] == tg
    assert elbv2.describe_listeners(ListenerArns=[first["ListenerArn"]])["Listeners"] == [out]
    raises("DuplicateListener", elbv2.modify_listener, ListenerArn=first["ListenerArn"], Port=second["Port"])
    raises("UnsupportedProtocol", elbv2.modify_listener, ListenerArn=first["ListenerArn"], Protocol="HTTPS")
    assert elbv2.describe_listeners(ListenerArns=[first["ListenerArn"]])["Listeners"] == [out]

    elbv2.delete_listener(ListenerArn=first["ListenerArn"])
    raises("ListenerNotFound", elbv2.describe_listeners, ListenerArns=[first["ListenerArn"]])
    assert elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0].get("LoadBalancerArns", []) == []
    elbv2.delete_target_group(TargetGroupArn=tg)


# --------------------------------------------------------------------------- rules


def test_rules(elbv2, uid):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    tg = create_tg(elbv2, name(uid, "t"))
    listener = create_listener(elbv2, lb, fixed())["ListenerArn"]
    api = elbv2.create_rule(ListenerArn=listener, Priority=20, Conditions=path("/api/*"), Actions=forward(tg))["Rules"][0]
    assert api["Priority"] == "20"
    assert api["IsDefault"] is False
    assert re.fullmatch(
        rf".*:listener-rule/{listener.split(':listener/')[1]}/[0-9a-f]{{16}}", api["RuleArn"]
    ), api["RuleArn"]
    assert api["Conditions"] == [
        {"Field": "path-pattern", "Values": ["/api/*"], "PathPatternConfig": {"Values": ["/api/*"]}}
    ]
    conditions = [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.test"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["yes"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "HEAD"]}},
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}, {"Value": "beta"}]}},
    ]
    canary = elbv2.create_rule(ListenerArn=listener, Priority=10, Conditions=conditions, Actions=fixed("200"))["Rules"][0]
    assert canary["Conditions"] == [
        {"Field": "host-header", "Values": ["*.example.test"], "HostHeaderConfig": {"Values": ["*.example.test"]}},
        conditions[1],
        conditions[2],
        conditions[3],
    ]

    rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"]
    default = rules[2]
    assert default["IsDefault"] is True
    assert default["Conditions"] == []
    assert default["Actions"] == fixed()
    assert rules[1] == api

    pages = list(elbv2.get_paginator("describe_rules").paginate(ListenerArn=listener, PaginationConfig={"PageSize": 1}))
    assert [r["Priority"] for page in pages for r in page["Rules"]] == ["10", "20", "default"]
    by_arn = elbv2.describe_rules(RuleArns=[default["RuleArn"], api["RuleArn"]])["Rules"]
    assert [r["Priority"] for r in by_arn] == ["20", "default"]
    assert elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"] == [lb]

    modified = elbv2.modify_rule(RuleArn=api["RuleArn"], Conditions=path("/v2/*"))["Rules"][0]
    assert modified["Conditions"][0]["Values"] == ["/v2/*"]
    assert modified["Actions"] == api["Actions"]
    assert modified["Priority"] == "20"

    swapped = elbv2.set_rule_priorities(
        RulePriorities=[{"RuleArn": api["RuleArn"], "Priority": 10}, {"RuleArn": canary["RuleArn"], "Priority": 20}]
    )["Rules"]
    assert {r["RuleArn"]: r["Priority"] for r in swapped} == {api["RuleArn"]: "10", canary["RuleArn"]: "20"}
    rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]
    assert [r["RuleArn"] for r in rules] == [api["RuleArn"], canary["RuleArn"], default["RuleArn"]]

    elbv2.delete_rule(RuleArn=canary["RuleArn"])
    assert [r["Priority"] for r in elbv2.describe_rules(ListenerArn=listener)["Rules"]] == ["10", "default"]
    raises("RuleNotFound", elbv2.delete_rule, RuleArn=canary["RuleArn"])


def test_rule_errors(elbv2_unvalidated, elbv2, uid):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    listener = create_listener(elbv2, lb, fixed())["ListenerArn"]
    a = elbv2.create_rule(ListenerArn=listener, Priority=1, Conditions=path("/a"), Actions=fixed("200"))["Rules"][0]
    b = elbv2.create_rule(ListenerArn=listener, Priority=2, Conditions=path("/b"), Actions=fixed("200"))["Rules"][0]
    default = elbv2.describe_rules(ListenerArn=listener)["Rules"][-1]

    def attempt(code, **overrides):
        params = {"ListenerArn": listener, "Priority": 3, "Conditions": path("/c"), "Actions": fixed("200")}
        params.update(overrides)
        raises(code, elbv2_unvalidated.create_rule, **params)

    attempt("PriorityInUse", Priority=2)
    attempt("ValidationError", Priority=0)
    attempt("ValidationError", Priority=50001)
    attempt("ValidationError", Conditions=[])
    attempt("ValidationError", Conditions=[{"Field": "cookie", "Values": ["x"]}])
    attempt("ValidationError", Conditions=path("/a") + path("/b"))
    attempt("ValidationError", Conditions=[{"Field": "path-pattern", "Values": [f"/{i}" for i in range(6)]}])
    attempt("ValidationError", Conditions=[{"Field": "http-request-method", "Values": ["GET"]}])
    attempt("ValidationError", Conditions=[{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["get"]}}])
    attempt("ValidationError", Conditions=[{"Field": "http-header", "HttpHeaderConfig": {"Values": ["x"]}}])
    attempt(
        "InvalidConfigurationRequest",
        Conditions=[{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
    )
    attempt("ListenerNotFound", ListenerArn=listener + "0")
    rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]
    assert [r["Priority"] for r in rules] == ["1", "2", "default"], "a rejected rule was stored"

    raises("OperationNotPermitted", elbv2.delete_rule, RuleArn=default["RuleArn"])
    raises("OperationNotPermitted", elbv2.modify_rule, RuleArn=default["RuleArn"], Actions=fixed("200"))
    raises(
        "OperationNotPermitted",
        elbv2.set_rule_priorities,
        RulePriorities=[{"RuleArn": default["RuleArn"], "Priority": 5}],
    )
    # All or nothing: one clash leaves every priority as it was.
    raises(
        "PriorityInUse",
        elbv2.set_rule_priorities,
        RulePriorities=[{"RuleArn": a["RuleArn"], "Priority": 7}, {"RuleArn": b["RuleArn"], "Priority": 7}],
    )
    raises("PriorityInUse", elbv2.set_rule_priorities, RulePriorities=[{"RuleArn": a["RuleArn"], "Priority": 2}])
    assert [r["Priority"] for r in elbv2.describe_rules(ListenerArn=listener)["Rules"]] == ["1", "2", "default"]
    missing = a["RuleArn"][:-16] + "0123456789abcdef"
    raises("RuleNotFound", elbv2.describe_rules, RuleArns=[missing])
    raises("RuleNotFound", elbv2.modify_rule, RuleArn=missing, Actions=fixed("200"))
    raises("RuleNotFound", elbv2.set_rule_priorities, RulePriorities=[{"RuleArn": missing, "Priority": 9}])
    raises("ValidationError", elbv2.describe_rules)
    raises("ValidationError", elbv2.delete_rule, RuleArn="rule")


# --------------------------------------------------------------------------- targets


def test_target_health_states(elbv2, uid):
    tg = create_tg(elbv2, name(uid))
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}, {"Id": "127.0.0.2", "Port": 9000}])

    # No listener forwards to the group: unused / Target.NotInUse.
    described = health(elbv2, tg)
    assert described == [
        {
            "Target": {"Id": "127.0.0.1", "Port": 8080},
            "HealthCheckPort": "8080",
            "TargetHealth": {"State": "unused", "Reason": "Target.NotInUse", "Description": NOT_IN_USE},
        },
        {
            "Target": {"Id": "127.0.0.2", "Port": 9000},
            "HealthCheckPort": "9000",
            "TargetHealth": {"State": "unused", "Reason": "Target.NotInUse", "Description": NOT_IN_USE},
        },
    ]
    # A target that is not registered.
    assert health(elbv2, tg, [{"Id": "127.0.0.3", "Port": 8080}]) == [
        {
            "Target": {"Id": "127.0.0.3", "Port": 8080},
            "TargetHealth": {"State": "unused", "Reason": "Target.NotRegistered", "Description": NOT_REGISTERED},
        }
    ]
    # The filter without a port finds the registration on any port.
    assert [d["Target"]["Port"] for d in health(elbv2, tg, [{"Id": "127.0.0.2"}])] == [9000]

    # Deregistering from a group no load balancer uses is immediate.
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.2", "Port": 9000}])
    elbv2.get_waiter("target_deregistered").wait(
        TargetGroupArn=tg, Targets=[{"Id": "127.0.0.2", "Port": 9000}], WaiterConfig=FAST_WAITER
    )
    assert [d["Target"]["Id"] for d in health(elbv2, tg)] == ["127.0.0.1"]

    # In use: a new target starts `initial`.
    lb = create_lb(elbv2, name(uid, "l"))["LoadBalancerArn"]
    create_listener(elbv2, lb, forward(tg))
    (d,) = health(elbv2, tg)
    assert d["TargetHealth"]["State"] == "initial", d
    assert d["TargetHealth"]["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking"), d

    # Deregistration drains for the deregistration delay (300 s by default).
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
    (d,) = health(elbv2, tg, [{"Id": "127.0.0.1", "Port": 8080}])
    assert d["TargetHealth"] == {
        "State": "draining",
        "Reason": "Target.DeregistrationInProgress",
        "Description": "Target deregistration is in progress",
    }
    # Unknown targets are ignored.
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.99"}])
    # Registering it again cancels the drain.
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
    (d,) = health(elbv2, tg)
    assert d["TargetHealth"]["State"] != "draining", d


def test_target_errors(elbv2_unvalidated, elbv2, uid, account_id):
    ip_tg = create_tg(elbv2, name(uid, "i"))
    instance_tg = create_tg(elbv2, name(uid, "n"), TargetType="instance")
    missing = f"arn:aws:elasticloadbalancing:{REGION}:{account_id}:targetgroup/nope/0123456789abcdef"
    for tg, targets, code in [
        (ip_tg, [{"Id": "10.0.0.5"}], "InvalidTarget"),
        (ip_tg, [{"Id": "localhost"}], "InvalidTarget"),
        (ip_tg, [{"Id": "127.0.0.1"}, {"Id": "192.168.1.1"}], "InvalidTarget"),
        (instance_tg, [{"Id": "i-0123456789abcdef0"}], "InvalidTarget"),
        (ip_tg, [{"Id": "127.0.0.1", "Port": 0}], "ValidationError"),
        (ip_tg, [{"Id": "127.0.0.1", "AvailabilityZone": "mars-1a"}], "ValidationError"),
        (missing, [{"Id": "127.0.0.1"}], "TargetGroupNotFound"),
    ]:
        raises(code, elbv2_unvalidated.register_targets, TargetGroupArn=tg, Targets=targets)
    assert health(elbv2, ip_tg) == [], "a rejected registration was stored"
    raises("TargetGroupNotFound", elbv2.deregister_targets, TargetGroupArn=missing, Targets=[{"Id": "127.0.0.1"}])
    raises("TargetGroupNotFound", elbv2.describe_target_health, TargetGroupArn=missing)
    # Registering twice keeps one registration; a port override is another.
    for _ in range(2):
        elbv2.register_targets(TargetGroupArn=ip_tg, Targets=[{"Id": "127.0.0.1"}])
    elbv2.register_targets(TargetGroupArn=ip_tg, Targets=[{"Id": "127.0.0.1", "Port": 8081}])
    assert [(d["Target"]["Id"], d["Target"]["Port"]) for d in health(elbv2, ip_tg)] == [
        ("127.0.0.1", 8080),
        ("127.0.0.1", 8081),
    ]


# --------------------------------------------------------------------------- tags


def test_tags_on_load_balancers_listeners_and_rules(elbv2, uid):
    lb = create_lb(elbv2, name(uid))["LoadBalancerArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=next_port(),
        DefaultActions=fixed(),
        Tags=[{"Key": "kind", "Value": "listener"}],
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=listener, Priority=1, Conditions=path("/x"), Actions=fixed("200"), Tags=[{"Key": "kind", "Value": "rule"}]
    )["Rules"][0]["RuleArn"]
    elbv2.add_tags(ResourceArns=[lb, rule], Tags=[{"Key": "team", "Value": "web"}])
    out = elbv2.describe_tags(ResourceArns=[lb, listener, rule])["TagDescriptions"]
    assert {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]} for d in out} == {
        lb: {"team": "web"},
        listener: {"kind": "listener"},
        rule: {"kind": "rule", "team": "web"},
    }
    elbv2.remove_tags(ResourceArns=[rule], TagKeys=["kind"])
    assert elbv2.describe_tags(ResourceArns=[rule])["TagDescriptions"][0]["Tags"] == [{"Key": "team", "Value": "web"}]
    raises("DuplicateTagKeys", elbv2.add_tags, ResourceArns=[lb], Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])

    elbv2.delete_load_balancer(LoadBalancerArn=lb)
    for arn, code in ((lb, "LoadBalancerNotFound"), (listener, "ListenerNotFound"), (rule, "RuleNotFound")):
        raises(code, elbv2.describe_tags, ResourceArns=[arn])
        raises(code, elbv2.add_tags, ResourceArns=[arn], Tags=[{"Key": "k", "Value": "v"}])
        raises(code, elbv2.remove_tags, ResourceArns=[arn], TagKeys=["k"])


# --------------------------------------------------------------------------- AWS CLI


def test_cli_end_to_end(aws, elbv2, uid):
    n = name(uid)
    rc, out, err = aws("elbv2", "create-load-balancer", "--name", n, "--subnets", SUBNETS[0], SUBNETS[1])
    assert rc == 0, err
    lb = out["LoadBalancers"][0]
    assert lb["State"]["Code"] == "provisioning"
    arn = lb["LoadBalancerArn"]
    rc, _, err = aws("elbv2", "wait", "load-balancer-available", "--load-balancer-arns", arn)
    assert rc == 0, err

    rc, out, err = aws("elbv2", "describe-load-balancers", "--names", n)
    assert rc == 0, err
    assert out["LoadBalancers"][0]["State"]["Code"] == "active"
    assert out["LoadBalancers"][0]["DNSName"] == lb["DNSName"]

    # Without filters the CLI pages through everything.
    rc, out, err = aws("elbv2", "describe-load-balancers")
    assert rc == 0, err
    arns = [x["LoadBalancerArn"] for x in out["LoadBalancers"]]
    assert arn in arns and len(arns) == len(set(arns))
    assert set(arns) == {x["LoadBalancerArn"] for x in all_lbs(elbv2)}
    rc, first, err = aws("elbv2", "describe-load-balancers", "--page-size", "1")
    assert rc == 0, err
    assert len(first["LoadBalancers"]) == 1 and first["NextMarker"]

    rc, out, err = aws(
        "elbv2", "create-target-group", "--name", name(uid, "t"), "--protocol", "HTTP", "--port", "8080",
        "--vpc-id", DEFAULT_VPC, "--target-type", "ip",
    )
    assert rc == 0, err
    tg = out["TargetGroups"][0]["TargetGroupArn"]
    port = str(next_port())
    rc, out, err = aws(
        "elbv2", "create-listener", "--load-balancer-arn", arn, "--protocol", "HTTP", "--port", port,
        "--default-actions", f"Type=forward,TargetGroupArn={tg}",
    )
    assert rc == 0, err
    listener = out["Listeners"][0]["ListenerArn"]
    assert out["Listeners"][0]["Port"] == int(port)

    rc, out, err = aws(
        "elbv2", "create-rule", "--listener-arn", listener, "--priority", "5",
        "--conditions", json.dumps([{"Field": "path-pattern", "Values": ["/api/*"]}]),
        "--actions", json.dumps(fixed("200")),
    )
    assert rc == 0, err
    assert out["Rules"][0]["Priority"] == "5"
    rc, out, err = aws("elbv2", "describe-rules", "--listener-arn", listener)
    assert rc == 0, err
    assert [r["Priority"] for r in out["Rules"]] == ["5", "default"]

    rc, out, err = aws("elbv2", "register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1", "Id=127.0.0.2,Port=9000")
    assert rc == 0, err
    rc, out, err = aws("elbv2", "describe-target-health", "--target-group-arn", tg)
    assert rc == 0, err
    assert sorted((d["Target"]["Id"], d["Target"]["Port"]) for d in out["TargetHealthDescriptions"]) == [
        ("127.0.0.1", 8080),
        ("127.0.0.2", 9000),
    ]
    assert all(d["TargetHealth"]["State"] == "initial" or d["TargetHealth"]["State"] == "unhealthy" for d in out["TargetHealthDescriptions"])
    rc, out, err = aws("elbv2", "deregister-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.2,Port=9000")
    assert rc == 0, err
    rc, out, err = aws("elbv2", "describe-target-health", "--target-group-arn", tg, "--targets", "Id=127.0.0.2,Port=9000")
    assert rc == 0, err
    assert out["TargetHealthDescriptions"][0]["TargetHealth"]["State"] == "draining"
    rc, out, err = aws("elbv2", "describe-target-health", "--target-group-arn", tg, "--targets", "Id=127.0.0.7,Port=8080")
    assert rc == 0, err
    assert out["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"] == "Target.NotRegistered"

    rc, out, err = aws("elbv2", "describe-target-groups", "--load-balancer-arn", arn)
    assert rc == 0, err
    assert [g["TargetGroupArn"] for g in out["TargetGroups"]] == [tg]

    rc, out, err = aws(
        "elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", arn,
        "--attributes", "Key=idle_timeout.timeout_seconds,Value=120",
    )
    assert rc == 0, err
    assert {a["Key"]: a["Value"] for a in out["Attributes"]}["idle_timeout.timeout_seconds"] == "120"

    # Errors reach the CLI with AWS's codes.
    for args, code in [
        (("describe-load-balancers", "--names", name(uid, "zz")), "LoadBalancerNotFound"),
        (("create-load-balancer", "--name", name(uid, "x"), "--subnets", SUBNETS[0]), "ValidationError"),
        (("create-listener", "--load-balancer-arn", arn, "--protocol", "HTTPS", "--port", port,
          "--default-actions", f"Type=forward,TargetGroupArn={tg}"), "UnsupportedProtocol"),
        (("create-listener", "--load-balancer-arn", arn, "--protocol", "HTTP", "--port", port,
          "--default-actions", json.dumps(fixed())), "DuplicateListener"),
        (("register-targets", "--target-group-arn", tg, "--targets", "Id=10.1.2.3"), "InvalidTarget"),
        (("delete-target-group", "--target-group-arn", tg), "ResourceInUse"),
    ]:
        rc, _, err = aws("elbv2", *args)
        assert rc != 0, args
        assert code in err, (args, err)

    rc, _, err = aws("elbv2", "delete-listener", "--listener-arn", listener)
    assert rc == 0, err
    rc, _, err = aws("elbv2", "delete-load-balancer", "--load-balancer-arn", arn)
    assert rc == 0, err
    rc, _, err = aws("elbv2", "wait", "load-balancers-deleted", "--load-balancer-arns", arn)
    assert rc == 0, err
    rc, _, err = aws("elbv2", "delete-target-group", "--target-group-arn", tg)
    assert rc == 0, err
