package org.apexbench.profiler.metrics;

import org.HdrHistogram.Histogram;

/**
 * Distribution of one latency metric, in milliseconds.
 *
 * <p>Definitions (say them, because they differ from numpy's): {@code mean}, {@code std} (population,
 * numpy's default ddof=0) and {@code max} are exact over the recorded values. {@code median} and the
 * percentiles come from an HdrHistogram of integer microseconds with 3 significant digits: the value
 * returned is the highest value equivalent to the bucket holding the smallest recorded value that at least
 * P% of values are &lt;= (nearest-rank, no interpolation, quantised up by at most 0.1%). vLLM uses numpy's
 * linear interpolation, so p99 of few samples may differ slightly. NaN everywhere when {@code count == 0}.
 */
public record LatencyStats(long count, double meanMs, double medianMs, double stdMs, double p50Ms, double p90Ms,
                           double p99Ms, double maxMs) {

    public static final LatencyStats EMPTY = new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN, Double.NaN);

    /** Percentiles every stats object carries, in report order. */
    public static final double[] PERCENTILES = {50, 90, 99};

    /** Stats over values given in seconds (the records' unit). */
    public static LatencyStats ofSeconds(double[] valuesSec, int n) {
        if (n == 0) return EMPTY;
        Histogram histogram = new Histogram(3);
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double v = valuesSec[i];
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("latency value " + i + " must be a finite value >= 0 seconds, got " + v);
            }
            histogram.recordValue(Math.round(v * 1e6));
            sum += v;
            max = Math.max(max, v);
        }
        double mean = sum / n;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            double d = valuesSec[i] - mean;
            squares += d * d;
        }
        double std = Math.sqrt(squares / n);
        double p50 = histogram.getValueAtPercentile(50) / 1e3;
        return new LatencyStats(n, mean * 1e3, p50, std * 1e3, p50, histogram.getValueAtPercentile(90) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3, max * 1e3);
    }

    public double percentileMs(double p) {
        if (p == 50) return p50Ms;
        if (p == 90) return p90Ms;
        if (p == 99) return p99Ms;
        throw new IllegalArgumentException("percentile " + p + " is not kept; kept: 50, 90, 99");
    }
}
