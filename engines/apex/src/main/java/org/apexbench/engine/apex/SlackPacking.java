package org.apexbench.engine.apex;

/**
 * NEO's greedy packing (docs/engines.md#neo) as a third APEX candidate, on our two-thread runtime with exact table
 * lookups: visit the CPU candidates in order, put each in the sub-batch whose slack is larger (B1 first), keep it
 * while both windows of the pipelined layout keep a slack >= 0 (A: linear(B0) - cpu(B1), B: linear(B1) + attn(B0) -
 * cpu(B0)), else skip it and every later one at least as long. Unlike the prefix split it may skip a long context to
 * take shorter ones after it. Reusable scratch.
 */
final class SlackPacking {
    private final Dispatch d;
    private boolean[] use = new boolean[64], inB0 = new boolean[64];
    private double perLayer;

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
        var p = d.predictor();
        int n0 = 0, n1 = 0, w0 = width;
        long c0 = 0, c1 = 0, minFail = Long.MAX_VALUE;
        double l0 = lin0, l1 = 0, cp0 = 0, cp1 = 0;
        boolean toB1 = true;
        for (int i = 0; i < k; i++) {
            use[i] = false;
            inB0[i] = false;
            long c = ctxs[i];
            if (c >= minFail) continue;
            double l0x = l0, l1x = l1, cp0x = cp0, cp1x = cp1;
            if (toB1) { l1x = p.linear(n1 + 1); cp1x = d.cpuPath(n1 + 1, c1 + c); }
            else { l0x = p.linear(w0 + 1); cp0x = d.cpuPath(n0 + 1, c0 + c); }
            double a = d.slack(0, l0x, l1x, cp0x, cp1x), b = d.slack(1, l0x, l1x, cp0x, cp1x);
            if (Math.min(a, b) < 0) { minFail = c; continue; }
            use[i] = true;
            if (toB1) { n1++; c1 += c; l1 = l1x; cp1 = cp1x; }
            else { inB0[i] = true; n0++; w0++; c0 += c; l0 = l0x; cp0 = cp0x; }
            toB1 = a > b;
        }
        if (n1 == 0) return 0;
        perLayer = d.pipelined(l0, l1, cp0, cp1);
        return n0 + n1;
    }

    /** Per-layer time of the last packing that found rows. */
    double perLayer() { return perLayer; }

    /** The last packing's masks into {@code out}'s, for the first {@code k} candidates. */
    void copyTo(Dispatch.Choice out, int k) {
        System.arraycopy(use, 0, out.used, 0, k);
        System.arraycopy(inB0, 0, out.inB0, 0, k);
    }
}
