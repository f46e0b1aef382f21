"""Times instance boots under both runtimes; see bench/instance-boot.sh."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

AL2023 = "ami-0ba11a5700a023086"
# The workload: a web server on the instance's own address, started the
# way user data starts services.
USER_DATA = """#!/bin/sh
exec /usr/bin/python3 -m http.server 8080 --bind "$BALLAST_PRIVATE_IP"
"""
DEADLINE_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(address: str) -> bool:
    # A short timeout: a connection tried before the instance's link exists
    # waits on ARP, and would otherwise hide the moment it starts serving.
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
            f"http://{address}:8080/", timeout=0.05
        ) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(what: str, probe, deadline: float = DEADLINE_S) -> None:
    end = time.monotonic() + deadline
    while not probe():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.005)


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def parent_of(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def ballast_side_processes(data_dir: Path) -> list[int]:
    """Processes Ballast runs for its instances: boot shells, Run Command's
    agent and, for sandboxes, the launcher and init (not the workload).
    A sandbox's processes do not carry the host's instance directory in
    their environment, so its agent is found as a descendant of its
    launcher."""
    marker = f"BALLAST_INSTANCE_DIR={data_dir}".encode()
    roots, agents = set(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"\0agent\0" in cmdline and marker not in environ:
            agents.append(int(entry.name))
        elif marker in environ and b"\0agent\0" in cmdline:
            roots.add(int(entry.name))
        elif marker in environ and (b"sandbox-init" in cmdline or b"boot.sh" in cmdline):
            roots.add(int(entry.name))
    found = set(roots)
    for pid in agents:
        ancestor = parent_of(pid)
        while ancestor > 1:
            if ancestor in roots:
                found.add(pid)
                break
            ancestor = parent_of(ancestor)
    return sorted(found)


class Server:
    def __init__(self, binary: str, work: Path, runtime: str):
        self.data_dir = work / f"data-{runtime}"
        self.port = free_port()
        self.log = open(work / f"{runtime}.log", "wb")
        self.proc = subprocess.Popen(
            [
                binary,
                "up",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--data-dir",
                str(self.data_dir),
                "--instance-runtime",
                runtime,
                "--hosts-file",
                "off",
                "--time-scale",
                "0.01",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("BALLAST_")},
        )
        self.ec2 = boto3.client(
            "ec2",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        wait_until("the server", self._up)

    def _up(self) -> bool:
        try:
            self.ec2.describe_instances()
            return True
        except Exception:
            return False

    def launch(self, count: int) -> list[tuple[str, str]]:
        out = self.ec2.run_instances(
            ImageId=AL2023,
            InstanceType="t3.micro",
            MinCount=count,
            MaxCount=count,
            UserData=USER_DATA,
        )
        return [(i["InstanceId"], i["PrivateIpAddress"]) for i in out["Instances"]]

    def terminate(self, ids: list[str]) -> None:
        self.ec2.terminate_instances(InstanceIds=ids)
        for instance_id in ids:
            self.ec2.get_waiter("instance_terminated").wait(
                InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def measure(binary: str, work: Path, runtime: str, rounds: int, fleet: int) -> dict:
    server = Server(binary, work, runtime)
    try:
        single = []
        for _ in range(rounds):
            start = time.monotonic()
            [(instance_id, address)] = server.launch(1)
            wait_until(f"{instance_id} to serve", lambda: serving(address))
            single.append(time.monotonic() - start)
            server.terminate([instance_id])
        time.sleep(0.5)
        before_rss = server.rss_kib()
        start = time.monotonic()
        launched = server.launch(fleet)
        pending = {address for _, address in launched}
        while pending:
            pending = {a for a in pending if not serving(a)}
            if time.monotonic() - start > DEADLINE_S:
                raise SystemExit(f"{len(pending)} of {fleet} never served")
        fleet_s = time.monotonic() - start
        time.sleep(1.0)  # idle
        side = ballast_side_processes(server.data_dir)
        side_kib = sum(pss_kib(pid) for pid in side)
        growth_kib = max(0, server.rss_kib() - before_rss)
        server.terminate([instance_id for instance_id, _ in launched])
        return {
            "p50": statistics.median(single) * 1000,
            "p90": sorted(single)[max(0, int(len(single) * 0.9) - 1)] * 1000,
            "fleet": fleet_s,
            "per_instance_mib": (side_kib + growth_kib) / fleet / 1024,
            "processes": len(side) / fleet,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--fleet", type=int, default=50)
    args = parser.parse_args()
    results = {
        runtime: measure(args.ballast, args.work, runtime, args.rounds, args.fleet)
        for runtime in ("process", "sandbox")
    }
    print()
    print(
        f"| runtime | boot → serving p50 (ms) | p90 (ms) | {args.fleet} in one call, "
        "all serving (s) | Ballast's side per idle instance (MiB) | its processes per instance |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for runtime, r in results.items():
        print(
            f"| {runtime} | {r['p50']:.0f} | {r['p90']:.0f} | {r['fleet']:.2f} | "
            f"{r['per_instance_mib']:.2f} | {r['processes']:.0f} |"
        )
    ratio = results["sandbox"]["p50"] / results["process"]["p50"]
    print(f"\nsandbox / process boot p50: {ratio:.2f}x")


if __name__ == "__main__":
    main()
