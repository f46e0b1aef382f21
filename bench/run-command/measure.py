"""Times Run Command end to end; see bench/run-command.sh."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import free_port, wait_until  # noqa: E402  (bench/ is not a package)

AL2023 = "ami-0ba11a5700a023086"
DEADLINE_S = 120
TRUST_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Server:
    def __init__(self, binary: str, work: Path):
        self.port = free_port()
        self.log = open(work / "ballast.log", "wb")
        self.proc = subprocess.Popen(
            [
                binary, "up",
                "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", str(work / "data"),
                "--instance-runtime", "process",
                "--hosts-file", "off",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("BALLAST_")},
        )
        config = Config(retries={"max_attempts": 1})
        client = lambda service: boto3.client(  # noqa: E731
            service,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )
        self.ec2, self.iam, self.ssm = client("ec2"), client("iam"), client("ssm")
        wait_until("the server", self._up, deadline=DEADLINE_S, every=0.05)

    def _up(self) -> bool:
        try:
            self.ec2.describe_instances()
            return True
        except Exception:
            return False

    def managed_fleet(self, count: int) -> list[str]:
        self.iam.create_role(RoleName="managed", AssumeRolePolicyDocument=TRUST_EC2)
        self.iam.attach_role_policy(
            RoleName="managed", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
        )
        self.iam.create_instance_profile(InstanceProfileName="managed")
        self.iam.add_role_to_instance_profile(InstanceProfileName="managed", RoleName="managed")
        out = self.ec2.run_instances(
            ImageId=AL2023, MinCount=count, MaxCount=count, IamInstanceProfile={"Name": "managed"}
        )
        ids = sorted(i["InstanceId"] for i in out["Instances"])

        def online() -> bool:
            listed = self.ssm.describe_instance_information(
                Filters=[{"Key": "PingStatus", "Values": ["Online"]}]
            )["InstanceInformationList"]
            return len(listed) == count

        wait_until("the fleet to be managed", online, deadline=DEADLINE_S, every=0.2)
        return ids

    def send(self, ids: list[str], command: str, concurrency: str = "50") -> str:
        return self.ssm.send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=ids,
            Parameters={"commands": [command]},
            MaxConcurrency=concurrency,
        )["Command"]["CommandId"]

    def succeeded(self, command_id: str, instance_id: str) -> bool:
        try:
            out = self.ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except self.ssm.exceptions.InvocationDoesNotExist:
            return False
        if out["Status"] in ("Failed", "TimedOut", "Cancelled"):
            raise SystemExit(f"{command_id} on {instance_id}: {out['Status']}")
        return out["Status"] == "Success"

    def all_succeeded(self, command_id: str) -> bool:
        (command,) = self.ssm.list_commands(CommandId=command_id)["Commands"]
        if command["Status"] in ("Failed", "TimedOut", "Cancelled"):
            raise SystemExit(f"{command_id}: {command['Status']} {command['StatusDetails']}")
        return command["Status"] == "Success"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def direct(rounds: int, work: Path) -> list[float]:
    """The floor: bash running the same script file on this machine."""
    script = work / "echo.sh"
    script.write_text("echo hello\n")
    times = []
    for _ in range(rounds):
        start = time.monotonic()
        subprocess.run(["bash", str(script)], check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--fleet", type=int, default=50)
    args = parser.parse_args()
    server = Server(args.ballast, args.work)
    try:
        ids = server.managed_fleet(args.fleet)
        single = []
        for _ in range(args.rounds):
            start = time.monotonic()
            command_id = server.send(ids[:1], "echo hello")
            wait_until("echo to succeed", lambda: server.succeeded(command_id, ids[0]),
                       deadline=DEADLINE_S, every=0.001)
            single.append(time.monotonic() - start)
        start = time.monotonic()
        command_id = server.send(ids, "echo hello", concurrency="100%")
        wait_until("the fleet command to succeed", lambda: server.all_succeeded(command_id),
                       deadline=DEADLINE_S, every=0.001)
        fleet_s = time.monotonic() - start
    finally:
        server.stop()
    floor = direct(args.rounds, args.work)
    p50, floor_p50 = statistics.median(single) * 1000, statistics.median(floor) * 1000
    print()
    print("| measure | Ballast | direct `bash` | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| `echo` on one instance, SendCommand → Success, p50 | {p50:.1f} ms | {floor_p50:.1f} ms | {p50 / floor_p50:.1f}× |")
    print(f"| same, p90 | {percentile(single, 0.9) * 1000:.1f} ms | {percentile(floor, 0.9) * 1000:.1f} ms | |")
    print(f"| one command to {args.fleet} instances (MaxConcurrency 100%), all Success | {fleet_s:.2f} s | | |")


if __name__ == "__main__":
    main()
