package org.apexbench.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.InfeasibleRequestException;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * The engine loop against an executor whose every iteration lasts exactly one second and samples known token ids:
 * when tokens are timed, where the clock goes between arrivals, what the scheduler sees (queues in their documented
 * order, the clock, the pools), what preemption and swaps do to requests and pools, what is recorded, and the
 * errors a broken plan gets.
 */
class EngineLoopTest {
    /** 2 layers of 100 KV bytes per token (one KV head of 25 fp16 elements), 4096 positions. */
    static final ModelGeometry GEO = new ModelGeometry("m", 2, 8, 8, 1, 1, 25, 8, 4096, false, 1, 2);
    static final EngineBudgets B = new EngineBudgets(8, 512, 10, 10, 16);
    static final Predictor FLAT = Predictor.of((op, f) -> 1e-3);

    /** One second per iteration; sampled token of row r in iteration i is 1000 i + r; one subtask record each. */
    static final class Clockwork implements Executor {
        final List<IterationPlan> plans = new ArrayList<>();
        final List<List<SwapMove>> swaps = new ArrayList<>();
        final List<Double> starts = new ArrayList<>();

        @Override
        public IterationOutcome execute(IterationPlan plan, List<SwapMove> moves, long iteration, double startSec,
                                        Consumer<SubtaskRecord> sink) {
            plans.add(plan);
            swaps.add(List.copyOf(moves));
            starts.add(startSec);
            if (sink != null) sink.accept(new SubtaskRecord(iteration, -1, 0, Op.EMBED, Resource.GPU, 1, 0, 0, startSec, startSec + 1, Double.NaN));
            int rows = plan.gpuDecodes().size() + plan.cpuDecodes().size();
            for (PrefillChunk c : plan.prefills()) if (c.completes()) rows++;
            int[] sampled = new int[rows];
            for (int r = 0; r < rows; r++) sampled[r] = (int) (1000 * iteration + r);
            return new IterationOutcome(startSec + 1, 0.5, 0.25, 0.125, 10, 20, 3, 4, sampled);
        }
    }

    static RequestSpec spec(String id, double arrival, int prompt, int out) {
        return new RequestSpec(id, arrival, new int[prompt], out, SamplingParams.GREEDY);
    }

    static IterationPlan plan(List<PrefillChunk> prefills, List<RequestState> gpu, List<RequestState> cpu, List<RequestState> swapOut,
                              List<RequestState> swapIn, List<RequestState> recompute) {
        Strategy s = cpu.isEmpty() ? Strategy.GPU_ONLY : Strategy.ASYNC_OVERLAP;
        return new IterationPlan(prefills, gpu, cpu, 0, swapOut, swapIn, recompute, s, 0.75);
    }

    /** Prefills every waiting request whole on the GPU, decodes every running one where it lives. */
    static IterationPlan everything(SchedulerContext ctx) {
        List<PrefillChunk> pre = new ArrayList<>();
        for (RequestState r : ctx.waiting()) pre.add(PrefillChunk.of(r, r.remainingTokens(), Location.GPU));
        return plan(pre, ctx.gpuRunning(), ctx.hostRunning(), List.of(), List.of(), List.of());
    }

    static RunResult run(Function<SchedulerContext, IterationPlan> scheduler, List<RequestSpec> specs, Executor executor,
                         RecordOptions records) {
        Engine e = new Engine("scripted", "a scripted scheduler", () -> scheduler::apply, 0);
        return new EngineLoop(e, executor, "clockwork", GEO, B, FLAT, records, true).run(specs);
    }

    static double[] times(RunResult r, String id) {
        return r.requests().stream().filter(q -> q.id().equals(id)).findFirst().orElseThrow().tokenTimesSec();
    }

