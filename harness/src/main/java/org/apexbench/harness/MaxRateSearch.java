package org.apexbench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;

/**
 * The highest request rate in [min, max] whose run meets an objective, by geometric bisection, assuming the objective
 * holds up to some rate and fails above it (latency grows with load). The lowest rate is probed first (none meets:
 * no answer), then the highest (it meets: the answer is max), then {@code steps} midpoints sqrt(lo * hi). The answer
 * is the highest rate probed that met the objective; the true threshold lies in [answer, answer x r) with the
 * resolution r = (max / min)^(2^-steps) (7 steps over 0.1..32 req/s: 4.6%).
 */
final class MaxRateSearch {
    private MaxRateSearch() {}

    /**
     * @param rate   the answer, or null when even {@code min} missed the objective
     * @param best   the probe's result at {@code rate} (null with it)
     * @param probed every rate probed, in order
     */
    record Result<T>(Double rate, T best, List<Double> probed) {}

    /** Runs the search; {@code probe} runs one rate, {@code meets} judges its result. */
    static <T> Result<T> search(double min, double max, int steps, DoubleFunction<T> probe, Predicate<T> meets) {
        return search(min, max, steps, probe, meets, false);
    }

    /**
     * The same search and, under the same assumption, the same answer, but {@code min} is probed only when no higher
     * rate met the objective: where a simulated run's cost grows as the rate falls (fewer requests share each
     * iteration), the lowest rate is the dearest probe and rarely decides the answer.
     */
    static <T> Result<T> searchHighFirst(double min, double max, int steps, DoubleFunction<T> probe, Predicate<T> meets) {
        return search(min, max, steps, probe, meets, true);
    }

    private static <T> Result<T> search(double min, double max, int steps, DoubleFunction<T> probe, Predicate<T> meets,
                                        boolean highFirst) {
        if (!(min > 0 && max > min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("--min-rate and --max-rate must satisfy 0 < min < max, got " + min + ", " + max);
        }
        if (steps < 1) throw new IllegalArgumentException("--search-steps must be >= 1, got " + steps);
        List<Double> probed = new ArrayList<>();
        T best = null;
        if (!highFirst) {
            probed.add(min);
            best = probe.apply(min);
            if (!meets.test(best)) return new Result<>(null, null, probed);
        }
        probed.add(max);
        T atHi = probe.apply(max);
        if (meets.test(atHi)) return new Result<>(max, atHi, probed);
        double lo = min, hi = max;
        for (int i = 0; i < steps; i++) {
            double mid = Math.sqrt(lo * hi);
            probed.add(mid);
            T s = probe.apply(mid);
            if (meets.test(s)) {
                lo = mid;
                best = s;
            } else {
                hi = mid;
            }
        }
        if (best == null) {   // high first, and no midpoint met: the lowest rate decides
            probed.add(min);
            T atLo = probe.apply(min);
            if (!meets.test(atLo)) return new Result<>(null, null, probed);
            best = atLo;
        }
        return new Result<>(lo, best, probed);
    }

    /** The ratio between the highest rate that may still meet the objective and the answer after {@code steps} steps. */
    static double resolution(double min, double max, int steps) { return Math.pow(max / min, Math.pow(2, -steps)); }

    /** The fewest steps whose {@link #resolution} over [min, max] is at most {@code resolution} (> 1). */
    static int stepsFor(double min, double max, double resolution) {
        if (!(resolution > 1) || !Double.isFinite(resolution)) {
            throw new IllegalArgumentException("a search resolution must be a finite ratio > 1, got " + resolution);
        }
        int steps = 1;
        while (resolution(min, max, steps) > resolution) steps++;
        return steps;
    }
}
