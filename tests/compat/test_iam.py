"""IAM through boto3 and the AWS CLI (awsQuery).

botocore decodes the URL-encoded policy documents IAM returns into dicts, so
every document assertion here also checks Ballast's encoding. Error codes
and HTTP statuses follow the botocore IAM model (NoSuchEntity 404,
EntityAlreadyExists/DeleteConflict/LimitExceeded 409, the rest 400).
"""

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code, http_status, make_client, make_resource

ACCOUNT = "000000000000"

TRUST_EC2 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

READ_PARAMS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": "arn:aws:ssm:*:*:parameter/app/*",
        }
    ],
}


@pytest.fixture(scope="module")
def iam(endpoint):
    return make_client("iam", endpoint)


def expect_error(code, status, call, *args, **kwargs):
    with pytest.raises(ClientError) as exc_info:
        call(*args, **kwargs)
    assert error_code(exc_info.value) == code, exc_info.value.response
    assert http_status(exc_info.value) == status, exc_info.value.response
    return exc_info.value


def create_role(iam, name, **kwargs):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_EC2), **kwargs)["Role"]


def create_policy(iam, name, **kwargs):
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(READ_PARAMS), **kwargs)["Policy"]


def all_role_names(iam):
    names = []
    for page in iam.get_paginator("list_roles").paginate():
        names.extend(r["RoleName"] for r in page["Roles"])
    return names


# --------------------------------------------------------------------------- roles


def test_role_lifecycle(iam, uid):
    name = f"web-{uid}"
    role = create_role(
        iam,
        name,
        Path="/app/",
        Description="web tier",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "web"}],
    )
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/app/{name}"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["Path"] == "/app/"
    assert role["MaxSessionDuration"] == 7200
    # botocore decodes the URL-encoded document into a dict.
    assert role["AssumeRolePolicyDocument"] == TRUST_EC2

    got = iam.get_role(RoleName=name.upper())["Role"]
    assert got["RoleName"] == name
    assert got["AssumeRolePolicyDocument"] == TRUST_EC2
    assert got["Description"] == "web tier"
    assert got["Tags"] == [{"Key": "team", "Value": "web"}]
    assert got["CreateDate"] == role["CreateDate"]

    iam.update_role(RoleName=name, Description="changed", MaxSessionDuration=3600)
    got = iam.get_role(RoleName=name)["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("changed", 3600)

    iam.tag_role(RoleName=name, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ops"}])
    iam.untag_role(RoleName=name, TagKeys=["env"])
    tags = iam.list_role_tags(RoleName=name)
    assert tags["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert tags["IsTruncated"] is False

    listed = iam.list_roles(PathPrefix="/app/")["Roles"]
    assert [r["RoleName"] for r in listed] == [name]
    assert listed[0]["AssumeRolePolicyDocument"] == TRUST_EC2

    iam.delete_role(RoleName=name)
    expect_error("NoSuchEntity", 404, iam.get_role, RoleName=name)
    expect_error("NoSuchEntity", 404, iam.delete_role, RoleName=name)


def test_role_errors_leave_the_store_unchanged(iam, uid):
    before = all_role_names(iam)
    create_role(iam, f"dup-{uid}")
    expect_error("EntityAlreadyExists", 409, create_role, iam, f"DUP-{uid}")
    for document in [
        "not json",
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        ),
    ]:
        expect_error(
            "MalformedPolicyDocument",
            400,
            iam.create_role,
            RoleName=f"bad-{uid}",
            AssumeRolePolicyDocument=document,
        )
    expect_error("ValidationError", 400, create_role, iam, f"bad-{uid}", Path="nope")
    expect_error(
        "InvalidInput", 400, create_role, iam, f"bad-{uid}", Tags=[{"Key": "aws:reserved", "Value": "x"}]
    )
    assert sorted(all_role_names(iam)) == sorted(before + [f"dup-{uid}"])
    iam.delete_role(RoleName=f"dup-{uid}")


def test_unvalidated_inputs_reach_server_validation(endpoint, uid):
    raw = make_client("iam", endpoint, validate=False)
    expect_error("ValidationError", 400, raw.get_role, RoleName="has space")
    # Operations without an output are validated too, and \w is ASCII as in Java.
    expect_error("ValidationError", 400, raw.delete_role, RoleName="has space")
    expect_error("ValidationError", 400, raw.untag_role, RoleName="r\u00f4le", TagKeys=["k"])
    expect_error("ValidationError", 400, raw.list_roles, MaxItems=0)
    expect_error(
        "ValidationError",
        400,
        raw.create_role,
        RoleName=f"short-{uid}",
        AssumeRolePolicyDocument=json.dumps(TRUST_EC2),
        MaxSessionDuration=60,
    )


# ---------------------------------------------------------------- managed policies


def test_policy_versions(iam, uid):
    policy = create_policy(iam, f"read-{uid}", Path="/app/", Description="reads")
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/app/read-{uid}"
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0

    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads"
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == READ_PARAMS
    assert version["IsDefaultVersion"] is True

    changed = {**READ_PARAMS, "Statement": [{**READ_PARAMS["Statement"][0], "Resource": "*"}]}
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(changed), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == changed

    expect_error("DeleteConflict", 409, iam.delete_policy_version, PolicyArn=arn, VersionId="v2")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(READ_PARAMS))
    expect_error(
        "LimitExceeded", 409, iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(READ_PARAMS)
    )
    versions = [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]]
    assert versions == ["v5", "v4", "v3", "v2", "v1"]

    expect_error("DeleteConflict", 409, iam.delete_policy, PolicyArn=arn)
    for v in ["v2", "v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    expect_error("NoSuchEntity", 404, iam.get_policy_version, PolicyArn=arn, VersionId="v4")
    iam.delete_policy(PolicyArn=arn)
    expect_error("NoSuchEntity", 404, iam.get_policy, PolicyArn=arn)


def test_policy_errors(iam, uid):
    local_before = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    for document in [
        "{",
        json.dumps({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ssm:GetParameter"}}),
        json.dumps(
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}}
        ),
    ]:
        expect_error("MalformedPolicyDocument", 400, iam.create_policy, PolicyName=f"bad-{uid}", PolicyDocument=document)
    assert [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]] == local_before

    arn = create_policy(iam, f"dup-{uid}")["Arn"]
    expect_error("EntityAlreadyExists", 409, create_policy, iam, f"dup-{uid}")
    expect_error("InvalidInput", 400, iam.get_policy, PolicyArn="arn:aws:iam::000000000000:role/not-a-policy")
    expect_error("NoSuchEntity", 404, iam.get_policy, PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/nope-{uid}")
    expect_error("InvalidInput", 400, iam.delete_policy, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_policy(PolicyArn=arn)


def test_aws_managed_catalogue(iam):
    names = []
    for page in iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 5}):
        names.extend(p["PolicyName"] for p in page["Policies"])
    for name in [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "AmazonSSMManagedInstanceCore",
        "AmazonSSMReadOnlyAccess",
        "AmazonSSMFullAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AmazonEC2FullAccess",
        "ElasticLoadBalancingFullAccess",
        "ElasticLoadBalancingReadOnly",
        "AutoScalingFullAccess",
        "AutoScalingReadOnlyAccess",
    ]:
        assert name in names
    core = iam.get_policy_version(
        PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", VersionId="v1"
    )["PolicyVersion"]["Document"]
    actions = [a for s in core["Statement"] for a in s["Action"]]
    assert "ssmmessages:*" in actions
    ssm_role = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM")["Policy"]
    assert ssm_role["Path"] == "/service-role/"


# ------------------------------------------------------------------ role policies


def test_attached_and_inline_policies(iam, uid):
    role = f"app-{uid}"
    create_role(iam, role)
    own = create_policy(iam, f"own-{uid}")["Arn"]
    core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    iam.attach_role_policy(RoleName=role, PolicyArn=own)
    iam.attach_role_policy(RoleName=role, PolicyArn=core)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted([own, core])
    assert iam.get_policy(PolicyArn=own)["Policy"]["AttachmentCount"] == 1
    attached_arns = [p["Arn"] for p in iam.list_policies(OnlyAttached=True, Scope="Local")["Policies"]]
    assert own in attached_arns

    expect_error("NoSuchEntity", 404, iam.attach_role_policy, RoleName=role, PolicyArn="arn:aws:iam::aws:policy/Nope")
    expect_error("DeleteConflict", 409, iam.delete_policy, PolicyArn=own)
    expect_error("DeleteConflict", 409, iam.delete_role, RoleName=role)

    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=json.dumps(READ_PARAMS))
    inline = iam.get_role_policy(RoleName=role, PolicyName="inline")
    assert inline["PolicyDocument"] == READ_PARAMS
    assert inline["RoleName"] == role
    expect_error(
        "MalformedPolicyDocument",
        400,
        iam.put_role_policy,
        RoleName=role,
        PolicyName="broken",
        PolicyDocument=json.dumps({"Statement": {"Effect": "Allow", "Action": "ssm:*"}}),
    )
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["inline"]

    iam.detach_role_policy(RoleName=role, PolicyArn=own)
    iam.detach_role_policy(RoleName=role, PolicyArn=core)
    expect_error("NoSuchEntity", 404, iam.detach_role_policy, RoleName=role, PolicyArn=core)
    expect_error("DeleteConflict", 409, iam.delete_role, RoleName=role)
    iam.delete_role_policy(RoleName=role, PolicyName="inline")
    expect_error("NoSuchEntity", 404, iam.get_role_policy, RoleName=role, PolicyName="inline")
    iam.delete_role(RoleName=role)
    iam.delete_policy(PolicyArn=own)


# ------------------------------------------------------------- instance profiles


def test_instance_profiles(iam, uid):
    role, other, profile = f"ip-role-{uid}", f"ip-other-{uid}", f"ip-{uid}"
    create_role(iam, role)
    create_role(iam, other)
    created = iam.create_instance_profile(InstanceProfileName=profile, Tags=[{"Key": "k", "Value": "v"}])[
        "InstanceProfile"
    ]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/{profile}"
    assert created["InstanceProfileId"].startswith("AIPA")
    assert created["Roles"] == []
    expect_error("EntityAlreadyExists", 409, iam.create_instance_profile, InstanceProfileName=profile)

    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    expect_error("LimitExceeded", 409, iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=other)
    got = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    assert got["Roles"][0]["AssumeRolePolicyDocument"] == TRUST_EC2
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    for_role = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == [profile]

    expect_error("DeleteConflict", 409, iam.delete_role, RoleName=role)
    expect_error("DeleteConflict", 409, iam.delete_instance_profile, InstanceProfileName=profile)
    expect_error(
        "NoSuchEntity", 404, iam.remove_role_from_instance_profile, InstanceProfileName=profile, RoleName=other
    )
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    expect_error("NoSuchEntity", 404, iam.get_instance_profile, InstanceProfileName=profile)
    iam.delete_role(RoleName=role)
    iam.delete_role(RoleName=other)


def test_paging(iam, uid):
    names = [f"page-{uid}-{i}" for i in range(5)]
    for name in names:
        create_role(iam, name, Path=f"/paging-{uid}/")
    first = iam.list_roles(PathPrefix=f"/paging-{uid}/", MaxItems=2)
    assert first["IsTruncated"] is True
    assert [r["RoleName"] for r in first["Roles"]] == names[:2]
    second = iam.list_roles(PathPrefix=f"/paging-{uid}/", MaxItems=2, Marker=first["Marker"])
    assert [r["RoleName"] for r in second["Roles"]] == names[2:4]
    paged = []
    for page in iam.get_paginator("list_roles").paginate(
        PathPrefix=f"/paging-{uid}/", PaginationConfig={"PageSize": 2}
    ):
        paged.extend(r["RoleName"] for r in page["Roles"])
    assert paged == names
    for name in names:
        iam.delete_role(RoleName=name)


# ---------------------------------------------------------------------- waiters


def test_waiters(iam, uid):
    role = f"wait-{uid}"
    create_role(iam, role)
    arn = create_policy(iam, f"wait-{uid}")["Arn"]
    iam.create_instance_profile(InstanceProfileName=f"wait-{uid}")
    config = {"Delay": 1, "MaxAttempts": 5}
    iam.get_waiter("role_exists").wait(RoleName=role, WaiterConfig=config)
    iam.get_waiter("policy_exists").wait(PolicyArn=arn, WaiterConfig=config)
    iam.get_waiter("instance_profile_exists").wait(InstanceProfileName=f"wait-{uid}", WaiterConfig=config)
    iam.delete_instance_profile(InstanceProfileName=f"wait-{uid}")
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName=role)


# ---------------------------------------------------------------------- AWS CLI


def test_cli(aws, uid, tmp_path):
    role, profile = f"cli-{uid}", f"cli-{uid}"
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(TRUST_EC2))
    rc, out, err = aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", f"file://{trust}")
    assert rc == 0, err
    assert out["Role"]["AssumeRolePolicyDocument"] == TRUST_EC2
    rc, _, err = aws("iam", "wait", "role-exists", "--role-name", role)
    assert rc == 0, err

    rc, out, err = aws(
        "iam", "attach-role-policy", "--role-name", role,
        "--policy-arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    assert rc == 0, err
    rc, out, err = aws("iam", "list-attached-role-policies", "--role-name", role)
    assert rc == 0, err
    assert [p["PolicyName"] for p in out["AttachedPolicies"]] == ["AmazonSSMManagedInstanceCore"]

    rc, out, err = aws(
        "iam", "put-role-policy", "--role-name", role, "--policy-name", "inline",
        "--policy-document", json.dumps(READ_PARAMS),
    )
    assert rc == 0, err
    rc, out, err = aws("iam", "get-role-policy", "--role-name", role, "--policy-name", "inline")
    assert rc == 0, err
    assert out["PolicyDocument"] == READ_PARAMS

    rc, out, err = aws("iam", "create-instance-profile", "--instance-profile-name", profile)
    assert rc == 0, err
    rc, _, err = aws("iam", "wait", "instance-profile-exists", "--instance-profile-name", profile)
    assert rc == 0, err
    rc, _, err = aws("iam", "add-role-to-instance-profile", "--instance-profile-name", profile, "--role-name", role)
    assert rc == 0, err
    rc, out, err = aws("iam", "get-instance-profile", "--instance-profile-name", profile)
    assert rc == 0, err
    assert [r["RoleName"] for r in out["InstanceProfile"]["Roles"]] == [role]

    # Errors: the CLI exits non-zero and names the code.
    rc, _, err = aws("iam", "delete-role", "--role-name", role)
    assert rc != 0 and "DeleteConflict" in err, err
    rc, _, err = aws("iam", "get-role", "--role-name", f"missing-{uid}")
    assert rc != 0 and "NoSuchEntity" in err, err
    rc, _, err = aws(
        "iam", "create-policy", "--policy-name", f"bad-{uid}", "--policy-document", '{"Statement": []',
    )
    assert rc != 0 and "MalformedPolicyDocument" in err, err

    rc, out, err = aws("iam", "create-policy", "--policy-name", f"cli-{uid}", "--policy-document", json.dumps(READ_PARAMS))
    assert rc == 0, err
    arn = out["Policy"]["Arn"]
    rc, _, err = aws("iam", "wait", "policy-exists", "--policy-arn", arn)
    assert rc == 0, err
    rc, out, err = aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert rc == 0, err
    assert out["PolicyVersion"]["Document"] == READ_PARAMS

    for args in [
        ("remove-role-from-instance-profile", "--instance-profile-name", profile, "--role-name", role),
        ("delete-instance-profile", "--instance-profile-name", profile),
        ("detach-role-policy", "--role-name", role, "--policy-arn", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
        ("delete-role-policy", "--role-name", role, "--policy-name", "inline"),
        ("delete-role", "--role-name", role),
        ("delete-policy", "--policy-arn", arn),
    ]:
        rc, _, err = aws("iam", *args)
        assert rc == 0, (args, err)


def test_global_service_on_another_region(server_factory, uid):
    """Clients sign IAM for us-east-1; a server serving eu-west-1 accepts it
    and IAM ARNs carry no region."""
    server = server_factory.new("eu", extra_args=("--region", "eu-west-1")).start()
    iam = server.client("iam")  # signs for us-east-1
    role = create_role(iam, f"global-{uid}")
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/global-{uid}"
    assert iam.get_role(RoleName=f"global-{uid}")["Role"]["RoleId"] == role["RoleId"]


READ_APP = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/*"}],
    }
)


def test_users_and_access_keys_boto3(iam, endpoint, uid):
    name = f"bot-{uid}"
    user = iam.create_user(UserName=name, Path="/ci/", Tags=[{"Key": "team", "Value": "web"}])["User"]
    assert user["Arn"].endswith(f":user/ci/{name}")
    assert user["UserId"].startswith("AIDA")
    expect_error("EntityAlreadyExists", 409, iam.create_user, UserName=name.upper())
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "team", "Value": "web"}]
    assert name in [u["UserName"] for u in iam.list_users(PathPrefix="/ci/")["Users"]]

    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["Status"] == "Active" and key["AccessKeyId"].startswith("AKIA")
    as_user = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}
    assert make_client("sts", endpoint, **as_user).get_caller_identity()["Arn"] == user["Arn"]
    # boto3's CurrentUser: GetUser without a name is the caller.
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert make_client("iam", endpoint, **as_user).get_user()["User"]["UserName"] == name
    assert [p["PolicyName"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]] == [
        "IAMReadOnlyAccess"
    ]

    make_client("ssm", endpoint).put_parameter(Name=f"/app/{uid}", Value="hi", Type="String")
    ssm_as_user = make_client("ssm", endpoint, **as_user)
    with pytest.raises(ClientError) as refused:
        ssm_as_user.get_parameter(Name=f"/app/{uid}")
    assert error_code(refused.value) == "AccessDeniedException"
    iam.put_user_policy(UserName=name, PolicyName="read-app", PolicyDocument=READ_APP)
    assert ssm_as_user.get_parameter(Name=f"/app/{uid}")["Parameter"]["Value"] == "hi"
    assert iam.get_user_policy(UserName=name, PolicyName="read-app")["PolicyDocument"]["Statement"][0]["Action"] == (
        "ssm:GetParameter"
    )
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["read-app"]

    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(ClientError) as refused:
        ssm_as_user.get_parameter(Name=f"/app/{uid}")
    assert error_code(refused.value) == "UnrecognizedClientException"

    expect_error("DeleteConflict", 409, iam.delete_user, UserName=name)
    iam.delete_user_policy(UserName=name, PolicyName="read-app")
    expect_error("NoSuchEntity", 404, iam.delete_user_policy, UserName=name, PolicyName="read-app")
    iam.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    expect_error("NoSuchEntity", 404, iam.get_user, UserName=name)


def test_users_and_access_keys_cli(aws, endpoint, uid):
    name = f"cli-{uid}"
    rc, out, err = aws("iam", "create-user", "--user-name", name)
    assert rc == 0, err
    assert out["User"]["UserName"] == name
    rc, out, err = aws("iam", "get-user", "--user-name", name)
    assert rc == 0 and out["User"]["Arn"].endswith(f":user/{name}"), err
    rc, out, err = aws("iam", "list-users")
    assert rc == 0 and name in [u["UserName"] for u in out["Users"]], err
    rc, out, err = aws("iam", "create-access-key", "--user-name", name)
    assert rc == 0, err
    key_id = out["AccessKey"]["AccessKeyId"]
    rc, out, err = aws("iam", "list-access-keys", "--user-name", name)
    assert rc == 0 and [k["AccessKeyId"] for k in out["AccessKeyMetadata"]] == [key_id], err
    rc, _, err = aws("iam", "update-access-key", "--user-name", name, "--access-key-id", key_id,
                     "--status", "Inactive")
    assert rc == 0, err
    rc, _, err = aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "read-app",
                     "--policy-document", READ_APP)
    assert rc == 0, err
    rc, out, err = aws("iam", "get-user-policy", "--user-name", name, "--policy-name", "read-app")
    assert rc == 0 and out["PolicyDocument"]["Statement"][0]["Effect"] == "Allow", err
    rc, out, err = aws("iam", "list-user-policies", "--user-name", name)
    assert rc == 0 and out["PolicyNames"] == ["read-app"], err
    rc, _, err = aws("iam", "attach-user-policy", "--user-name", name,
                     "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert rc == 0, err
    rc, out, err = aws("iam", "list-attached-user-policies", "--user-name", name)
    assert rc == 0 and out["AttachedPolicies"][0]["PolicyName"] == "ReadOnlyAccess", err
    rc, _, err = aws("iam", "delete-user", "--user-name", name)
    assert rc != 0 and "DeleteConflict" in err, err
    rc, _, err = aws("iam", "detach-user-policy", "--user-name", name,
                     "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-user-policy", "--user-name", name, "--policy-name", "read-app")
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-access-key", "--user-name", name, "--access-key-id", key_id)
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-user", "--user-name", name)
    assert rc == 0, err
    rc, _, err = aws("iam", "get-user", "--user-name", name)
    assert rc != 0 and "NoSuchEntity" in err, err


def test_groups_boto3(iam, endpoint, uid):
    group, user = f"deployers-{uid}", f"member-{uid}"
    created = iam.create_group(GroupName=group, Path="/ci/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/ci/{group}"
    assert created["GroupId"].startswith("AGPA")
    expect_error("EntityAlreadyExists", 409, iam.create_group, GroupName=group.upper())
    assert group in [g["GroupName"] for g in iam.list_groups(PathPrefix="/ci/")["Groups"]]

    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    ssm_as_user = make_client("ssm", endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    make_client("ssm", endpoint).put_parameter(Name=f"/app/{uid}-group", Value="hi", Type="String")
    with pytest.raises(ClientError) as refused:
        ssm_as_user.get_parameter(Name=f"/app/{uid}-group")
    assert error_code(refused.value) == "AccessDeniedException"

    iam.put_group_policy(GroupName=group, PolicyName="read-app", PolicyDocument=READ_APP)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert ssm_as_user.get_parameter(Name=f"/app/{uid}-group")["Parameter"]["Value"] == "hi"
    got = iam.get_group(GroupName=group)
    assert got["Group"]["GroupName"] == group and [u["UserName"] for u in got["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["read-app"]
    document = iam.get_group_policy(GroupName=group, PolicyName="read-app")["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "ssm:GetParameter"
    assert [p["PolicyName"] for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]] == [
        "IAMReadOnlyAccess"
    ]
    # boto3's resource layer walks the same operations.
    members = [u.name for u in make_resource("iam", endpoint).Group(group).users.all()]
    assert members == [user]

    expect_error("DeleteConflict", 409, iam.delete_group, GroupName=group)
    expect_error("DeleteConflict", 409, iam.delete_user, UserName=user)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as refused:
        ssm_as_user.get_parameter(Name=f"/app/{uid}-group")
    assert error_code(refused.value) == "AccessDeniedException"
    iam.delete_group_policy(GroupName=group, PolicyName="read-app")
    expect_error("NoSuchEntity", 404, iam.get_group_policy, GroupName=group, PolicyName="read-app")
    iam.detach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_group(GroupName=group)
    expect_error("NoSuchEntity", 404, iam.get_group, GroupName=group)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)


def test_groups_cli(aws, uid):
    group, user = f"cli-group-{uid}", f"cli-member-{uid}"
    rc, out, err = aws("iam", "create-group", "--group-name", group)
    assert rc == 0 and out["Group"]["GroupName"] == group, err
    rc, _, err = aws("iam", "create-user", "--user-name", user)
    assert rc == 0, err
    rc, _, err = aws("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
    assert rc == 0, err
    rc, out, err = aws("iam", "get-group", "--group-name", group)
    assert rc == 0 and [u["UserName"] for u in out["Users"]] == [user], err
    rc, out, err = aws("iam", "list-groups")
    assert rc == 0 and group in [g["GroupName"] for g in out["Groups"]], err
    rc, out, err = aws("iam", "list-groups-for-user", "--user-name", user)
    assert rc == 0 and [g["GroupName"] for g in out["Groups"]] == [group], err
    rc, _, err = aws("iam", "put-group-policy", "--group-name", group, "--policy-name", "read-app",
                     "--policy-document", READ_APP)
    assert rc == 0, err
    rc, out, err = aws("iam", "get-group-policy", "--group-name", group, "--policy-name", "read-app")
    assert rc == 0 and out["PolicyDocument"]["Statement"][0]["Effect"] == "Allow", err
    rc, out, err = aws("iam", "list-group-policies", "--group-name", group)
    assert rc == 0 and out["PolicyNames"] == ["read-app"], err
    rc, _, err = aws("iam", "attach-group-policy", "--group-name", group,
                     "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert rc == 0, err
    rc, out, err = aws("iam", "list-attached-group-policies", "--group-name", group)
    assert rc == 0 and out["AttachedPolicies"][0]["PolicyName"] == "ReadOnlyAccess", err
    rc, _, err = aws("iam", "delete-group", "--group-name", group)
    assert rc != 0 and "DeleteConflict" in err and "remove users from group" in err, err
    rc, _, err = aws("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
    assert rc == 0, err
    rc, _, err = aws("iam", "detach-group-policy", "--group-name", group,
                     "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-group-policy", "--group-name", group, "--policy-name", "read-app")
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-group", "--group-name", group)
    assert rc == 0, err
    rc, _, err = aws("iam", "get-group", "--group-name", group)
    assert rc != 0 and "NoSuchEntity" in err, err
    rc, _, err = aws("iam", "delete-user", "--user-name", user)
    assert rc == 0, err


def test_login_profiles_boto3_and_cli(iam, aws, uid):
    name = f"console-{uid}"
    iam.create_user(UserName=name)
    expect_error("NoSuchEntity", 404, iam.get_login_profile, UserName=name)
    expect_error("PasswordPolicyViolation", 400, iam.create_login_profile, UserName=name, Password="weakweak")
    profile = iam.create_login_profile(UserName=name, Password="Str0ng-enough", PasswordResetRequired=True)
    assert profile["LoginProfile"]["UserName"] == name
    assert profile["LoginProfile"]["PasswordResetRequired"] is True
    expect_error("EntityAlreadyExists", 409, iam.create_login_profile, UserName=name, Password="Str0ng-enough")
    # The boto3 resource layer's LoginProfile reads the same answer.
    assert make_resource("iam", iam.meta.endpoint_url).LoginProfile(name).password_reset_required is True

    rc, _, err = aws("iam", "update-login-profile", "--user-name", name, "--no-password-reset-required")
    assert rc == 0, err
    rc, out, err = aws("iam", "get-login-profile", "--user-name", name)
    assert rc == 0 and out["LoginProfile"]["PasswordResetRequired"] is False, err
    rc, _, err = aws("iam", "delete-user", "--user-name", name)
    assert rc != 0 and "must delete login profile first" in err, err
    rc, _, err = aws("iam", "delete-login-profile", "--user-name", name)
    assert rc == 0, err
    rc, _, err = aws("iam", "delete-login-profile", "--user-name", name)
    assert rc != 0 and "NoSuchEntity" in err, err
    rc, out, err = aws("iam", "create-login-profile", "--user-name", name, "--password", "An0ther-one")
    assert rc == 0 and out["LoginProfile"]["UserName"] == name, err
    iam.update_login_profile(UserName=name, Password="Ch4nged-again")
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def ssh_keygen(tmp_path, name: str) -> tuple[str, str, str]:
    """A new 2048-bit RSA key pair as a user makes one: the public key's
    path, its MD5 fingerprint and its PKCS8 PEM, all as ssh-keygen says."""
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", name, "-f", str(key)], check=True)
    shown = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", f"{key}.pub"], check=True, capture_output=True, text=True)
    fingerprint = shown.stdout.split()[1].removeprefix("MD5:")
    pem = subprocess.run(["ssh-keygen", "-e", "-m", "PKCS8", "-f", f"{key}.pub"], check=True, capture_output=True, text=True)
    return f"{key}.pub", fingerprint, pem.stdout


def test_ssh_public_keys_boto3_and_cli(iam, aws, uid, tmp_path):
    name = f"coder-{uid}"
    iam.create_user(UserName=name)
    public, fingerprint, pem = ssh_keygen(tmp_path, "id_rsa")

    # The CLI uploads the file as people do; IAM's fingerprint is ssh-keygen's.
    rc, out, err = aws("iam", "upload-ssh-public-key", "--user-name", name, "--ssh-public-key-body", f"file://{public}")
    assert rc == 0, err
    key = out["SSHPublicKey"]
    assert key["Fingerprint"] == fingerprint and key["Status"] == "Active"
    key_id = key["SSHPublicKeyId"]
    expect_error("DuplicateSSHPublicKey", 400, iam.upload_ssh_public_key, UserName=name, SSHPublicKeyBody=pem)
    expect_error("UnrecognizedPublicKeyEncoding", 400, iam.upload_ssh_public_key, UserName=name, SSHPublicKeyBody="ssh-dss AAAA")
    expect_error("InvalidPublicKey", 400, iam.upload_ssh_public_key, UserName=name, SSHPublicKeyBody="ssh-rsa AAAA")
    expect_error("NoSuchEntity", 404, iam.upload_ssh_public_key, UserName=f"nobody-{uid}", SSHPublicKeyBody=pem)

    got = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert got["SSHPublicKeyBody"] == pem and got["Fingerprint"] == fingerprint
    rc, out, err = aws("iam", "get-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key_id, "--encoding", "SSH")
    assert rc == 0 and open(public).read().startswith(out["SSHPublicKey"]["SSHPublicKeyBody"]), err
    expect_error("ValidationError", 400, iam.update_ssh_public_key, UserName=name, SSHPublicKeyId=key_id, Status="Expired")
    iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Status="Active")
    rc, _, err = aws("iam", "update-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key_id, "--status", "Inactive")
    assert rc == 0, err
    rc, out, err = aws("iam", "list-ssh-public-keys", "--user-name", name)
    assert rc == 0, err
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in out["SSHPublicKeys"]] == [(key_id, "Inactive")]

    # Five keys a user: four more fit, a sixth does not.
    for n in range(4):
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=ssh_keygen(tmp_path, f"more{n}")[2])
    expect_error("LimitExceeded", 409, iam.upload_ssh_public_key, UserName=name, SSHPublicKeyBody=ssh_keygen(tmp_path, "sixth")[2])
    pages = iam.get_paginator("list_ssh_public_keys").paginate(UserName=name, PaginationConfig={"PageSize": 2})
    assert len([k for page in pages for k in page["SSHPublicKeys"]]) == 5

    rc, _, err = aws("iam", "delete-user", "--user-name", name)
    assert rc != 0 and "must delete SSH public keys first" in err, err
    rc, _, err = aws("iam", "delete-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key_id)
    assert rc == 0, err
    for key in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]:
        iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key["SSHPublicKeyId"])
    expect_error("NoSuchEntity", 404, iam.delete_ssh_public_key, UserName=name, SSHPublicKeyId=key_id)
    rc, _, err = aws("iam", "delete-ssh-public-key", "--user-name", name, "--ssh-public-key-id", key_id)
    assert rc != 0 and "NoSuchEntity" in err, err
    iam.delete_user(UserName=name)


def test_credentials_ballast_issues_none_of_list_empty(iam, aws, uid):
    name = f"plain-{uid}"
    iam.create_user(UserName=name)
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    assert iam.list_signing_certificates(UserName=name)["Certificates"] == []
    assert iam.list_service_specific_credentials(UserName=name)["ServiceSpecificCredentials"] == []
    for command in ("list-mfa-devices", "list-signing-certificates", "list-service-specific-credentials"):
        rc, out, err = aws("iam", command, "--user-name", name)
        assert rc == 0 and not out.get("IsTruncated"), err
        rc, _, err = aws("iam", command, "--user-name", f"nobody-{uid}")
        assert rc != 0 and "NoSuchEntity" in err, err
    expect_error("NoSuchEntity", 404, iam.list_mfa_devices, UserName=f"nobody-{uid}")
    iam.delete_user(UserName=name)


def test_list_entities_for_policy_boto3_and_cli(iam, aws, uid):
    policy = iam.create_policy(PolicyName=f"read-{uid}", PolicyDocument=json.dumps(READ_PARAMS))["Policy"]
    arn = policy["Arn"]
    role, group, user = f"web-{uid}", f"ops-{uid}", f"ana-{uid}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user, Path="/people/")
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)

    held = iam.list_entities_for_policy(PolicyArn=arn)
    assert [r["RoleName"] for r in held["PolicyRoles"]] == [role]
    assert [g["GroupName"] for g in held["PolicyGroups"]] == [group]
    assert [u["UserName"] for u in held["PolicyUsers"]] == [user]
    pages = iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=arn, PaginationConfig={"PageSize": 1})
    seen = [e for page in pages for kind in ("PolicyGroups", "PolicyUsers", "PolicyRoles") for e in page[kind]]
    assert len(seen) == 3
    rc, out, err = aws("iam", "list-entities-for-policy", "--policy-arn", arn, "--entity-filter", "User")
    assert rc == 0, err
    assert [u["UserName"] for u in out["PolicyUsers"]] == [user] and out["PolicyRoles"] == []
    rc, out, err = aws("iam", "list-entities-for-policy", "--policy-arn", arn, "--path-prefix", "/people/")
    assert rc == 0 and [u["UserName"] for u in out["PolicyUsers"]] == [user] and out["PolicyGroups"] == [], err
    rc, _, err = aws("iam", "list-entities-for-policy", "--policy-arn", f"arn:aws:iam::{ACCOUNT}:policy/none-{uid}")
    assert rc != 0 and "NoSuchEntity" in err, err
    expect_error("InvalidInput", 400, iam.list_entities_for_policy, PolicyArn="not-an-arn-but-long-enough")

    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    held = iam.list_entities_for_policy(PolicyArn=arn)
    assert held["PolicyRoles"] == held["PolicyGroups"] == held["PolicyUsers"] == []
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName=role)
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)
