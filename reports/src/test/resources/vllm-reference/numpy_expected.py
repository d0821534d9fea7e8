"""Writes expected-numpy.json: vLLM's benchmark metrics (vllm bench serve, calculate_metrics) of each stored
requests.csv here, computed with numpy itself, so VllmMetricsReferenceTest can check that our statistics are
numpy's to the last bit. Run from this folder: python3 numpy_expected.py (numpy 2.x).

Per request, as vLLM's client records it: start = arrival_s; a success has no failure and all its target tokens;
ttft = first token - start, latency = last token - start, itl = gaps between consecutive tokens. The duration
(vLLM's dur_s, measured outside calculate_metrics) follows our clocks: from the first arrival, or from t = 0,
to the last return (a request's last token, or its arrival if it produced none).
"""
import csv
import json
import glob
import numpy as np

VARIANTS = {
    "first-arrival": dict(clock="first-arrival", slo={}),
    "schedule-origin+slo": dict(clock="schedule-origin", slo={"ttft": 280.0, "tpot": 600.0}),
}


def read(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            times = [float(t) for t in r["token_times_s"].split(";")] if r["token_times_s"] else []
            start = float(r["arrival_s"])
            success = r["failure"] == "" and len(times) == int(r["target_output_tokens"]) and len(times) > 0
            rows.append(dict(success=success, start=start, prompt_len=int(r["prompt_tokens"]), n=len(times),
                             ttft=times[0] - start if success else 0.0,
                             latency=times[-1] - start if success else 0.0,
                             itl=[times[k] - times[k - 1] for k in range(1, len(times))] if success else [],
                             returned=times[-1] if times else start))
    return rows


def metrics(rows, clock, slo):
    end = max(r["returned"] for r in rows)
    dur = end - (0.0 if clock == "schedule-origin" else min(r["start"] for r in rows))
    ttfts, tpots, all_tpots, itls, e2els, out_lens = [], [], [], [], [], []
    total_input = completed = 0
    for r in rows:
        if not r["success"]:
            out_lens.append(0)
            continue
        out_lens.append(r["n"])
        total_input += r["prompt_len"]
        tpot = 0.0
        if r["n"] > 1:
            tpot = (r["latency"] - r["ttft"]) / (r["n"] - 1)
            tpots.append(tpot)
        all_tpots.append(tpot)
        itls += r["itl"]
        ttfts.append(r["ttft"])
        e2els.append(r["latency"])
        completed += 1
    good = 0
    if slo:
        for ttft, tpot, e2el in zip(ttfts, all_tpots, e2els):
            ok = ("ttft" not in slo or slo["ttft"] / 1000 >= ttft) and ("tpot" not in slo or slo["tpot"] / 1000 >= tpot) \
                and ("e2el" not in slo or slo["e2el"] / 1000 >= e2el)
            good += ok
    ok_rows = [r for r in rows if r["success"]]
    max_tokens, peak = 0.0, 0
    if ok_rows:
        first = min(r["start"] for r in ok_rows)
        last = max(r["start"] + r["latency"] for r in ok_rows)
        buckets = np.zeros(int(np.ceil(last - first)) + 1)
        for r in ok_rows:
            t = r["start"] + r["ttft"]
            times = [t]
            for gap in r["itl"]:
                t += gap
                times.append(t)
            for t in times:
                b = int(t - first)
                if 0 <= b < len(buckets):
                    buckets[b] += 1
        events = sorted([(r["start"], 1) for r in ok_rows] + [(r["start"] + r["latency"], -1) for r in ok_rows])
        now = 0
        for _, d in events:
            now += d
            peak = max(peak, now)
        max_tokens = float(np.max(buckets))
    res = dict(duration=dur, completed=completed, failed=len(rows) - completed, total_input_tokens=total_input,
               total_output_tokens=sum(out_lens), request_throughput=completed / dur,
               request_goodput=good / dur if slo else None, output_throughput=sum(out_lens) / dur,
               total_token_throughput=(total_input + sum(out_lens)) / dur, max_output_tokens_per_s=max_tokens,
               max_concurrent_requests=peak)
    for name, values in (("ttft", ttfts), ("tpot", tpots), ("itl", itls), ("e2el", e2els)):
        res[f"mean_{name}_ms"] = float(np.mean(values or 0) * 1000)
        res[f"median_{name}_ms"] = float(np.median(values or 0) * 1000)
        res[f"std_{name}_ms"] = float(np.std(values or 0) * 1000)
        for p in (50, 90, 99):
            res[f"p{p}_{name}_ms"] = float(np.percentile(values or 0, p) * 1000)
    return res


if __name__ == "__main__":
    out = {"numpy": np.__version__}
    for path in sorted(glob.glob("*.csv")):
        rows = read(path)
        out[path] = {name: metrics(rows, v["clock"], v["slo"]) for name, v in VARIANTS.items()}
    with open("expected-numpy.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
