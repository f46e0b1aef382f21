"""Times Lambda cold starts and warm invocations; see bench/lambda-invoke.sh."""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchlib import ballast, client, wait_until  # noqa: E402  (bench/ is not a package)


HANDLER = "def handler(event, context):\n    return {'echo': event}\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}






def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", HANDLER)
    return buffer.getvalue()


def row(name: str, samples: list[float], peer_name: str, peer: list[float]) -> str:
    p50, peer50 = statistics.median(samples), statistics.median(peer)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    return f"| {name} | {p50:.2f} | {p95:.2f} | {peer_name} | {peer50:.2f} | {p50 / peer50:.2f}x |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    work = Path(args.work)

    with ballast(args.ballast, work, "--instance-runtime", "process",
                 "--lambda-python", sys.executable,
                 "--lb-cidr", "127.93.0.0/17", "--instance-cidr", "127.93.128.0/17") as endpoint:
        iam, lam = client("iam", endpoint), client("lambda", endpoint)
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam.create_function(FunctionName="bench", Runtime="python3.12", Handler="index.handler",
                            Role=role, Code={"ZipFile": package()})
        payload = json.dumps({"n": 1})

        # Cold: every update retires the warm environment, so the next
        # invocation starts a new one.
        cold = []
        for n in range(args.rounds):
            lam.update_function_configuration(FunctionName="bench", Description=f"round {n}")
            cold.append(timed(lambda: lam.invoke(FunctionName="bench", Payload=payload)["Payload"].read()))
        code_dir = next((work / "data" / "lambda" / "code").iterdir())
        bare = [
            timed(lambda: subprocess.run(
                [sys.executable, "-c", "import json, urllib.request, index"], cwd=code_dir, check=True))
            for _ in range(args.rounds)
        ]

        lam.invoke(FunctionName="bench", Payload=payload)["Payload"].read()
        warm = [timed(lambda: lam.invoke(FunctionName="bench", Payload=payload)["Payload"].read())
                for _ in range(args.rounds * 10)]
        plain = [timed(lambda: lam.get_function(FunctionName="bench")) for _ in range(args.rounds * 10)]

        print()
        print("| measure | p50 ms | p95 ms | peer | peer p50 ms | ratio |")
        print("|---|---|---|---|---|---|")
        print(row("cold start (Invoke, new environment)", cold, "python3 importing the handler", bare))
        print(row("warm Invoke", warm, "GetFunction", plain))


if __name__ == "__main__":
    main()
