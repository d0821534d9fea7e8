package org.apexbench.engine.apex;

import org.apexbench.engine.Predictor;
import org.apexbench.engine.Strategy;

/**
 * APEX's per-iteration dispatch decision in closed form (DESIGN.md 6.3): given the GPU rows
 * (prefill chunks and GPU decodes, as per-layer sums) and an ordered list of CPU decode candidates,
 * predict per layer the time of GPU-only, Asynchronous Overlap with the first k candidates, and
 * Asymmetric Pipelining with the first k candidates split greedily between the sub-batches, and pick
 * the one with the most requests advanced per second. All layers are alike, so one layer times L.
 * Incremental: prefix sums over the candidates and O(1) table lookups per k; reusable scratch, no
 * allocation per call.
 */
final class Dispatch {
    /** GPU side of the iteration: everything that is not a CPU decode. */
    static final class GpuRows {
        int width;          // tokens through pre/post (prefill tokens + GPU decodes)
        int rows;           // requests advanced (prefill chunks + GPU decodes)
        int sampled;        // rows that sample a token
        double prefAttn;    // per-layer prefill attention seconds
        double gdec;        // per-layer GPU decode attention seconds

        double attn() { return prefAttn + gdec; }
    }

    /** The chosen dispatch. */
    static final class Choice {
        Strategy strategy = Strategy.GPU_ONLY;
        int cpuCount;             // first k candidates run on the CPU
        double predictedSec;
        double rate;              // rows per second
        /** For AP: candidates [0, cpuCount) with inB0[i] go to sub-batch B0, the others to B1. */
        boolean[] inB0 = new boolean[0];
    }

    private final Predictor p;
    private final int layers;
    private final long qkvBytes;
    private final long outBytes;
    private boolean[] side = new boolean[64];

    Dispatch(Predictor p, int layers, long qkvBytesPerRow, long outBytesPerRow) {
        this.p = p;
        this.layers = layers;
        this.qkvBytes = qkvBytesPerRow;
        this.outBytes = outBytesPerRow;
    }

    /**
     * eq. (6) of the APEX paper: asymmetric pipelining beats GPU-only in decode when
     * N_G / N_C &lt; 2 T_glinear / T_gatt + 3 + T_gatt / T_glinear, where N_G / N_C is how many times
     * faster the GPU does decode attention than the CPU.
     */
    static boolean apBeatsGpuOnly(double gpuLinearSec, double gpuAttnSec, double gpuOverCpuAttnSpeed) {
        if (gpuAttnSec <= 0) return true;
        if (gpuLinearSec <= 0) return false;
        return gpuOverCpuAttnSpeed < 2 * gpuLinearSec / gpuAttnSec + 3 + gpuAttnSec / gpuLinearSec;
    }

    private double copyFixed, copyPerRow;

    /** Copies of k rows, linear between the table at 1 and at n rows (refreshed per decision). */
    private void fitCopies(int n) {
        double one = p.d2h(qkvBytes, 1) + p.h2d(outBytes, 1);
        double all = n <= 1 ? one : p.d2h(n * qkvBytes, 1) + p.h2d(n * outBytes, 1);
        copyPerRow = n <= 1 ? 0 : (all - one) / (n - 1);
        copyFixed = one - copyPerRow;
    }

    /** CPU-side time of one layer for n rows over ctx tokens: q/k/v down, attention, output up. */
    private double cpuPath(int n, long ctx) {
        if (n == 0) return 0;
        return copyFixed + copyPerRow * n + p.cpuDecodeAttention(n, ctx);
    }

    private double whole(double perLayer, int width, int sampled, double fixedSec) {
        return layers * perLayer + p.embedAndHead(width, sampled) + fixedSec;
    }

