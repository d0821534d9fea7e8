#!/usr/bin/env python3
"""Prints the tables and counts of docs/capacity.md ("The current matrix") from a `reproduce capacity` folder.

Usage: python3 scripts/capacity_tables.py RUN_DIR   (RUN_DIR holds its capacity-summary.csv)

Output: one Markdown table per SLO pair (APEX / best baseline - 1; bold: loses, (tie): within the resolution,
*: the summary has a note), the verdict counts, the best baseline and workload of each loss, the losses split by
cause (the best baseline rejected more requests / a burst / neither), and every win and tie with its note, so the
page's prose can be checked against the run.
"""
import collections
import csv
import re
import sys

if len(sys.argv) != 2:
    sys.exit("usage: capacity_tables.py RUN_DIR (a folder written by ./apex reproduce capacity)")
d = sys.argv[1]
try:
    S = list(csv.DictReader(open(f"{d}/capacity-summary.csv")))
except FileNotFoundError as e:
    sys.exit(f"{e.filename}: not found; RUN_DIR must be a folder written by ./apex reproduce capacity")
cells = [s for s in S if s["verdict"] != "skipped"]
short = {"gpu-only": "gpu-only", "static-hybrid:neo": "NEO", "static-hybrid:neo[runtime=two-thread]": "NEO-2t",
         "static-hybrid:fastdecode": "FastDecode", "static-hybrid:offload": "offload"}
wls = list(dict.fromkeys(s["workload"] for s in cells))
rows = list(dict.fromkeys((s["hardware"], s["model"]) for s in cells))
slos = list(dict.fromkeys(s["slo_p99_tpot_ms"] for s in cells))
by = {(s["hardware"], s["model"], s["workload"], s["slo_p99_tpot_ms"]): s for s in cells}
def fmt(s):
    if s["verdict"] == "none-meets": return "none meets"
    g = s["apex_over_best_pct"]
    t = ("+" if not g.startswith("-") else "") + f"{float(g):.1f}%" if g else ("APEX only" if s["apex_rate_req_s"] else "baseline only")
    star = "*" if s["note"] else ""
    if s["verdict"] == "loses": return f"**{t}{star}**"
    if s["verdict"] == "ties": return f"{t} (tie){star}"
    return t + star
for slo in slos:
    print(f"\n### TPOT {slo}\n")
    print("| GPU + model | " + " | ".join(wls) + " |")
    print("| --- |" + " ---: |" * len(wls))
    for hw, m in rows:
        print(f"| {hw} + {m} | " + " | ".join(fmt(by[(hw, m, w, slo)]) for w in wls) + " |")
c = collections.Counter(s["verdict"] for s in cells)
print(f"\n{len(cells)} cells: wins {c['wins']}, ties {c['ties']}, loses {c['loses']}, none-meets {c['none-meets']}")
L = [s for s in cells if s["verdict"] == "loses"]
print("best baseline where APEX loses:", collections.Counter(short[s["best_baseline"]] for s in L).most_common())
print("losses by workload:", collections.Counter(s["workload"] for s in L).most_common())
print("losses by slo:", collections.Counter(s["slo_p99_tpot_ms"] for s in L).most_common())
print("wins by workload:", collections.Counter(s["workload"] for s in cells if s["verdict"] == "wins").most_common())
rej = [s for s in L if "never servable" in s["note"]]
burst = [s for s in L if "never servable" not in s["note"] and "burst" in s["note"]]
neither = [s for s in L if not s["note"]]
other = [s for s in L if s["note"] and s not in rej and s not in burst]
print(f"losses: different requests {len(rej)}, burst {len(burst)}, neither {len(neither)}, other {len(other)}")
print("rejected-loss workloads:", collections.Counter(s["workload"] for s in rej))
rr = collections.defaultdict(list)
for s in rej:
    m = re.search(r"rejected (\d+) requests.*\(apex: (\d+)\)", s["note"]); rr[s["workload"]].append((int(m[1]), int(m[2])))
for w, v in rr.items(): print(" ", w, "baseline rejected", min(a for a, _ in v), "-", max(a for a, _ in v), "apex rejected", sorted(set(b for _, b in v)))
for name, grp in (("different requests", rej), ("burst", burst), ("neither", neither), ("other", other)):
    if grp: print(f"  {name} gains: {min(float(s['apex_over_best_pct']) for s in grp)} .. {max(float(s['apex_over_best_pct']) for s in grp)}")
def show(s):
    return (f"  {s['hardware']} {s['model']} {s['workload']} tpot{s['slo_p99_tpot_ms']}: {s['verdict']} {s['apex_over_best_pct']}% "
            f"best {short.get(s['best_baseline'], s['best_baseline'])} {s['best_baseline_rate_req_s']} apex {s['apex_rate_req_s']} | {s['note']}")
print("\nburst losses:"); [print(show(s)) for s in burst]
print("\nneither losses:"); [print(show(s)) for s in neither]
print("\nother losses:"); [print(show(s)) for s in other]
print("\nnon-rejection notes on non-losses:", sum(1 for s in cells if s["verdict"] != "loses" and s["note"]))
print("\nwins:"); [print(show(s)) for s in cells if s["verdict"] == "wins"]
print("\nties:"); [print(show(s)) for s in cells if s["verdict"] == "ties"]
print("\nskipped:", [(s["hardware"], s["model"]) for s in S if s["verdict"] == "skipped"])
