"""Lambda through boto3 and the AWS CLI (restJson1): functions made, read,
listed, updated, invoked (they really run) and deleted, resource policies,
and the errors AWS answers."""

import base64
import hashlib
import io
import json
import urllib.error
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError

from ballast_compat import code_of, error_code, lambda_role, make_client, parameter, eventually


def package(source="def handler(event, context):\n    return event\n"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def role(endpoint):
    return lambda_role(endpoint, "compat-lambda")


def download(url):
    """(status, body) of an unsigned GET, as a script fetches a presigned URL."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_functions_boto3(lam, role, uid):
    name = f"attach-{uid}"
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="index.handler",
        Role=role,
        Code={"ZipFile": package()},
        Environment={"Variables": {"VOLUME": "vol-1"}},
        Tags={"seed": "003"},
    )
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["State"] == "Active" and created["Timeout"] == 3 and created["MemorySize"] == 128
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["Environment"]["Variables"] == {"VOLUME": "vol-1"}
    assert got["Tags"] == {"seed": "003"}
    # Code.Location is a link good for ten minutes, needing no signature.
    assert got["Code"]["RepositoryType"] == "S3"
    status, body = download(got["Code"]["Location"])
    assert status == 200
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() == created["CodeSha256"]
    assert zipfile.ZipFile(io.BytesIO(body)).read("index.py").startswith(b"def handler")
    status, body = download(got["Code"]["Location"].split("?")[0])
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert lam.get_function_configuration(FunctionName=created["FunctionArn"])["FunctionName"] == name
    assert name in [f["FunctionName"] for f in lam.get_paginator("list_functions").paginate().build_full_result()["Functions"]]

    updated = lam.update_function_configuration(FunctionName=name, Timeout=60, Description="attach the volume")
    assert updated["Timeout"] == 60 and updated["Description"] == "attach the volume"
    new_code = lam.update_function_code(FunctionName=name, ZipFile=package("def handler(e, c):\n    return 1\n"))
    assert new_code["CodeSha256"] != created["CodeSha256"]

    lam.add_permission(
        FunctionName=name,
        StatementId="events-invoke",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn="arn:aws:events:us-east-1:000000000000:rule/heal",
    )
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    lam.remove_permission(FunctionName=name, StatementId="events-invoke")
    lam.delete_function(FunctionName=name)
    assert code_of(lam.get_function, FunctionName=name) == "ResourceNotFoundException"


def test_function_errors_boto3(lam, role, uid):
    name = f"errors-{uid}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler", Role=role, Code={"ZipFile": package()})
    base = {"Runtime": "python3.12", "Handler": "index.handler", "Role": role, "Code": {"ZipFile": package()}}
    cases = [
        (lam.create_function, {**base, "FunctionName": name}, "ResourceConflictException"),
        (lam.create_function, {**base, "FunctionName": f"n-{uid}", "Runtime": "nodejs20.x"}, "InvalidParameterValueException"),
        (lam.create_function, {**base, "FunctionName": f"n-{uid}", "Code": {"ZipFile": b"plain text"}}, "InvalidParameterValueException"),
        (lam.create_function, {**base, "FunctionName": f"n-{uid}", "Code": {"S3Bucket": "packages", "S3Key": "fn.zip"}}, "InvalidParameterValueException"),
        (
            lam.create_function,
            {**base, "FunctionName": f"n-{uid}", "Role": "arn:aws:iam::000000000000:role/missing"},
            "InvalidParameterValueException",
        ),
        (lam.get_function, {"FunctionName": "missing"}, "ResourceNotFoundException"),
        (lam.get_function, {"FunctionName": name, "Qualifier": "3"}, "ResourceNotFoundException"),
        (lam.delete_function, {"FunctionName": "missing"}, "ResourceNotFoundException"),
        (lam.update_function_configuration, {"FunctionName": name, "Timeout": 1000}, "ValidationException"),
        (lam.update_function_configuration, {"FunctionName": name, "RevisionId": "stale"}, "PreconditionFailedException"),
        (lam.get_policy, {"FunctionName": name}, "ResourceNotFoundException"),
        (lam.put_function_concurrency, {"FunctionName": name, "ReservedConcurrentExecutions": 901}, "InvalidParameterValueException"),
        (lam.put_function_concurrency, {"FunctionName": "missing", "ReservedConcurrentExecutions": 1}, "ResourceNotFoundException"),
        (lam.get_function_concurrency, {"FunctionName": "missing"}, "ResourceNotFoundException"),
        (lam.delete_function_concurrency, {"FunctionName": "missing"}, "ResourceNotFoundException"),
        (lam.remove_permission, {"FunctionName": name, "StatementId": "none"}, "ResourceNotFoundException"),
        (
            lam.add_permission,
            {"FunctionName": name, "StatementId": "s", "Action": "s3:GetObject", "Principal": "events.amazonaws.com"},
            "ValidationException",
        ),
    ]
    for call, kwargs, code in cases:
        assert code_of(call, **kwargs) == code, (call.__name__, kwargs)
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 3


def test_functions_cli(aws, role, uid, tmp_path):
    name = f"cli-{uid}"
    archive = tmp_path / "fn.zip"
    archive.write_bytes(package())
    rc, out, err = aws(
        "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
        "--handler", "index.handler", "--role", role, "--zip-file", f"fileb://{archive}",
    )
    assert rc == 0, err
    assert out["FunctionName"] == name
    rc, _, err = aws("lambda", "wait", "function-active-v2", "--function-name", name)
    assert rc == 0, err
    rc, out, err = aws("lambda", "list-functions")
    assert rc == 0, err
    assert name in [f["FunctionName"] for f in out["Functions"]]
    rc, out, err = aws("lambda", "get-function", "--function-name", name)
    assert rc == 0, err
    assert download(out["Code"]["Location"]) == (200, archive.read_bytes())
    rc, out, err = aws("lambda", "update-function-configuration", "--function-name", name, "--memory-size", "256")
    assert rc == 0, err
    assert out["MemorySize"] == 256
    rc, out, err = aws(
        "lambda", "add-permission", "--function-name", name, "--statement-id", "ev",
        "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
    )
    assert rc == 0, err
    assert json.loads(out["Statement"])["Sid"] == "ev"
    rc, _, err = aws("lambda", "delete-function", "--function-name", name)
    assert rc == 0, err
    rc, _, err = aws("lambda", "get-function", "--function-name", name)
    assert rc != 0 and "ResourceNotFoundException" in err


RUNNING = """
import os
import boto3

def handler(event, context):
    print("handling", event.get("n"))
    if event.get("raise"):
        raise KeyError("missing")
    if "parameter" in event:
        boto3.client("ssm").put_parameter(Name=event["parameter"], Value="done", Type="String", Overwrite=True)
    return {"n": event.get("n"), "request": context.aws_request_id, "pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def running_role(endpoint):
    iam = make_client("iam", endpoint)
    name = "compat-lambda-running"
    arn = lambda_role(endpoint, name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="ssm", PolicyDocument=json.dumps(policy))
    return arn


def running_function(lam, role, name, timeout=30):
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="index.handler",
        Role=role,
        Timeout=timeout,
        Code={"ZipFile": package(RUNNING)},
    )


def test_invoke_boto3(lam, running_role, endpoint, uid):
    name = f"run-{uid}"
    running_function(lam, running_role, name)

    out = lam.invoke(FunctionName=name, Payload=json.dumps({"n": 1}), LogType="Tail")
    assert out["StatusCode"] == 200
    assert "FunctionError" not in out
    assert out["ExecutedVersion"] == "$LATEST"
    first = json.loads(out["Payload"].read())
    assert first["n"] == 1
    assert first["request"] == out["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(out["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and "handling 1" in log and "REPORT RequestId" in log

    warm = json.loads(lam.invoke(FunctionName=name, Payload=b'{"n": 2}')["Payload"].read())
    assert warm["pid"] == first["pid"]

    failed = lam.invoke(FunctionName=name, Payload=json.dumps({"raise": True}))
    assert failed["FunctionError"] == "Unhandled"
    error = json.loads(failed["Payload"].read())
    assert error["errorType"] == "KeyError" and error["errorMessage"] == "'missing'"

    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204

    queued = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"parameter": f"/async/{uid}"}))
    assert queued["StatusCode"] == 202
    ssm = make_client("ssm", endpoint)
    eventually("the queued event to run", lambda: parameter(ssm, f"/async/{uid}") == "done", deadline_s=30)

    assert code_of(lam.invoke, FunctionName=name, Payload=b"{not json") == "InvalidRequestContentException"
    assert code_of(lam.invoke, FunctionName=f"absent-{uid}") == "ResourceNotFoundException"
    big = b'"' + b"x" * (1024 * 1024 + 1) + b'"'
    assert code_of(lam.invoke, FunctionName=name, InvocationType="Event", Payload=big) == "RequestTooLargeException"


