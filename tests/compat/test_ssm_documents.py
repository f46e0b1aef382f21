"""SSM documents through boto3 and the AWS CLI (awsJson1.1).

Names carry a unique suffix, so tests are independent of each other and of
the session's shared server. Error cases check the exact code AWS returns
and that a rejected call stored nothing.
"""

import json

import pytest
from botocore.exceptions import ClientError

from ballast_compat import REGION, error_code, http_status

COMMAND = json.dumps(
    {
        "schemaVersion": "2.2",
        "description": "Write a marker file",
        "parameters": {
            "path": {"type": "String", "default": "/tmp/marker", "allowedPattern": "^/[a-z/]+$"},
            "lines": {"type": "StringList", "default": ["a", "b"]},
        },
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "write",
                "inputs": {"runCommand": ["printf '%s\\n' {{ lines }} > {{ path }}"]},
            }
        ],
    },
    indent=2,
)

YAML = """schemaVersion: '2.2'
description: Say hello
parameters:
  who:
    type: String
    default: world
mainSteps:
  - action: aws:runShellScript
    name: hello
    inputs:
      runCommand:
        - echo hello {{ who }}
"""

RUNBOOK = json.dumps(
    {
        "schemaVersion": "0.3",
        "description": "Wait, then stop",
        "parameters": {"InstanceId": {"type": "String"}},
        "mainSteps": [
            {"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}},
            {
                "name": "stop",
                "action": "aws:changeInstanceState",
                "inputs": {"InstanceIds": ["{{ InstanceId }}"], "DesiredState": "stopped"},
            },
        ],
    }
)


def expect_error(code, call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    assert error_code(e.value) == code, e.value.response
    assert http_status(e.value) == 400
    return e.value.response["Error"]["Message"]


# --------------------------------------------------------------------------- create / describe / get


def test_create_describe_and_get(ssm, uid, account_id):
    name = f"compat-{uid}"
    d = ssm.create_document(
        Name=name,
        Content=COMMAND,
        DocumentType="Command",
        VersionName="first",
        Tags=[{"Key": "team", "Value": "web"}],
    )["DocumentDescription"]
    assert d["Name"] == name
    assert d["Owner"] == account_id
    assert d["Status"] == "Active"
    assert d["DocumentVersion"] == d["LatestVersion"] == d["DefaultVersion"] == "1"
    assert d["SchemaVersion"] == "2.2"
    assert d["DocumentFormat"] == "JSON"
    assert d["HashType"] == "Sha256" and len(d["Hash"]) == 64
    assert d["PlatformTypes"] == ["Linux", "MacOS"]
    assert d["Tags"] == [{"Key": "team", "Value": "web"}]
    assert [(p["Name"], p["Type"], p.get("DefaultValue")) for p in d["Parameters"]] == [
        ("path", "String", "/tmp/marker"),
        ("lines", "StringList", '["a","b"]'),
    ]

    got = ssm.get_document(Name=name)
    assert got["Content"] == COMMAND
    assert got["DocumentType"] == "Command"
    assert got["VersionName"] == "first"

    as_yaml = ssm.get_document(Name=name, DocumentFormat="YAML")
    assert as_yaml["DocumentFormat"] == "YAML"
    assert "schemaVersion: '2.2'" in as_yaml["Content"]

    arn = f"arn:aws:ssm:{REGION}:{account_id}:document/{name}"
    assert ssm.describe_document(Name=arn)["Document"]["Name"] == name


def test_yaml_documents_convert_to_json(ssm, uid):
    name = f"compat-yaml-{uid}"
    ssm.create_document(Name=name, Content=YAML, DocumentFormat="YAML")
    got = ssm.get_document(Name=name)
    assert got["DocumentFormat"] == "YAML" and got["Content"] == YAML
    as_json = json.loads(ssm.get_document(Name=name, DocumentFormat="JSON")["Content"])
    assert as_json["mainSteps"][0]["inputs"]["runCommand"] == ["echo hello {{ who }}"]


def test_automation_runbooks_are_stored(ssm, uid):
    name = f"compat-runbook-{uid}"
    d = ssm.create_document(Name=name, Content=RUNBOOK, DocumentType="Automation")["DocumentDescription"]
    assert d["DocumentType"] == "Automation"
    assert d["SchemaVersion"] == "0.3"
    bad = RUNBOOK.replace("aws:sleep", "aws:nap")
    expect_error("InvalidDocumentContent", ssm.create_document, Name=f"{name}-bad", Content=bad, DocumentType="Automation")


def test_create_errors_store_nothing(ssm, uid):
    name = f"compat-err-{uid}"
    ssm.create_document(Name=name, Content=COMMAND)
    msg = expect_error("DocumentAlreadyExists", ssm.create_document, Name=name, Content=COMMAND)
    assert msg == f"Document with same name {name} already exists"
    msg = expect_error("InvalidDocumentContent", ssm.create_document, Name=f"{name}-json", Content='{"schemaVersion": ')
    assert msg.startswith("JSON not well-formed. at Line: 1, Column: ")
    msg = expect_error(
        "InvalidDocumentContent", ssm.create_document, Name=f"{name}-yaml", Content="a: [1\nb: 2", DocumentFormat="YAML"
    )
    assert msg.startswith("YAML not well-formed. at Line: ")
    expect_error("InvalidDocumentContent", ssm.create_document, Name=f"{name}-steps", Content='{"schemaVersion": "2.2"}')
    expect_error(
        "InvalidDocumentSchemaVersion",
        ssm.create_document,
        Name=f"{name}-schema",
        Content=RUNBOOK,
        DocumentType="Command",
    )
    expect_error("ValidationException", ssm.create_document, Name="AWS-Mine", Content=COMMAND)
    expect_error("ValidationException", ssm.create_document, Name="no spaces allowed", Content=COMMAND)
    for suffix in ["json", "yaml", "steps", "schema"]:
        expect_error("InvalidDocument", ssm.describe_document, Name=f"{name}-{suffix}")


# --------------------------------------------------------------------------- versions


def test_versions_default_and_delete(ssm, uid):
    name = f"compat-ver-{uid}"
    ssm.create_document(Name=name, Content=COMMAND, VersionName="v1")
    expect_error("DuplicateDocumentContent", ssm.update_document, Name=name, Content=COMMAND, DocumentVersion="$LATEST")
    second = COMMAND.replace("Write a marker file", "Write another marker")
    expect_error("InvalidDocumentVersion", ssm.update_document, Name=name, Content=second, DocumentVersion="5")
    expect_error("DuplicateDocumentVersionName", ssm.update_document, Name=name, Content=second, VersionName="v1")
    expect_error("InvalidDocument", ssm.update_document, Name=f"{name}-missing", Content=second)
    d = ssm.update_document(Name=name, Content=second, DocumentVersion="$LATEST", VersionName="v2")["DocumentDescription"]
    assert (d["DocumentVersion"], d["LatestVersion"], d["DefaultVersion"]) == ("2", "2", "1")

    assert ssm.describe_document(Name=name)["Document"]["Description"] == "Write a marker file"
    assert ssm.describe_document(Name=name, DocumentVersion="$LATEST")["Document"]["Description"] == "Write another marker"
    assert ssm.get_document(Name=name, VersionName="v2")["DocumentVersion"] == "2"
    expect_error("InvalidDocumentVersion", ssm.get_document, Name=name, DocumentVersion="9")

    versions = ssm.list_document_versions(Name=name)["DocumentVersions"]
    assert [(v["DocumentVersion"], v["IsDefaultVersion"], v.get("VersionName")) for v in versions] == [
        ("1", True, "v1"),
        ("2", False, "v2"),
    ]
    pages = list(ssm.get_paginator("list_document_versions").paginate(Name=name, PaginationConfig={"PageSize": 1}))
    assert [p["DocumentVersions"][0]["DocumentVersion"] for p in pages] == ["1", "2"]

    expect_error("InvalidDocumentVersion", ssm.update_document_default_version, Name=name, DocumentVersion="3")
    moved = ssm.update_document_default_version(Name=name, DocumentVersion="2")["Description"]
    assert moved == {"Name": name, "DefaultVersion": "2", "DefaultVersionName": "v2"}

    expect_error("InvalidDocumentOperation", ssm.delete_document, Name=name, DocumentVersion="2")
    ssm.delete_document(Name=name, DocumentVersion="1")
    expect_error("InvalidDocumentVersion", ssm.describe_document, Name=name, DocumentVersion="1")
    ssm.delete_document(Name=name)
    expect_error("InvalidDocument", ssm.get_document, Name=name)
    expect_error("InvalidDocument", ssm.delete_document, Name=name)


# --------------------------------------------------------------------------- Amazon's documents, listing


def test_amazon_documents(ssm):
    d = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert d["Owner"] == "Amazon"
    assert d["DocumentType"] == "Command"
    params = {p["Name"]: p for p in d["Parameters"]}
    assert list(params) == ["commands", "workingDirectory", "executionTimeout"]
    assert params["commands"]["Type"] == "StringList"
    assert params["executionTimeout"]["DefaultValue"] == "3600"
    assert params["workingDirectory"]["DefaultValue"] == ""
    content = json.loads(ssm.get_document(Name="AWS-RunShellScript")["Content"])
    assert "([1-9][0-9]{0,4})" in content["parameters"]["executionTimeout"]["allowedPattern"]
    expect_error("InvalidDocumentOperation", ssm.delete_document, Name="AWS-RunShellScript")
    expect_error("InvalidDocumentOperation", ssm.update_document, Name="AWS-RunShellScript", Content=COMMAND)
    ssm.get_document(Name=f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript")


def names(ssm, **kwargs):
    out = []
    for page in ssm.get_paginator("list_documents").paginate(**kwargs):
        out.extend(d["Name"] for d in page["DocumentIdentifiers"])
    return out


def test_list_documents_filters_and_pages(ssm, uid):
    prefix = f"compat-list-{uid}"
    ssm.create_document(Name=f"{prefix}-a", Content=COMMAND, Tags=[{"Key": "env", "Value": "prod"}])
    ssm.create_document(Name=f"{prefix}-b", Content=YAML, DocumentFormat="YAML")
    ssm.create_document(Name=f"{prefix}-c", Content=RUNBOOK, DocumentType="Automation")

    mine = names(ssm, Filters=[{"Key": "Name", "Values": [prefix]}])
    assert mine == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    paged = names(ssm, Filters=[{"Key": "Name", "Values": [prefix]}], PaginationConfig={"PageSize": 1})
    assert paged == mine

    amazon = names(ssm, Filters=[{"Key": "Owner", "Values": ["Amazon"]}])
    assert "AWS-RunShellScript" in amazon and not any(n.startswith(prefix) for n in amazon)
    own = names(ssm, Filters=[{"Key": "Owner", "Values": ["Self"]}])
    assert set(mine) <= set(own) and "AWS-RunShellScript" not in own
    everything = names(ssm)
    assert set(mine) <= set(everything) and "AWS-RunShellScript" in everything

    runbooks = names(ssm, Filters=[{"Key": "DocumentType", "Values": ["Automation"]}, {"Key": "Name", "Values": [prefix]}])
    assert runbooks == [f"{prefix}-c"]
    tagged = names(ssm, Filters=[{"Key": "tag:env", "Values": ["prod"]}, {"Key": "Name", "Values": [prefix]}])
    assert tagged == [f"{prefix}-a"]
    legacy = names(ssm, DocumentFilterList=[{"key": "Owner", "value": "Amazon"}, {"key": "Name", "value": "AWS-RunShell"}])
    assert legacy == ["AWS-RunShellScript"]
    expect_error("InvalidFilterKey", ssm.list_documents, Filters=[{"Key": "Colour", "Values": ["red"]}])
    expect_error("InvalidNextToken", ssm.list_documents, NextToken="garbage")


# --------------------------------------------------------------------------- sharing, tags


def test_permissions(ssm, uid):
    name = f"compat-share-{uid}"
    ssm.create_document(Name=name, Content=COMMAND)
    assert ssm.describe_document_permission(Name=name, PermissionType="Share")["AccountIds"] == []
    ssm.modify_document_permission(
        Name=name, PermissionType="Share", AccountIdsToAdd=["111122223333"], SharedDocumentVersion="$LATEST"
    )
    shown = ssm.describe_document_permission(Name=name, PermissionType="Share")
    assert shown["AccountIds"] == ["111122223333"]
    assert shown["AccountSharingInfoList"] == [{"AccountId": "111122223333", "SharedDocumentVersion": "$LATEST"}]
    expect_error("InvalidDocumentOperation", ssm.delete_document, Name=name)
    expect_error(
        "DocumentPermissionLimit",
        ssm.modify_document_permission,
        Name=name,
        PermissionType="Share",
        AccountIdsToAdd=["all", "111122223333"],
    )
    expect_error(
        "ValidationException", ssm.modify_document_permission, Name=name, PermissionType="Share", AccountIdsToAdd=["12"]
    )
    ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToRemove=["111122223333"])
    assert ssm.describe_document_permission(Name=name, PermissionType="Share")["AccountIds"] == []
    ssm.delete_document(Name=name)
    expect_error("InvalidDocument", ssm.describe_document_permission, Name=name, PermissionType="Share")


def test_tags(ssm, uid):
    name = f"compat-tags-{uid}"
    ssm.create_document(Name=name, Content=COMMAND, Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(ResourceType="Document", ResourceId=name, Tags=[{"Key": "b", "Value": "2"}])
    tags = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"]
    assert tags == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    ssm.remove_tags_from_resource(ResourceType="Document", ResourceId=name, TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"] == [{"Key": "b", "Value": "2"}]
    expect_error("InvalidResourceId", ssm.list_tags_for_resource, ResourceType="Document", ResourceId=f"{name}-x")
    expect_error("InvalidResourceType", ssm.list_tags_for_resource, ResourceType="PatchBaseline", ResourceId="pb-012345")
    param = f"/compat/{uid}/tagged"
    ssm.put_parameter(Name=param, Value="v", Type="String")
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=param, Tags=[{"Key": "k", "Value": "v"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=param)["TagList"] == [{"Key": "k", "Value": "v"}]


# --------------------------------------------------------------------------- AWS CLI


def test_cli_document_lifecycle(aws, uid, tmp_path):
    name = f"compat-cli-{uid}"
    source = tmp_path / "doc.yaml"
    source.write_text(YAML)
    rc, out, err = aws(
        "ssm", "create-document", "--name", name, "--content", f"file://{source}", "--document-format", "YAML"
    )
    assert rc == 0, err
    assert out["DocumentDescription"]["DocumentFormat"] == "YAML"
    rc, out, err = aws("ssm", "get-document", "--name", name, "--document-format", "JSON")
    assert rc == 0, err
    assert json.loads(out["Content"])["parameters"]["who"]["default"] == "world"
    rc, out, err = aws("ssm", "list-documents", "--filters", "Key=Owner,Values=Amazon")
    assert rc == 0, err
    assert "AWS-RunShellScript" in [d["Name"] for d in out["DocumentIdentifiers"]]
    rc, out, err = aws("ssm", "describe-document", "--name", name)
    assert rc == 0, err
    assert out["Document"]["Parameters"] == [{"Name": "who", "Type": "String", "DefaultValue": "world"}]
    rc, out, err = aws("ssm", "delete-document", "--name", "AWS-RunShellScript")
    assert rc != 0 and "InvalidDocumentOperation" in err
    rc, out, err = aws("ssm", "delete-document", "--name", name)
    assert rc == 0, err
    rc, out, err = aws("ssm", "describe-document", "--name", name)
    assert rc != 0 and "InvalidDocument" in err
