package org.apexbench.engine.plan;

import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.predict.Predictor;

/**
 * A (sub-)batch a scheduler is assembling, as per-layer sums: its rows, and the prefill attention of its chunks
 * priced one chunk at a time as chunks are added and taken out again. What NEO's mode decision and APEX's
 * dispatch price their {@link LaneCosts} GPU terms from.
 */
public final class SubBatchLoad {
    /** Tokens through pre/post: prefill tokens plus one per decode. */
    public int width;
    /** Requests advanced: prefill chunks plus decodes. */
    public int rows;
    /** Rows that sample a token: completing prefill chunks plus decodes. */
    public int sampled;
    public int prefills, gpuDecodes, cpuDecodes;
    public long gpuContext, cpuContext;
    /** Per-layer prefill attention: the sum of each chunk's price. */
    public double prefillAttention;

    /** Adds ({@code sign} 1) or takes out (-1) a prefill chunk. */
    public void addPrefill(PrefillChunk c, Predictor p, int sign) {
        width += sign * c.length();
        prefills += sign;
        rows += sign;
        if (c.completes()) sampled += sign;
        prefillAttention += sign * p.prefillAttention(c.length(), 1, c.attendedPairs());
    }

    /** Adds a GPU decode. */
    public void addGpuDecode(RequestState r) {
        width++;
        rows++;
        sampled++;
        gpuDecodes++;
        gpuContext += r.contextLength();
    }

    /** Adds ({@code sign} 1) or takes out (-1) a CPU decode. */
    public void addCpuDecode(RequestState r, int sign) {
        width += sign;
        rows += sign;
        sampled += sign;
        cpuDecodes += sign;
        cpuContext += sign * (long) r.contextLength();
    }

    /** Makes this a copy of {@code o}; returns this. */
    public SubBatchLoad copyFrom(SubBatchLoad o) {
        width = o.width;
        rows = o.rows;
        sampled = o.sampled;
        prefills = o.prefills;
        gpuDecodes = o.gpuDecodes;
        cpuDecodes = o.cpuDecodes;
        gpuContext = o.gpuContext;
        cpuContext = o.cpuContext;
        prefillAttention = o.prefillAttention;
        return this;
    }

    /** Empties it; returns this. */
    public SubBatchLoad clear() {
        width = rows = sampled = prefills = gpuDecodes = cpuDecodes = 0;
        gpuContext = cpuContext = 0;
        prefillAttention = 0;
        return this;
    }

    /** pre + post of one layer over its width (0 when empty). */
    public double linear(Predictor p) { return width == 0 ? 0 : p.linear(width); }

    public double gpuDecodeAttention(Predictor p) { return p.gpuDecodeAttention(gpuDecodes, gpuContext); }

    public double cpuDecodeAttention(Predictor p) { return p.cpuDecodeAttention(cpuDecodes, cpuContext); }

    /**
     * Prices its GPU terms as sub-batch {@code b} of {@code c}: linear, prefill attention, GPU decode attention
     * (the CPU path is the scheduler's to price).
     */
    public void priceGpu(LaneCosts c, int b, Predictor p) {
        c.linear[b] = linear(p);
        c.prefill[b] = prefillAttention;
        c.gpuDecode[b] = gpuDecodeAttention(p);
    }
}
