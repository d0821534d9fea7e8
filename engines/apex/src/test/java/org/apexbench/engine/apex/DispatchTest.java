package org.apexbench.engine.apex;

import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.profiler.Op;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Strategy choice on constructed per-layer tables, checked against eq. (6). */
class DispatchTest {
    /**
     * Constructed hardware: linear time flat at {@code linMs} per layer (memory-bound), GPU decode
     * attention {@code gpuUsPerKTok} per 1K context tokens, CPU attention {@code speed} times slower,
     * free copies and head.
     */
    static Predictor tables(double linMs, double gpuUsPerKTok, double speed) {
        return Predictor.of((op, f) -> switch (op) {
            case PRE -> f.rows() == 0 ? 0 : 0.3e-3 * linMs;
            case POST -> f.rows() == 0 ? 0 : 0.7e-3 * linMs;
            case GPU_DECODE_ATTN -> f.contextTokens() * gpuUsPerKTok * 1e-9;
            case CPU_DECODE_ATTN -> f.contextTokens() * gpuUsPerKTok * speed * 1e-9;
            default -> 0.0;
        });
    }

    static SubBatchLoad gpuRows(Predictor p, int decodes, long ctxEach) {
        SubBatchLoad g = new SubBatchLoad();
        g.width = g.rows = g.sampled = decodes;
        g.gpuDecodes = decodes;
        g.gpuContext = decodes * ctxEach;
        return g;
    }

    /** The GPU rows' per-layer attention (prefill plus GPU decode). */
    static double attention(SubBatchLoad g, Predictor p) { return g.prefillAttention + g.gpuDecodeAttention(p); }

    @Test
    void eq6Boundary() {
        // T_glinear = T_gatt: the bound is 2 + 3 + 1 = 6
        assertTrue(Dispatch.apBeatsGpuOnly(1, 1, 5.99));
        assertFalse(Dispatch.apBeatsGpuOnly(1, 1, 6.01));
        // linear-dominated: bound 2*10 + 3 + 0.1 = 23.1
        assertTrue(Dispatch.apBeatsGpuOnly(10, 1, 20));
        assertFalse(Dispatch.apBeatsGpuOnly(10, 1, 24));
        assertTrue(Dispatch.apBeatsGpuOnly(1, 0, 1000), "no GPU attention: nothing to lose");
    }

