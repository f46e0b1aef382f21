#!/usr/bin/env bash
# Seed 001's scenario, timed: `resilient-service --non-interactive all`
# against a release `ballast up` at time scale 0.05 (process runtime),
# stage by stage. The peer is the issue's budget of 90 s for the whole run.
# AWS takes about 20 minutes, but AWS cannot be measured in the same run.
#
#   sudo bench/resilient-service.sh
#
# Prints one markdown table. Every server it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init resilient-service

[[ $(id -u) == 0 ]] || die "run it as root: the instances serve on port 80"
step "build ballast, the recommender and resilient-service (release)"
cargo build --release -q -p ballast
cargo build --release -q -p recommender -p resilient-service

port=$(free_port)
target/release/ballast up --data-dir "$work/data" --listen "127.0.0.1:$port" \
  --time-scale 0.05 --hosts-file /etc/hosts >"$work/ballast.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    break
  fi
  sleep 0.05
done

step "resilient-service --non-interactive all"
started=$(date +%s%N)
AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
  target/release/resilient-service --endpoint-url "http://127.0.0.1:$port" \
  --work-dir "$work" --non-interactive all >"$work/run.log" 2>&1 \
  || { cat "$work/run.log" >&2; die "the scenario failed"; }
total_ms=$((($(date +%s%N) - started) / 1000000))

machine_line
echo
echo "| part | seconds |"
echo "|---|---:|"
sed -n 's/^Stage time: \(.*\): \([0-9.]*\) s$/| \1 | \2 |/p' "$work/run.log"
awk -v ms="$total_ms" 'BEGIN { printf "| **whole run** | **%.1f** |\n", ms / 1000 }'
awk -v ms="$total_ms" 'BEGIN { printf "\nWhole run / 90 s budget: %.2f\n", ms / 90000 }'
