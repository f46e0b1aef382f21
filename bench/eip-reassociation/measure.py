"""Times Elastic IP re-association to first byte; see bench/eip-reassociation.sh."""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import ballast, client, wait_until  # noqa: E402  (bench/ is not a package)


AL2023 = "ami-0ba11a5700a023086"
USER_DATA = """#!/bin/bash
mkdir -p /opt/app && hostname > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
"""
DEADLINE_S = 60




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




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    with ballast(args.ballast, Path(args.work), "--instance-runtime", "sandbox",
                 "--time-scale", "0.01") as endpoint:
        ec2 = client("ec2", endpoint)
        ids = [i["InstanceId"] for i in ec2.run_instances(
            ImageId=AL2023, MinCount=2, MaxCount=2, UserData=USER_DATA,
            MetadataOptions={"HttpTokens": "optional"})["Instances"]]
        ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig={"Delay": 1})
        names = {}
        for i in ids:
            private = ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
            names[i] = f"ip-{private.replace('.', '-')}.ec2.internal".encode()
            wait_until(f"{i} to serve", lambda p=private: first_answer(p), DEADLINE_S, 0.005)
        allocated = ec2.allocate_address(Domain="vpc")
        allocation, public = allocated["AllocationId"], allocated["PublicIp"]
        ec2.associate_address(AllocationId=allocation, InstanceId=ids[0])
        wait_until("the first association to serve", lambda: names[ids[0]] in (first_answer(public) or b""), DEADLINE_S, 0.005)

        timings, api, ended = [], [], 0
        for round_ in range(args.rounds):
            old, new = ids[round_ % 2], ids[(round_ + 1) % 2]
            held = socket.create_connection((public, 8080), timeout=5)
            started = time.monotonic()
            ec2.associate_address(AllocationId=allocation, InstanceId=new, AllowReassociation=True)
            api.append(time.monotonic() - started)
            wait_until("the new instance's answer", lambda: names[new] in (first_answer(public) or b""), DEADLINE_S, 0.005)
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


if __name__ == "__main__":
    main()
