#!/usr/bin/env bash
# Run Command benchmark: how long `echo` takes from SendCommand to Success
# in GetCommandInvocation, and one command to a fleet, against the floor
# of running the same script directly on this machine, in the same run.
#
#   bench/run-command.sh
#
# Tunables (environment): ROUNDS (single-instance commands, default 30),
# FLEET (instances the fleet command goes to, default 50).
#
# It starts a release `ballast up` (process runtime, time scale 1: the
# latency is Ballast's own, not scaled), makes FLEET managed instances,
# then
#  - sends `echo hello` to one instance ROUNDS times and times SendCommand
#    → GetCommandInvocation showing Success (p50, p90);
#  - sends one command to all FLEET instances with MaxConcurrency 100% and
#    times until every invocation is Success;
#  - times `bash` running the same script directly (the floor).
# Prints one markdown table. Every server it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init run-command

step "build ballast (release)"
cargo build --release -q -p ballast
venv="$root/target/compat-venv"
venv_install "$venv" "$root/tests/compat/requirements.txt" "$venv/bin/python"

machine_line
"$venv/bin/python" "$root/bench/run-command/measure.py" \
  --ballast "$root/target/release/ballast" \
  --work "$work" \
  --rounds "${ROUNDS:-30}" \
  --fleet "${FLEET:-50}"
