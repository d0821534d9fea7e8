package org.apexbench.engine;

import org.apexbench.profiler.Op;

/**
 * What schedulers know about time: per-layer predictions of each subtask kind, built from profile
 * tables (never from the simulator's cost model directly). Seconds; per layer unless noted.
 */
public interface Predictor {
    /** pre + post of one layer over {@code rows} tokens. */
    double linear(int rows);

    double prefillAttention(int newTokens, int sequences, long pairs);

    double gpuDecodeAttention(int requests, long contextTokens);

    double cpuDecodeAttention(int requests, long contextTokens);

    /** One device-to-host copy (whole). */
    double d2h(long bytes, int transfers);

    /** One host-to-device copy (whole). */
    double h2d(long bytes, int transfers);

    /** Embedding plus final norm, LM head and sampling (whole). */
    double embedAndHead(int rows, int sampledRows);

    /** A predictor answering from any cost function (a profile-backed table or, in tests, a constructed one). */
    static Predictor of(CostFunction f) {
        return new Predictor() {
            @Override public double linear(int rows) {
                return rows == 0 ? 0 : f.linear(Op.PRE, rows) + f.linear(Op.POST, rows);
            }
            @Override public double prefillAttention(int newTokens, int sequences, long pairs) {
                return sequences == 0 ? 0 : f.seconds(Op.PREFILL_ATTN, newTokens, sequences, 0, pairs, 0);
            }
            @Override public double gpuDecodeAttention(int requests, long ctx) {
                return requests == 0 ? 0 : f.seconds(Op.GPU_DECODE_ATTN, 0, requests, ctx, 0, 0);
            }
            @Override public double cpuDecodeAttention(int requests, long ctx) {
                return requests == 0 ? 0 : f.seconds(Op.CPU_DECODE_ATTN, 0, requests, ctx, 0, 0);
            }
            @Override public double d2h(long bytes, int transfers) {
                return bytes == 0 ? 0 : f.seconds(Op.QKV_D2H, 0, transfers, 0, 0, bytes);
            }
            @Override public double h2d(long bytes, int transfers) {
                return bytes == 0 ? 0 : f.seconds(Op.ATTN_OUT_H2D, 0, transfers, 0, 0, bytes);
            }
            @Override public double embedAndHead(int rows, int sampledRows) {
                return (rows == 0 ? 0 : f.linear(Op.EMBED, rows)) + (sampledRows == 0 ? 0 : f.linear(Op.LM_HEAD, sampledRows));
            }
        };
    }
}
