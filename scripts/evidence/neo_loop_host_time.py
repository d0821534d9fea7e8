#!/usr/bin/env python3
"""Host time of NEO/SwiftLLM's serving loop, measured by running NEO's own control plane on the CPU; and NEO's real
scheduler and block manager set beside our simulated NEO on the same cost tables (its batches and NEO's metrics).

What it needs
  * A checkout of NEO (NEO-MLSys25/NEO; the docs cite commit b55aaab3), given as --neo DIR. Nothing of NEO is
    copied here: its modules are imported from DIR.
  * Python >= 3.10 with PyTorch (CPU build; Debian's python3-torch 1.13.1 was used) and numpy.
  * A profile of the simulated machine, given as --profile FILE: NEO's scheduler needs its performance tables
    (linr/pref/gdec/cdec, ms per layer), which NEO profiles on the GPU at start-up; here they are filled from the
    tables our simulated NEO predicts from. T4 (--config t4): `./apex profile --backend sim --hardware
    t4-g4dn.4xlarge --model llama-2-7b --gpu-kv-blocks 52 --host-kv-blocks 2560 --max-tokens 832 --max-running 512
    --out FILE`; A10G (--config a10g): `--hardware a10g-g5.16xlarge (or another g5) --model llama-3.1-8b
    --gpu-kv-blocks 1650 --host-kv-blocks 61440 --max-tokens 20480 --max-running 1024`.
  * T4: the OSC lengths (workloads' traces/neo_osc_llama2.csv, NEO's evaluation/data/osc-Llama-2-7b-hf.json) as
    --trace; A10G: --synthetic-output N (NEO's mock test: 1000-token prompts, N output tokens, +-10 %).
  * NEO's settings are read from its evaluation/configs/config-t4-7b.json or config-a10-8b.json and applied as its
    evaluation/server.py does ("ours", or "base" with --always-use-gpu).

What runs for real (NEO's code, unmodified): swiftllm.server.engine.AsyncEngine._main_event_loop (the asyncio loop,
the hand-off of each iteration to a worker thread by run_in_executor), add_request_and_wait (the request's path into
the scheduler and its wait), Scheduler (get_next_batch: _get_next_batch_new, or _get_next_batch_old with
--always-use-gpu; TablePerfPredictor interpolation; remove_finished_requests), BlockManager (prepare,
update_and_free, both DeviceBlockManagers), SingleProcExecutor.do_one_iteration, LlamaModel.do_one_iteration (the
block-table writes through Swapper.set_block_tables, the swap-issue loop over the layers), LlamaModel._forward_batches
and _prepare_inputs, ModelForwardBuffers.alloc_for_batches, LlamaPreLayer.forward (the token list and its tensor),
Request.update_output, logging (to a file, as NEO's server.py redirects it).

What is stubbed, exactly:
  * C++/CUDA extensions and GPU-only packages are replaced by empty modules: swiftllm_c (embedding,
    swap_blocks and the fused kernels: calls return immediately), vllm_flash_attn_2_cuda, triton (its jit
    decorators return the function; no Triton kernel is called on the measured path), ray (decorators only; the
    tokenization engine actor is never started: NEO's client sends token ids, which add_request_and_wait hands
    straight to the scheduler), and the packages the measured path never calls (transformers, safetensors, tqdm,
    matplotlib).
  * Tensors NEO puts on 'cuda' are made on --device (default 'meta': shapes only, no data work and no kernel
    launch; 'cpu' does the elementwise work on the CPU instead). The redirection is a wrapper around torch.tensor /
    zeros / empty / arange in the four modules that name 'cuda' (model, buffer, block_swapper, pre_layer).
  * PyTorch 1.13 refuses int32 index tensors (NEO's block manager indexes with them; PyTorch 2.x accepts them): a
    shim on torch.Tensor.__getitem__/__setitem__ converts an int32 index tensor to int64. Its cost is measured and
    reported (shim.*).
  * The GPU work is a stand-in: the 32 transformer layers (LlamaModel._forward_sequential / _forward_pipeline) return
    their input, the post layer returns one token (id 10) per request of the batch, ModelEvents are not recorded
    (NEO records them only with monitor_performance on). The stand-in takes no real time; it advances a virtual
    clock, and requests arrive on that clock at NEO's arrival times (numpy.random.seed(0); gaps
    numpy.random.exponential(1 / rate, n); the first at t = 0; --rates 0: all at t = 0, NEO's throughput test), so
    the batches NEO's scheduler forms follow the load. When nothing can run, NEO's loop sleeps 1 ms and the virtual
    clock jumps to the next arrival. The clock (--clock):
      - sim (default): the iteration as our simulator prices NEO's (ApexSimClock below: engines/core's
        SimulatedExecutor with LayerLayout's node graph and NEO's single-thread runtime, from the same profile
        tables): our HostLoopCost.SWIFTLLM serving-loop time first, whole-request swaps on the PCIe lanes (from the
        block ids NEO's BlockManager.prepare returns), the embedding, then the layers list-scheduled on five lanes
        (GPU, the two copy directions, CPU attention, the launching thread; launches 0.3 ms per stage; q/k/v and
        output copies; host-bound prefill KV streamed out per layer), then the LM head. A pipelined layer thus lasts
        about the longer of the GPU's linr(A) + pref(B) + gdec(B) and the CPU's launches + cdec(B), both stages.
        With it the only difference left between this run and our simulated NEO is the scheduler and block manager.
      - neo-predictor: NEO's own predictor (layers x (linr + pref + gdec) of each sub-batch, plus the embedding and
        LM head of the profile): the ninth pass's runs.
  * Two lines of NEO's start-up that need the GPU or PyTorch >= 2.1 are done here with their arithmetic: the block
    counts of ModelProfiler.profile_num_blocks (with NEO's block override) and the KV slot size.

What it measures, per iteration (time.thread_time of the thread doing the work, robust to other load on the
machine, and time.perf_counter wall): sched (Scheduler.get_next_batch), bm.prepare (BlockManager.prepare),
bt.write (Swapper.set_block_tables in the worker), swap.issue (the swap loop of do_one_iteration, C++ call stubbed),
prep.inputs (LlamaModel._prepare_inputs incl. the buffers), prep.tokens (Request.get_input_tokens + LlamaPreLayer
.forward's tensor), out.update (BlockManager.update_and_free: tokens appended, asyncio queues, finished blocks
freed), out.remove (Scheduler.remove_finished_requests), handoff (wall of the run_in_executor await minus the
worker's wall), loop.rest (main-thread CPU of the whole cycle minus the parts above: asyncio turn, the engine's log
line, the waiting request coroutines), cycle (wall and main+worker CPU from one get_next_batch to the next: with the
GPU stand-in taking no time this is the host time between the GPU's iterations, launches of the layers excluded).
Distributions are reported per strategy: 'gpu-only' iterations (one sub-batch) and 'pipelined' (two). Also: the
'cuda' tensor calls per iteration (each a host-to-device copy, allocation or launch on a GPU, not timed here), the
run_in_executor round trip of a no-op, the int32 shim's cost, and a pure-Python yardstick (fib(23)) for rescaling.

Batches and metrics: per rate, over the whole run and over the [30 %, 70 %] completion window of NEO's throughput
metric, the iterations, the pipelined ones and their share of time, prefills / GPU decodes / CPU decodes per
iteration, host-pool occupancy (time-weighted, after BlockManager.prepare), swapped blocks, and NEO's two metrics
(get_lat_avg: mean (finish - arrival) / output tokens after the first 25 % of requests; get_tp: 1 / mean gap of
sorted completion times in the window), each request finishing when the iteration that completes it ends.
--apex-runs DIR... (one `apex run` folder per rate) prints our simulated run's iterations.csv and requests.csv
beside it on the same terms; --workload-from DIR takes the request lengths from such a folder so that both serve the
same requests (our synthetic draw is not NEO's). --no-host-times leaves out the per-part host-time tables.

Usage: python3 neo_loop_host_time.py --neo /tmp/neo --profile t4.json --trace neo_osc_llama2.csv --rates 0.5 3.1
       [--requests 2000] [--device meta|cpu] [--always-use-gpu] [--json OUT.json]
       python3 neo_loop_host_time.py --neo /tmp/neo --config a10g --profile g5.json --synthetic-output 300 --rates 0
       python3 neo_loop_host_time.py --neo /tmp/neo --config a10g --profile g5.16.json --workload-from RUN --rates 0 \
           --apex-runs RUN --no-host-times        (RUN: `apex run ... --engine static-hybrid:neo --out RUN`)
"""

