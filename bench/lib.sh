# Shared plumbing for the benchmark scripts in bench/. Source it after
# `cd`-ing to the repository root; it sets `root` and `work`, and stops
# every process recorded in `pids` when the script exits, however it exits.
#
#   source bench/lib.sh
#   bench_init NAME      # creates $work, installs the exit trap

root=$(pwd)
pids=()

step() { printf '\n==> %s\n' "$*" >&2; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# bench_init NAME: a scratch directory for this run, removed on exit along
# with every process in `pids` (TERM, then KILL after ten seconds).
bench_init() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/ballast-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local pid deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}

# A loopback port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rss_kib PID FIELD: resident set size in KiB (FIELD is VmRSS or VmHWM).
rss_kib() {
  awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"
}

# venv_install VENV REQUIREMENTS PROBE: (re)build the virtualenv when the
# requirements file changed since the last install or PROBE (a path inside
# the venv) is missing.
venv_install() {
  local venv=$1 requirements=$2 probe=$3 stamp="$1/.requirements.sha256" want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ ! -x "$probe" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" > "$stamp"
  fi
}

# release_ballast_with_compat_venv: sets BALLAST_BIN to a release build
# (built now) unless the caller gave one, and `venv` to the compatibility
# suite's virtualenv (boto3, the AWS CLI), made or refreshed as needed.
release_ballast_with_compat_venv() {
  if [[ -z "${BALLAST_BIN:-}" ]]; then
    step "build ballast (release)"
    cargo build --release -q -p ballast
    BALLAST_BIN="${CARGO_TARGET_DIR:-$root/target}/release/ballast"
  fi
  venv="$root/target/compat-venv"
  venv_install "$venv" "$root/tests/compat/requirements.txt" "$venv/bin/python"
}

# machine_line: one line naming the cores and CPU the figures come from.
machine_line() {
  echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
}

# spawn_ready NAME ENDPOINT COMMAND...: start an API server in the
# background (output to $work/NAME.log), record it in `pids`, and wait until
# it accepts requests, using the load generator in $bench. Sets
# `server_pid` and `server_startup_ms` (from spawn to first answer).
spawn_ready() {
  local name=$1 endpoint=$2 log="$work/$1.log" spawned
  shift 2
  spawned=$(date +%s%N)
  "$@" >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  if ! server_startup_ms=$("$bench" wait-ready --endpoint "$endpoint" --since-unix-ns "$spawned" --timeout 60); then
    cat "$log" >&2
    return 1
  fi
}
