package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.KvCapacity;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.Strategy;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * The real executor's accounting, which recalibration consumes, against known amounts: the "GPU" (device backend)
 * spends at least {@link #GPU_ATTN_MS} in each decode attention and the host at least {@link #CPU_ATTN_MS}
 * ({@link InstrumentedBackend}), and a scripted scheduler runs one strategy per iteration on tiny-llama3 (3 layers).
 * Checked per iteration: GPU and CPU busy are the sums of the recorded spans and include the injected time; the
 * stall is the device's wait for CPU outputs (a whole CPU attention per layer when offloading, none in GPU-only);
 * PCIe bytes are exactly the q/k/v and outputs of the CPU rows, the CPU prefill's K/V and the swapped blocks; and
 * the overlap of CPU attention with GPU work is at least half the injected GPU attention per layer where the
 * strategy overlaps, exactly 0 where it does not. Bounds leave the OS scheduler room on a loaded machine: a
 * lower bound never depends on how fast the machine is, an upper bound is the iteration's own duration (each side
 * is one thread, so busy and stalled time beyond it would be counted twice).
 */
class RealExecutorAccountingTest {
    static final double GPU_ATTN_MS = 30, CPU_ATTN_MS = 45;
    static final int LAYERS = 3;
    static final EngineBudgets BUDGETS = new EngineBudgets(4, 64, 16, 64, 16);

    /** Plans by iteration; afterwards decode whatever runs, asynchronously overlapped. */
    private static final class Script implements Scheduler {
        final Map<Long, Integer> swappedBlocks = new TreeMap<>();

        @Override
        public IterationPlan plan(org.apexbench.engine.SchedulerContext ctx) {
            List<RequestState> gpu = new ArrayList<>(ctx.gpuRunning()), host = new ArrayList<>(ctx.hostRunning());
            long it = ctx.iteration();
            if (it == 0) {
                List<PrefillChunk> pre = new ArrayList<>();
                for (RequestState r : ctx.waiting()) pre.add(PrefillChunk.of(r, r.remainingTokens(), r.id().equals("a") ? Location.GPU : Location.HOST));
                return plan(pre, List.of(), List.of(), 0, List.of(), List.of(), Strategy.GPU_ONLY);
            }
            RequestState a = find(gpu, host, "a"), b = find(gpu, host, "b");
            return switch ((int) it) {
                case 1 -> plan(List.of(), List.of(a), List.of(b), 0, List.of(), List.of(), Strategy.OFFLOAD_SERIAL);
                case 2 -> plan(List.of(), List.of(a), List.of(b), 0, List.of(), List.of(), Strategy.ASYNC_OVERLAP);
                case 3 -> {
                    swappedBlocks.put(it, a.blocks());
                    yield plan(List.of(), List.of(), List.of(a, b), 0, List.of(a), List.of(), Strategy.ASYNC_OVERLAP);
                }
                case 4 -> {
                    swappedBlocks.put(it, a.blocks());
                    yield plan(List.of(), List.of(a), List.of(b), 0, List.of(), List.of(a), Strategy.ASYNC_OVERLAP);
                }
                case 5 -> plan(List.of(), List.of(a), List.of(b), 0, List.of(), List.of(), Strategy.ASYMMETRIC_PIPELINE);
                case 6 -> plan(List.of(), List.of(a), List.of(), 0, List.of(), List.of(), Strategy.GPU_ONLY);
                default -> plan(List.of(), gpu, host, 0, List.of(), List.of(), host.isEmpty() ? Strategy.GPU_ONLY : Strategy.ASYNC_OVERLAP);
            };
        }

        private static RequestState find(List<RequestState> gpu, List<RequestState> host, String id) {
            for (RequestState r : gpu) if (r.id().equals(id)) return r;
            for (RequestState r : host) if (r.id().equals(id)) return r;
            throw new IllegalStateException(id + " is not running");
        }

        private static IterationPlan plan(List<PrefillChunk> pre, List<RequestState> gpu, List<RequestState> cpu, int cpuInB0,
                                          List<RequestState> out, List<RequestState> in, Strategy s) {
            return new IterationPlan(pre, gpu, cpu, cpuInB0, out, in, List.of(), s, Double.NaN);
        }
    }

    private record Run(RunResult result, ModelGeometry geometry, double wallSec) {}

