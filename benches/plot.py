#!/usr/bin/env python3
"""Draw the `cycle` and `latency` groups as one small SVG chart.

Standard library only. Reads, from the Cargo target directory:

- criterion's estimates: <target>/criterion/<group>/<bench>/new/estimates.json
  (the median, with its 95 % confidence interval);
- the latency sampler's per-iteration figures:
  <target>/clusworker-samples/latency.json (median and p99).

Usage (after `cargo bench -p clusworker-benches --bench cycle --bench latency`):

    python3 benches/plot.py [TARGET_DIR] [-o benches/chart.svg]

TARGET_DIR defaults to $CARGO_TARGET_DIR, else ./target.
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

CYCLE = [
    ("clusworker", "clusworker"),
    ("raw_pthread", "raw pthread"),
    ("std_thread_scope", "std::thread::scope"),
    ("std_thread_spawn", "std::thread::spawn"),
]
LATENCY = [
    ("clusworker_terminate", "clusworker terminate"),
    ("clusworker_terminate_join", "clusworker terminate+join"),
    ("futex_wake_join_floor", "futex wake+join (floor)"),
    ("std_park_unpark", "std park/unpark"),
    ("mutex_condvar", "Mutex+Condvar"),
    ("poll_10ms", "10 ms poll loop"),
]
OURS = ("clusworker",)

WIDTH = 760
LABEL_W = 190
BAR_H = 16
GAP = 6
PAD = 14


def median_estimate(target, group, bench):
    """(median, low, high) in ns from criterion, or None."""
    path = target / "criterion" / group / bench / "new" / "estimates.json"
    try:
        est = json.loads(path.read_text())["median"]
    except (OSError, KeyError, ValueError):
        return None
    ci = est["confidence_interval"]
    return est["point_estimate"], ci["lower_bound"], ci["upper_bound"]


def samples(target, group):
    """{row name: row} from the sampler's JSON, or {}."""
    path = target / "clusworker-samples" / f"{group}.json"
    try:
        return {r["name"]: r for r in json.loads(path.read_text())["rows"]}
    except (OSError, KeyError, ValueError):
        return {}


def fmt_ns(ns):
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns / 1e6:.2f} ms"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Svg:
    def __init__(self):
        self.parts = []
        self.y = PAD

    def text(self, x, y, s, size=12, anchor="start", weight="normal", fill="#222"):
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{esc(s)}</text>'
        )

    def rect(self, x, y, w, h, fill, opacity=1.0):
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" height="{h:.1f}" '
            f'fill="{fill}" fill-opacity="{opacity}"/>'
        )

    def line(self, x1, y1, x2, y2, stroke="#222", width=1.0, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="{width}"{d}/>'
        )

    def render(self):
        h = self.y + PAD
        body = "\n".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h:.0f}" '
            f'viewBox="0 0 {WIDTH} {h:.0f}" font-family="DejaVu Sans, Arial, sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
        )


def colour(name):
    return "#1f6feb" if name.startswith(OURS) else "#8b949e"


def panel_cycle(svg, target):
    rows = [(label, name, median_estimate(target, "cycle", name)) for name, label in CYCLE]
    rows = [(l, n, e) for l, n, e in rows if e]
    svg.text(PAD, svg.y + 14, "cycle: spawn → terminate → join (criterion median, 95 % CI; linear)",
             size=13, weight="bold")
    svg.y += 24
    if not rows:
        svg.text(PAD, svg.y + 12, "(no criterion data for the cycle group)")
        svg.y += 20
        return
    top = max(e[2] for _, _, e in rows) * 1.15
    plot_w = WIDTH - LABEL_W - 2 * PAD - 80
    x0 = PAD + LABEL_W
    for label, name, (med, lo, hi) in rows:
        y = svg.y
        svg.text(x0 - 8, y + BAR_H - 4, label, anchor="end")
        svg.rect(x0, y, med / top * plot_w, BAR_H, colour(name))
        svg.line(x0 + lo / top * plot_w, y + BAR_H / 2, x0 + hi / top * plot_w, y + BAR_H / 2,
                 stroke="#000", width=1.2)
        svg.text(x0 + max(med, hi) / top * plot_w + 6, y + BAR_H - 4, fmt_ns(med), size=11)
        svg.y += BAR_H + GAP
    svg.line(x0, svg.y, x0 + plot_w, svg.y, stroke="#999")
    svg.text(x0, svg.y + 12, "0", size=10)
    svg.text(x0 + plot_w, svg.y + 12, fmt_ns(top), size=10, anchor="end")
    svg.y += 24


def panel_latency(svg, target):
    sampled = samples(target, "latency")
    rows = []
    for name, label in LATENCY:
        if name in sampled:
            r = sampled[name]
            rows.append((label, name, r["median_ns"], r["p99_ns"]))
        else:
            est = median_estimate(target, "latency", name)
            if est:
                rows.append((label, name, est[0], None))
    svg.text(PAD, svg.y + 14,
             "latency: terminate request → done, sleeping thread (median bar, p99 tick; log scale)",
             size=13, weight="bold")
    svg.y += 24
    if not rows:
        svg.text(PAD, svg.y + 12, "(no latency data)")
        svg.y += 20
        return
    vals = [v for _, _, m, p in rows for v in (m, p) if v]
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals)))
    plot_w = WIDTH - LABEL_W - 2 * PAD - 120
    x0 = PAD + LABEL_W

    def x(v):
        return x0 + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_w

    for label, name, med, p99 in rows:
        y = svg.y
        svg.text(x0 - 8, y + BAR_H - 4, label, anchor="end")
        svg.rect(x0, y, x(med) - x0, BAR_H, colour(name))
        note = fmt_ns(med)
        if p99:
            svg.line(x(p99), y - 1, x(p99), y + BAR_H + 1, stroke="#d1242f", width=2)
            note += f"  (p99 {fmt_ns(p99)})"
        svg.text(max(x(med), x(p99) if p99 else 0) + 6, y + BAR_H - 4, note, size=11)
        svg.y += BAR_H + GAP
    svg.line(x0, svg.y, x0 + plot_w, svg.y, stroke="#999")
    decade = lo
    while decade <= hi * 1.001:
        svg.line(x(decade), svg.y, x(decade), svg.y + 4, stroke="#999")
        svg.text(x(decade), svg.y + 15, fmt_ns(decade), size=10, anchor="middle")
        decade *= 10
    svg.y += 22


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", nargs="?",
                    default=os.environ.get("CARGO_TARGET_DIR", "target"),
                    help="the Cargo target directory")
    ap.add_argument("-o", "--output",
                    default=str(Path(__file__).resolve().parent / "chart.svg"),
                    help="the SVG to write (default: benches/chart.svg)")
    args = ap.parse_args()
    target = Path(args.target)
    svg = Svg()
    panel_cycle(svg, target)
    svg.y += 8
    panel_latency(svg, target)
    svg.text(WIDTH - PAD, svg.y + 4, "blue: clusworker · grey: peers · drawn by benches/plot.py",
             size=10, anchor="end", fill="#666")
    svg.y += 8
    Path(args.output).write_text(svg.render(), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
