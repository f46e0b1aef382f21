"""Lambda's published versions and aliases through boto3, the AWS CLI and
amazon.aws's `lambda`, `lambda_alias` and `lambda_policy` modules: each
version runs the code it was published with, an alias with a routing
configuration splits real invocations between two versions, an alias has
a resource policy of its own, and the errors AWS answers."""

import io
import json
import textwrap
import zipfile
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from ballast_compat import ansible_result, code_of, error_code, lambda_role


def release(name):
    """A package whose handler says which release it is and which version
    Lambda runs it as."""
    source = textwrap.dedent(
        f"""\
        import os

        def handler(event, context):
            return {{"release": "{name}", "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"]}}
        """
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed date, so the same release is the same bytes every time.
        archive.writestr(zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def role(endpoint):
    return lambda_role(endpoint, "compat-versions")


def invoked(lam, **kwargs):
    out = lam.invoke(Payload=b"{}", **kwargs)
    assert "FunctionError" not in out, out
    return json.loads(out["Payload"].read()), out["ExecutedVersion"]


def test_versions_and_a_canary_alias_boto3(lam, role, uid):
    name = f"canary-{uid}"
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    created = lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="index.handler", Role=role,
        Code={"ZipFile": release("blue")}, Publish=True,
    )
    assert created["Version"] == "1" and created["FunctionArn"] == f"{arn}:1"
    assert lam.publish_version(FunctionName=name)["Version"] == "1", "nothing changed"
    lam.update_function_code(FunctionName=name, ZipFile=release("green"))
    sha = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
    two = lam.publish_version(FunctionName=name, CodeSha256=sha, Description="green")
    assert (two["Version"], two["Description"]) == ("2", "green")
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [(v["Version"], v["FunctionArn"]) for v in versions] == [
        ("$LATEST", f"{arn}:$LATEST"), ("1", f"{arn}:1"), ("2", f"{arn}:2"),
    ]
    assert invoked(lam, FunctionName=name, Qualifier="1") == ({"release": "blue", "version": "1"}, "1")
    assert invoked(lam, FunctionName=f"{arn}:2") == ({"release": "green", "version": "2"}, "2")

    alias = lam.create_alias(
        FunctionName=name, Name="live", FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    assert alias["AliasArn"] == f"{arn}:live"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    ran = Counter()
    for _ in range(40):
        body, version = invoked(lam, FunctionName=name, Qualifier="live")
        assert body["version"] == version and body["release"] == {"1": "blue", "2": "green"}[version]
        ran[version] += 1
    assert set(ran) == {"1", "2"}, ran

    promoted = lam.update_alias(
        FunctionName=name, Name="live", FunctionVersion="2", RoutingConfig={}, RevisionId=alias["RevisionId"]
    )
    assert promoted["FunctionVersion"] == "2" and "RoutingConfig" not in promoted
    assert {invoked(lam, FunctionName=f"{name}:live")[1] for _ in range(5)} == {"2"}
    assert lam.get_alias(FunctionName=name, Name="live")["RevisionId"] == promoted["RevisionId"]
    configuration = lam.get_function(FunctionName=name, Qualifier="live")["Configuration"]
    assert (configuration["Version"], configuration["FunctionArn"]) == ("2", f"{arn}:live")
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    assert lam.list_aliases(FunctionName=name, FunctionVersion="1")["Aliases"] == []

    # What AWS refuses.
    refusals = [
        (lam.update_alias, dict(Name="live", Description="x", RevisionId=alias["RevisionId"]), "PreconditionFailedException"),
        (lam.create_alias, dict(Name="live", FunctionVersion="1"), "ResourceConflictException"),
        (lam.create_alias, dict(Name="ghost", FunctionVersion="7"), "ResourceNotFoundException"),
        (lam.create_alias, dict(Name="42", FunctionVersion="1"), "ValidationException"),
        (
            lam.create_alias,
            dict(Name="two", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "1": 0.1}}),
            "InvalidParameterValueException",
        ),
        (lam.get_alias, dict(Name="ghost"), "ResourceNotFoundException"),
        (lam.publish_version, dict(CodeSha256="stale"), "InvalidParameterValueException"),
        (lam.delete_function, dict(Qualifier="2"), "ResourceConflictException"),
        (lam.delete_function, dict(Qualifier="$LATEST"), "InvalidParameterValueException"),
        (lam.invoke, dict(Qualifier="9"), "ResourceNotFoundException"),
    ]
    for call, kwargs, code in refusals:
        assert code_of(call, FunctionName=name, **kwargs) == code, (call, kwargs)

    # The alias has a resource policy of its own, on its own ARN.
    statement = json.loads(
        lam.add_permission(
            FunctionName=name, Qualifier="live", StatementId="events", Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
        )["Statement"]
    )
    assert statement["Resource"] == f"{arn}:live"
    (listed,) = json.loads(lam.get_policy(FunctionName=name, Qualifier="live")["Policy"])["Statement"]
    assert listed["Sid"] == "events"
    assert code_of(lam.get_policy, FunctionName=name) == "ResourceNotFoundException"
    lam.remove_permission(FunctionName=name, Qualifier="live", StatementId="events")
    assert code_of(
        lam.add_permission, FunctionName=name, Qualifier="$LATEST", StatementId="s",
        Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
    ) == "InvalidParameterValueException"
    assert code_of(
        lam.update_function_configuration, FunctionName=f"{name}:1", Timeout=9
    ) == "InvalidParameterValueException"

    every = lam.list_functions(FunctionVersion="ALL")["Functions"]
    assert [f["Version"] for f in every if f["FunctionName"] == name] == ["$LATEST", "1", "2"]

    lam.delete_function(FunctionName=name, Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "2"]
    lam.delete_alias(FunctionName=name, Name="live")
    lam.delete_alias(FunctionName=name, Name="live")  # gone already: still a success
    lam.delete_function(FunctionName=name)
    assert code_of(lam.list_versions_by_function, FunctionName=name) == "ResourceNotFoundException"