    private static Run run(List<RequestSpec> requests, Scheduler scheduler) {
        Backend device = new InstrumentedBackend(Backends.open("cpu", 1), GPU_ATTN_MS);
        Backend host = new InstrumentedBackend(Backends.open("cpu", 1), CPU_ATTN_MS);
        try (LlamaModel model = new LlamaModel(LlamaWeights.load(TinyLlamaOnCpu.fixture(), device), device);
             RealExecutor x = new RealExecutor(model, host, BUDGETS, DType.F32)) {
            Engine engine = new Engine("script", "scripted plans", () -> scheduler, 0);
            long t0 = System.nanoTime();
            RunResult r = new EngineLoop(engine, x, "cpu", x.geometry(), BUDGETS, Predictor.of((op, f) -> 1e-3),
                    RecordOptions.ALL, true).run(requests);
            return new Run(r, x.geometry(), (System.nanoTime() - t0) / 1e9);
        } finally {
            host.close();
            device.close();
        }
    }

    private static List<SubtaskRecord> of(RunResult r, long iteration) {
        return r.subtasks().stream().filter(s -> s.iteration() == iteration).toList();
    }

    private static double sum(List<SubtaskRecord> l, java.util.function.Predicate<SubtaskRecord> which) {
        return l.stream().filter(which).mapToDouble(SubtaskRecord::durationSec).sum();
    }

    @Test
    void busyStallBytesAndOverlapAreTheInjectedAmounts() {
        List<RequestSpec> specs = List.of(new RequestSpec("a", 0, new int[] {5, 9, 14, 2, 7, 3, 11, 20, 4, 8}, 9, SamplingParams.GREEDY),
                new RequestSpec("b", 0, new int[] {6, 1, 12, 19, 3, 3, 8, 15, 2, 10}, 8, SamplingParams.GREEDY));
        Script script = new Script();
        Run run = run(specs, script);
        RunResult r = run.result();
        assertEquals(List.of(), RunChecks.requests(specs, r));
        ModelGeometry g = run.geometry();
        assertEquals(LAYERS, g.layers());
        double gpuAttn = GPU_ATTN_MS / 1e3, cpuAttn = CPU_ATTN_MS / 1e3;
        long qkv = g.qkvBytesPerToken(), out = g.attnOutBytesPerToken(), block = KvCapacity.blockBytes(g, BUDGETS.blockSize());
        for (IterationRecord it : r.iterations().subList(0, 7)) {
            List<SubtaskRecord> sub = of(r, it.iteration());
            String at = "iteration " + it.iteration() + " (" + it.strategy() + ")";
            // busy time is the sum of the recorded spans
            assertEquals(sum(sub, s -> s.resource() == Resource.GPU), it.gpuBusySec(), 1e-9, at + ": GPU busy = its GPU spans");
            assertEquals(sum(sub, s -> s.op() == Op.CPU_DECODE_ATTN), it.cpuBusySec(), 1e-9, at + ": CPU busy = its CPU attention spans");
            int gpuRows = it.gpuDecodes(), cpuRows = it.cpuDecodes();
            int cpuSubBatches = cpuRows == 0 ? 0 : 1;
            // the injected time: every decode attention on each side, once per layer (and sub-batch)
            double gpuFloor = gpuRows > 0 ? LAYERS * gpuAttn : 0, cpuFloor = cpuSubBatches * LAYERS * cpuAttn;
            // and no more than one thread can be busy in the iteration (each side is one thread: nothing counted twice)
            double span = it.endSec() - it.startSec();
            assertTrue(it.gpuBusySec() >= gpuFloor && it.gpuBusySec() <= span, at + ": GPU busy " + it.gpuBusySec() + " in [" + gpuFloor + ", " + span + "]");
            assertTrue(it.cpuBusySec() >= cpuFloor && it.cpuBusySec() <= span, at + ": CPU busy " + it.cpuBusySec() + " in [" + cpuFloor + ", " + span + "]");
            assertTrue(it.gpuBusySec() + it.gpuStallSec() <= span + 1e-9, at + ": busy and stalled device time fit the iteration");
            if (cpuRows == 0) assertEquals(0, it.cpuBusySec(), at);
            for (SubtaskRecord s : sub) {
                if (s.op() == Op.GPU_DECODE_ATTN) assertTrue(s.durationSec() >= gpuAttn, at + ": " + s);
                if (s.op() == Op.CPU_DECODE_ATTN) assertTrue(s.durationSec() >= cpuAttn, at + ": " + s);
            }
            // PCIe: q/k/v down and outputs up for every CPU row and layer, plus the swapped blocks and the CPU prefill's K/V
            Integer swapped = script.swappedBlocks.get(it.iteration());
            long swapOut = it.iteration() == 3 ? swapped * block : 0, swapIn = it.iteration() == 4 ? swapped * block : 0;
            long prefillKv = it.iteration() == 0 ? LAYERS * 10L * g.kvBytesPerTokenPerLayer() : 0;
            assertEquals(LAYERS * cpuRows * qkv + swapOut + prefillKv, it.d2hBytes(), at + ": bytes device to host");
            assertEquals(LAYERS * cpuRows * out + swapIn, it.h2dBytes(), at + ": bytes host to device");
            assertEquals(swapOut + prefillKv, it.swapOutBytes(), at + ": KV out");
            assertEquals(swapIn, it.swapInBytes(), at + ": KV in");
            double overlap = RunChecks.cpuGpuOverlapSec(sub);
            switch ((int) it.iteration()) {
                case 0, 6 -> {
                    assertEquals(0, it.gpuStallSec(), at + ": no CPU rows, no stall");
                    assertEquals(0, overlap, at);
                }
                case 1 -> {
                    // offload: the device waits out every layer's whole CPU attention and never overlaps it
                    assertTrue(it.gpuStallSec() >= LAYERS * cpuAttn, at + ": stall " + it.gpuStallSec());
                    assertEquals(0, overlap, 1e-9, at + ": offload overlaps nothing");
                }
                case 2, 4, 5 -> {
                    // one CPU row beside one GPU row: the GPU attention runs while the host attends
                    assertTrue(overlap >= 0.5 * LAYERS * gpuAttn, at + ": overlap " + overlap + " of " + LAYERS * gpuAttn);
                    assertTrue(it.gpuStallSec() < it.cpuBusySec(), at + ": the GPU attention hid part of the CPU's, stall " + it.gpuStallSec());
                }
                case 3 -> assertTrue(it.gpuStallSec() >= 0.5 * LAYERS * cpuAttn, at + ": nothing on the GPU to hide it behind");
                default -> throw new IllegalStateException();
            }
        }
        assertTrue(script.swappedBlocks.get(3L) >= 1, "a held KV blocks when swapped");
    }

