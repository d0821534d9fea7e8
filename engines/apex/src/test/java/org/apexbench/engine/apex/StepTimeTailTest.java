package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.runtime.SchedulerSnapshot;

/**
 * The p99 of realized over priced iteration time ({@link StepTimeTail}) against a brute-force quantile of the same
 * windows, its fallbacks, its gate (the mean's price until some request's slack has run out), and what it changes in
 * APEX's decision: a host request whose remaining tokens priced at the mean leave it slack, but priced at the realized
 * tail do not, runs now instead of waiting, once the run has seen a slack run out, and only then.
 */
class StepTimeTailTest {
    @Test
    void rightPredictionsCostNothing() {
        StepTimeTail t = new StepTimeTail();
        t.ranOut();
        assertEquals(1, t.factor(100), "no sample yet: the mean's price");
        double now = 0;
        for (int i = 0; i < 3000; i++) {
            t.priced(now, 0.08);
            now += 0.08;
            t.ran(now);
            now += i % 10 == 0 ? 3.7 : 0;   // an idle engine between iterations is no iteration's time
        }
        for (int h : List.of(1, 4, 100, 2048, 100_000)) assertEquals(1.0, t.factor(h), 0, "horizon " + h);
    }

    /** Random durations with bursts, random prices: the factor is the brute-force p99 of each horizon's windows, to its 1% bin. */
    @Test
    void theFactorIsTheObjectivesQuantileOfRealizedOverPricedAtTheHorizon() {
        SplittableRandom rnd = new SplittableRandom(14);
        int n = 5000;
        double[] d = new double[n], price = new double[n];
        StepTimeTail t = new StepTimeTail();
        t.ranOut();
        double now = 0;
        for (int i = 0; i < n; i++) {
            boolean burst = (i / 300) % 5 == 4;
            d[i] = (burst ? 0.12 : 0.08) * (0.8 + 0.4 * rnd.nextDouble());
            price[i] = 0.09 * (0.9 + 0.2 * rnd.nextDouble());
            t.priced(now, price[i]);
            now += d[i];
            t.ran(now);
            if (i % 100 == 0) now += 0.5 * rnd.nextDouble();   // idle: no iteration's time
        }
        for (int log = StepTimeTail.MIN_LOG; log <= StepTimeTail.MAX_LOG; log++) {
            int h = 1 << log;
            double[] ratios = new double[n - h + 1];
            for (int i = 0; i + h <= n; i++) {
                double sum = 0;
                for (int j = i; j < i + h; j++) sum += d[j];
                ratios[i] = sum / (h * price[i]);
            }
            Arrays.sort(ratios);
            double p99 = Math.max(1, ratios[(int) Math.ceil(0.99 * ratios.length) - 1]);
            double f = t.factor(h);
            assertTrue(f >= p99 * (1 - 1e-9) && f < p99 * 1.0101, "horizon " + h + ": factor " + f + ", p99 " + p99);
            assertEquals(f, t.factor(h + h / 2), 0, "between horizons: the shorter one's");
            assertEquals(ratios.length, t.samples(log - StepTimeTail.MIN_LOG), "one sample per window at horizon " + h);
        }
        assertTrue(t.factor(2048) > 1.1, "the bursts raise the long horizon's p99: " + t.factor(2048));
        assertEquals(t.factor(4), t.factor(1), 0, "below the shortest horizon: the shortest's");
        assertEquals(t.factor(2048), t.factor(1 << 20), 0, "beyond the longest: the longest's");
    }

    @Test
    void aLongHorizonWithoutSamplesYetFallsBackToTheLongestWithSome() {
        StepTimeTail t = new StepTimeTail();
        t.ranOut();
        double now = 0;
        for (int i = 0; i < 20; i++) {
            t.priced(now, i == 0 ? 0 : 0.1);   // the first plan has no price: no window starts there
            now += 0.15;
            t.ran(now);
        }
        assertEquals(1.5, t.factor(16), 0.015, "16 iterations: 4 windows from iterations 1 .. 4");
        assertEquals(4, t.samples(2), "horizon 16 is the third");
        assertEquals(t.factor(16), t.factor(2000), 0, "no 32-iteration window yet: the 16's");
        t.priced(now, 0.1);
        t.priced(now + 1, 0.1);   // a plan that never ran is replaced, not counted
        t.ran(now + 1.15);
        assertEquals(5, t.samples(2));
    }

    /** Iterations that took 1.5 x their price: the mean's price until a slack has run out, their p99 from then on. */
    @Test
    void theMeansPriceUntilASlackRunsOut() {
        StepTimeTail t = new StepTimeTail();
        double now = 0;
        for (int i = 0; i < 100; i++) {
            t.priced(now, 0.1);
            now += 0.15;
            t.ran(now);
        }
        for (int h : List.of(1, 16, 2048)) assertEquals(1.0, t.factor(h), 0, "no slack has run out: horizon " + h);
        t.ranOut();
        for (int h : List.of(1, 16, 64)) assertEquals(1.5, t.factor(h), 0.015, "a slack has run out: horizon " + h);
    }

    /** The factor is never under the mean's price: iterations faster than priced leave it at 1. */
    @Test
    void neverUnderTheMeansPrice() {
        StepTimeTail t = new StepTimeTail();
        t.ranOut();
        double now = 0;
        for (int i = 0; i < 100; i++) {
            t.priced(now, 0.1);
            now += 0.05;
            t.ran(now);
        }
        assertEquals(1.0, t.factor(64), 0);
    }

