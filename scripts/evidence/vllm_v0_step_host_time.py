#!/usr/bin/env python3
"""vLLM V0's per-step host time, timed by running vLLM's own engine-loop code on the CPU (issue 13, twelfth pass).

Shares vllm_v0_scheduler.py's loading of vLLM (imported from --vllm DIR, nothing copied) and its workload and clock.
Each engine step runs, in the order LLMEngine.step() runs them with --disable-async-output-proc and one scheduler step,
and each part is timed with time.thread_time (CPU of this thread; robust to other load) and time.perf_counter (wall):

  sched    Scheduler.schedule() (incl. the block manager and the SequenceGroupMetadata it builds), unmodified.
  inputs   GPUModelRunnerBase._prepare_model_input_tensors (vllm/worker/model_runner.py), unmodified:
           ModelInputForGPUBuilder.add_seq_group / build and the XFormers backend's attention-metadata builder (the T4,
           compute capability 7.5, has no FlashAttention-2), called on a stand-in runner object holding the attributes
           they read (class Runner below); tensors on "cpu", not pinned (vLLM: cuda, pinned, copies the GPU's).
  sampmeta SamplingMetadata.prepare(...) (vllm/model_executor/sampling_metadata.py), unmodified, with the builder's
           seq_lens / query_lens, device "cpu".
  sampler  Sampler.forward (vllm/model_executor/layers/sampler.py), unmodified, on CPU logits of a VOCAB (32)-entry
           vocabulary: its Python, SamplingTensors and PyTorch dispatch run for real, the arithmetic over Llama's 32,000
           entries (the GPU's work) shrinks to nothing; the SamplingParams are the eleventh pass's (vLLM's defaults,
           temperature 1: the random path), as NEO's client sent them is not checked.
  process  LLMEngine._process_model_outputs' work, re-enacted line by line from llm_engine.py
           (LLMEngine._process_model_outputs at a2c71c54) on vLLM's own objects: update_num_computed_tokens,
           SingleStepOutputProcessor.process_prompt_logprob and process_outputs (vLLM's class: append_token_id,
           StopChecker.maybe_stop_sequence, free_seq), maybe_set_first_token_time, RequestOutputFactory.create for
           every scheduled group, free_finished_seq_groups.

Stubbed: the packages vllm_v0_scheduler.py stubs, vLLM's C extensions (vllm._C, _rocm_C, _moe_C: GPU kernels),
xformers (GPU kernels; its attention-bias classes are only constructed in forward), and third-party packages of the
tokenizer / model-loader paths this host lacks (found at import and listed in each output's header: huggingface_hub,
mistral_common, safetensors, gguf, aiohttp, ...); every use of a stub inside a timed step is counted and printed. Two
PyTorch 2 names missing in PyTorch 1.13 are shimmed (torch._dynamo.config, torch.library.impl_abstract: import time
only). Not timed: the incremental detokenizer (no tokenizer offline: the output processor runs with detokenizer None;
in 0.6.x it runs in the engine, per token per request), the AsyncLLMEngine's asyncio loop (its executor hand-off,
make_async, is timed apart on a no-op and printed), the API server's per-token work (no fastapi/uvicorn here),
Worker.prepare_worker_input, the model's eager forward (its launches; on a T4 they overlap the layers' GPU time), the
CUDA-side host work (pinned allocations, host-to-device copies, the sampler's synchronising .tolist()), and the GPU's
work (a virtual clock, as vllm_v0_scheduler.py). So the figures are a lower bound on vLLM's host time per step.

Usage: python3 vllm_v0_step_host_time.py --vllm /tmp/vllm0631 --out L.jsonl loop --profile t4.json --trace osc.csv --rate 0.5
       python3 vllm_v0_step_host_time.py --vllm /tmp/vllm0631 --out S.jsonl shapes [--running 1,2,4,...] [--prefill 0,256]
       python3 vllm_v0_step_host_time.py fit --shapes S.jsonl [--fit-running 1,4,16,64] --loops L.jsonl ...
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import neo_loop_host_time as neo  # noqa: E402
import vllm_v0_scheduler as vs  # noqa: E402

EXTRA_STUBS = ["vllm._C", "vllm._rocm_C", "vllm._moe_C", "huggingface_hub", "huggingface_hub.utils", "transformers.tokenization_utils_base"]
STUBBED_FOUND = []
STUB_USE = {"on": False, "calls": 0, "where": set()}   # stub objects touched inside the timed steps (should be none)


def _watch_stubs():
    """Count every attribute read or call of a stub object made while a step runs: the stubs return stand-ins
    silently, so the count (printed with the results) is what shows that the timed path never reached one."""
    cls = neo._Anything
    get, call = cls.__getattr__, cls.__call__

    def watched_get(self, name):
        if STUB_USE["on"]:
            STUB_USE["calls"] += 1
            STUB_USE["where"].add("." + name)
        return get(self, name)

    def watched_call(self, *a, **k):
        if STUB_USE["on"]:
            STUB_USE["calls"] += 1
            STUB_USE["where"].add("call")
        return call(self, *a, **k)
    cls.__getattr__, cls.__call__ = watched_get, watched_call
    mod_get = neo._StubModule.__getattr__

    def watched_mod_get(self, name):
        if STUB_USE["on"]:
            STUB_USE["calls"] += 1
            STUB_USE["where"].add(self.__name__ + "." + name)
        return mod_get(self, name)
    neo._StubModule.__getattr__ = watched_mod_get
VOCAB = 32
PARTS = ("sched", "inputs", "sampmeta", "sampler", "process")


def load(root):
    v = vs.load_vllm(root)
    # vs.load_vllm stubs vllm.model_executor / vllm.transformers_utils as packages the scheduler never calls; the
    # output path needs three real modules under them: give the stub packages their real folders (their __init__s,
    # which import the model loader, stay stubbed).
    for name in ("vllm.model_executor", "vllm.transformers_utils"):
        sys.modules[name].__path__ = [os.path.join(root, *name.split("."))]
    for name in EXTRA_STUBS:      # imported by those modules for the tokenizer paths, never called here
        mod = neo._StubModule(name)
        mod.__path__ = []
        sys.modules[name] = mod
    # Third-party packages that only the tokenizer / model paths use and this host lacks are stubbed as found (a
    # missing one that the timed path called would fail on the stub's call; the list is printed with the results).
    import torch
    import torch.library
    # PyTorch 2 names that vLLM's modules touch at import time and PyTorch 1.13 lacks (no effect on the timed path):
    torch._dynamo = types.SimpleNamespace(config=types.SimpleNamespace())     # model_runner.py: cache_size_limit
    sys.modules["torch._dynamo"] = torch._dynamo
    if not hasattr(torch.library, "impl_abstract"):                           # _custom_ops.py: a decorator
        torch.library.impl_abstract = lambda *a, **k: (lambda f: f)
    for _ in range(80):
        try:
            import vllm.worker.model_runner as mr
            import vllm.attention.backends.xformers as xf
            from vllm.model_executor.sampling_metadata import SamplingMetadata
            from vllm.engine.output_processor.single_step import SingleStepOutputProcessor
            from vllm.engine.output_processor.stop_checker import StopChecker
            from vllm.outputs import RequestOutputFactory
            from vllm.sequence import CompletionSequenceGroupOutput, SequenceOutput, Logprob
            from vllm.utils import Counter
            break
        except ModuleNotFoundError as e:  # noqa: PERF203
            parent = sys.modules.get(e.name.rpartition(".")[0]) if e.name else None
            if not e.name or (e.name.split(".")[0] == "vllm" and not isinstance(parent, neo._StubModule)):
                raise
            parts = e.name.split(".")
            for i in range(1, len(parts) + 1):
                name = ".".join(parts[:i])
                if name not in sys.modules:
                    mod = neo._StubModule(name)
                    mod.__path__ = []
                    sys.modules[name] = mod
                    STUBBED_FOUND.append(name)
    # The real Sampler: the import loop above stubbed vllm.model_executor.layers.sampler (its parent package is a
    # stub); load the real module in its place.
    import importlib
    layers = sys.modules["vllm.model_executor.layers"]
    layers.__path__ = [os.path.join(root, "vllm", "model_executor", "layers")]
    sys.modules.pop("vllm.model_executor.layers.sampler", None)
    sampler = importlib.import_module("vllm.model_executor.layers.sampler")
    if "vllm.model_executor.layers.sampler" in STUBBED_FOUND:
        STUBBED_FOUND.remove("vllm.model_executor.layers.sampler")
    v.__dict__.update(Sampler=sampler.Sampler)
    # vllm.utils.is_pin_memory_available asks the (stubbed) platform; no CUDA here, so no pinned host tensors (vLLM
    # pins them on a GPU host: page-locked allocations from PyTorch's caching host allocator, not timed here)
    sys.modules["vllm.model_executor.sampling_metadata"].is_pin_memory_available = lambda: False
    v.__dict__.update(torch=torch, SamplingMetadata=SamplingMetadata, SingleStepOutputProcessor=SingleStepOutputProcessor,
                      StopChecker=StopChecker, RequestOutputFactory=RequestOutputFactory,
                      CompletionSequenceGroupOutput=CompletionSequenceGroupOutput, SequenceOutput=SequenceOutput,
                      Logprob=Logprob, Counter=Counter, mr=mr, xf=xf)
    return v


class Runner:
    """The attributes of GPUModelRunnerBase that _prepare_model_input_tensors and ModelInputForGPUBuilder read
    (vllm/worker/model_runner.py), set as the model runner sets them for Llama-2-7B on a T4 with --enforce-eager: the
    XFormers backend (compute capability 7.5 has no FlashAttention-2), no LoRA, prompt adapter, multimodal input or
    sliding window; tensors on "cpu", not pinned (vLLM: cuda, pinned; the copies are the GPU's)."""

    def __init__(self, v, sc, max_model_len):
        import numpy as np
        self._model_input_cls = v.mr.ModelInputForGPUWithSamplingMetadata
        self._builder_cls = v.mr.ModelInputForGPUBuilder
        self.attn_backend = v.xf.XFormersBackend
        self.block_size, self.sliding_window = vs.BLOCK_SIZE, None
        self.lora_config = self.prompt_adapter_config = self.multi_modal_input_mapper = None
        self.scheduler_config = sc
        self.device, self.pin_memory = v.torch.device("cpu"), False
        self.inter_data_cache = {}
        self.model_config = types.SimpleNamespace(enforce_eager=True, hf_config=None, is_encoder_decoder_model=False)
        self.model_is_mrope = False
        self.max_seq_len_to_capture = max_model_len
        self.max_batchsize_to_capture = 256
        self.graph_block_tables = np.zeros((256, self.get_max_block_per_batch()), dtype=np.int32)

    def get_max_block_per_batch(self):
        return (self.max_seq_len_to_capture + self.block_size - 1) // self.block_size


class Engine:
    """vLLM's scheduler and output processor, one step at a time, each part timed."""

    def __init__(self, v, args):
        self.v = v
        self.sched, self.sc = vs.make_scheduler(v, args)
        self.proc = v.SingleStepOutputProcessor(self.sc, None, [self.sched], v.Counter(),
                                                v.StopChecker(args.max_model_len, lambda seq: None))
        self.seq_id = 0
        self.runner = Runner(v, self.sc, args.max_model_len)
        self.sampler = v.Sampler()
        # logits over a VOCAB-entry vocabulary: the sampler's Python and PyTorch dispatch run for real, its arithmetic
        # over Llama's 32,000 entries (the GPU's) shrinks to nothing
        self.logits = v.torch.randn(args.max_num_batched_tokens, VOCAB, generator=v.torch.Generator().manual_seed(0))

    def add(self, rid, prompt, output, arrival):
        v = self.v
        seq = v.Sequence(self.seq_id, {"prompt_token_ids": [1] * prompt, "prompt": None}, vs.BLOCK_SIZE, eos_token_id=2)
        self.seq_id += 1
        sp = v.SamplingParams(max_tokens=output, ignore_eos=True)
        self.sched.add_seq_group(v.SequenceGroup(str(rid), [seq], arrival_time=arrival, sampling_params=sp))

    def step(self):
        """One step; returns (metas, scheduler outputs, {part: (cpu s, wall s)}, running before, prefill tokens)."""
        STUB_USE["on"] = True
        try:
            return self._step()
        finally:
            STUB_USE["on"] = False

    def _step(self):
        v, tt, pc = self.v, time.thread_time, time.perf_counter
        t = {}
        c0, w0 = tt(), pc()
        metas, so, _ = self.sched.schedule()
        c1, w1 = tt(), pc()
        t["sched"] = (c1 - c0, w1 - w0)
        # the model runner's seq_lens / query_lens (ModelInputForGPUBuilder: context + chunk, chunk; decode: len, 1)
        seq_lens, query_lens, pref = [], [], 0
        for m in metas:
            d = next(iter(m.seq_data.values()))
            if m.is_prompt:
                ctx = d.get_num_computed_tokens()
                seq_lens.append(ctx + m.token_chunk_size)
                query_lens.append(m.token_chunk_size)
                pref += m.token_chunk_size
            else:
                seq_lens.append(d.get_len())
                query_lens.append(1)
        c0, w0 = tt(), pc()
        v.mr.GPUModelRunnerBase._prepare_model_input_tensors(self.runner, metas, [])
        c1, w1 = tt(), pc()
        t["inputs"] = (c1 - c0, w1 - w0)
        c0, w0 = c1, w1
        sm = v.SamplingMetadata.prepare(metas, seq_lens, query_lens, "cpu", False, {})
        c1, w1 = tt(), pc()
        t["sampmeta"] = (c1 - c0, w1 - w0)
        logits = self.logits[:sm.selected_token_indices.numel()]   # the LM head's rows (GPU work: not timed)
        c0, w0 = tt(), pc()
        outs = self.sampler(logits, sm).outputs
        c1, w1 = tt(), pc()
        t["sampler"] = (c1 - c0, w1 - w0)
        c0, w0 = c1, w1
        now = time.time()
        finished_now = []
        for i, (m, ssg) in enumerate(zip(metas, so.scheduled_seq_groups)):
            g = ssg.seq_group
            if g.is_finished():
                continue
            g.update_num_computed_tokens(m.token_chunk_size)
            output = [outs[i]]
            self.proc.process_prompt_logprob(g, output)
            if m.do_sample:
                self.proc.process_outputs(g, output, False)
            if g.is_finished():
                finished_now.append(i)
        request_outputs = []
        for i in finished_now:
            g = so.scheduled_seq_groups[i].seq_group
            g.maybe_set_first_token_time(now)
            request_outputs.append(v.RequestOutputFactory.create(g))
        if finished_now:
            self.sched.free_finished_seq_groups()
        for i, ssg in enumerate(so.scheduled_seq_groups):
            if i in finished_now:
                continue
            ssg.seq_group.maybe_set_first_token_time(now)
            request_outputs.append(v.RequestOutputFactory.create(ssg.seq_group))
        c1, w1 = tt(), pc()
        t["process"] = (c1 - c0, w1 - w0)
        return metas, so, t, len(metas), pref


def yardstick():
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    best = float("inf")
    for _ in range(5):
        c = time.thread_time()
        fib(23)
        best = min(best, time.thread_time() - c)
    return best


def handoff(n=2000):
    """GPUExecutorAsync.execute_model_async's hand-off: vllm.utils.make_async (run_in_executor on the default executor)
    of a no-op, awaited from an asyncio loop, as AsyncLLMEngine.step_async awaits the worker each step. Wall median,
    and the process CPU (both threads) per round trip, median."""
    import asyncio
    from vllm.utils import make_async
    noop = make_async(lambda: None)

    async def go():
        walls, cpus = [], []
        for _ in range(n):
            c, w = time.process_time(), time.perf_counter()
            await noop()
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        return statistics.median(walls), statistics.median(cpus)
    return asyncio.run(go())


def loop(args, v):
    """NEO's T4 vLLM run: the OSC trace at NEO's arrival times, steps on the simulated clock (c0 = 4 ms included)."""
    with open(args.profile) as f:
        profile = json.load(f)
    tables = {k: neo.Interp(val) for k, val in profile["tables"].items()}
    with open(args.hardware) as f:
        gpu = json.load(f)["gpu"]
    clock = vs.GpuOnlyClock(tables, vs.LLAMA2_7B, gpu["prefillAttention"], gpu["fp16TensorTflops"],
                            (vs.C0_SEC, 0, 0, 0, 0))
    args.synthetic_output, args.workload_from = None, None
    lens = neo.workload(args)
    arrivals = neo.numpy_arrivals(args.rate, len(lens))
    eng = Engine(v, args)
    rows, nxt, t, n = [], 0, 0.0, len(lens)
    while True:
        while nxt < n and arrivals[nxt] <= t:
            eng.add(nxt, lens[nxt][0], lens[nxt][1], arrivals[nxt])
            nxt += 1
        if not eng.sched.has_unfinished_seqs():
            if nxt >= n:
                break
            t = arrivals[nxt]
            continue
        metas, so, tm, running, pref = eng.step()
        shape = neo.Shape()
        shape.pref_cached = 0
        sampled = 0
        for m, ssg in zip(metas, so.scheduled_seq_groups):
            seq = ssg.seq_group.get_seqs()[0]
            if m.is_prompt:
                c = ssg.token_chunk_size
                start = seq.data.get_num_computed_tokens() - c   # already advanced by process
                shape.pref_tokens += c
                shape.pref_seqs += 1
                shape.pref_pairs += c * start + c * (c + 1) // 2
                shape.pref_cached += start
            else:
                shape.gdecs += 1
                shape.gctx += seq.get_len() - 1
            sampled += 1 if m.do_sample else 0
        dur, _ = clock.seconds([shape], sampled=sampled)
        t += dur
        rows.append({"running": running, "prefill": pref, **{p + "_cpu": tm[p][0] for p in PARTS},
                     **{p + "_wall": tm[p][1] for p in PARTS}})
    return rows


def shapes(args, v):
    """Fixed batch shapes: R running decodes (context ~ --context tokens) with or without a P-token prefill chunk,
    on a pool large enough that nothing is preempted. Each shape is stepped --steps times after --warmup."""
    rows = []
    args.gpu_blocks = args.shape_blocks
    for r in [int(x) for x in args.running.split(",")]:
        for p in [int(x) for x in args.prefill.split(",")]:
            eng = Engine(v, args)
            for i in range(r):      # R requests prefilled to --context, then decoding for long
                eng.add(i, args.context, 10 ** 6, 0.0)
            while True:             # prefill them (budget permitting several steps)
                metas, _, _, _, _ = eng.step()
                if all(not m.is_prompt for m in metas) and len(metas) == r:
                    break
            for k in range(args.warmup + args.steps):
                if p and k >= args.warmup:
                    eng.add(10 ** 6 + k, p, 10 ** 6, 0.0)   # a new prompt: one P-token chunk beside the decodes
                metas, so, tm, running, pref = eng.step()
                if k >= args.warmup:
                    rows.append({"shape_running": r, "shape_prefill": p, "running": running, "prefill": pref,
                                 **{q + "_cpu": tm[q][0] for q in PARTS}, **{q + "_wall": tm[q][1] for q in PARTS}})
                if p and k >= args.warmup:   # drop the new request so the shape stays R decodes + one chunk
                    for g in list(eng.sched.running):
                        if int(g.request_id) >= 10 ** 6:
                            eng.sched.abort_seq_group(g.request_id)
    return rows


def read_rows(path):
    with open(path) as f:
        head = json.loads(f.readline())
        return head, [json.loads(line) for line in f]


def total(r):
    return sum(r[p + "_cpu"] for p in PARTS)


def fit(args):
    """per step = c0 + c1 x scheduled groups + c2 x prefill tokens, least squares on the per-shape medians of the
    shapes run whose running count is in --fit-running; checked on the other shapes and on the loop runs."""
    import numpy as np
    _, rows = read_rows(args.shapes)
    fit_r = {int(x) for x in args.fit_running.split(",")}
    groups = {}
    for r in rows:
        groups.setdefault((r["shape_running"], r["shape_prefill"]), []).append(r)
    med = {k: (statistics.median(x["running"] for x in g), statistics.median(x["prefill"] for x in g),
               statistics.median(total(x) for x in g)) for k, g in groups.items()}
    train = [m for k, m in med.items() if k[0] in fit_r]
    a = np.array([[1.0, m[0], m[1]] for m in train])
    y = np.array([m[2] for m in train])
    c, *_ = np.linalg.lstsq(a, y, rcond=None)
    pred = lambda n, p: c[0] + c[1] * n + c[2] * p   # noqa: E731
    print(f"fit on {len(train)} shapes (running {sorted(fit_r)}): c0 {1e3 * c[0]:.4f} ms, c1 {1e6 * c[1]:.2f} us per "
          f"scheduled group, c2 {1e6 * c[2]:.3f} us per prefill token")
    print("| shape (decodes, prefill chunk) | in fit | scheduled | prefill tokens | measured median (ms) | model (ms) | "
          "error |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for k in sorted(med):
        n, p, m = med[k]
        print(f"| {k[0]}, {k[1]} | {'yes' if k[0] in fit_r else 'no'} | {n:g} | {p:g} | {1e3 * m:.3f} | "
              f"{1e3 * pred(n, p):.3f} | {100 * (pred(n, p) - m) / m:+.1f} % |")
    for path in args.loops:
        head, lr = read_rows(path)
        meas = statistics.fmean(total(r) for r in lr)
        model = statistics.fmean(pred(r["running"], r["prefill"]) for r in lr)
        print(f"held out {os.path.basename(path)}: {len(lr)} steps, mean measured {1e3 * meas:.4f} ms, model "
              f"{1e3 * model:.4f} ms ({100 * (model - meas) / meas:+.1f} %); median measured "
              f"{1e3 * statistics.median(total(r) for r in lr):.4f}; mean scheduled "
              f"{statistics.fmean(r['running'] for r in lr):.3f}, prefill tokens {statistics.fmean(r['prefill'] for r in lr):.1f}; "
              f"fib(23) {1e3 * head['yardstick_fib23_s']:.2f} ms")
        for p in PARTS:
            print(f"    {p}: mean {1e3 * statistics.fmean(r[p + '_cpu'] for r in lr):.4f} ms, median "
                  f"{1e3 * statistics.median(r[p + '_cpu'] for r in lr):.4f} ms, p90 "
                  f"{1e3 * sorted(r[p + '_cpu'] for r in lr)[int(0.9 * len(lr))]:.4f} ms")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "fit":
        fp = argparse.ArgumentParser(description="fit and held-out check")
        fp.add_argument("mode")
        fp.add_argument("--shapes", required=True)
        fp.add_argument("--fit-running", default="1,4,16,64")
        fp.add_argument("--loops", nargs="*", default=[])
        fit(fp.parse_args())
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vllm", required=True)
    ap.add_argument("--max-num-batched-tokens", type=int, default=864)
    ap.add_argument("--max-model-len", type=int, default=832)
    ap.add_argument("--gpu-blocks", type=int, default=54)
    ap.add_argument("--block-manager", choices=["v1", "v2"])
    ap.add_argument("--out", required=True, help="write per-step rows (JSON lines) here")
    sub = ap.add_subparsers(dest="mode", required=True)
    lp = sub.add_parser("loop")
    lp.add_argument("--profile", required=True)
    lp.add_argument("--hardware", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "profiler", "src", "main", "resources", "org", "apexbench", "profiler", "hardware",
                    "t4-g4dn.4xlarge.json"))
    lp.add_argument("--trace", required=True)
    lp.add_argument("--requests", type=int, default=2000)
    lp.add_argument("--rate", type=float, required=True)
    sp = sub.add_parser("shapes")
    sp.add_argument("--running", default="1,2,4,8,16,32,64")
    sp.add_argument("--prefill", default="0,64,256,800")
    sp.add_argument("--context", type=int, default=300)
    sp.add_argument("--shape-blocks", type=int, default=4096)
    sp.add_argument("--steps", type=int, default=200)
    sp.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    v = load(args.vllm)
    _watch_stubs()
    y = yardstick()
    hw, hc = handoff()
    rows = loop(args, v) if args.mode == "loop" else shapes(args, v)
    with open(args.out, "w") as f:
        f.write(json.dumps({"stub_uses_in_steps": STUB_USE["calls"], "yardstick_fib23_s": y, "handoff_wall_s": hw, "handoff_cpu_s": hc, "python": platform.python_version(),
                            "load": os.getloadavg(),
                            "stubbed": vs.STUBBED + EXTRA_STUBS + STUBBED_FOUND}) + "\n")
        for r in rows:
            f.write(json.dumps(r) + "\n")
    tot = [sum(r[p + "_cpu"] for p in PARTS) for r in rows]
    print(f"make_async no-op hand-off: {1e6 * hw:.1f} us wall, {1e6 * hc:.1f} us process CPU (medians)")
    print(f"{len(rows)} steps; fib(23) {1e3 * y:.2f} ms; load {os.getloadavg()}; host CPU per step median "
          f"{1e3 * statistics.median(tot):.3f} ms, mean {1e3 * statistics.fmean(tot):.3f} ms")
    print("stubbed:", ", ".join(vs.STUBBED + EXTRA_STUBS + STUBBED_FOUND))
    print(f"stub objects used inside the timed steps: {STUB_USE['calls']} {sorted(STUB_USE['where'])}")
    for p in PARTS:
        print(f"  {p}: median {1e3 * statistics.median(r[p + '_cpu'] for r in rows):.4f} ms cpu, "
              f"{1e3 * statistics.median(r[p + '_wall'] for r in rows):.4f} ms wall")


if __name__ == "__main__":
    main()
