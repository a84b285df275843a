#!/usr/bin/env python3
"""Turns shared_bench runs (--benchmark_out JSON) into the tables of
docs/benchmarks.md, "Shared mode (PostgreSQL)".

    python3 scripts/shared_bench_table.py run1.json [run2.json ...]

Each cell is the median of a run's repetitions (Google Benchmark's "median"
aggregate; the single value when a run has one repetition); with several
runs, one column per run. Ratios: fetch is shared / memory time (target <=
1.2), creates are shared / libpq creates per second (target >= 0.8).
"""
import json
import re
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    medians, singles = {}, {}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
        else:
            singles.setdefault(name, b)
    for name, b in singles.items():
        medians.setdefault(name, b)
    return data.get("context", {}), medians


def find(results, pattern):
    for name, b in results.items():
        if re.fullmatch(pattern, name):
            return b
    return None


def cell(b, key, scale=1.0, digits=2):
    if b is None or key not in b:
        return "–"
    value = b[key] * scale
    return f"{value:,.{digits}f}"


def row(label, runs, pattern, key, scale=1.0, digits=2):
    cells = [cell(find(r, pattern), key, scale, digits) for r in runs]
    return f"| {label} | " + " | ".join(cells) + " |"


def main(paths):
    runs = []
    contexts = []
    for p in paths:
        context, results = load(p)
        contexts.append(context)
        runs.append(results)
    header = "| | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |"
    rule = "|---|" + "---:|" * len(runs)
    users = contexts[0].get("users", "?")

    print(f"#### Fetch by SID (N = {users}; ns per fetch, median of repetitions)\n")
    print(header)
    print(rule)
    for threads in (1, 2):
        for side in ("Memory", "Shared"):
            print(row(f"BM_Fetch{side}, {threads} thread(s)", runs,
                      rf"BM_Fetch{side}/\d+/real_time/threads:{threads}", "real_time", 1, 0))
    print(row("**paired: shared ns**", runs, r"BM_PairFetch/shared:memory/\d+/real_time",
              "shared_ns", 1, 0))
    print(row("**paired: memory ns**", runs, r"BM_PairFetch/shared:memory/\d+/real_time",
              "memory_ns", 1, 0))
    print(row("**paired ratio shared / memory** (target ≤ 1.2)", runs,
              r"BM_PairFetch/shared:memory/\d+/real_time", "ratio", 1, 3))
    print()

    print("#### Creates (creates/s, aggregate over the threads; median of repetitions)\n")
    print(header)
    print(rule)
    for threads in (1, 8):
        t = rf"/min_time:[\d.]+/real_time/threads:{threads}"
        print(row(f"BM_CreateShared, {threads} thr", runs, "BM_CreateShared" + t,
                  "items_per_second", 1, 0))
        print(row(f"BM_CreateLibpq, {threads} thr", runs, "BM_CreateLibpq" + t,
                  "items_per_second", 1, 0))
        print(row(f"BM_CreateLibpqTx, {threads} thr", runs, "BM_CreateLibpqTx" + t,
                  "items_per_second", 1, 0))
        pair = "BM_PairCreate/shared:libpq" + t
        print(row(f"paired, {threads} thr: shared", runs, pair, "shared_per_s", 1, 0))
        print(row(f"paired, {threads} thr: libpq", runs, pair, "libpq_per_s", 1, 0))
        print(row(f"**paired ratio shared / libpq, {threads} thr** (target ≥ 0.8)", runs, pair,
                  "ratio", 1, 3))
        print(row(f"paired, {threads} thr: process CPU µs per create, shared", runs, pair,
                  "shared_cpu_us", 1, 0))
        print(row(f"paired, {threads} thr: process CPU µs per create, libpq", runs, pair,
                  "libpq_cpu_us", 1, 0))
        for x in ("libpq-tx", "libpq-plain", "shared-per-service"):
            print(row(f"split: {x} / libpq, {threads} thr", runs,
                      f"BM_PairCreate/{x}:libpq" + t, "ratio", 1, 3))
    print()

    print("#### Replication lag A → B (ms; writes paced by 8 threads on A)\n")
    print(header)
    print(rule)
    for suffix, what in (("", "only A writes"), ("/b-writes-too", "B writes as much"),
                         ("/c-writes-too", "a third Store writes as much")):
        for rate in (200, 1000):
            pattern = rf"BM_ReplicationLag/{rate}{suffix}/iterations:1/real_time"
            print(row(f"{rate}/s, {what}: achieved writes/s", runs, pattern, "writes_per_s", 1, 0))
            for key in ("lag_p50_ms", "lag_p90_ms", "lag_p99_ms", "lag_max_ms"):
                print(row(f"{rate}/s, {what}: {key}", runs, pattern, key, 1, 2))
            print(row(f"{rate}/s, {what}: shown at the first poll", runs, pattern,
                      "shown_at_ack", 1, 2))
            print(row(f"{rate}/s, {what}: A's write p50 ms", runs, pattern,
                      "write_p50_ms", 1, 2))
            print(row(f"{rate}/s, {what}: A's write p99 ms", runs, pattern,
                      "write_p99_ms", 1, 2))
    print()

    print("#### Read-your-writes across hosts: A.SharedPosition() + B.WaitForPosition() (ms)\n")
    print(header)
    print(rule)
    for rate in (0, 200):
        pattern = rf"BM_ReadYourWrites/{rate}/iterations:1/real_time"
        for key in ("position_p50_ms", "position_p99_ms", "wait_p50_ms", "wait_p99_ms",
                    "total_p50_ms", "total_p99_ms", "stale_after_wait", "probes"):
            print(row(f"background {rate}/s: {key}", runs, pattern, key, 1,
                      0 if key in ("stale_after_wait", "probes") else 3))
    print()

    print("#### WaitForPosition past the last published change (ms)\n")
    print(header)
    print(rule)
    for key in ("wait_p50_ms", "wait_p99_ms", "wait_max_ms", "probes"):
        print(row(key, runs, r"BM_WaitPastUnpublished/iterations:1/real_time", key, 1,
                  0 if key == "probes" else 3))
    print()

    print("#### Fetch latency during writes (µs; A writes, B applies)\n")
    print(header)
    print(rule)
    for rate in (0, 1000):
        pattern = rf"BM_FetchDuringWrites/{rate}/iterations:1/real_time"
        for host in ("a", "b"):
            for key in ("p50_us", "p99_us", "p999_us", "max_us"):
                print(row(f"{rate} writes/s, {host.upper()}: {key}", runs, pattern,
                          f"{host}_{key}", 1, 1))
            print(row(f"{rate} writes/s, {host.upper()}: share > 100 µs", runs, pattern,
                      f"{host}_slow_share", 100, 3))
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
