"""Fixtures for the Ballast compatibility suite.

The suite drives a real `ballast up` process with the real boto3 and the real
AWS CLI v1, exactly as a user would: through an endpoint override, with the
default local credentials (`test` / `test`) and region `us-east-1`.

Run:
  cargo build -p ballast
  python3 -m venv target/compat-venv
  target/compat-venv/bin/pip install -r tests/compat/requirements.txt
  target/compat-venv/bin/python -m pytest tests/compat -q

Environment:
  BALLAST_BIN   path of the server binary (default: <repo>/target/debug/ballast)
"""

from __future__ import annotations

import sys
import uuid

import pytest

from ballast_compat import AwsCli, BallastServer, ServerFactory, make_client


# --------------------------------------------------------------------------- server


@pytest.fixture(scope="session")
def ballast_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ballast")
    server = BallastServer(root / "data", root / "ballast.log")
    server.start()
    yield server
    rc = server.stop()
    sys.stderr.write(f"\nballast (session server) exited with status {rc}; log: {server.log_path}\n")


@pytest.fixture(scope="session")
def endpoint(ballast_server) -> str:
    return ballast_server.endpoint


@pytest.fixture(scope="session")
def ssm(endpoint):
    return make_client("ssm", endpoint)


@pytest.fixture(scope="session")
def elbv2(endpoint):
    return make_client("elbv2", endpoint)


@pytest.fixture(scope="session")
def ec2(endpoint):
    return make_client("ec2", endpoint)


@pytest.fixture(scope="session")
def lam(endpoint):
    return make_client("lambda", endpoint)


@pytest.fixture(scope="session")
def sts(endpoint):
    return make_client("sts", endpoint)


@pytest.fixture(scope="session")
def ssm_unvalidated(endpoint):
    """boto3 SSM client without client-side validation (values below a model `min`)."""
    return make_client("ssm", endpoint, validate=False)


@pytest.fixture(scope="session")
def elbv2_unvalidated(endpoint):
    """boto3 ELBv2 client without client-side validation (values below a model `min`)."""
    return make_client("elbv2", endpoint, validate=False)


@pytest.fixture(scope="session")
def account_id(sts) -> str:
    return sts.get_caller_identity()["Account"]


@pytest.fixture
def uid() -> str:
    """A short unique suffix for resource names."""
    return uuid.uuid4().hex[:10]


# --------------------------------------------------------------------------- AWS CLI


@pytest.fixture(scope="session")
def aws(endpoint, tmp_path_factory):
    return AwsCli(endpoint, tmp_path_factory.mktemp("aws-home"))


# --------------------------------------------------------------------------- dedicated servers


@pytest.fixture
def server_factory(tmp_path):
    factory = ServerFactory(tmp_path)
    yield factory
    factory.close()
