package org.apexbench.profiler.metrics;

import java.util.Arrays;

/**
 * Distribution of one latency metric, in milliseconds, with the estimators vLLM's benchmark uses: numpy's
 * {@code mean}, population {@code std} (ddof = 0), {@code median} and {@code percentile} (linear interpolation)
 * over the exact values in seconds, each multiplied by 1000 afterwards, as vLLM does (see {@link NumpyStats}).
 * {@code max} and {@code count} are ours. With no values every statistic is NaN here; summary.json then writes
 * vLLM's 0 under vLLM's names (see {@link Summary#toMap()}).
 */
public record LatencyStats(long count, double meanMs, double medianMs, double stdMs, double p50Ms, double p90Ms,
                           double p99Ms, double maxMs) {

    public static final LatencyStats EMPTY = new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN, Double.NaN);

    /** Stats over the first {@code n} values, given in seconds (the records' unit); the array is not changed. */
    public static LatencyStats ofSeconds(double[] valuesSec, int n) {
        if (n == 0) return EMPTY;
        for (int i = 0; i < n; i++) {
            double v = valuesSec[i];
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("latency value " + i + " must be a finite value >= 0 seconds, got " + v);
            }
        }
        double[] sorted = Arrays.copyOf(valuesSec, n);
        Arrays.sort(sorted);
        return new LatencyStats(n, NumpyStats.mean(valuesSec, n) * 1000, NumpyStats.median(sorted, n) * 1000,
                NumpyStats.std(valuesSec, n) * 1000, NumpyStats.percentile(sorted, n, 50) * 1000,
                NumpyStats.percentile(sorted, n, 90) * 1000, NumpyStats.percentile(sorted, n, 99) * 1000,
                sorted[n - 1] * 1000);
    }
}
