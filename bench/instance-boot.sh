#!/usr/bin/env bash
# Instance boot benchmark: sandboxed instances against process-mode
# instances, measured in the same run by the same client (boto3).
#
#   bench/instance-boot.sh          (as root: sandboxes need it)
#
# Tunables (environment): ROUNDS (single-instance launches, default 10),
# FLEET (instances in one RunInstances call, default 50).
#
# For each runtime it starts a release `ballast up` (time scale 0.01, so
# the five seconds AWS keeps an instance pending take 50 ms), then
#  - launches one instance ROUNDS times and times RunInstances → its
#    server answering on the instance's address (p50, p90);
#  - launches FLEET instances in one call and times until every one serves;
#  - reads what Ballast spends per idle instance: the proportional set size
#    of the processes it runs for each instance (the boot shell; for
#    sandboxes also the launcher and the init), without the workload.
# Prints one markdown table. Every server it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init instance-boot

[[ $(id -u) == 0 ]] || die "sandboxes need root; run as root"

step "build ballast (release)"
cargo build --release -q -p ballast
venv="$root/target/compat-venv"
venv_install "$venv" "$root/tests/compat/requirements.txt" "$venv/bin/python"

machine_line
"$venv/bin/python" "$root/bench/instance-boot/measure.py" \
  --ballast "$root/target/release/ballast" \
  --work "$work" \
  --rounds "${ROUNDS:-10}" \
  --fleet "${FLEET:-50}"
