"""Times EBS attaches into a sandboxed instance; see bench/ebs-attach.sh."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "instance-boot"))
from measure import AL2023, Server, wait_until  # noqa: E402

# Stamps every block device under /dev/xvd* once, the moment it appears,
# on the console: "seen /dev/xvdb 1733350000123456789".
WATCHER = """#!/bin/bash
declare -A seen
while true; do
  for dev in /dev/xvd?; do
    if [ -b "$dev" ] && [ -z "${seen[$dev]}" ]; then
      seen[$dev]=1
      echo "seen $dev $(date +%s%N)"
    elif [ ! -e "$dev" ]; then
      unset "seen[$dev]"
    fi
  done
  sleep 0.002
done
"""
DEVICES = [f"/dev/xvd{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"]


def console(ec2, instance_id: str) -> str:
    # botocore decodes the console's base64 itself.
    return ec2.get_console_output(InstanceId=instance_id).get("Output", "")


def stamps(ec2, instance_id: str, device: str) -> list[int]:
    return [
        int(line.split()[2])
        for line in console(ec2, instance_id).splitlines()
        if line.startswith(f"seen {device} ")
    ]


def volume_state(ec2, volume_id: str) -> str:
    (volume,) = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    return volume["Attachments"][0]["State"] if volume["Attachments"] else volume["State"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    server = Server(args.ballast, args.work, "sandbox")
    try:
        ec2 = server.ec2
        out = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1, UserData=WATCHER)
        instance = out["Instances"][0]
        instance_id = instance["InstanceId"]
        zone = instance["Placement"]["AvailabilityZone"]
        wait_until(
            "the instance to run",
            lambda: ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0][
                "State"
            ]["Name"]
            == "running",
        )
        visible, attached, detached = [], [], []
        for round_ in range(args.rounds):
            device = DEVICES[round_ % len(DEVICES)]
            before = len(stamps(ec2, instance_id, device))
            volume = ec2.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]
            wait_until("the volume", lambda: volume_state(ec2, volume) == "available")
            start_ns = time.time_ns()
            ec2.attach_volume(VolumeId=volume, InstanceId=instance_id, Device=device)
            wait_until("attached", lambda: volume_state(ec2, volume) == "attached")
            attached.append((time.time_ns() - start_ns) / 1e6)
            wait_until("the stamp", lambda: len(stamps(ec2, instance_id, device)) > before)
            visible.append((stamps(ec2, instance_id, device)[-1] - start_ns) / 1e6)
            start_ns = time.time_ns()
            ec2.detach_volume(VolumeId=volume)
            wait_until("detached", lambda: volume_state(ec2, volume) == "available")
            detached.append((time.time_ns() - start_ns) / 1e6)
            ec2.delete_volume(VolumeId=volume)
        ec2.terminate_instances(InstanceIds=[instance_id])
    finally:
        server.stop()
    print()
    print(f"| {args.rounds} rounds, sandbox runtime | p50 (ms) | p90 (ms) |")
    print("|---|---:|---:|")
    for name, values in [
        ("AttachVolume → device in the instance", visible),
        ("AttachVolume → DescribeVolumes `attached`", attached),
        ("DetachVolume → DescribeVolumes `available`", detached),
    ]:
        print(f"| {name} | {statistics.median(values):.1f} | {percentile(values, 0.9):.1f} |")
    print(f"\ndevice in the instance p50 / 100 ms budget: {statistics.median(visible) / 100:.2f}")


if __name__ == "__main__":
    main()
