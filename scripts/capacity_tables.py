#!/usr/bin/env python3
"""The tables and counts of docs/capacity.md ("The current matrix") from a `reproduce capacity` folder.

Usage:
  python3 scripts/capacity_tables.py RUN_DIR                          # print the section, then details
  python3 scripts/capacity_tables.py RUN_DIR --update docs/capacity.md  # replace the section in the page

RUN_DIR holds capacity-summary.csv and capacity.csv. The section is one Markdown table per SLO pair (APEX / best
baseline - 1; bold: loses, (tie): within the resolution, *: the summary has a note, †: the verdict rests on a
non-monotone answer), the verdict counts, the answers with a pass above them per engine, and every loss with its rates
and note. --update replaces the text between the page's `<!-- capacity-tables:begin -->` and
`<!-- capacity-tables:end -->` lines and nothing else. The details printed without --update (wins, ties, the
cells where requests were removed, burst answers) are for checking the page's prose against the run.
"""
import collections
import csv
import sys

BEGIN, END = "<!-- capacity-tables:begin -->", "<!-- capacity-tables:end -->"
SHORT = {"gpu-only": "gpu-only", "static-hybrid:neo": "NEO", "static-hybrid:neo[runtime=two-thread]": "NEO-2t",
         "static-hybrid:fastdecode": "FastDecode", "static-hybrid:offload": "offload"}


def load(d):
    try:
        summary = list(csv.DictReader(open(f"{d}/capacity-summary.csv")))
        rows = list(csv.DictReader(open(f"{d}/capacity.csv")))
    except FileNotFoundError as e:
        sys.exit(f"{e.filename}: not found; RUN_DIR must be a folder written by ./apex reproduce capacity")
    if "removed_unservable" not in summary[0]:
        sys.exit(f"{d}/capacity-summary.csv has no removed_unservable column: written by an older apex; rerun the matrix")
    return summary, rows


def fmt(s):
    if s["verdict"] == "none-meets":
        return "none meets"
    g = s["apex_over_best_pct"]
    t = (("+" if not g.startswith("-") else "") + f"{float(g):.1f}%") if g else ("APEX only" if s["apex_rate_req_s"] else "baseline only")
    star = "*" if s["note"] else ""
    if s.get("verdict_depends_on_non_monotone") == "true":
        star += "†"
    if s["verdict"] == "loses":
        return f"**{t}{star}**"
    if s["verdict"] == "ties":
        return f"{t} (tie){star}"
    return t + star


