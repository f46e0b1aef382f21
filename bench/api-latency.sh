#!/usr/bin/env bash
# API-latency benchmark: Ballast and three local peers serve the same
# SigV4-signed requests under the same client in one run: SSM GetParameter,
# DynamoDB GetItem and PutItem, ELBv2 DescribeTargetHealth and EC2
# DescribeInstances, each at every concurrency level.
#
#   bench/api-latency.sh
#
# The peers: fakecloud (Rust, from crates.io, built into target/bench-tools
# on first use), ministack and moto (Python, from the package index, each in
# its own virtualenv under target/). Each runs with its fastest settings
# (logging at error) and signature verification where it has one.
#
# Tunables (environment): DURATION (measured seconds per level, default 10),
# WARMUP (seconds, default 2), CONCURRENCY (default 1,8), SIGN (per-request
# or per-second, default per-request), PEERS (default
# fakecloud,ministack,moto; any subset, or empty for Ballast alone),
# DURABILITY (Ballast's --durability: process, the default, or machine),
# STARTS (how many times each server is started for its start-up time,
# the median kept; default 5).
#
# Every server is spawned on a free loopback port, timed to its first 200
# answer to a signed request (the median of STARTS starts from nothing),
# its idle RSS read and its resources created
# (bench/api-latency/setup.py, boto3). Then each operation loads every
# server in turn, so that a drift in the machine's speed over minutes (on
# a shared virtual machine, 20-30%) falls on all of them alike rather than
# on whichever ran last. Prints the tables. Every server it starts is
# stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
source bench/lib.sh
bench_init bench

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONCURRENCY=${CONCURRENCY:-1,8}
SIGN=${SIGN:-per-request}
PEERS=${PEERS-fakecloud,ministack,moto}
DURABILITY=${DURABILITY:-process}
STARTS=${STARTS:-5}
FAKECLOUD_VERSION=0.51.0
OPERATIONS=(get-parameter get-item put-item describe-target-health describe-instances)

bench="$root/target/release/api-latency"
ballast="$root/target/release/ballast"
moto_venv="$root/target/bench-venv"
ministack_venv="$root/target/bench-venv-ministack"
tools="$root/target/bench-tools"
setup="$root/bench/api-latency/setup.py"

# start_server NAME PORT COMMAND...: spawn the server STARTS times, each
# from nothing (the data directory in FRESH_DIR, when set, is removed
# first), and keep the last one running; its start-up is the median of
# the starts, so one slow start (a page cache emptied by a build) does not
# decide the row. Then read its idle RSS and create the resources the
# operations use.
declare -A endpoints=() server_pids=() arns=()
servers=()
start_server() {
  local name=$1 port=$2
  shift 2
  local endpoint="http://127.0.0.1:$port" pid startup times=() n
  for ((n = 1; n <= STARTS; n++)); do
    [[ -n "${FRESH_DIR:-}" ]] && rm -rf "$FRESH_DIR"
    spawn_ready "$name" "$endpoint" "$@"
    times+=("$server_startup_ms")
    if ((n < STARTS)); then
      kill "$server_pid"
      wait "$server_pid" 2>/dev/null || true
    fi
  done
  pid=$server_pid
  startup=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  sleep 1 # let it settle before reading its idle footprint
  startup_args+=(--startup-ms "$name=$startup")
  rss_args+=(--idle-rss-kib "$name=$(rss_kib "$pid" VmRSS)")
  echo "$name: first signed 200 ${startup} ms after spawn (median of ${times[*]}), idle RSS $(rss_kib "$pid" VmRSS) KiB" >&2
  endpoints[$name]=$endpoint
  server_pids[$name]=$pid
  arns[$name]=$("$moto_venv/bin/python" "$setup" "$endpoint")
  servers+=("$name")
}