def test_invoke_cli(aws, lam, running_role, uid, tmp_path):
    name = f"run-cli-{uid}"
    running_function(lam, running_role, name)
    out_file = tmp_path / "out.json"
    rc, out, err = aws(
        "lambda", "invoke", "--function-name", name, "--payload", '{"n": 7}', "--log-type", "Tail", str(out_file)
    )
    assert rc == 0, err
    printed = out
    assert printed["StatusCode"] == 200 and "FunctionError" not in printed
    assert "handling 7" in base64.b64decode(printed["LogResult"]).decode()
    assert json.loads(out_file.read_text())["n"] == 7

    rc, out, err = aws("lambda", "invoke", "--function-name", name, "--payload", '{"raise": true}', str(out_file))
    assert rc == 0, err
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out_file.read_text())["errorType"] == "KeyError"

    rc, out, err = aws(
        "lambda", "invoke", "--function-name", name, "--invocation-type", "Event", "--payload", "{}", str(out_file)
    )
    assert rc == 0, err
    assert out["StatusCode"] == 202

    rc, _, err = aws("lambda", "invoke", "--function-name", name, "--payload", "nope", str(out_file))
    assert rc != 0 and "InvalidRequestContentException" in err


def test_reserved_concurrency_boto3(lam, running_role, endpoint, uid):
    name = f"reserved-{uid}"
    running_function(lam, running_role, name)
    assert lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)["ReservedConcurrentExecutions"] == 0
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 0}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["CodeSizeZipped"] == 50 * 1024 * 1024
    assert settings["AccountUsage"]["FunctionCount"] >= 1
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=7)
    unreserved = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == unreserved + 7
    # Reserved to none: calls are throttled, events wait in the queue.
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName=name, Payload=b'{"n": 1}')
    assert error_code(err.value) == "TooManyRequestsException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    event = json.dumps({"parameter": f"/held/{uid}"}).encode()
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=event)["StatusCode"] == 202
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert "Concurrency" not in lam.get_function(FunctionName=name)
    ssm = make_client("ssm", endpoint)
    eventually("the held event to run", lambda: parameter(ssm, f"/held/{uid}") == "done", deadline_s=30)
    assert json.loads(lam.invoke(FunctionName=name, Payload=b'{"n": 2}')["Payload"].read())["n"] == 2


