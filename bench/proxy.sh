#!/usr/bin/env bash
# Proxy-throughput benchmark: the same backend reached directly, through a
# Ballast application load balancer, through HAProxy and through nginx, in
# one run, under the same wrk load.
#
#   bench/proxy.sh
#
# Tunables (environment): DURATION (measured seconds per target and round,
# default 10), WARMUP (seconds before each measurement, default 3),
# CONNECTIONS (wrk connections, default 64), ROUNDS (default 5; each round
# measures every target once, in turn, and the table reports each target's
# median round), CLIENT_CPUS and PROXY_CPUS (taskset lists, default 0 and 1),
# LB_CIDR (Ballast's load balancer block, default 127.120.0.0/16),
# IDLE_WAIT (seconds to wait for running cargo/rustc to end before each
# measurement, default 900; a round measured during a build is flagged),
# BALLAST_BIN (a ballast binary to use instead of building one),
# KEEP_RESULTS (a path to copy the raw per-round TSV to), PERF_OUT (a
# directory: after the rounds, record Ballast under the same load with
# `perf stat` each proxy's system calls and context switches per request
# and `perf record` Ballast under the same load, DURATION seconds each).
#
# Installs haproxy, nginx and wrk from Debian if they are missing, the AWS
# CLI into target/bench-proxy-venv, and builds ballast in release mode. The
# backend (nginx answering a fixed 32-byte body) and wrk (one thread) are
# pinned to CLIENT_CPUS; every proxy runs one worker pinned to PROXY_CPUS
# (Ballast's tokio runtime gets TOKIO_WORKER_THREADS=1). Every address is
# on 127.0.0.0/8, every wait has a deadline, and every process the script
# started is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-5}
CLIENT_CPUS=${CLIENT_CPUS:-0}
PROXY_CPUS=${PROXY_CPUS:-1}
LB_CIDR=${LB_CIDR:-127.120.0.0/16}
IDLE_WAIT=${IDLE_WAIT:-900}

ballast=${BALLAST_BIN:-"$root/target/release/ballast"}
venv="$root/target/bench-proxy-venv"
requirements="$root/bench/proxy/requirements.txt"
report="$root/bench/proxy/report.py"
body='ballast proxy bench: hello, ok.'   # 31 bytes + newline

source bench/lib.sh
bench_init proxy-bench

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

nginx_common() {
  cat <<EOF
worker_processes 1;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
EOF
}

start_backend() {
  local dir="$work/backend"
  mkdir -p "$dir"
  {
    nginx_common "$dir"
    cat <<EOF
    server {
        listen 127.0.0.1:$backend_port backlog=4096;
        default_type text/plain;
        location / { return 200 '$body
'; }
    }
}
EOF
  } >"$dir/nginx.conf"
  spawn backend "$CLIENT_CPUS" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  backend_pid=$spawned
  wait_port 127.0.0.1 "$backend_port" 10 || { cat "$dir/error.log" >&2; die "the backend did not start"; }
}

start_haproxy() {
  cat >"$work/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096

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
EOF
  spawn haproxy "$PROXY_CPUS" haproxy -db -f "$work/haproxy.cfg"
  haproxy_pid=$spawned
  wait_port 127.0.0.1 "$haproxy_port" 10 || { cat "$work/haproxy.log" >&2; die "haproxy did not start"; }
}

