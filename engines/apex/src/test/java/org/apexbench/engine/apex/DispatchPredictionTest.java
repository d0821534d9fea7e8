package org.apexbench.engine.apex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;

/**
 * APEX's closed-form predictions (docs/engines.md#apex), recomputed here from the cost function for whatever the dispatch
 * chose: GPU-only is linear + attention per layer; Asynchronous Overlap adds its CPU rows to the linear width and
 * hides the CPU path (q/k/v down, attention, output up) under the GPU attention; Asymmetric Pipelining is
 * max(linear B0, CPU B1) + max(linear B1 + GPU attention, CPU B0) per layer; every plan adds embedding, LM head and
 * the fixed (swap) time. Copies cost a latency plus bytes, so the dispatcher's copy model is exact here.
 */
class DispatchPredictionTest {
    static final int LAYERS = 4;
    static final long QKV = 3000, OUT = 1000;

    static double linear(int rows) { return rows == 0 ? 0 : 2 * (1e-3 + 1e-5 * rows); }
    static double gdec(int req, long ctx) { return req == 0 ? 0 : 1e-4 + 1e-6 * ctx; }
    static double copies(int rows) { return rows == 0 ? 0 : (1e-5 + rows * QKV * 1e-9) + (1e-5 + rows * OUT * 1e-9); }

    static Predictor predictor(double cpuFactor) {
        return Predictor.of((op, f) -> switch (op) {
            case PRE, POST -> 1e-3 + 1e-5 * f.rows();
            case EMBED -> 1e-4 + 1e-7 * f.rows();
            case LM_HEAD -> 2e-4 + 1e-6 * f.rows();
            case GPU_DECODE_ATTN -> 1e-4 + 1e-6 * f.contextTokens();
            case CPU_DECODE_ATTN -> cpuFactor * (1e-4 + 2e-5 * f.requests() + 1e-6 * f.contextTokens());
            case QKV_D2H, ATTN_OUT_H2D -> 1e-5 * Math.max(1, f.requests()) + f.bytes() * 1e-9;
            default -> 0.0;
        });
    }

    /** GPU rows of {@code decodes} decodes over {@code ctx} tokens of context in all, no prefill. */
    static SubBatchLoad gpu(int decodes, long ctx) {
        SubBatchLoad g = new SubBatchLoad();
        g.width = g.rows = g.sampled = g.gpuDecodes = decodes;
        g.gpuContext = ctx;
        return g;
    }

    /** The plan's time recomputed from the choice's masks. */
    static double expected(Predictor p, SubBatchLoad g, long[] cpu, Dispatch.Choice c, double fixed) {
        int k0 = 0, k1 = 0;
        long c0 = 0, c1 = 0;
        for (int i = 0; i < cpu.length; i++) {
            if (!c.used[i]) continue;
            boolean b0 = c.strategy == Strategy.ASYMMETRIC_PIPELINE ? c.inB0[i] : true;
            if (b0) { k0++; c0 += cpu[i]; } else { k1++; c1 += cpu[i]; }
        }
        double cp0 = k0 == 0 ? 0 : copies(k0) + p.cpuDecodeAttention(k0, c0), cp1 = k1 == 0 ? 0 : copies(k1) + p.cpuDecodeAttention(k1, c1);
        int k = k0 + k1;
        double gAttn = g.prefillAttention + p.gpuDecodeAttention(g.gpuDecodes, g.gpuContext);
        double perLayer = switch (c.strategy) {
            case GPU_ONLY -> linear(g.width) + gAttn;
            case ASYNC_OVERLAP -> linear(g.width + k) + Math.max(gAttn, cp0);
            case ASYMMETRIC_PIPELINE -> Math.max(linear(g.width + k0), cp1) + Math.max(linear(k1) + gAttn, cp0);
            default -> Double.NaN;
        };
        return LAYERS * perLayer + p.embedAndHead(g.width + k, g.sampled + k) + fixed;
    }

    @Test
    void withoutCandidatesTheGpuRunsAloneAndPaysTheFixedTime() {
        Predictor p = predictor(1);
        SubBatchLoad g = gpu(8, 8000);
        for (boolean requireCpu : new boolean[] {false, true}) {
            Dispatch.Choice c = new Dispatch(p, LAYERS, QKV, OUT).choose(g, new long[0], 0, 0.003, requireCpu, Double.NaN, true, new Dispatch.Choice());
            assertEquals(Strategy.GPU_ONLY, c.strategy, "nothing to force onto the CPU");
            assertEquals(0, c.cpuCount);
            assertEquals(LAYERS * (linear(8) + gdec(8, 8000)) + p.embedAndHead(8, 8) + 0.003, c.predictedSec, 1e-12);
            assertEquals(8 / c.predictedSec, c.rate, 1e-9);
        }
    }