import argparse
import asyncio
import bisect
import csv
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import types

# ---------------------------------------------------------------------------------------------------- stubs

class _Anything:
    """Stands for any attribute of a stubbed module: callable (returns its only callable argument, so it works as a
    decorator, else a new _Anything) and subscriptable; never called on the measured path except swiftllm_c's."""
    def __getattr__(self, name):
        return _Anything()

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return _Anything()

    def __getitem__(self, item):
        return _Anything()

    def __mro_entries__(self, bases):
        return (object,)


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


STUBBED = ["swiftllm_c", "vllm_flash_attn_2_cuda", "triton", "triton.language", "triton.compiler",
           "triton.compiler.compiler", "ray", "transformers", "safetensors", "tqdm", "matplotlib",
           "matplotlib.pyplot"]


def install_stubs():
    for name in STUBBED:
        mod = _StubModule(name)
        mod.__path__ = []
        sys.modules[name] = mod
    # swiftllm_c's calls on the measured path: embedding (pre layer), swap_blocks (swapper). Both return at once.
    sys.modules["swiftllm_c"].embedding = lambda *a, **k: None
    sys.modules["swiftllm_c"].swap_blocks = lambda *a, **k: None


# ---------------------------------------------------------------------------------------------------- torch shims

SHIM_CALLS = [0]


def install_int32_index_shim(torch):
    """PyTorch 1.13 refuses int32 index tensors, which NEO (written for PyTorch 2.x) uses in its block manager."""
    orig_get, orig_set = torch.Tensor.__getitem__, torch.Tensor.__setitem__
    T, i32 = torch.Tensor, torch.int32

    def get(self, idx):
        SHIM_CALLS[0] += 1
        if type(idx) is T and idx.dtype is i32:
            idx = idx.long()
        return orig_get(self, idx)

    def set_(self, idx, val):
        SHIM_CALLS[0] += 1
        if type(idx) is T and idx.dtype is i32:
            idx = idx.long()
        return orig_set(self, idx, val)

    torch.Tensor.__getitem__ = get
    torch.Tensor.__setitem__ = set_
    return orig_get, orig_set


DEVICE_CALLS = {}


def device_proxy(torch, device):
    """A stand-in for the name `torch` in NEO's modules that put tensors on 'cuda': factory calls go to `device`.
    Counts them (torch.tensor from a list is a host-to-device copy on a GPU; zeros/arange/empty a launch or an
    allocation)."""
    proxy = types.ModuleType("torch_device_proxy")

    def redirect(fn):
        name = fn.__name__
        def call(*args, **kwargs):
            if kwargs.get("device") == "cuda":
                kwargs["device"] = device
                DEVICE_CALLS[name] = DEVICE_CALLS.get(name, 0) + 1
            return fn(*args, **kwargs)
        return call

    for name in ("tensor", "zeros", "empty", "arange", "ones"):
        setattr(proxy, name, redirect(getattr(torch, name)))
    proxy.__getattr__ = lambda name: getattr(torch, name)   # module-level __getattr__ (PEP 562)
    return proxy


# ---------------------------------------------------------------------------------------------------- profile tables

class Interp:
    """Linear interpolation (and extrapolation from the end segments) over our profile's tables."""
    def __init__(self, table):
        self.x = table["x"]
        self.y = table.get("y")
        self.s = table["seconds"]

    @staticmethod
    def _1d(xs, ys, x):
        if len(xs) == 1:
            return ys[0]
        i = min(max(bisect.bisect_left(xs, x), 1), len(xs) - 1)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def at(self, x, y=None):
        if self.y is None:
            return self._1d(self.x, self.s, x)
        col = [self._1d(self.y, row, y) for row in self.s]
        return self._1d(self.x, col, x)


def fill_predictor(pp, profile, max_seq_len):
    """NEO's TablePerfPredictor grids, filled from our profile (ms per layer), as NEO's profiler fills them."""
    t = {k: Interp(v) for k, v in profile["tables"].items()}
    ms = 1000.0
    pp.linr_T_list = [(t["pre"].at(s) + t["post"].at(s)) * ms for s in pp.linr_S_list]
    pp.pref_T_list = [t["prefillAttn"].at(s * (s + 1) / 2) * ms for s in pp.pref_S_list]
    pp.gdec_T_list = [t["gpuDecodeAttn"].at(math.ceil(n / max_seq_len), n) * ms for n in pp.gdec_N_list]
    pp.cdec_T_lists = [[t["cpuDecodeAttn"].at(s, n) * ms for n in pp.cdec_N_list_agg] for s in pp.cdec_S_list]
    return t


# ---------------------------------------------------------------------------------------------------- our simulator's clock

class Shape:
    """The sums one sub-batch's subtasks are shaped by (our SubBatches.Shape), from a NEO SubBatch's request lists."""
    def __init__(self, b=None):
        self.pref_tokens = self.pref_seqs = self.pref_pairs = self.host_pref_tokens = 0
        self.gdecs = self.gctx = self.cdecs = self.cctx = 0
        if b is None:
            return
        for r in b.gprf_reqs + b.cprf_reqs:          # NEO prefills whole prompts: no cached tokens before them
            self.pref_tokens += r.prompt_len
            self.pref_seqs += 1
            self.pref_pairs += r.prompt_len * (r.prompt_len + 1) // 2
        self.host_pref_tokens = sum(r.prompt_len for r in b.cprf_reqs)   # KV staged, then streamed to the host
        self.gdecs, self.gctx = len(b.gdec_reqs), sum(r.seq_len for r in b.gdec_reqs)
        self.cdecs, self.cctx = len(b.cdec_reqs), sum(r.seq_len for r in b.cdec_reqs)

    def width(self):
        return self.pref_tokens + self.gdecs + self.cdecs


