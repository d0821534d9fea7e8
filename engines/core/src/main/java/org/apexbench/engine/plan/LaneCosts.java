package org.apexbench.engine.plan;

/**
 * The per-layer prices of one iteration's work, by sub-batch, that a {@link LayerLayout} sums into lanes and
 * windows. Whoever prices them chooses how: a scheduler from its predictor with its own approximations (NEO
 * charges no copies and a launch per stage, APEX fits its copies linearly), the busy-time accounting from the
 * predictor as the executors run the plan. Reusable scratch: set the fields, evaluate, set again.
 *
 * <p>Terms are added in a fixed order, so two pricings that keep a sum in one term give the same bits as one
 * that splits it: a lane's GPU work is {@code ((linear + prefill) + gpuDecode)}; a pricing that keeps its GPU
 * attention as one running sum passes it as {@code prefill} and 0 as {@code gpuDecode} (x + 0.0 == x).
 */
public final class LaneCosts {
    /** pre + post of sub-batch b (its linear layers over its width). */
    public final double[] linear = new double[2];
    /** Prefill attention of sub-batch b on the GPU. */
    public final double[] prefill = new double[2];
    /** GPU decode attention of sub-batch b. */
    public final double[] gpuDecode = new double[2];
    /** The CPU path of sub-batch b's CPU rows: their copies and CPU attention, priced as one term. */
    public final double[] cpuPath = new double[2];
    /** What the host thread spends launching each pipeline stage before its CPU work (NEO's single-thread runtime). */
    public double launch;

    /** Sets every price to 0. */
    public LaneCosts clear() {
        for (int b = 0; b < 2; b++) linear[b] = prefill[b] = gpuDecode[b] = cpuPath[b] = 0;
        launch = 0;
        return this;
    }

    /** GPU work of sub-batch {@code b} alone: {@code (linear + prefill) + gpuDecode}. */
    public double gpuWork(int b) { return linear[b] + prefill[b] + gpuDecode[b]; }

    /**
     * The whole iteration from a per-layer time: {@code layers * perLayer + embedAndHead + fixedSec}
     * ({@code fixedSec}: what runs once, e.g. whole-request swaps).
     */
    public static double iteration(int layers, double perLayer, double embedAndHead, double fixedSec) {
        return layers * perLayer + embedAndHead + fixedSec;
    }
}
