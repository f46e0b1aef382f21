"""EventBridge through boto3 and the AWS CLI: buses, rules and targets with
every operation and its errors, PutEvents' per-entry results,
TestEventPattern with seed 003's lifecycle pattern, and tags."""

import json

import pytest

from ballast_compat import TRUST_LAMBDA, code_of, make_client, parameter, eventually

LAUNCH = "EC2 Instance-launch Lifecycle Action"


@pytest.fixture(scope="module")
def events(endpoint):
    return make_client("events", endpoint)


def lambda_arn(name):
    return f"arn:aws:lambda:us-east-1:000000000000:function:{name}"


def lifecycle_pattern(group):
    return json.dumps(
        {"source": ["aws.autoscaling"], "detail-type": [LAUNCH], "detail": {"AutoScalingGroupName": [group]}}
    )


def lifecycle_event(group):
    return json.dumps(
        {
            "version": "0",
            "id": "0d6e7f2a-51c2-4a8b-9d8e-5f0c1b2a3d4e",
            "detail-type": LAUNCH,
            "source": "aws.autoscaling",
            "account": "000000000000",
            "time": "2026-12-04T12:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {
                "AutoScalingGroupName": group,
                "LifecycleHookName": "attach",
                "EC2InstanceId": "i-0abc1234def567890",
                "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING",
            },
        }
    )


def test_rules_and_targets_boto3(events, uid):
    name = f"heal-{uid}"
    arn = events.put_rule(
        Name=name, EventPattern=lifecycle_pattern("autoheal"), Tags=[{"Key": "seed", "Value": "003"}]
    )["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:000000000000:rule/{name}"
    rule = events.describe_rule(Name=name)
    assert rule["State"] == "ENABLED" and rule["EventBusName"] == "default"
    assert json.loads(rule["EventPattern"])["detail-type"] == [LAUNCH]

    events.put_targets(
        Rule=name,
        Targets=[
            {"Id": "attach", "Arn": lambda_arn("attach")},
            {"Id": "const", "Arn": lambda_arn("const"), "Input": '{"fixed": true}'},
        ],
    )
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    assert [t["Id"] for t in targets] == ["attach", "const"]
    assert targets[1]["Input"] == '{"fixed": true}'
    assert events.list_rule_names_by_target(TargetArn=lambda_arn("attach"))["RuleNames"] == [name]

    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    listed = events.list_rules(NamePrefix=f"heal-{uid}")["Rules"]
    assert [r["Name"] for r in listed] == [name] and listed[0]["State"] == "ENABLED"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "seed", "Value": "003"}]

    assert code_of(events.delete_rule, Name=name) == "ValidationException"
    events.remove_targets(Rule=name, Ids=["attach", "const"])
    events.delete_rule(Name=name)
    assert code_of(events.describe_rule, Name=name) == "ResourceNotFoundException"


