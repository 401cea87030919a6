#!/usr/bin/env python3
"""Print the criterion results of the benches as Markdown tables, with ratios.

Standard library only. Reads <target>/criterion/<group>/<bench>/new/estimates.json
(the median and its 95 % confidence interval) and, for `latency` and `monitor`,
the samplers' <target>/clusworker-samples/<group>.json (median and p99).

    python3 benches/table.py [TARGET_DIR]      # default: $CARGO_TARGET_DIR or ./target
"""

import json
import os
import sys
from pathlib import Path

# group -> (baseline row for the ratio, rows in order)
GROUPS = {
    "check": ("atomic_bool_acquire", [
        "clusworker_check_terminate", "core_word_check_terminate",
        "atomic_bool_acquire", "atomic_bool_relaxed", "tokio_util_is_cancelled"]),
    "cycle": ("raw_pthread", [
        "clusworker", "raw_pthread", "std_thread_spawn", "std_thread_scope"]),
    "latency": ("futex_wake_join_floor", [
        "clusworker_terminate", "clusworker_terminate_join", "futex_wake_join_floor",
        "std_park_unpark", "mutex_condvar", "poll_10ms"]),
    "race": ("padded_cas/2t", [
        "clusworker_terminate/1t", "core_request_terminate/1t", "padded_cas/1t",
        "clusworker_terminate/2t", "core_request_terminate/2t", "padded_cas/2t"]),
    "many": ("sequential_terminate/1", [
        f"{row}/{n}" for n in (1, 8, 64)
        for row in ("terminate_all", "sequential_terminate", "terminate_all_join",
                    "std_flags_join")]),
    "monitor": (None, ["online_1000_pending", "heartbeat_report"]),
}


def fmt_ns(ns):
    if ns < 1:
        return f"{ns * 1e3:.0f} ps"
    if ns < 1e3:
        return f"{ns:.2f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns / 1e6:.2f} ms"


def estimate(target, group, row):
    path = target / "criterion" / group / row / "new" / "estimates.json"
    try:
        m = json.loads(path.read_text())["median"]
    except (OSError, KeyError, ValueError):
        return None
    ci = m["confidence_interval"]
    return m["point_estimate"], ci["lower_bound"], ci["upper_bound"]


def sampled(target, group):
    path = target / "clusworker-samples" / f"{group}.json"
    try:
        return {r["name"]: r for r in json.loads(path.read_text())["rows"]}
    except (OSError, KeyError, ValueError):
        return {}


def main():
    target = Path(sys.argv[1] if len(sys.argv) > 1
                  else os.environ.get("CARGO_TARGET_DIR", "target"))
    for group, (base, rows) in GROUPS.items():
        found = {r: estimate(target, group, r) for r in rows}
        found = {r: e for r, e in found.items() if e}
        if not found:
            continue
        samples = sampled(target, group)
        b = found.get(base) if base else None
        print(f"\n### `{group}`\n")
        head = "| row | criterion median [95 % CI] |"
        sep = "|---|---|"
        if b:
            head += f" × `{base}` |"
            sep += "---|"
        if samples:
            head += " sampler median | sampler p99 |"
            sep += "---|---|"
        print(head)
        print(sep)
        for r, (med, lo, hi) in found.items():
            line = f"| `{r}` | {fmt_ns(med)} [{fmt_ns(lo)}, {fmt_ns(hi)}] |"
            if b:
                line += f" {med / b[0]:.2f} |"
            if samples:
                s = samples.get(r)
                line += (f" {fmt_ns(s['median_ns'])} | {fmt_ns(s['p99_ns'])} |" if s
                         else " | |")
            print(line)
        if samples and "futex_wake_join_floor" in samples:
            f = samples["futex_wake_join_floor"]
            print(f"\nSampler ratios to the floor (median / p99): " + ", ".join(
                f"`{n}` {s['median_ns'] / f['median_ns']:.2f} / {s['p99_ns'] / f['p99_ns']:.2f}"
                for n, s in samples.items()))


if __name__ == "__main__":
    main()
