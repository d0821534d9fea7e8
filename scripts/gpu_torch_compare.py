#!/usr/bin/env python3
"""Runs the shapes of org.apexbench.kernels.cuda.GpuBench through PyTorch on the same GPU and prints
side-by-side ratios against the Java/JCuda numbers (gpu-check.csv). Keys match GpuBench's key column.

ratio = torch_us / java_us  (> 1: our kernel is faster; for the same work this equals the ratio of
achieved GB/s or TFLOP/s). Torch reads attention K/V from contiguous tensors, ours from the paged pool.
"""
import argparse, csv, os, sys
import torch
import torch.nn.functional as F

def timed(fn, reps):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) * 1000.0 / reps  # microseconds

def sdpa(q, k, v, causal):
    try:
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
    except TypeError:  # torch < 2.5: no enable_gqa, repeat K/V heads (costs extra traffic, noted)
        g = q.shape[1] // k.shape[1]
        return F.scaled_dot_product_attention(q, k.repeat_interleave(g, 1), v.repeat_interleave(g, 1), is_causal=causal)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--java-csv", required=True)
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    a = ap.parse_args()
    dev, h = "cuda", torch.float16
    rows = []  # key, microseconds, value, unit

    n = 1 << 29  # 1 GiB of fp16
    src, dst = torch.empty(n, dtype=h, device=dev), torch.empty(n, dtype=h, device=dev)
    us = timed(lambda: dst.copy_(src), 10)
    rows.append(("copy_d2d/1GiB", us, 2 * 2 * n / us / 1e3, "GB/s"))
    del src, dst

    for nn, k in ((4096, 4096), (11008, 4096), (4096, 11008)):
        w = torch.randn(nn, k, dtype=h, device=dev)
        for r in (1, 4, 16, 32, 64):
            x = torch.randn(r, k, dtype=h, device=dev)
            us = timed(lambda: torch.matmul(x, w.t()), 50)
            rows.append((f"gemm_decode/{r}x{k}x{nn}", us, (nn * k + r * (k + nn)) * 2 / us / 1e3, "GB/s"))
        x = torch.randn(2048, k, dtype=h, device=dev)
        us = timed(lambda: torch.matmul(x, w.t()), 10)
        rows.append((f"gemm_prefill/2048x{k}x{nn}", us, 2 * 2048 * nn * k / us / 1e6, "TFLOP/s"))
        del w

    for ctx in (1024, 4096, 16384):
        for b in (1, 8, 32):
            if ctx * b > 32 * 4096:
                continue
            q = torch.randn(b, 32, 1, 128, dtype=h, device=dev)
            kk = torch.randn(b, 8, ctx, 128, dtype=h, device=dev)
            vv = torch.randn(b, 8, ctx, 128, dtype=h, device=dev)
            us = timed(lambda: sdpa(q, kk, vv, False), 20)
            rows.append((f"decode_attention/b{b}/ctx{ctx}", us, 2 * b * ctx * 8 * 128 * 2 / us / 1e3, "GB/s"))
            del q, kk, vv
    t = 2048
    q = torch.randn(1, 32, t, 128, dtype=h, device=dev)
    kk, vv = torch.randn(1, 8, t, 128, dtype=h, device=dev), torch.randn(1, 8, t, 128, dtype=h, device=dev)
    us = timed(lambda: sdpa(q, kk, vv, True), 5)
    rows.append((f"prefill_attention/{t}", us, 4 * 32 * 128 * (t * (t + 1) / 2) / us / 1e6, "TFLOP/s"))

    with open(os.path.join(a.out, "torch.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["key", "microseconds", "value", "unit", "torch", "device"])
        for r in rows:
            wr.writerow([*r, torch.__version__, torch.cuda.get_device_name()])

    java = {}
    if os.path.exists(a.java_csv):
        with open(a.java_csv) as f:
            for r in csv.DictReader(f):
                java[r["key"]] = r
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
    print(f"{'key':34s} {'java us':>10s} {'torch us':>10s} {'torch/java':>10s}  target")
    side = []
    for key, us, val, unit in rows:
        j = java.get(key)
        if j is None:
            print(f"{key:34s} {'-':>10s} {us:10.1f}")
            continue
        ratio = us / float(j["microseconds"])
        target = ">= 0.50 (prefill GEMM vs torch.matmul)" if key.startswith("gemm_prefill") else ""
        if target:
            target += "  OK" if ratio >= 0.5 else "  BELOW"
        print(f"{key:34s} {float(j['microseconds']):10.1f} {us:10.1f} {ratio:10.2f}  {target}")
        side.append([key, j["microseconds"], us, ratio])
    with open(os.path.join(a.out, "side-by-side.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["key", "java_us", "torch_us", "torch_over_java"])
        wr.writerows(side)

if __name__ == "__main__":
    sys.exit(main())
