"""EC2 launch templates through boto3 and the AWS CLI (ec2Query): versions,
`$Latest`/`$Default`, `SourceVersion`, ModifyLaunchTemplate, deletes, tags,
paging, and EC2's error codes, each checked to change nothing."""

import json

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code, http_status

AL2023 = "ami-0ba11a5700a023086"
AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
DEFAULT_SG = "sg-0ba11a57000000000"
SUBNET_A = "subnet-0ba11a57000000001"


def expect_error(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        fn(*args, **kwargs)
    assert error_code(info.value) == code, info.value
    return info.value


FULL_DATA = {
    "ImageId": f"resolve:ssm:{AL2023_PARAMETER}",
    "InstanceType": "t3.micro",
    "KeyName": "deployer",
    "UserData": "IyEvYmluL3NoCmVjaG8gaGk=",
    "IamInstanceProfile": {"Arn": "arn:aws:iam::000000000000:instance-profile/web"},
    "SecurityGroupIds": [DEFAULT_SG],
    "TagSpecifications": [
        {"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "web"}]},
        {"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": "daily"}]},
    ],
    "MetadataOptions": {
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 2,
        "HttpEndpoint": "enabled",
        "InstanceMetadataTags": "disabled",
    },
    "Placement": {"AvailabilityZone": "us-east-1b"},
    "Monitoring": {"Enabled": False},
    "DisableApiTermination": False,
    "InstanceInitiatedShutdownBehavior": "stop",
    "BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "DeleteOnTermination": True}}
    ],
}


def versions_of(ec2, **kwargs):
    return [v["VersionNumber"] for v in ec2.describe_launch_template_versions(**kwargs)["LaunchTemplateVersions"]]


def snapshot(ec2, names):
    """What errors must leave alone: each template's versions and numbers."""
    out = {}
    for page in ec2.get_paginator("describe_launch_templates").paginate():
        for t in page["LaunchTemplates"]:
            if t["LaunchTemplateName"] in names:
                out[t["LaunchTemplateName"]] = (
                    t["LatestVersionNumber"],
                    t["DefaultVersionNumber"],
                    versions_of(ec2, LaunchTemplateId=t["LaunchTemplateId"]),
                )
    return out


# --------------------------------------------------------------------------- boto3


def test_create_describe_round_trips_every_member(ec2, uid):
    name = f"web-{uid}"
    created = ec2.create_launch_template(
        LaunchTemplateName=name,
        VersionDescription="first",
        LaunchTemplateData=FULL_DATA,
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": uid}]}],
    )["LaunchTemplate"]
    lt_id = created["LaunchTemplateId"]
    assert lt_id.startswith("lt-") and len(lt_id) == 20
    assert created["LaunchTemplateName"] == name
    assert (created["DefaultVersionNumber"], created["LatestVersionNumber"]) == (1, 1)
    assert created["CreatedBy"] == "arn:aws:iam::000000000000:root"
    assert created["Tags"] == [{"Key": "team", "Value": uid}]

    version = ec2.describe_launch_template_versions(LaunchTemplateId=lt_id, Versions=["1"])["LaunchTemplateVersions"][0]
    assert version["LaunchTemplateData"] == FULL_DATA
    assert version["VersionDescription"] == "first" and version["DefaultVersion"] is True
    resolved = ec2.describe_launch_template_versions(LaunchTemplateName=name, ResolveAlias=True)
    assert resolved["LaunchTemplateVersions"][0]["LaunchTemplateData"]["ImageId"] == AL2023

    by_tag = ec2.describe_launch_templates(Filters=[{"Name": "tag:team", "Values": [uid]}])["LaunchTemplates"]
    assert [t["LaunchTemplateId"] for t in by_tag] == [lt_id]
    by_name = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [f"*-{uid}"]}])
    assert [t["LaunchTemplateName"] for t in by_name["LaunchTemplates"]] == [name]
    ec2.create_tags(Resources=[lt_id], Tags=[{"Key": "env", "Value": "prod"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [lt_id]}])["Tags"]
    assert [(t["ResourceType"], t["Key"]) for t in tags] == [("launch-template", "env"), ("launch-template", "team")]
    ec2.delete_tags(Resources=[lt_id], Tags=[{"Key": "env"}])
    assert ec2.describe_launch_templates(LaunchTemplateIds=[lt_id])["LaunchTemplates"][0]["Tags"] == [{"Key": "team", "Value": uid}]