def test_rule_errors_boto3(events, uid):
    events.put_rule(Name=f"full-{uid}", EventPattern=lifecycle_pattern("x"))
    six = [{"Id": f"t{i}", "Arn": lambda_arn(f"t{i}")} for i in range(6)]
    cases = [
        (events.put_rule, {"Name": f"r-{uid}"}, "ValidationException"),
        (events.put_rule, {"Name": f"r-{uid}", "EventPattern": '{"source": "aws.ec2"}'}, "InvalidEventPatternException"),
        (events.put_rule, {"Name": f"r-{uid}", "EventPattern": "not json"}, "InvalidEventPatternException"),
        (events.put_rule, {"Name": f"r-{uid}", "ScheduleExpression": "rate(0 minutes)"}, "ValidationException"),
        (events.put_rule, {"Name": f"r-{uid}", "EventPattern": "{}", "EventBusName": "missing"}, "ResourceNotFoundException"),
        (events.describe_rule, {"Name": "missing"}, "ResourceNotFoundException"),
        (events.enable_rule, {"Name": "missing"}, "ResourceNotFoundException"),
        (events.disable_rule, {"Name": "missing"}, "ResourceNotFoundException"),
        (events.put_targets, {"Rule": "missing", "Targets": six[:1]}, "ResourceNotFoundException"),
        (events.put_targets, {"Rule": f"full-{uid}", "Targets": six}, "LimitExceededException"),
        (
            events.put_targets,
            {"Rule": f"full-{uid}", "Targets": [{"Id": "a", "Arn": lambda_arn("a"), "Input": "{"}]},
            "ValidationException",
        ),
        (events.list_targets_by_rule, {"Rule": "missing"}, "ResourceNotFoundException"),
        (events.remove_targets, {"Rule": "missing", "Ids": ["a"]}, "ResourceNotFoundException"),
        (events.test_event_pattern, {"EventPattern": "[]", "Event": lifecycle_event("x")}, "InvalidEventPatternException"),
        (events.test_event_pattern, {"EventPattern": lifecycle_pattern("x"), "Event": "{}"}, "ValidationException"),
        (events.create_event_bus, {"Name": "default"}, "ResourceAlreadyExistsException"),
        (events.delete_event_bus, {"Name": "default"}, "ValidationException"),
        (events.describe_event_bus, {"Name": "missing"}, "ResourceNotFoundException"),
        (
            events.tag_resource,
            {"ResourceARN": "arn:aws:events:us-east-1:000000000000:rule/missing", "Tags": [{"Key": "k", "Value": "v"}]},
            "ResourceNotFoundException",
        ),
    ]
    for call, kwargs, code in cases:
        assert code_of(call, **kwargs) == code, (call.__name__, kwargs)
    # Refused requests changed nothing.
    assert events.list_targets_by_rule(Rule=f"full-{uid}")["Targets"] == []
    assert code_of(events.describe_rule, Name=f"r-{uid}") == "ResourceNotFoundException"


def test_patterns_boto3(events):
    pattern = lifecycle_pattern("autoheal")
    assert events.test_event_pattern(EventPattern=pattern, Event=lifecycle_event("autoheal"))["Result"] is True
    assert events.test_event_pattern(EventPattern=pattern, Event=lifecycle_event("other"))["Result"] is False
    either = json.dumps(
        {"$or": [{"detail": {"LifecycleHookName": [{"wildcard": "at*"}]}}, {"source": [{"suffix": ".ec2"}]}]}
    )
    assert events.test_event_pattern(EventPattern=either, Event=lifecycle_event("x"))["Result"] is True


def test_buses_and_put_events_boto3(events, uid):
    bus = f"orders-{uid}"
    bus_arn = events.create_event_bus(Name=bus, Tags=[{"Key": "team", "Value": "shop"}])["EventBusArn"]
    assert bus_arn == f"arn:aws:events:us-east-1:000000000000:event-bus/{bus}"
    assert events.describe_event_bus(Name=bus_arn)["Name"] == bus
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert "default" in names and bus in names
    rule_arn = events.put_rule(Name="placed", EventBusName=bus, EventPattern='{"source": ["shop"]}')["RuleArn"]
    assert rule_arn == f"arn:aws:events:us-east-1:000000000000:rule/{bus}/placed"

    out = events.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "Order Placed", "Detail": '{"total": 5}', "EventBusName": bus},
            {"Source": "aws.autoscaling", "DetailType": LAUNCH, "Detail": "{}"},
            {"Source": "shop", "DetailType": "Order Placed", "Detail": "nope"},
        ]
    )
    assert out["FailedEntryCount"] == 2
    assert len(out["Entries"][0]["EventId"]) == 36
    assert out["Entries"][1]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert out["Entries"][2]["ErrorCode"] == "InvalidArgument"

    events.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": "env", "Value": "test"}])
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    events.untag_resource(ResourceARN=rule_arn, TagKeys=["env"])
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == []
    events.delete_event_bus(Name=bus)
    assert code_of(events.describe_rule, Name="placed", EventBusName=bus) == "ResourceNotFoundException"


