#!/usr/bin/env bash
# Elastic IP re-association benchmark: how long from AssociateAddress
# (moving an Elastic IP from one sandboxed instance to another) until the
# first byte of the new instance's answer on that address, seen from the
# host, as AWS's one-to-one NAT would serve it.
#
#   bench/eip-reassociation.sh          (as root: sandboxes need it)
#
# Tunables (environment): ROUNDS (moves, default 20), BALLAST_BIN (a
# ballast binary to use instead of building the release one).
#
# It starts a release `ballast up` with sandboxes (time scale 0.01), two
# instances each serving its hostname on port 8080, and one Elastic IP;
# then moves the address back and forth ROUNDS times with boto3, timing
# AssociateAddress (sent) → first byte of an HTTP answer from the
# instance it now leads to (polled every 5 ms with a fresh connection),
# and checks that a connection opened to the old instance before the move
# has ended. Prints one markdown table.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init eip-reassociation

[[ $(id -u) == 0 ]] || die "sandboxes need root; run as root"
command -v nft >/dev/null || die "the NAT needs nftables (apt-get install nftables)"

release_ballast_with_compat_venv

machine_line
"$venv/bin/python" "$root/bench/eip-reassociation/measure.py" \
  --ballast "$BALLAST_BIN" \
  --work "$work" \
  --rounds "${ROUNDS:-20}"
