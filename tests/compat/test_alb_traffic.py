"""Application load balancers with real traffic, driven by boto3 and the AWS CLI.

A dedicated server runs with a hundredfold time scale and publishes load
balancer names in /etc/hosts, so requests go to the DNSName exactly as a
user's would. Backends are small HTTP servers started by the test.
"""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.request

import pytest

from ballast_compat import AwsCli, make_client

DEADLINE_S = 20


class Backend:
    """An HTTP server on a free loopback port answering with its name."""

    def __init__(self, name: str):
        self.name = name
        self.health_status = 200
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (the stdlib's naming)
                if self.path == "/health":
                    status, body = backend.health_status, b"ok"
                else:
                    status, body = 200, backend.name.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def target(self) -> dict:
        return {"Id": "127.0.0.1", "Port": self.port}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def alb_server(server_factory):
    server = server_factory.new(
        "alb", extra_args=("--time-scale", "0.01", "--hosts-file", "/etc/hosts")
    )
    server.start()
    return server


@pytest.fixture
def backends():
    started: list[Backend] = []

    def start(name: str) -> Backend:
        backend = Backend(name)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


def eventually(what: str, check):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.025)
    pytest.fail(f"timed out waiting for {what}")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def health(elbv2, tg_arn: str, backend: Backend) -> dict:
    out = elbv2.describe_target_health(TargetGroupArn=tg_arn, Targets=[backend.target()])
    return out["TargetHealthDescriptions"][0]["TargetHealth"]


def build_alb(elbv2, name: str) -> tuple[str, str, str]:
    tg_arn = elbv2.create_target_group(
        Name=name,
        Protocol="HTTP",
        Port=80,
        VpcId="vpc-0ba11a57000000000",
        TargetType="ip",
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=5,
        HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=tg_arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}],
    )
    lb = elbv2.create_load_balancer(
        Name=name, Subnets=["subnet-0ba11a5700000000a", "subnet-0ba11a5700000000b"]
    )["LoadBalancers"][0]
    elbv2.get_waiter("load_balancer_available").wait(
        LoadBalancerArns=[lb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 20}
    )
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )
    return tg_arn, lb["LoadBalancerArn"], f"http://{lb['DNSName']}:8080/"


def test_traffic_health_and_draining_through_boto3(alb_server, backends):
    elbv2 = make_client("elbv2", alb_server.endpoint)
    tg_arn, _, url = build_alb(elbv2, "boto-web")
    a, b = backends("a"), backends("b")
    elbv2.register_targets(TargetGroupArn=tg_arn, Targets=[a.target(), b.target()])
    waiter = elbv2.get_waiter("target_in_service")
    waiter.wait(
        TargetGroupArn=tg_arn,
        Targets=[a.target(), b.target()],
        WaiterConfig={"Delay": 1, "MaxAttempts": 20},
    )
    answers = {get(url)[1] for _ in range(10)}
    assert answers == {"a", "b"}

    a.health_status = 503
    state = eventually(
        "a to turn unhealthy",
        lambda: (h := health(elbv2, tg_arn, a))["State"] == "unhealthy" and h,
    )
    assert state["Reason"] == "Target.ResponseCodeMismatch"
    assert state["Description"] == "Health checks failed with these codes: [503]"
    assert {get(url)[1] for _ in range(6)} == {"b"}

    elbv2.deregister_targets(TargetGroupArn=tg_arn, Targets=[b.target()])
    draining = health(elbv2, tg_arn, b)
    assert (draining["State"], draining["Reason"]) == ("draining", "Target.DeregistrationInProgress")
    # Fail-open: the only registered target left is unhealthy, and serves.
    assert get(url) == (200, "a")
    elbv2.get_waiter("target_deregistered").wait(
        TargetGroupArn=tg_arn, Targets=[b.target()], WaiterConfig={"Delay": 1, "MaxAttempts": 20}
    )
    gone = health(elbv2, tg_arn, b)
    assert (gone["State"], gone["Reason"]) == ("unused", "Target.NotRegistered")


def test_rolling_restart_with_the_aws_cli_loses_no_request(alb_server, backends, tmp_path):
    """Seed 004's loop, run with the AWS CLI: deregister, wait unused, restart,
    register, wait healthy — one backend at a time under a request loop."""
    elbv2 = make_client("elbv2", alb_server.endpoint)
    tg_arn, _, url = build_alb(elbv2, "cli-web")
    home = tmp_path / "aws-home"
    home.mkdir()
    aws = AwsCli(alb_server.endpoint, home)
    current = [backends("a"), backends("b")]
    for backend in current:
        rc, _, err = aws("elbv2", "register-targets", "--target-group-arn", tg_arn,
                         "--targets", f"Id=127.0.0.1,Port={backend.port}")
        assert rc == 0, err
    for backend in current:
        eventually("healthy", lambda b=backend: health(elbv2, tg_arn, b)["State"] == "healthy")

    failures, successes, stop = [], [], threading.Event()

    def loop():
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            status, body = get(url)
            (successes if status == 200 else failures).append((status, body))
            time.sleep(0.005)

    looper = threading.Thread(target=loop)
    looper.start()
    try:
        for i, old in enumerate(list(current)):
            target = f"Id=127.0.0.1,Port={old.port}"
            rc, _, err = aws("elbv2", "deregister-targets", "--target-group-arn", tg_arn, "--targets", target)
            assert rc == 0, err
            eventually("unused", lambda b=old: health(elbv2, tg_arn, b)["State"] == "unused")
            rc, _, err = aws("elbv2", "wait", "target-deregistered", "--target-group-arn", tg_arn, "--targets", target)
            assert rc == 0, err
            old.stop()
            new = backends(f"{old.name}-v2")
            current[i] = new
            rc, _, err = aws("elbv2", "register-targets", "--target-group-arn", tg_arn,
                             "--targets", f"Id=127.0.0.1,Port={new.port}")
            assert rc == 0, err
            eventually("healthy", lambda b=new: health(elbv2, tg_arn, b)["State"] == "healthy")
            rc, _, err = aws("elbv2", "wait", "target-in-service", "--target-group-arn", tg_arn,
                             "--targets", f"Id=127.0.0.1,Port={new.port}")
            assert rc == 0, err
    finally:
        stop.set()
        looper.join()
    assert len(successes) > 20
    assert failures == []
    assert {get(url)[1] for _ in range(6)} == {"a-v2", "b-v2"}
