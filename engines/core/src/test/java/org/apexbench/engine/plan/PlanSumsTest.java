package org.apexbench.engine.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.StubRequest;
import org.apexbench.engine.predict.Predictor;

/**
 * The sums a plan's sub-batches are priced from ({@link SubBatches}, the schedulers' running {@link SubBatchLoad})
 * and the busy time {@link PlanBusy} predicts from them, against sums taken by hand over a small plan. The predictor
 * is linear with a distinct weight per argument, so a term summed into the wrong sub-batch or argument shows.
 */
class PlanSumsTest {
    static final int BS = 16;

    /** linear 100 + rows; prefill 1e6 per sequence + 1e3 per token + 1 per pair; decodes by count and context; embed+head 13/17. */
    static final Predictor P = new Predictor() {
        @Override public double linear(int rows) { return 100 + rows; }
        @Override public double prefillAttention(int newTokens, int sequences, long pairs) { return 1e6 * sequences + 1e3 * newTokens + pairs; }
        @Override public double gpuDecodeAttention(int requests, long contextTokens) { return 7.0 * requests + contextTokens; }
        @Override public double cpuDecodeAttention(int requests, long contextTokens) { return 11.0 * requests + 2.0 * contextTokens; }
        @Override public double d2h(long bytes, int transfers) { throw new AssertionError("no copies priced here"); }
        @Override public double h2d(long bytes, int transfers) { throw new AssertionError("no copies priced here"); }
        @Override public double embedAndHead(int rows, int sampledRows) { return 13.0 * rows + 17.0 * sampledRows; }
    };

    // prefills: a 4-token prompt to the GPU (completes; pairs 4*5/2 = 10), 4 more tokens of a 40-token prompt with 16
    // cached (16*4 + 10 = 74 pairs, does not complete), a 6-token prompt to the host (21 pairs, completes)
    final PrefillChunk gpuWhole = PrefillChunk.of(StubRequest.waiting("p", 0, 4, 8), 4, Location.GPU);
    final PrefillChunk gpuPart = PrefillChunk.of(StubRequest.prefilling("q", 1, 40, 16, Location.GPU, BS), 4, Location.GPU);
    final PrefillChunk hostWhole = PrefillChunk.of(StubRequest.waiting("h", 2, 6, 8), 6, Location.HOST);
    // decodes: contexts 21 and 31 on the GPU, 50, 60 and 70 on the host
    final List<RequestState> gpu = List.of(StubRequest.decoding("g1", 3, 20, 1, Location.GPU, BS),
            StubRequest.decoding("g2", 4, 30, 1, Location.GPU, BS));
    final List<RequestState> cpu = List.of(StubRequest.decoding("c1", 5, 49, 1, Location.HOST, BS),
            StubRequest.decoding("c2", 6, 59, 1, Location.HOST, BS), StubRequest.decoding("c3", 7, 69, 1, Location.HOST, BS));

    IterationPlan plan(Strategy s, int split) {
        return new IterationPlan(List.of(gpuWhole, gpuPart, hostWhole), gpu, cpu, split, List.of(), List.of(), List.of(), s, Double.NaN);
    }

    @Test
    void subBatchZeroHoldsThePrefillsTheGpuDecodesAndTheFirstCpuDecodes() {
        SubBatches s = new SubBatches().fill(plan(Strategy.ASYMMETRIC_PIPELINE, 1));
        SubBatches.Shape b0 = s.get(0), b1 = s.get(1);
        assertEquals(4 + 4 + 6, b0.prefillTokens);
        assertEquals(3, b0.prefillSeqs);
        assertEquals(10 + 74 + 21, b0.prefillPairs);
        assertEquals(16, b0.prefillCached, "the tokens cached before each chunk");
        assertEquals(6, b0.hostPrefillTokens, "only the host-bound chunk streams its KV out");
        assertEquals(2, b0.gpuDecodes);
        assertEquals(21 + 31, b0.gpuContext);
        assertEquals(1, b0.cpuDecodes);
        assertEquals(50, b0.cpuContext);
        assertEquals(14 + 2 + 1, b0.width());
        assertEquals(2, b1.cpuDecodes);
        assertEquals(60 + 70, b1.cpuContext);
        assertEquals(0, b1.prefillSeqs + b1.gpuDecodes);
        assertEquals(2, b1.width());
        assertEquals(19, s.width());
        assertEquals(2 + 3 + 2, s.sampled(), "every decode and the two chunks that complete their prompt");
        assertEquals(1, SubBatches.cpuDecodesInFirst(plan(Strategy.SYMMETRIC_PIPELINE, 1)));
    }

    @Test
    void aSingleBatchStrategyIgnoresTheSplitAndAFillForgetsThePreviousPlan() {
        SubBatches s = new SubBatches().fill(plan(Strategy.ASYMMETRIC_PIPELINE, 0));
        assertEquals(3, s.get(1).cpuDecodes);
        s.fill(plan(Strategy.ASYNC_OVERLAP, 0));
        assertEquals(3, SubBatches.cpuDecodesInFirst(plan(Strategy.OFFLOAD_SERIAL, 0)));
        assertEquals(3, s.get(0).cpuDecodes);
        assertEquals(50 + 60 + 70, s.get(0).cpuContext);
        assertTrue(s.get(1).isEmpty());
        assertEquals(0, s.get(1).cpuContext);
        s.fill(new IterationPlan(List.of(), gpu.subList(0, 1), List.of(), 0, List.of(), List.of(), List.of(), Strategy.GPU_ONLY, Double.NaN));
        SubBatches.Shape b0 = s.get(0);
        assertEquals(0, b0.prefillTokens + b0.prefillSeqs + b0.hostPrefillTokens + b0.cpuDecodes);
        assertEquals(0, b0.prefillPairs + b0.prefillCached + b0.cpuContext);
        assertEquals(1, b0.gpuDecodes);
        assertEquals(21, b0.gpuContext);
        assertEquals(1, s.sampled());
    }

