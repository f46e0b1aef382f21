#!/usr/bin/env bash
# DynamoDB benchmark: GetItem and PutItem throughput and latency against
# Ballast and moto (the common local AWS mock, the peer installable here:
# DynamoDB Local needs Java and a download outside the package registries)
# under the same client in one run.
#
#   bench/dynamodb.sh
#
# Tunables (environment): DURATION (measured seconds per level, default 10),
# WARMUP (seconds, default 2), CONCURRENCY (default 1,8), SIGN (per-request
# or per-second, default per-request).
#
# Builds ballast and the load generator (bench/api-latency, a second
# process) in release mode, installs moto into target/bench-venv on first
# use, then for each server: spawns it on a free loopback port, creates an
# on-demand table and one ~200-byte item, and runs a bounded load of
# GetItem, then of PutItem (overwriting that item: every PutItem is a
# durable commit on Ballast). Prints one markdown table per operation with
# the Ballast/moto ratios. Every server it starts is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init ddb-bench

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONCURRENCY=${CONCURRENCY:-1,8}
SIGN=${SIGN:-per-request}

bench="$root/target/release/api-latency"
ballast="$root/target/release/ballast"
venv="$root/target/bench-venv"
requirements="$root/bench/api-latency/requirements.txt"

# bench_server NAME PORT COMMAND...: spawn the server, set up the table and
# run the GetItem and PutItem loads against it.
bench_server() {
  local name=$1 port=$2
  shift 2
  local endpoint="http://127.0.0.1:$port" pid startup
  spawn_ready "$name" "$endpoint" "$@"
  pid=$server_pid startup=$server_startup_ms
  echo "$name: accepting connections ${startup} ms after spawn" >&2
  "$bench" ddb-setup --endpoint "$endpoint" --table bench >&2
  for op in get-item put-item; do
    "$bench" load --endpoint "$endpoint" --label "$name" --server-pid "$pid" --operation "$op" \
      --table bench --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" \
      --sign "$SIGN" --json-out "$work/$op.jsonl" >&2
  done
  echo "$name: peak RSS $(rss_kib "$pid" VmHWM) KiB after the load" >&2
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

step "build ballast and the load generator (release)"
cargo build --release --quiet -p ballast -p ballast-bench-api

step "moto in $venv"
venv_install "$venv" "$requirements" "$venv/bin/moto_server"
moto_version=$("$venv/bin/python" -c 'import moto; print(moto.__version__)')

step "ballast"
port=$(free_port)
bench_server ballast "$port" "$ballast" up --listen "127.0.0.1:$port" --data-dir "$work/ballast-data" \
  --hosts-file off --instance-runtime process

step "moto $moto_version (does not verify signatures, keeps items in memory)"
port=$(free_port)
bench_server moto "$port" "$venv/bin/moto_server" -H 127.0.0.1 -p "$port"

step "results"
machine_line
echo "Ballast $("$ballast" --version | awk '{ print $2 }') (verifies SigV4, commits every write to SQLite with synchronous=FULL)" \
  "vs moto $moto_version (accepts any signature, in memory); ${DURATION} s per level after ${WARMUP} s warm-up," \
  "one keep-alive connection per worker, load from a separate process."
for op in get-item put-item; do
  echo
  echo "DynamoDB ${op}:"
  echo
  "$bench" report --results "$work/$op.jsonl" --baseline ballast --peer moto
done
