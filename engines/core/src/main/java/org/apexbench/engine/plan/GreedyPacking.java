package org.apexbench.engine.plan;

import java.util.function.IntToLongFunction;

/**
 * NEO's greedy slack packing of CPU decodes into the pipelined pair (docs/engines.md#neo), the one loop NEO's
 * scheduler and APEX's third candidate share: visit the candidates in order, put each in the sub-batch whose slack
 * is larger (B1 first), keep it while both windows of the pipelined {@link LayerLayout} keep a slack &gt;= 0, else
 * drop it and skip every later candidate at least as long (it would fail too); stop after {@code limit} kept. What
 * the slacks are (NEO's table costs with its launch charge and no copies, APEX's with copies) is the caller's
 * {@link Lanes}.
 */
public final class GreedyPacking {
    private GreedyPacking() { }

    /** The pair being packed, priced by the caller. */
    public interface Lanes {
        /** Adds candidate {@code i} tentatively to B1 ({@code toB1}) or B0. */
        void tryAdd(int i, boolean toB1);

        /** The pipelined pair's slack in window {@code w} (A: 0, B: 1) with the tentative candidate. */
        double slack(int w);

        /** Keeps ({@code keep}) or takes back the tentative candidate {@code i}. */
        void settle(int i, boolean toB1, boolean keep);
    }

    /**
     * Packs candidates {@code 0..k-1} (context lengths {@code context}) into {@code lanes}, at most {@code limit} of
     * them; returns how many were kept.
     */
    public static int pack(int k, IntToLongFunction context, int limit, Lanes lanes) {
        int kept = 0;
        long minFail = Long.MAX_VALUE;
        boolean toB1 = true;
        for (int i = 0; i < k && kept < limit; i++) {
            long c = context.applyAsLong(i);
            if (c >= minFail) continue;
            lanes.tryAdd(i, toB1);
            double a = lanes.slack(0), b = lanes.slack(1);
            if (Math.min(a, b) < 0) {
                lanes.settle(i, toB1, false);
                minFail = c;
                continue;
            }
            lanes.settle(i, toB1, true);
            kept++;
            toB1 = a > b;
        }
        return kept;
    }
}