    /**
     * On the real clock the engine waits for arrivals: c arrives 1 s after a, long after a finished (prefill, then one
     * decode of 3 x 30 ms), so the engine idles until then; c's first token follows its arrival by its prefill alone
     * (no decode attention: no injected time), on the run clock that starts at the first arrival.
     */
    @Test
    void theEngineWaitsForArrivalsOnTheRealClock() {
        List<RequestSpec> specs = List.of(new RequestSpec("a", 0, new int[] {5, 9, 14, 2, 7, 3, 11, 20, 4, 8}, 2, SamplingParams.GREEDY),
                new RequestSpec("c", 1.0, new int[] {7, 7, 1}, 2, SamplingParams.GREEDY));
        Scheduler fcfs = ctx -> {
            List<PrefillChunk> pre = new ArrayList<>();
            for (RequestState w : ctx.waiting()) pre.add(PrefillChunk.of(w, w.remainingTokens(), Location.GPU));
            return new IterationPlan(pre, new ArrayList<>(ctx.gpuRunning()), List.of(), 0, List.of(), List.of(), List.of(),
                    Strategy.GPU_ONLY, Double.NaN);
        };
        Run run = run(specs, fcfs);
        assertEquals(List.of(), RunChecks.requests(specs, run.result()));
        RequestRecord a = run.result().requests().get(0), c = run.result().requests().get(1);
        assertTrue(a.tokenTimesSec()[1] < 1.0, "a finished before c arrived: " + a.tokenTimesSec()[1]);
        assertTrue(a.tokenTimesSec()[1] - a.tokenTimesSec()[0] >= LAYERS * GPU_ATTN_MS / 1e3, "a's decode took its injected attention");
        assertEquals(1.0, c.arrivalSec());
        IterationRecord prefill = run.result().iterations().stream().filter(i -> i.prefillTokens() == 3).findFirst().orElseThrow();
        assertTrue(prefill.startSec() >= 1.0, "c's prefill starts at its arrival, not before: " + prefill.startSec());
        double ttft = c.tokenTimesSec()[0] - c.arrivalSec();
        assertTrue(ttft > 0 && ttft < 0.5, "c's TTFT is its prefill, got " + ttft);
        assertEquals(3, run.result().iterations().size() - 1, "a's prefill and decode, c's prefill and decode: no iteration while idle");
        assertTrue(run.wallSec() >= 1.0 && c.tokenTimesSec()[1] <= run.wallSec() + 1e-9,
                "the run waited on the wall clock (" + run.wallSec() + " s) and its token times are on it");
    }
}