# Our LayerLayout (engines/core .../plan/LayerLayout.java), node for node: (op, sub-batch, layer offset, presence,
# [(node, delta)]); delta 0 = the same step, -1 = the previous step. A dependency on an absent node is ignored.
SEQUENTIAL_NODES = [
    ("PRE", 0, 0, "ALWAYS", [(7, -1)]),
    ("QKV_D2H", 0, 0, "CPU_ROWS", [(0, 0)]),
    ("CPU_DECODE_ATTN", 0, 0, "CPU_ROWS", [(1, 0)]),
    ("ATTN_OUT_H2D", 0, 0, "CPU_ROWS", [(2, 0)]),
    ("PREFILL_ATTN", 0, 0, "PREFILLS", [(0, 0)]),
    ("GPU_DECODE_ATTN", 0, 0, "GPU_DECODES", [(0, 0)]),
    ("SWAP_OUT", 0, 0, "HOST_PREFILL", [(0, 0)]),
    ("POST", 0, 0, "ALWAYS", [(0, 0), (4, 0), (5, 0), (3, 0)]),
]
PIPELINED_NODES = [
    ("LAUNCH", 0, 0, "SINGLE_THREAD", [(13, -1)]),
    ("QKV_D2H", 1, -1, "CPU_ROWS", [(10, -1)]),
    ("POST", 0, -1, "ROWS", [(3, -1), (11, -1), (12, -1), (14, -1), (0, 0)]),
    ("PRE", 0, 0, "ROWS", [(2, 0), (0, 0)]),
    ("SWAP_OUT", 0, 0, "HOST_PREFILL", [(3, 0)]),
    ("QKV_D2H", 0, 0, "CPU_ROWS", [(3, 0)]),
    ("CPU_DECODE_ATTN", 1, -1, "CPU_ROWS", [(1, 0), (0, 0)]),
    ("ATTN_OUT_H2D", 1, -1, "CPU_ROWS", [(6, 0)]),
    ("LAUNCH", 1, 0, "SINGLE_THREAD", [(6, 0), (0, 0)]),
    ("POST", 1, -1, "ROWS", [(10, -1), (7, 0), (8, 0)]),
    ("PRE", 1, 0, "ROWS", [(9, 0), (8, 0)]),
    ("PREFILL_ATTN", 0, 0, "PREFILLS", [(3, 0), (8, 0)]),
    ("GPU_DECODE_ATTN", 0, 0, "GPU_DECODES", [(3, 0), (8, 0)]),
    ("CPU_DECODE_ATTN", 0, 0, "CPU_ROWS", [(5, 0), (8, 0)]),
    ("ATTN_OUT_H2D", 0, 0, "CPU_ROWS", [(13, 0)]),
]
RESOURCE = {"PRE": "gpu", "POST": "gpu", "PREFILL_ATTN": "gpu", "GPU_DECODE_ATTN": "gpu", "QKV_D2H": "d2h",
            "SWAP_OUT": "d2h", "ATTN_OUT_H2D": "h2d", "CPU_DECODE_ATTN": "cpu", "LAUNCH": "launch"}
# Our HostLoopCost.SWIFTLLM (engines/core HostLoopCost.java), seconds: per iteration, + pipelined, per prefill, per GPU
# decode, per CPU decode.
SWIFTLLM_LOOP = (0.40e-3, 0.28e-3, 0.24e-3, 4e-6, 10e-6)


class ApexSimClock:
    """Prices an iteration as our simulator prices NEO's (SimulatedExecutor.execute with NEO's single-thread runtime):
    the serving loop's host time (HostLoopCost.SWIFTLLM) first, whole-request swaps on the PCIe lanes, the embedding,
    then L steps (sequential) or L + 1 (pipelined) of the layout's nodes list-scheduled on five lanes (GPU, the two
    copy directions, CPU attention, the launching thread), each subtask its profile table's time (launch: the runtime's
    0.3 ms per stage), then the LM head over the sampled rows. No jitter (our runs use none). The sub-batches are NEO's
    own: batches[0] holds the prefills and GPU decodes (our sub-batch 0), batches[1] only CPU decodes."""

    def __init__(self, tables, geometry, launch_sec=0.3e-3, loop=SWIFTLLM_LOOP):
        self.t = tables
        self.layers, self.kv_heads, self.heads, self.head_dim = geometry
        self.launch = launch_sec
        self.loop = loop
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        self.qkv_bytes, self.out_bytes, self.kv_layer_bytes = (q + 2 * kv) * 2, q * 2, 2 * kv * 2
        self.block_bytes = 16 * self.layers * self.kv_layer_bytes

    def copy(self, table, nbytes, transfers=1):
        # TableCostModel: a copy in n transfers costs n times the table at bytes / n
        return transfers * self.t[table].at(nbytes / transfers)

    def duration(self, op, g):
        t = self.t
        if op in ("PRE", "POST"):
            return t["pre" if op == "PRE" else "post"].at(g.width())
        if op == "PREFILL_ATTN":
            return t["prefillAttn"].at(g.pref_pairs)
        if op == "GPU_DECODE_ATTN":
            return t["gpuDecodeAttn"].at(g.gdecs, g.gctx)
        if op == "CPU_DECODE_ATTN":
            return t["cpuDecodeAttn"].at(g.cdecs, g.cctx)
        if op == "QKV_D2H":
            return self.copy("d2h", g.cdecs * self.qkv_bytes)
        if op == "ATTN_OUT_H2D":
            return self.copy("h2d", g.cdecs * self.out_bytes)
        if op == "SWAP_OUT":
            return self.copy("d2h", g.host_pref_tokens * self.kv_layer_bytes)
        if op == "LAUNCH":
            return self.launch
        raise ValueError(op)

    @staticmethod
    def present(presence, g):
        return {"ALWAYS": True, "ROWS": g.width() > 0, "CPU_ROWS": g.cdecs > 0, "PREFILLS": g.pref_seqs > 0,
                "GPU_DECODES": g.gdecs > 0, "HOST_PREFILL": g.host_pref_tokens > 0, "SINGLE_THREAD": True}[presence]

    def seconds(self, shapes, swap_in_blocks=0, swap_out_blocks=0, swap_runs=1, sampled=None):
        """Seconds of one iteration over `shapes` (one Shape: sequential; two: pipelined), and the loop's part. sampled:
        the rows the LM head samples (default: every prefill and decode; a chunked prefill samples only its last chunk)."""
        pipelined = len(shapes) == 2
        g0 = shapes[0]
        g1 = shapes[1] if pipelined else Shape()
        a = self.loop
        loop = a[0] + (a[1] if pipelined else 0) + a[2] * (g0.pref_seqs + g1.pref_seqs) \
            + a[3] * (g0.gdecs + g1.gdecs) + a[4] * (g0.cdecs + g1.cdecs)
        free = {r: loop for r in ("gpu", "h2d", "d2h", "cpu", "launch")}
        transfers = max(1, swap_runs) * self.layers * 2
        if swap_out_blocks:
            free["d2h"] += self.copy("d2h", swap_out_blocks * self.block_bytes, transfers)
        if swap_in_blocks:
            free["h2d"] += self.copy("h2d", swap_in_blocks * self.block_bytes, transfers)
        width = g0.width() + g1.width()
        free["gpu"] = max(free["gpu"], free["h2d"], free["d2h"]) + self.t["embed"].at(width)
        nodes = PIPELINED_NODES if pipelined else SEQUENTIAL_NODES
        here = [self.present(p, (g0, g1)[sb]) for (_, sb, _, p, _) in nodes]
        dur = [self.duration(op, (g0, g1)[sb]) if here[j] else 0.0 for j, (op, sb, _, _, _) in enumerate(nodes)]
        n = len(nodes)
        end_prev, pres_prev = [0.0] * n, [False] * n
        for k in range(self.layers + (1 if pipelined else 0)):
            end_cur, pres_cur = [0.0] * n, [False] * n
            for j, (op, sb, off, _, deps) in enumerate(nodes):
                layer = k + off
                if not here[j] or layer < 0 or layer >= self.layers:
                    continue
                r = RESOURCE[op]
                ready = free[r]
                for on, delta in deps:
                    if not here[on]:
                        continue
                    if delta == 0:
                        if pres_cur[on]:
                            ready = max(ready, end_cur[on])
                    elif k > 0 and pres_prev[on]:
                        ready = max(ready, end_prev[on])
                free[r] = end_cur[j] = ready + dur[j]
                pres_cur[j] = True
            end_prev, pres_prev = end_cur, pres_cur
        if sampled is None:
            sampled = g0.pref_seqs + g1.pref_seqs + g0.gdecs + g1.gdecs + g0.cdecs + g1.cdecs
        free["gpu"] += self.t["lmHead"].at(sampled) if sampled else 0.0   # the cost model: no rows, no head
        return max(free.values()), loop


