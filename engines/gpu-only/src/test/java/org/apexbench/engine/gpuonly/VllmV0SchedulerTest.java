package org.apexbench.engine.gpuonly;

import static org.apexbench.engine.gpuonly.GpuOnlyPlanTest.FLAT;
import static org.apexbench.engine.gpuonly.GpuOnlyPlanTest.GEO;
import static org.apexbench.engine.gpuonly.GpuOnlyPlanTest.chunks;
import static org.apexbench.engine.gpuonly.GpuOnlyPlanTest.ids;
import static org.apexbench.engine.gpuonly.GpuOnlyPlanTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.workloads.RequestSpec;

/**
 * vLLM V0's chunked-prefill scheduler (gpu-only's default, {@code scheduler=vllm-v0}) in the situations where it differs
 * from {@code scheduler=exact}: a running request needs a free block for the block its step touches, even when that
 * block has room (vLLM's can_append_slots), the newest is preempted otherwise (the request itself when it is the last),
 * the freed blocks take a waiting prompt in the same step, and the watermark is floor(1 % of the pool).
 */
class VllmV0SchedulerTest {
    static IterationPlan v0(SchedulerSnapshot s) { return new VllmV0Scheduler(GpuOnlyScheduler.Preemption.RECOMPUTE).plan(s.context(0, 0)); }

    static IterationPlan exact(SchedulerSnapshot s) { return new GpuOnlyScheduler(GpuOnlyScheduler.Preemption.RECOMPUTE).plan(s.context(0, 0)); }