    /**
     * @param g             GPU rows
     * @param cpuCtx        context lengths of the CPU candidates, in priority order
     * @param n             how many candidates (a prefix of cpuCtx)
     * @param fixedSec      time every candidate pays (swaps)
     * @param requireCpu    starvation guard: GPU-only (k = 0) is not allowed
     * @param tpotSloSec    when finite, candidates slower than this lose to any that meet it
     * @param allowPipeline consider AP at all (APEX option)
     */
    Choice choose(GpuRows g, long[] cpuCtx, int n, double fixedSec, boolean requireCpu, double tpotSloSec,
                  boolean allowPipeline, Choice out) {
        double lin0 = g.width == 0 ? 0 : p.linear(g.width);
        out.strategy = Strategy.GPU_ONLY;
        out.cpuCount = 0;
        double tGpu = whole(lin0 + g.attn(), g.width, g.sampled, fixedSec);
        out.predictedSec = tGpu;
        out.rate = g.rows / tGpu;
        double bestScore = requireCpu && n > 0 ? Double.NEGATIVE_INFINITY : score(g.rows, tGpu, tpotSloSec);
        if (n == 0) return out;
        fitCopies(n);
        // AO over prefixes
        long ctx = 0;
        int bestAo = 0;
        double bestAoScore = Double.NEGATIVE_INFINITY, bestAoT = 0;
        for (int k = 1; k <= n; k++) {
            ctx += cpuCtx[k - 1];
            double perLayer = p.linear(g.width + k) + Math.max(g.attn(), cpuPath(k, ctx));
            double t = whole(perLayer, g.width + k, g.sampled + k, fixedSec);
            double s = score(g.rows + k, t, tpotSloSec);
            if (better(s, bestAoScore)) { bestAoScore = s; bestAo = k; bestAoT = t; }
        }
        if (better(bestAoScore, bestScore)) {
            bestScore = bestAoScore;
            out.strategy = Strategy.ASYNC_OVERLAP;
            out.cpuCount = bestAo;
            out.predictedSec = bestAoT;
            out.rate = (g.rows + bestAo) / bestAoT;
        }
        if (!allowPipeline || n < 1) return out;
        long total = 0;
        for (int i = 0; i < n; i++) total += cpuCtx[i];
        double speed = p.cpuDecodeAttention(n, total) / Math.max(1e-12, p.gpuDecodeAttention(n, total));
        if (!apBeatsGpuOnly(lin0, g.attn(), speed)) return out;
        if (side.length < n) side = new boolean[Math.max(n, side.length * 2)];
        // greedy split: each candidate goes to the sub-batch that keeps the per-layer time lower
        int w0 = g.width, n0 = 0, n1 = 0;
        long c0 = 0, c1 = 0;
        double l0 = lin0, l1 = 0, cp0 = 0, cp1 = 0;
        int bestAp = 0;
        double bestApScore = Double.NEGATIVE_INFINITY, bestApT = 0;
        for (int k = 1; k <= n; k++) {
            long c = cpuCtx[k - 1];
            double l1b = p.linear(n1 + 1), cp1b = cpuPath(n1 + 1, c1 + c);
            double tB1 = Math.max(l0, cp1b) + Math.max(l1b + g.attn(), cp0);
            double l0b = p.linear(w0 + 1), cp0b = cpuPath(n0 + 1, c0 + c);
            double tB0 = n1 == 0 ? Double.POSITIVE_INFINITY : Math.max(l0b, cp1) + Math.max(l1 + g.attn(), cp0b);
            double perLayer;
            if (tB1 <= tB0) {
                side[k - 1] = false;
                n1++; c1 += c; l1 = l1b; cp1 = cp1b; perLayer = tB1;
            } else {
                side[k - 1] = true;
                n0++; w0++; c0 += c; l0 = l0b; cp0 = cp0b; perLayer = tB0;
            }
            double t = whole(perLayer, g.width + k, g.sampled + k, fixedSec);
            double s = score(g.rows + k, t, tpotSloSec);
            if (better(s, bestApScore)) { bestApScore = s; bestAp = k; bestApT = t; }
        }
        if (better(bestApScore, bestScore)) {
            out.strategy = Strategy.ASYMMETRIC_PIPELINE;
            out.cpuCount = bestAp;
            out.predictedSec = bestApT;
            out.rate = (g.rows + bestAp) / bestApT;
            if (out.inB0.length < bestAp) out.inB0 = new boolean[Math.max(bestAp, 2 * out.inB0.length)];
            System.arraycopy(side, 0, out.inB0, 0, bestAp);
        }
        return out;
    }

    /**
     * Candidates are visited from the shortest iteration up; a longer one must beat the best so far by
     * {@link #MARGIN}. Rows per second is often flat once the CPU is the bottleneck, and without the
     * margin the argmax drifts to huge CPU batches whose iterations multiply every request's TPOT for
     * a fraction of a percent of throughput (our choice; the paper does not say how ties are broken).
     */
    static final double MARGIN = 0.01;

    static boolean better(double s, double best) {
        return best == Double.NEGATIVE_INFINITY ? s > best : s > best + Math.abs(best) * MARGIN;
    }

    /** Rows per second, or for a plan slower than the TPOT SLO a negative score that prefers the faster. */
    private static double score(int rows, double t, double slo) {
        if (rows == 0) return Double.NEGATIVE_INFINITY;
        if (Double.isFinite(slo) && t > slo) return -t;
        return rows / t;
    }
}
