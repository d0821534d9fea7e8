package org.apexbench.engine.predict;

import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileTable;

/**
 * Predictions straight from a profile's interpolating tables (no per-call allocation): what NEO
 * and APEX schedule with. Copies of {@code n} transfers cost n times the table at bytes/n, as the
 * profiler's table cost model does.
 */
public final class ProfilePredictor implements Predictor {
    private static final int LINEAR_CACHE = 1 << 14;
    private final ProfileTable pre, post, embed, head, prefill, h2d, d2h;
    private final Grid2 gpuDecode, cpuDecode;
    /** linear(rows) memoised: schedulers ask for the same widths every iteration. */
    private final double[] linear = new double[LINEAR_CACHE];
    private final double[] embedRows = new double[LINEAR_CACHE];
    private final double[] headRows = new double[LINEAR_CACHE];

    /** A predictor answering from {@code profile}'s tables, after checking it was measured on the setup {@code expected}. */
    public static ProfilePredictor checked(Profile profile, ProfileFingerprint expected, String origin) {
        profile.requireFingerprint(expected, origin);
        return new ProfilePredictor(profile);
    }

    public ProfilePredictor(Profile p) {
        pre = p.table(Profile.PRE);
        post = p.table(Profile.POST);
        embed = p.table(Profile.EMBED);
        head = p.table(Profile.LM_HEAD);
        prefill = p.table(Profile.PREFILL_ATTN);
        gpuDecode = new Grid2(p.table(Profile.GPU_DECODE_ATTN));
        cpuDecode = new Grid2(p.table(Profile.CPU_DECODE_ATTN));
        h2d = p.table(Profile.H2D);
        d2h = p.table(Profile.D2H);
        java.util.Arrays.fill(linear, Double.NaN);
        java.util.Arrays.fill(embedRows, Double.NaN);
        java.util.Arrays.fill(headRows, Double.NaN);
        linear[0] = embedRows[0] = headRows[0] = 0;
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

    /**
     * The profile's bilinear table with the same interpolation and linear extrapolation, remembering the
     * last two cells it answered in (their bounds and corners): schedulers query it with slowly moving arguments,
     * often two interleaved sequences (APEX prices a prefix of its candidates and one sub-batch per candidate), so
     * most lookups read neither the grid nor the table.
     */
    private static final class Grid2 {
        private final double[] x, y;
        private final double[][] s;
        /** Per axis and segment, {@link #exactInverses}. */
        private final double[] xInv, yInv;
        /** The cells of the last two lookups that fell inside the grid, the latest first. */
        private Cell recent = new Cell(), other = new Cell();

        Grid2(ProfileTable t) {
            if (!(t instanceof org.apexbench.profiler.table.Table2D d)) {
                throw new IllegalArgumentException("profile table " + t + " must be two-dimensional (requests x context)");
            }
            x = d.x();
            y = d.y();
            s = d.seconds();
            xInv = exactInverses(x);
            yInv = exactInverses(y);
        }

        /**
         * Per segment of {@code g}, 1 / its width where the width is a power of two (the profiler's grids double
         * every other point), else NaN: then {@code d * inv} is {@code d / width} to the bit (both are the correctly
         * rounded d / 2^e), without the division.
         */
        private static double[] exactInverses(double[] g) {
            double[] inv = new double[g.length - 1];
            for (int k = 0; k < inv.length; k++) {
                double w = g[k + 1] - g[k];
                boolean powerOfTwo = w >= Double.MIN_NORMAL && w < Double.POSITIVE_INFINITY
                        && (Double.doubleToRawLongBits(w) & 0x000F_FFFF_FFFF_FFFFL) == 0;
                inv[k] = powerOfTwo ? 1.0 / w : Double.NaN;
            }
            return inv;
        }

        double at(double qx, double qy) {
            Cell c = recent;
            if (c.holds(qx, qy)) return c.at(qx, qy);
            c = other;
            if (c.holds(qx, qy)) return c.at(qx, qy);
            return miss(qx, qy);
        }

        /**
         * Finds the cell of (qx, qy) ({@link ProfileTable#segment} per axis, walked from the latest cell: a sequence of
         * queries leaves a cell for a neighbour) and remembers it when it lies inside the grid.
         */
        private double miss(double qx, double qy) {
            int a = segmentFrom(x, qx, recent.a);
            int b = segmentFrom(y, qy, recent.b);
            Cell c = other;
            c.set(x, xInv, a, y, yInv, b, s);
            // a query off the grid extrapolates from an edge cell, which holds() must not claim for other points
            if (c.holds(qx, qy)) {
                other = recent;
                recent = c;
            }
            return c.at(qx, qy);
        }
    }

    /**
     * {@link ProfileTable#segment}{@code (grid, q)} found by walking from segment {@code from}: the smallest i with
     * grid[i] &lt;= q &lt; grid[i+1], clamped to [0, n-2], as the binary search gives it (a NaN query goes to that search).
     */
    static int segmentFrom(double[] grid, double q, int from) {
        if (q != q) return ProfileTable.segment(grid, q);
        int i = from;
        while (i > 0 && q < grid[i]) i--;
        while (i < grid.length - 2 && q >= grid[i + 1]) i++;
        return i;
    }

    /**
     * One grid cell: where it lies, the segments' exact inverse widths, and its corners, so that {@link #at} is the
     * table's interpolation, operation for operation: the fraction along each axis, then along context, then along
     * requests. {@link #holds} is the cell {@link ProfileTable#segment} picks for points inside the grid.
     */
    private static final class Cell {
        private double x0 = Double.NaN, x1 = Double.NaN, xInv, xWidth, y0 = Double.NaN, y1 = Double.NaN, yInv, yWidth;
        private double s00, d0, s10, d1;
        /** Its segment on each axis (the walk's start for the next cell, {@link #segmentFrom}). */
        private int a, b;

        void set(double[] x, double[] xInvs, int a, double[] y, double[] yInvs, int b, double[][] s) {
            this.a = a;
            this.b = b;
            x0 = x[a];
            x1 = x[a + 1];
            xInv = xInvs[a];
            xWidth = x1 - x0;
            y0 = y[b];
            y1 = y[b + 1];
            yInv = yInvs[b];
            yWidth = y1 - y0;
            s00 = s[a][b];
            d0 = s[a][b + 1] - s00;
            s10 = s[a + 1][b];
            d1 = s[a + 1][b + 1] - s10;
        }

        boolean holds(double qx, double qy) { return x0 <= qx && qx < x1 && y0 <= qy && qy < y1; }

        double at(double qx, double qy) {
            double tx = xInv == xInv ? (qx - x0) * xInv : (qx - x0) / xWidth;
            double ty = yInv == yInv ? (qy - y0) * yInv : (qy - y0) / yWidth;
            double lo = s00 + ty * d0;
            double hi = s10 + ty * d1;
            return Math.max(0, lo + tx * (hi - lo));
        }
    }

    private static double copy(ProfileTable t, long bytes, int transfers) {
        if (bytes == 0) return 0;
        int n = Math.max(1, transfers);
        return n * t.at((double) bytes / n);
    }

    @Override
    public double embedAndHead(int rows, int sampledRows) {
        return memo(embedRows, embed, rows) + memo(headRows, head, sampledRows);
    }

    private static double memo(double[] cache, ProfileTable t, int rows) {
        if (rows < cache.length) {
            double v = cache[rows];
            if (v == v) return v;
            return cache[rows] = t.at(rows);
        }
        return t.at(rows);
    }
}