    @Test
    void tokensAreTimedAtIterationEndsAndAnIdleLoopJumpsToTheNextArrival() {
        List<Double> seenNow = new ArrayList<>();
        List<Long> seenIteration = new ArrayList<>();
        Clockwork x = new Clockwork();
        RunResult r = run(ctx -> {
            seenNow.add(ctx.nowSec());
            seenIteration.add(ctx.iteration());
            return everything(ctx);
        }, List.of(spec("a", 0.5, 20, 3), spec("b", 10.5, 5, 2)), x, RecordOptions.DEFAULT);
        assertArrayEquals(new double[] {1.5, 2.5, 3.5}, times(r, "a"));
        assertArrayEquals(new double[] {11.5, 12.5}, times(r, "b"));
        assertEquals(List.of(0.5, 1.5, 2.5, 10.5, 11.5), seenNow, "the scheduler plans at each iteration's start");
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), seenIteration);
        assertEquals(seenNow, x.starts, "the executor starts where the loop's clock is");
        assertEquals(12.0, r.durationSec(), 1e-12, "first arrival to last token");
        assertEquals(5, r.outputTokens());
        assertEquals("scripted", r.engine());
        assertEquals("a scripted scheduler", r.description());
        assertEquals("clockwork", r.executor());
        assertSame(B, r.budgets());
        RequestRecord a = r.requests().getFirst();
        assertEquals(0.5, a.arrivalSec());
        assertEquals(20, a.promptTokens());
        assertEquals(3, a.targetOutputTokens());
        List<IterationRecord> it = r.iterations();
        assertEquals(5, it.size());
        IterationRecord first = it.getFirst();
        assertEquals(0, first.iteration());
        assertEquals(0.5, first.startSec());
        assertEquals(1.5, first.endSec());
        assertEquals("GPU_ONLY", first.strategy());
        assertEquals(20, first.prefillTokens());
        assertEquals(0, first.gpuDecodes());
        assertEquals(0.75, first.predictedSec());
        assertEquals(0.5, first.gpuBusySec());
        assertEquals(0.25, first.cpuBusySec());
        assertEquals(0.125, first.gpuStallSec());
        assertEquals(10, first.h2dBytes());
        assertEquals(20, first.d2hBytes());
        assertEquals(3, first.swapInBytes());
        assertEquals(4, first.swapOutBytes());
        assertEquals(2, first.gpuKvBlocksUsed(), "20 prompt tokens in 16-token blocks");
        assertEquals(1, first.running());
        assertEquals(0, first.waiting());
        assertEquals(1, it.get(1).gpuDecodes());
        assertEquals(0, it.get(2).gpuKvBlocksUsed(), "a finished request gives its blocks back");
        assertEquals(0, it.get(2).running());
        assertEquals(10.5, it.get(3).startSec());
    }

    @Test
    void tokenIdsAreCommittedInPlanOrderSkippingChunksThatDoNotComplete() {
        Map<String, RequestState> states = new HashMap<>();
        Clockwork x = new Clockwork();
        run(ctx -> {
            ctx.waiting().forEach(q -> states.put(q.id(), q));
            List<PrefillChunk> pre = new ArrayList<>();
            // "long" (40 tokens) in chunks of 16: iterations 0 and 1 sample nothing for it
            for (RequestState q : ctx.waiting()) pre.add(PrefillChunk.of(q, Math.min(16, q.remainingTokens()), Location.GPU));
            for (RequestState q : ctx.gpuRunning()) if (!q.decoding() && q.remainingTokens() > 0) pre.add(PrefillChunk.of(q, Math.min(16, q.remainingTokens()), Location.GPU));
            List<RequestState> decodes = ctx.gpuRunning().stream().filter(RequestState::decoding).toList();
            return plan(pre, decodes, List.of(), List.of(), List.of(), List.of());
        }, List.of(spec("long", 0, 40, 2), spec("short", 0, 8, 4)), x, RecordOptions.DEFAULT);
        // iteration 0: long chunk (no token), short completes (row 0 -> 0); 1: long chunk, short decode (row 0 -> 1000);
        // 2: long completes (row 0 -> 2000), short decode (row 1 -> 2001); 3: both decode (3000, 3001)
        assertArrayEquals(new int[] {2000, 3000}, states.get("long").outputIds());
        assertArrayEquals(new int[] {0, 1000, 2001, 3001}, states.get("short").outputIds());
        assertEquals(List.of(16, 8), x.plans.getFirst().prefills().stream().map(PrefillChunk::length).toList());
    }

    @Test
    void waitingIsInArrivalOrderAndAnEmptyPlanWaitsForTheNextArrival() {
        List<List<String>> seen = new ArrayList<>();
        RunResult r = run(ctx -> {
            if (ctx.waiting().size() < 4) return plan(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
            seen.add(ctx.waiting().stream().map(RequestState::id).toList());
            return everything(ctx);
        }, List.of(spec("c", 0.3, 4, 1), spec("a", 0.0, 4, 1), spec("b", 0.2, 4, 1), spec("d", 0.2, 4, 1)), new Clockwork(),
                RecordOptions.DEFAULT);
        assertEquals(List.of(List.of("a", "b", "d", "c")), seen, "by arrival, ties in list order");
        assertArrayEquals(new double[] {1.3}, times(r, "a"), "planned when the last one arrived");
        assertEquals(1.3, r.durationSec(), 1e-12);
    }

    @Test
    void recomputeDropsTheKvAndRequeuesInArrivalOrderThenReprefillsTheGeneratedTokens() {
        Map<String, RequestState> states = new HashMap<>();
        List<String> waitingAfterPreemption = new ArrayList<>();
        List<Integer> gpuUsedAfterPreemption = new ArrayList<>();
        Clockwork x = new Clockwork();
        RunResult r = run(ctx -> {
            ctx.waiting().forEach(q -> states.put(q.id(), q));
            if (ctx.iteration() == 1) {
                return plan(List.of(), List.of(states.get("a")), List.of(), List.of(), List.of(), List.of(states.get("c"), states.get("b")));
            }
            if (ctx.iteration() == 2) {
                ctx.waiting().forEach(q -> waitingAfterPreemption.add(q.id()));
                gpuUsedAfterPreemption.add(ctx.kv().gpuUsed());
                RequestState b = states.get("b");
                assertEquals(0, b.kvTokens());
                assertEquals(0, b.blocks());
                assertEquals(Location.NONE, b.location());
                assertEquals(RequestState.Phase.WAITING, b.phase(), "back in the queue");
                assertEquals(1, b.generated(), "what was generated stays generated");
                assertEquals(17, b.remainingTokens(), "prompt + the generated token are prefilled again");
            }
            return everything(ctx);
        }, List.of(spec("a", 0, 16, 3), spec("b", 0, 16, 3), spec("c", 0, 16, 3)), x, RecordOptions.DEFAULT);
        assertEquals(List.of("b", "c"), waitingAfterPreemption);
        assertEquals(List.of(2), gpuUsedAfterPreemption, "only a's blocks are left (17 tokens after its decode)");
        assertEquals(List.of(17, 17), x.plans.get(2).prefills().stream().map(PrefillChunk::length).toList());
        assertEquals(List.of(0, 1, 1), r.requests().stream().map(RequestRecord::preemptions).toList());
        assertArrayEquals(new double[] {1, 3, 4}, times(r, "b"), "token 1 before the preemption, 2 after the re-prefill");
        assertArrayEquals(new int[] {1, 2000, 3000}, states.get("b").outputIds(), "a finished in iteration 2: b is row 0 of 3");
        assertTrue(r.requests().stream().allMatch(RequestRecord::succeeded));
    }

    @Test
    void swapsMoveWholeBlockTablesBetweenPoolsAndHostVictimsGoToTheFront() {
        Map<String, RequestState> states = new HashMap<>();
        List<List<String>> hostQueues = new ArrayList<>();
        List<int[]> usage = new ArrayList<>();
        Clockwork x = new Clockwork();
        RunResult r = run(ctx -> {
            ctx.waiting().forEach(q -> states.put(q.id(), q));
            hostQueues.add(ctx.hostRunning().stream().map(RequestState::id).toList());
            usage.add(new int[] {ctx.kv().gpuUsed(), ctx.kv().hostUsed(), ctx.runningCount()});
            RequestState a = states.get("a"), b = states.get("b");
            return switch ((int) ctx.iteration()) {
                case 1 -> plan(List.of(), List.of(a), List.of(), List.of(b), List.of(), List.of());
                case 2 -> plan(List.of(), List.of(), List.of(b), List.of(a), List.of(), List.of());
                case 3 -> plan(List.of(), List.of(), List.of(a, b), List.of(), List.of(), List.of());
                case 4 -> plan(List.of(), List.of(), List.of(b), List.of(), List.of(a), List.of());
                default -> everything(ctx);
            };
        }, List.of(spec("a", 0, 20, 6), spec("b", 0, 40, 6)), x, RecordOptions.DEFAULT);
        // iteration 0 gave a blocks 0,1 and b blocks 2,3,4; b's swap-out takes host blocks 0..2
        Executor.SwapMove out = x.swaps.get(1).getFirst();
        assertSame(states.get("b"), out.request());
        assertEquals(Location.GPU, out.from());
        assertArrayEquals(new int[] {2, 3, 4}, out.fromBlocks());
        assertArrayEquals(new int[] {0, 1, 2}, out.toBlocks());
        assertEquals(3, out.blocks());
        assertEquals(List.of("a", "b"), hostQueues.get(3), "the newest victim goes to the front of the host queue");
        assertArrayEquals(new int[] {0, 5, 2}, usage.get(3), "both on the host: 2 + 3 blocks, GPU empty");
        Executor.SwapMove in = x.swaps.get(4).getFirst();
        assertEquals(Location.HOST, in.from());
        assertArrayEquals(new int[] {3, 4}, in.fromBlocks());
        assertArrayEquals(new int[] {0, 1}, in.toBlocks());
        assertArrayEquals(new int[] {2, 3, 2}, usage.get(5), "a back on the GPU (2 blocks), b on the host (3)");
        assertEquals(List.of(1, 1), r.requests().stream().map(RequestRecord::preemptions).toList(), "a swap-out is a preemption");
        assertEquals(List.of(1, 5), r.requests().stream().map(RequestRecord::cpuDecodeSteps).toList());
        assertEquals(List.of(0, 0, 1, 2, 1), r.iterations().stream().limit(5).map(IterationRecord::cpuDecodes).toList());
        assertEquals(List.of(0, 3, 5, 5, 3), r.iterations().stream().limit(5).map(IterationRecord::hostKvBlocksUsed).toList());
    }

    @Test
    void closedLoopClientsSendTheirNextRequestWhenThePreviousOneFinished() {
        Engine e = new Engine("scripted", "s", () -> EngineLoopTest::everything, 0);
        List<RequestSpec> specs = List.of(spec("a", 50, 4, 1), spec("b", 50, 4, 3), spec("c", 50, 4, 1), spec("d", 50, 4, 1));
        RunResult r = new EngineLoop(e, new Clockwork(), "clockwork", GEO, B, FLAT, RecordOptions.DEFAULT, false).run(specs, 2);
        assertEquals(List.of(0.0, 0.0, 1.0, 2.0), r.requests().stream().map(RequestRecord::arrivalSec).toList(),
                "c replaces a when a finishes at 1; d replaces c at 2");
        assertArrayEquals(new double[] {1, 2, 3}, times(r, "b"));
        assertArrayEquals(new double[] {3}, times(r, "d"));
        assertEquals(3.0, r.durationSec(), 1e-12, "a closed loop starts at 0, not at the specs' arrival times");
        var bad = assertThrows(IllegalArgumentException.class,
                () -> new EngineLoop(e, new Clockwork(), "c", GEO, B, FLAT, RecordOptions.DEFAULT, false).run(specs, -1));
        assertTrue(bad.getMessage().contains("closed-loop concurrency"), bad.getMessage());
    }

    @Test
    void progressIsReportedAsEachRequestFinishesEvenWithinOneIteration() {
        Engine e = new Engine("scripted", "s", () -> EngineLoopTest::everything, 0);
        List<String> calls = new ArrayList<>();
        new EngineLoop(e, new Clockwork(), "clockwork", GEO, B, FLAT, RecordOptions.DEFAULT, false)
                .onProgress((done, total) -> calls.add(done + "/" + total))
                .run(List.of(spec("a", 0, 4, 1), spec("b", 0, 4, 3), spec("c", 0, 4, 3)));
        assertEquals(List.of("1/3", "2/3", "3/3"), calls, "b and c finish in the same iteration, one report each");
    }

    @Test
    void onlyTheRecordedWindowKeepsSubtasksAndIterationRecordsCanBeOff() {
        List<RequestSpec> specs = List.of(spec("a", 0, 4, 5));
        RunResult windowed = run(EngineLoopTest::everything, specs, new Clockwork(), new RecordOptions(true, 1, 3));
        assertEquals(List.of(1L, 2L), windowed.subtasks().stream().map(SubtaskRecord::iteration).toList());
        RunResult none = run(EngineLoopTest::everything, specs, new Clockwork(), new RecordOptions(false, 0, 0));
        assertEquals(List.of(), none.iterations());
        assertEquals(List.of(), none.subtasks());
        assertEquals(5, none.outputTokens());
    }

    @Test
    void theSchedulerObservesEveryPlanWithItsOutcome() {
        List<String> observed = new ArrayList<>();
        Scheduler s = new Scheduler() {
            @Override public IterationPlan plan(SchedulerContext ctx) { return everything(ctx); }

            @Override public void observe(IterationPlan plan, IterationOutcome outcome) {
                observed.add(plan.rowsAdvanced() + "@" + outcome.endSec());
            }
        };
        Engine e = new Engine("scripted", "s", () -> s, 0);
        new EngineLoop(e, new Clockwork(), "clockwork", GEO, B, FLAT, RecordOptions.DEFAULT, false)
                .run(List.of(spec("a", 0, 4, 2), spec("b", 0, 4, 1)));
        assertEquals(List.of("2@1.0", "1@2.0"), observed);
    }

    @Test
    void requestsThatCanNeverBeServedAreRejectedOnTheirOwnNamingWhy() {
        RunResult r = run(EngineLoopTest::everything,
                List.of(spec("ok", 0, 4, 1), spec("huge", 0, 4000, 97), spec("edge", 0, 4000, 96)), new Clockwork(),
                RecordOptions.DEFAULT);
        java.util.Map<String, RequestRecord> byId = new java.util.HashMap<>();
        for (RequestRecord rec : r.requests()) byId.put(rec.id(), rec);
        assertTrue(byId.get("ok").succeeded(), "a servable request beside them is served");
        assertEquals(1, byId.get("ok").tokenTimesSec().length);
        String huge = byId.get("huge").failureReason();
        assertTrue(huge.startsWith(RequestRecord.REJECTED) && huge.contains("prompt 4000 + output 97 tokens exceed model m's 4096 positions"), huge);
        // exactly the model's context is within its positions: only the GPU pool refuses it
        String edge = byId.get("edge").failureReason();
        assertTrue(edge.startsWith(RequestRecord.REJECTED) && edge.contains("needs 256 GPU KV blocks"), edge);
        List<RequestSpec> big = new ArrayList<>();
        for (int i = 0; i < 7; i++) big.add(spec("big" + i, 0, 160, 2));  // 161 tokens = 11 blocks > 10
        RunResult pool = run(EngineLoopTest::everything, big, new Clockwork(), RecordOptions.DEFAULT);
        assertEquals(7, pool.requests().size(), "every rejected request is recorded");
        for (RequestRecord rec : pool.requests()) {
            assertTrue(rec.failureReason().contains("needs 11 GPU KV blocks (161 tokens) but the GPU pool has 10"), rec.failureReason());
        }
        assertEquals(0, pool.outputTokens());
        assertEquals(2, run(EngineLoopTest::everything, List.of(spec("fits", 0, 159, 2)), new Clockwork(), RecordOptions.DEFAULT)
                .outputTokens(), "160 tokens = 10 blocks fit");
    }

    @Test
    void plansThatBreakTheRulesFailNamingTheRequest() {
        List<RequestSpec> one = List.of(spec("a", 0, 20, 3));
        var gap = assertThrows(IllegalStateException.class, () -> run(ctx -> plan(
                List.of(new PrefillChunk(ctx.waiting().getFirst(), 4, 8, Location.GPU)), List.of(), List.of(), List.of(), List.of(),
                List.of()), one, new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(gap.getMessage().contains("prefill chunk 4+8 of Request[a") && gap.getMessage().contains("does not continue"),
                gap.getMessage());
        var tooMuch = assertThrows(IllegalStateException.class, () -> run(ctx -> plan(
                List.of(PrefillChunk.of(ctx.waiting().getFirst(), 21, Location.GPU)), List.of(), List.of(), List.of(), List.of(),
                List.of()), one, new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(tooMuch.getMessage().contains("does not continue its cached context"), tooMuch.getMessage());
        var wrongPool = assertThrows(IllegalStateException.class, () -> run(ctx -> {
            if (ctx.iteration() == 0) return plan(List.of(PrefillChunk.of(ctx.waiting().getFirst(), 10, Location.GPU)), List.of(), List.of(),
                    List.of(), List.of(), List.of());
            return plan(List.of(PrefillChunk.of(ctx.gpuRunning().getFirst(), 10, Location.HOST)), List.of(), List.of(), List.of(),
                    List.of(), List.of());
        }, one, new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(wrongPool.getMessage().contains("prefill chunk of a targets HOST but its KV is on GPU"), wrongPool.getMessage());
        var notDecoding = assertThrows(IllegalStateException.class, () -> run(ctx -> {
            if (ctx.iteration() == 0) return everything(ctx);
            return plan(List.of(), List.of(), List.of(ctx.gpuRunning().getFirst()), List.of(), List.of(), List.of());
        }, one, new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(notDecoding.getMessage().contains("plan decodes Request[a DECODE GPU") && notDecoding.getMessage().contains("on HOST"),
                notDecoding.getMessage());
        var twice = assertThrows(IllegalStateException.class, () -> run(ctx -> {
            if (ctx.iteration() == 0) return everything(ctx);
            RequestState a = ctx.gpuRunning().getFirst();
            return plan(List.of(), List.of(a, a), List.of(), List.of(), List.of(), List.of());
        }, one, new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(twice.getMessage().contains("plan of iteration 1 advances request a twice"), twice.getMessage());
        List<RequestState> finished = new ArrayList<>();
        var done = assertThrows(IllegalStateException.class, () -> run(ctx -> {
            if (ctx.iteration() == 0) {
                finished.addAll(ctx.waiting());
                return everything(ctx);
            }
            return plan(List.of(), List.of(finished.getFirst()), List.of(), List.of(), List.of(), List.of());
        }, List.of(spec("a", 0, 4, 1), spec("b", 0, 4, 3)), new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(done.getMessage().contains("plan of iteration 1 advances finished request a"), done.getMessage());
    }

    @Test
    void aSchedulerThatOnlyShufflesKvFailsAfterAFewIterations() {
        Map<String, RequestState> states = new HashMap<>();
        var e = assertThrows(IllegalStateException.class, () -> run(ctx -> {
            ctx.waiting().forEach(q -> states.put(q.id(), q));
            if (ctx.iteration() == 0) return everything(ctx);
            RequestState a = states.get("a");
            return a.location() == Location.GPU ? plan(List.of(), List.of(), List.of(), List.of(a), List.of(), List.of())
                    : plan(List.of(), List.of(), List.of(), List.of(), List.of(a), List.of());
        }, List.of(spec("a", 0, 4, 3)), new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(e.getMessage().contains("engine scripted made no progress for 5 iterations") && e.getMessage().contains("only swaps"),
                e.getMessage());
    }

    @Test
    void aScheduledSwapOfARequestThatIsNotThereIsRefused() {
        var e = assertThrows(IllegalStateException.class, () -> run(ctx -> {
            if (ctx.iteration() == 0) return everything(ctx);
            return plan(List.of(), List.of(), List.of(), List.of(), List.of(ctx.gpuRunning().getFirst()), List.of());
        }, List.of(spec("a", 0, 4, 3)), new Clockwork(), RecordOptions.DEFAULT));
        assertTrue(e.getMessage().contains("swap of Request[a") && e.getMessage().contains("expects it on HOST"), e.getMessage());
    }
}
