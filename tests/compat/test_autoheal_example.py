"""Seed 003's autoheal pattern, run as `examples/autoheal` ships it: its
deploy script (the AWS CLI) against a Ballast of sandboxed instances, a
value written through the Elastic IP, the instance terminated, and the
same value served through the same address by a new instance, with no
human step between: Auto Scaling replaces the instance, its launch
lifecycle action reaches EventBridge, the rule invokes the function, and
the function attaches the volume, moves the address and completes the
action. The same again when the instance's system dies (kill -9 of its
init): its status checks fail and EC2 health replaces it. Then the
destroy script removes it all."""

import http.client
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ballast_compat import AwsCli, make_client, eventually

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "autoheal"


def request(url, method="GET", body=None):
    """`(status, instance id, body)` of one request, or None when nothing answers."""
    ask = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(ask, timeout=1) as answer:
            return answer.status, answer.headers.get("X-Instance-Id"), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("X-Instance-Id"), error.read().decode()
    except (OSError, http.client.HTTPException):
        # Nothing answers, or the address moved mid-answer.
        return None


def group_instance(autoscaling, name):
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    members = [m for m in groups[0]["Instances"] if m["LifecycleState"] == "InService"] if groups else []
    return members[0]["InstanceId"] if members else None


@pytest.mark.skipif(os.geteuid() != 0, reason="sandboxed instances need root (namespaces, mounts, links)")
def test_the_same_address_serves_the_same_data_after_the_instance_dies(server_factory, tmp_path, uid):
    server = server_factory.new(
        "autoheal", extra_args=("--instance-runtime", "sandbox", "--time-scale", "0.05")
    )
    server.start()
    cli = AwsCli(server.endpoint, tmp_path)
    name = f"autoheal-{uid}"

    deployed = subprocess.run(
        [str(EXAMPLE / "deploy.sh"), name], env=cli.env, capture_output=True, text=True, timeout=300
    )
    assert deployed.returncode == 0, deployed.stderr
    address = deployed.stdout.strip().splitlines()[-1]
    url = f"http://{address}/value"

    autoscaling = make_client("autoscaling", server.endpoint)
    first = eventually("an instance in service", lambda: group_instance(autoscaling, name), deadline_s=60)
    served = eventually("the instance to answer on its address", lambda: request(url), deadline_s=60)
    assert served[:2] == (404, first), served
    value = f"written through {address} at {time.time()}"
    assert request(url, "PUT", value.encode()) == (200, first, value)

    ec2 = make_client("ec2", server.endpoint)
    ec2.terminate_instances(InstanceIds=[first])
    started = time.monotonic()

    def healed():
        answer = request(url)
        return answer if answer and answer[0] == 200 and answer[1] != first else None

    status, second, body = eventually("the value served by a new instance", healed, deadline_s=90)
    print(f"\nautoheal: {first} terminated, {second} served the value again in {time.monotonic() - started:.1f}s")
    assert body == value
    assert group_instance(autoscaling, name) == second

    # The second one's system dies under it (kill -9 of its init, every
    # process inside goes too): its status checks fail, EC2 health
    # replaces it, and the value comes back once more.
    init = (server.data_dir / "instances" / second / "init.pid").read_text().strip()
    os.kill(int(init), 9)
    started = time.monotonic()

    def healed_again():
        answer = request(url)
        return answer if answer and answer[0] == 200 and answer[1] not in (first, second) else None

    status, third, body = eventually("the value served by a third instance", healed_again, deadline_s=90)
    print(f"autoheal: {second} killed, {third} served the value again in {time.monotonic() - started:.1f}s")
    assert body == value

    destroyed = subprocess.run(
        [str(EXAMPLE / "destroy.sh"), name], env=cli.env, capture_output=True, text=True, timeout=300
    )
    assert destroyed.returncode == 0, destroyed.stderr
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"] == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert make_client("lambda", server.endpoint).list_functions()["Functions"] == []
