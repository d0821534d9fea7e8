"""Extract the TP=1 rows of Vidur's published mlp.csv profiles into one CSV: one row per (device, model, num_tokens),
one column per op holding Vidur's median over 20 runs, in ms. Rows whose num_tokens appears twice in Vidur's grid
(1024, 2048, 4096) are kept once each with repeat=0/1.

Usage: python3 extract_vidur_mlp.py VIDUR_GIT_DIR > profiler/src/main/resources/org/apexbench/profiler/fidelity/vidur_mlp_tp1.csv
Reads the blobs with `git show` from a clone of microsoft/vidur (commit given in that folder's README.md).
"""
import csv, io, subprocess, sys

FILES = [
    ("a100", "meta-llama/Llama-2-7b-hf"),
    ("a100", "meta-llama/Meta-Llama-3-8B"),
    ("h100", "meta-llama/Llama-2-7b-hf"),
    ("a40", "meta-llama/Llama-2-7b-hf"),
]
OPS = ["emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj",
       "post_attention_layernorm", "mlp_up_proj", "mlp_act", "mlp_down_proj", "add"]

def main(git_dir, commit="HEAD"):
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["device", "model", "num_tokens", "repeat"] + [f"{op}_ms" for op in OPS])
    for device, model in FILES:
        path = f"data/profiling/compute/{device}/{model}/mlp.csv"
        text = subprocess.run(["git", "-C", git_dir, "show", f"{commit}:{path}"],
                              check=True, capture_output=True, text=True).stdout
        rows = [r for r in csv.DictReader(io.StringIO(text)) if int(float(r["num_tensor_parallel_workers"])) == 1]
        rows.sort(key=lambda r: int(float(r["num_tokens"])))
        seen = {}
        for r in rows:
            n = int(float(r["num_tokens"]))
            seen[n] = seen.get(n, -1) + 1
            out.writerow([device, model.split("/")[1], n, seen[n]]
                         + [f"{float(r[f'time_stats.{op}.median']):.4f}" for op in OPS])

if __name__ == "__main__":
    main(sys.argv[1], *(sys.argv[2:3]))
