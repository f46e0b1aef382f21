"""Failed requests during maintenance, strategy by strategy; see
bench/zero-downtime.sh."""

from __future__ import annotations

import argparse
import base64
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import ballast, cli_env, client, wait_until  # noqa: E402  (bench/ is not a package)

# What the proxy does in each column: AWS's behaviour, then Ballast's with
# its extensions (retrying a refused connection on another target, passive
# health).
MODES = [
    ("AWS", ("--proxy-retries", "false", "--passive-health", "false")),
    ("Ballast", ()),
]


def start_probe(ballast_bin: str, url: str, rate: int, out: Path, bound: str) -> subprocess.Popen:
    """`ballast probe` at `rate` against `url`, JSON lines into `out`,
    sending for at most `bound` unless stopped first."""
    return subprocess.Popen(
        [ballast_bin, "probe", url, "--rate", f"{rate}/s", "--duration", bound,
         "--timeout", "2s", "--json"],
        stdout=out.open("w"), stderr=subprocess.STDOUT,
    )


def stop_probe(probe: subprocess.Popen, out: Path, took: float) -> dict:
    """Ends the probe (it still prints its summary); the summary, with
    how long the strategy took."""
    probe.send_signal(signal.SIGTERM)
    probe.wait(timeout=30)
    summary = json.loads(out.read_text().strip().splitlines()[-1])
    summary["took"] = took
    return summary


class Fleet:
    """The example's fleet under one Ballast: its environment, state and
    the helpers every strategy uses."""

    def __init__(self, example: Path, env: dict, state: Path, endpoint: str, rate: int):
        self.example, self.env, self.state, self.rate = example, env, state, rate
        self.elbv2 = client("elbv2", endpoint)
        self.target_group = (state / "vars.yml").read_text().split("target_group_arn: ")[1].split()[0]
        self.version = 1
        self.killed: str | None = None

    def states(self) -> dict[str, str]:
        out = self.elbv2.describe_target_health(TargetGroupArn=self.target_group)
        return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in out["TargetHealthDescriptions"]}

    def all_healthy(self) -> bool:
        states = self.states()
        return len(states) == 2 and set(states.values()) == {"healthy"}

    def hosts(self) -> list[str]:
        listed = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-inventory"), "--list"],
            cwd=self.example, env=self.env, capture_output=True, text=True, check=True,
        )
        return sorted(json.loads(listed.stdout)["apps"]["hosts"])

    def playbook(self, name: str, *extra: str) -> None:
        self.version += 1
        subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), name,
             "-e", f"@{self.state / 'vars.yml'}", "-e", f"app_version={self.version}",
             "--private-key", str(self.state / "app-key.pem"), *extra],
            cwd=self.example, env=self.env, capture_output=True, check=True,
        )

    def ssh(self, host: str, command: str) -> None:
        subprocess.run(
            ["ssh", "-i", str(self.state / "app-key.pem"), "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
             f"ec2-user@{host}", command],
            check=True, capture_output=True, timeout=60,
        )

    def kill_one(self) -> None:
        """kill -9 of one instance's app, with nothing to restart it: the
        strategy lasts until health checks take the instance out."""
        self.killed = self.hosts()[0]
        # `[/]` keeps the pattern from matching the shell that runs it.
        self.ssh(self.killed, "sudo pkill -9 -f '[/]opt/app/app.py'")
        wait_until("the killed app's target to be unhealthy",
                   lambda: "unhealthy" in self.states().values(), deadline=120, every=0.05)

    def mend(self) -> None:
        """Starts the app again where `kill_one` killed it."""
        if self.killed:
            self.ssh(self.killed, "sudo sh -c 'setsid nohup python3 /opt/app/app.py "
                     "> /var/log/app.log 2>&1 < /dev/null &'")
            self.killed = None

    def to_auto_scaling(self, endpoint: str) -> None:
        """Hands the fleet to an Auto Scaling group of two on the same
        target group, launched from a template with the same user data,
        and retires the bare instances (out of the target group first)."""
        ec2, asg, ssm = (client(s, endpoint) for s in ("ec2", "autoscaling", "ssm"))
        bare = list(self.states())
        image = ssm.get_parameter(
            Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        )["Parameter"]["Value"]
        user_data = base64.b64encode((self.state / "user-data.sh").read_bytes()).decode()
        ec2.create_launch_template(LaunchTemplateName="rolling-app", LaunchTemplateData={
            "ImageId": image, "InstanceType": "t3.micro", "KeyName": "rolling-app-key",
            "IamInstanceProfile": {"Name": "rolling-app-role"}, "UserData": user_data,
        })
        zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        asg.create_auto_scaling_group(
            AutoScalingGroupName="rolling-app",
            LaunchTemplate={"LaunchTemplateName": "rolling-app", "Version": "$Latest"},
            MinSize=2, MaxSize=4, DesiredCapacity=2, AvailabilityZones=[zone],
            TargetGroupARNs=[self.target_group], HealthCheckType="ELB", HealthCheckGracePeriod=30,
        )
        wait_until("the group's instances healthy beside the bare ones",
                   lambda: list(self.states().values()).count("healthy") == 4, deadline=180, every=0.2)
        self.elbv2.deregister_targets(TargetGroupArn=self.target_group, Targets=[{"Id": i} for i in bare])
        wait_until("the bare instances drained", self.all_healthy, deadline=120, every=0.1)
        ec2.terminate_instances(InstanceIds=bare)
        self.autoscaling = asg

    def refresh(self) -> None:
        """An instance refresh of the group: one instance at a time (50 %
        healthy kept), each new one warmed up before the next."""
        started = self.autoscaling.start_instance_refresh(
            AutoScalingGroupName="rolling-app",
            Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 10},
        )["InstanceRefreshId"]

        def ended():
            refreshes = self.autoscaling.describe_instance_refreshes(
                AutoScalingGroupName="rolling-app", InstanceRefreshIds=[started]
            )["InstanceRefreshes"]
            status = refreshes[0]["Status"]
            if status in ("Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"):
                raise SystemExit(f"the instance refresh ended {status}")
            return status == "Successful"

        wait_until("the instance refresh", ended, deadline=300, every=0.2)

    def leave_auto_scaling(self) -> None:
        self.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="rolling-app", ForceDelete=True)

    def measure(self, ballast_bin: str, action) -> dict:
        """Runs `action` under `ballast probe`; the summary, and how long
        the action took."""
        wait_until("every target healthy", self.all_healthy, deadline=120, every=0.1)
        out = self.state / "probe.json"
        url = (self.state / "url").read_text().strip()
        probe = start_probe(ballast_bin, url, self.rate, out, "600s")
        time.sleep(1)
        began = time.monotonic()
        action()
        took = time.monotonic() - began
        self.mend()
        wait_until("every target healthy again", self.all_healthy, deadline=120, every=0.1)
        time.sleep(1)
        return stop_probe(probe, out, took)


