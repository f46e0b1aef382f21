#!/usr/bin/env python3
"""Helpers for bench/proxy.sh: CPU counters, wrk output → TSV row, tables.

  report.py jiffies CPUS
      Busy and total jiffies of the CPUs in a taskset list ("0", "1",
      "0-1", "0,1") from /proc/stat, printed as "busy total".

  report.py header
      The header line of the results TSV (see COLUMNS).

  report.py row WRK_OUTPUT key=value...
      One TSV row (see COLUMNS) from a `wrk --latency` output and the
      counters the script read around it: scenario, connections, target,
      round, contended, elapsed_ns, tck (clock ticks per second),
      server0/server1 (CPU ticks of the server whose cost is reported),
      others0/others1 (CPU ticks of the other processes the benchmark runs:
      the backend when a proxy is measured), wrk0/wrk1 (CPU seconds of the
      shell's finished children, which is wrk's), proxy0/proxy1,
      client0/client1, all0/all1 ("busy total" jiffies of the proxy CPUs,
      the client CPUs and every CPU).

  report.py allocation-row WRK_OUTPUT SCENARIO CONNECTIONS ALLOCATIONS
      One line "scenario connections requests allocations errors" for the
      allocation table: the requests wrk completed and its errors, with the
      allocations the counting Ballast made meanwhile.

  report.py allocations FILE
      The table of allocations per proxied request from those lines.

  report.py syscalls DIR TARGET...
      Per request, from DIR/stat-TARGET.csv (`perf stat -x,` of the proxy:
      task-clock, context-switches, raw_syscalls:sys_enter,
      sched:sched_waking (the tasks it woke, its peers mostly) and
      syscalls:sys_enter_* for the read, write and epoll_wait families)
      and DIR/wrk-stat-TARGET.txt (the wrk run it lasted for); the kernel's
      share of the CPU from DIR/cpu-TARGET.txt ("user0 system0 user1
      system1 tck", clock ticks from /proc around the same run).

  report.py table RESULTS.tsv [--baseline ballast] [--peer haproxy] [--direct direct]
      The markdown tables, one set per scenario and connection count, in
      the order they were measured: for each target the round with the
      median throughput (its latencies come from that same round; rounds
      in which a build ran or other processes used over 5% of the machine
      are used only if every round was disturbed), every round's req/s so
      the spread is visible, and the ratios of Ballast to HAProxy and to
      the backend reached directly: of the reported rounds, and of each
      round (targets of one round ran within a minute of each other). Then
      a summary: Ballast against HAProxy for every scenario and connection
      count.
"""

import argparse
import csv
import re
import sys

COLUMNS = [
    "scenario", "connections", "target", "round", "rps", "p50_ms", "p99_ms", "non2xx",
    "socket_errors", "requests", "server_cpu_s", "proxy_core_busy", "client_core_busy",
    "other_busy", "contended", "seconds",
]


# What each scenario sends and gets back, for the tables' headings.
SCENARIOS = {
    "small": "GET / answered with 32 bytes",
    "big": "GET /16k answered with 16384 bytes",
    "post": "POST / with a 4096-byte body, answered with 32 bytes",
}

# A round in which processes other than the benchmark's used more than this
# share of the machine (percent) is flagged and left out of the median.
OTHER_LOAD_LIMIT = 5.0


def jiffies(cpu_list):
    cpus = set()
    for part in cpu_list.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    busy = total = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu" and int(name[3:]) in cpus:
                v = [int(x) for x in values[:8]]
                total += sum(v)
                busy += sum(v) - v[3] - v[4]  # less idle and iowait
    print(busy, total)


