#!/usr/bin/env python3
"""Turns one userstore_bench JSON run into the tables of docs/benchmarks.md.

Usage:
  scripts/bench_table.py RUN.json [--n N] > tables.md

RUN.json is the --benchmark_out (or --benchmark_format=json) output of one
run of build-*/bench/userstore_bench. With --benchmark_repetitions the median
aggregate of each benchmark is used, else its single run. Prints Markdown:
the setup block (from the run's context), then per store size N the times of
every operation on every system, the issue 3 targets as ratios (checked at
--n, default the largest N), thread scaling, memory and the REST facade.
"""

import argparse
import collections
import json
import sys

SYSTEMS = ["userstore", "ideal", "typical", "sqlite"]
OPS = [
    ("BM_FetchBySid", "fetch by SID"),
    ("BM_FetchByIdentity", "fetch by identity"),
    ("BM_Create", "create"),
    ("BM_Update", "update attributes"),
    ("BM_Delete", "delete"),
    ("BM_ListFirst", "list 50, first page"),
    ("BM_ListRandom", "list 50 from a random token"),
    ("BM_List90", "list 50 at 90%"),
]


def parse_name(run_name):
    """BM_Op/system/N[/iterations:K][/real_time][/threads:T] -> fields.

    None for names of another shape (the durable-mode benchmarks, whose
    figures docs/durable.md reports)."""
    parts = run_name.split("/")
    if len(parts) < 3 or not parts[2].isdigit():
        return None
    fields = {"op": parts[0], "system": parts[1], "n": int(parts[2]), "threads": 1}
    for p in parts[3:]:
        if p.startswith("threads:"):
            fields["threads"] = int(p.split(":")[1])
    return fields


