"""What the benchmarks' measuring scripts share: a free loopback port,
waiting on a condition with a deadline, and a `ballast up` of their own
with boto3 clients for it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.config import Config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, probe, deadline: float = 60, every: float = 0.01):
    """`probe()`'s first truthy value; exits the benchmark with `what` once
    `deadline` seconds pass."""
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)


@contextmanager
def ballast(binary: str, work: Path, *args: str, hosts_file: str = "off"):
    """A `ballast up` on a free port with its data and log under `work`,
    listening when the block starts and stopped when it ends; yields its
    endpoint. Load balancer names go to `hosts_file` (none by default)."""
    port = free_port()
    log = open(work / "ballast.log", "wb")
    server = subprocess.Popen(
        [binary, "up", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / "data"),
         "--hosts-file", hosts_file, *args],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        wait_until("ballast to listen", lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def client(service: str, endpoint: str):
    """A boto3 client for Ballast's root account, without retries."""
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def cli_env(endpoint: str, work: Path, **extra: str) -> dict:
    """The environment for the AWS CLI and scripts run against `endpoint`:
    Ballast's root account, us-east-1, and no user config (files under
    `work` that do not exist), plus `extra`."""
    return {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(work / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(work / "none"),
            **extra}
