package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.predict.Predictor;

/**
 * The predictor NEO's scheduler sees: NEO profiles GPU decode attention by total tokens only
 * ({@code swiftllm/server/profiler.py}, {@code _profile_gdec}: N tokens as ceil(N / L) requests of L =
 * {@code max_seq_len} tokens, the last one shorter; {@code perfpredictor.py} interpolates that table in N), so its
 * {@code gdec_T} of a batch is the time of its tokens held by the fewest requests, not by the batch's own requests.
 * {@code max_seq_len} is {@code max_blocks_per_seq} blocks, which NEO's {@code evaluation/server.py} sets to the
 * token budget rounded up to whole blocks. Every other prediction is the underlying one (docs/decisions.md, NEO's
 * remaining misses, tenth pass).
 */
final class NeoProfiledPredictor implements Predictor {
    private final Predictor p;
    private final long maxSeqLen;

    NeoProfiledPredictor(Predictor p, EngineBudgets b) {
        this.p = p;
        long blocks = (b.maxTokensPerIteration() - 1) / b.blockSize() + 1;
        this.maxSeqLen = blocks * b.blockSize();
    }

    /** Requests NEO's gdec profile holds {@code contextTokens} in. */
    long profiledRequests(long contextTokens) { return (contextTokens + maxSeqLen - 1) / maxSeqLen; }

    @Override public double linear(int rows) { return p.linear(rows); }

    @Override public double prefillAttention(int newTokens, int sequences, long pairs) {
        return p.prefillAttention(newTokens, sequences, pairs);
    }

    @Override public double gpuDecodeAttention(int requests, long contextTokens) {
        return requests == 0 ? 0 : p.gpuDecodeAttention((int) Math.max(1, profiledRequests(contextTokens)), contextTokens);
    }

    @Override public double cpuDecodeAttention(int requests, long contextTokens) { return p.cpuDecodeAttention(requests, contextTokens); }

    @Override public double d2h(long bytes, int transfers) { return p.d2h(bytes, transfers); }

    @Override public double h2d(long bytes, int transfers) { return p.h2d(bytes, transfers); }

    @Override public double embedAndHead(int rows, int sampledRows) { return p.embedAndHead(rows, sampledRows); }
}
