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

    @Test
    void gpuOnlyPlansRunStrictlyInSequenceAndHostRequestsWait() {
        List<RequestSpec> r = reqs(2).subList(0, 1);
        RunResult res = run(scripted(Strategy.GPU_ONLY), r, 0);
        List<SubtaskRecord> gpu = res.subtasks().stream().filter(t -> t.resource() == Resource.GPU).toList();
        for (int i = 1; i < gpu.size(); i++) assertEquals(gpu.get(i - 1).endSec(), gpu.get(i).startSec(), 1e-12);
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