def load(path):
    """{(op, system, n, threads): benchmark entry}, medians preferred."""
    with open(path) as f:
        run = json.load(f)
    singles = collections.defaultdict(list)
    medians = {}
    cvs = []
    for b in run["benchmarks"]:
        if b.get("error_occurred"):
            continue
        f = parse_name(b.get("run_name", b["name"]))
        if f is None:
            continue
        key = (f["op"], f["system"], f["n"], f["threads"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[key] = b
            elif b.get("aggregate_name") == "cv" and f["op"] != "BM_Memory":
                cvs.append(b["real_time"])
        else:
            singles[key].append(b)
    results = {}
    for key, runs in singles.items():
        results[key] = runs[len(runs) // 2] if len(runs) > 1 else runs[0]
    results.update(medians)
    context = dict(run["context"])
    if cvs:
        cvs.sort()
        context["noise"] = (f"coefficient of variation over repetitions: median "
                            f"{100 * cvs[len(cvs) // 2]:.0f} %, max {100 * cvs[-1]:.0f} %")
    return context, results


# Which clock the time tables use: "real" (wall clock, the default) or "cpu"
# (for single-threaded rows: the thread's CPU time, robust when other
# processes share the machine). Scaling always uses wall-clock items/s.
CLOCK = "real"


def ns(entry):
    """Time per operation in ns (wall clock: all threads together)."""
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[entry.get("time_unit", "ns")]
    key = "cpu_time" if CLOCK == "cpu" and entry.get("threads", 1) == 1 else "real_time"
    return entry[key] * scale


def fmt_time(value):
    if value is None:
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e3:
        return f"{value / 1e3:.2f} µs"
    return f"{value:.0f} ns"


def fmt_ratio(value):
    return "–" if value is None else f"{value:.2f}×"


def setup_block(context, results):
    ns_list = sorted({k[2] for k in results})
    lines = [
        "```",
        f"date:        {context.get('date', '?')}",
        f"host:        {context.get('host_name', '?')}",
        f"CPU:         {context.get('cpu_model', '?')}, {context.get('num_cpus', '?')} cores "
        f"@ {context.get('mhz_per_cpu', '?')} MHz",
    ]
    cpus = context.get("num_cpus", 1)
    caches = ", ".join(
        f"L{c['level']} {c['type'][0].lower()} {c['size'] // 1024} KiB"
        f" x{max(1, cpus // max(1, c.get('num_sharing', 1)))}"
        for c in context.get("caches", []))
    lines += [
        f"caches:      {caches}",
        f"compiler:    {context.get('compiler', '?')}",
        f"build:       {context.get('build_type', '?')}, flags: {context.get('cxx_flags', '?').strip()}",
        f"benchmark:   Google Benchmark (library_build_type: {context.get('library_build_type', '?')})",
        f"users (N):   {', '.join(str(n) for n in ns_list)}",
        f"huge pages:  {context.get('huge_pages', '?')}",
        f"load avg:    {', '.join(f'{x:.2f}' for x in context.get('load_avg', []))} (at start)",
        f"noise:       {context.get('noise', 'single run (no repetitions)')}",
        f"command:     {context.get('command_line', '?')}",
        "```",
    ]
    return "\n".join(lines)


def get(results, op, system, n, threads=1):
    return results.get((op, system, n, threads))


def time_of(results, op, system, n, threads=1):
    e = get(results, op, system, n, threads)
    return ns(e) if e else None


def ratio(a, b):
    return a / b if a is not None and b else None


def times_table(results, n):
    out = ["| operation | userstore | ideal | typical | sqlite | userstore / ideal | sqlite / userstore |",
           "|---|---|---|---|---|---|---|"]
    rows = OPS + [("BM_CreateContended", "create, 2 threads, one identity")]
    for op, label in rows:
        threads = 2 if op == "BM_CreateContended" else 1
        t = {s: time_of(results, op, s, n, threads) for s in SYSTEMS}
        if all(v is None for v in t.values()):
            continue
        out.append(f"| {label} | " + " | ".join(fmt_time(t[s]) for s in SYSTEMS) +
                   f" | {fmt_ratio(ratio(t['userstore'], t['ideal']))}"
                   f" | {fmt_ratio(ratio(t['sqlite'], t['userstore']))} |")
    t = time_of(results, "BM_ListOffset90", "sqlite", n)
    if t is not None:
        out.append(f"| list 50 at 90%, LIMIT/OFFSET | – | – | – | {fmt_time(t)} | – | – |")
    return "\n".join(out)


def targets_table(results, n):
    """The issue 3 targets, each as a measured ratio against its bound: from
    the separate benchmarks, and from the paired ones (BM_Pair*: both sides
    in alternating blocks of one run) when present; the status follows the
    paired figure when there is one."""
    rows = []

    def pair(op, systems):
        e = get(results, op, systems, n)
        return e["ratio"] if e and "ratio" in e else None

    def add(label, separate, paired, bound, at_most):
        sign = "≤" if at_most else "≥"
        value = paired if paired is not None else separate
        if value is None:
            status = "not measured"
        else:
            status = "met" if (value <= bound if at_most else value >= bound) else "**missed**"
        fmt = lambda v: "–" if v is None else f"{v:.2f}"
        rows.append(f"| {label} | {fmt(separate)} | {fmt(paired)} | {sign} {bound} | {status} |")

    t = lambda op, s, th=1: time_of(results, op, s, n, th)
    for op, label in [("BM_FetchBySid", "fetch by SID"), ("BM_FetchByIdentity", "fetch by identity")]:
        pop = op.replace("BM_", "BM_Pair")
        add(f"{label}: userstore / ideal time", ratio(t(op, "userstore"), t(op, "ideal")),
            pair(pop, "userstore:ideal"), 1.3, True)
        add(f"{label}: sqlite / userstore time", ratio(t(op, "sqlite"), t(op, "userstore")),
            pair(pop, "sqlite:userstore"), 6, False)
    add("create: userstore / ideal time", ratio(t("BM_Create", "userstore"), t("BM_Create", "ideal")),
        None, 1.5, True)
    add("update: userstore / ideal time", ratio(t("BM_Update", "userstore"), t("BM_Update", "ideal")),
        pair("BM_PairUpdate", "userstore:ideal"), 1.5, True)
    add("list 50 (random token): userstore / ideal time",
        ratio(t("BM_ListRandom", "userstore"), t("BM_ListRandom", "ideal")),
        pair("BM_PairListRandom", "userstore:ideal"), 1.3, True)
    add("list 50 at 90% / first page (userstore)",
        ratio(t("BM_List90", "userstore"), t("BM_ListFirst", "userstore")),
        pair("BM_PairList90:ListFirst", "userstore"), 1.2, True)
    # Issue 12: the fast forms against the copy-out floor (ideal into reused
    # caller storage), and the by-value forms against the same floor's
    # by-value calls; the REST facade against the store call it makes.
    add("(issue 12) fetch by SID into a reused User: userstore / ideal", None,
        pair("BM_PairFetchIntoBySid", "userstore:ideal"), 1.2, True)
    add("(issue 12) fetch by identity into a reused User: userstore / ideal", None,
        pair("BM_PairFetchIntoByIdentity", "userstore:ideal"), 1.2, True)
    add("(issue 12) fetch by SID by value: userstore / ideal", None,
        pair("BM_PairFetchBySid", "userstore:ideal"), 1.5, True)
    add("(issue 12) update, nothing returned: userstore / ideal", None,
        pair("BM_PairUpdateNoReturn", "userstore:ideal"), 2.0, True)
    add("(issue 12) list 50 into a reused Page: userstore / ideal", None,
        pair("BM_PairListInto", "userstore:ideal"), 1.2, True)
    add("(issue 12) REST facade fetch / store fetch by SID (userstore)",
        ratio(t("BM_FacadeFetch", "userstore"), t("BM_FetchBySid", "userstore")), None, 3, True)
    add("(issue 12) REST facade page of 50 / store page (userstore, random token)",
        ratio(t("BM_FacadeListRandom", "userstore"), t("BM_ListRandom", "userstore")), None, 1.5,
        True)
    for op, label in [("BM_FetchBySid", "fetch by SID"), ("BM_FetchByIdentity", "fetch by identity"),
                      ("BM_ListRandom", "list 50")]:
        one = get(results, op, "userstore", n, 1)
        two = get(results, op, "userstore", n, 2)
        value = ratio(two["items_per_second"], one["items_per_second"]) if one and two else None
        add(f"{label}: items/s at 2 threads / 1 thread (userstore)", value, None, 1.8, False)
    for op, label in [("BM_RandomChase", "dependent"), ("BM_RandomLoads", "independent")]:
        one = get(results, op, "machine", n, 1)
        two = get(results, op, "machine", n, 2)
        if one and two:
            value = two["items_per_second"] / one["items_per_second"]
            rows.append(f"| (ceiling) the machine's {label} random loads, no store code: "
                        f"2 threads / 1 thread | {value:.2f} | – | – | reference |")
    mem = get(results, "BM_Memory", "userstore", n)
    value = ratio(mem["bytes_per_user"], mem["payload_bytes_per_user"]) if mem else None
    add("memory: RSS bytes per user / payload bytes (userstore)", value, None, 1.5, True)
    return "\n".join(["| target | separate runs | paired | bound | status |",
                      "|---|---|---|---|---|"] + rows)


def paired_table(results, n):
    out = ["| operation | A : B | A per op | B per op | A / B |", "|---|---|---|---|---|"]
    for (op, systems, size, threads), e in sorted(results.items()):
        if size != n or not op.startswith("BM_Pair") or "ratio" not in e:
            continue
        label = op[len("BM_Pair"):]
        out.append(f"| {label} | {systems} | {fmt_time(e['a_ns'])} | {fmt_time(e['b_ns'])} | "
                   f"{e['ratio']:.2f}× |")
    return "\n".join(out) if len(out) > 2 else None


def threads_table(results, n):
    out = ["| operation | system | items/s, 1 thread | items/s, 2 threads | 2 / 1 |",
           "|---|---|---|---|---|"]
    for op, label in [("BM_FetchBySid", "fetch by SID"), ("BM_FetchByIdentity", "fetch by identity"),
                      ("BM_ListRandom", "list 50 (pages/s)"), ("BM_Create", "create"),
                      ("BM_RandomChase", "dependent random loads (no store)"),
                      ("BM_RandomLoads", "independent random loads (no store)")]:
        for s in SYSTEMS + ["machine"]:
            one, two = get(results, op, s, n, 1), get(results, op, s, n, 2)
            if not one or not two:
                continue
            a, b = one["items_per_second"], two["items_per_second"]
            out.append(f"| {label} | {s} | {a / 1e3:,.0f} k | {b / 1e3:,.0f} k | {b / a:.2f}× |")
    return "\n".join(out)


def memory_table(results, n):
    out = ["| system | RSS bytes/user | heap bytes/user | payload bytes/user | RSS / payload | preload |",
           "|---|---|---|---|---|---|"]
    for s in SYSTEMS:
        m = get(results, "BM_Memory", s, n)
        if not m:
            continue
        out.append(f"| {s} | {m['bytes_per_user']:,.0f} | {m['heap_bytes_per_user']:,.0f} | "
                   f"{m['payload_bytes_per_user']:,.0f} | "
                   f"{m['bytes_per_user'] / m['payload_bytes_per_user']:.2f}× | {m['preload_s']:.2f} s |")
    return "\n".join(out)


def facade_table(results, n):
    out = ["| request | facade (ns/op) | response bytes | store call | facade / store |",
           "|---|---|---|---|---|"]
    for op, store_op, label in [("BM_FacadeFetch", "BM_FetchBySid", "GET .../Users/{sid}"),
                                ("BM_FacadeListRandom", "BM_ListRandom", "GET .../Users?PageSize=50&PageToken= (random)"),
                                ("BM_FacadeList90", "BM_List90", "GET .../Users?PageSize=50&PageToken= (90%)")]:
        e = get(results, op, "userstore", n)
        if not e:
            continue
        per_op = e.get("bytes_per_second", 0) / e["items_per_second"] if e.get("items_per_second") else 0
        store = time_of(results, store_op, "userstore", n)
        out.append(f"| {label} | {fmt_time(ns(e))} | {per_op:,.0f} | {fmt_time(store)} | "
                   f"{fmt_ratio(ratio(ns(e), store))} |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="JSON output of one userstore_bench run")
    parser.add_argument("--n", type=int, help="store size whose targets are checked (default: largest)")
    parser.add_argument("--clock", choices=["real", "cpu"], default="real",
                        help="time of single-threaded rows: wall clock (default) or CPU time")
    args = parser.parse_args()
    global CLOCK
    CLOCK = args.clock
    context, results = load(args.run)
    if not results:
        sys.exit("no benchmark results in " + args.run)
    sizes = sorted({k[2] for k in results})
    target_n = args.n or sizes[-1]
    print("### Setup\n")
    print(setup_block(context, results))
    print(f"\n### Targets of issue 3 (N = {target_n:,})\n")
    print(targets_table(results, target_n))
    for n in sizes:
        clock = "wall clock" if CLOCK == "real" else "CPU time of one thread"
        print(f"\n### N = {n:,}: time per operation (median, {clock})\n")
        print(times_table(results, n))
        paired = paired_table(results, n)
        if paired:
            print(f"\n### N = {n:,}: paired ratios (alternating blocks in one run, median)\n")
            print(paired)
        print(f"\n### N = {n:,}: read and create scaling\n")
        print(threads_table(results, n))
        print(f"\n### N = {n:,}: memory\n")
        print(memory_table(results, n))
        print(f"\n### N = {n:,}: REST facade end to end (userstore)\n")
        print(facade_table(results, n))


if __name__ == "__main__":
    main()