STRATEGIES = [
    ("restart every instance at once", lambda f: f.playbook("restart-in-place.yml", "-e", "batch=100%")),
    ("`serial: 1` restart, no deregistration", lambda f: f.playbook("restart-in-place.yml")),
    ("seed 004: deregister, drain, deploy, register", lambda f: f.playbook("playbook.yml")),
    ("`kill -9` of one instance's app", lambda f: f.kill_one()),
    # After the fleet has moved into an Auto Scaling group (see main).
    ("Auto Scaling instance refresh", lambda f: f.refresh()),
]
SEED_000 = "seed 000: maintenance window, graceful reboots (3 instances)"


def seed_000_window(ballast_bin: str, maintenance: Path, env: dict, rate: int, out: Path) -> dict:
    """examples/graceful-maintenance/run.sh (its own fleet of three) under
    the probe: the probe starts once the script names its load balancer
    and stops when the window has ended."""
    script = subprocess.Popen([str(maintenance / "run.sh")], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    probe = None
    began = time.monotonic()
    for line in script.stdout:
        if line.startswith("== requests against ") and probe is None:
            url = line.split()[3]
            probe = start_probe(ballast_bin, url, rate, out, "900s")
            began = time.monotonic()
    if script.wait(timeout=900) != 0 or probe is None:
        raise SystemExit("examples/graceful-maintenance/run.sh failed")
    return stop_probe(probe, out, time.monotonic() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--example", required=True)
    parser.add_argument("--collections", required=True)
    parser.add_argument("--maintenance", required=True, help="examples/graceful-maintenance")
    parser.add_argument("--work", required=True)
    parser.add_argument("--rate", type=int, default=50)
    args = parser.parse_args()
    work, example = Path(args.work), Path(args.example)

    rows: dict[str, dict[str, dict]] = {name: {} for name, _ in STRATEGIES}
    rows[SEED_000] = {}
    for mode, flags in MODES:
        mode_work = work / mode
        mode_work.mkdir()
        with ballast(args.ballast, mode_work, "--instance-runtime", "sandbox", "--time-scale", "0.1",
                     *flags, hosts_file="/etc/hosts") as endpoint:
            env = cli_env(
                endpoint, work,
                ROLLING_STATE=str(mode_work / "state"),
                ANSIBLE_CONFIG=str(example / "ansible.cfg"),
                ANSIBLE_COLLECTIONS_PATH=args.collections,
                ANSIBLE_LOCAL_TEMP=str(mode_work / "ansible-local"),
                ANSIBLE_SSH_CONTROL_PATH_DIR=str(mode_work / "ansible-cp"),
            )
            subprocess.run([str(example / "deploy.sh")], env=env, check=True, capture_output=True)
            fleet = Fleet(example, env, mode_work / "state", endpoint, args.rate)
            for name, action in STRATEGIES:
                if action is STRATEGIES[-1][1]:
                    fleet.to_auto_scaling(endpoint)
                print(f"{mode}: {name}", file=sys.stderr)
                rows[name][mode] = fleet.measure(args.ballast, lambda: action(fleet))
            fleet.leave_auto_scaling()
            subprocess.run([str(example / "destroy.sh")], env=env, check=True, capture_output=True)
            print(f"{mode}: {SEED_000}", file=sys.stderr)
            rows[SEED_000][mode] = seed_000_window(
                args.ballast, Path(args.maintenance), env, args.rate, mode_work / "seed-000.json")

    print(f"\n{args.rate} requests/s through the ALB to two instances (sandboxes, time scale 0.1); "
          "app warm-up 2 s; health checks every 5 s (0.5 s scaled), 2 to change state.\n")
    header = "| strategy | " + " | ".join(
        f"failed ({m}) | p99 ms ({m})" for m, _ in MODES) + " | duration s |"
    print(header)
    print("|" + "---|" * (2 * len(MODES) + 2))
    for name in rows:
        cells = []
        for mode, _ in MODES:
            s = rows[name][mode]
            causes = ", ".join(f"{cause} {n}" for cause, n in sorted(s["failures"].items()))
            cells.append(f"{s['failed']} / {s['sent']}" + (f" ({causes})" if causes else ""))
            cells.append(f"{s['latency_ms']['p99']:.1f}")
        took = sum(rows[name][m]["took"] for m, _ in MODES) / len(MODES)
        print(f"| {name} | " + " | ".join(cells) + f" | {took:.1f} |")


if __name__ == "__main__":
    main()
