#!/usr/bin/env python3
"""vLLM V0's real scheduler and block manager on our simulator's cost tables, beside our gpu-only (`scheduler=vllm-v0`).

What it needs
  * vLLM's Python package at a V0 commit, given as --vllm DIR (DIR/vllm/core/scheduler.py ...). Nothing of vLLM is
    copied here: its modules are imported from DIR. The runs in docs/decisions.md ("eleventh pass") used
    vllm-project/vllm at 32e7db25 (v0.6.0), 9ba0817f (v0.6.1.post2; both BlockSpaceManagerV1 by default) and a2c71c54
    (v0.6.3.post1; V2, the default since #8678), each exported with `git archive COMMIT vllm | tar -x -C DIR`.
  * Python >= 3.10 with PyTorch (any CPU build; only imported by vLLM's modules) and numpy.
  * A profile of the simulated T4 (`./apex profile --backend sim --hardware t4-g4dn.4xlarge --model llama-2-7b
    --gpu-kv-blocks 54 --host-kv-blocks 2560 --max-tokens 864 --max-running 512 --out FILE`) as --profile.
  * The requests: --workload-from RUN (an `apex run` folder: the very lengths our run served) or --trace (the OSC
    trace, as neo_loop_host_time.py reads it); arrivals are NEO's (numpy.random.seed(0), exponential gaps).

What runs for real (vLLM's code, unmodified): Scheduler.schedule() (_schedule_chunked_prefill: _schedule_running with
its can_append_slots check and recompute preemption, _schedule_swapped, _schedule_prefills; the budget; the
SequenceGroupMetadata it builds), the block manager of the commit's default or --block-manager, Sequence /
SequenceGroup / SequenceData, free_seq and free_finished_seq_groups. The engine's per-step bookkeeping is done here as
LLMEngine._process_model_outputs does it with --disable-async-output-proc and one scheduler step
(vllm/engine/llm_engine.py, output_processor/single_step.py, stop_checker.py): update_num_computed_tokens(chunk) for
every scheduled group, then for those whose metadata samples: append one token, finish with LENGTH_CAPPED at
max_tokens and free_seq; then free_finished_seq_groups.

What is stubbed: packages the scheduler path never calls (transformers, psutil, yaml, pydantic, packaging, the model
executor, platforms, tracing, inputs, spec-decode metrics); msgspec.Struct is a dataclass (same fields and defaults,
no serialisation); typing_extensions.TypeIs where the installed typing_extensions lacks it.

The clock: each step is priced as our simulator prices gpu-only's iteration (neo_loop_host_time.ApexSimClock, the
sequential layer layout, from the same profile tables), with vLLM's framework overhead c0 = 4 ms before it
(HostLoopCost.perIteration) and the LM head over the rows that sample (decodes and last prefill chunks; none, no
head); prefill attention by our cost model's formula (GpuOnlyClock: the table knows whole prompts only). Our runs
price with the cost model itself, the tables sample it, so steps can differ by the tables' interpolation (up to
0.2 ms on a prefill step; the mean step within 0.02 %), which in time moves an arrival across a step boundary;
--replay-durations takes our run's step times while the batches agree, so that only the schedulers can part them.
A request arriving during a step is added before the next schedule(); when nothing is left the clock jumps to the
next arrival.

Usage: python3 vllm_v0_scheduler.py --vllm /tmp/vllm063 --profile t4.json --workload-from RUN --rate 0.5 \
           --max-num-batched-tokens 864 [--block-manager v1|v2] [--apex-run RUN] [--replay-durations RUN]
           [--json OUT] [--iterations-out CSV]
"""

import argparse
import csv
import dataclasses
import json
import os
import statistics
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neo_loop_host_time as neo  # noqa: E402  (clock, tables, workload and NEO's metrics are shared)

C0_SEC = 4e-3            # HostLoopCost.perIteration(0.004): vLLM V0's framework overhead per iteration
BLOCK_SIZE = 16
LLAMA2_7B = (32, 32, 32, 128)   # layers, KV heads, heads, head dim
LOGPROB = types.SimpleNamespace(logprob=0.0)   # a Logprob: append_token_id reads only .logprob