def test_versions_and_aliases_cli(lam, aws, role, tmp_path, uid):
    name = f"cli-{uid}"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="index.handler", Role=role,
        Code={"ZipFile": release("blue")},
    )
    rc, out, err = aws("lambda", "publish-version", "--function-name", name, "--description", "first")
    assert rc == 0 and out["Version"] == "1" and out["Description"] == "first", err
    lam.update_function_code(FunctionName=name, ZipFile=release("green"), Publish=True)
    rc, out, err = aws("lambda", "list-versions-by-function", "--function-name", name)
    assert rc == 0 and [v["Version"] for v in out["Versions"]] == ["$LATEST", "1", "2"], err
    rc, out, err = aws(
        "lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1",
        "--routing-config", "AdditionalVersionWeights={2=0.25}",
    )
    assert rc == 0 and out["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.25}, err
    rc, out, err = aws("lambda", "get-alias", "--function-name", name, "--name", "live")
    assert rc == 0 and out["FunctionVersion"] == "1", err
    rc, out, err = aws(
        "lambda", "update-alias", "--function-name", name, "--name", "live", "--function-version", "2",
        "--routing-config", "AdditionalVersionWeights={}",
    )
    assert rc == 0 and out["FunctionVersion"] == "2" and "RoutingConfig" not in out, err
    rc, out, err = aws("lambda", "list-aliases", "--function-name", name)
    assert rc == 0 and [(a["Name"], a["FunctionVersion"]) for a in out["Aliases"]] == [("live", "2")], err
    rc, out, err = aws("lambda", "get-function-configuration", "--function-name", name, "--qualifier", "1")
    assert rc == 0 and out["Version"] == "1", err
    rc, out, err = aws(
        "lambda", "add-permission", "--function-name", name, "--qualifier", "live", "--statement-id", "events",
        "--action", "lambda:InvokeFunction", "--principal", "events.amazonaws.com",
    )
    assert rc == 0 and json.loads(out["Statement"])["Resource"].endswith(f":{name}:live"), err
    rc, out, err = aws("lambda", "get-policy", "--function-name", name, "--qualifier", "live")
    assert rc == 0 and json.loads(out["Policy"])["Statement"][0]["Sid"] == "events", err
    rc, _, err = aws("lambda", "remove-permission", "--function-name", name, "--qualifier", "live", "--statement-id", "events")
    assert rc == 0, err
    rc, out, err = aws("lambda", "list-functions", "--function-version", "ALL")
    assert rc == 0 and [f["Version"] for f in out["Functions"] if f["FunctionName"] == name] == ["$LATEST", "1", "2"], err

    result = tmp_path / "out.json"
    rc, out, err = aws(
        "lambda", "invoke", "--function-name", name, "--qualifier", "live", "--payload", "{}", str(result),
    )
    assert rc == 0 and out["ExecutedVersion"] == "2", err
    assert json.loads(result.read_text()) == {"release": "green", "version": "2"}

    rc, _, err = aws("lambda", "get-alias", "--function-name", name, "--name", "ghost")
    assert rc != 0 and "ResourceNotFoundException" in err, err
    rc, _, err = aws("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1")
    assert rc != 0 and "ResourceConflictException" in err, err
    rc, _, err = aws("lambda", "delete-function", "--function-name", name, "--qualifier", "2")
    assert rc != 0 and "ResourceConflictException" in err, err
    rc, _, err = aws("lambda", "delete-alias", "--function-name", name, "--name", "live")
    assert rc == 0, err
    rc, _, err = aws("lambda", "delete-function", "--function-name", name, "--qualifier", "2")
    assert rc == 0, err
    rc, out, err = aws("lambda", "list-versions-by-function", "--function-name", name)
    assert rc == 0 and [v["Version"] for v in out["Versions"]] == ["$LATEST", "1"], err
    lam.delete_function(FunctionName=name)


PLAYBOOK = textwrap.dedent(
    """\
    - hosts: localhost
      connection: local
      gather_facts: false
      tasks:
        - amazon.aws.lambda:
            name: "{{ fn_name }}"
            runtime: python3.12
            handler: index.handler
            role: "{{ role }}"
            zip_file: "{{ zip }}"
          register: function
        # An unchanged function publishes nothing and the module answers
        # with $LATEST: the newest published version is read back instead.
        - amazon.aws.lambda_info:
            name: "{{ fn_name }}"
            query: versions
          register: published
        - amazon.aws.lambda_alias:
            function_name: "{{ fn_name }}"
            name: live
            function_version: >-
              {{ published.functions[0].versions | map(attribute='version')
              | reject('equalto', '$LATEST') | map('int') | max }}
            description: the release users get
          register: live
        - amazon.aws.lambda_alias:
            function_name: "{{ fn_name }}"
            name: dev
            description: always the newest code
          register: dev
        - amazon.aws.lambda_policy:
            function_name: "{{ fn_name }}"
            alias: live
            statement_id: events
            action: lambda:InvokeFunction
            principal: events.amazonaws.com
            state: present
          register: permission
        - amazon.aws.lambda_info:
            name: "{{ fn_name }}"
            query: all
          register: info
        - ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'changed': {'function': function.changed, 'live': live.changed, 'dev': dev.changed,
              'permission': permission.changed},
              'version': function.configuration.version, 'live': live.function_version,
              'dev': dev.function_version,
              'versions': info.functions[0].versions | map(attribute='version') | list,
              'aliases': info.functions[0].aliases | map(attribute='name') | list} | to_json }}
    """
)


def test_ansible_publishes_versions_and_moves_an_alias(endpoint, role, lam, tmp_path, uid):
    name = f"ansible-{uid}"
    package = tmp_path / "release.zip"

    def deploy(code):
        package.write_bytes(release(code))
        return ansible_result(endpoint, tmp_path, PLAYBOOK, fn_name=name, role=role, zip=package)

    first = deploy("blue")
    # The module creates with Publish: version 1, which live points at.
    assert all(first["changed"].values()), first
    assert (first["version"], first["live"], first["dev"]) == ("1", "1", "$LATEST")
    assert first["versions"] == ["$LATEST", "1"] and first["aliases"] == ["dev", "live"]

    again = deploy("blue")
    assert not any(again["changed"].values()), again

    # New code: the module publishes version 2 and live follows it.
    second = deploy("green")
    assert second["changed"] == {"function": True, "live": True, "dev": False, "permission": False}, second
    assert (second["version"], second["live"]) == ("2", "2")
    assert second["versions"] == ["$LATEST", "1", "2"]
    assert invoked(lam, FunctionName=name, Qualifier="live") == ({"release": "green", "version": "2"}, "2")
    assert invoked(lam, FunctionName=name, Qualifier="1")[0]["release"] == "blue"
    # The permission is the alias's own, which the function does not share.
    (statement,) = json.loads(lam.get_policy(FunctionName=name, Qualifier="live")["Policy"])["Statement"]
    assert statement["Resource"].endswith(f":function:{name}:live")
    with pytest.raises(ClientError) as unqualified:
        lam.get_policy(FunctionName=name)
    assert error_code(unqualified.value) == "ResourceNotFoundException"
    lam.delete_function(FunctionName=name)
