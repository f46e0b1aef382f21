#!/usr/bin/env bash
# Proxy-throughput benchmark: the same backend reached directly, through a
# Ballast application load balancer, through HAProxy and through nginx, in
# one run, under the same wrk load, for three kinds of request:
#
#   small  GET /     answered with a 32-byte body
#   big    GET /16k  answered with a 16 KiB (16384-byte) body
#   post   POST /    carrying a 4 KiB (4096-byte) body, answered with the
#                    32-byte body
#
#   bench/proxy.sh
#
# Tunables (environment): SCENARIOS (which of the above, default
# "small big post"), CONNECTIONS (wrk connection counts, default "64 512";
# every scenario is measured at each), DURATION (measured seconds per
# target, scenario, connection count and round, default 5), WARMUP (seconds
# of the same load before each measurement, default 2), ROUNDS (default 3;
# each round measures every target, scenario and connection count once,
# and the tables report each target's median round), WORKERS (workers per
# proxy, default 1; see below), CLIENT_CPUS and PROXY_CPUS (taskset lists,
# default 0 and 1), LB_CIDR (Ballast's load balancer block, default
# 127.120.0.0/16), IDLE_WAIT (seconds to wait for running cargo/rustc to
# end before each measurement, default 900; a round measured during a
# build is flagged), BALLAST_BIN (a ballast binary to use instead of
# building one), ALLOCATIONS (default 1; 0 skips the allocation count and
# its build), BALLAST_COUNTING_BIN (a ballast binary built with
# `--features count-allocations`, instead of building one),
# COUNTING_LB_CIDR (the counting Ballast's block, default 127.121.0.0/16),
# INSTANCE_CIDR and COUNTING_INSTANCE_CIDR (the instance blocks each
# Ballast claims, though none starts an instance: default 127.122.0.0/16
# and 127.123.0.0/16, away from the default one another server may hold),
# KEEP_RESULTS (a path to copy the raw per-round TSV to), PERF_OUT (a
# directory: after the rounds, record with `perf stat` each proxy's system
# calls, context switches and wake-ups per request, and `perf record` the proxies
# named in PERF_RECORD (default ballast; e.g. "ballast haproxy"), under
# the first scenario's load at the first connection count, DURATION
# seconds each).
#
# With the defaults a run measures 3 scenarios x 2 connection counts x 4
# targets x 3 rounds, about 8 s each (warm-up, measurement and the idle
# check): some 10 minutes, plus the builds.
#
# Allocations per request: a second Ballast, built with the cargo feature
# count-allocations (a counting global allocator that writes
# "ballast: allocations N" to stderr on SIGUSR1), is set up like the first.
# After the rounds, for each scenario at the first connection count, the
# script reads the count before and after a DURATION-second wrk run and
# divides the difference by the requests wrk completed. Only Ballast gets
# this figure.
#
# Installs haproxy, nginx and wrk from Debian if they are missing, the AWS
# CLI into target/bench-proxy-venv, and builds ballast in release mode
# (first with count-allocations, copied aside, then the normal build, which
# puts the normal binary back in target/release). The backend (nginx, one
# worker) and wrk (one thread) are pinned to CLIENT_CPUS. With WORKERS=1
# every proxy runs one worker pinned to PROXY_CPUS (HAProxy nbthread 1,
# nginx worker_processes 1, Ballast BALLAST_PROXY_THREADS=1, and its other
# work on TOKIO_WORKER_THREADS=1); with WORKERS=N
# each gets N workers and may run on every CPU, sharing them with the
# client and the backend. The open-file limit is raised to what the largest
# connection count needs. Every address is on 127.0.0.0/8, every wait has a
# deadline, and every process the script started is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

SCENARIOS=${SCENARIOS:-small big post}
CONNECTIONS=${CONNECTIONS:-64 512}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-1}
ALLOCATIONS=${ALLOCATIONS:-1}
CLIENT_CPUS=${CLIENT_CPUS:-0}
PROXY_CPUS=${PROXY_CPUS:-1}
LB_CIDR=${LB_CIDR:-127.120.0.0/16}
COUNTING_LB_CIDR=${COUNTING_LB_CIDR:-127.121.0.0/16}
INSTANCE_CIDR=${INSTANCE_CIDR:-127.122.0.0/16}
COUNTING_INSTANCE_CIDR=${COUNTING_INSTANCE_CIDR:-127.123.0.0/16}
IDLE_WAIT=${IDLE_WAIT:-900}