# ---------------------------------------------------------------------------------------------------- the run

PARTS_MAIN = ("sched", "bm.prepare", "out.update", "out.remove")
PARTS_WORKER = ("bt.write", "prep.inputs", "prep.tokens")


class Recorder:
    def __init__(self):
        self.rows = []
        self.cur = None

    def add(self, part, cpu, wall):
        c = self.cur
        c[part + ".cpu"] = c.get(part + ".cpu", 0.0) + cpu
        c[part + ".wall"] = c.get(part + ".wall", 0.0) + wall


def timed(rec, part, fn):
    tt, pc = time.thread_time, time.perf_counter

    def call(*args, **kwargs):
        c0, w0 = tt(), pc()
        try:
            return fn(*args, **kwargs)
        finally:
            rec.add(part, tt() - c0, pc() - w0)
    return call


def workload(args):
    """(prompt, output) lengths: the OSC trace (T4), or NEO's prepare_mock_test (A10G: lengths uniform in
    avg +- int(avg * 0.1), Python's random; seeded here with 0, NEO's client does not seed it)."""
    if args.workload_from:
        with open(os.path.join(args.workload_from, "requests.csv"), newline="") as f:
            return [(int(r["prompt_tokens"]), int(r["target_output_tokens"])) for r in csv.DictReader(f)][:args.requests]
    if args.synthetic_output:
        import random
        random.seed(0)
        n = args.requests
        def rand_array(avg):
            delta = int(avg * 0.1)
            return [avg + random.randint(-delta, delta) for _ in range(n)]
        return list(zip(rand_array(1000), rand_array(args.synthetic_output)))
    lens = []
    with open(args.trace, newline="") as f:
        for row in csv.DictReader(f):
            lens.append((int(row["num_prefill_tokens"]), int(row["num_decode_tokens"])))
    return lens[:args.requests]


def numpy_arrivals(rate, n):
    import numpy as np
    np.random.seed(0)
    gaps = np.random.exponential(1 / rate, n).tolist()
    t, out = 0.0, []
    for i in range(n):
        out.append(t)
        t += gaps[i]
    return out