    /** Two decoding requests, neither needing a new block for its next token, in a pool of {@code blocks} (5 used). */
    static SchedulerSnapshot twoMidBlock(int blocks) {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, blocks, 0, 16), FLAT);
        s.addDecoding(spec("a", 30, 8), Location.GPU, 1, 0);   // 30 KV tokens: 2 blocks, the next token fits
        s.addDecoding(spec("b", 40, 8), Location.GPU, 1, 0);   // 40: 3 blocks, the next token fits
        return s;
    }

    @Test
    void aFullPoolPreemptsTheNewestEvenWhenNoRequestNeedsANewBlock() {
        IterationPlan p = v0(twoMidBlock(5));
        assertEquals(List.of("b"), ids(p.recompute()), "no free block: a's touched block is not free, so b goes");
        assertEquals(List.of("a"), ids(p.gpuDecodes()));
        IterationPlan e = exact(twoMidBlock(5));
        assertEquals(List.of(), ids(e.recompute()), "exact: neither needs a block");
        assertEquals(List.of("a", "b"), ids(e.gpuDecodes()));
    }

    @Test
    void eachRequestIsCheckedAgainstTheBlocksLeftAfterTheOnesBeforeIt() {
        IterationPlan p = v0(twoMidBlock(6));
        assertEquals(List.of("a", "b"), ids(p.gpuDecodes()), "one free block: both touch it, neither takes it");
        assertEquals(List.of(), p.recompute());
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, 4, 0, 16), FLAT);
        s.addDecoding(spec("a", 32, 8), Location.GPU, 1, 0);   // 32 KV tokens: 2 blocks; its next token needs a third
        s.addDecoding(spec("b", 8, 8), Location.GPU, 1, 0);    // 8: 1 block, the next token fits
        IterationPlan q = v0(s);
        assertEquals(List.of("a"), ids(q.gpuDecodes()), "a takes the last free block");
        assertEquals(List.of("b"), ids(q.recompute()), "b, last in the queue, preempts itself though its block has room");
        assertEquals(List.of("a", "b"), ids(exact(s).gpuDecodes()), "exact: one block needed, one free");
    }

    @Test
    void theBlocksAPreemptionFreesTakeAWaitingPromptInTheSameStep() {
        SchedulerSnapshot s = twoMidBlock(5);
        s.addWaiting(spec("w", 20, 4));                        // 2 blocks
        IterationPlan p = v0(s);
        assertEquals(List.of("b"), ids(p.recompute()));
        assertEquals(List.of("w:20"), chunks(p), "b's 3 blocks are free again and w needs 2");
        SchedulerSnapshot t = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, 4, 0, 16), FLAT);
        t.addDecoding(spec("a", 32, 8), Location.GPU, 1, 0);
        t.addDecoding(spec("b", 8, 8), Location.GPU, 1, 0);
        t.addDecoding(spec("c", 8, 8), Location.GPU, 1, 0);   // 4 blocks used, the pool is full
        t.addWaiting(spec("w", 10, 4));
        IterationPlan e = exact(t);
        assertEquals(List.of("c"), ids(e.recompute()), "exact: a needs a block, the newest goes");
        assertEquals(List.of(), chunks(e), "exact admits nothing in a step that preempts");
    }

    @Test
    void theWatermarkIsOnePercentOfThePoolRoundedDown() {
        // NEO's T4 pool: 54 blocks, floor(0.54) = 0 kept free; a 30-block decode leaves 24, and a 24-block prompt fits
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 864, 54, 0, 16), FLAT);
        s.addDecoding(spec("d", 470, 8), Location.GPU, 1, 0);   // 470 KV tokens: 30 blocks, the next fits
        s.addWaiting(spec("w", 384, 4));                         // 24 blocks
        assertEquals(List.of("w:384"), chunks(v0(s)));
        assertEquals(List.of(), chunks(exact(s)), "exact keeps ceil(0.54) = 1 block");
    }

    @Test
    void aLoneRequestIsNeverPreempted() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, 2, 0, 16), FLAT);
        s.addDecoding(spec("a", 30, 8), Location.GPU, 1, 0);    // 2 blocks of 2, the next token fits
        IterationPlan p = v0(s);
        assertEquals(List.of("a"), ids(p.gpuDecodes()));
        assertEquals(List.of(), p.recompute());
    }

    @Test
    void preemptionPressureEndsWithEveryRequestDoneAndMoreRePrefillThanExact() {
        List<RequestSpec> reqs = SimFixture.requests(40, 200, 100, 20, 1);
        int v0 = preemptions(run("vllm-v0", reqs, 60), reqs);
        int exact = preemptions(run("exact", reqs, 60), reqs);
        assertTrue(v0 > exact, "V0 preempts whenever fewer blocks are free than requests touch: " + v0 + " vs " + exact);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPromptThatFillsThePoolInSeveralChunksCompletes() {
        // 63 prompt tokens in chunks of 16 into a 4-block pool: V0 would preempt it at every chunk, for ever
        List<RequestSpec> one = List.of(new RequestSpec("r0", 0, new int[63], 2, org.apexbench.workloads.SamplingParams.GREEDY));
        RunResult r = SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.NONE), SimFixture.LLAMA2_7B, SimFixture.T4,
                Predictor.of(SimFixture.T4), new EngineBudgets(4, 16, 4, 0, 16), one, 1, 0, RecordOptions.ALL);
        assertEquals(List.of(), RunChecks.requests(one, r));
        assertEquals(0, r.requests().getFirst().preemptions());
    }

    @Test
    void theFactoryDefaultsToV0AndRefusesOtherSchedulers() {
        assertTrue(EngineRegistry.create("gpu-only", EngineOptions.NONE).description().contains("scheduler=vllm-v0"));
        assertTrue(EngineRegistry.create("gpu-only", EngineOptions.of("scheduler", "exact")).description().contains("scheduler=exact"));
        var bad = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("gpu-only", EngineOptions.of("scheduler", "v1")));
        assertTrue(bad.getMessage().contains("scheduler"), bad.getMessage());
    }

    private static RunResult run(String scheduler, List<RequestSpec> reqs, int gpuBlocks) {
        return SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.of("scheduler", scheduler)), SimFixture.LLAMA2_7B,
                SimFixture.T4, Predictor.of(SimFixture.T4), new EngineBudgets(64, 512, gpuBlocks, 2000, 16), reqs, 7, 0,
                RecordOptions.ALL);
    }

    private static int preemptions(RunResult r, List<RequestSpec> reqs) {
        assertEquals(List.of(), RunChecks.requests(reqs, r));
        assertEquals(List.of(), RunChecks.exclusiveResources(r.subtasks()));
        return r.requests().stream().mapToInt(RequestRecord::preemptions).sum();
    }
}
