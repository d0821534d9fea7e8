package org.apexbench.engine.predict;

/**
 * A profile's predictions scaled by the current {@link Recalibration} factors: everything that runs on the
 * GPU (linear layers, prefill and GPU decode attention, embedding and LM head) by the GPU factor, CPU decode
 * attention by the CPU factor. PCIe copies are left as profiled: their measured time is not separated from
 * the stalls around it, and the copies are a small share of an iteration.
 */
public final class CalibratedPredictor implements Predictor {
    private final Predictor base;
    private final Recalibration factors;

    public CalibratedPredictor(Predictor base, Recalibration factors) {
        this.base = base;
        this.factors = factors;
    }

    @Override public double linear(int rows) { return factors.gpuFactor() * base.linear(rows); }

    @Override public double prefillAttention(int newTokens, int sequences, long pairs) {
        return factors.gpuFactor() * base.prefillAttention(newTokens, sequences, pairs);
    }

    @Override public double gpuDecodeAttention(int requests, long contextTokens) {
        return factors.gpuFactor() * base.gpuDecodeAttention(requests, contextTokens);
    }

    @Override public double cpuDecodeAttention(int requests, long contextTokens) {
        return factors.cpuFactor() * base.cpuDecodeAttention(requests, contextTokens);
    }

    @Override public double d2h(long bytes, int transfers) { return base.d2h(bytes, transfers); }

    @Override public double h2d(long bytes, int transfers) { return base.h2d(bytes, transfers); }

    @Override public double embedAndHead(int rows, int sampledRows) { return factors.gpuFactor() * base.embedAndHead(rows, sampledRows); }
}
