#!/usr/bin/env bash
# Autoheal benchmark: how long from terminating the autoheal example's
# instance until its Elastic IP serves the stored value again from the
# replacement (Auto Scaling's replacement, the lifecycle action through
# EventBridge and Lambda, the volume attached, the address moved, the
# user data mounting /data and serving), beside its peer measured in the
# same run: a bare RunInstances boot to its first HTTP answer.
#
#   bench/autoheal.sh          (as root: sandboxes need it)
#
# Tunables (environment): ROUNDS (default 5), BALLAST_BIN (a ballast
# binary to use instead of building the release one). Runs at time scale
# 0.05, as the issue's budget (under 15 s) is stated. Prints one markdown
# table.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init autoheal

[[ $(id -u) == 0 ]] || die "sandboxes need root; run as root"
command -v nft >/dev/null || die "the NAT needs nftables (apt-get install nftables)"

release_ballast_with_compat_venv

machine_line
PATH="$venv/bin:$PATH" "$venv/bin/python" "$root/bench/autoheal/measure.py" \
  --ballast "$BALLAST_BIN" \
  --example "$root/examples/autoheal" \
  --work "$work" \
  --rounds "${ROUNDS:-5}"