def run_one(args, rate, mods, profile_tables):
    torch = mods["torch"]
    EngineConfig, LlamaModelConfig = mods["EngineConfig"], mods["LlamaModelConfig"]
    AsyncEngine, Scheduler, BlockManager = mods["AsyncEngine"], mods["Scheduler"], mods["BlockManager"]
    SingleProcExecutor, LlamaModel = mods["SingleProcExecutor"], mods["LlamaModel"]
    ModelForwardBuffers, Swapper, LlamaPreLayer = mods["ModelForwardBuffers"], mods["Swapper"], mods["LlamaPreLayer"]
    TablePerfPredictor, RawRequest, Request = mods["TablePerfPredictor"], mods["RawRequest"], mods["Request"]

    nl = 32
    # NEO's evaluation/server.py with NEO's evaluation/configs/<config>.json: "ours" runs num_gpu_blocks_override *
    # L // (L + 1) GPU blocks, the config's swap space and --extra-layer-for-cprf; "base" (--always-use-gpu) the
    # override and swap // 8 GB. --swap-gb replaces the swap of "ours" (the A10G's smaller instances).
    cfg = mods["neo_config"]
    base = args.always_use_gpu
    swap = cfg["swap_space"] // 8 if base else (args.swap_gb if args.swap_gb is not None else cfg["swap_space"])
    ec = EngineConfig(
        model_path=mods["model_dir"], use_dummy=True, block_size=cfg["block_size"], gpu_mem_utilization=0.99,
        num_gpu_blocks_override=cfg["num_gpu_blocks_override"] if base else cfg["num_gpu_blocks_override"] * nl // (nl + 1),
        swap_space=swap, max_seqs_in_block_table=cfg["max_num_seqs"],
        max_blocks_per_seq=(cfg["max_num_batched_tokens"] - 1) // cfg["block_size"] + 1,
        max_batch_size=cfg["max_num_seqs"], max_tokens_in_batch=cfg["max_num_batched_tokens"], library_path=None,
        profile_result_path=tempfile.gettempdir(), extra_layer_for_cprf=not base, always_use_gpu=base,
        tensor_parallel_degree=1)

    engine = AsyncEngine(ec)
    mc = engine.model_config
    mc.rank, mc.world_size = 0, 1
    # ModelProfiler.profile_num_blocks with the override (its arithmetic; the profiler itself needs the GPU)
    # (LlamaModelConfig.get_kvslot_size needs torch.dtype.itemsize, PyTorch >= 2.1: the same product, fp16)
    cpu_block_bytes = ec.block_size * 2 * mc.num_layers * mc.num_kv_heads * mc.head_dim * 2
    ec.num_cpu_blocks = ec.swap_space * (1 << 30) // cpu_block_bytes
    ec.num_gpu_blocks = ec.num_gpu_blocks_override

    pp = TablePerfPredictor(ec)
    tables = fill_predictor(pp, profile_tables, ec.max_seq_len)

    # The model: LlamaModel with its host-side members; no weights, no layers (the GPU work is the stand-in).
    model = LlamaModel.__new__(LlamaModel)
    model.engine_config, model.model_config = ec, mc
    model.cpu_communication_stream = None
    model.buffer = ModelForwardBuffers(ec, mc)
    model.pre_layer = LlamaPreLayer(mc, types.SimpleNamespace(wte=None))
    model.transformer_layers = []
    model.cos_cached = model.sin_cached = None
    model._init_to_get_rotary()
    model.perf_results = []
    model.events = types.SimpleNamespace(pf_record=lambda name: None)
    sw = Swapper.__new__(Swapper)
    sw.engine_config, sw.model_config = ec, mc
    sw.gpu_block_table = torch.zeros((ec.max_seqs_in_block_table, ec.max_blocks_per_seq), dtype=torch.int32,
                                     device=args.device)
    sw.cpu_block_table = torch.zeros((ec.max_seqs_in_block_table, ec.max_blocks_per_seq), dtype=torch.int32)
    sw.k_cache = sw.v_cache = sw.k_swap = sw.v_swap = None
    model.swapper = sw

    class StandInPost:
        def forward(self, batches, embeddings, residual):
            return [10] * sum(b.batch_size for b in batches)
    model.post_layer = StandInPost()
    model._forward_sequential = lambda batch, embeddings: embeddings
    model._forward_pipeline = lambda batches, embeddings: embeddings

    executor = SingleProcExecutor.__new__(SingleProcExecutor)
    executor.engine_config, executor.model_config, executor.model = ec, mc, model

    engine.executor = executor
    engine.block_manager = BlockManager(ec, mc)
    engine.scheduler = Scheduler(ec, mc, pp)
    engine.initialized = True

    # ---- instrumentation
    rec = Recorder()
    sched, bm = engine.scheduler, engine.block_manager
    clock = {"now": 0.0, "pending": 0.0}
    lens = workload(args)
    # rate > 0: NEO's Poisson client; rate <= 0: NEO's throughput test (every request sent at t = 0)
    arrivals = numpy_arrivals(rate, len(lens)) if rate > 0 else [0.0] * len(lens)
    state = {"next": 0, "done": 0, "cycle_start": None, "waiters": []}
    loop_holder = {}
    embed_head = tables["embed"], tables["lmHead"]
    sim_clock = ApexSimClock(tables, (nl, mc.num_kv_heads, mc.num_q_heads, mc.head_dim)) if args.clock == "sim" else None
    index_of = {}            # id(prompt token list) -> request index (NEO's Request keeps the RawRequest's list)
    finish = [None] * len(lens)

    def iteration_seconds(batches):
        # NEO's predictor (ms per layer) over each sub-batch's requests, as BatchPerfData sums it: linr(width) + the
        # prefills' pref + gdec(GPU decode tokens); sequential L x that, pipelined L x the sum over the two sub-batches
        # (NEO's own rate comparison); + our embedding and LM head. Priced here rather than read from perfdata:
        # _get_next_batch_old builds its prefill batches with the zero predictor. Only shapes the virtual clock (the
        # load), never the host times measured.
        gpu, width, rows = 0.0, 0, 0
        for b in batches:
            prefs = b.gprf_reqs + b.cprf_reqs
            decs = len(b.gdec_reqs) + len(b.cdec_reqs)
            s = sum(r.prompt_len for r in prefs) + decs
            gpu += pp.get_linr_T(s) + sum(pp.get_pref_T(r.prompt_len) for r in prefs) \
                + pp.get_gdec_T(sum(r.seq_len for r in b.gdec_reqs))
            width += s
            rows += len(prefs) + decs
        return gpu * nl / 1000.0 + embed_head[0].at(width) + embed_head[1].at(rows)

    def arrive_until(t):
        """Requests whose arrival time is <= t enter through NEO's add_request_and_wait (a task on the loop)."""
        loop = loop_holder["loop"]
        while state["next"] < len(lens) and arrivals[state["next"]] <= t:
            p, o = lens[state["next"]]
            raw = RawRequest([10] * p, o)
            index_of[id(raw.prompt)] = state["next"]
            state["waiters"].append(loop.create_task(engine.add_request_and_wait(raw)))
            state["next"] += 1

    real_get_next_batch = sched.get_next_batch
    tt, pc = time.thread_time, time.perf_counter

    def get_next_batch():
        c0, w0 = tt(), pc()
        if state["cycle_start"] is not None and rec.cur is not None and rec.cur.get("ran"):
            cs_c, cs_w = state["cycle_start"]
            rec.cur["cycle.main.cpu"] = c0 - cs_c
            rec.cur["cycle.wall"] = w0 - cs_w
            rec.rows.append(rec.cur)
        rec.cur = {"ran": False}
        state["cycle_start"] = (c0, w0)
        c1, w1 = tt(), pc()
        out = real_get_next_batch()
        rec.add("sched", tt() - c1, pc() - w1)
        batches, so, si = out
        if batches or so or si:
            rec.cur["ran"] = True
            rec.cur["strategy"] = "pipelined" if len(batches) == 2 else "gpu-only"
            rec.cur["t"] = clock["now"]
            rec.cur["rows"] = sum(b.perfdata.x for b in batches)
            rec.cur["width"] = sum(b.perfdata.s for b in batches)
            rec.cur["cdecs"] = sum(len(b.cdec_reqs) for b in batches)
            rec.cur["prefs"] = sum(b.get_num_prefs() for b in batches)
            rec.cur["swaps"] = len(so) + len(si)
            rec.cur["swap_out_reqs"], rec.cur["swap_in_reqs"] = len(so), len(si)
            rec.cur["gdecs"] = sum(len(b.gdec_reqs) for b in batches)
            rec.cur["shapes"] = [Shape(b) for b in batches]   # before prepare, which folds the lists away
            if sim_clock is None:
                clock["pending"] = iteration_seconds(batches)
                rec.cur["gpu_ms"] = clock["pending"] * 1000.0
        else:
            # idle: NEO sleeps 1 ms; the next request arrives meanwhile (virtual clock jumps to it)
            state["cycle_start"] = None
            if state["next"] < len(lens):
                clock["now"] = max(clock["now"], arrivals[state["next"]])
                arrive_until(clock["now"])
        return out

    sched.get_next_batch = get_next_batch
    real_prepare = timed(rec, "bm.prepare", bm.prepare)

    def prepare(*a):
        out = real_prepare(*a)
        src = [int(x) for x in out[1][0]]   # the conventional swap's source block ids (swap out: GPU, swap in: CPU)
        runs = sum(1 for i, x in enumerate(src) if i == 0 or x != src[i - 1] + 1)
        c = rec.cur
        c["swap_blocks"], c["swap_runs"], c["swap_is_out"] = len(src), runs, bool(out[2])
        cpu, gpu = bm.cpu_block_manager, bm.gpu_block_manager
        c["host_blocks"] = int(cpu.num_blocks - cpu.num_free_blocks[0])   # split 1 of each pool: the staging layer
        c["gpu_blocks"] = int(gpu.num_blocks - gpu.num_free_blocks[0])
        return out
    bm.prepare = prepare
    bm.update_and_free = timed(rec, "out.update", bm.update_and_free)
    real_remove = sched.remove_finished_requests

    def remove_finished(reqs):
        c0, w0 = tt(), pc()
        real_remove(reqs)
        rec.add("out.remove", tt() - c0, pc() - w0)
        for r in reqs:
            finish[index_of[id(r.prompt_token_ids)]] = clock["now"]
        state["done"] += len(reqs)
        if state["done"] >= len(lens):
            raise _Finished()
    sched.remove_finished_requests = remove_finished

    sw.set_block_tables = timed(rec, "bt.write", sw.set_block_tables)
    model._prepare_inputs = timed(rec, "prep.inputs", model._prepare_inputs)
    real_pre = model.pre_layer.forward
    model.pre_layer.forward = timed(rec, "prep.tokens", real_pre)
    real_git = Request.get_input_tokens
    Request.get_input_tokens = staticmethod(timed(rec, "prep.tokens", real_git))

    real_do = executor.do_one_iteration

    def do_one_iteration(*a):
        c0, w0 = tt(), pc()
        r = real_do(*a)
        rec.add("worker", tt() - c0, pc() - w0)
        c = rec.cur
        if sim_clock is not None:
            blocks = c.get("swap_blocks", 0)
            out_ = c.get("swap_is_out", False)
            clock["pending"], c["loop_ms"] = sim_clock.seconds(c["shapes"], 0 if out_ else blocks, blocks if out_ else 0,
                                                              c.get("swap_runs", 1))
            c["gpu_ms"] = clock["pending"] * 1000.0
            c["loop_ms"] *= 1000.0
        s_ = c.pop("shapes")
        c["prefs"], c["pref_tokens"] = sum(g.pref_seqs for g in s_), sum(g.pref_tokens for g in s_)
        c["host_pref_tokens"] = sum(g.host_pref_tokens for g in s_)
        c["dur_s"] = clock["pending"]
        clock["now"] += clock["pending"]
        loop_holder["loop"].call_soon_threadsafe(arrive_until, clock["now"])
        return r
    executor.do_one_iteration = do_one_iteration

    real_run = engine._run_on_model_executor_async

    async def run_on_executor(func, *a, **k):
        w0 = pc()
        r = await real_run(func, *a, **k)
        rec.add("await", 0.0, pc() - w0)
        return r
    engine._run_on_model_executor_async = run_on_executor

    async def main():
        loop_holder["loop"] = asyncio.get_running_loop()
        engine.event_loop = loop_holder["loop"]
        arrive_until(0.0)
        await asyncio.sleep(0)
        try:
            await engine._main_event_loop()
        except _Finished:
            pass
        await asyncio.gather(*state["waiters"])

    SHIM_CALLS[0] = 0
    DEVICE_CALLS.clear()
    load0 = os.getloadavg()
    ru0 = _rusage()
    w0 = time.perf_counter()
    asyncio.run(main())
    wall = time.perf_counter() - w0
    ru1 = _rusage()
    load1 = os.getloadavg()
    if rec.cur is not None and rec.cur.get("ran") and state["cycle_start"] is not None:
        pass  # the last iteration's cycle is cut by the end of the run: not counted
    return rec.rows, {"rate": rate, "requests": len(lens), "virtual_s": clock["now"], "wall_s": wall,
                      "arrivals": arrivals, "finish": finish, "outputs": [o for _, o in lens],
                      "loadavg_start": load0, "loadavg_end": load1, "shim_calls": SHIM_CALLS[0], "device_calls": dict(DEVICE_CALLS),
                      "rusage": {k: ru1[k] - ru0[k] for k in ru0}}


