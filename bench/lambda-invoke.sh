#!/usr/bin/env bash
# Lambda invocation benchmark: cold start (a new execution environment:
# a Python process importing the handler, then the invocation) and warm
# invocation (the same environment again), each seen by a boto3 client as
# Invoke's round trip, beside their peers measured in the same run:
#
#   - cold start vs starting the same Python and importing the same
#     handler directly (the floor any process-based runtime pays);
#   - warm Invoke vs GetFunction on the same function (a plain API round
#     trip through the same endpoint and client).
#
#   bench/lambda-invoke.sh
#
# Tunables (environment): ROUNDS (default 30), BALLAST_BIN (a ballast
# binary to use instead of building the release one). Prints one markdown
# table.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init lambda-invoke

release_ballast_with_compat_venv

machine_line
"$venv/bin/python" "$root/bench/lambda-invoke/measure.py" \
  --ballast "$BALLAST_BIN" \
  --work "$work" \
  --rounds "${ROUNDS:-30}"