# load_all: each operation on every server in turn; then each server's
# peak RSS, and the server stopped.
load_all() {
  local op name pid
  for op in "${OPERATIONS[@]}"; do
    for name in "${servers[@]}"; do
      "$bench" load --endpoint "${endpoints[$name]}" --label "$name" --server-pid "${server_pids[$name]}" \
        --operation "$op" --target-group-arn "${arns[$name]}" --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --warmup "$WARMUP" --sign "$SIGN" --json-out "$work/results.jsonl" >&2
    done
  done
  for name in "${servers[@]}"; do
    pid=${server_pids[$name]}
    echo "$name: peak RSS $(rss_kib "$pid" VmHWM) KiB after the load" >&2
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  done
}

wants() { [[ ",$PEERS," == *",$1,"* ]]; }

step "build ballast and the load generator (release)"
cargo build --release --quiet -p ballast -p ballast-bench-api

# setup.py runs on moto's virtualenv (boto3), whichever peers are asked for.
step "moto in $moto_venv"
venv_install "$moto_venv" "$root/bench/api-latency/requirements.txt" "$moto_venv/bin/moto_server"
if wants fakecloud && [[ ! -x "$tools/bin/fakecloud" ]]; then
  step "fakecloud $FAKECLOUD_VERSION into $tools (a long build, once)"
  cargo install --quiet --locked fakecloud --version "$FAKECLOUD_VERSION" --root "$tools"
fi
if wants ministack; then
  step "ministack in $ministack_venv"
  venv_install "$ministack_venv" "$root/bench/api-latency/ministack-requirements.txt" "$ministack_venv/bin/ministack"
fi

# The build leaves dirty pages behind; the first fsync after it (Ballast's
# store creation) would wait for them and be counted as start-up.
sync

startup_args=()
rss_args=()
peers=()

step "ballast"
port=$(free_port)
FRESH_DIR="$work/ballast-data" \
  start_server ballast "$port" "$ballast" up --listen "127.0.0.1:$port" --data-dir "$work/ballast-data" \
  --hosts-file off --instance-runtime process --durability "$DURABILITY"
grep -q "is listening on http://127.0.0.1:$port" "$work/ballast.log" \
  || die "ballast never printed its listening banner"

if wants fakecloud; then
  step "fakecloud $FAKECLOUD_VERSION (in memory; its --verify-sigv4 lets the test/test keys through unchecked)"
  port=$(free_port)
  start_server fakecloud "$port" "$tools/bin/fakecloud" --addr "127.0.0.1:$port" --log-level error --verify-sigv4
  peers+=(fakecloud)
fi
if wants ministack; then
  step "ministack (in memory; does not verify signatures)"
  port=$(free_port)
  GATEWAY_PORT=$port BIND_HOST=127.0.0.1 LOG_LEVEL=ERROR \
    start_server ministack "$port" "$ministack_venv/bin/ministack"
  peers+=(ministack)
fi
if wants moto; then
  step "moto (in memory; does not verify signatures)"
  port=$(free_port)
  start_server moto "$port" "$moto_venv/bin/moto_server" -H 127.0.0.1 -p "$port"
  peers+=(moto)
fi

step "load: each operation on every server in turn"
load_all

step "results"
machine_line
case $DURABILITY in
  machine) commits="commits every write to SQLite and syncs it to disk" ;;
  *) commits="commits every write to SQLite" ;;
esac
echo "Ballast $("$ballast" --version | awk '{ print $2 }') (verifies SigV4 on every request, $commits" \
  "before answering: --durability $DURABILITY) vs ${peers[*]:-no peer}; ${DURATION} s per level after" \
  "${WARMUP} s warm-up, one keep-alive connection per worker, load from a separate process."
echo
peer_list=$(IFS=,; echo "${peers[*]:-}")
"$bench" report --results "$work/results.jsonl" --baseline ballast ${peer_list:+--peer "$peer_list"} \
  "${startup_args[@]}" "${rss_args[@]}"
