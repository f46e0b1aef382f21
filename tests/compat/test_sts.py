"""STS GetCallerIdentity through boto3 and the AWS CLI."""

import re


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
    from ballast_compat import make_client

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
