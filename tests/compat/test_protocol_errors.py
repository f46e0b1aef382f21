"""Wire-level errors: authentication, unknown operations, malformed bodies.

boto3 clients with bad credentials check what SDK users see; raw HTTP
(urllib/http.client, signed with botocore's own SigV4Auth where a valid
signature is needed) checks status codes, envelopes and headers. After every
test the server must still answer a GetCallerIdentity.
"""

import http.client
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError

from ballast_compat import (
    JSON11_CONTENT_TYPE,
    QUERY_CONTENT_TYPE,
    error_code,
    http_status,
    make_client,
    post,
    query_body,
    sign,
)

STS_BODY = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
ELB_DESCRIBE = {"Action": "DescribeTargetGroups", "Version": "2015-12-01"}


@pytest.fixture(autouse=True)
def server_still_serves(sts):
    yield
    ident = sts.get_caller_identity()
    assert ident["Account"], "server stopped answering after a bad request"


# --------------------------------------------------------------------------- helpers


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def find(elem, name):
    for child in elem.iter():
        if local(child.tag) == name:
            return child
    return None


def query_error(resp):
    """(code, root element) of an awsQuery <ErrorResponse>."""
    root = ET.fromstring(resp.body)
    code = find(root, "Code")
    return (code.text if code is not None else None), root


def json_error_code(resp) -> str:
    # As botocore and the Rust SDK do: drop everything after ':', keep what follows '#'.
    code = resp.header("X-Amzn-Errortype") or resp.json().get("__type", "")
    return code.split(":")[0].split("#")[-1]


def signed_query(endpoint, service, params, **kw):
    body = query_body(params)
    headers = sign(endpoint, service, body, {"Content-Type": QUERY_CONTENT_TYPE}, **kw)
    return post(endpoint, body, headers)


def signed_json(endpoint, target, body: bytes, **kw):
    headers = sign(
        endpoint, "ssm", body, {"Content-Type": JSON11_CONTENT_TYPE, "X-Amz-Target": target}, **kw
    )
    return post(endpoint, body, headers)


def assert_query_envelope(resp, status, code):
    assert resp.status == status, resp
    got, root = query_error(resp)
    assert got == code, resp
    assert local(root.tag) == "ErrorResponse", resp
    request_id = find(root, "RequestId")
    assert request_id is not None and request_id.text, "ErrorResponse has no RequestId"
    assert resp.header("x-amzn-RequestId") == request_id.text
    assert "xml" in (resp.header("Content-Type") or ""), resp.header("Content-Type")


def assert_json_error(resp, status, code):
    assert resp.status == status, resp
    assert json_error_code(resp) == code, resp
    assert resp.header("x-amzn-RequestId"), "JSON error without x-amzn-RequestId"


# --------------------------------------------------------------------------- baseline


def test_raw_signed_request_succeeds(endpoint, account_id):
    """The raw signer used below is correct: a signed GetCallerIdentity works."""
    resp = signed_query(endpoint, "sts", STS_BODY)
    assert resp.status == 200, resp
    root = ET.fromstring(resp.body)
    assert local(root.tag) == "GetCallerIdentityResponse"
    assert find(root, "Account").text == account_id
    assert resp.header("x-amzn-RequestId")

    resp = signed_json(endpoint, "AmazonSSM.DescribeParameters", b"{}")
    assert resp.status == 200, resp
    assert "Parameters" in resp.json()


# --------------------------------------------------------------------------- credentials via boto3