    @Test
    void asyncOverlapHidesTheCpuPathUnderGpuAttention() {
        Predictor p = predictor(1);
        SubBatchLoad g = gpu(8, 8000);   // 8.1 ms of GPU attention per layer
        long[] cpu = {500, 500, 500, 500};
        Dispatch.Choice c = new Dispatch(p, LAYERS, QKV, OUT).choose(g, cpu, cpu.length, 0.002, false, Double.NaN, false, new Dispatch.Choice());
        assertEquals(Strategy.ASYNC_OVERLAP, c.strategy);
        assertEquals(4, c.cpuCount, "every CPU row hides");
        assertTrue(c.used[0] && c.used[3]);
        assertEquals(expected(p, g, cpu, c, 0.002), c.predictedSec, 1e-12);
        assertEquals(LAYERS * (linear(12) + gdec(8, 8000)) + p.embedAndHead(12, 12) + 0.002, c.predictedSec, 1e-12,
                "hidden: only the wider linear layers and the head cost more");
        assertEquals(12 / c.predictedSec, c.rate, 1e-9);
    }

    @Test
    void everyChoiceIsPredictedInClosedForm() {
        long[] cpu = {900, 300, 2500, 700, 1200, 400, 800, 3000, 600, 500};
        for (double factor : new double[] {0.5, 1, 4, 8, 40}) {
            for (int decodes : new int[] {1, 4, 16}) {
                for (boolean packing : new boolean[] {false, true}) {
                    for (boolean pipeline : new boolean[] {false, true}) {
                        Predictor p = predictor(factor);
                        SubBatchLoad g = gpu(decodes, 1000L * decodes);
                        for (int n = 0; n <= cpu.length; n += 5) {
                            Dispatch.Choice c = new Dispatch(p, LAYERS, QKV, OUT, 0.02, packing)
                                    .choose(g, cpu, n, 0.001, false, Double.NaN, pipeline, new Dispatch.Choice());
                            String what = "cpu x" + factor + ", " + decodes + " GPU rows, " + n + " candidates, packing " + packing
                                    + ", pipeline " + pipeline + ": " + c.strategy + " with " + c.cpuCount;
                            long[] offered = Arrays.copyOf(cpu, n);
                            assertEquals(expected(p, g, offered, c, 0.001), c.predictedSec, 1e-12, what);
                            int used = 0;
                            for (int i = 0; i < n; i++) if (c.used[i]) used++;
                            assertEquals(c.cpuCount, used, what);
                            assertEquals((decodes + c.cpuCount) / c.predictedSec, c.rate, 1e-6 * c.rate, what);
                            if (!pipeline) assertTrue(c.strategy != Strategy.ASYMMETRIC_PIPELINE, what);
                            if (c.strategy == Strategy.ASYMMETRIC_PIPELINE) {
                                boolean b1 = false;
                                for (int i = 0; i < n; i++) b1 |= c.used[i] && !c.inB0[i];
                                assertTrue(b1, what + ": B1 holds CPU rows");
                            }
                            if (c.strategy != Strategy.ASYMMETRIC_PIPELINE && !packing) {
                                for (int i = 0; i < c.cpuCount; i++) assertTrue(c.used[i], what + ": AO takes a prefix");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void theChoiceNeverAdvancesFewerRowsPerSecondThanGpuOnlyUnlessForced() {
        long[] cpu = {900, 300, 2500, 700, 1200};
        for (double factor : new double[] {0.5, 4, 40}) {
            Predictor p = predictor(factor);
            SubBatchLoad g = gpu(4, 4000);
            double gpuOnly = 4 / (LAYERS * (linear(4) + gdec(4, 4000)) + p.embedAndHead(4, 4));
            Dispatch.Choice c = new Dispatch(p, LAYERS, QKV, OUT).choose(g, cpu, cpu.length, 0, false, Double.NaN, true, new Dispatch.Choice());
            assertTrue(c.rate >= gpuOnly * (1 - 1e-12), "x" + factor + ": " + c.rate + " vs " + gpuOnly);
            Dispatch.Choice forced = new Dispatch(p, LAYERS, QKV, OUT).choose(g, cpu, cpu.length, 0, true, Double.NaN, true, new Dispatch.Choice());
            assertTrue(forced.cpuCount >= 1, "x" + factor + ": the starvation guard runs a CPU row");
        }
    }

    @Test
    void eq6IsAStrictBoundAndDegenerateTimesAreDecided() {
        assertFalse(Dispatch.apBeatsGpuOnly(1, 1, 6), "exactly at the bound 2 + 3 + 1: not better");
        assertTrue(Dispatch.apBeatsGpuOnly(1, 1, Math.nextDown(6.0)));
        assertTrue(Dispatch.apBeatsGpuOnly(1, 0, 1e12), "no GPU attention to lose");
        assertTrue(Dispatch.apBeatsGpuOnly(1, -1, 1e12));
        assertFalse(Dispatch.apBeatsGpuOnly(0, 1, 1e-12), "no linear time to hide the CPU under");
        assertFalse(Dispatch.apBeatsGpuOnly(-1, 1, 1e-12));
        assertTrue(Dispatch.apBeatsGpuOnly(4, 2, 7.49), "2 x 4/2 + 3 + 2/4 = 7.5");
        assertFalse(Dispatch.apBeatsGpuOnly(4, 2, 7.5));
        assertEquals(0.02, new Dispatch(predictor(1), LAYERS, QKV, OUT).margin(), "the default margin");
    }
}