STUBBED = ["transformers", "psutil", "yaml", "pydantic", "packaging", "packaging.version", "vllm.model_executor",
           "vllm.model_executor.layers", "vllm.model_executor.layers.quantization", "vllm.model_executor.models",
           "vllm.model_executor.layers.spec_decode_base_sampler", "vllm.platforms", "vllm.tracing",
           "vllm.transformers_utils", "vllm.transformers_utils.config", "vllm.spec_decode", "vllm.spec_decode.metrics",
           "vllm.inputs", "vllm.inputs.parse"]


def _msgspec_shim():
    m = types.ModuleType("msgspec")

    class Struct:
        def __init_subclass__(cls, **kwargs):     # array_like, omit_defaults, tag: serialisation only
            super().__init_subclass__()
            dataclasses.dataclass(cls)
    m.Struct = Struct
    m.field = lambda default=dataclasses.MISSING, default_factory=dataclasses.MISSING, name=None: \
        dataclasses.field(default=default, default_factory=default_factory)
    m.Meta = lambda **kw: repr(kw)
    m.UNSET = None
    return m


def load_vllm(root):
    """vLLM's scheduler path from root/vllm, its package __init__ (the whole engine) skipped."""
    if not os.path.isfile(os.path.join(root, "vllm", "core", "scheduler.py")):
        sys.exit(f"--vllm {root}: no vllm/core/scheduler.py under it")
    sys.modules["msgspec"] = _msgspec_shim()
    import typing_extensions as te
    if not hasattr(te, "TypeIs"):
        te.TypeIs = te.TypeGuard
    for name in STUBBED:
        mod = neo._StubModule(name)
        mod.__path__ = []
        sys.modules[name] = mod
    pkg = types.ModuleType("vllm")
    pkg.__path__ = [os.path.join(root, "vllm")]
    sys.modules["vllm"] = pkg
    from vllm.config import CacheConfig, SchedulerConfig
    import logging
    logging.getLogger("vllm").setLevel(logging.ERROR)   # its per-preemption warning; preemptions are counted
    from vllm.core.scheduler import Scheduler
    from vllm.sampling_params import SamplingParams
    from vllm.sequence import Sequence, SequenceGroup, SequenceStatus
    return types.SimpleNamespace(CacheConfig=CacheConfig, SchedulerConfig=SchedulerConfig, Scheduler=Scheduler,
                                 SamplingParams=SamplingParams, Sequence=Sequence, SequenceGroup=SequenceGroup,
                                 SequenceStatus=SequenceStatus)


def make_scheduler(v, args):
    """vLLM's configs as `vllm serve` builds them from NEO's evaluation/server.py flags."""
    kw = {}
    if args.block_manager:
        kw["use_v2_block_manager"] = args.block_manager == "v2"
    sc = v.SchedulerConfig(args.max_num_batched_tokens, min(args.max_num_batched_tokens, 512), args.max_model_len,
                           enable_chunked_prefill=True, preemption_mode="recompute", **kw)
    cc = v.CacheConfig(BLOCK_SIZE, 0.9, 4, "auto", num_gpu_blocks_override=args.gpu_blocks)
    cc.num_gpu_blocks, cc.num_cpu_blocks = args.gpu_blocks, 0
    return v.Scheduler(sc, cc, None), sc


