#!/usr/bin/env bash
# API-latency benchmark: Ballast and moto (the common local AWS mock) serve
# the same SigV4-signed SSM GetParameter under the same client in one run.
#
#   bench/api-latency.sh
#
# Tunables (environment): DURATION (measured seconds per level, default 10),
# WARMUP (seconds, default 2), CONCURRENCY (default 1,8), SIGN (per-request
# or per-second, default per-request).
#
# Builds ballast and the load generator in release mode, installs moto into
# target/bench-venv on first use, then for each server: spawns it on a free
# loopback port, measures the time to its first accepted connection and its
# idle RSS, creates /bench/param with PutParameter, and runs the load. Prints
# one markdown table. Every server it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init bench

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONCURRENCY=${CONCURRENCY:-1,8}
SIGN=${SIGN:-per-request}

bench="$root/target/release/api-latency"
ballast="$root/target/release/ballast"
venv="$root/target/bench-venv"
requirements="$root/bench/api-latency/requirements.txt"

# bench_server NAME PORT COMMAND...: spawn the server, time its start-up,
# read its idle RSS, create the parameter and run the load against it.
bench_server() {
  local name=$1 port=$2
  shift 2
  local endpoint="http://127.0.0.1:$port" pid startup
  spawn_ready "$name" "$endpoint" "$@"
  pid=$server_pid startup=$server_startup_ms
  sleep 1 # let it settle before reading its idle footprint
  startup_args+=(--startup-ms "$name=$startup")
  rss_args+=(--idle-rss-kib "$name=$(rss_kib "$pid" VmRSS)")
  echo "$name: accepting connections ${startup} ms after spawn, idle RSS $(rss_kib "$pid" VmRSS) KiB" >&2

  "$bench" put --endpoint "$endpoint" >&2
  "$bench" load --endpoint "$endpoint" --label "$name" --server-pid "$pid" --concurrency "$CONCURRENCY" \
    --duration "$DURATION" --warmup "$WARMUP" --sign "$SIGN" --json-out "$work/results.jsonl" >&2
  echo "$name: peak RSS $(rss_kib "$pid" VmHWM) KiB after the load" >&2

  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

step "build ballast and the load generator (release)"
cargo build --release --quiet -p ballast -p ballast-bench-api

step "moto in $venv"
venv_install "$venv" "$requirements" "$venv/bin/moto_server"
moto_version=$("$venv/bin/python" -c 'import moto; print(moto.__version__)')

startup_args=()
rss_args=()

step "ballast"
port=$(free_port)
bench_server ballast "$port" "$ballast" up --listen "127.0.0.1:$port" --data-dir "$work/ballast-data" --instance-runtime process
grep -q "is listening on http://127.0.0.1:$port" "$work/ballast.log" \
  || { echo "ballast never printed its listening banner" >&2; exit 1; }

step "moto $moto_version (does not verify signatures)"
port=$(free_port)
bench_server moto "$port" "$venv/bin/moto_server" -H 127.0.0.1 -p "$port"

step "results"
machine_line
echo "Ballast $("$ballast" --version | awk '{ print $2 }') (verifies SigV4) vs moto $moto_version (accepts any signature);" \
  "SSM GetParameter, ${DURATION} s per level after ${WARMUP} s warm-up, one keep-alive connection per worker."
echo
"$bench" report --results "$work/results.jsonl" --baseline ballast --peer moto \
  "${startup_args[@]}" "${rss_args[@]}"
