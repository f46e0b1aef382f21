"""Times Elastic IP re-association to first byte; see bench/eip-reassociation.sh."""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import time
from pathlib import Path

import boto3
from botocore.config import Config

AL2023 = "ami-0ba11a5700a023086"
USER_DATA = """#!/bin/bash
mkdir -p /opt/app && hostname > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
"""
DEADLINE_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(address: str) -> bytes | None:
    """The start of one HTTP answer on port 8080 (fresh connection), or None."""
    try:
        with socket.create_connection((address, 8080), timeout=0.2) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
            return data
    except OSError:
        return None


def wait_until(what: str, probe, deadline: float = DEADLINE_S):
    end = time.monotonic() + deadline
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    port = free_port()
    data = Path(args.work) / "data"
    log = open(Path(args.work) / "ballast.log", "wb")
    server = subprocess.Popen(
        [args.ballast, "up", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data),
         "--instance-runtime", "sandbox", "--time-scale", "0.01", "--hosts-file", "off"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_until("ballast to listen", lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0)
        ec2 = boto3.client(
            "ec2", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        ids = [i["InstanceId"] for i in ec2.run_instances(
            ImageId=AL2023, MinCount=2, MaxCount=2, UserData=USER_DATA,
            MetadataOptions={"HttpTokens": "optional"})["Instances"]]
        ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1})
        names = {}
        for i in ids:
            private = ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
            names[i] = f"ip-{private.replace('.', '-')}.ec2.internal".encode()
            wait_until(f"{i} to serve", lambda p=private: first_answer(p))
        allocated = ec2.allocate_address(Domain="vpc")
        allocation, public = allocated["AllocationId"], allocated["PublicIp"]
        ec2.associate_address(AllocationId=allocation, InstanceId=ids[0])
        wait_until("the first association to serve", lambda: names[ids[0]] in (first_answer(public) or b""))

        timings, api, ended = [], [], 0
        for round_ in range(args.rounds):
            old, new = ids[round_ % 2], ids[(round_ + 1) % 2]
            held = socket.create_connection((public, 8080), timeout=5)
            started = time.monotonic()
            ec2.associate_address(AllocationId=allocation, InstanceId=new, AllowReassociation=True)
            api.append(time.monotonic() - started)
            wait_until("the new instance's answer", lambda: names[new] in (first_answer(public) or b""))
            timings.append(time.monotonic() - started)
            # The connection to the old instance must have ended.
            held.settimeout(2)
            try:
                ended += held.recv(1) == b""
            except OSError:
                ended += 1
            held.close()
        ms = sorted(t * 1000 for t in timings)
        p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
        print()
        print("| moves | AssociateAddress p50 (ms) | → new instance's first byte p50 (ms) | p90 (ms) | max (ms) | old connections ended |")
        print("|---:|---:|---:|---:|---:|---:|")
        print(f"| {len(ms)} | {statistics.median(api) * 1000:.1f} | {statistics.median(ms):.1f} | {p(0.9):.1f} | {ms[-1]:.1f} | {ended}/{len(ms)} |")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