class GpuOnlyClock(neo.ApexSimClock):
    """ApexSimClock with prefill attention as our RooflineCostModel.prefillAttention prices it (the formula, from the
    hardware spec's parameters): the profile's table is indexed by pairs of whole prompts only, and a chunk after k
    cached tokens costs what its (c, k) give (a 94-token chunk after 256 cached: 4.3 ms less than the table at its
    pairs). Our simulated runs price every subtask with the cost model itself; the tables sample it."""

    def __init__(self, tables, geometry, prefill_attention, tflops, loop):
        super().__init__(tables, geometry, loop=loop)
        self.pa = prefill_attention
        self.peak = tflops * 1e12
        self.flops_per_pair = 4 * self.heads * self.head_dim      # ModelGeometry.attentionFlopsPerPair

    def duration(self, op, g):
        if op != "PREFILL_ATTN":
            return super().duration(op, g)
        a = self.pa
        chunks, sum_c = max(1, g.pref_seqs), g.pref_tokens
        half = g.pref_pairs - sum_c / 2
        if chunks == 1:
            sum_c2 = sum_c * sum_c
            sum_ck = max(0.0, half - sum_c2 / 2)
            sum_k = sum_ck / sum_c
        elif g.pref_cached == 0:
            sum_c2, sum_ck, sum_k = 2 * half, 0.0, 0.0
        else:
            sum_c2 = min(2 * half, sum_c * sum_c / chunks)
            sum_ck = half - sum_c2 / 2
            sum_k = g.pref_cached
        prefix = (sum_ck + a["prefixHalfTokens"] * sum_k) / a["prefixEfficiency"]
        causal = (sum_c2 + (1 + a["causalHalfTokens"]) * sum_c + a["causalHalfTokens"] * chunks) / (2 * a["causalEfficiency"])
        return a["fixedUs"] * 1e-6 + self.flops_per_pair / self.peak * (prefix + causal)


def run(args, v, clock, lens, arrivals):
    sched, sc = make_scheduler(v, args)
    replay = None
    if args.replay_durations:
        with open(os.path.join(args.replay_durations, "iterations.csv"), newline="") as f:
            replay = [(int(r["prefill_tokens"]), int(r["gpu_decodes"]), float(r["end_s"]) - float(r["start_s"]))
                      for r in csv.DictReader(f)]
    n = len(lens)
    finish, groups = [None] * n, {}
    iters, nxt, t, seq_id = [], 0, 0.0, 0
    prefill_tokens = 0
    while True:
        while nxt < n and arrivals[nxt] <= t:
            p, o = lens[nxt]
            seq = v.Sequence(seq_id, {"prompt_token_ids": [1] * p, "prompt": None}, BLOCK_SIZE, eos_token_id=2)
            seq_id += 1
            sp = v.SamplingParams(max_tokens=o, ignore_eos=True)
            g = v.SequenceGroup(str(nxt), [seq], arrival_time=arrivals[nxt], sampling_params=sp)
            groups[str(nxt)] = (nxt, o)
            sched.add_seq_group(g)
            nxt += 1
        if not sched.has_unfinished_seqs():
            if nxt >= n:
                break
            t = arrivals[nxt]
            continue
        out = sched.schedule()
        metas, so = out[0], out[1]
        shape = neo.Shape()
        shape.pref_cached = 0          # cached tokens before the chunks (SubBatches.Shape.prefillCached)
        sampled = chunks = 0
        for meta, ssg in zip(metas, so.scheduled_seq_groups):
            g, chunk = ssg.seq_group, ssg.token_chunk_size
            seq = g.get_seqs()[0]
            if meta.is_prompt:
                start = seq.data.get_num_computed_tokens()
                shape.pref_tokens += chunk
                shape.pref_seqs += 1
                shape.pref_pairs += chunk * start + chunk * (chunk + 1) // 2   # PrefillChunk.attendedPairs
                shape.pref_cached += start
                prefill_tokens += chunk
                chunks += 1
            else:
                shape.gdecs += 1
                shape.gctx += seq.get_len()
            sampled += 1 if meta.do_sample else 0
        running = len(sched.running)
        if shape.width() == 0:
            sys.exit(f"empty step at t={t}: waiting {len(sched.waiting)}, running {running}")
        dur, _ = clock.seconds([shape], sampled=sampled)
        k = len(iters)
        if replay is not None and k < len(replay) and replay[k][:2] == (shape.pref_tokens, shape.gdecs):
            dur = replay[k][2]      # --replay-durations: our run's own step time while the batches agree
        iters.append({"start": t, "dur": dur, "chunks": chunks, "pref_tokens": shape.pref_tokens,
                      "gdecs": shape.gdecs, "waiting": len(sched.waiting), "free_blocks":
                      sched.block_manager.get_num_free_gpu_blocks()})
        t += dur
        # LLMEngine._process_model_outputs, synchronous, one step
        for meta, ssg in zip(metas, so.scheduled_seq_groups):
            g = ssg.seq_group
            if g.is_finished():
                continue
            g.update_num_computed_tokens(meta.token_chunk_size)
            if not meta.do_sample:
                continue
            seq = g.get_seqs()[0]
            seq.append_token_id(10, {10: LOGPROB})
            idx, o = groups[g.request_id]
            if seq.get_output_len() == o:
                seq.status = v.SequenceStatus.FINISHED_LENGTH_CAPPED
                sched.free_seq(seq)
                finish[idx] = t
        sched.free_finished_seq_groups()
    preempt = getattr(sched, "num_cumulative_preemption", float("nan"))
    return iters, finish, preempt, prefill_tokens, sc