start_nginx_proxy() {
  local dir="$work/nginx-proxy"
  mkdir -p "$dir"
  {
    nginx_common "$dir"
    cat <<EOF
    upstream targets {
        server 127.0.0.1:$backend_port;
        keepalive $CONNECTIONS;
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
EOF
  } >"$dir/nginx.conf"
  spawn nginx-proxy "$PROXY_CPUS" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  nginx_pid=$spawned
  wait_port 127.0.0.1 "$nginx_port" 10 || { cat "$dir/error.log" >&2; die "nginx did not start"; }
}

# Ballast with one target group (the backend), one load balancer and one
# HTTP listener on port 8080 forwarding to the group, set up through the
# ELBv2 API with the AWS CLI; sets $ballast_url once the target is healthy.
start_ballast() {
  local api_port tg lb address state deadline
  api_port=$(free_port)
  spawn ballast "$PROXY_CPUS" env TOKIO_WORKER_THREADS=1 "$ballast" up \
    --listen "127.0.0.1:$api_port" --data-dir "$work/ballast-data" \
    --lb-cidr "$LB_CIDR" --hosts-file off --instance-runtime process
  ballast_pid=$spawned
  wait_port 127.0.0.1 "$api_port" 30 || { cat "$work/ballast.log" >&2; die "ballast did not start"; }

  elbv2() {
    env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
      AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
      AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
      timeout 60 "$venv/bin/aws" --endpoint-url "http://127.0.0.1:$api_port" \
      elbv2 "$@" --output text
  }
  tg=$(elbv2 create-target-group --name bench-targets --target-type ip \
    --protocol HTTP --port 80 --vpc-id vpc-0ba11a5700000001 \
    --health-check-path /health --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
    --healthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn')
  lb=$(elbv2 create-load-balancer --name bench-alb \
    --subnets subnet-0ba11a57000000a1 subnet-0ba11a57000000b1 \
    --query 'LoadBalancers[0].LoadBalancerArn')
  elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port 8080 \
    --default-actions "Type=forward,TargetGroupArn=$tg" --query 'Listeners[0].ListenerArn' >/dev/null
  elbv2 register-targets --target-group-arn "$tg" --targets "Id=127.0.0.1,Port=$backend_port"

  # The API does not show a load balancer's address: read it from the store
  # (the first load balancer of the block gets its first address).
  address=$(python3 - "$work/ballast-data/ballast.db" "$lb" <<'EOF' || true
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT address FROM elbv2_load_balancers WHERE arn = ?", (sys.argv[2],)).fetchone()
print(row[0] if row else "")
EOF
)
  if [[ -z "$address" ]]; then
    address=$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_network(sys.argv[1], strict=False)[1])' "$LB_CIDR")
  fi

  deadline=$((SECONDS + 60))
  while :; do
    state=$(elbv2 describe-target-health --target-group-arn "$tg" \
      --query 'TargetHealthDescriptions[0].TargetHealth.State')
    [[ "$state" == healthy ]] && break
    ((SECONDS < deadline)) || die "the target is still '$state' after 60 s"
    sleep 0.5
  done
  ballast_url="http://$address:8080/"
  echo "ballast: load balancer at $address, target healthy" >&2
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

# measure TARGET URL PID ROUND: warm-up, then the measured wrk run; appends
# one row to $work/results.tsv. PID is the server whose CPU is reported:
# the proxy, or the backend for the direct row.
measure() {
  local target=$1 url=$2 pid=$3 round=$4 out="$work/wrk-$1-$4.txt"
  local server0 server1 others0=0 others1=0 proxy0 proxy1 client0 client1 all0 all1
  local started elapsed contended=0
  wait_for_idle || contended=1
  pinned "$CLIENT_CPUS" timeout $((WARMUP + 30)) \
    wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 5s "$url" >/dev/null
  server0=$(cpu_ticks "$pid")
  [[ "$pid" == "$backend_pid" ]] || others0=$(cpu_ticks "$backend_pid")
  proxy0=$("$report" jiffies "$PROXY_CPUS")
  client0=$("$report" jiffies "$CLIENT_CPUS")
  all0=$("$report" jiffies "$all_cpus")
  children_cpu_to "$work/times0"
  started=$(date +%s%N)
  pinned "$CLIENT_CPUS" timeout $((DURATION + 30)) \
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency "$url" >"$out"
  elapsed=$(($(date +%s%N) - started))
  children_cpu_to "$work/times1"
  server1=$(cpu_ticks "$pid")
  [[ "$pid" == "$backend_pid" ]] || others1=$(cpu_ticks "$backend_pid")
  proxy1=$("$report" jiffies "$PROXY_CPUS")
  client1=$("$report" jiffies "$CLIENT_CPUS")
  all1=$("$report" jiffies "$all_cpus")
  ! pgrep -x 'cargo|rustc' >/dev/null || contended=1
  "$report" row "$out" target="$target" round="$round" contended="$contended" \
    elapsed_ns="$elapsed" tck="$(getconf CLK_TCK)" \
    server0="$server0" server1="$server1" others0="$others0" others1="$others1" \
    wrk0="$(cpu_seconds_in "$work/times0")" wrk1="$(cpu_seconds_in "$work/times1")" \
    proxy0="$proxy0" proxy1="$proxy1" client0="$client0" client1="$client1" \
    all0="$all0" all1="$all1" >>"$work/results.tsv"
  tail -n 1 "$work/results.tsv" | awk -F'\t' '{
    printf "  %-8s round %s: %s req/s, p50 %s ms, p99 %s ms, errors %d, other load %s%%%s\n",
      $1, $2, $3, $4, $5, $6 + $7, $12, ($13 == 1 ? " (a build was running)" : "") }' >&2
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

step "tools"
install_debian_packages
venv_install "$venv" "$requirements" "$venv/bin/aws"
PATH="$PATH:/usr/sbin"

if [[ -z "${BALLAST_BIN:-}" ]]; then
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

step "backend: nginx on 127.0.0.1:$backend_port (CPUs $CLIENT_CPUS)"
start_backend
step "ballast, haproxy and nginx (CPUs $PROXY_CPUS, one worker each)"
start_ballast
start_haproxy
start_nginx_proxy

for url in "http://127.0.0.1:$backend_port/" "$ballast_url" \
  "http://127.0.0.1:$haproxy_port/" "http://127.0.0.1:$nginx_port/"; do
  got=$(curl -fsS --max-time 5 "$url") || die "$url did not answer 200"
  [[ "$got" == "$body" ]] || die "$url answered '$got'"
done

"$report" header >"$work/results.tsv"
for ((round = 1; round <= ROUNDS; round++)); do
  step "round $round of $ROUNDS: ${WARMUP} s warm-up + ${DURATION} s per target, $CONNECTIONS connections"
  measure direct "http://127.0.0.1:$backend_port/" "$backend_pid" "$round"
  measure ballast "$ballast_url" "$ballast_pid" "$round"
  measure haproxy "http://127.0.0.1:$haproxy_port/" "$haproxy_pid" "$round"
  measure nginx "http://127.0.0.1:$nginx_port/" "$nginx_pid" "$round"
done

if [[ -n "${PERF_OUT:-}" ]]; then
  mkdir -p "$PERF_OUT"
  step "perf stat: system calls and context switches per request, into $PERF_OUT"
  events=task-clock,context-switches,raw_syscalls:sys_enter
  for call in read readv recvfrom write writev sendto epoll_wait; do
    events+=",syscalls:sys_enter_$call"
  done
  for target in ballast haproxy nginx; do
    case $target in
      ballast) url=$ballast_url pid=$ballast_pid ;;
      haproxy) url="http://127.0.0.1:$haproxy_port/" pid=$haproxy_pid ;;
      nginx) url="http://127.0.0.1:$nginx_port/" pid=$nginx_pid ;;
    esac
    wait_for_idle || true
    pinned "$CLIENT_CPUS" timeout $((WARMUP + 30)) \
      wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 5s "$url" >/dev/null
    # The proxy and its children (nginx's worker) while one wrk run lasts.
    pid_list=$pid
    for child in $(pgrep -P "$pid" || true); do
      pid_list+=",$child"
    done
    split0=$(cpu_split "$pid")
    timeout $((DURATION + 40)) perf stat -x, -e "$events" -o "$PERF_OUT/stat-$target.csv" \
      -p "$pid_list" -- \
      "${pin_client[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s "$url" \
      >"$PERF_OUT/wrk-stat-$target.txt"
    echo "$split0 $(cpu_split "$pid") $(getconf CLK_TCK)" >"$PERF_OUT/cpu-$target.txt"
  done
  "$report" syscalls "$PERF_OUT" ballast haproxy nginx >"$work/syscalls.md"

  step "perf record of ballast under the same load, into $PERF_OUT"
  wait_for_idle || true
  pinned "$CLIENT_CPUS" timeout $((DURATION + 40)) \
    wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 4))s" --timeout 5s "$ballast_url" >"$PERF_OUT/wrk-record.txt" &
  wrk_pid=$!
  sleep 2
  # Timer sampling (cpu-clock): it works where hardware counters do not.
  timeout $((DURATION + 30)) perf record -q -e cpu-clock -F 999 --call-graph dwarf,16384 \
    -p "$ballast_pid" -o "$PERF_OUT/perf.data" -- sleep "$DURATION" >&2 || true
  wait "$wrk_pid" || true
  perf report -i "$PERF_OUT/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null \
    >"$PERF_OUT/flat.txt" || true
  echo "perf: $PERF_OUT/perf.data, flat profile in $PERF_OUT/flat.txt" >&2
fi

step "results"
echo "$(machine_line)," \
  "Linux $(uname -r)"
echo "Ballast $("$ballast" --version | awk '{ print $2 }'), $(haproxy -v | awk 'NR == 1 { print "HAProxy", $3 }')," \
  "$(nginx -v 2>&1 | sed 's/^nginx version: //'), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
echo "wrk -t1 -c$CONNECTIONS, ${DURATION} s measured after ${WARMUP} s warm-up, $ROUNDS rounds (median shown);" \
  "client and backend on CPUs $CLIENT_CPUS, each proxy one worker on CPUs $PROXY_CPUS."
echo
if ((ROUNDS > 0)); then
  "$report" table "$work/results.tsv"
fi
if [[ -s "$work/syscalls.md" ]]; then
  echo
  echo "Per request while each proxy served ${DURATION} s of the same load (perf stat):"
  echo
  cat "$work/syscalls.md"
fi
if [[ -n "${KEEP_RESULTS:-}" ]]; then
  cp "$work/results.tsv" "$KEEP_RESULTS"
fi
