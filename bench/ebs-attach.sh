#!/usr/bin/env bash
# EBS attach benchmark: AttachVolume until the instance sees the device,
# on sandboxed instances (the runtime where volumes are block devices).
#
#   bench/ebs-attach.sh          (as root: sandboxes need it)
#
# Tunables (environment): ROUNDS (attach/detach rounds, default 20).
#
# It starts a release `ballast up` (sandbox runtime, time scale 0.01) and
# one instance whose user data watches its /dev every few milliseconds and
# stamps each block device the moment it appears. Each round creates a
# 1 GiB volume, attaches it under the next device name and times
#  - AttachVolume → the device exists inside the instance (the stamp, on
#    the same clock as the host's);
#  - AttachVolume → DescribeVolumes shows the attachment `attached`;
#  - DetachVolume → DescribeVolumes shows the volume `available`.
# There is no local peer that attaches block devices, so the ratio is
# against the issue's budget of 100 ms (AWS takes seconds; it cannot be
# measured in the same run). Prints one markdown table; the server is
# stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init ebs-attach

[[ $(id -u) == 0 ]] || die "sandboxes need root; run as root"

step "build ballast (release)"
cargo build --release -q -p ballast
venv="$root/target/compat-venv"
venv_install "$venv" "$root/tests/compat/requirements.txt" "$venv/bin/python"

machine_line
"$venv/bin/python" "$root/bench/ebs-attach/attach.py" \
  --ballast "$root/target/release/ballast" \
  --work "$work" \
  --rounds "${ROUNDS:-20}"
