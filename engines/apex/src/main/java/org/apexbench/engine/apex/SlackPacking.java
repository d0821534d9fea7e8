package org.apexbench.engine.apex;

import org.apexbench.engine.plan.GreedyPacking;

/**
 * NEO's greedy packing ({@link GreedyPacking}, docs/engines.md#neo) as a third APEX candidate, on our two-thread
 * runtime with exact table lookups and APEX's pricing of the pipelined pair (A: linear(B0) - cpu(B1), B: linear(B1)
 * + attn(B0) - cpu(B0), copies included). Unlike the prefix split it may skip a long context to take shorter ones
 * after it. Reusable scratch.
 */
final class SlackPacking implements GreedyPacking.Lanes {
    private final Dispatch d;
    private boolean[] use = new boolean[64], inB0 = new boolean[64];
    private double perLayer;
    // the packing in progress: rows, B0's width and contexts, linear and CPU-path times; *x: with the tentative row
    private long[] ctxs;
    private int n0, n1, w0;
    private long c0, c1;
    private double l0, l1, cp0, cp1, l0x, l1x, cp0x, cp1x;

    SlackPacking(Dispatch d) { this.d = d; }

    /**
     * Packs the first {@code k} candidates of {@code ctxs} beside GPU rows of width {@code width} and linear time
     * {@code lin0}; returns the CPU rows packed (0 when B1 stays empty).
     */
    int pack(long[] ctxs, int k, int width, double lin0) {
        if (use.length < k) {
            use = new boolean[Math.max(k, 2 * use.length)];
            inB0 = new boolean[use.length];
        }
        java.util.Arrays.fill(use, 0, k, false);
        java.util.Arrays.fill(inB0, 0, k, false);
        this.ctxs = ctxs;
        n0 = 0;
        n1 = 0;
        w0 = width;
        c0 = 0;
        c1 = 0;
        l0 = lin0;
        l1 = 0;
        cp0 = 0;
        cp1 = 0;
        GreedyPacking.pack(k, i -> ctxs[i], Integer.MAX_VALUE, this);
        if (n1 == 0) return 0;
        perLayer = d.pipelined(l0, l1, cp0, cp1);
        return n0 + n1;
    }

    @Override
    public void tryAdd(int i, boolean toB1) {
        var p = d.predictor();
        long c = ctxs[i];
        l0x = l0;
        l1x = l1;
        cp0x = cp0;
        cp1x = cp1;
        if (toB1) { l1x = p.linear(n1 + 1); cp1x = d.cpuPath(n1 + 1, c1 + c); }
        else { l0x = p.linear(w0 + 1); cp0x = d.cpuPath(n0 + 1, c0 + c); }
    }

    @Override
    public double slack(int w) { return d.slack(w, l0x, l1x, cp0x, cp1x); }

    @Override
    public void settle(int i, boolean toB1, boolean keep) {
        if (!keep) return;
        long c = ctxs[i];
        use[i] = true;
        if (toB1) { n1++; c1 += c; l1 = l1x; cp1 = cp1x; }
        else { inB0[i] = true; n0++; w0++; c0 += c; l0 = l0x; cp0 = cp0x; }
    }

    /** Whether the last packing runs each of the first {@code m} candidates. */
    boolean runsFirst(int m) {
        for (int i = 0; i < m; i++) if (!use[i]) return false;
        return true;
    }

    /** Per-layer time of the last packing that found rows. */
    double perLayer() { return perLayer; }

    /** The last packing's masks into {@code out}'s, for the first {@code k} candidates. */
    void copyTo(Dispatch.Choice out, int k) {
        System.arraycopy(use, 0, out.used, 0, k);
        System.arraycopy(inB0, 0, out.inB0, 0, k);
    }
}