def test_versions_overlay_default_and_latest(ec2, uid):
    name = f"app-{uid}"
    lt_id = ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": AL2023, "InstanceType": "t3.micro", "KeyName": "deployer"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    v2 = ec2.create_launch_template_version(
        LaunchTemplateName=name, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.large"}
    )["LaunchTemplateVersion"]
    assert v2["VersionNumber"] == 2 and v2["DefaultVersion"] is False
    assert v2["LaunchTemplateData"] == {"ImageId": AL2023, "InstanceType": "t3.large", "KeyName": "deployer"}
    v3 = ec2.create_launch_template_version(LaunchTemplateId=lt_id, LaunchTemplateData={"InstanceType": "t3.nano"})
    assert v3["LaunchTemplateVersion"]["LaunchTemplateData"] == {"InstanceType": "t3.nano"}

    assert versions_of(ec2, LaunchTemplateId=lt_id) == [3, 2, 1]
    assert versions_of(ec2, LaunchTemplateId=lt_id, Versions=["$Latest", "$Default"]) == [3, 1]
    assert versions_of(ec2, LaunchTemplateName=name, MinVersion="2") == [3, 2]
    assert versions_of(ec2, LaunchTemplateName=name, MaxVersion="2") == [2, 1]
    pages = list(
        ec2.get_paginator("describe_launch_template_versions").paginate(
            LaunchTemplateId=lt_id, PaginationConfig={"PageSize": 1}
        )
    )
    assert [v["VersionNumber"] for p in pages for v in p["LaunchTemplateVersions"]] == [3, 2, 1]

    modified = ec2.modify_launch_template(LaunchTemplateId=lt_id, DefaultVersion="2")["LaunchTemplate"]
    assert (modified["DefaultVersionNumber"], modified["LatestVersionNumber"]) == (2, 3)
    assert versions_of(ec2, LaunchTemplateId=lt_id, Versions=["$Default"]) == [2]
    flags = {
        v["VersionNumber"]: v["DefaultVersion"]
        for v in ec2.describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]
    }
    assert flags == {1: False, 2: True, 3: False}
    across = ec2.describe_launch_template_versions(Versions=["$Default"])["LaunchTemplateVersions"]
    assert [(v["LaunchTemplateName"], v["VersionNumber"]) for v in across if v["LaunchTemplateName"] == name] == [(name, 2)]


def test_deletes(ec2, uid):
    name = f"gone-{uid}"
    lt_id = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": AL2023})["LaunchTemplate"][
        "LaunchTemplateId"
    ]
    for instance_type in ["t3.small", "t3.medium"]:
        ec2.create_launch_template_version(LaunchTemplateId=lt_id, LaunchTemplateData={"InstanceType": instance_type})
    out = ec2.delete_launch_template_versions(LaunchTemplateId=lt_id, Versions=["1", "3", "7"])
    assert [(d["LaunchTemplateId"], d["VersionNumber"]) for d in out["SuccessfullyDeletedLaunchTemplateVersions"]] == [(lt_id, 3)]
    refused = {e["VersionNumber"]: e["ResponseError"]["Code"] for e in out["UnsuccessfullyDeletedLaunchTemplateVersions"]}
    assert refused == {1: "unexpectedError", 7: "launchTemplateVersionDoesNotExist"}
    assert ec2.describe_launch_templates(LaunchTemplateIds=[lt_id])["LaunchTemplates"][0]["LatestVersionNumber"] == 2
    nxt = ec2.create_launch_template_version(LaunchTemplateId=lt_id, LaunchTemplateData={"InstanceType": "t3.large"})
    assert nxt["LaunchTemplateVersion"]["VersionNumber"] == 4

    deleted = ec2.delete_launch_template(LaunchTemplateName=name)["LaunchTemplate"]
    assert deleted["LaunchTemplateId"] == lt_id
    expect_error("InvalidLaunchTemplateName.NotFoundException", ec2.describe_launch_templates, LaunchTemplateNames=[name])
    expect_error("InvalidLaunchTemplateId.NotFound", ec2.describe_launch_template_versions, LaunchTemplateId=lt_id)
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [lt_id]}])["Tags"] == []
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": AL2023})