def test_reserved_concurrency_cli(aws, lam, running_role, uid, tmp_path):
    name = f"reserved-cli-{uid}"
    running_function(lam, running_role, name)
    rc, out, err = aws("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "0")
    assert rc == 0, err
    assert out == {"ReservedConcurrentExecutions": 0}
    rc, out, err = aws("lambda", "get-function-concurrency", "--function-name", name)
    assert rc == 0, err
    assert out == {"ReservedConcurrentExecutions": 0}
    rc, _, err = aws("lambda", "invoke", "--function-name", name, "--payload", "{}", str(tmp_path / "out.json"))
    assert rc != 0 and "TooManyRequestsException" in err
    rc, out, err = aws("lambda", "get-account-settings")
    assert rc == 0, err
    assert out["AccountLimit"]["ConcurrentExecutions"] == 1000 and out["AccountUsage"]["FunctionCount"] >= 1
    rc, _, err = aws("lambda", "delete-function-concurrency", "--function-name", name)
    assert rc == 0, err
    rc, out, err = aws("lambda", "invoke", "--function-name", name, "--payload", '{"n": 3}', str(tmp_path / "out.json"))
    assert rc == 0, err
    assert out["StatusCode"] == 200
    rc, _, err = aws("lambda", "put-function-concurrency", "--function-name", name, "--reserved-concurrent-executions", "5000")
    assert rc != 0 and "InvalidParameterValueException" in err


def test_tags_versions_aliases_and_mappings_boto3_and_cli(lam, aws, role, uid):
    name = f"tagged-{uid}"
    arn = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": package()}, Tags={"team": "web"},
    )["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"stage": "test", "owner": "ops"})
    rc, _, err = aws("lambda", "untag-resource", "--resource", arn, "--tag-keys", "owner")
    assert rc == 0, err
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "web", "stage": "test"}
    rc, out, err = aws("lambda", "list-tags", "--resource", arn)
    assert rc == 0 and out["Tags"] == {"team": "web", "stage": "test"}, err
    rc, _, err = aws("lambda", "tag-resource", "--resource", arn, "--tags", "stage=prod")
    assert rc == 0, err
    assert lam.get_function(FunctionName=name)["Tags"] == {"team": "web", "stage": "prod"}
    lam.untag_resource(Resource=arn, TagKeys=["stage"])
    assert code_of(lam.tag_resource, Resource=f"{arn}-gone", Tags={"a": "b"}) == "ResourceNotFoundException"

    (latest,) = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert latest["Version"] == "$LATEST" and latest["FunctionArn"] == f"{arn}:$LATEST"
    rc, out, err = aws("lambda", "list-versions-by-function", "--function-name", name)
    assert rc == 0 and [v["Version"] for v in out["Versions"]] == ["$LATEST"], err
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []
    rc, out, err = aws("lambda", "list-aliases", "--function-name", name)
    assert rc == 0 and out["Aliases"] == [], err
    assert lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []
    rc, out, err = aws("lambda", "list-event-source-mappings")
    assert rc == 0 and out["EventSourceMappings"] == [], err
    for call in (lam.list_versions_by_function, lam.list_aliases, lam.list_event_source_mappings):
        assert code_of(call, FunctionName=f"gone-{uid}") == "ResourceNotFoundException"
    rc, _, err = aws("lambda", "list-aliases", "--function-name", f"gone-{uid}")
    assert rc != 0 and "ResourceNotFoundException" in err, err
    lam.delete_function(FunctionName=name)
