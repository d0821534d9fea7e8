package org.apexbench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;

/**
 * Whether a {@link MaxRateSearch} answer rests on pass/fail being monotone in the rate. The bisection assumes it and
 * cannot see otherwise: every rate it probes below its answer met the objective and every one above missed it, by
 * construction. But a p99 over a few hundred requests of one Poisson draw is noisy, so a higher rate may meet the
 * objective where a lower one missed. This check probes the {@code above} points of the search's own geometric grid
 * just above the failing bound (answer x resolution, which the search probed), so a pass there says the answer depends
 * on which rates the bisection happened to probe.
 */
final class MonotonicityCheck {
    private MonotonicityCheck() {}

    /** One probe: its rate, whether it met the objective, and whether the bisection (not this check) ran it. */
    record Probe<T>(double rate, boolean met, boolean search, T result) {}

    /**
     * @param above       grid points probed above the failing bound (fewer where the range ends)
     * @param passesAbove of those, how many met the objective
     * @param highestMet  the highest rate probed, by the search or this check, that met the objective (null: none)
     * @param probes      every probe of the search and the check, in rate order
     */
    record Check<T>(int above, int passesAbove, Double highestMet, List<Probe<T>> probes) {
        /** No probe above the answer met the objective. */
        boolean monotone() { return passesAbove == 0; }
    }

    /** Grid point {@code j} of a search over [min, max] with {@code steps}: min x resolution^j, j in [0, 2^steps]. */
    static double point(double min, double max, int steps, int j) { return min * Math.pow(max / min, j / Math.pow(2, steps)); }

    /** The grid index of a rate the search probed (its midpoints are grid points up to rounding). */
    static int index(double min, double max, int steps, double rate) {
        return (int) Math.round(Math.log(rate / min) / Math.log(MaxRateSearch.resolution(min, max, steps)));
    }

    /**
     * Probes the {@code above} grid points above the search's failing bound: indices a + 2 .. a + 1 + above, where a is
     * the answer's index (0 without an answer: the lowest rate missed too), none above
     * the range's top. {@code probe} is the search's own (a rate it already ran is not run again by the caller's cache).
     */
    static <T> Check<T> check(MaxRateSearch.Result<T> r, double min, double max, int steps, int above, DoubleFunction<T> probe,
                              Predicate<T> meets) {
        if (above < 0) throw new IllegalArgumentException("--check-above must be >= 0, got " + above);
        int top = (int) Math.pow(2, steps);
        int a = r.rate() == null ? 0 : index(min, max, steps, r.rate());
        List<Probe<T>> probes = new ArrayList<>();
        java.util.Map<Integer, Probe<T>> byIndex = new java.util.HashMap<>();
        for (double rate : r.probed()) {
            T s = probe.apply(rate);
            Probe<T> p = new Probe<>(rate, meets.test(s), true, s);
            probes.add(p);
            byIndex.put(index(min, max, steps, rate), p);
        }
        int checked = 0, passes = 0;
        for (int j = a + 2; j <= Math.min(top, a + 1 + above); j++) {
            Probe<T> p = byIndex.get(j);   // a point the bisection probed on its way down (it missed) is not run again
            if (p == null) {
                double rate = point(min, max, steps, j);
                T s = probe.apply(rate);
                p = new Probe<>(rate, meets.test(s), false, s);
                probes.add(p);
            }
            checked++;
            if (p.met()) passes++;
        }
        probes.sort(java.util.Comparator.comparingDouble(Probe::rate));
        Double highest = null;
        for (Probe<T> p : probes) if (p.met()) highest = p.rate();
        return new Check<>(checked, passes, highest, List.copyOf(probes));
    }
}
