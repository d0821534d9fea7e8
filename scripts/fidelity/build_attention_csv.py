"""Turn the hand-transcribed pages (transcribed/*.txt) into vidur_attention_tp1_sampled.csv (profiler fidelity resources).

Each output row is one row of one of Vidur's attention.csv files (TP=1, block size 16, fp16), with the median
time in ms of the attention kernel (attn_decode for decode rows, attn_prefill for prefill rows) and, for the
FlashInfer file, the attn_kv_cache_save median. Also prints a plausibility check: decode time should grow with
batch at a fixed KV length, prefill time with KV length at a fixed chunk (a transcription slip shows up as a jump).
"""
import csv, glob, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))

def pages():
    for path in sorted(glob.glob(os.path.join(HERE, "transcribed", "*.txt"))):
        meta, rows = {}, []
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                k, v = line[1:].split(":", 1)
                meta[k.strip()] = v.strip()
                continue
            parts = line.split()
            rows.append(parts)
        yield os.path.basename(path), meta, rows

def main(out_path):
    out = []
    for name, meta, rows in pages():
        for parts in rows:
            batch, chunk, kv, t = int(parts[0]), int(parts[1]), int(parts[2]), float(parts[3])
            save = parts[4] if len(parts) > 4 else ""
            out.append({
                "device": meta["device"], "model": meta["model"], "backend": meta["backend"],
                "kind": meta["kind"], "batch_size": batch, "prefill_chunk_size": chunk,
                "kv_cache_size": kv, "median_ms": f"{t:.3f}", "kv_cache_save_median_ms": save,
                "page_offset": int(meta["offset"]),
            })
    keys = list(out[0].keys())
    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    # plausibility check
    from collections import defaultdict
    groups = defaultdict(list)
    for r in out:
        key = (r["device"], r["model"], r["kind"], r["kv_cache_size"] if r["kind"] == "decode" else r["prefill_chunk_size"])
        x = r["batch_size"] if r["kind"] == "decode" else r["kv_cache_size"]
        groups[key].append((x, float(r["median_ms"])))
    flagged = 0
    for key, pts in groups.items():
        pts.sort()
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if x1 > x0 and (y1 < 0.85 * y0 or y1 > 1.6 * y0 + 0.02):
                flagged += 1
                print("check", key, x0, y0, "->", x1, y1)
    print(f"{len(out)} rows, {flagged} jumps flagged", file=sys.stderr)

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "profiler", "src", "main", "resources", "org", "apexbench", "profiler", "fidelity", "vidur_attention_tp1_sampled.csv"))