    /**
     * Three schedulers with the same TPOT objective make the same plans (a GPU-only step of T seconds, the CPU 40x slow,
     * so no CPU row pays on its own); in {@code right} the iterations took T, in {@code fresh} and {@code seen} 1.2 T,
     * and {@code right} and {@code seen} then met a host request x past its deadline (its slack ran out at the mean).
     * Host request h, 500 tokens left, has 1.1 x 501 T̄ to its deadline: priced at the mean it can wait; priced at the
     * realized tail it must run now, which {@code seen} does, and {@code fresh}, where no slack has run out, does not.
     */
    @Test
    void aHostRequestThatTheMeanLetsWaitButTheTailWouldMakeLateRunsNowOnceASlackHasRunOut() {
        SchedulerSnapshot s = snapshot(24, 4000, 512, HostAdmissionSloTest.SLOW_CPU);   // no room to swap h in
        for (int i = 0; i < 3; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        s.addDecoding(spec("h", 59, 600), Location.HOST, 100, 0);   // first token at 0 s
        double step = new ApexScheduler(tpot(1.0)).plan(s.context(1, 0)).predictedSec();
        double slo = 100 * step;
        ApexScheduler right = new ApexScheduler(tpot(slo)), fresh = new ApexScheduler(tpot(slo)), seen = new ApexScheduler(tpot(slo));
        for (int i = 1; i <= 10; i++) {
            // at time 0 h has hundreds of steps of slack: all run the same GPU-only plan
            IterationPlan a = right.plan(s.context(i, 0)), b = fresh.plan(s.context(i, 0)), c = seen.plan(s.context(i, 0));
            assertEquals(List.of(), a.cpuDecodes());
            assertEquals(step, b.predictedSec(), 0);
            assertEquals(step, c.predictedSec(), 0);
            right.observe(a, outcome(step));
            fresh.observe(b, outcome(1.2 * step));
            seen.observe(c, outcome(1.2 * step));
        }
        // x, decoding on the host: past its deadline for right and seen, hundreds of steps from it for fresh (no plan observed)
        SchedulerSnapshot late = snapshot(24, 4000, 512, HostAdmissionSloTest.SLOW_CPU);
        for (int i = 0; i < 3; i++) late.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        late.addDecoding(spec("x", 59, 600), Location.HOST, 100, 0);
        right.plan(late.context(11, slo * 600));
        seen.plan(late.context(11, slo * 600));
        fresh.plan(late.context(11, 0));
        assertEquals(1, seen.mustRun(), "x's slack ran out");
        assertEquals(0, fresh.mustRun());
        assertEquals(1.0, right.tail().factor(501), 0);
        assertEquals(1.0, fresh.tail().factor(501), 0, "no slack has run out: the mean's price");
        assertEquals(1.2, seen.tail().factor(501), 0.012);
        for (ApexScheduler waits : List.of(right, fresh)) {
            IterationPlan p = waits.plan(s.context(12, slo * 599 - 1.1 * waits.meanIterationSec() * 501));
            assertEquals(List.of(), p.swapIn());
            assertEquals(List.of(), ApexPlanTest.ids(p.cpuDecodes()), "priced at the mean h has 0.1 x 501 steps of slack");
        }
        IterationPlan runs = seen.plan(s.context(12, slo * 599 - 1.1 * seen.meanIterationSec() * 501));
        assertEquals(List.of("h"), ApexPlanTest.ids(runs.cpuDecodes()), "priced at 1.2 x the mean it has none");
        assertEquals(1, seen.mustRun());
    }

    /**
     * Only the must-run test is priced at the tail; the candidates that can wait keep the mean's earliest-deadline order.
     * With room for one CPU row beside five GPU decodes and S = 10 steps, l (100 tokens left, due at 1,000 steps) and s
     * (1 left, due at 890) both have slack at either price; at the mean s has less (88 against 99 steps from now, 800),
     * at 1.2 x the mean l has less (78.8 against 87.6): s runs.
     */
    @Test
    void theCandidatesThatCanWaitKeepTheMeansOrder() {
        // the iterations measured: the five GPU decodes alone, a step of T that took 1.2 T each time
        SchedulerSnapshot warm = snapshot(40, 400, 6, predictor(1, 1e-10));
        for (int i = 0; i < 5; i++) warm.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 100);
        double step = new ApexScheduler(tpot(1.0)).plan(warm.context(101, 0)).predictedSec();
        ApexScheduler slow = new ApexScheduler(tpot(10 * step));
        for (int i = 101; i <= 110; i++) {
            IterationPlan p = slow.plan(warm.context(i, 0));
            assertEquals(step, p.predictedSec(), 0);
            slow.observe(p, outcome(1.2 * step));
        }
        slow.tail().ranOut();
        SchedulerSnapshot s = snapshot(40, 400, 6, predictor(1, 1e-10));
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 100);
        s.addDecoding(spec("l", 59, 101), Location.HOST, 1, 100);
        s.addDecoding(spec("s", 59, 90), Location.HOST, 89, 100);
        assertEquals(1.2, slow.tail().factor(11), 0.012);
        IterationPlan plan = slow.plan(s.context(111, 800 * step));
        assertEquals(0, slow.mustRun());
        assertEquals(List.of("s"), ApexPlanTest.ids(plan.cpuDecodes()), "the earlier deadline at the mean");
    }

    private static IterationOutcome outcome(double endSec) { return new IterationOutcome(endSec, 0, 0, 0, 0, 0, 0, 0, null); }

    private static ApexOptions tpot(double sloSec) {
        return new ApexOptions(sloSec, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(), false, false,
                Double.NaN);
    }
}