def summary(iters, arrivals, finish, outputs, preemptions, prefill_tokens, prompt_tokens):
    busy = sum(r["dur"] for r in iters)
    span = max(finish) - arrivals[0]
    with_pref = [r for r in iters if r["chunks"] and r["gdecs"]]
    return {
        "latency_s_per_token": neo.neo_latency(arrivals, finish, outputs),
        "iterations": len(iters), "mean_iteration_ms": 1000 * busy / len(iters), "busy_s": busy, "span_s": span,
        "preemptions": preemptions, "prefill_tokens": prefill_tokens, "re_prefilled_tokens": prefill_tokens - prompt_tokens,
        "chunks_per_iteration": statistics.fmean(r["chunks"] for r in iters),
        "prefill_tokens_per_iteration": statistics.fmean(r["pref_tokens"] for r in iters),
        "decodes_per_iteration": statistics.fmean(r["gdecs"] for r in iters),
        "running_time_weighted": sum((r["gdecs"] + r["chunks"]) * r["dur"] for r in iters) / busy,
        "waiting_time_weighted": sum(r["waiting"] * r["dur"] for r in iters) / busy,
        "waiting_max": max(r["waiting"] for r in iters),
        "prefill_beside_decodes_ending_with_no_free_block": (sum(1 for r in with_pref if r["free_blocks"] == 0)
                                                             / len(with_pref)) if with_pref else float("nan"),
    }


def apex_summary(folder, prompt_tokens):
    """Our run's iterations.csv / requests.csv / summary.json on the same terms."""
    its = []
    with open(os.path.join(folder, "iterations.csv"), newline="") as f:
        for r in csv.DictReader(f):
            its.append(r)
    _, arrivals, finish, outputs = neo.apex_run(folder, 1, 1)
    busy = sum(float(r["end_s"]) - float(r["start_s"]) for r in its)
    ptok = sum(int(r["prefill_tokens"]) for r in its)
    out = {"latency_s_per_token": neo.neo_latency(arrivals, finish, outputs), "iterations": len(its),
           "mean_iteration_ms": 1000 * busy / len(its), "busy_s": busy, "span_s": max(finish) - arrivals[0],
           "prefill_tokens": ptok, "re_prefilled_tokens": ptok - prompt_tokens,
           "prefill_tokens_per_iteration": ptok / len(its),
           "decodes_per_iteration": statistics.fmean(int(r["gpu_decodes"]) for r in its)}
    for key in ("prefill_chunks", "prefills", "preemptions"):
        if key in its[0]:
            out[key + "_per_iteration" if key != "preemptions" else key] = (
                sum(int(r[key]) for r in its) / (len(its) if key != "preemptions" else 1))
    s = os.path.join(folder, "summary.json")
    if os.path.exists(s):
        with open(s) as f:
            j = json.load(f)
        for k, val in j.items():
            if "preempt" in k.lower() and not isinstance(val, (dict, list)):
                out["summary." + k] = val
    return out


