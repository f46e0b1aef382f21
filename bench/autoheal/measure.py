"""Times the autoheal example's recovery; see bench/autoheal.sh."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

AL2023 = "ami-0ba11a5700a023086"
SERVE = """#!/bin/bash
mkdir -p /opt/app && echo up > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
"""
DEADLINE_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, probe, deadline: float = DEADLINE_S):
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def get(url: str):
    """`(status, instance id, body)` or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status, answer.headers.get("X-Instance-Id"), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Instance-Id"), ""
    except OSError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--example", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(args.work)

    port = free_port()
    log = open(work / "ballast.log", "wb")
    server = subprocess.Popen(
        [args.ballast, "up", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / "data"),
         "--instance-runtime", "sandbox", "--time-scale", "0.05", "--hosts-file", "off",
         "--lambda-python", sys.executable],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_until("ballast to listen", lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0)
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
               "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_CONFIG_FILE": str(work / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(work / "none")}

        def client(service):
            return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id="test", aws_secret_access_key="test",
                                config=Config(retries={"max_attempts": 1}))

        ec2 = client("ec2")
        deployed = subprocess.run([f"{args.example}/deploy.sh", "bench"], env=env,
                                  capture_output=True, text=True, check=True)
        url = f"http://{deployed.stdout.strip().splitlines()[-1]}/value"
        current = wait_until("the first instance to serve", lambda: get(url))[1]
        value = f"kept {time.time()}"
        urllib.request.urlopen(urllib.request.Request(url, data=value.encode(), method="PUT"), timeout=5).read()

        healed = []
        for _ in range(args.rounds):
            ec2.terminate_instances(InstanceIds=[current])
            started = time.monotonic()
            answer = wait_until(
                "the value from a new instance",
                lambda: (lambda a: a if a and a[0] == 200 and a[1] != current and a[2] == value else None)(get(url)),
            )
            healed.append((time.monotonic() - started) * 1000)
            current = answer[1]

        booted = []
        for _ in range(args.rounds):
            started = time.monotonic()
            instance = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1, UserData=SERVE)["Instances"][0]
            address = instance["PrivateIpAddress"]
            wait_until("the bare instance to answer",
                       lambda: get(f"http://{address}:8080/") is not None and get(f"http://{address}:8080/")[0] == 200)
            booted.append((time.monotonic() - started) * 1000)
            ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])

        subprocess.run([f"{args.example}/destroy.sh", "bench"], env=env, capture_output=True, check=False)

        def cells(samples):
            return f"{statistics.median(samples):.0f} | {max(samples):.0f}"

        print()
        print("| measure (time scale 0.05) | p50 ms | max ms | peer | peer p50 ms | ratio |")
        print("|---|---|---|---|---|---|")
        print(f"| terminate → value served again through the Elastic IP | {cells(healed)} | "
              f"RunInstances → first HTTP answer | {statistics.median(booted):.0f} | "
              f"{statistics.median(healed) / statistics.median(booted):.2f}x |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
