package org.apexbench.engine.runtime;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.PlanBusy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.kernels.DType;
import org.apexbench.model.ModelPresets;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine loop and the simulated executor driven by small scripted schedulers, one strategy at a time. */
class ScriptedSchedulerTest {
    /** Llama-2-7B with 4 layers: 16 KiB of KV per token and layer, 24 KiB of q/k/v, 8 KiB of attention output. */
    static final ModelGeometry GEO = ModelPresets.config("llama-2-7b", 4).geometry(DType.F16, DType.F16);
    static final AnalyticCost COST = new AnalyticCost(405e6, 405e6, 16384, 16384, 262e6, 250e9, 45e12, 60e9, 12e9, 10e-6,
            8e-6, 50e-6);
    static final EngineBudgets B = new EngineBudgets(64, 512, 100, 1000, 16);

    static List<RequestSpec> reqs(int n) {
        List<RequestSpec> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(new RequestSpec("r" + i, 0.001 * i, new int[40 + 7 * i], 5 + i, SamplingParams.GREEDY));
        return l;
    }

    /** Admits everything whole (even requests to the GPU, odd to the host) and decodes all with {@code strategy}. */
    static Scheduler scripted(Strategy strategy) {
        return ctx -> {
            List<PrefillChunk> pre = new ArrayList<>();
            for (RequestState r : ctx.waiting()) pre.add(PrefillChunk.of(r, r.remainingTokens(), r.index() % 2 == 0 ? Location.GPU : Location.HOST));
            List<RequestState> gpu = new ArrayList<>(ctx.gpuRunning());
            List<RequestState> cpu = strategy == Strategy.GPU_ONLY ? List.of() : new ArrayList<>(ctx.hostRunning());
            Strategy s = cpu.isEmpty() && strategy != Strategy.SYMMETRIC_PIPELINE ? Strategy.GPU_ONLY : strategy;
            return new IterationPlan(pre, gpu, cpu, cpu.size() / 2, List.of(), List.of(), List.of(), s, Double.NaN);
        };
    }

    static RunResult run(Scheduler s, List<RequestSpec> r, double launchSec) {
        Engine e = new Engine("scripted", "scripted", () -> s, launchSec);
        return SimRun.simulate(e, GEO, COST, Predictor.of(COST), B, r, 1, 0.1, RecordOptions.ALL);
    }

    @Test
    void everyStrategyKeepsTheInvariants() {
        List<RequestSpec> r = reqs(12);
        for (Strategy s : new Strategy[]{Strategy.ASYNC_OVERLAP, Strategy.ASYMMETRIC_PIPELINE, Strategy.SYMMETRIC_PIPELINE,
                Strategy.OFFLOAD_SERIAL}) {
            for (double launch : new double[]{0, 0.8e-3}) {
                RunResult res = run(scripted(s), r, launch);
                assertEquals(List.of(), RunChecks.requests(r, res), s.name());
                assertEquals(List.of(), RunChecks.exclusiveResources(res.subtasks()), s.name());
                assertEquals(List.of(), RunChecks.dependencies(res.subtasks()), s.name());
                assertTrue(res.subtasks().stream().anyMatch(t -> t.op() == Op.CPU_DECODE_ATTN), s.name());
                double overlap = RunChecks.cpuGpuOverlapSec(res.subtasks());
                if (s == Strategy.OFFLOAD_SERIAL) assertEquals(0, overlap, 1e-12);
                else assertTrue(overlap > 0, s + " must overlap CPU attention with GPU work");
            }
        }
    }

    /**
     * r0 is admitted to the GPU, r1 to the host; GPU-only plans run while r0 decodes, then async overlap serves r1.
     * In every GPU-only iteration the GPU runs its subtasks back to back and nothing runs on the CPU (no attention, no
     * q/k/v or output copies), and r1 gets no token beyond its prefill's until r0 is done.
     */
    @Test
    void gpuOnlyPlansRunStrictlyInSequenceAndHostRequestsWait() {
        List<RequestSpec> r = reqs(2);
        Scheduler gpuFirst = ctx -> {
            List<PrefillChunk> pre = new ArrayList<>();
            for (RequestState w : ctx.waiting()) pre.add(PrefillChunk.of(w, w.remainingTokens(), w.index() % 2 == 0 ? Location.GPU : Location.HOST));
            boolean gpuBusy = !ctx.gpuRunning().isEmpty() || pre.stream().anyMatch(c -> c.pool() == Location.GPU);
            List<RequestState> cpu = gpuBusy ? List.of() : new ArrayList<>(ctx.hostRunning());
            return new IterationPlan(pre, new ArrayList<>(ctx.gpuRunning()), cpu, 0, List.of(), List.of(), List.of(),
                    cpu.isEmpty() ? Strategy.GPU_ONLY : Strategy.ASYNC_OVERLAP, Double.NaN);
        };
        RunResult res = run(gpuFirst, r, 0);
        assertEquals(List.of(), RunChecks.requests(r, res));
        int gpuOnly = 0;
        for (var it : res.iterations()) {
            List<SubtaskRecord> sub = res.subtasks().stream().filter(t -> t.iteration() == it.iteration()).toList();
            if (!it.strategy().equals("GPU_ONLY")) continue;
            gpuOnly++;
            assertEquals(0, it.cpuDecodes());
            // no CPU attention and no q/k/v or output copies (r1's CPU prefill may stream its K/V out, off the GPU)
            assertTrue(sub.stream().noneMatch(t -> t.resource() == Resource.CPU_ATTN || t.op() == Op.QKV_D2H || t.op() == Op.ATTN_OUT_H2D),
                    "GPU-only: no CPU attention: " + sub);
            List<SubtaskRecord> gpu = sub.stream().filter(t -> t.resource() == Resource.GPU).toList();
            for (int i = 1; i < gpu.size(); i++) assertEquals(gpu.get(i - 1).endSec(), gpu.get(i).startSec(), 1e-12, "back to back");
        }
        assertEquals(5, gpuOnly, "r0's prefill and its four decodes (r1 prefilled beside the first)");
        double[] r0 = res.requests().get(0).tokenTimesSec(), r1 = res.requests().get(1).tokenTimesSec();
        assertEquals(r0[1], r1[0], "r1 prefilled in r0's first decode iteration");
        assertTrue(r1[1] > r0[r0.length - 1], "r1 decodes only after r0's last token: " + r1[1] + " vs " + r0[r0.length - 1]);
        assertTrue(res.iterations().stream().skip(5).allMatch(i -> i.strategy().equals("ASYNC_OVERLAP") && i.cpuDecodes() == 1));
    }

