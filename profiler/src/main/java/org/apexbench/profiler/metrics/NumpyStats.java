package org.apexbench.profiler.metrics;

/**
 * numpy's default estimators over float64 values ({@code np.sum}, {@code np.mean}, {@code np.std},
 * {@code np.median}, {@code np.percentile} with its default linear interpolation), done operation for operation
 * as numpy does them, so the results are numpy's to the last bit. vLLM's benchmark computes every latency
 * statistic it reports with these functions.
 *
 * <p>HdrHistogram is not used here on purpose: its percentiles are nearest-rank over quantised buckets, a
 * different estimator (see docs/metrics.md).
 */
final class NumpyStats {
    private NumpyStats() {}

    /** numpy's block for its unrolled pairwise summation (PW_BLOCKSIZE). */
    private static final int BLOCK = 128;

    /**
     * Sum of {@code a[from .. from + n)} by numpy's pairwise summation (what {@code np.add.reduce} does over a
     * contiguous float64 array): fewer than 8 values in order; up to 128 in eight interleaved partial sums
     * combined as a tree, the remainder added last; beyond that, split at half rounded down to a multiple of 8.
     */
    static double sum(double[] a, int from, int n) {
        if (n < 8) {
            double s = -0.0;
            for (int i = 0; i < n; i++) s += a[from + i];
            return s;
        }
        if (n <= BLOCK) {
            double r0 = a[from], r1 = a[from + 1], r2 = a[from + 2], r3 = a[from + 3];
            double r4 = a[from + 4], r5 = a[from + 5], r6 = a[from + 6], r7 = a[from + 7];
            int i = 8;
            for (; i < n - n % 8; i += 8) {
                r0 += a[from + i];
                r1 += a[from + i + 1];
                r2 += a[from + i + 2];
                r3 += a[from + i + 3];
                r4 += a[from + i + 4];
                r5 += a[from + i + 5];
                r6 += a[from + i + 6];
                r7 += a[from + i + 7];
            }
            double s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) s += a[from + i];
            return s;
        }
        int half = n / 2;
        half -= half % 8;
        return sum(a, from, half) + sum(a, from + half, n - half);
    }

    /** {@code np.mean}: the pairwise sum divided by the count. */
    static double mean(double[] a, int n) {
        return sum(a, 0, n) / n;
    }

    /** {@code np.std} with its default ddof = 0 (population): sqrt of the mean squared deviation from the mean. */
    static double std(double[] a, int n) {
        double mean = mean(a, n);
        double[] squares = new double[n];
        for (int i = 0; i < n; i++) {
            double d = a[i] - mean;
            squares[i] = d * d;
        }
        return Math.sqrt(sum(squares, 0, n) / n);
    }

    /** {@code np.median} of ascending values: the middle one, or the mean of the two middle ones. */
    static double median(double[] sorted, int n) {
        if (n % 2 == 1) return sorted[n / 2];
        return (-0.0 + sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * {@code np.percentile(values, p)} of ascending values with numpy's default method ("linear", type 7 of
     * Hyndman and Fan): virtual index h = (n - 1) * (p / 100), then numpy's interpolation between the values at
     * floor(h) and floor(h) + 1, which for a fraction g &gt;= 0.5 computes from the upper value,
     * {@code b - (b - a) * (1 - g)}, and otherwise {@code a + (b - a) * g}.
     */
    static double percentile(double[] sorted, int n, double p) {
        if (!(p >= 0 && p <= 100)) throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
        double h = (n - 1) * (p / 100);
        if (h >= n - 1) return sorted[n - 1];
        int lo = (int) Math.floor(h);
        double g = h - lo;
        double a = sorted[lo], b = sorted[lo + 1];
        double diff = b - a;
        return g >= 0.5 ? b - diff * (1 - g) : a + diff * g;
    }
}