target_dir=${CARGO_TARGET_DIR:-$root/target}
ballast=${BALLAST_BIN:-"$target_dir/release/ballast"}
venv="$root/target/bench-proxy-venv"
requirements="$root/bench/proxy/requirements.txt"
report="$root/bench/proxy/report.py"
body='ballast proxy bench: hello, ok.'   # 31 bytes + newline
big_size=16384
post_size=4096
targets=(direct ballast haproxy nginx)

source bench/lib.sh
bench_init proxy-bench

read -r -a scenarios <<<"$SCENARIOS"
read -r -a connection_counts <<<"$CONNECTIONS"
((${#scenarios[@]})) || die "SCENARIOS is empty"
((${#connection_counts[@]})) || die "CONNECTIONS is empty"
for scenario in "${scenarios[@]}"; do
  [[ "$scenario" =~ ^(small|big|post)$ ]] || die "unknown scenario '$scenario' (small, big, post)"
done
max_connections=0
for conns in "${connection_counts[@]}"; do
  [[ "$conns" =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS: '$conns' is not a positive count"
  ((conns <= max_connections)) || max_connections=$conns
done
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS: '$WORKERS' is not a positive count"
[[ "$ALLOCATIONS" =~ ^[01]$ ]] || die "ALLOCATIONS is 0 or 1, not '$ALLOCATIONS'"

# ---------------------------------------------------------------- tools

install_debian_packages() {
  local missing=() sudo=()
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v taskset >/dev/null || missing+=(util-linux)
  [[ -z "${PERF_OUT:-}" ]] || command -v perf >/dev/null || missing+=(linux-perf)
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  step "apt-get install ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# ---------------------------------------------------------------- helpers

# wait_port HOST PORT SECONDS: until something accepts on HOST:PORT.
wait_port() {
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

# pinned CPUS COMMAND...: COMMAND on the given CPUs (unpinned on one core).
pinned() {
  local cpus=$1
  shift
  if ((pinning)); then
    taskset -c "$cpus" "$@"
  else
    "$@"
  fi
}

# spawn NAME CPUS COMMAND...: start COMMAND on CPUS in the background,
# logging to $work/NAME.log; sets $spawned to its pid (taskset and env
# exec the command, so the pid is the server's own).
spawn() {
  local name=$1 cpus=$2
  shift 2
  if ((pinning)); then
    taskset -c "$cpus" "$@" >"$work/$name.log" 2>&1 &
  else
    "$@" >"$work/$name.log" 2>&1 &
  fi
  spawned=$!
  pids+=("$spawned")
}

# CPU time in clock ticks of PID and its child processes: "user system".
cpu_split() {
  local user=0 system=0 pid fields u s
  for pid in "$1" $(pgrep -P "$1" || true); do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    # After the command name: field 12 is utime, 13 stime (14, 15 overall).
    read -r u s < <(awk '{ print $12, $13 }' <<<"$fields")
    user=$((user + u))
    system=$((system + s))
  done
  echo "$user $system"
}

# CPU time (user + system, in clock ticks) of PID and its child processes.
cpu_ticks() {
  local split
  split=$(cpu_split "$1")
  echo $((${split% *} + ${split#* }))
}

# ---------------------------------------------------------------- servers

# nginx_common DIR WORKERS: the part of an nginx configuration the backend
# and the nginx proxy share.
nginx_common() {
  cat <<CONF
worker_processes $2;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections $conn_limit; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
CONF
}

# The backend: `return 200` with the small body for every path but /16k
# (for POST, nginx reads the request body and drops it before answering,
# so the connection stays usable), /16k from a file (its descriptor kept
# open between requests), and nginx's counters at /bench-status for the
# checks before the load.
start_backend() {
  local dir="$work/backend"
  mkdir -p "$dir"
  big_file="$dir/16k"
  python3 -c 'import sys; line = b"ballast proxy bench, 16 KiB body\n"
sys.stdout.buffer.write((line * (int(sys.argv[1]) // len(line) + 1))[:int(sys.argv[1])])' \
    "$big_size" >"$big_file"
  # Started as root, nginx's workers run as nobody: they must reach the file.
  chmod a+x "$work" "$dir"
  chmod a+r "$big_file"
  {
    nginx_common "$dir" 1
    cat <<CONF
    open_file_cache max=16 inactive=1h;
    open_file_cache_valid 1h;
    server {
        listen 127.0.0.1:$backend_port backlog=4096;
        default_type text/plain;
        location / { return 200 '$body
'; }
        location = /16k {
            alias $big_file;
            default_type application/octet-stream;
        }
        location = /bench-status { stub_status; }
    }
}
CONF
  } >"$dir/nginx.conf"
  spawn backend "$CLIENT_CPUS" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  backend_pid=$spawned
  wait_port 127.0.0.1 "$backend_port" 10 || { cat "$dir/error.log" >&2; die "the backend did not start"; }
}

start_haproxy() {
  cat >"$work/haproxy.cfg" <<CONF
global
    nbthread $WORKERS
    maxconn $conn_limit

defaults
    mode http
    option http-keep-alive
    option forwardfor
    timeout connect 10s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s

frontend bench
    bind 127.0.0.1:$haproxy_port
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Port %[dst_port]
    default_backend targets

backend targets
    balance roundrobin
    http-reuse safe
    server backend 127.0.0.1:$backend_port
CONF
  spawn haproxy "$proxy_cpus" haproxy -db -f "$work/haproxy.cfg"
  haproxy_pid=$spawned
  wait_port 127.0.0.1 "$haproxy_port" 10 || { cat "$work/haproxy.log" >&2; die "haproxy did not start"; }
}

start_nginx_proxy() {
  local dir="$work/nginx-proxy"
  mkdir -p "$dir"
  {
    nginx_common "$dir" "$WORKERS"
    cat <<CONF
    upstream targets {
        server 127.0.0.1:$backend_port;
        keepalive $max_connections;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:$nginx_port backlog=4096;
        location / {
            proxy_pass http://targets;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Port \$server_port;
        }
    }
}
CONF
  } >"$dir/nginx.conf"
  spawn nginx-proxy "$proxy_cpus" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  nginx_pid=$spawned
  wait_port 127.0.0.1 "$nginx_port" 10 || { cat "$dir/error.log" >&2; die "nginx did not start"; }
}

# elbv2 API_PORT ARGS...: the AWS CLI's elbv2 command against the Ballast
# listening on API_PORT, with the test credentials and nothing from ~/.aws.
elbv2() {
  local api_port=$1
  shift
  env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    timeout 60 "$venv/bin/aws" --endpoint-url "http://127.0.0.1:$api_port" \
    elbv2 "$@" --output text
}

# start_ballast NAME BINARY API_PORT LB_CIDR INSTANCE_CIDR: BINARY's `up`
# (data in $work/NAME-data, output in $work/NAME.log, its own address
# blocks, which each Ballast on a machine needs) with one target group (the
# backend), one load balancer and one HTTP listener on port 8080
# forwarding to the group, set up through the ELBv2 API with the AWS CLI.
# Once the target is healthy, sets $ballast_started_pid and
# $ballast_started_base (the listener's http://address:8080).
start_ballast() {
  local name=$1 binary=$2 api_port=$3 cidr=$4 instance_cidr=$5 data="$work/$1-data"
  local tg lb address state deadline
  spawn "$name" "$proxy_cpus" env TOKIO_WORKER_THREADS="$WORKERS" BALLAST_PROXY_THREADS="$WORKERS" "$binary" up \
    --listen "127.0.0.1:$api_port" --data-dir "$data" \
    --lb-cidr "$cidr" --instance-cidr "$instance_cidr" --hosts-file off --instance-runtime process
  ballast_started_pid=$spawned
  wait_port 127.0.0.1 "$api_port" 30 || { cat "$work/$name.log" >&2; die "$name did not start"; }

  tg=$(elbv2 "$api_port" create-target-group --name bench-targets --target-type ip \
    --protocol HTTP --port 80 --vpc-id vpc-0ba11a5700000001 \
    --health-check-path /health --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
    --healthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn')
  lb=$(elbv2 "$api_port" create-load-balancer --name bench-alb \
    --subnets subnet-0ba11a57000000a1 subnet-0ba11a57000000b1 \
    --query 'LoadBalancers[0].LoadBalancerArn')
  elbv2 "$api_port" create-listener --load-balancer-arn "$lb" --protocol HTTP --port 8080 \
    --default-actions "Type=forward,TargetGroupArn=$tg" --query 'Listeners[0].ListenerArn' >/dev/null
  elbv2 "$api_port" register-targets --target-group-arn "$tg" --targets "Id=127.0.0.1,Port=$backend_port"

  # The API does not show a load balancer's address: read it from the store
  # (the first load balancer of the block gets its first address).
  address=$(python3 - "$data/ballast.db" "$lb" <<'PY' || true
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT address FROM elbv2_load_balancers WHERE arn = ?", (sys.argv[2],)).fetchone()
print(row[0] if row else "")
PY
)
  if [[ -z "$address" ]]; then
    address=$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1], strict=False)[1])' "$cidr")
  fi

  deadline=$((SECONDS + 60))
  while :; do
    state=$(elbv2 "$api_port" describe-target-health --target-group-arn "$tg" \
      --query 'TargetHealthDescriptions[0].TargetHealth.State')
    [[ "$state" == healthy ]] && break
    ((SECONDS < deadline)) || die "$name: the target is still '$state' after 60 s"
    sleep 0.5
  done
  ballast_started_base="http://$address:8080"
  echo "$name: load balancer at $address, target healthy" >&2
}

# ---------------------------------------------------------------- checks

# Connections the backend has accepted so far (nginx's stub_status).
backend_accepts() {
  curl -fsS --max-time 5 "http://127.0.0.1:$backend_port/bench-status" | awk 'NR == 3 { print $1 }'
}

# check_target NAME BASE: before anything is measured, NAME (at BASE, the
# URL without a path) answers every scenario's request the way the load
# expects: the exact small body, the 16 KiB file byte for byte, and 200
# with the small body for each of 32 POSTs of 4 KiB sent one after the
# other on one connection. It also says how many connections those POSTs
# took on each side: a server that did not read the request body could
# not keep its connection for the next request.
check_target() {
  local name=$1 base=$2 scenario got size lines=() urls=() i connects=0 accepts0 accepts1
  for scenario in "${checked[@]}"; do
    case $scenario in
      small)
        got=$(curl -fsS --max-time 5 "$base/") || die "$name: GET $base/ failed"
        [[ "$got" == "$body" ]] || die "$name: GET / answered '$got'"
        ;;
      big)
        curl -fsS --max-time 5 -o "$work/check-16k" "$base/16k" || die "$name: GET $base/16k failed"
        if ! cmp -s "$work/check-16k" "$big_file"; then
          size=$(wc -c <"$work/check-16k")
          die "$name: GET /16k answered $size bytes that are not the $big_size-byte file"
        fi
        ;;
      post)
        for ((i = 0; i < 32; i++)); do
          urls+=("$base/")
        done
        accepts0=$(backend_accepts)
        # Each answer (the body ends in a newline) is followed by its status
        # and whether it took a new connection; curl sends no
        # "Expect: 100-continue", as wrk does not.
        mapfile -t lines < <(curl -sS --max-time 30 -H 'Expect:' \
          -H 'Content-Type: application/octet-stream' --data-binary "@$post_file" \
          -w '%{http_code}\n%{num_connects}\n' "${urls[@]}" || true)
        accepts1=$(backend_accepts)
        for ((i = 0; i < 32; i++)); do
          [[ "${lines[3 * i + 1]:-}" == 200 && "${lines[3 * i]:-}" == "$body" ]] ||
            die "$name: POST $((i + 1)) of 32 answered '${lines[3 * i + 1]:-nothing}': '${lines[3 * i]:-}'"
          connects=$((connects + ${lines[3 * i + 2]:-0}))
        done
        # Less the connection of the first status request.
        echo "  $name: 32 POSTs of $post_size bytes answered as expected over $connects client" \
          "connection(s); the backend accepted $((accepts1 - accepts0 - 1)) new connection(s)" >&2
        ((connects == 1)) || echo "  warning: $name did not keep the client connection after a POST" >&2
        ;;
    esac
  done
  echo "  $name: answers ${checked[*]} as expected" >&2
}

# ---------------------------------------------------------------- load

# CPU seconds (user + system) of the shell's finished children, from the
# builtin `times`, which must run in this shell (a subshell has its own).
children_cpu_to() {
  times >"$1"
}
cpu_seconds_in() {
  awk 'NR == 2 { total = 0
    for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); total += t[1] * 60 + t[2] }
    printf "%.3f\n", total }' "$1"
}

# Busy share of every CPU over the next second, in percent.
machine_busy() {
  local a b
  a=$("$report" jiffies "$all_cpus")
  sleep 1
  b=$("$report" jiffies "$all_cpus")
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "%d\n", 100 * (y[1] - x[1]) / ((y[2] - x[2]) > 0 ? y[2] - x[2] : 1) }'
}

# Other work on a 2-core machine (builds, test suites) skews every figure:
# before each measurement, with the servers idle, wait up to IDLE_WAIT
# seconds until no cargo or rustc runs and the machine is under 10% busy
# (then go on; the round is flagged).
wait_for_idle() {
  local deadline=$((SECONDS + IDLE_WAIT)) said=0 busy
  while :; do
    busy=$(machine_busy)
    ! pgrep -x 'cargo|rustc' >/dev/null && ((busy < 10)) && return 0
    ((SECONDS < deadline)) || return 1
    ((said)) || echo "  the machine is busy (${busy}%, or a build runs): waiting up to ${IDLE_WAIT} s" >&2
    said=1
    sleep 4
  done
}

# load_for SCENARIO CONNECTIONS BASE: sets `load` to wrk's arguments for
# SCENARIO's request at BASE, but for the duration and --latency.
load_for() {
  load=(-t1 "-c$2" --timeout 5s)
  case $1 in
    small) load+=("$3/") ;;
    big) load+=("$3/16k") ;;
    post) load+=(-s "$post_lua" "$3/") ;;
  esac
}

# measure TARGET SCENARIO CONNECTIONS ROUND: warm-up, then the measured wrk
# run; appends one row to $work/results.tsv. The CPU reported is the
# proxy's, or the backend's for the direct row.
measure() {
  local target=$1 scenario=$2 conns=$3 round=$4 pid=${pid_of[$1]}
  local out="$work/wrk-$1-$2-$3-$4.txt" load=()
  local server0 server1 others0=0 others1=0 proxy0 proxy1 client0 client1 all0 all1
  local started elapsed contended=0
  load_for "$scenario" "$conns" "${base_of[$target]}"
  wait_for_idle || contended=1
  pinned "$CLIENT_CPUS" timeout $((WARMUP + 30)) wrk -d"${WARMUP}s" "${load[@]}" >/dev/null
  server0=$(cpu_ticks "$pid")
  [[ "$pid" == "$backend_pid" ]] || others0=$(cpu_ticks "$backend_pid")
  proxy0=$("$report" jiffies "$proxy_cpus")
  client0=$("$report" jiffies "$CLIENT_CPUS")
  all0=$("$report" jiffies "$all_cpus")
  children_cpu_to "$work/times0"
  started=$(date +%s%N)
  pinned "$CLIENT_CPUS" timeout $((DURATION + 30)) wrk -d"${DURATION}s" --latency "${load[@]}" >"$out"
  elapsed=$(($(date +%s%N) - started))
  children_cpu_to "$work/times1"
  server1=$(cpu_ticks "$pid")
  [[ "$pid" == "$backend_pid" ]] || others1=$(cpu_ticks "$backend_pid")
  proxy1=$("$report" jiffies "$proxy_cpus")
  client1=$("$report" jiffies "$CLIENT_CPUS")
  all1=$("$report" jiffies "$all_cpus")
  ! pgrep -x 'cargo|rustc' >/dev/null || contended=1
  "$report" row "$out" scenario="$scenario" connections="$conns" target="$target" \
    round="$round" contended="$contended" elapsed_ns="$elapsed" tck="$(getconf CLK_TCK)" \
    server0="$server0" server1="$server1" others0="$others0" others1="$others1" \
    wrk0="$(cpu_seconds_in "$work/times0")" wrk1="$(cpu_seconds_in "$work/times1")" \
    proxy0="$proxy0" proxy1="$proxy1" client0="$client0" client1="$client1" \
    all0="$all0" all1="$all1" >>"$work/results.tsv"
  tail -n 1 "$work/results.tsv" | awk -F'\t' '{
    printf "  %-8s %s req/s, p50 %s ms, p99 %s ms, errors %d, other load %s%%%s\n",
      $3, $5, $6, $7, $8 + $9, $14, ($15 == 1 ? " (a build was running)" : "") }' >&2
}

# allocation_count: the counting Ballast's allocations so far. Sends it
# SIGUSR1 and waits (up to 10 s) for the line it writes in answer.
allocation_count() {
  local log="$work/ballast-counting.log" pattern='^ballast: allocations [0-9][0-9]*$' before deadline
  before=$(grep -c "$pattern" "$log" || true)
  kill -USR1 "$counting_pid"
  deadline=$((SECONDS + 10))
  # A new line, written to its end.
  until (($(grep -c "$pattern" "$log" || true) > before)) && [[ -z "$(tail -c 1 "$log")" ]]; do
    kill -0 "$counting_pid" 2>/dev/null ||
      die "the counting Ballast ended on SIGUSR1: was it built with --features count-allocations?"
    ((SECONDS < deadline)) || die "the counting Ballast wrote no allocation count within 10 s of SIGUSR1"
    sleep 0.05
  done
  grep "$pattern" "$log" | tail -n 1 | awk '{ print $3 }'
}

# count_allocations SCENARIO CONNECTIONS: after a warm-up, the counting
# Ballast's allocations over one DURATION-second wrk run; appends
# "scenario connections requests allocations errors" to $work/allocations.tsv.
count_allocations() {
  local scenario=$1 conns=$2 out="$work/wrk-counting-$1-$2.txt" load=() before after
  load_for "$scenario" "$conns" "$counting_base"
  pinned "$CLIENT_CPUS" timeout $((WARMUP + 30)) wrk -d"${WARMUP}s" "${load[@]}" >/dev/null
  before=$(allocation_count)
  pinned "$CLIENT_CPUS" timeout $((DURATION + 30)) wrk -d"${DURATION}s" "${load[@]}" >"$out"
  after=$(allocation_count)
  "$report" allocation-row "$out" "$scenario" "$conns" "$((after - before))" >>"$work/allocations.tsv"
  tail -n 1 "$work/allocations.tsv" | awk -F'\t' '{
    printf "  %s, %s connections: %s allocations for %s requests (%.1f each), errors %s\n",
      $1, $2, $4, $3, ($3 > 0 ? $4 / $3 : 0), $5 }' >&2
}

# ---------------------------------------------------------------- main

all_cpus="0-$(($(nproc) - 1))"
pinning=1
pin_client=(taskset -c "$CLIENT_CPUS")
if (($(nproc) < 2)); then
  pinning=0
  pin_client=()
  echo "proxy.sh: one CPU only: nothing is pinned, client and proxy share it" >&2
fi
# One worker per proxy stays on PROXY_CPUS; more may use every CPU.
proxy_cpus=$PROXY_CPUS
((WORKERS == 1)) || proxy_cpus=$all_cpus

# Connections each server must hold at once: clients plus upstream
# connections, with room to spare; HAProxy reserves about two descriptors
# per connection, so the open-file limit is twice that again.
conn_limit=$((2 * max_connections + 1024))
((conn_limit >= 4096)) || conn_limit=4096
want_files=$((2 * conn_limit + 1024))
if (($(ulimit -Sn) < want_files)); then
  ulimit -Sn "$want_files" 2>/dev/null ||
    die "$max_connections connections need $want_files open files; the hard limit is $(ulimit -Hn)"
fi

step "tools"
install_debian_packages
venv_install "$venv" "$requirements" "$venv/bin/aws"
PATH="$PATH:/usr/sbin"

counting_bin=${BALLAST_COUNTING_BIN:-}
if ((ALLOCATIONS)) && [[ -z "$counting_bin" ]]; then
  if [[ -n "${BALLAST_BIN:-}" ]]; then
    # The counting build lands on target/release/ballast, which may be the
    # binary given: use a copy of it.
    cp "$BALLAST_BIN" "$work/ballast"
    ballast="$work/ballast"
  fi
  step "build ballast (release, --features count-allocations)"
  cargo build --release --quiet -p ballast --features count-allocations
  counting_bin="$work/ballast-counting"
  cp "$target_dir/release/ballast" "$counting_bin"
  # Then the normal build, even with BALLAST_BIN, so that
  # target/release/ballast does not stay the counting one; cargo kept the
  # normal build's objects, so this is mostly a link.
  step "build ballast (release)"
  cargo build --release --quiet -p ballast
elif [[ -z "${BALLAST_BIN:-}" ]]; then
  step "build ballast (release)"
  cargo build --release --quiet -p ballast
fi

if busy_builds=$(pgrep -a 'cargo|rustc'); then
  echo "proxy.sh: warning: builds are running and will skew the figures:" >&2
  echo "$busy_builds" >&2
fi

backend_port=$(free_port)
haproxy_port=$(free_port)
nginx_port=$(free_port)

post_file="$work/post-body"
head -c "$post_size" /dev/zero | tr '\0' x >"$post_file"
post_lua="$work/post.lua"
cat >"$post_lua" <<LUA
wrk.method = "POST"
wrk.body = string.rep("x", $post_size)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

step "backend: nginx on 127.0.0.1:$backend_port (CPUs $CLIENT_CPUS)"
start_backend
step "ballast, haproxy and nginx (CPUs $proxy_cpus, $WORKERS worker(s) each)"
start_ballast ballast "$ballast" "$(free_port)" "$LB_CIDR" "$INSTANCE_CIDR"
ballast_pid=$ballast_started_pid
ballast_base=$ballast_started_base
start_haproxy
start_nginx_proxy
if ((ALLOCATIONS)); then
  step "the counting Ballast ($counting_bin)"
  start_ballast ballast-counting "$counting_bin" "$(free_port)" "$COUNTING_LB_CIDR" "$COUNTING_INSTANCE_CIDR"
  counting_pid=$ballast_started_pid
  counting_base=$ballast_started_base
fi

declare -A base_of=(
  [direct]="http://127.0.0.1:$backend_port" [ballast]="$ballast_base"
  [haproxy]="http://127.0.0.1:$haproxy_port" [nginx]="http://127.0.0.1:$nginx_port"
)
declare -A pid_of=(
  [direct]=$backend_pid [ballast]=$ballast_pid [haproxy]=$haproxy_pid [nginx]=$nginx_pid
)

step "checks: every target answers every scenario"
# The small request always: perf uses it.
checked=(small)
for scenario in "${scenarios[@]}"; do
  [[ "$scenario" == small ]] || checked+=("$scenario")
done
for target in "${targets[@]}"; do
  check_target "$target" "${base_of[$target]}"
done
if ((ALLOCATIONS)); then
  check_target ballast-counting "$counting_base"
fi

"$report" header >"$work/results.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  for scenario in "${scenarios[@]}"; do
    for conns in "${connection_counts[@]}"; do
      step "round $round of $ROUNDS, $scenario, $conns connections: ${WARMUP} s warm-up + ${DURATION} s per target"
      for target in "${targets[@]}"; do
        measure "$target" "$scenario" "$conns" "$round"
      done
    done
  done
done

if ((ALLOCATIONS)); then
  step "allocations per request: the counting Ballast, ${connection_counts[0]} connections, ${WARMUP} s warm-up + ${DURATION} s"
  : >"$work/allocations.tsv"
  for scenario in "${scenarios[@]}"; do
    count_allocations "$scenario" "${connection_counts[0]}"
  done
fi

if [[ -n "${PERF_OUT:-}" ]]; then
  mkdir -p "$PERF_OUT"
  perf_scenario=${scenarios[0]}
  step "perf stat: system calls and context switches per request ($perf_scenario, ${connection_counts[0]} connections), into $PERF_OUT"
  events=task-clock,context-switches,raw_syscalls:sys_enter,sched:sched_waking
  for call in read readv recvfrom write writev sendto epoll_wait; do
    events+=",syscalls:sys_enter_$call"
  done
  for target in ballast haproxy nginx; do
    pid=${pid_of[$target]}
    load_for "$perf_scenario" "${connection_counts[0]}" "${base_of[$target]}"
    wait_for_idle || true
    pinned "$CLIENT_CPUS" timeout $((WARMUP + 30)) wrk -d"${WARMUP}s" "${load[@]}" >/dev/null
    # The proxy and its children (nginx's workers) while one wrk run lasts.
    pid_list=$pid
    for child in $(pgrep -P "$pid" || true); do
      pid_list+=",$child"
    done
    split0=$(cpu_split "$pid")
    timeout $((DURATION + 40)) perf stat -x, -e "$events" -o "$PERF_OUT/stat-$target.csv" \
      -p "$pid_list" -- \
      "${pin_client[@]}" wrk -d"${DURATION}s" "${load[@]}" >"$PERF_OUT/wrk-stat-$target.txt"
    echo "$split0 $(cpu_split "$pid") $(getconf CLK_TCK)" >"$PERF_OUT/cpu-$target.txt"
  done
  "$report" syscalls "$PERF_OUT" ballast haproxy nginx >"$work/syscalls.md"

  # PERF_RECORD: which proxies to profile (Ballast with call graphs).
  for target in ${PERF_RECORD:-ballast}; do
    step "perf record of $target under the same load, into $PERF_OUT"
    load_for "$perf_scenario" "${connection_counts[0]}" "${base_of[$target]}"
    wait_for_idle || true
    pinned "$CLIENT_CPUS" timeout $((DURATION + 40)) \
      wrk -d"$((DURATION + 4))s" "${load[@]}" >"$PERF_OUT/wrk-record-$target.txt" &
    wrk_pid=$!
    sleep 2
    graph=()
    [[ $target == ballast ]] && graph=(--call-graph dwarf,16384)
    pid_list=${pid_of[$target]}
    for child in $(pgrep -P "${pid_of[$target]}" || true); do
      pid_list+=",$child"
    done
    # Timer sampling (cpu-clock): it works where hardware counters do not.
    timeout $((DURATION + 30)) perf record -q -e cpu-clock -F 999 "${graph[@]}" \
      -p "$pid_list" -o "$PERF_OUT/perf-$target.data" -- sleep "$DURATION" >&2 || true
    wait "$wrk_pid" || true
    perf report -i "$PERF_OUT/perf-$target.data" --no-children --sort dso,symbol --stdio -g none \
      2>/dev/null >"$PERF_OUT/flat-$target.txt" || true
    echo "perf: $PERF_OUT/perf-$target.data, flat profile in $PERF_OUT/flat-$target.txt" >&2
  done
fi

step "results"
if ((WORKERS == 1)); then
  placement="each proxy one worker on CPUs $PROXY_CPUS"
else
  placement="each proxy $WORKERS workers (HAProxy nbthread $WORKERS, nginx worker_processes $WORKERS,"
  placement+=" Ballast BALLAST_PROXY_THREADS=$WORKERS) on CPUs $all_cpus, shared with the client and"
  placement+=" backend (proxy core busy is then the whole machine's)"
fi
echo "$(machine_line)," \
  "Linux $(uname -r)"
echo "Ballast $("$ballast" --version | awk '{ print $2 }'), $(haproxy -v | awk 'NR == 1 { print "HAProxy", $3 }')," \
  "$(nginx -v 2>&1 | sed 's/^nginx version: //'), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
# "64 and 512", "64, 128 and 512"
conn_text=${connection_counts[0]}
for ((i = 1; i < ${#connection_counts[@]}; i++)); do
  if ((i == ${#connection_counts[@]} - 1)); then
    conn_text+=" and ${connection_counts[i]}"
  else
    conn_text+=", ${connection_counts[i]}"
  fi
done
echo "wrk -t1 at $conn_text connections, ${DURATION} s measured after ${WARMUP} s warm-up," \
  "$ROUNDS rounds (median shown); client and backend on CPUs $CLIENT_CPUS, $placement."
described=()
for scenario in "${scenarios[@]}"; do
  case $scenario in
    small) described+=("small = GET / answered with 32 bytes") ;;
    big) described+=("big = GET /16k answered with $big_size bytes") ;;
    post) described+=("post = POST / with a $post_size-byte body answered with 32 bytes") ;;
  esac
done
echo "Scenarios: $(printf '%s\n' "${described[@]}" | paste -sd ';' | sed 's/;/; /g')."
echo
if ((ROUNDS > 0)); then
  "$report" table "$work/results.tsv"
fi
if [[ -s "$work/allocations.tsv" ]]; then
  echo
  echo "Allocations per proxied request (counting build), ${DURATION} s at ${connection_counts[0]} connections:"
  echo
  "$report" allocations "$work/allocations.tsv"
fi
if [[ -s "$work/syscalls.md" ]]; then
  echo
  echo "Per request while each proxy served ${DURATION} s of the small load at ${connection_counts[0]} connections (perf stat):"
  echo
  cat "$work/syscalls.md"
fi
if [[ -n "${KEEP_RESULTS:-}" ]]; then
  cp "$work/results.tsv" "$KEEP_RESULTS"
fi
