package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.Test;

/** The check above a bisection's answer, on synthetic pass functions whose pass/fail sequence is known. */
class MonotonicityCheckTest {
    // the capacity matrix's cot range: 9 steps over [0.005, 20], a resolution of 4000^(1/512) = 1.0163
    static final double MIN = 0.005, MAX = 20;
    static final int STEPS = 9;

    /** The search and the check over {@code meets}; every distinct rate is run once (the matrix's cache), counted in runs. */
    private static MonotonicityCheck.Check<Double> searchAndCheck(DoublePredicate meets, int above, List<Double> runs) {
        Map<Double, Double> cache = new HashMap<>();
        DoubleFunction<Double> probe = rate -> cache.computeIfAbsent(rate, x -> {
            runs.add(x);
            return x;
        });
        MaxRateSearch.Result<Double> r = MaxRateSearch.searchHighFirst(MIN, MAX, STEPS, probe, meets::test);
        return MonotonicityCheck.check(r, MIN, MAX, STEPS, above, probe, meets::test);
    }

    private static double point(int j) { return MonotonicityCheck.point(MIN, MAX, STEPS, j); }

    @Test
    void theSearchsMidpointsAreGridPoints() {
        MaxRateSearch.Result<Double> r = MaxRateSearch.searchHighFirst(MIN, MAX, STEPS, x -> x, x -> x <= 0.0465);
        for (double rate : r.probed()) {
            int j = MonotonicityCheck.index(MIN, MAX, STEPS, rate);
            assertEquals(point(j), rate, 1e-12 * rate, "probe " + rate + " is grid point " + j);
        }
        assertEquals(0, MonotonicityCheck.index(MIN, MAX, STEPS, MIN));
        assertEquals(512, MonotonicityCheck.index(MIN, MAX, STEPS, MAX));
    }

    /** A monotone system: the check probes K points above the failing bound, none meets, and the answer is untouched. */
    @Test
    void aMonotoneSystemPassesNothingAbove() {
        List<Double> runs = new ArrayList<>();
        MonotonicityCheck.Check<Double> c = searchAndCheck(x -> x <= 0.0465, 6, runs);
        assertEquals(6, c.above());
        assertEquals(0, c.passesAbove());
        assertTrue(c.monotone());
        int a = MonotonicityCheck.index(MIN, MAX, STEPS, c.highestMet());
        assertTrue(point(a) <= 0.0465 && point(a + 1) > 0.0465, "the highest met is the bisection's answer: " + c.highestMet());
        // the check covers the six grid points a+2..a+7 (a+1 is the bisection's failing bound); those the bisection
        // probed on its way down are not run again
        List<Integer> covered = new ArrayList<>();
        for (var p : c.probes()) {
            int j = MonotonicityCheck.index(MIN, MAX, STEPS, p.rate());
            if (j >= a + 2 && j <= a + 7) covered.add(j);
            if (!p.search()) assertTrue(j >= a + 2 && j <= a + 7, "a check probe outside the window: " + j);
        }
        assertEquals(List.of(a + 2, a + 3, a + 4, a + 5, a + 6, a + 7), covered);
        assertEquals(runs.size(), c.probes().size(), "each probe is one run");
        assertTrue(c.probes().stream().anyMatch(p -> p.search() && !p.met()
                && MonotonicityCheck.index(MIN, MAX, STEPS, p.rate()) == a + 1), "the failing bound is the search's own probe");
    }

    /**
     * T4 `cot`'s measured shape: the system fails in a band just above a pass (a Poisson cluster pushes p99 TPOT over the
     * objective) and passes again higher up. The bisection answers below the band, as it would on a monotone system;
     * the check reports the passes above and the highest rate met.
     */
    @Test
    void aFailingBandBelowAPassIsReported() {
        // grid points: pass up to 200, fail in 201..204, pass 205..206, fail from 207 on; the bisection probes 512, 256,
        // 128, 192, 224, 208, 200, 204, 202, 201 and never enters the passing band
        DoublePredicate meets = x -> {
            int j = MonotonicityCheck.index(MIN, MAX, STEPS, x);
            return j <= 200 || (j >= 205 && j <= 206);
        };
        List<Double> runs = new ArrayList<>();
        MonotonicityCheck.Check<Double> c = searchAndCheck(meets, 6, runs);
        MaxRateSearch.Result<Double> r = MaxRateSearch.searchHighFirst(MIN, MAX, STEPS, x -> x, meets::test);
        assertEquals(200, MonotonicityCheck.index(MIN, MAX, STEPS, r.rate()), "the bisection saw a monotone sequence");
        assertEquals(6, c.above());
        assertEquals(2, c.passesAbove(), "205 and 206 met");
        assertFalse(c.monotone());
        assertEquals(point(206), c.highestMet(), 1e-12);
        // the check ran 203, 205, 206, 207: 202 and 204 were the bisection's (missed) probes
        assertEquals(4, c.probes().stream().filter(p -> !p.search()).count());
        assertEquals(runs.size(), c.probes().size(), "each probe is one run");
        // with three points the check reaches only 202-204, inside the failing band: it cannot tell
        MonotonicityCheck.Check<Double> short2 = searchAndCheck(meets, 3, new ArrayList<>());
        assertEquals(0, short2.passesAbove());
        assertTrue(short2.monotone());
    }

    /** At the top of the range nothing lies above; without an answer the check starts above the range's lowest rate. */
    @Test
    void theRangeEndsBoundTheCheck() {
        MonotonicityCheck.Check<Double> top = searchAndCheck(x -> true, 6, new ArrayList<>());
        assertEquals(0, top.above(), "an answer at the top of the range has no grid point above it");
        assertEquals(MAX, top.highestMet());
        MonotonicityCheck.Check<Double> near = searchAndCheck(x -> MonotonicityCheck.index(MIN, MAX, STEPS, x) <= 509, 6,
                new ArrayList<>());
        assertEquals(2, near.above(), "509's failing bound is 510; only 511 and 512 (the top, the search's first probe) lie above: "
                + near.probes());
        assertEquals(0, near.passesAbove());
        List<Double> runs = new ArrayList<>();
        MonotonicityCheck.Check<Double> none = searchAndCheck(x -> MonotonicityCheck.index(MIN, MAX, STEPS, x) == 3, 4, runs);
        assertEquals(4, none.above(), "no answer: points 2..5 above the lowest rate and its failing neighbour");
        assertEquals(1, none.passesAbove(), "point 3 meets though the lowest rate missed");
        assertEquals(point(3), none.highestMet(), 1e-12);
    }

    @Test
    void aNegativeCountIsRefused() {
        MaxRateSearch.Result<Double> r = MaxRateSearch.searchHighFirst(MIN, MAX, STEPS, x -> x, x -> x <= 1);
        var e = assertThrows(IllegalArgumentException.class, () -> MonotonicityCheck.check(r, MIN, MAX, STEPS, -1, x -> x, x -> x <= 1));
        assertTrue(e.getMessage().contains("--check-above must be >= 0"), e.getMessage());
    }
}