def same_batches_until(iters, folder):
    """Index of the first step whose prefill tokens or decodes differ from our run's iteration of the same index (the
    step count if none does): where the two first part, by a rule or by the clock's order of arrivals."""
    with open(os.path.join(folder, "iterations.csv"), newline="") as f:
        ours = [(int(r["prefill_tokens"]), int(r["gpu_decodes"])) for r in csv.DictReader(f)]
    for i, (r, o) in enumerate(zip(iters, ours)):
        if (r["pref_tokens"], r["gdecs"]) != o:
            return i
    return min(len(iters), len(ours))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vllm", required=True, help="directory holding vLLM's vllm/ package (a V0 commit)")
    ap.add_argument("--profile", required=True, help="`apex profile --backend sim` JSON of the T4")
    ap.add_argument("--hardware", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "profiler",
                    "src", "main", "resources", "org", "apexbench", "profiler", "hardware", "t4-g4dn.4xlarge.json"),
                    help="the simulated hardware's spec JSON (its prefill-attention parameters)")
    ap.add_argument("--workload-from", help="an `apex run` folder: serve its requests' lengths")
    ap.add_argument("--trace", help="OSC trace CSV (num_prefill_tokens, num_decode_tokens)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--max-num-batched-tokens", type=int, default=864)
    ap.add_argument("--max-model-len", type=int, default=832)
    ap.add_argument("--gpu-blocks", type=int, default=54)
    ap.add_argument("--block-manager", choices=["v1", "v2"], help="default: the commit's default")
    ap.add_argument("--apex-run", help="our `apex run` folder to print beside")
    ap.add_argument("--json", help="write both summaries here")
    ap.add_argument("--replay-durations", metavar="RUN", help="while a step forms the same batch as our run's step of the "
                    "same index, take that step's duration from RUN's iterations.csv instead of the clock: the clocks' "
                    "residual cannot then move an arrival across a step, so a first difference is the schedulers'")
    ap.add_argument("--iterations-out", help="write vLLM's steps here (CSV: start, dur, chunks, prefill tokens, decodes, waiting, free blocks)")
    args = ap.parse_args()
    if not (args.workload_from or args.trace):
        sys.exit("give --workload-from RUN or --trace FILE")
    args.synthetic_output = None
    v = load_vllm(args.vllm)
    with open(args.profile) as f:
        profile = json.load(f)
    tables = {k: neo.Interp(val) for k, val in profile["tables"].items()}
    with open(args.hardware) as f:
        gpu = json.load(f)["gpu"]
    clock = GpuOnlyClock(tables, LLAMA2_7B, gpu["prefillAttention"], gpu["fp16TensorTflops"], (C0_SEC, 0, 0, 0, 0))
    lens = neo.workload(args)
    arrivals = neo.numpy_arrivals(args.rate, len(lens))
    prompt_tokens = sum(p for p, _ in lens)
    iters, finish, preempt, ptok, sc = run(args, v, clock, lens, arrivals)
    if any(x is None for x in finish):
        sys.exit("some requests never finished")
    outputs = [o for _, o in lens]
    if args.iterations_out:
        with open(args.iterations_out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(iters[0]))
            w.writeheader()
            w.writerows(iters)
    res = {"vllm": summary(iters, arrivals, finish, outputs, preempt, ptok, prompt_tokens)}
    res["vllm"]["block_manager"] = "v2" if getattr(sc, "use_v2_block_manager", True) else "v1"   # V2 only from #8704
    if args.apex_run:
        res["apex"] = apex_summary(args.apex_run, prompt_tokens)
        res["vllm"]["same_batches_until"] = same_batches_until(iters, args.apex_run)
    keys = sorted(set().union(*[set(r) for r in res.values()]))
    print(f"rate {args.rate} req/s, budget {args.max_num_batched_tokens}, {len(lens)} requests, prompts "
          f"{prompt_tokens} tokens")
    print("  metric | " + " | ".join(res))
    for k in keys:
        print(f"  {k} | " + " | ".join(f"{r.get(k, ''):.6g}" if isinstance(r.get(k), float) else str(r.get(k, ""))
                                      for r in res.values()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