class _Finished(Exception):
    pass


def _rusage():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"utime": r.ru_utime, "stime": r.ru_stime, "nvcsw": r.ru_nvcsw, "nivcsw": r.ru_nivcsw}


# ---------------------------------------------------------------------------------------------------- batches and metrics

def neo_latency(arrivals, finish, outputs):
    """NEO's get_lat_avg (evaluation/illustrator.py): mean of (finish - arrival) / output tokens over the requests after the
    first 25 %, in request order."""
    lo = len(finish) // 4
    xs = [(finish[i] - arrivals[i]) / outputs[i] for i in range(lo, len(finish))]
    return sum(xs) / len(xs)


def neo_throughput_window(finish):
    """NEO's get_tp: 1 / mean gap between sorted completion times from index floor(0.3 n) to floor(0.7 n); and the window."""
    f = sorted(finish)
    lo, hi = int(len(f) * 0.3), int(len(f) * 0.7)
    return (hi - lo) / (f[hi] - f[lo]), (f[lo], f[hi])


def regime(iters, arrivals, finish, outputs, block_bytes):
    """What the two schedulers are compared on. iters: dicts with start, dur, pipelined, prefs, pref_tokens, gdecs, cdecs,
    host_blocks, swap_in_blocks, swap_out_blocks (conventional swaps of whole requests) and host_pref_tokens (prefill KV
    streamed to the host). Over the whole run and over the [30 %, 70 %] completion window of NEO's throughput metric."""
    tp, (w0, w1) = neo_throughput_window(finish)
    out = {"latency_s_per_token": neo_latency(arrivals, finish, outputs), "throughput_req_per_s": tp,
           "window_s": [w0, w1], "makespan_s": max(finish)}
    for name, sel in (("all", iters), ("window", [r for r in iters if w0 < r["start"] + r["dur"] <= w1])):
        if not sel:
            continue
        pipe = [r for r in sel if r["pipelined"]]
        t_all = sum(r["dur"] for r in sel)
        m = lambda xs, k: statistics.fmean(r[k] for r in xs) if xs else float("nan")
        out[name] = {
            "iterations": len(sel), "pipelined": len(pipe),
            "pipelined_time_share": sum(r["dur"] for r in pipe) / t_all if t_all else float("nan"),
            "mean_iteration_ms": 1000 * t_all / len(sel),
            "mean_pipelined_ms": 1000 * sum(r["dur"] for r in pipe) / len(pipe) if pipe else float("nan"),
            "prefills_per_iteration": m(sel, "prefs"), "prefill_tokens_per_iteration": m(sel, "pref_tokens"),
            "gpu_decodes_per_iteration": m(sel, "gdecs"), "cpu_decodes_per_iteration": m(sel, "cdecs"),
            "cpu_decodes_per_pipelined": m(pipe, "cdecs"), "prefills_per_pipelined": m(pipe, "prefs"),
            "pipelined_with_prefill": sum(1 for r in pipe if r["prefs"]),
            "gpu_decode_tokens_per_s": sum(r["gdecs"] for r in sel) / t_all, "cpu_decode_tokens_per_s": sum(r["cdecs"] for r in sel) / t_all,
            "host_blocks_mean": sum(r["host_blocks"] * r["dur"] for r in sel) / t_all,
            "host_blocks_max": max(r["host_blocks"] for r in sel),
            "swap_in_blocks": sum(r["swap_in_blocks"] for r in sel), "swap_out_blocks": sum(r["swap_out_blocks"] for r in sel),
            "host_prefill_tokens": sum(r["host_pref_tokens"] for r in sel),
            "swap_iterations": sum(1 for r in sel if r["swap_in_blocks"] or r["swap_out_blocks"]),
        }
    return out


def neo_iters(rows):
    out = []
    for r in rows:
        b, is_out = r.get("swap_blocks", 0), r.get("swap_is_out", False)
        out.append({"start": r["t"], "dur": r["dur_s"], "pipelined": r["strategy"] == "pipelined", "prefs": r["prefs"],
                    "pref_tokens": r["pref_tokens"], "gdecs": r["gdecs"], "cdecs": r["cdecs"],
                    "host_blocks": r.get("host_blocks", 0), "swap_in_blocks": 0 if is_out else b,
                    "swap_out_blocks": b if is_out else 0, "host_pref_tokens": r["host_pref_tokens"]})
    return out


