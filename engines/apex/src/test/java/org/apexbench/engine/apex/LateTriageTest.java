package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
import static org.apexbench.engine.apex.ApexPlanTest.ids;
import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.DispatchTest.gpuRows;
import static org.apexbench.engine.apex.DispatchTest.tables;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.SchedulerSnapshot;

/**
 * The overload triage (docs/engines.md#apex): when no plan that runs every must-run host candidate meets the TPOT SLO,
 * the dispatcher alone runs a step over S (every must-run candidate late); the triage gives up the fewest, longest
 * contexts first, so that the others run in a step within S.
 */
class LateTriageTest {
    /** Four 1K-token must-run candidates and one of 30K tokens (second in slack order) beside three GPU decodes. */
    static final long[] MUST = {1000, 30_000, 1000, 1000, 1000};
    static final int[] RUN_INDEX = {10, 11, 12, 13, 14};

    /** The predicted step that runs the first {@code k} of {@code ctx} (AO or AP's prefix split, the lower). */
    static double step(Dispatch d, SubBatchLoad g, long[] ctx, int k) {
        d.begin(g, ctx, k, 0, false, Double.NaN, true);
        for (int i = 0; i < k; i++) d.add(ctx[i]);
        return d.lastStepSec();
    }

    @Test
    void anOverloadThatWouldMakeFiveLateMakesOneLate() {
        Predictor p = tables(1.7, 10, 8);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        double four = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 1000, 1000}, 4);
        double five = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 1000, 1000, 30_000}, 5);
        assertTrue(five > 1.2 * four, four + " s with the four short ones, " + five + " s with all five");
        double slo = (four + five) / 2;
        // without the triage: no plan runs all five within S, so the fallback's step (the most rows per second) is over
        // S, or leaves a must-run candidate waiting: all five must-run requests fall behind their deadline
        Dispatch.Choice fallback = new Dispatch(p, 32, 0, 0).choose(g, MUST, 5, 5, 0, false, slo, true, new Dispatch.Choice());
        assertTrue(fallback.tpotSec > slo, "an overload: " + fallback.tpotSec + " > " + slo);
        // with it: the 30K-token one is given up and the four others run in a step within S: one late
        LateTriage t = new LateTriage();
        assertEquals(1, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, RUN_INDEX, 5, 0, slo, true));
        assertTrue(t.givenUp(11), "the longest context is given up");
        for (int i : new int[] {10, 12, 13, 14}) assertFalse(t.givenUp(i), "run index " + i + " is kept");
        long[] kept = {1000, 1000, 1000, 1000, 30_000};   // the kept must-run first, the given-up after them
        Dispatch.Choice after = new Dispatch(p, 32, 0, 0).choose(g, kept, 5, 4, 0, false, slo, true, new Dispatch.Choice());
        assertTrue(after.tpotSec <= slo, after.tpotSec + " > " + slo);
        for (int i = 0; i < 4; i++) assertTrue(after.used[i], "kept candidate " + i + " runs");
    }

    @Test
    void itGivesUpNothingWhenEveryMustRunCandidateFitsOrTheGpuRowsAloneMissTheSlo() {
        Predictor p = tables(1.7, 10, 8);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        double five = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 1000, 1000, 30_000}, 5);
        LateTriage t = new LateTriage();
        assertEquals(0, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, RUN_INDEX, 5, 0, five * 1.01, true), "all fit");
        Dispatch d = new Dispatch(p, 32, 0, 0);
        d.begin(g, MUST, 0, 0, false, Double.NaN, true);
        double gpuOnly = d.gpuOnlySec();
        assertEquals(0, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, RUN_INDEX, 5, 0, gpuOnly * 0.99, true),
                "a step the GPU rows alone put over S: no choice of host rows meets it");
        assertEquals(0, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, RUN_INDEX, 5, 0, Double.NaN, true), "no SLO");
        assertFalse(t.any());
    }

    @Test
    void itGivesUpTheLongestContextsUntilTheRestFit() {
        Predictor p = tables(1.7, 10, 8);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        long[] must = {20_000, 1000, 30_000, 1000};
        double two = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000}, 2);
        double three = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 20_000}, 3);
        assertTrue(three > two, two + " vs " + three);
        LateTriage t = new LateTriage();
        assertEquals(2, t.triage(new Dispatch(p, 32, 0, 0), g, must, new int[] {0, 1, 2, 3}, 4, 0, (two + three) / 2, true));
        assertTrue(t.givenUp(0) && t.givenUp(2), "the 20K and 30K ones");
        assertFalse(t.givenUp(1) || t.givenUp(3));
    }

    /**
     * In the scheduler: five host decoders past their TPOT deadlines (must run), h4 with a 2,000-token context. Under an
     * S between the step with h0..h3 and the step with all five, the plan runs h0..h3 within S; h4, given up, is no
     * longer must-run in the next decision (the same state: still no room for it within S).
     */
    @Test
    void theSchedulerRunsTheKeptOnesWithinTheSloAndTheGivenUpOneStaysBestEffort() {
        double all = plan(new ApexScheduler(tpot(1e3)), overloaded(true)).predictedSec();
        IterationPlan shortOnly = plan(new ApexScheduler(tpot(1e3)), overloaded(false));
        assertEquals(List.of("h0", "h1", "h2", "h3"), ids(shortOnly.cpuDecodes()).stream().sorted().toList());
        double four = shortOnly.predictedSec();
        assertTrue(all > 1.2 * four, four + " s with h0..h3, " + all + " s with h4 too");
        double slo = (four + all) / 2;
        ApexScheduler apex = new ApexScheduler(tpot(slo));
        SchedulerSnapshot s = overloaded(true);
        IterationPlan plan = plan(apex, s);
        assertEquals(List.of("h0", "h1", "h2", "h3"), ids(plan.cpuDecodes()).stream().sorted().toList(), "h4 is given up");
        assertTrue(plan.predictedSec() <= slo, plan.predictedSec() + " > " + slo);
        assertEquals(4, apex.mustRun(), "after the triage only the kept four must run");
        // the next decision, same state: h4 stays given up, not must-run, and the step within S again
        IterationPlan next = apex.plan(s.context(102, 1e6));
        assertEquals(4, apex.mustRun());
        assertFalse(ids(next.cpuDecodes()).contains("h4"));
        assertTrue(next.predictedSec() <= slo, next.predictedSec() + " > " + slo);
    }

    static ApexOptions tpot(double tpotSloSec) {
        return new ApexOptions(tpotSloSec, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, Double.NaN);
    }

    /**
     * Five GPU decoders fill the GPU pool; h0..h3 (59-token prompts) and, with {@code long4}, h4 (a 2,000-token prompt)
     * decode on the host, each with 2 of 8 tokens generated at t = 0: at 10^6 s every one is past its deadline (under any S up to 10^3 s).
     */
    static SchedulerSnapshot overloaded(boolean long4) {
        SchedulerSnapshot s = snapshot(35, 600, 512, predictor(40, 1e-10));
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 4; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 2, 100);
        if (long4) s.addDecoding(spec("h4", 2000, 8), Location.HOST, 2, 100);
        return s;
    }

    static IterationPlan plan(ApexScheduler apex, SchedulerSnapshot s) { return apex.plan(s.context(101, 1e6)); }
}