def section(summary, rows):
    cells = [s for s in summary if s["verdict"] != "skipped"]
    wls = list(dict.fromkeys(s["workload"] for s in cells))
    lines = list(dict.fromkeys((s["hardware"], s["model"]) for s in cells))
    slos = list(dict.fromkeys((s["slo_p99_tpot_ms"], s["slo_p99_ttft_ms"]) for s in cells))
    by = {(s["hardware"], s["model"], s["workload"], s["slo_p99_tpot_ms"], s["slo_p99_ttft_ms"]): s for s in cells}
    out = []
    draws = int(cells[0].get("draws") or 1)
    if draws > 1:
        out.append(f"Every answer over {draws} draws of the workload per probed rate (seeds S..S+{draws - 1}), judged "
                   + ("by the p99s over their requests pooled" if cells[0]["draw_rule"] == "pooled"
                      else "met where more than half of them meet the SLOs") + " (Repeated draws).")
        out.append("")
    for tpot, ttft in slos:
        out.append(f"APEX / best baseline - 1 at p99 TPOT {tpot} ms, p99 TTFT {float(ttft) / 1000:g} s (**bold**: APEX loses "
                   "beyond the resolution; (tie): within it; *: a note in capacity-summary.csv: requests removed, a burst, or "
                   "†: a verdict that rests on a non-monotone answer):")
        out.append("")
        out.append("| GPU + model | " + " | ".join(wls) + " |")
        out.append("| --- |" + " ---: |" * len(wls))
        for hw, m in lines:
            out.append(f"| {hw} + {m} | " + " | ".join(fmt(by[(hw, m, w, tpot, ttft)]) for w in wls) + " |")
        out.append("")
    c = collections.Counter(s["verdict"] for s in cells)
    out.append(f"{len(cells)} cells: APEX wins {c['wins']}, ties {c['ties']}, loses {c['loses']}, none meets {c['none-meets']}.")
    out.append("")
    removed = [s for s in cells if int(s["removed_unservable"] or 0) > 0]
    if removed:
        per = collections.Counter(s["workload"] for s in removed)
        out.append(f"Cells whose runs left out requests some engine cannot serve: {len(removed)} ("
                   + ", ".join(f"{w} {n}" for w, n in per.most_common()) + "); removed per cell: "
                   + f"{min(int(s['removed_unservable']) for s in removed)}-{max(int(s['removed_unservable']) for s in removed)}.")
        out.append("")
    bursts = [r for r in rows if r["burst"] == "true"]
    out.append(f"Answers from a burst (half or more of the run's requests in the system at once): {len(bursts)} of {len(rows)}"
               + (" (" + ", ".join(f"{w} {n}" for w, n in collections.Counter(r['workload'] for r in bursts).most_common()) + ")"
                  if bursts else "") + ".")
    out.append("")
    if "passes_above" in rows[0]:
        answered = [r for r in rows if r["max_rate_req_s"] and r["at_least"] != "true"]
        non = [r for r in answered if r["monotone"] == "false"]
        per = collections.Counter(SHORT.get(r["engine"], r["engine"]) for r in non)
        of = collections.Counter(SHORT.get(r["engine"], r["engine"]) for r in answered)
        k = max(int(r["checked_above"]) for r in rows)
        depends = [s for s in cells if s.get("verdict_depends_on_non_monotone") == "true"]
        out.append(f"Answers with a higher rate that met the SLOs (of the {k} grid points above each failing bound): {len(non)} of "
                   f"{len(answered)} answers below the top of the range (" + ", ".join(f"{e} {per[e]}/{n}" for e, n in of.items())
                   + f"); verdicts that would differ at every engine's highest rate met (†): {len(depends)}"
                   + (" (" + ", ".join(f"{s['hardware']} + {s['model']} `{s['workload']}` TPOT {s['slo_p99_tpot_ms']}: "
                                      f"{s['verdict']} → {s['verdict_at_highest_met']}" for s in depends) + ")" if depends else "")
                   + ".")
        out.append("")
    losses = [s for s in cells if s["verdict"] == "loses"]
    if losses:
        out.append("Where APEX loses (best baseline and its rate, APEX's rate, in req/s):")
        out.append("")
        for s in losses:
            note = f" ({s['note']})" if s["note"] else ""
            out.append(f"- {s['hardware']} + {s['model']}, `{s['workload']}`, TPOT {s['slo_p99_tpot_ms']} ms: "
                       f"{SHORT.get(s['best_baseline'], s['best_baseline'])} {s['best_baseline_rate_req_s']}, APEX "
                       f"{s['apex_rate_req_s'] or 'none'} ({float(s['apex_over_best_pct']):+.1f}%){note}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def details(summary, rows):
    cells = [s for s in summary if s["verdict"] != "skipped"]
    L = [s for s in cells if s["verdict"] == "loses"]
    print("best baseline where APEX loses:", collections.Counter(SHORT[s["best_baseline"]] for s in L).most_common())
    print("losses by workload:", collections.Counter(s["workload"] for s in L).most_common())
    print("losses by slo:", collections.Counter(s["slo_p99_tpot_ms"] for s in L).most_common())
    print("wins by workload:", collections.Counter(s["workload"] for s in cells if s["verdict"] == "wins").most_common())

    def show(s):
        return (f"  {s['hardware']} {s['model']} {s['workload']} tpot{s['slo_p99_tpot_ms']}: {s['verdict']} {s['apex_over_best_pct']}% "
                f"best {SHORT.get(s['best_baseline'], s['best_baseline'])} {s['best_baseline_rate_req_s']} apex {s['apex_rate_req_s']}"
                f" | removed {s['removed_unservable']} | {s['note']}")
    for name, grp in (("wins", [s for s in cells if s["verdict"] == "wins"]), ("ties", [s for s in cells if s["verdict"] == "ties"]),
                      ("removed", [s for s in cells if int(s["removed_unservable"] or 0) > 0])):
        print(f"\n{name}:")
        for s in grp:
            print(show(s))
    print("\nburst rows:")
    for r in rows:
        if r["burst"] == "true":
            print(f"  {r['hardware']} {r['model']} {r['workload']} tpot{r['slo_p99_tpot_ms']} {r['engine']}: {r['max_rate_req_s']} req/s, "
                  f"{r['requests']} requests, peak {r['peak_concurrent']}")
    print("\nskipped:", [(s["hardware"], s["model"]) for s in summary if s["verdict"] == "skipped"])


def update(page, text):
    try:
        doc = open(page).read()
    except FileNotFoundError:
        sys.exit(f"{page}: not found")
    if doc.count(BEGIN) != 1 or doc.count(END) != 1 or doc.index(BEGIN) > doc.index(END):
        sys.exit(f"{page}: expected one '{BEGIN}' line and, after it, one '{END}' line")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(page, "w").write(head + BEGIN + "\n\n" + text + "\n" + END + tail)
    print(f"updated {page}")


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--update"):
        sys.exit("usage: capacity_tables.py RUN_DIR [--update docs/capacity.md] (RUN_DIR: written by ./apex reproduce capacity)")
    summary, rows = load(argv[1])
    text = section(summary, rows)
    if len(argv) == 4:
        update(argv[3], text)
    else:
        print(text)
        details(summary, rows)


if __name__ == "__main__":
    main(sys.argv)