    @Test
    void planBusyIsEveryLayersGpuWorkPlusEmbedAndHeadAndEveryCpuAttention() {
        int layers = 3;
        double prefill = 1e6 * 3 + 1e3 * 14 + 105;
        double gpuWork = (100 + 17) + (100 + 2) + prefill + (7 * 2 + 52);
        PlanBusy piped = PlanBusy.predict(plan(Strategy.ASYMMETRIC_PIPELINE, 1), P, layers);
        assertEquals(layers * gpuWork + 13 * 19 + 17 * 7, piped.gpuSec());
        assertEquals(layers * ((11 + 2 * 50) + (22 + 2 * 130)), piped.cpuSec());

        double oneBatch = (100 + 19) + prefill + (7 * 2 + 52);
        for (Strategy s : List.of(Strategy.ASYNC_OVERLAP, Strategy.OFFLOAD_SERIAL)) {
            PlanBusy b = PlanBusy.predict(plan(s, 1), P, layers);
            assertEquals(layers * oneBatch + 13 * 19 + 17 * 7, b.gpuSec(), s + ": one batch, one linear pass over all 19 rows");
            assertEquals(layers * (33 + 2 * 180), b.cpuSec(), s.toString());
        }
        PlanBusy allFirst = PlanBusy.predict(plan(Strategy.SYMMETRIC_PIPELINE, 3), P, layers);
        assertEquals(layers * oneBatch + 13 * 19 + 17 * 7, allFirst.gpuSec(), "an empty second sub-batch runs no linear layers");
    }

    @Test
    void aSubBatchLoadAddsAndTakesOutRowsAndPricesEachChunkAlone() {
        SubBatchLoad l = new SubBatchLoad();
        l.addPrefill(gpuWhole, P, 1);
        l.addPrefill(gpuPart, P, 1);
        assertEquals(8, l.width);
        assertEquals(2, l.rows);
        assertEquals(1, l.sampled, "only the chunk that completes its prompt samples");
        assertEquals(2, l.prefills);
        assertEquals((1e6 + 4e3 + 10) + (1e6 + 4e3 + 74), l.prefillAttention);
        l.addPrefill(gpuWhole, P, -1);
        assertEquals(4, l.width);
        assertEquals(1, l.rows);
        assertEquals(0, l.sampled);
        assertEquals(1, l.prefills);
        assertEquals(1e6 + 4e3 + 74, l.prefillAttention);
        l.addGpuDecode(gpu.get(0));
        l.addGpuDecode(gpu.get(1));
        l.addCpuDecode(cpu.get(0), 1);
        l.addCpuDecode(cpu.get(1), 1);
        l.addCpuDecode(cpu.get(0), -1);
        assertEquals(4 + 2 + 1, l.width);
        assertEquals(1 + 2 + 1, l.rows);
        assertEquals(3, l.sampled);
        assertEquals(2, l.gpuDecodes);
        assertEquals(52, l.gpuContext);
        assertEquals(1, l.cpuDecodes);
        assertEquals(60, l.cpuContext);
        assertEquals(107, l.linear(P));
        assertEquals(14 + 52, l.gpuDecodeAttention(P));
        assertEquals(11 + 120, l.cpuDecodeAttention(P));

        LaneCosts c = new LaneCosts();
        c.cpuPath[1] = 5;
        l.priceGpu(c, 1, P);
        assertEquals(107, c.linear[1]);
        assertEquals(1e6 + 4e3 + 74, c.prefill[1]);
        assertEquals(66, c.gpuDecode[1]);
        assertEquals(5, c.cpuPath[1], "the CPU path is the scheduler's to price");
        assertEquals(0, c.linear[0] + c.prefill[0] + c.gpuDecode[0], "sub-batch 0 untouched");
    }

    @Test
    void aCopyHasEverySumAndAClearedLoadNoneAndNoLinearTime() {
        SubBatchLoad l = new SubBatchLoad();
        l.addPrefill(gpuWhole, P, 1);
        l.addGpuDecode(gpu.get(0));
        l.addCpuDecode(cpu.get(2), 1);
        SubBatchLoad copy = new SubBatchLoad().copyFrom(l);
        assertEquals(List.of(6, 3, 3, 1, 1, 1), List.of(copy.width, copy.rows, copy.sampled, copy.prefills, copy.gpuDecodes, copy.cpuDecodes));
        assertEquals(List.of(21L, 70L), List.of(copy.gpuContext, copy.cpuContext));
        assertEquals(l.prefillAttention, copy.prefillAttention);
        assertEquals(1e6 + 4e3 + 10, copy.prefillAttention);
        assertEquals(0, l.clear().width, "clear returns the emptied load");
        assertEquals(List.of(0, 0, 0, 0, 0, 0), List.of(l.width, l.rows, l.sampled, l.prefills, l.gpuDecodes, l.cpuDecodes));
        assertEquals(List.of(0L, 0L), List.of(l.gpuContext, l.cpuContext));
        assertEquals(0, l.prefillAttention);
        assertEquals(0, l.linear(P), "no rows, no linear layers (the predictor would charge 100)");
        assertEquals(6, copy.width, "the copy is its own");
    }
}
