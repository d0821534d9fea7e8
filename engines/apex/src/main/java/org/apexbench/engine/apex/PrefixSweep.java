package org.apexbench.engine.apex;

import org.apexbench.engine.predict.Predictor;

/**
 * The CPU attention of every prefix of a decision's CPU candidates (index k: the first k), looked up in one sweep
 * where consecutive lookups stay in the table's remembered cells. One decision makes several passes over the same
 * candidates (the dispatch, the admission tests, the TPOT SLO's decode step): they all read one sweep. Its owner
 * {@link #clear}s it when the predictor may have changed (a recalibration between decisions); {@link #cover} sweeps
 * again only for candidates it does not hold, so what a pass reads is what it would have looked up itself.
 */
final class PrefixSweep {
    private final Predictor p;
    private long[] ctx = new long[64];
    private double[] attention = new double[65];
    private int count = -1;

    PrefixSweep(Predictor p) { this.p = p; }

    /** Forgets the sweep: the next {@link #cover} looks every prefix up again. */
    void clear() { count = -1; }

    /** Makes the sweep hold the first {@code n} of {@code cpuCtx} (looked up unless it holds them already). */
    void cover(long[] cpuCtx, int n) {
        if (count >= n && java.util.Arrays.equals(ctx, 0, n, cpuCtx, 0, n)) return;
        if (ctx.length < n) {
            ctx = new long[Math.max(n, 2 * ctx.length)];
            attention = new double[ctx.length + 1];
        }
        long sum = 0;
        for (int i = 0; i < n; i++) {
            ctx[i] = cpuCtx[i];
            sum += cpuCtx[i];
            attention[i + 1] = p.cpuDecodeAttention(i + 1, sum);
        }
        count = n;
    }

    /** Context of candidate {@code i} (below the count covered). */
    long context(int i) { return ctx[i]; }

    /** CPU attention of the first {@code k} candidates covered. */
    double attention(int k) { return attention[k]; }
}
