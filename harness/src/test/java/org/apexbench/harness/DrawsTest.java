package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.metrics.Summary;
import org.junit.jupiter.api.Test;

/** K draws of one probed rate made into one pass/fail: pooled p99s against a majority of per-draw verdicts. */
class DrawsTest {
    static final double TTFT_SLO = 10_000, TPOT_SLO = 100;

    /** {@code fast} requests at 80 ms a token and {@code slow} at 120 ms, TTFT 0.5 s, arriving one a second. */
    private static List<RequestRecord> draw(String name, int fast, int slow) {
        List<RequestRecord> out = new ArrayList<>();
        for (int i = 0; i < fast + slow; i++) {
            double tpot = i < fast ? 0.080 : 0.120, first = i + 0.5;
            out.add(new RequestRecord(name + i, i, 100, 3, new double[] {first, first + tpot, first + 2 * tpot}, 0, 0, null));
        }
        return out;
    }

    private static Draws draws(List<List<RequestRecord>> runs) {
        return Draws.pool(runs.stream().map(r -> Metrics.summarize(r, null, Slo.NONE)).toList(), runs);
    }

    /**
     * Two short draws with 2 slow requests of 100 each miss the p99 (2% over 100 ms), a long draw without any meets it:
     * a majority of per-draw verdicts fails, the p99 over the 1,200 requests pooled (4 slow, 0.33%) meets. The rules
     * differ exactly where a noisy short draw outvotes the requests of a long one.
     */
    @Test
    void poolingChangesTheVerdictWhereTheDrawsDisagree() {
        Draws d = draws(List.of(draw("a", 98, 2), draw("b", 98, 2), draw("c", 1000, 0)));
        assertEquals(3, d.size());
        assertEquals(1, d.met(TTFT_SLO, TPOT_SLO), "only the long draw meets on its own");
        assertFalse(Draws.Rule.MAJORITY.meets(d, TTFT_SLO, TPOT_SLO));
        assertTrue(Draws.Rule.POOLED.meets(d, TTFT_SLO, TPOT_SLO), "pooled p99 TPOT " + d.pooled().tpot().p99Ms());
        assertEquals(80, d.pooled().tpot().p99Ms(), 1e-6);
        assertEquals(1200, d.pooled().completed());

        // the other way: two draws with one slow request each meet (p99 80.4 ms, interpolated), a third with 30 slow
        // misses by far, and its slow requests are 10% of the pooled ones
        Draws e = draws(List.of(draw("a", 99, 1), draw("b", 99, 1), draw("c", 70, 30)));
        assertEquals(2, e.met(TTFT_SLO, TPOT_SLO));
        assertTrue(Draws.Rule.MAJORITY.meets(e, TTFT_SLO, TPOT_SLO));
        assertFalse(Draws.Rule.POOLED.meets(e, TTFT_SLO, TPOT_SLO), "pooled p99 TPOT " + e.pooled().tpot().p99Ms());
    }

    /** The pooled p99s are the estimators of one run over all the draws' requests; concurrency is the most of one draw. */
    @Test
    void thePooledMetricsAreThoseOfAllRequestsTogether() {
        List<RequestRecord> a = draw("a", 50, 3), b = draw("b", 200, 1);
        Draws d = draws(List.of(a, b));
        List<RequestRecord> all = new ArrayList<>(a);
        all.addAll(b);
        Summary together = Metrics.summarize(all, null, Slo.NONE);
        assertEquals(together.tpot(), d.pooled().tpot());
        assertEquals(together.ttft(), d.pooled().ttft());
        assertEquals(Math.max(d.each().get(0).maxConcurrentRequests(), d.each().get(1).maxConcurrentRequests()), d.peakConcurrent());
    }

    /** One draw is the run itself: its summary, unchanged, for both rules (K = 1 is the matrix without draws). */
    @Test
    void oneDrawIsTheRunItself() {
        List<RequestRecord> a = draw("a", 98, 2);
        Summary s = Metrics.summarize(a, null, Slo.NONE);
        Draws d = Draws.pool(List.of(s), List.of(a));
        assertSame(s, d.pooled());
        for (Draws.Rule r : Draws.Rule.values()) assertFalse(r.meets(d, TTFT_SLO, TPOT_SLO), r.text());
        Draws ok = Draws.single(Metrics.summarize(draw("b", 100, 0), null, Slo.NONE));
        for (Draws.Rule r : Draws.Rule.values()) assertTrue(r.meets(ok, TTFT_SLO, TPOT_SLO), r.text());
    }

    /** A request of any draw that did not complete fails the pooled verdict, however good the p99s are. */
    @Test
    void aFailedRequestInAnyDrawFailsThePool() {
        List<RequestRecord> broken = new ArrayList<>(draw("b", 100, 0));
        broken.add(new RequestRecord("lost", 0, 100, 3, new double[] {0.5}, 0, 0, "preempted beyond recovery"));
        Draws d = draws(List.of(draw("a", 1000, 0), broken, draw("c", 1000, 0)));
        assertEquals(1, d.pooled().failed());
        assertFalse(Draws.Rule.POOLED.meets(d, TTFT_SLO, TPOT_SLO));
        assertTrue(Draws.Rule.MAJORITY.meets(d, TTFT_SLO, TPOT_SLO), "two of three draws completed every request");
    }

    @Test
    void badRulesAndEmptyDrawsAreRefused() {
        assertEquals(Draws.Rule.MAJORITY, Draws.Rule.parse(" majority"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Draws.Rule.parse("median"));
        assertEquals("--draw-rule: expected pooled or majority, got 'median'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Draws(null, List.of()));
        assertThrows(IllegalArgumentException.class, () -> Draws.pool(List.of(), List.of(List.of())));
    }
}
