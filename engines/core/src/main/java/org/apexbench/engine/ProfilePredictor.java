package org.apexbench.engine;

import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileTable;

/**
 * Predictions straight from a profile's interpolating tables (no per-call allocation): what NEO
 * and APEX schedule with. Copies of {@code n} transfers cost n times the table at bytes/n, as the
 * profiler's table cost model does.
 */
public final class ProfilePredictor implements Predictor {
    private static final int LINEAR_CACHE = 1 << 14;
    private final ProfileTable pre, post, embed, head, prefill, gpuDecode, cpuDecode, h2d, d2h;
    /** linear(rows) memoised: schedulers ask for the same widths every iteration. */
    private final double[] linear = new double[LINEAR_CACHE];

    public ProfilePredictor(Profile p) {
        pre = p.table(Profile.PRE);
        post = p.table(Profile.POST);
        embed = p.table(Profile.EMBED);
        head = p.table(Profile.LM_HEAD);
        prefill = p.table(Profile.PREFILL_ATTN);
        gpuDecode = p.table(Profile.GPU_DECODE_ATTN);
        cpuDecode = p.table(Profile.CPU_DECODE_ATTN);
        h2d = p.table(Profile.H2D);
        d2h = p.table(Profile.D2H);
        java.util.Arrays.fill(linear, Double.NaN);
        linear[0] = 0;
    }

    @Override
    public double linear(int rows) {
        if (rows < LINEAR_CACHE) {
            double v = linear[rows];
            if (v == v) return v;
            return linear[rows] = pre.at(rows) + post.at(rows);
        }
        return pre.at(rows) + post.at(rows);
    }

    @Override public double prefillAttention(int newTokens, int sequences, long pairs) { return sequences == 0 ? 0 : prefill.at(pairs); }

    @Override public double gpuDecodeAttention(int requests, long ctx) { return requests == 0 ? 0 : gpuDecode.at(requests, ctx); }

    @Override public double cpuDecodeAttention(int requests, long ctx) { return requests == 0 ? 0 : cpuDecode.at(requests, ctx); }

    @Override public double d2h(long bytes, int transfers) { return copy(d2h, bytes, transfers); }

    @Override public double h2d(long bytes, int transfers) { return copy(h2d, bytes, transfers); }

    private static double copy(ProfileTable t, long bytes, int transfers) {
        if (bytes == 0) return 0;
        int n = Math.max(1, transfers);
        return n * t.at((double) bytes / n);
    }

    @Override
    public double embedAndHead(int rows, int sampledRows) {
        return (rows == 0 ? 0 : embed.at(rows)) + (sampledRows == 0 ? 0 : head.at(sampledRows));
    }
}