def apex_run(folder, block_bytes, kv_bytes_per_token):
    """Our simulated run (`apex run` output folder): its iterations.csv and requests.csv in the same terms. Prefills per
    iteration: requests whose first token ends that iteration (NEO and ours prefill whole prompts). Our swap_out_bytes
    also holds host-bound prefill KV streamed out per layer; it is split off as host_pref_tokens where the iteration's
    prefill tokens explain it."""
    with open(os.path.join(folder, "requests.csv"), newline="") as f:
        reqs = list(csv.DictReader(f))
    first = {}
    arrivals, finish, outputs = [], [], []
    for q in reqs:
        times = [float(x) for x in q["token_times_s"].split(";")]
        first[times[0]] = first.get(times[0], 0) + 1
        arrivals.append(float(q["arrival_s"]))
        finish.append(times[-1])
        outputs.append(int(q["output_tokens"]))
    iters = []
    with open(os.path.join(folder, "iterations.csv"), newline="") as f:
        for r in csv.DictReader(f):
            start, end = float(r["start_s"]), float(r["end_s"])
            sout = int(r["swap_out_bytes"])
            ptok = int(r["prefill_tokens"])
            hp = min(ptok, sout // kv_bytes_per_token) if sout else 0
            iters.append({"start": start, "dur": end - start, "pipelined": r["strategy"] != "GPU_ONLY",
                          "prefs": first.get(end, 0), "pref_tokens": ptok, "gdecs": int(r["gpu_decodes"]),
                          "cdecs": int(r["cpu_decodes"]), "host_blocks": int(r["host_kv_blocks"]),
                          "swap_in_blocks": int(r["swap_in_bytes"]) // block_bytes,
                          "swap_out_blocks": (sout - hp * kv_bytes_per_token) // block_bytes, "host_pref_tokens": hp})
    return iters, arrivals, finish, outputs


def print_regimes(pairs):
    """Side by side: NEO's scheduler and ours, key by key."""
    keys = ["latency_s_per_token", "throughput_req_per_s", "makespan_s"]
    names = list(pairs)
    print("  " + " | ".join(["metric"] + names))
    for k in keys:
        print("  " + " | ".join([k] + [f"{pairs[n][k]:.5g}" for n in names]))
    for part in ("all", "window"):
        for k in pairs[names[0]].get(part, {}):
            print("  " + " | ".join([f"{part}.{k}"] + [f"{pairs[n].get(part, {}).get(k, float('nan')):.5g}" for n in names]))


def derive(row):
    """Derived parts: the swap issue loop, the hand-off and the rest of the main thread's cycle."""
    g = row.get
    ms = 1000.0
    d = {}
    for p in PARTS_MAIN + PARTS_WORKER:
        d[p + ".cpu"] = g(p + ".cpu", 0.0) * ms
        d[p + ".wall"] = g(p + ".wall", 0.0) * ms
    d["swap.issue.cpu"] = (g("worker.cpu", 0.0) - sum(g(p + ".cpu", 0.0) for p in PARTS_WORKER)) * ms
    d["handoff.wall"] = (g("await.wall", 0.0) - g("worker.wall", 0.0)) * ms
    main_parts = sum(g(p + ".cpu", 0.0) for p in PARTS_MAIN)
    d["loop.rest.cpu"] = (g("cycle.main.cpu", 0.0) - main_parts) * ms
    d["cycle.cpu"] = (g("cycle.main.cpu", 0.0) + g("worker.cpu", 0.0)) * ms
    d["cycle.wall"] = g("cycle.wall", 0.0) * ms
    d["worker.cpu"] = g("worker.cpu", 0.0) * ms
    return d


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


REPORT_KEYS = ["sched.cpu", "bm.prepare.cpu", "bt.write.cpu", "swap.issue.cpu", "prep.inputs.cpu", "prep.tokens.cpu",
               "out.update.cpu", "out.remove.cpu", "loop.rest.cpu", "worker.cpu", "cycle.cpu", "handoff.wall",
               "cycle.wall"]


def summarise(rows):
    out = {}
    for strat in ("gpu-only", "pipelined", "all"):
        sel = [r for r in rows if strat == "all" or r["strategy"] == strat]
        if not sel:
            continue
        ds = [derive(r) for r in sel]
        s = {"iterations": len(sel),
             "mean_rows": statistics.fmean(r["rows"] for r in sel),
             "mean_width": statistics.fmean(r["width"] for r in sel),
             "mean_cdecs": statistics.fmean(r["cdecs"] for r in sel),
             "prefill_iterations": sum(1 for r in sel if r["prefs"]),
             "swap_iterations": sum(1 for r in sel if r["swaps"]),
             "predicted_gpu_ms": {"median": quantile([r["gpu_ms"] for r in sel], 0.5),
                                  "mean": statistics.fmean(r["gpu_ms"] for r in sel)}}
        for k in REPORT_KEYS:
            xs = [d[k] for d in ds]
            s[k] = {"median": quantile(xs, 0.5), "p90": quantile(xs, 0.9), "mean": statistics.fmean(xs)}
        out[strat] = s
    return out


def shim_cost(torch, orig_get):
    """Per-call cost of the int32 index shim: the wrapper on an int64 index, and the int32 -> int64 conversion."""
    x = torch.zeros(1024, dtype=torch.int32)
    i64 = torch.tensor([1, 5, 9], dtype=torch.int64)
    i32 = i64.int()
    n = 20000
    def per(fn):
        best = float("inf")
        for _ in range(5):
            c0 = time.thread_time()
            for _ in range(n):
                fn()
            best = min(best, (time.thread_time() - c0) / n)
        return best * 1e6
    wrapped = per(lambda: x[i64])
    plain = per(lambda: orig_get(x, i64))
    conv = per(lambda: x[i32])
    return {"wrapper_us": wrapped - plain, "int32_conversion_us": conv - wrapped, "plain_index_us": plain}


def handoff_cost():
    """The run_in_executor round trip of a no-op on an otherwise idle asyncio loop (as NEO's loop hands each
    iteration to its worker thread): wall per call, and the process CPU (both threads) per call."""
    async def go(n):
        loop = asyncio.get_running_loop()
        noop = lambda: None
        for _ in range(200):
            await loop.run_in_executor(None, noop)
        walls = []
        c0 = time.process_time()
        for _ in range(n):
            w0 = time.perf_counter()
            await loop.run_in_executor(None, noop)
            walls.append(time.perf_counter() - w0)
        cpu = (time.process_time() - c0) / n
        return {"wall_median_us": quantile(walls, 0.5) * 1e6, "wall_p90_us": quantile(walls, 0.9) * 1e6,
                "process_cpu_us": cpu * 1e6}
    return asyncio.run(go(5000))


def fib_yardstick():
    """A pure-Python yardstick to rescale the figures to another host (the same Python on both): the best of 5 runs
    of 50 calls of fib(23), ms per call (python3 -m timeit's fib(23), as in discuss.python.org thread 56229)."""
    import timeit
    def fib(n):
        return fib(n - 2) + fib(n - 1) if n > 1 else 1
    return min(timeit.repeat(lambda: fib(23), number=50, repeat=5, timer=time.thread_time)) / 50 * 1000


def machine():
    info = {"python": sys.version.split()[0], "implementation": platform.python_implementation(), "nproc": os.cpu_count(),
            "fib23_ms": fib_yardstick(), "torch": None}
    try:
        info["lscpu"] = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        info["lscpu"] = None
    return info


# The geometry of the models NEO's two experiments serve (their Hugging Face config.json values: meta-llama/Llama-2-7b-hf,
# meta-llama/Meta-Llama-3-8B); NEO reads config.json from the model folder.
HF_CONFIGS = {
    "t4": {"model_type": "llama", "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
           "hidden_size": 4096, "vocab_size": 32000, "max_position_embeddings": 4096, "intermediate_size": 11008,
           "rms_norm_eps": 1e-5, "hidden_act": "silu"},
    "a10g": {"model_type": "llama", "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
             "hidden_size": 4096, "vocab_size": 128256, "max_position_embeddings": 8192, "intermediate_size": 14336,
             "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_theta": 500000.0},
}
NEO_CONFIGS = {"t4": "config-t4-7b.json", "a10g": "config-a10-8b.json"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neo", required=True, help="NEO checkout (the directory holding swiftllm/)")
    ap.add_argument("--profile", required=True, help="our sim profile of the T4 + Llama-2-7B (apex profile)")
    ap.add_argument("--trace", help="neo_osc_llama2.csv (T4)")
    ap.add_argument("--config", default="t4", choices=["t4", "a10g"],
                    help="NEO's evaluation/configs/config-t4-7b.json (Llama-2-7B) or config-a10-8b.json (Llama-3-8B)")
    ap.add_argument("--synthetic-output", type=int, help="A10G: NEO's mock test, 1000-token inputs, this output")
    ap.add_argument("--swap-gb", type=int, help="swap space of NEO's engine in GB (default: the config's)")
    ap.add_argument("--rates", type=float, nargs="+", default=[0.5, 3.1])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--device", default="meta", choices=["meta", "cpu"])
    ap.add_argument("--always-use-gpu", action="store_true", help="NEO's GPU-only baseline (_get_next_batch_old)")
    ap.add_argument("--json", help="write rows and summaries here")
    ap.add_argument("--clock", default="sim", choices=["sim", "neo-predictor"],
                    help="how the GPU stand-in advances the virtual clock: as our simulator prices NEO's iteration "
                         "(ApexSimClock; default), or by NEO's own predictor (the ninth pass's runs)")
    ap.add_argument("--apex-runs", nargs="+", help="`apex run` folders of our simulated NEO (or its baseline), one per "
                    "rate in --rates order: printed beside NEO's scheduler on the same terms")
    ap.add_argument("--workload-from", help="take the (prompt, output) lengths from this `apex run` folder's requests.csv, in "
                    "request order, instead of --trace / --synthetic-output's own draw (so both schedulers serve the same requests)")
    ap.add_argument("--no-host-times", action="store_true", help="leave out the per-part host-time tables")
    args = ap.parse_args()

    if not os.path.isdir(os.path.join(args.neo, "swiftllm")):
        sys.exit(f"--neo {args.neo}: no swiftllm/ there (want a NEO checkout)")
    if args.workload_from and not os.path.isfile(os.path.join(args.workload_from, "requests.csv")):
        sys.exit(f"--workload-from {args.workload_from}: no requests.csv there")
    if not args.trace and not args.synthetic_output and not args.workload_from:
        sys.exit("give --trace (the OSC lengths) or --synthetic-output N")
    for path, what in ((args.profile, "--profile"), (args.trace, "--trace")):
        if path is not None and not os.path.isfile(path):
            sys.exit(f"{what} {path}: no such file")
    if args.apex_runs is not None:
        if len(args.apex_runs) != len(args.rates):
            sys.exit(f"--apex-runs: {len(args.apex_runs)} folders for {len(args.rates)} rates")
        for d in args.apex_runs:
            for f in ("iterations.csv", "requests.csv"):
                if not os.path.isfile(os.path.join(d, f)):
                    sys.exit(f"--apex-runs {d}: no {f} there (want an `apex run` output folder)")

    install_stubs()
    import torch
    orig_get, _ = install_int32_index_shim(torch)
    # Import swiftllm's modules without its package __init__ (which starts with the GPU-only profiler imports).
    pkg = types.ModuleType("swiftllm")
    pkg.__path__ = [os.path.join(args.neo, "swiftllm")]
    sys.modules["swiftllm"] = pkg
    log_path = os.path.join(tempfile.gettempdir(), "neo_loop_host_time.log")
    log_file = open(log_path, "w")
    real_stdout, sys.stdout = sys.stdout, log_file   # NEO's basicConfig(stream=sys.stdout): to a file, as server.py
    try:
        import swiftllm.engine_config as m_ec
        import swiftllm.model_config as m_mc
        import swiftllm.structs as m_st
        import swiftllm.perfpredictor as m_pp
        import swiftllm.server.scheduler as m_sc
        import swiftllm.server.block_manager as m_bm
        import swiftllm.server.executor as m_ex
        import swiftllm.server.engine as m_en
        import swiftllm.worker.model as m_mo
        import swiftllm.worker.buffer as m_bu
        import swiftllm.worker.block_swapper as m_bs
        import swiftllm.worker.layers.pre_layer as m_pl
    finally:
        sys.stdout = real_stdout
    proxy = device_proxy(torch, args.device)
    for m in (m_mo, m_bu, m_bs, m_pl):
        m.torch = proxy

    model_dir = tempfile.mkdtemp(prefix="llama2-7b-config-")
    with open(os.path.join(model_dir, "config.json"), "w") as f:
            json.dump(HF_CONFIGS[args.config], f)
    with open(os.path.join(args.neo, "evaluation", "configs", NEO_CONFIGS[args.config])) as f:
        neo_config = json.load(f)
    with open(args.profile) as f:
        profile = json.load(f)

    mods = {"torch": torch, "model_dir": model_dir, "neo_config": neo_config, "EngineConfig": m_ec.EngineConfig,
            "LlamaModelConfig": m_mc.LlamaModelConfig, "AsyncEngine": m_en.AsyncEngine, "Scheduler": m_sc.Scheduler,
            "BlockManager": m_bm.BlockManager, "SingleProcExecutor": m_ex.SingleProcExecutor,
            "LlamaModel": m_mo.LlamaModel, "ModelForwardBuffers": m_bu.ModelForwardBuffers,
            "Swapper": m_bs.Swapper, "LlamaPreLayer": m_pl.LlamaPreLayer,
            "TablePerfPredictor": m_pp.TablePerfPredictor, "RawRequest": m_st.RawRequest, "Request": m_st.Request}
    logging.getLogger().setLevel(logging.INFO)

    result = {"machine": dict(machine(), torch=torch.__version__), "device": args.device, "always_use_gpu": args.always_use_gpu,
              "config": args.config, "synthetic_output": args.synthetic_output, "swap_gb": args.swap_gb,
              "stubbed_modules": STUBBED, "runs": []}
    print(f"host: {platform.processor() or platform.machine()}, Python {result['machine']['python']}, PyTorch "
          f"{torch.__version__}, fib(23) {result['machine']['fib23_ms']:.2f} ms (thread CPU), load {os.getloadavg()}")
    for ri, rate in enumerate(args.rates):
        rows, meta = run_one(args, rate, mods, profile)
        summ = summarise(rows)
        meta["per_iteration_shim_calls"] = meta["shim_calls"] / max(1, len(rows))
        meta["per_iteration_device_calls"] = {k: v / max(1, len(rows)) for k, v in meta["device_calls"].items()}
        result["runs"].append({"meta": meta, "summary": summ, "rows": rows})
        print(f"rate {rate} req/s: {len(rows)} iterations, virtual {meta['virtual_s']:.0f} s, wall {meta['wall_s']:.1f} s, "
              f"load {meta['loadavg_start'][0]:.2f} -> {meta['loadavg_end'][0]:.2f}, "
              f"shim calls/iteration {meta['per_iteration_shim_calls']:.1f}, 'cuda' tensor calls/iteration "
              f"{json.dumps({k: round(v, 2) for k, v in meta['per_iteration_device_calls'].items()})}", flush=True)
        hf = HF_CONFIGS[args.config]
        kv_tok = 2 * hf["num_key_value_heads"] * (hf["hidden_size"] // hf["num_attention_heads"]) * 2 * hf["num_hidden_layers"]
        pairs = {"neo-scheduler": regime(neo_iters(rows), meta["arrivals"], meta["finish"], meta["outputs"], 16 * kv_tok)}
        if args.apex_runs:
            pairs["apex-sim"] = regime(*apex_run(args.apex_runs[ri], 16 * kv_tok, kv_tok), 16 * kv_tok)
        meta["regime"] = pairs
        print(f"  batches and metrics (clock {args.clock}):")
        print_regimes(pairs)
        for strat, s in ({} if args.no_host_times else summ).items():
            print(f"  {strat}: {s['iterations']} iterations, virtual-clock iteration median {s['predicted_gpu_ms']['median']:.1f} ms, "
                  f"mean rows {s['mean_rows']:.1f}, width {s['mean_width']:.1f}, "
                  f"CPU decodes {s['mean_cdecs']:.1f}, prefill iterations {s['prefill_iterations']}, "
                  f"swap iterations {s['swap_iterations']}")
            for k in REPORT_KEYS:
                v = s[k]
                print(f"    {k:16s} median {v['median']:8.4f}  p90 {v['p90']:8.4f}  mean {v['mean']:8.4f} ms")
    result["handoff_cost"] = handoff_cost()
    print("run_in_executor round trip of a no-op:", json.dumps(result["handoff_cost"]))
    result["shim_cost"] = shim_cost(torch, orig_get)
    print("shim cost per call (us):", json.dumps(result["shim_cost"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