def test_eventbridge_cli(aws, uid):
    name = f"cli-{uid}"
    rc, out, err = aws("events", "put-rule", "--name", name, "--event-pattern", lifecycle_pattern("autoheal"))
    assert rc == 0, err
    assert out["RuleArn"].endswith(f":rule/{name}")
    rc, out, err = aws(
        "events", "put-targets", "--rule", name, "--targets", f"Id=attach,Arn={lambda_arn('attach')}"
    )
    assert rc == 0, err
    assert out["FailedEntryCount"] == 0
    rc, out, err = aws("events", "list-targets-by-rule", "--rule", name)
    assert rc == 0, err
    assert [t["Id"] for t in out["Targets"]] == ["attach"]
    rc, out, err = aws("events", "disable-rule", "--name", name)
    assert rc == 0, err
    rc, out, err = aws("events", "describe-rule", "--name", name)
    assert rc == 0, err
    assert out["State"] == "DISABLED"
    rc, out, err = aws(
        "events", "test-event-pattern", "--event-pattern", lifecycle_pattern("autoheal"), "--event", lifecycle_event("autoheal")
    )
    assert rc == 0, err
    assert out["Result"] is True
    rc, out, err = aws(
        "events", "put-events", "--entries", json.dumps([{"Source": "shop", "DetailType": "t", "Detail": "{}"}])
    )
    assert rc == 0, err
    assert out["FailedEntryCount"] == 0
    rc, _, err = aws("events", "delete-rule", "--name", name)
    assert rc != 0 and "ValidationException" in err
    rc, _, err = aws("events", "remove-targets", "--rule", name, "--ids", "attach")
    assert rc == 0, err
    rc, _, err = aws("events", "delete-rule", "--name", name)
    assert rc == 0, err
    rc, _, err = aws("events", "describe-rule", "--name", name)
    assert rc != 0 and "ResourceNotFoundException" in err
    rc, _, err = aws("events", "create-event-bus", "--name", "default")
    assert rc != 0 and "ResourceAlreadyExistsException" in err


RECORDER = """
import boto3

def handler(event, context):
    boto3.client("ssm").put_parameter(Name=event["parameter"], Value=event["value"], Type="String", Overwrite=True)
"""


def test_events_reach_a_permitted_function_boto3(events, endpoint, uid):
    import io
    import zipfile

    iam = make_client("iam", endpoint)
    lam = make_client("lambda", endpoint)
    ssm = make_client("ssm", endpoint)
    role = iam.create_role(RoleName=f"recorder-{uid}", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*"}]}
    iam.put_role_policy(RoleName=f"recorder-{uid}", PolicyName="ssm", PolicyDocument=json.dumps(allow))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", RECORDER)
    function = lam.create_function(
        FunctionName=f"recorder-{uid}", Runtime="python3.12", Handler="app.handler", Role=role,
        Timeout=30, Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    rule = events.put_rule(Name=f"orders-{uid}", EventPattern=json.dumps({"source": [f"shop-{uid}"]}))["RuleArn"]
    events.put_targets(
        Rule=f"orders-{uid}",
        Targets=[{"Id": "record", "Arn": function, "InputPath": "$.detail"}],
    )
    lam.add_permission(
        FunctionName=f"recorder-{uid}", StatementId="events", Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com", SourceArn=rule,
    )
    detail = {"parameter": f"/orders/{uid}", "value": "paid"}
    out = events.put_events(Entries=[{"Source": f"shop-{uid}", "DetailType": "order", "Detail": json.dumps(detail)}])
    assert out["FailedEntryCount"] == 0
    eventually("the event to reach the function", lambda: parameter(ssm, f"/orders/{uid}") == "paid", deadline_s=30)