def latency_ms(text, percentile):
    m = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    if not m:
        sys.exit(f"no {percentile}% latency in the wrk output:\n{text}")
    value, unit = m.groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def row(wrk_output, pairs):
    kv = dict(p.split("=", 1) for p in pairs)
    with open(wrk_output) as f:
        text = f.read()
    tck = int(kv["tck"])

    def span(name):
        a_busy, a_total = map(int, kv[name + "0"].split())
        b_busy, b_total = map(int, kv[name + "1"].split())
        return b_busy - a_busy, max(1, b_total - a_total)

    def busy_pct(name):
        used, total = span(name)
        return 100.0 * used / total

    server_s = (int(kv["server1"]) - int(kv["server0"])) / tck
    others_s = (int(kv["others1"]) - int(kv["others0"])) / tck
    wrk_s = float(kv["wrk1"]) - float(kv["wrk0"])
    all_used, all_total = span("all")
    # CPU used by anything but wrk, the backend and the measured proxy, as
    # a share of every CPU over the window.
    other = max(0.0, 100.0 * (all_used / tck - server_s - others_s - wrk_s) / (all_total / tck))

    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
    requests = int(re.search(r"^\s*(\d+) requests in", text, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    values = [
        kv["scenario"], kv["connections"], kv["target"], kv["round"], f"{rps:.1f}",
        f"{latency_ms(text, 50):.4f}", f"{latency_ms(text, 99):.4f}",
        str(int(non2xx.group(1)) if non2xx else 0),
        str(sum(map(int, sock.groups())) if sock else 0), str(requests),
        f"{server_s:.3f}", f"{busy_pct('proxy'):.1f}", f"{busy_pct('client'):.1f}",
        f"{other:.1f}", kv["contended"], f"{int(kv['elapsed_ns']) / 1e9:.3f}",
    ]
    print("\t".join(values))


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "—"


def read_results(path):
    """Rows by (scenario, connections), then by target, in file order."""
    groups = {}
    with open(path, newline="") as f:
        for raw in csv.DictReader(f, delimiter="\t"):
            r = dict(raw)
            for key in ("rps", "p50_ms", "p99_ms", "server_cpu_s", "proxy_core_busy",
                        "client_core_busy", "other_busy", "seconds"):
                r[key] = float(r[key])
            for key in ("connections", "round", "non2xx", "socket_errors", "requests", "contended"):
                r[key] = int(r[key])
            r["disturbed"] = bool(r["contended"]) or r["other_busy"] > OTHER_LOAD_LIMIT
            group = groups.setdefault((r["scenario"], r["connections"]), {})
            group.setdefault(r["target"], []).append(r)
    return groups


def median_rounds(by_target):
    chosen = {}
    for target, rows in by_target.items():
        clean = [r for r in rows if not r["disturbed"]] or rows
        ordered = sorted(clean, key=lambda r: r["rps"])
        chosen[target] = ordered[(len(ordered) - 1) // 2]
    return chosen


def group_tables(by_target, chosen, args):
    """One scenario at one connection count: the targets, then the ratios."""
    print("| target | req/s | p50 (ms) | p99 (ms) | errors | req/s, every round "
          "| server CPU (µs/req) | proxy core busy | client core busy | other load |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    flagged = False
    for target, rows in by_target.items():
        r = chosen[target]
        rounds = []
        for x in sorted(rows, key=lambda x: x["round"]):
            mark = "*" if x["disturbed"] else ""
            flagged |= x["disturbed"]
            rounds.append(f"{x['rps']:.0f}{mark}")
        errors = sum(x["non2xx"] + x["socket_errors"] for x in rows)
        cpu_us = r["server_cpu_s"] / r["requests"] * 1e6 if r["requests"] else 0.0
        print(f"| {target} | {r['rps']:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {errors} "
              f"| {', '.join(rounds)} | {cpu_us:.1f} | {r['proxy_core_busy']:.0f}% "
              f"| {r['client_core_busy']:.0f}% | {r['other_busy']:.0f}% |")
    if flagged:
        print()
        print(f"\\* disturbed round: a build (cargo/rustc) ran, or other processes used over "
              f"{OTHER_LOAD_LIMIT:.0f}% of the machine; the median is taken over the other rounds "
              f"when there are any.")

    base = chosen.get(args.baseline)
    if base is None:
        return
    print()
    print("| ratio | req/s | p99 | req/s, each round | p99, each round |")
    print("|---|---:|---:|---|---|")
    for other in (args.peer, args.direct):
        if other not in chosen:
            continue
        o = chosen[other]
        mine = {r["round"]: r for r in by_target[args.baseline]}
        theirs = {r["round"]: r for r in by_target[other]}
        rounds = sorted(set(mine) & set(theirs))

        def mark(n):
            return "*" if mine[n]["disturbed"] or theirs[n]["disturbed"] else ""

        each_rps = ", ".join(ratio(mine[n]["rps"], theirs[n]["rps"]) + mark(n) for n in rounds)
        each_p99 = ", ".join(ratio(mine[n]["p99_ms"], theirs[n]["p99_ms"]) + mark(n) for n in rounds)
        print(f"| {args.baseline}/{other} | {ratio(base['rps'], o['rps'])} "
              f"| {ratio(base['p99_ms'], o['p99_ms'])} | {each_rps} | {each_p99} |")


def table(args):
    groups = read_results(args.results)
    if not groups:
        sys.exit("no results")
    medians = {}
    for n, ((scenario, connections), by_target) in enumerate(groups.items()):
        medians[scenario, connections] = chosen = median_rounds(by_target)
        if n:
            print()
        print(f"**{scenario}** ({SCENARIOS.get(scenario, scenario)}), {connections} connections:")
        print()
        group_tables(by_target, chosen, args)

    base, peer = args.baseline, args.peer
    print()
    print(f"Summary (median rounds), {base} against {peer}:")
    print()
    print(f"| scenario | connections | {base} req/s | {peer} req/s | {base}/{peer} req/s "
          f"| {base}/{peer} p99 |")
    print("|---|---:|---:|---:|---:|---:|")
    for (scenario, connections), chosen in medians.items():
        if base not in chosen or peer not in chosen:
            continue
        b, p = chosen[base], chosen[peer]
        print(f"| {scenario} | {connections} | {b['rps']:.0f} | {p['rps']:.0f} "
              f"| {ratio(b['rps'], p['rps'])} | {ratio(b['p99_ms'], p['p99_ms'])} |")


def wrk_counts(text):
    """Requests completed and errors (non-2xx/3xx answers plus socket errors)."""
    requests = int(re.search(r"^\s*(\d+) requests in", text, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return requests, errors


def allocation_row(wrk_output, scenario, connections, allocations):
    with open(wrk_output) as f:
        requests, errors = wrk_counts(f.read())
    print("\t".join([scenario, connections, str(requests), allocations, str(errors)]))


def allocations(path):
    print("| scenario | connections | requests | allocations | per request | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    with open(path) as f:
        for line in f:
            scenario, connections, requests, count, errors = line.split()
            per = f"{int(count) / int(requests):.1f}" if int(requests) else "—"
            print(f"| {scenario} | {connections} | {requests} | {count} | {per} | {errors} |")


def syscalls(directory, targets):
    reads = ("read", "readv", "recvfrom")
    writes = ("write", "writev", "sendto")
    print("| proxy | req/s | CPU (µs/req) | of which kernel | syscalls/req | reads | writes "
          "| epoll_wait | context switches/req | wake-ups/req |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for target in targets:
        with open(f"{directory}/wrk-stat-{target}.txt") as f:
            text = f.read()
        requests = int(re.search(r"^\s*(\d+) requests in", text, re.M).group(1))
        rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
        counts = {}
        with open(f"{directory}/stat-{target}.csv") as f:
            for line in f:
                fields = line.strip().split(",")
                if len(fields) < 3 or line.startswith("#"):
                    continue
                try:
                    counts[fields[2]] = float(fields[0])
                except ValueError:
                    counts[fields[2]] = 0.0  # <not counted> / <not supported>

        def per(name):
            return counts.get(name, 0.0) / requests if requests else 0.0

        def calls(names):
            return sum(per(f"syscalls:sys_enter_{n}") for n in names)

        kernel = "—"
        try:
            with open(f"{directory}/cpu-{target}.txt") as f:
                u0, s0, u1, s1, _ = map(int, f.read().split())
            if (u1 - u0) + (s1 - s0) > 0:
                kernel = f"{100 * (s1 - s0) / ((u1 - u0) + (s1 - s0)):.0f}%"
        except (OSError, ValueError):
            pass
        print(f"| {target} | {rps:.0f} | {per('task-clock') * 1e3:.1f} | {kernel} "
              f"| {per('raw_syscalls:sys_enter'):.2f} | {calls(reads):.2f} | {calls(writes):.2f} "
              f"| {calls(('epoll_wait',)):.2f} | {per('context-switches'):.3f} "
              f"| {per('sched:sched_waking'):.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("jiffies")
    p.add_argument("cpus")
    p = sub.add_parser("row")
    p.add_argument("wrk_output")
    p.add_argument("pairs", nargs="*")
    sub.add_parser("header")
    p = sub.add_parser("allocation-row")
    p.add_argument("wrk_output")
    p.add_argument("scenario")
    p.add_argument("connections")
    p.add_argument("allocations")
    p = sub.add_parser("allocations")
    p.add_argument("file")
    p = sub.add_parser("syscalls")
    p.add_argument("directory")
    p.add_argument("targets", nargs="+")
    p = sub.add_parser("table")
    p.add_argument("results")
    p.add_argument("--baseline", default="ballast")
    p.add_argument("--peer", default="haproxy")
    p.add_argument("--direct", default="direct")
    args = parser.parse_args()
    if args.command == "jiffies":
        jiffies(args.cpus)
    elif args.command == "row":
        row(args.wrk_output, args.pairs)
    elif args.command == "syscalls":
        syscalls(args.directory, args.targets)
    elif args.command == "header":
        print("\t".join(COLUMNS))
    elif args.command == "allocation-row":
        allocation_row(args.wrk_output, args.scenario, args.connections, args.allocations)
    elif args.command == "allocations":
        allocations(args.file)
    else:
        table(args)


if __name__ == "__main__":
    main()