def test_errors_change_nothing(ec2, uid):
    name = f"keep-{uid}"
    lt_id = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": AL2023})["LaunchTemplate"][
        "LaunchTemplateId"
    ]
    tried = [name, f"bad name {uid}!", f"dry-{uid}", f"both-{uid}", f"hops-{uid}"]
    before = snapshot(ec2, tried)

    e = expect_error(
        "InvalidLaunchTemplateName.AlreadyExistsException",
        ec2.create_launch_template, LaunchTemplateName=name, LaunchTemplateData={"ImageId": AL2023},
    )
    assert e.response["Error"]["Message"] == "Launch template name already in use."
    expect_error(
        "InvalidLaunchTemplateName.MalformedException",
        ec2.create_launch_template, LaunchTemplateName=f"bad name {uid}!", LaunchTemplateData={"ImageId": AL2023},
    )
    expect_error(
        "InvalidParameterCombination", ec2.create_launch_template, LaunchTemplateName=f"both-{uid}",
        LaunchTemplateData={"IamInstanceProfile": {"Arn": "arn:aws:iam::000000000000:instance-profile/p", "Name": "p"}},
    )
    expect_error(
        "InvalidParameterValue", ec2.create_launch_template, LaunchTemplateName=f"hops-{uid}",
        LaunchTemplateData={"MetadataOptions": {"HttpPutResponseHopLimit": 100}},
    )
    e = expect_error("DryRunOperation", ec2.create_launch_template, LaunchTemplateName=f"dry-{uid}", LaunchTemplateData={"ImageId": AL2023}, DryRun=True)
    assert http_status(e) == 412
    e = expect_error("InvalidLaunchTemplateName.NotFoundException", ec2.describe_launch_template_versions, LaunchTemplateName=f"missing-{uid}")
    assert e.response["Error"]["Message"] == f"The specified launch template, with template name missing-{uid}, does not exist."
    e = expect_error("InvalidLaunchTemplateId.NotFound", ec2.describe_launch_template_versions, LaunchTemplateId="lt-07ff4bb0369cd679c")
    assert e.response["Error"]["Message"] == "The specified launch template, with template ID lt-07ff4bb0369cd679c, does not exist."
    e = expect_error("InvalidLaunchTemplateId.VersionNotFound", ec2.describe_launch_template_versions, LaunchTemplateName=name, Versions=["3"])
    assert e.response["Error"]["Message"] == f"Could not find the specified version 3 for the launch template with ID {lt_id}."
    e = expect_error("InvalidLaunchTemplateId.VersionNotFound", ec2.modify_launch_template, LaunchTemplateName=name, DefaultVersion="2")
    assert e.response["Error"]["Message"] == "The launch template version 2 is not found for the specified launch template."
    e = expect_error("InvalidParameterCombination", ec2.modify_launch_template, LaunchTemplateId="template_n", LaunchTemplateName=name, DefaultVersion="2")
    assert e.response["Error"]["Message"] == "Either provide launch template ID or launch template name to modify the template."
    expect_error("InvalidLaunchTemplateId.Malformed", ec2.delete_launch_template, LaunchTemplateId="lt-what")
    expect_error("MissingParameter", ec2.delete_launch_template)
    expect_error("InvalidLaunchTemplateId.VersionNotFound", ec2.create_launch_template_version, LaunchTemplateId=lt_id, SourceVersion="9", LaunchTemplateData={"ImageId": AL2023})
    e = expect_error("MissingParameter", ec2.describe_launch_template_versions)
    assert e.response["Error"]["Message"].startswith("To describe the launch template data for all your launch templates")
    expect_error("InvalidParameterValue", ec2.describe_launch_template_versions, Versions=["1"])
    expect_error("InvalidLaunchTemplateName.NotFoundException", ec2.describe_launch_templates, LaunchTemplateNames=[name, f"missing-{uid}"])
    expect_error("DryRunOperation", ec2.delete_launch_template, LaunchTemplateId=lt_id, DryRun=True)
    expect_error("DryRunOperation", ec2.delete_launch_template_versions, LaunchTemplateId=lt_id, Versions=["1"], DryRun=True)

    assert snapshot(ec2, tried) == before


