"""Times the autoheal example's recovery; see bench/autoheal.sh."""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import ballast, cli_env, client, wait_until  # noqa: E402  (bench/ is not a package)


AL2023 = "ami-0ba11a5700a023086"
SERVE = """#!/bin/bash
mkdir -p /opt/app && echo up > /opt/app/index.html
cd /opt/app && nohup python3 -m http.server 8080 > /dev/null 2>&1 &
"""
DEADLINE_S = 120






def get(url: str):
    """`(status, instance id, body)` or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status, answer.headers.get("X-Instance-Id"), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Instance-Id"), ""
    except (OSError, http.client.HTTPException):
        # Nothing answers, or the address moved mid-answer.
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--example", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    work = Path(args.work)

    with ballast(args.ballast, work, "--instance-runtime", "sandbox", "--time-scale", "0.05",
                 "--lambda-python", sys.executable) as endpoint:
        env = cli_env(endpoint, work)

        ec2 = client("ec2", endpoint)
        deployed = subprocess.run([f"{args.example}/deploy.sh", "bench"], env=env,
                                  capture_output=True, text=True, check=True)
        url = f"http://{deployed.stdout.strip().splitlines()[-1]}/value"
        current = wait_until("the first instance to serve", lambda: get(url), DEADLINE_S)[1]
        value = f"kept {time.time()}"
        urllib.request.urlopen(urllib.request.Request(url, data=value.encode(), method="PUT"), timeout=5).read()

        healed = []
        for _ in range(args.rounds):
            ec2.terminate_instances(InstanceIds=[current])
            started = time.monotonic()
            answer = wait_until(
                "the value from a new instance",
                lambda: (lambda a: a if a and a[0] == 200 and a[1] != current and a[2] == value else None)(get(url)),
                DEADLINE_S,
            )
            healed.append((time.monotonic() - started) * 1000)
            current = answer[1]

        booted = []
        for _ in range(args.rounds):
            started = time.monotonic()
            instance = ec2.run_instances(ImageId=AL2023, MinCount=1, MaxCount=1, UserData=SERVE)["Instances"][0]
            address = instance["PrivateIpAddress"]
            wait_until("the bare instance to answer",
                       lambda: (get(f"http://{address}:8080/") or (0,))[0] == 200, DEADLINE_S)
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


if __name__ == "__main__":
    main()
