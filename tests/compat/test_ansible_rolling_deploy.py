"""Seed 004 with Ansible, as `examples/ansible-rolling-deploy` ships it:
its deploy script (the AWS CLI) builds two sandboxed instances behind an
ALB; the amazon.aws dynamic inventory finds them; the playbook, over SSH
with the key pair, has each instance deregister itself with the AWS CLI
and its own role, wait for `unused`, deploy and restart the app, register
and wait for `healthy`, one at a time, while `ballast probe` sends a
steady stream of requests through the load balancer. Not one fails, and
every instance serves the new version. Then the same deploy without the
deregister/register steps, with the proxy doing what AWS's does (no
retries, no passive health): requests fail, as the seed says they do."""

import json
import os
import signal
import sys
import subprocess
import urllib.request
from pathlib import Path

import pytest

from ballast_compat import REPO, AwsCli, ballast_bin

EXAMPLE = REPO / "examples" / "ansible-rolling-deploy"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="sandboxed instances need root (namespaces, mounts, links)"
)


@pytest.fixture
def deployed(server_factory, tmp_path):
    server = server_factory.new(
        "rolling",
        extra_args=(
            "--instance-runtime", "sandbox",
            "--time-scale", "0.1",
            "--proxy-retries", "false",
            "--passive-health", "false",
            "--hosts-file", "/etc/hosts",
        ),
    )
    server.start()
    cli = AwsCli(server.endpoint, tmp_path / "aws-home")
    collections = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(REPO / "target" / "ansible-collections")
    subprocess.run(
        [str(EXAMPLE / "install-collection.sh"), sys.executable, collections], check=True, timeout=300
    )
    state = tmp_path / "state"
    env = {
        **cli.env,
        "ROLLING_STATE": str(state),
        "ANSIBLE_CONFIG": str(EXAMPLE / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(tmp_path / "ansible-cp"),
    }
    done = subprocess.run(
        [str(EXAMPLE / "deploy.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    yield env, state
    gone = subprocess.run(
        [str(EXAMPLE / "destroy.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert gone.returncode == 0, gone.stderr


def start_probe(state: Path, out: Path) -> subprocess.Popen:
    url = (state / "url").read_text().strip()
    return subprocess.Popen(
        [
            str(ballast_bin()), "probe", url,
            "--rate", "40/s", "--duration", "300s", "--timeout", "2s",
            "--answered-by", "body:version", "--json",
        ],
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop_probe(probe: subprocess.Popen, out: Path) -> dict:
    probe.send_signal(signal.SIGTERM)
    probe.wait(timeout=30)
    return json.loads(out.read_text().strip().splitlines()[-1])


def playbook(env, state: Path, name: str, version: int) -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"), name,
            "-e", f"@{state / 'vars.yml'}", "-e", f"app_version={version}",
            "--private-key", str(state / "app-key.pem"),
        ],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def versions_served(env) -> dict[str, str]:
    """What each instance's app answers, asked directly on port 8080."""
    inventory = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "--list"],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    hosts = json.loads(inventory.stdout)["apps"]["hosts"]
    assert len(hosts) == 2, hosts
    served = {}
    for host in hosts:
        with urllib.request.urlopen(f"http://{host}:8080/", timeout=5) as answer:
            body = json.load(answer)
        served[body["instance"]] = body["version"]
    return served


def test_a_rolling_deploy_drops_no_request_and_a_restart_in_place_does(deployed, tmp_path):
    env, state = deployed
    assert set(versions_served(env).values()) == {"1"}

    out = tmp_path / "rolling.json"
    probe = start_probe(state, out)
    playbook(env, state, "playbook.yml", 2)
    summary = stop_probe(probe, out)
    assert summary["sent"] >= 200, summary
    assert summary["failed"] == 0, summary
    assert summary["ok"] == summary["sent"], summary
    assert set(summary["answered_by"]) == {"1", "2"}, summary
    assert set(versions_served(env).values()) == {"2"}

    out = tmp_path / "in-place.json"
    probe = start_probe(state, out)
    playbook(env, state, "restart-in-place.yml", 3)
    summary = stop_probe(probe, out)
    assert summary["failed"] > 0, summary
    # The load balancer answers for the instance it could not reach. A
    # request the app was killed in the middle of answering (its headers
    # written, its body not) can only reach the client cut off, through
    # any proxy; that race is rare, the load balancer's answers are not.
    failures = summary["failures"]
    assert set(failures) <= {"502", "503", "504", "reset"}, summary
    answered = sum(failures.get(code, 0) for code in ("502", "503", "504"))
    assert answered > failures.get("reset", 0), summary
    assert set(versions_served(env).values()) == {"3"}
