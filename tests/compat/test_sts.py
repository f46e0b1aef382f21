"""STS GetCallerIdentity and AssumeRole through boto3 and the AWS CLI."""

import datetime
import json
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ballast_compat import ACCESS_KEY, SECRET_KEY, make_client


def test_get_caller_identity_root(sts):
    ident = sts.get_caller_identity()
    account = ident["Account"]
    assert re.fullmatch(r"\d{12}", account), account
    # Root credentials: the ARN is the account root, and the user id is the account id.
    assert ident["Arn"] == f"arn:aws:iam::{account}:root"
    assert ident["UserId"] == account
    assert ident["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ident["ResponseMetadata"]["RequestId"]


def test_account_is_fixed(sts, endpoint):
    first = sts.get_caller_identity()["Account"]
    again = make_client("sts", endpoint).get_caller_identity()["Account"]
    assert first == again


def test_request_ids_are_unique(sts):
    a = sts.get_caller_identity()["ResponseMetadata"]
    b = sts.get_caller_identity()["ResponseMetadata"]
    assert a["RequestId"] != b["RequestId"]
    # botocore reads the body's RequestId; the Rust SDK reads the header: both must be there.
    assert a["HTTPHeaders"].get("x-amzn-requestid") == a["RequestId"]


def test_cli_get_caller_identity(aws, account_id):
    rc, out, err = aws("sts", "get-caller-identity")
    assert rc == 0, err
    assert out["Account"] == account_id
    assert out["Arn"] == f"arn:aws:iam::{account_id}:root"
    assert out["UserId"] == account_id


# --------------------------------------------------------------------------- AssumeRole

READ_APP = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/*"}
        ],
    }
)


def _role(endpoint, name, principal, permissions=READ_APP, **extra):
    """A role whose trust policy names `principal`, allowed `permissions`; its ARN."""
    iam = make_client("iam", endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="permissions", PolicyDocument=permissions)
    return arn


def _client_for(service, endpoint, credentials):
    return make_client(
        service,
        endpoint,
        access_key=credentials["AccessKeyId"],
        secret_key=credentials["SecretAccessKey"],
        session_token=credentials["SessionToken"],
    )


def test_assume_role_boto3(sts, ssm, endpoint, account_id, uid):
    arn = _role(endpoint, f"reader-{uid}", {"AWS": f"arn:aws:iam::{account_id}:root"})
    ssm.put_parameter(Name=f"/app/{uid}", Value="hello", Type="String")
    ssm.put_parameter(Name=f"/other/{uid}", Value="hidden", Type="String")

    out = sts.assume_role(RoleArn=arn, RoleSessionName="report", DurationSeconds=1800, SourceIdentity="alice")
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/reader-{uid}/report"
    assert user["AssumedRoleId"].endswith(":report")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    lifetime = (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 1780 <= lifetime <= 1800, lifetime
    assert out["SourceIdentity"] == "alice"
    assert "PackedPolicySize" not in out

    as_role = _client_for("ssm", endpoint, creds)
    assert as_role.get_parameter(Name=f"/app/{uid}")["Parameter"]["Value"] == "hello"
    with pytest.raises(ClientError) as refused:
        as_role.get_parameter(Name=f"/other/{uid}")
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert _client_for("sts", endpoint, creds).get_caller_identity()["Arn"] == user["Arn"]


def test_assume_role_session_policy_boto3(sts, ssm, endpoint, uid):
    arn = _role(endpoint, f"ops-{uid}", {"AWS": "*"}, permissions=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}
    ))
    ssm.put_parameter(Name=f"/app/{uid}", Value="blue", Type="String")
    out = sts.assume_role(
        RoleArn=arn,
        RoleSessionName="reader",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess"}],
    )
    assert 1 <= out["PackedPolicySize"] <= 100
    as_session = _client_for("ssm", endpoint, out["Credentials"])
    assert as_session.get_parameter(Name=f"/app/{uid}")["Parameter"]["Value"] == "blue"
    with pytest.raises(ClientError) as refused:
        as_session.put_parameter(Name=f"/app/{uid}", Value="red", Overwrite=True)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "no session policy allows" in refused.value.response["Error"]["Message"]
    assert ssm.get_parameter(Name=f"/app/{uid}")["Parameter"]["Value"] == "blue"


def test_assume_role_errors_boto3(sts, endpoint, account_id, uid):
    ec2_only = _role(endpoint, f"web-{uid}", {"Service": "ec2.amazonaws.com"})
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=ec2_only, RoleSessionName="me")
    error = refused.value.response
    assert error["Error"]["Code"] == "AccessDenied"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"arn:aws:iam::{account_id}:root is not authorized to perform: sts:AssumeRole" in error["Error"]["Message"]

    short = _role(endpoint, f"short-{uid}", {"AWS": "*"}, MaxSessionDuration=3600)
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=short, RoleSessionName="me", DurationSeconds=7200)
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "MaxSessionDuration" in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=short, RoleSessionName="me", Policy='{"Statement": [')
    assert refused.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_cli_assume_role(aws, endpoint, account_id, uid):
    arn = _role(endpoint, f"cli-{uid}", {"AWS": account_id})
    rc, out, err = aws("sts", "assume-role", "--role-arn", arn, "--role-session-name", "from-cli")
    assert rc == 0, err
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/cli-{uid}/from-cli"
    assert out["Credentials"]["SessionToken"]

    rc, _, err = aws("sts", "assume-role", "--role-arn", f"arn:aws:iam::{account_id}:role/nobody-{uid}",
                     "--role-session-name", "from-cli")
    assert rc != 0
    assert "AccessDenied" in err, err


def test_cli_profile_with_role_arn_assumes_the_role(aws, ssm, endpoint, account_id, uid):
    """The usual way people use roles from a laptop: a profile in
    ~/.aws/config names `role_arn` and a `source_profile`, and the CLI calls
    AssumeRole itself."""
    arn = _role(endpoint, f"deployer-{uid}", {"AWS": f"arn:aws:iam::{account_id}:root"})
    ssm.put_parameter(Name=f"/app/{uid}", Value="hello", Type="String")
    config = Path(aws.env["AWS_CONFIG_FILE"])
    config.write_text(
        "[profile base]\n"
        f"aws_access_key_id = {ACCESS_KEY}\n"
        f"aws_secret_access_key = {SECRET_KEY}\n"
        f"[profile deployer-{uid}]\n"
        f"role_arn = {arn}\n"
        "source_profile = base\n"
        "role_session_name = laptop\n"
    )
    rc, out, err = aws("sts", "get-caller-identity", "--profile", f"deployer-{uid}")
    assert rc == 0, err
    assert out["Arn"] == f"arn:aws:sts::{account_id}:assumed-role/deployer-{uid}/laptop"
    rc, out, err = aws("ssm", "get-parameter", "--name", f"/app/{uid}", "--profile", f"deployer-{uid}")
    assert rc == 0, err
    assert out["Parameter"]["Value"] == "hello"
    rc, _, err = aws("ssm", "put-parameter", "--name", f"/app/{uid}", "--value", "x", "--overwrite",
                     "--profile", f"deployer-{uid}")
    assert rc != 0
    assert "AccessDeniedException" in err, err


def test_get_session_token_boto3_and_cli(sts, endpoint, account_id, aws, uid):
    iam = make_client("iam", endpoint)
    name = f"ci-{uid}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=READ_APP)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = make_client("sts", endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = as_user.get_session_token(DurationSeconds=900)["Credentials"]
    lifetime = (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 880 <= lifetime <= 900, lifetime
    assert _client_for("sts", endpoint, creds).get_caller_identity()["Arn"] == (
        f"arn:aws:iam::{account_id}:user/{name}"
    )
    with pytest.raises(ClientError) as refused:
        _client_for("iam", endpoint, creds).list_users()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as refused:
        sts.get_session_token(DurationSeconds=7200)
    assert refused.value.response["Error"]["Code"] == "ValidationError", "root gets an hour at most"

    rc, out, err = aws("sts", "get-session-token", "--duration-seconds", "1800")
    assert rc == 0, err
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    rc, _, err = aws("sts", "get-session-token", "--serial-number", f"arn:aws:iam::{account_id}:mfa/{name}",
                     "--token-code", "123456")
    assert rc != 0 and "AccessDenied" in err