def test_wrong_secret_query_services(endpoint):
    sts = make_client("sts", endpoint, secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert error_code(e.value) == "SignatureDoesNotMatch"
    assert http_status(e.value) == 403

    elbv2 = make_client("elbv2", endpoint, secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        elbv2.describe_target_groups()
    assert error_code(e.value) == "SignatureDoesNotMatch"
    assert http_status(e.value) == 403


def test_wrong_secret_json_service(endpoint):
    ssm = make_client("ssm", endpoint, secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters()
    assert error_code(e.value) == "InvalidSignatureException"
    assert http_status(e.value) == 400


def test_wrong_secret_stores_nothing(endpoint, ssm, uid):
    bad = make_client("ssm", endpoint, secret_key="not-the-secret")
    name = f"/compat/{uid}/unauthorized"
    with pytest.raises(ClientError) as e:
        bad.put_parameter(Name=name, Value="v", Type="String")
    assert error_code(e.value) == "InvalidSignatureException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=name)
    assert error_code(e.value) == "ParameterNotFound"


def test_unknown_access_key(endpoint):
    for service, call in (("sts", "get_caller_identity"), ("elbv2", "describe_target_groups")):
        client = make_client(service, endpoint, access_key="AKIAUNKNOWNUNKNOWN00")
        with pytest.raises(ClientError) as e:
            getattr(client, call)()
        assert error_code(e.value) == "InvalidClientTokenId", service
        assert http_status(e.value) == 403

    ssm = make_client("ssm", endpoint, access_key="AKIAUNKNOWNUNKNOWN00")
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters()
    assert error_code(e.value) == "UnrecognizedClientException"
    assert http_status(e.value) == 400


def test_cli_wrong_secret(aws):
    saved = aws.env["AWS_SECRET_ACCESS_KEY"]
    aws.env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
    try:
        rc, _, err = aws("sts", "get-caller-identity")
        assert rc != 0
        assert "SignatureDoesNotMatch" in err
        rc, _, err = aws("ssm", "describe-parameters")
        assert rc != 0
        assert "InvalidSignatureException" in err
    finally:
        aws.env["AWS_SECRET_ACCESS_KEY"] = saved


# --------------------------------------------------------------------------- raw: authentication


def test_missing_authorization_query(endpoint):
    for params in (STS_BODY, ELB_DESCRIBE):
        resp = post(endpoint, query_body(params), {"Content-Type": QUERY_CONTENT_TYPE})
        assert_query_envelope(resp, 403, "MissingAuthenticationToken")


def test_missing_authorization_json(endpoint):
    resp = post(
        endpoint,
        b"{}",
        {"Content-Type": JSON11_CONTENT_TYPE, "X-Amz-Target": "AmazonSSM.DescribeParameters"},
    )
    assert_json_error(resp, 400, "MissingAuthenticationTokenException")


def test_malformed_authorization(endpoint):
    body = query_body(STS_BODY)
    resp = post(
        endpoint,
        body,
        {
            "Content-Type": QUERY_CONTENT_TYPE,
            "X-Amz-Date": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/garbage",
        },
    )
    assert_query_envelope(resp, 400, "IncompleteSignature")


def test_tampered_body_is_signature_mismatch(endpoint):
    body = query_body(STS_BODY)
    headers = sign(endpoint, "sts", body, {"Content-Type": QUERY_CONTENT_TYPE})
    resp = post(endpoint, body + b"&Extra=1", headers)
    assert_query_envelope(resp, 403, "SignatureDoesNotMatch")


def test_stale_date_query(endpoint):
    stale = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=20)
    resp = signed_query(endpoint, "sts", STS_BODY, when=stale)
    assert_query_envelope(resp, 400, "RequestExpired")
    resp = signed_query(endpoint, "elasticloadbalancing", ELB_DESCRIBE, when=stale)
    assert_query_envelope(resp, 400, "RequestExpired")


def test_future_date_query(endpoint):
    future = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=20)
    resp = signed_query(endpoint, "sts", STS_BODY, when=future)
    assert_query_envelope(resp, 400, "RequestExpired")


def test_stale_date_json(endpoint):
    stale = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=20)
    resp = signed_json(endpoint, "AmazonSSM.DescribeParameters", b"{}", when=stale)
    assert_json_error(resp, 400, "InvalidSignatureException")


def test_slightly_skewed_date_is_accepted(endpoint):
    skewed = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=5)
    resp = signed_query(endpoint, "sts", STS_BODY, when=skewed)
    assert resp.status == 200, resp


# --------------------------------------------------------------------------- raw: routing and bodies


def test_unknown_action_query(endpoint):
    resp = signed_query(endpoint, "elasticloadbalancing", {"Action": "DescribeUnicorns", "Version": "2015-12-01"})
    assert_query_envelope(resp, 400, "InvalidAction")


def test_unknown_target_json(endpoint):
    resp = signed_json(endpoint, "AmazonSSM.DescribeUnicorns", b"{}")
    assert_json_error(resp, 400, "UnknownOperationException")


def test_malformed_json(endpoint):
    for body in (b'{"Name": ', b"[1, 2]", b"not json at all"):
        resp = signed_json(endpoint, "AmazonSSM.GetParameter", body)
        assert_json_error(resp, 400, "SerializationException")


def test_wrong_member_type_json(endpoint):
    resp = signed_json(endpoint, "AmazonSSM.GetParameter", b'{"Name": 42}')
    assert resp.status == 400, resp
    assert json_error_code(resp) in ("SerializationException", "ValidationException"), resp


def test_empty_json_body_is_accepted(endpoint):
    resp = signed_json(endpoint, "AmazonSSM.DescribeParameters", b"")
    assert resp.status == 200, resp


def _post_streaming(endpoint: str, body: bytes, headers: dict):
    """POST a large body, tolerating a server that answers before reading it all."""
    u = urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.putrequest("POST", "/", skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        view = memoryview(body)
        try:
            for i in range(0, len(body), 1 << 16):
                conn.send(view[i : i + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early; read its answer below
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_body_over_16_mib(endpoint, ssm, uid):
    name = f"/compat/{uid}/huge"
    prefix = ('{"Name":"%s","Type":"String","Tier":"Advanced","Value":"' % name).encode()
    body = prefix + b"a" * (16 * 1024 * 1024) + b'"}'
    headers = sign(
        endpoint, "ssm", body, {"Content-Type": JSON11_CONTENT_TYPE, "X-Amz-Target": "AmazonSSM.PutParameter"}
    )
    try:
        status, payload = _post_streaming(endpoint, body, headers)
    except (ConnectionResetError, http.client.RemoteDisconnected) as e:
        pytest.fail(f"server dropped the connection without an HTTP status: {e!r}")
    assert 400 <= status < 500, (status, payload[:300])
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=name)
    assert error_code(e.value) == "ParameterNotFound"
