package org.apexbench.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * The engine runtime's values and their rules: budgets and block arithmetic, model geometry, plans and prefill
 * chunks, record windows, options, block pools (lowest free blocks first, no double free), the state a scheduler
 * sees of a request, and predictions from a cost function.
 */
class RuntimeValuesTest {
    /** 4 layers of 1000 KV bytes per token (one KV head of 250 fp16 elements); tiny weights (W bytes). */
    static final ModelGeometry GEO = new ModelGeometry("m", 4, 8, 8, 1, 1, 250, 8, 2048, false, 1, 2);
    static final long W = GEO.totalWeightBytes();
    static final Predictor FLAT = Predictor.of((op, f) -> 1e-3);

    static RequestSpec spec(String id, int prompt, int out) {
        return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY);
    }

    @Test
    void budgetsCountBlocksAndRefuseImpossibleLimits() {
        EngineBudgets b = new EngineBudgets(1, 1, 0, 0, 16);
        assertEquals(0, KvCapacity.blocksFor(0, b.blockSize()));
        assertEquals(1, KvCapacity.blocksFor(1, b.blockSize()));
        assertEquals(1, KvCapacity.blocksFor(16, b.blockSize()));
        assertEquals(2, KvCapacity.blocksFor(17, b.blockSize()));
        assertEquals(16L * 4 * 1000, KvCapacity.blockBytes(GEO, b.blockSize()), "16 tokens x 4 layers x 1000 bytes");
        for (int[] bad : new int[][] {{0, 1, 0, 0, 16}, {1, 0, 0, 0, 16}, {1, 1, -1, 0, 16}, {1, 1, 0, -1, 16}, {1, 1, 0, 0, 0}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new EngineBudgets(bad[0], bad[1], bad[2], bad[3], bad[4]));
            assertTrue(e.getMessage().contains("maxRunning=" + bad[0] + " maxTokens=" + bad[1]), e.getMessage());
        }
    }


    @Test
    void geometryCountsKvOverAllLayersAndRefusesEmptySizes() {
        assertEquals(1000, GEO.kvBytesPerTokenPerLayer(), "K and V of one 250-wide fp16 head");
        assertEquals(4000, GEO.kvBytesPerToken());
        int[] good = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        for (int i = 0; i < good.length; i++) {
            int[] v = good.clone();
            v[i] = 0;
            var e = assertThrows(IllegalArgumentException.class,
                    () -> new ModelGeometry("bad", v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], false, v[8], v[9]));
            assertTrue(e.getMessage().startsWith("model bad:") && e.getMessage().contains("must be > 0, got 0"), e.getMessage());
        }
    }

    @Test
    void plansCountWhatTheyAdvanceAndRefuseCpuRowsInGpuOnly() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(8, 512, 20, 20, 16), FLAT);
        RequestState w = s.addWaiting(spec("w", 30, 4));
        RequestState g = s.addDecoding(spec("g", 10, 4), Location.GPU, 1, 0);
        RequestState c = s.addDecoding(spec("c", 10, 4), Location.HOST, 2, 0);
        PrefillChunk first = PrefillChunk.of(w, 12, Location.GPU);
        IterationPlan p = new IterationPlan(List.of(first), List.of(g), List.of(c), 1, List.of(), List.of(), List.of(),
                Strategy.ASYNC_OVERLAP, 1.5);
        assertEquals(3, p.rowsAdvanced());
        assertEquals(12, p.prefillTokens());
        assertFalse(p.advancesNothing());
        IterationPlan two = new IterationPlan(List.of(first, PrefillChunk.of(s.addWaiting(spec("v", 9, 1)), 9, Location.HOST)), List.of(),
                List.of(), 0, List.of(), List.of(), List.of(), Strategy.GPU_ONLY, Double.NaN);
        assertEquals(21, two.prefillTokens());
        IterationPlan swapsOnly = new IterationPlan(List.of(), List.of(), List.of(), 0, List.of(g), List.of(), List.of(),
                Strategy.GPU_ONLY, Double.NaN);
        assertTrue(swapsOnly.advancesNothing());
        assertEquals(0, swapsOnly.rowsAdvanced());
        var cpuInGpuOnly = assertThrows(IllegalArgumentException.class, () -> new IterationPlan(List.of(), List.of(), List.of(c), 0,
                List.of(), List.of(), List.of(), Strategy.GPU_ONLY, 1));
        assertTrue(cpuInGpuOnly.getMessage().contains("GPU_ONLY plan cannot hold CPU decodes (1)"), cpuInGpuOnly.getMessage());
        for (int split : new int[] {-1, 2}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new IterationPlan(List.of(), List.of(), List.of(c), split,
                    List.of(), List.of(), List.of(), Strategy.ASYMMETRIC_PIPELINE, 1));
            assertTrue(e.getMessage().contains("sub-batch split " + split + " outside 0..1"), e.getMessage());
        }
        new IterationPlan(List.of(), List.of(), List.of(c), 1, List.of(), List.of(), List.of(), Strategy.ASYMMETRIC_PIPELINE, 1);
    }

    @Test
    void prefillChunksKnowWhetherTheyCompleteAndWhatTheyAttend() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(8, 512, 20, 20, 16), FLAT);
        RequestState w = s.addWaiting(spec("w", 30, 4));
        PrefillChunk head = PrefillChunk.of(w, 12, Location.GPU);
        assertEquals(0, head.start());
        assertFalse(head.completes());
        assertEquals(12L * 13 / 2, head.attendedPairs(), "causal: token i attends i + 1 keys");
        PrefillChunk tail = new PrefillChunk(w, 12, 18, Location.GPU);
        assertTrue(tail.completes());
        assertEquals(18L * 12 + 18L * 19 / 2, tail.attendedPairs(), "each token also attends the 12 cached ones");
        assertTrue(PrefillChunk.of(w, 30, Location.HOST).completes());
        assertEquals(1, new PrefillChunk(w, 0, 1, Location.GPU).length());
        for (PrefillChunkArgs a : List.of(new PrefillChunkArgs(0, 0, Location.GPU), new PrefillChunkArgs(-1, 4, Location.GPU),
                new PrefillChunkArgs(0, 4, Location.NONE))) {
            var e = assertThrows(IllegalArgumentException.class, () -> new PrefillChunk(w, a.start(), a.length(), a.pool()));
            assertTrue(e.getMessage().startsWith("prefill chunk of w:"), e.getMessage());
        }
    }

    private record PrefillChunkArgs(int start, int length, Location pool) {}

    @Test
    void recordWindowsAreHalfOpen() {
        RecordOptions w = new RecordOptions(true, 2, 4);
        assertFalse(w.subtasks(1));
        assertTrue(w.subtasks(2));
        assertTrue(w.subtasks(3));
        assertFalse(w.subtasks(4));
        assertFalse(RecordOptions.DEFAULT.subtasks(0), "the default keeps no subtasks");
        assertTrue(RecordOptions.ALL.subtasks(1L << 40));
        assertFalse(new RecordOptions(false, 3, 3).subtasks(3), "from = to: none");
        assertThrows(IllegalArgumentException.class, () -> new RecordOptions(true, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> new RecordOptions(true, 3, 2));
    }


    @Test
    void enginesNameTheirHostRuntimeAndRefuseANegativeLaunchTime() {
        assertEquals("two-thread", new Engine("e", "d", () -> null, 0).hostRuntime());
        assertEquals("single-thread", new Engine("e", "d", () -> null, 8e-4).hostRuntime());
        assertThrows(IllegalArgumentException.class, () -> new Engine("e", "d", () -> null, -1e-9));
        assertThrows(IllegalArgumentException.class, () -> new Engine("e", "d", () -> null, Double.NaN));
    }

    @Test
    void blockPoolsHandOutTheLowestFreeBlocksAndCatchDoubleFrees() {
        BlockPool gpu = new BlockPool(Location.GPU, 6);
        BlockPool host = new BlockPool(Location.HOST, 4);
        assertEquals(Location.GPU, gpu.location());
        assertEquals(6, gpu.capacity());
        TrackedRequest a = decoding(gpu, spec("a", 20, 4), 0, 1);   // 20 tokens: blocks 0, 1
        TrackedRequest b = decoding(gpu, spec("b", 30, 4), 1, 3);   // 32 tokens: blocks 2, 3
        assertArrayEquals(new int[] {0, 1}, a.blockTable());
        assertArrayEquals(new int[] {2, 3}, b.blockTable());
        assertEquals(4, gpu.used());
        assertEquals(2, gpu.free());
        gpu.release(a);
        assertEquals(0, a.blocks());
        assertEquals(2, gpu.used());
        a.place(Location.GPU);
        gpu.growTo(a, 3);
        assertArrayEquals(new int[] {0, 1, 4}, a.blockTable(), "freed blocks first, then the next free one");
        gpu.growTo(a, 2);
        assertEquals(3, a.blocks(), "growing to fewer blocks keeps the table");
        var full = assertThrows(IllegalStateException.class, () -> gpu.growTo(a, 5));
        assertEquals("GPU KV pool exhausted: request a needs 2 more blocks, 1 of 6 free (scheduler over-committed)", full.getMessage());
        gpu.growTo(a, 4);
        assertEquals(0, gpu.free(), "exactly the last free block can be taken");
        var elsewhere = assertThrows(IllegalStateException.class, () -> host.growTo(b, 3));
        assertEquals("request b lives in GPU, not in the HOST pool", elsewhere.getMessage());
        assertArrayEquals(new int[] {0, 1, 2}, host.take(3, "b"));
        var take = assertThrows(IllegalStateException.class, () -> host.take(2, "c"));
        assertEquals("HOST KV pool cannot take request c: needs 2 blocks, 1 of 4 free (scheduler over-committed)", take.getMessage());
        assertArrayEquals(new int[] {3}, host.take(1, "d"));
        gpu.release(b);
        b.replaceBlocks(new int[] {2});
        var twice = assertThrows(IllegalStateException.class, () -> gpu.release(b));
        assertEquals("block 2 of b freed twice in GPU", twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BlockPool(Location.NONE, 4));
        assertThrows(IllegalArgumentException.class, () -> new BlockPool(Location.GPU, -1));
        assertEquals(0, new BlockPool(Location.HOST, 0).capacity());
        assertEquals(1, BlockPool.runs(new int[] {4, 5, 6}));
        assertEquals(3, BlockPool.runs(new int[] {1, 2, 7, 9}));
        assertEquals(2, BlockPool.runs(new int[] {5, 4}), "descending ids are not a run");
        assertEquals(0, BlockPool.runs(new int[0]));
    }

    /** A request decoding in {@code pool} after {@code generated} tokens, holding the blocks of its KV tokens. */
    private static TrackedRequest decoding(BlockPool pool, RequestSpec spec, int index, int generated) {
        TrackedRequest r = new TrackedRequest(spec, index, false);
        r.place(pool.location());
        r.advanceKv(spec.promptLength() + generated - 1);
        for (int i = 0; i < generated; i++) r.recordToken(0, 0, 0);
        pool.growTo(r, KvCapacity.blocksFor(r.kvTokens(), 16));
        return r;
    }

    @Test
    void aSnapshotBuildsTheStateASchedulerSees() {
        EngineBudgets budgets = new EngineBudgets(8, 512, 10, 10, 16);
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, budgets, FLAT);
        RequestState w = s.addWaiting(spec("w", 30, 4));
        RequestState d = s.addDecoding(spec("d", 31, 8), Location.HOST, 3, 7);
        SchedulerContext ctx = s.context(9, 4.25);
        assertEquals(9, ctx.iteration());
        assertEquals(4.25, ctx.nowSec());
        assertSame(budgets, ctx.budgets());
        assertSame(GEO, ctx.geometry());
        assertSame(FLAT, ctx.predictor());
        assertEquals(List.of(w), ctx.waiting());
        assertEquals(List.of(d), ctx.hostRunning());
        assertEquals(List.of(), ctx.gpuRunning());
        assertEquals(1, ctx.runningCount());
        assertEquals(3, ctx.kv().blocksFor(33));
        assertEquals(5L * 16 * 4000, ctx.kv().swapBytes(5));
        assertThrows(UnsupportedOperationException.class, () -> ctx.waiting().clear(), "schedulers read, the loop writes");

        assertEquals(0, w.index());
        assertEquals(1, d.index());
        assertEquals(RequestState.Phase.WAITING, w.phase());
        assertEquals(30, w.remainingTokens());
        assertEquals(30, w.contextLength());
        assertFalse(w.decoding());
        assertFalse(w.everAdmitted());
        assertEquals(-1, w.lastProgressIteration());
        assertEquals(33, KvCapacity.peakTokens(w.spec()), "every known token but the last sampled one");
        assertEquals("w", w.id());
        assertEquals(0.0, w.arrivalSec());

        assertEquals(RequestState.Phase.DECODE, d.phase());
        assertEquals(Location.HOST, d.location());
        assertTrue(d.everAdmitted());
        assertEquals(3, d.generated());
        assertEquals(31, d.promptLength());
        assertEquals(8, d.targetOutput());
        assertEquals(34, d.contextLength());
        assertEquals(33, d.kvTokens(), "the newest token has no KV yet");
        assertEquals(1, d.remainingTokens());
        assertTrue(d.decoding());
        assertEquals(3, d.blocks(), "33 KV tokens");
        assertEquals(7, d.lastProgressIteration());
        assertEquals(0, d.preemptions());
        assertEquals(0, d.cpuDecodeSteps());
        assertNull(d.outputIds(), "a snapshot keeps no token ids");
        assertEquals("request d: token ids are not kept in this run",
                assertThrows(IllegalStateException.class, () -> d.outputId(0)).getMessage());
        assertEquals(3, ctx.kv().hostUsed());
        assertFalse(d.finished());

        RequestState last = s.addDecoding(spec("e", 4, 2), Location.GPU, 1, 0);
        assertEquals(RequestState.Phase.DECODE, last.phase());
        for (int generated : new int[] {0, 2}) {
            assertThrows(IllegalArgumentException.class, () -> s.addDecoding(spec("x", 4, 2), Location.GPU, generated, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> s.addDecoding(spec("x", 4, 3), Location.NONE, 1, 0));
    }

    @Test
    void requestStateFollowsItsLifeThroughTheLoopsMutators() {
        TrackedRequest r = new TrackedRequest(spec("r", 3, 2), 4, true);
        r.place(Location.GPU);
        r.advanceKv(3);
        r.recordToken(1.5, 42, 7);
        assertEquals(RequestState.Phase.DECODE, r.phase());
        assertEquals(1.5, r.tokenTime(0));
        assertEquals(42, r.outputId(0));
        assertArrayEquals(new int[] {42}, r.outputIds());
        assertThrows(IndexOutOfBoundsException.class, () -> r.outputId(1));
        assertThrows(IndexOutOfBoundsException.class, () -> r.outputId(-1));
        assertEquals(7, r.lastProgressIteration());
        r.markProgress(8);
        assertEquals(8, r.lastProgressIteration());
        assertTrue(r.markPlanned(9));
        assertFalse(r.markPlanned(9), "planned twice in one iteration");
        assertTrue(r.markPlanned(10));
        r.countCpuDecode();
        r.countCpuDecode();
        assertEquals(2, r.cpuDecodeSteps());
        r.countSwapPreemption();
        r.appendBlock(5);
        r.preemptByRecompute();
        assertEquals(2, r.preemptions());
        assertEquals(RequestState.Phase.WAITING, r.phase());
        assertTrue(r.everAdmitted(), "admitted once stays admitted");
        assertEquals(4, r.remainingTokens(), "prompt + the generated token");
        r.place(Location.HOST);
        r.advanceKv(2);
        assertEquals(RequestState.Phase.PREFILL, r.phase(), "re-prefilling its context");
        assertFalse(r.decoding());
        r.advanceKv(2);
        r.replaceBlocks(new int[0]);
        assertEquals(0, r.blocks());
        r.appendBlock(1);
        r.appendBlock(2);
        r.appendBlock(3);
        r.appendBlock(4);
        r.appendBlock(9);
        assertArrayEquals(new int[] {1, 2, 3, 4, 9}, r.blockTable(), "the table grows past its first capacity");
        r.recordToken(2.5, 43, 11);
        assertTrue(r.finished());
        assertEquals(RequestState.Phase.FINISHED, r.phase());
        TrackedRequest mid = new TrackedRequest(spec("m", 20, 3), 0, false);
        mid.place(Location.GPU);
        mid.advanceKv(8);
        assertEquals(RequestState.Phase.PREFILL, mid.phase(), "part of the prompt cached");
        assertTrue(mid.toString().contains("m PREFILL GPU kv=8 out=0/3"), mid.toString());
    }

    @Test
    void aCostFunctionPredictsWholeCopiesAndNothingForEmptyWork() {
        Predictor p = Predictor.of((op, f) -> switch (op) {
            case PRE -> 1 + f.rows();
            case POST -> 10 + f.rows();
            case EMBED -> 100 + f.rows();
            case LM_HEAD -> 1000 + f.rows();
            case PREFILL_ATTN -> f.rows() + 0.5 * f.prefillPairs() + 0.25 * f.requests();
            case GPU_DECODE_ATTN -> f.requests() + 0.01 * f.contextTokens();
            case CPU_DECODE_ATTN -> 2 * f.requests() + 0.02 * f.contextTokens();
            case QKV_D2H -> 3 * f.requests() + f.bytes() / 1e3;
            case ATTN_OUT_H2D -> 5 * f.requests() + f.bytes() / 1e3;
            default -> Double.NaN;
        });
        assertEquals(0, p.linear(0));
        assertEquals(1 + 4 + 10 + 4, p.linear(4));
        assertEquals(0, p.prefillAttention(10, 0, 55));
        assertEquals(10 + 27.5 + 0.5, p.prefillAttention(10, 2, 55));
        assertEquals(0, p.gpuDecodeAttention(0, 100));
        assertEquals(3 + 1, p.gpuDecodeAttention(3, 100));
        assertEquals(0, p.cpuDecodeAttention(0, 100));
        assertEquals(6 + 2, p.cpuDecodeAttention(3, 100));
        assertEquals(0, p.d2h(0, 4));
        assertEquals(12 + 2, p.d2h(2000, 4));
        assertEquals(0, p.h2d(0, 4));
        assertEquals(20 + 2, p.h2d(2000, 4));
        assertEquals(0, p.embedAndHead(0, 0));
        assertEquals(100 + 8, p.embedAndHead(8, 0));
        assertEquals(1000 + 3, p.embedAndHead(0, 3));
        assertEquals(108 + 1003, p.embedAndHead(8, 3));
    }
}
