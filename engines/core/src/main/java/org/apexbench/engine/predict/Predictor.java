package org.apexbench.engine.predict;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;

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

    /**
     * A predictor answering straight from a subtask timer: in tests and checks, the simulated hardware's own
     * cost model or a constructed one (runs predict from profile tables, {@link ProfilePredictor}).
     */
    static Predictor of(SubtaskTimer t) {
        return new Predictor() {
            @Override public double linear(int rows) {
                return rows == 0 ? 0 : t.seconds(Op.PRE, SubtaskFeatures.linear(rows)) + t.seconds(Op.POST, SubtaskFeatures.linear(rows));
            }
            @Override public double prefillAttention(int newTokens, int sequences, long pairs) {
                return sequences == 0 ? 0 : t.seconds(Op.PREFILL_ATTN, SubtaskFeatures.prefill(newTokens, sequences, pairs));
            }
            @Override public double gpuDecodeAttention(int requests, long ctx) {
                return requests == 0 ? 0 : t.seconds(Op.GPU_DECODE_ATTN, SubtaskFeatures.decode(requests, ctx));
            }
            @Override public double cpuDecodeAttention(int requests, long ctx) {
                return requests == 0 ? 0 : t.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(requests, ctx));
            }
            @Override public double d2h(long bytes, int transfers) {
                return bytes == 0 ? 0 : t.seconds(Op.QKV_D2H, SubtaskFeatures.copy(bytes, transfers));
            }
            @Override public double h2d(long bytes, int transfers) {
                return bytes == 0 ? 0 : t.seconds(Op.ATTN_OUT_H2D, SubtaskFeatures.copy(bytes, transfers));
            }
            @Override public double embedAndHead(int rows, int sampledRows) {
                return (rows == 0 ? 0 : t.seconds(Op.EMBED, SubtaskFeatures.linear(rows)))
                        + (sampledRows == 0 ? 0 : t.seconds(Op.LM_HEAD, SubtaskFeatures.linear(sampledRows)));
            }
        };
    }
}
