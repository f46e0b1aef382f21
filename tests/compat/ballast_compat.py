"""Shared helpers for the Ballast compatibility suite: the server process,
boto3 clients, the AWS CLI runner and raw SigV4-signed HTTP requests."""

from __future__ import annotations

import json
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"

START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 15.0


def ballast_bin() -> Path:
    return Path(os.environ.get("BALLAST_BIN", REPO / "target" / "debug" / "ballast"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return text[-limit:]


_lb_blocks = itertools.count()


def next_address_octet() -> int:
    """A second octet for a server's loopback /16 (102-251), unique per process."""
    return 102 + (os.getpid() + next(_lb_blocks)) % 150


class BallastServer:
    """One `ballast up` process bound to a data directory.

    `start()` picks a fresh loopback port, launches the binary and polls a TCP
    connect until it accepts (bounded by a deadline). `kill9()` SIGKILLs it
    with no chance to flush; `restart()` starts it again on the same data dir;
    `stop()` sends SIGTERM and waits.
    """

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        binary: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ):
        self.binary = Path(binary or ballast_bin())
        self.extra_args = tuple(extra_args)
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.starts = 0
        self.address_octet = next_address_octet()

    @property
    def endpoint(self) -> str:
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "BallastServer":
        if not self.binary.exists():
            pytest.fail(
                f"Ballast binary not found at {self.binary}; run `cargo build -p ballast` "
                "or set BALLAST_BIN",
                pytrace=False,
            )
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n===== start #{self.starts} on port {self.port} =====\n".encode())
        log.flush()
        try:
            self.proc = subprocess.Popen(
                [
                    str(self.binary),
                    "up",
                    "--listen",
                    f"127.0.0.1:{self.port}",
                    "--data-dir",
                    str(self.data_dir),
                    # Servers started side by side each get their own
                    # loopback /16 (load balancers below, instances above),
                    # kept across restarts, and leave /etc/hosts alone
                    # unless a test asks for it.
                    "--lb-cidr",
                    f"127.{self.address_octet}.0.0/17",
                    "--instance-cidr",
                    f"127.{self.address_octet}.128.0/17",
                    *(() if "--hosts-file" in self.extra_args else ("--hosts-file", "off")),
                    # Process mode unless a test asks for sandboxes: one
                    # server on a machine owns the sandboxes' VPC bridge.
                    *(
                        ()
                        if "--instance-runtime" in self.extra_args
                        else ("--instance-runtime", "process")
                    ),
                    # Python Lambda functions run under this suite's own
                    # Python, which has boto3 as AWS's Python runtimes do.
                    *(
                        ()
                        if "--lambda-python" in self.extra_args
                        else ("--lambda-python", sys.executable)
                    ),
                    *self.extra_args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=str(self.data_dir),
                # Only the flags above configure the server: drop BALLAST_* settings
                # (BALLAST_ACCESS_KEY, BALLAST_DATA_DIR, ...) from the caller's environment.
                env={k: v for k, v in os.environ.items() if not k.startswith("BALLAST_")},
            )
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        last_err: Exception | None = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                pytest.fail(
                    f"ballast exited with status {rc} before accepting connections.\n"
                    f"log {self.log_path}:\n{_log_tail(self.log_path)}",
                    pytrace=False,
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError as e:
                last_err = e
                # Poll interval: a short wait between connection attempts, bounded by the deadline.
                time.sleep(0.05)
        self.kill9()
        pytest.fail(
            f"ballast did not accept connections on {self.endpoint} within "
            f"{START_DEADLINE_S}s (last error: {last_err}).\nlog {self.log_path}:\n"
            f"{_log_tail(self.log_path)}",
            pytrace=False,
        )

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_DEADLINE_S)

    def restart(self) -> "BallastServer":
        self.kill9()
        return self.start()

    def stop(self) -> int | None:
        """SIGTERM, wait with a timeout, SIGKILL as a last resort. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_DEADLINE_S)
        return self.proc.returncode

    def client(self, service: str, **kwargs):
        return make_client(service, self.endpoint, **kwargs)

    def log(self) -> str:
        return _log_tail(self.log_path, limit=20000)


def make_client(
    service: str,
    endpoint: str,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    validate: bool = True,
    session_token: str | None = None,
):
    """A boto3 client pointed at Ballast. `validate=False` turns off botocore's
    client-side parameter validation so out-of-range values reach the server;
    `session_token` is for temporary (instance) credentials."""
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        region_name=REGION,
    )
    return session.client(service, endpoint_url=endpoint, config=_config(validate))


def make_resource(service: str, endpoint: str):
    """A boto3 resource (the object layer AWS's Python examples use, e.g.
    `iam.Group(name).users.all()`) pointed at Ballast with the default
    credentials."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.resource(service, endpoint_url=endpoint, config=_config(True))


def _config(validate: bool) -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=60,
        parameter_validation=validate,
    )


def aws_cli_path() -> str:
    candidate = Path(sys.prefix) / "bin" / "aws"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("aws")
    if not found:
        pytest.fail("AWS CLI v1 not found; pip install -r tests/compat/requirements.txt", pytrace=False)
    return found


class AwsCli:
    def __init__(self, endpoint: str, tmp_home: Path):
        self.endpoint = endpoint
        self.binary = aws_cli_path()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_home),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            # Keep the developer's own AWS configuration out of the run.
            "AWS_CONFIG_FILE": str(tmp_home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_home / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
        }

    def __call__(self, *args: str, timeout: float = 120):
        """Run `aws <args> --output json`; returns (returncode, parsed JSON or None, stderr)."""
        proc = subprocess.run(
            [self.binary, *args, "--output", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        out = proc.stdout.strip()
        parsed = None
        if out:
            try:
                parsed = json.loads(out)
            except ValueError:
                parsed = None
        return proc.returncode, parsed, proc.stderr


class ServerFactory:
    """Starts dedicated servers, each on its own data dir, and stops them at teardown."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.servers: list[BallastServer] = []

    def new(self, name: str = "dedicated", extra_args: tuple[str, ...] = ()) -> BallastServer:
        server = BallastServer(
            self.tmp_path / f"{name}-data", self.tmp_path / f"{name}.log", extra_args=extra_args
        )
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


# --------------------------------------------------------------------------- helpers


def ansible_playbook(endpoint: str, tmp_path: Path, playbook: str, **extra_vars) -> str:
    """Runs `playbook` (YAML text) on localhost with the amazon.aws collection
    against Ballast, as a playbook author would; returns its output and fails
    the test if the play fails."""
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(REPO / "target" / "ansible-collections")
    installer = REPO / "examples" / "ansible-rolling-deploy" / "install-collection.sh"
    subprocess.run([str(installer), sys.executable, collections], check=True, timeout=300)
    env = {
        **AwsCli(endpoint, tmp_path / "aws-home").env,
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    }
    path = tmp_path / "playbook.yml"
    path.write_text(playbook)
    args = [str(Path(sys.executable).parent / "ansible-playbook"), str(path), "-i", "localhost,"]
    for key, value in extra_vars.items():
        args += ["-e", f"{key}={value}"]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done.stdout


def ansible_result(endpoint: str, tmp_path: Path, playbook: str, **extra_vars) -> dict:
    """Runs `playbook` as `ansible_playbook` does, with `out` set to a file
    the play writes its findings to as JSON, and returns them."""
    out = tmp_path / "result.json"
    ansible_playbook(endpoint, tmp_path, playbook, out=out, **extra_vars)
    return json.loads(out.read_text())


def parameter(ssm, name):
    """An SSM parameter's value, or None when there is none."""
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError:
        return None


def error_code(exc) -> str:
    return exc.response["Error"]["Code"]


def code_of(call, **kwargs) -> str:
    """The error code `call(**kwargs)` fails with; the test fails if it
    succeeds."""
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return error_code(err.value)


# A trust policy that lets Lambda assume a role.
TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def lambda_role(endpoint: str, name: str) -> str:
    """The ARN of an execution role `name` that Lambda may assume, made on
    first use and shared by the tests of a module after that."""
    iam = make_client("iam", endpoint)
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    except ClientError:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def http_status(exc) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def assert_all_fail(code: str, calls) -> None:
    """Each (call, kwargs) of `calls` fails with the error `code`: how a test
    says a teardown left nothing behind."""
    for call, kwargs in calls:
        try:
            call(**kwargs)
        except ClientError as error:
            assert error_code(error) == code, (call, kwargs, error)
        else:
            raise AssertionError(f"{call.__name__}({kwargs}) still answers")


# --------------------------------------------------------------------------- raw HTTP


def sign(
    endpoint: str,
    service: str,
    body: bytes,
    headers: dict[str, str],
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    when=None,
) -> dict[str, str]:
    """SigV4-sign a `POST /` the way botocore does and return the headers to send.

    `when` (a naive UTC datetime) overrides the signing time, to produce a
    correctly signed but stale request."""
    from unittest import mock

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=dict(headers))
    auth = SigV4Auth(Credentials(access_key, secret_key), service, REGION)
    if when is None:
        auth.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            auth.add_auth(request)
    return dict(request.headers.items())


class RawResponse:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body.decode())

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.body[:500]!r}>"


def post(endpoint: str, body: bytes, headers: dict[str, str], timeout: float = 60) -> RawResponse:
    """POST / with exactly these headers (urllib adds Host and Content-Length).
    Returns the status, headers and body whatever the status."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(endpoint + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return RawResponse(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, e.headers, e.read())


def query_body(params: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(params).encode()


QUERY_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
JSON11_CONTENT_TYPE = "application/x-amz-json-1.1"


def eventually(what: str, probe, deadline_s: float = 60.0, explain=lambda: "", every_s: float = 0.05):
    """Polls `probe` until it returns something truthy, which it returns;
    fails the test once `deadline_s` pass, with what `explain` says of the
    state it got stuck in."""
    start = time.monotonic()
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() - start > deadline_s:
            pytest.fail(f"timed out after {deadline_s}s waiting for {what}\n{explain()}")
        time.sleep(every_s)