def test_describe_launch_templates_pages(ec2, uid):
    names = [f"page{i}-{uid}" for i in range(5)]
    for n in names:
        ec2.create_launch_template(LaunchTemplateName=n, LaunchTemplateData={"InstanceType": "t3.micro"})
    pages = list(
        ec2.get_paginator("describe_launch_templates").paginate(
            Filters=[{"Name": "launch-template-name", "Values": [f"page*-{uid}"]}], PaginationConfig={"PageSize": 2}
        )
    )
    assert len(pages) == 3
    assert [t["LaunchTemplateName"] for p in pages for t in p["LaunchTemplates"]] == names


# --------------------------------------------------------------------------- AWS CLI


def test_cli_launch_templates(aws, uid):
    name = f"cli-{uid}"
    data = json.dumps({"ImageId": AL2023, "InstanceType": "t3.micro", "SecurityGroupIds": [DEFAULT_SG]})
    rc, out, err = aws(
        "ec2", "create-launch-template", "--launch-template-name", name, "--version-description", "v1",
        "--launch-template-data", data,
        "--tag-specifications", f"ResourceType=launch-template,Tags=[{{Key=owner,Value={uid}}}]",
    )
    assert rc == 0, err
    lt_id = out["LaunchTemplate"]["LaunchTemplateId"]
    assert out["LaunchTemplate"]["Tags"] == [{"Key": "owner", "Value": uid}]

    rc, out, err = aws(
        "ec2", "create-launch-template-version", "--launch-template-id", lt_id, "--source-version", "1",
        "--launch-template-data", json.dumps({"InstanceType": "t3.large"}),
    )
    assert rc == 0, err
    assert out["LaunchTemplateVersion"]["LaunchTemplateData"] == {
        "ImageId": AL2023, "InstanceType": "t3.large", "SecurityGroupIds": [DEFAULT_SG]
    }
    rc, out, err = aws("ec2", "describe-launch-template-versions", "--launch-template-name", name, "--versions", "$Latest", "$Default")
    assert rc == 0, err
    assert [v["VersionNumber"] for v in out["LaunchTemplateVersions"]] == [2, 1]
    rc, out, err = aws("ec2", "modify-launch-template", "--launch-template-id", lt_id, "--default-version", "2")
    assert rc == 0, err
    assert out["LaunchTemplate"]["DefaultVersionNumber"] == 2
    rc, out, err = aws("ec2", "delete-launch-template-versions", "--launch-template-id", lt_id, "--versions", "2")
    assert rc == 0, err
    assert out["UnsuccessfullyDeletedLaunchTemplateVersions"][0]["ResponseError"]["Code"] == "unexpectedError"
    rc, out, err = aws("ec2", "describe-launch-templates", "--filters", f"Name=tag:owner,Values={uid}")
    assert rc == 0, err
    assert [t["LaunchTemplateName"] for t in out["LaunchTemplates"]] == [name]

    rc, out, err = aws("ec2", "create-launch-template", "--launch-template-name", name, "--launch-template-data", data)
    assert rc != 0 and "InvalidLaunchTemplateName.AlreadyExistsException" in err
    rc, out, err = aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt_id, "--versions", "9")
    assert rc != 0 and "InvalidLaunchTemplateId.VersionNotFound" in err
    rc, out, err = aws("ec2", "delete-launch-template", "--launch-template-name", name)
    assert rc == 0, err
    rc, out, err = aws("ec2", "delete-launch-template", "--launch-template-name", name)
    assert rc != 0 and "InvalidLaunchTemplateName.NotFoundException" in err
