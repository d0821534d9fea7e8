package org.apexbench.engine.gpuonly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * What gpu-only's {@code scheduler=exact} plans in hand-built situations (docs/engines.md#gpu-only): decodes first, then chunked prefills
 * under the token budget, FCFS admission that stops at the first request that does not fit and keeps a 1% free-block
 * watermark, the newest request preempted when the pool cannot give every running one its next token (by recompute,
 * or with preemption=swap by swapping its KV out when it is decoding and the host has room), and swapped requests
 * brought back oldest first before anything new is admitted.
 */
class GpuOnlyPlanTest {
    static final ModelGeometry GEO = new ModelGeometry("m", 2, 8, 8, 1, 1, 50, 8, 8192, false, 1, 1, 2);
    static final Predictor FLAT = Predictor.of((op, f) -> 1e-3);

    static RequestSpec spec(String id, int prompt, int out) { return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY); }

    static IterationPlan plan(SchedulerSnapshot s, GpuOnlyScheduler.Preemption p) { return new GpuOnlyScheduler(p).plan(s.context(0, 0)); }

    static IterationPlan plan(SchedulerSnapshot s) { return plan(s, GpuOnlyScheduler.Preemption.RECOMPUTE); }

    static List<String> ids(List<RequestState> l) { return l.stream().map(RequestState::id).toList(); }

    static List<String> chunks(IterationPlan p) { return p.prefills().stream().map(c -> c.request().id() + ":" + c.length()).toList(); }

    @Test
    void decodesComeFirstThenPrefillsFillTheTokenBudget() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 10, 100, 0, 16), FLAT);
        s.addDecoding(spec("d1", 10, 8), Location.GPU, 1, 0);
        s.addDecoding(spec("d2", 10, 8), Location.GPU, 2, 0);
        s.addDecoding(spec("d3", 10, 8), Location.GPU, 3, 0);
        s.addWaiting(spec("w1", 20, 4));
        s.addWaiting(spec("w2", 5, 4));
        IterationPlan p = plan(s);
        assertEquals(List.of("d1", "d2", "d3"), ids(p.gpuDecodes()));
        assertEquals(List.of("w1:7"), chunks(p), "7 tokens left after 3 decodes: a chunk of w1, and FCFS leaves w2 waiting");
        assertEquals(Strategy.GPU_ONLY, p.strategy());
        assertEquals(List.of(), p.cpuDecodes());
        assertEquals(Location.GPU, p.prefills().getFirst().pool());
        assertTrue(Double.isNaN(p.predictedSec()));
    }

    @Test
    void aWholePromptWithinTheBudgetIsAdmittedAndTheNextOneWaitsItsTurn() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 30, 100, 0, 16), FLAT);
        s.addWaiting(spec("w1", 12, 4));
        s.addWaiting(spec("w2", 18, 4));
        s.addWaiting(spec("w3", 1, 4));
        assertEquals(List.of("w1:12", "w2:18"), chunks(plan(s)), "exactly the 30-token budget");
    }

    @Test
    void admissionKeepsAOnePercentWatermarkOfFreeBlocks() {
        // 200 blocks: the watermark is 2 blocks; 193 blocks are used by a decoding request
        SchedulerSnapshot tight = new SchedulerSnapshot(GEO, new EngineBudgets(16, 4096, 200, 0, 16), FLAT);
        tight.addDecoding(spec("big", 3087, 8), Location.GPU, 1, 0);  // 3087 KV tokens: 193 blocks
        tight.addWaiting(spec("w", 65, 2));                            // 5 blocks: 7 free - 2 kept = 5, it fits
        assertEquals(List.of("w:65"), chunks(plan(tight)));
        SchedulerSnapshot tighter = new SchedulerSnapshot(GEO, new EngineBudgets(16, 4096, 200, 0, 16), FLAT);
        tighter.addDecoding(spec("big", 3087, 8), Location.GPU, 1, 0);
        tighter.addWaiting(spec("w", 81, 2));                          // 6 blocks: more than 7 - 2
        assertEquals(List.of(), chunks(plan(tighter)));
        assertEquals(List.of("big"), ids(plan(tighter).gpuDecodes()), "the decode still runs");
    }

    @Test
    void noAdmissionBeyondMaxRunning() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(2, 512, 100, 0, 16), FLAT);
        s.addDecoding(spec("d1", 10, 8), Location.GPU, 1, 0);
        s.addWaiting(spec("w1", 10, 4));
        s.addWaiting(spec("w2", 10, 4));
        assertEquals(List.of("w1:10"), chunks(plan(s)), "one more makes two running");
    }

    /** Three decoding requests holding 7 blocks, the two newest needing a new block for their next token. */
    static SchedulerSnapshot full(int gpuBlocks, int hostBlocks) {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, gpuBlocks, hostBlocks, 16), FLAT);
        s.addDecoding(spec("old", 31, 8), Location.GPU, 1, 0);   // 31 KV tokens, 2 blocks; its next token still fits
        s.addDecoding(spec("mid", 31, 8), Location.GPU, 2, 0);   // 32 KV tokens, 2 blocks; the next needs a third
        s.addDecoding(spec("new", 47, 8), Location.GPU, 2, 0);   // 48 KV tokens, 3 blocks; the next needs a fourth
        return s;
    }

    @Test
    void theNewestRequestIsPreemptedByRecomputeUntilTheRestFit() {
        IterationPlan fits = plan(full(9, 0));
        assertEquals(List.of("old", "mid", "new"), ids(fits.gpuDecodes()), "7 used, 2 free: both new blocks fit");
        IterationPlan one = plan(full(8, 0));
        assertEquals(List.of("new"), ids(one.recompute()), "1 free: dropping the newest frees its 3 blocks");
        assertEquals(List.of("old", "mid"), ids(one.gpuDecodes()));
        assertEquals(List.of(), one.swapOut());
        assertEquals(List.of(), one.prefills(), "nothing is admitted in an iteration that preempts");
        IterationPlan none = plan(full(7, 0));
        assertEquals(List.of("new"), ids(none.recompute()), "0 free: the newest's 3 blocks are enough for mid's one");
        SchedulerSnapshot two = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, 4, 0, 16), FLAT);
        two.addDecoding(spec("a", 32, 8), Location.GPU, 1, 0);    // 32 KV tokens: 2 blocks, the next needs a third
        two.addDecoding(spec("b", 16, 8), Location.GPU, 1, 0);    // 16: 1 block, the next needs a second
        two.addDecoding(spec("c", 16, 8), Location.GPU, 1, 0);
        IterationPlan p = plan(two);
        assertEquals(List.of("c", "b"), ids(p.recompute()), "newest first, until the oldest fits");
        assertEquals(List.of("a"), ids(p.gpuDecodes()));
    }

    @Test
    void withSwapTheVictimsKvGoesToTheHostWhenItFits() {
        IterationPlan swap = plan(full(8, 3), GpuOnlyScheduler.Preemption.SWAP);
        assertEquals(List.of("new"), ids(swap.swapOut()));
        assertEquals(List.of(), swap.recompute());
        IterationPlan noRoom = plan(full(8, 2), GpuOnlyScheduler.Preemption.SWAP);
        assertEquals(List.of("new"), ids(noRoom.recompute()), "2 host blocks cannot hold 3: recompute");
        assertEquals(List.of(), noRoom.swapOut());
    }

    @Test
    void swappedRequestsComeBackOldestFirstBeforeAnyNewAdmission() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, 10, 20, 16), FLAT);
        RequestState a = s.addDecoding(spec("a", 40, 8), Location.HOST, 1, 0);    // 41 context: 3 blocks back
        RequestState b = s.addDecoding(spec("b", 100, 8), Location.HOST, 1, 0);   // 101 context: 7 blocks back
        s.addWaiting(spec("w", 10, 4));
        IterationPlan p = plan(s);
        assertEquals(List.of("a"), ids(p.swapIn()), "10 free, watermark 1: a (3) fits, then b (7) does not");
        assertEquals(List.of("a"), ids(p.gpuDecodes()), "a swapped-in request decodes in the same iteration");
        assertEquals(List.of(), p.prefills(), "w waits while b waits for the GPU");
        assertEquals(List.of(), ids(p.recompute()));
        assertTrue(a.index() < b.index());
        SchedulerSnapshot roomy = new SchedulerSnapshot(GEO, new EngineBudgets(16, 512, 12, 20, 16), FLAT);
        roomy.addDecoding(spec("a", 40, 8), Location.HOST, 1, 0);
        roomy.addDecoding(spec("b", 100, 8), Location.HOST, 1, 0);
        roomy.addWaiting(spec("w", 20, 4));
        IterationPlan both = plan(roomy);
        assertEquals(List.of("a", "b"), ids(both.swapIn()), "3 + 7 + watermark 1 <= 12");
        assertEquals(List.of(), chunks(both), "one block left above the watermark: w's 20 tokens need two");
    }

    @Test
    void theFactoryOffersRecomputeAndSwapAndRefusesAnythingElse() {
        assertTrue(EngineRegistry.create("gpu-only", EngineOptions.NONE).description().contains("preemption=recompute"));
        assertTrue(EngineRegistry.create("gpu-only", EngineOptions.of("preemption", "swap")).description().contains("preemption=swap"));
        assertEquals(0, EngineRegistry.create("gpu-only", EngineOptions.NONE).launchSecPerStage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("gpu-only", EngineOptions.of("margin", "2")));
        assertTrue(unknown.getMessage().contains("unknown option(s) [margin]"), unknown.getMessage());
        var wrongId = assertThrows(IllegalArgumentException.class, () -> new GpuOnlyEngines().create("apex", EngineOptions.NONE));
        assertTrue(wrongId.getMessage().contains("does not offer engine apex"), wrongId.getMessage());
        assertEquals(List.of("gpu-only"), new GpuOnlyEngines().ids());
    }
}