    @Test
    void linearDominatedIterationPicksAsymmetricPipelining() {
        // small GPU, short contexts: 1.7 ms linear per layer, 3 GPU rows of 1K tokens, CPU 8x slower than GPU
        Predictor p = tables(1.7, 10, 8);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        long[] cpu = new long[40];
        Arrays.fill(cpu, 1000);
        assertTrue(Dispatch.apBeatsGpuOnly(p.linear(3), attention(g, p), 8));
        Dispatch.Choice c = d.choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, c.strategy);
        assertTrue(c.cpuCount > 10, "AP should hide many CPU rows, got " + c.cpuCount);
        double gpuOnlyRate = 3 / (32 * (p.linear(3) + attention(g, p)));
        assertTrue(c.rate > 2 * gpuOnlyRate);
    }

    @Test
    void attentionHeavyIterationAvoidsPipelining() {
        // big GPU batch with long contexts: GPU attention 4x linear, CPU 40x slower: eq. (6) fails
        Predictor p = tables(1.0, 100, 40);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 40, 1000);
        assertFalse(Dispatch.apBeatsGpuOnly(p.linear(40), attention(g, p), 40));
        long[] cpu = new long[20];
        Arrays.fill(cpu, 1000);
        Dispatch.Choice c = d.choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
        assertNotEquals(Strategy.ASYMMETRIC_PIPELINE, c.strategy);
        // AO hides CPU rows behind the 4 ms of GPU attention: one 1K-token row costs 4 ms on the CPU
        assertEquals(Strategy.ASYNC_OVERLAP, c.strategy);
        assertTrue(c.cpuCount >= 1);
    }

    @Test
    void slowCpuAndNoGpuAttentionMeansGpuOnly() {
        // CPU 1000x slower: any CPU row costs more than it adds
        Predictor p = tables(1.0, 10, 1000);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 10, 100);
        long[] cpu = {4000, 4000, 4000};
        Dispatch.Choice c = d.choose(g, cpu, 3, 0, false, Double.NaN, true, new Dispatch.Choice());
        assertEquals(Strategy.GPU_ONLY, c.strategy);
        assertEquals(0, c.cpuCount);
        Dispatch.Choice forced = d.choose(g, cpu, 3, 0, true, Double.NaN, true, new Dispatch.Choice());
        assertNotEquals(Strategy.GPU_ONLY, forced.strategy, "the starvation guard forbids GPU-only");
        assertTrue(forced.cpuCount >= 1);
    }

    @Test
    void tpotSloCapsTheCpuSet() {
        Predictor p = tables(1.7, 10, 8);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        long[] cpu = new long[200];
        Arrays.fill(cpu, 3000);
        Dispatch.Choice free = d.choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
        double slo = 0.8 * free.predictedSec;
        Dispatch.Choice capped = d.choose(g, cpu, cpu.length, 0, false, slo, true, new Dispatch.Choice());
        assertTrue(capped.predictedSec <= slo, capped.predictedSec + " > " + slo);
        assertTrue(capped.cpuCount < free.cpuCount);
    }

    /**
     * With a TPOT SLO, a host candidate whose TPOT budget cannot wait another iteration must run: the margin rule alone
     * (a longer iteration must promise 2% more rows per second) leaves a 9th CPU row out when it adds 8 rows' worth of
     * time for one row, and that request's next token comes too late; the SLO-aware choice runs it while the iteration
     * stays within the SLO.
     */
    @Test
    void aMustRunCandidateRunsWhereTheMarginRuleWouldLeaveItOut() {
        Predictor p = tables(1.7, 10, 8);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        long[] cpu = new long[9];
        Arrays.fill(cpu, 1000);
        cpu[8] = 60_000;   // a long context: its row costs far more than it adds
        Dispatch.Choice margin = d.choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
        assertTrue(margin.cpuCount < 9 || !margin.used[8], "the margin rule leaves the long row out");
        double slo = margin.predictedSec + 0.3;
        Dispatch.Choice must = d.choose(g, cpu, cpu.length, 9, 0, false, slo, true, new Dispatch.Choice());
        for (int i = 0; i < 9; i++) assertTrue(must.used[i], "candidate " + i + " must run");
        assertTrue(must.predictedSec <= slo, "and the plan meets the SLO: " + must.predictedSec + " > " + slo);
        assertEquals(must.predictedSec, must.tpotSec);
        // an SLO no plan meets: the most rows per second, as without an SLO (an overload drains fastest that way)
        Dispatch.Choice lost = d.choose(g, cpu, cpu.length, 9, 0, false, 1e-6, true, new Dispatch.Choice());
        Dispatch.Choice none = d.choose(g, cpu, cpu.length, 0, 0, false, Double.NaN, true, new Dispatch.Choice());
        assertEquals(none.strategy, lost.strategy);
        assertEquals(none.cpuCount, lost.cpuCount);
        assertEquals(none.predictedSec, lost.predictedSec);
    }

    @Test
    void neoPackingSkipsALongContextToHideShorterOnes() {
        // 1.7 ms linear per layer; CPU 8x slower than a 10 us/1K-token GPU: one 1K-token row costs 80 us on the CPU,
        // so each window hides ~21K tokens. A 30K-token candidate first blocks every prefix split; NEO's packing
        // skips it and takes the short ones behind it.
        Predictor p = tables(1.7, 10, 8);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        long[] cpu = new long[31];
        Arrays.fill(cpu, 1000);
        cpu[0] = 30_000;
        Dispatch.Choice prefixOnly = new Dispatch(p, 32, 0, 0, 0.02, false)
                .choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
        Dispatch.Choice packed = new Dispatch(p, 32, 0, 0, 0.02, true)
                .choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, packed.strategy);
        assertTrue(packed.packed, "the packed split should win here");
        assertFalse(packed.used[0], "the 30K-token candidate is skipped");
        int used = 0, b0 = 0;
        for (int i = 0; i < cpu.length; i++) {
            if (packed.used[i]) used++;
            if (packed.used[i] && packed.inB0[i]) b0++;
        }
        assertEquals(packed.cpuCount, used);
        assertTrue(b0 > 0 && b0 < used, "both sub-batches get CPU rows: " + b0 + " of " + used);
        assertTrue(packed.rate > prefixOnly.rate * 1.05, "packed " + packed.rate + " vs prefix " + prefixOnly.rate);
        // zero slack by construction: the prediction is the GPU-side time of the two sub-batches
        double perLayer = p.linear(3 + b0) + p.linear(used - b0) + attention(g, p);
        assertEquals(32 * perLayer, packed.predictedSec, 1e-9);
    }

    /**
     * With a TPOT SLO the margin is per added row. Beside 60 GPU decodes, one host row whose CPU path asynchronous overlap
     * hides behind the GPU attention costs nothing and raises the step's rows per second by 1/60 (1.7%): the whole-step
     * margin (2%, the rule without an SLO) leaves it waiting, the per-row margin runs it.
     */
    @Test
    void withATpotSloAHiddenHostRowBesideManyGpuRowsRuns() {
        Predictor p = tables(1.7, 10, 8);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 60, 1000);
        long[] cpu = {1000};   // 80 us of CPU path per layer, behind 600 us of GPU attention
        Dispatch.Choice wholeStep = d.choose(g, cpu, 1, 0, false, Double.NaN, false, new Dispatch.Choice());
        assertEquals(Strategy.GPU_ONLY, wholeStep.strategy, "no SLO: the whole step's rows per second must rise by 2%");
        Dispatch.Choice perRow = d.choose(g, cpu, 1, 0, false, 0.2, false, new Dispatch.Choice());
        assertEquals(Strategy.ASYNC_OVERLAP, perRow.strategy);
        assertEquals(1, perRow.cpuCount);
        assertEquals(wholeStep.predictedSec, perRow.predictedSec, 1e-12, "the host row is free");
        assertTrue(perRow.rate / wholeStep.rate - 1 < Dispatch.MARGIN, "and gains less than the whole-step margin");
    }

    /**
     * The per-row margin still refuses a host row that costs nearly the step's time per row (99% of it: rows per second
     * rises, by 0.01%, for a longer step) and takes one that costs 90% of it; the SLO is loose enough for both.
     */
    @Test
    void withATpotSloAHostRowMustCostUnderTheMarginOfTheTimePerRow() {
        Predictor p = tables(1.7, 10, 8);
        Dispatch d = new Dispatch(p, 32, 0, 0);
        SubBatchLoad g = gpuRows(p, 60, 1000);
        double perLayer = 1.7e-3 + attention(g, p), perRow = perLayer / 60;
        for (double share : new double[] {0.99, 0.90}) {
            // a context whose CPU path overruns the GPU attention by `share` of the step's time per row (per layer)
            long ctx = Math.round((attention(g, p) + share * perRow) / 80e-9);
            Dispatch.Choice c = d.choose(g, new long[] {ctx}, 1, 0, false, 1.0, false, new Dispatch.Choice());
            double added = (32 * (1.7e-3 + d.cpuPath(1, ctx)) - 32 * perLayer) / (32 * perRow);
            assertEquals(share, added, 1e-3, "the host row costs " + share + " of the time per row");
            double rate = 61 / (32 * (1.7e-3 + d.cpuPath(1, ctx)));
            assertTrue(rate > 60 / (32 * perLayer), "it raises rows per second");
            if (share > 1 - Dispatch.MARGIN) assertEquals(Strategy.GPU_ONLY, c.strategy, "refused at " + share);
            else assertEquals(1, c.cpuCount, "taken at " + share);
        }
    }
}
