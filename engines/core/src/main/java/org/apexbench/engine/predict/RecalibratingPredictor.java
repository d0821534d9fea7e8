package org.apexbench.engine.predict;

/**
 * A predictor's answers scaled by correction factors learnt online from measured busy times (the recalibrating
 * decorator; docs/engines.md#online-recalibration: profiled tables go stale). Everything that runs on the GPU
 * (linear layers, prefill and GPU decode attention, embedding and LM head) is scaled by the GPU factor, CPU decode
 * attention by the CPU factor; PCIe copies are left as profiled (their measured time is not separated from the
 * stalls around it, and the copies are a small share of an iteration).
 *
 * <p>After each iteration the scheduler reports what the base tables predicted for the plan it ran and what the
 * executor measured, per side ({@link #observe}); each side's factor is the ratio of exponentially decayed sums,
 * <pre>
 *   factor = sum_i d^(n-i) measured_i / sum_i d^(n-i) predicted_i      (d = {@link #decay()})
 * </pre>
 * so long iterations weigh more than short ones, noise averages out over about 1/(1-d) iterations, and an old
 * profile's bias is forgotten as fast as the host changes. Factors start at 1 (trust the profile) and are clamped
 * to [{@link #MIN_FACTOR}, {@link #MAX_FACTOR}] so one pathological iteration cannot turn the scheduler upside
 * down. Iterations in which a side was predicted idle say nothing about it and are skipped.
 */
public final class RecalibratingPredictor implements Predictor {
    public static final double MIN_FACTOR = 0.25, MAX_FACTOR = 4;
    /** Weight of the previous evidence per iteration: a half-life of about 14 iterations. */
    public static final double DEFAULT_DECAY = 0.95;

    private final Predictor base;
    /**
     * {@code base} when it is the profile's tables (a final class), called through this field: a call on the interface
     * is inlined into the scheduler only where the JIT profiled its receiver, which it may not have (a warm-up compiled
     * without type profiles left ApexDecisionBench's forks at ~55 against ~46 us per decision); the same method either way.
     */
    private final ProfilePredictor tables;
    private final double decay;
    private final DecayedRatio gpu = new DecayedRatio(), cpu = new DecayedRatio();
    private long observations;

    public RecalibratingPredictor(Predictor base) { this(base, DEFAULT_DECAY); }

    public RecalibratingPredictor(Predictor base, double decay) {
        if (!(decay > 0 && decay < 1)) throw new IllegalArgumentException("recalibration decay must be in (0, 1), got " + decay);
        this.base = base;
        this.tables = base instanceof ProfilePredictor t ? t : null;
        this.decay = decay;
    }

    /** The uncorrected predictor (what recalibration compares with the measurements). */
    public Predictor base() { return base; }

    public double decay() { return decay; }

    /** Measured over predicted GPU busy time, as the GPU predictions are scaled. */
    public double gpuFactor() { return gpu.factor; }

    /** Measured over predicted CPU attention busy time. */
    public double cpuFactor() { return cpu.factor; }

    /** Iterations observed so far. */
    public long observations() { return observations; }

    /** Iterations that updated the GPU factor (the GPU was predicted busy). */
    public long gpuObservations() { return gpu.updates; }

    /** Iterations that updated the CPU factor (CPU attention was predicted busy). */
    public long cpuObservations() { return cpu.updates; }

    /**
     * One iteration: the base (uncorrected) predictions of the plan that ran and the measured busy times.
     * Seconds; a side predicted at 0 (or not finite) is left as it was.
     */
    public void observe(double predictedGpuSec, double measuredGpuSec, double predictedCpuSec, double measuredCpuSec) {
        observations++;
        gpu.add(predictedGpuSec, measuredGpuSec);
        cpu.add(predictedCpuSec, measuredCpuSec);
    }

    @Override public double linear(int rows) { return gpu.factor * (tables != null ? tables.linear(rows) : base.linear(rows)); }

    @Override public double prefillAttention(int newTokens, int sequences, long pairs) {
        return gpu.factor * (tables != null ? tables.prefillAttention(newTokens, sequences, pairs)
                : base.prefillAttention(newTokens, sequences, pairs));
    }

    @Override public double gpuDecodeAttention(int requests, long contextTokens) {
        return gpu.factor * (tables != null ? tables.gpuDecodeAttention(requests, contextTokens)
                : base.gpuDecodeAttention(requests, contextTokens));
    }

    @Override public double cpuDecodeAttention(int requests, long contextTokens) {
        return cpu.factor * (tables != null ? tables.cpuDecodeAttention(requests, contextTokens)
                : base.cpuDecodeAttention(requests, contextTokens));
    }

    @Override public double d2h(long bytes, int transfers) { return base.d2h(bytes, transfers); }

    @Override public double h2d(long bytes, int transfers) { return base.h2d(bytes, transfers); }

    @Override public double embedAndHead(int rows, int sampledRows) {
        return gpu.factor * (tables != null ? tables.embedAndHead(rows, sampledRows) : base.embedAndHead(rows, sampledRows));
    }

    /** One side's decayed sums and the clamped factor they give. */
    private final class DecayedRatio {
        double measured, predicted, factor = 1;
        long updates;

        void add(double predictedSec, double measuredSec) {
            if (!(predictedSec > 0 && Double.isFinite(predictedSec) && measuredSec >= 0 && Double.isFinite(measuredSec))) return;
            measured = decay * measured + measuredSec;
            predicted = decay * predicted + predictedSec;
            factor = Math.max(MIN_FACTOR, Math.min(MAX_FACTOR, measured / predicted));
            updates++;
        }
    }
}
