#!/usr/bin/env bash
# Zero-downtime benchmark: failed requests while a fleet is maintained, one
# row per strategy, over the same fleet and load (examples/ansible-rolling-
# deploy: two sandboxed instances behind an ALB, `ballast probe` at a fixed
# rate), each with the proxy doing what AWS's does and with Ballast's
# extensions (retries, passive health) on:
#
#   - every instance restarted at once;
#   - `serial: 1` restarts without deregistration;
#   - seed 004's deregister → drain → deploy → register;
#   - `kill -9` of one instance's app (no supervisor restarts it);
#   - an Auto Scaling instance refresh, once the fleet is in a group;
#   - seed 000's maintenance window (examples/graceful-maintenance: its
#     own fleet of three, each rebooted by the graceful runbook).
#
#   bench/zero-downtime.sh          (as root: sandboxes need it)
#
# Tunables (environment): RATE (requests/s, default 50), BALLAST_BIN (a
# ballast binary to use instead of building the release one). Prints one
# markdown table.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init zero-downtime

[[ $(id -u) == 0 ]] || die "sandboxes need root; run as root"

release_ballast_with_compat_venv
collections="$root/target/ansible-collections"
"$root/examples/ansible-rolling-deploy/install-collection.sh" "$venv/bin/python" "$collections"

machine_line
PATH="$venv/bin:$PATH" "$venv/bin/python" "$root/bench/zero-downtime/measure.py" \
  --ballast "$BALLAST_BIN" \
  --example "$root/examples/ansible-rolling-deploy" \
  --maintenance "$root/examples/graceful-maintenance" \
  --collections "$collections" \
  --work "$work" \
  --rate "${RATE:-50}"