    @Test
    void aSchedulerThatStallsIsAClearError() {
        Scheduler idle = ctx -> new IterationPlan(List.of(), List.of(), List.of(), 0, List.of(), List.of(), List.of(),
                Strategy.GPU_ONLY, Double.NaN);
        var e = assertThrows(IllegalStateException.class, () -> run(idle, reqs(2), 0));
        assertTrue(e.getMessage().contains("stalled") && e.getMessage().contains("2 waiting"), e.getMessage());
    }

    @Test
    void planErrorsNameTheRequest() {
        Function<SchedulerContext, IterationPlan> twice = ctx -> {
            RequestState r = ctx.waiting().getFirst();
            return new IterationPlan(List.of(PrefillChunk.of(r, 5, Location.GPU), PrefillChunk.of(r, 5, Location.GPU)),
                    List.of(), List.of(), 0, List.of(), List.of(), List.of(), Strategy.GPU_ONLY, Double.NaN);
        };
        var e1 = assertThrows(IllegalStateException.class, () -> run(twice::apply, reqs(1), 0));
        assertTrue(e1.getMessage().contains("r0") && e1.getMessage().contains("twice"), e1.getMessage());
        Scheduler greedy = ctx -> {
            List<PrefillChunk> pre = new ArrayList<>();
            for (RequestState r : ctx.waiting()) pre.add(PrefillChunk.of(r, r.remainingTokens(), Location.GPU));
            return new IterationPlan(pre, List.of(), List.of(), 0, List.of(), List.of(), List.of(), Strategy.GPU_ONLY, Double.NaN);
        };
        List<RequestSpec> big = List.of(new RequestSpec("a", 0, new int[900], 2, SamplingParams.GREEDY),
                new RequestSpec("b", 0, new int[900], 2, SamplingParams.GREEDY));
        var e2 = assertThrows(IllegalStateException.class, () -> run(greedy, big, 0));
        assertTrue(e2.getMessage().contains("GPU KV pool exhausted") && e2.getMessage().contains("request b"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> new IterationPlan(List.of(), List.of(),
                List.of(new SchedulerSnapshot(GEO, B, Predictor.of(COST)).addDecoding(
                        new RequestSpec("c", 0, new int[4], 4, SamplingParams.GREEDY), Location.HOST, 1, 0)),
                0, List.of(), List.of(), List.of(), Strategy.GPU_ONLY, Double.NaN));
        assertTrue(e3.getMessage().contains("GPU_ONLY"), e3.getMessage());
    }

    @Test
    void memoryBudgetsAndTheirErrors() {
        ModelGeometry g = ModelPresets.geometry("llama-2-7b");
        assertEquals(13_476_831_232L, g.totalWeightBytes());
        EngineBudgets b = EngineBudgets.fromMemory(g, 17_179_869_184L, 1_717_986_918L, 20_000_000_000L, 256, 2048);
        assertEquals((17_179_869_184L - 13_476_831_232L - 1_717_986_918L) / (512L * 1024 * 16), b.gpuKvBlocks());
        assertEquals(20_000_000_000L / (512L * 1024 * 16), b.hostKvBlocks());
        var e = assertThrows(IllegalArgumentException.class, () -> EngineBudgets.fromMemory(g, 14_000_000_000L, 1_000_000_000L, 0, 1, 1));
        assertTrue(e.getMessage().contains("llama-2-7b") && e.getMessage().contains("weights 13.48 GB"), e.getMessage());
    }

    @Test
    void blockPoolsKeepRequestsContiguousAndCountRuns() {
        assertEquals(1, BlockPool.runs(new int[]{4, 5, 6}));
        assertEquals(3, BlockPool.runs(new int[]{1, 2, 7, 9}));
        assertEquals(0, BlockPool.runs(new int[0]));
    }
}
