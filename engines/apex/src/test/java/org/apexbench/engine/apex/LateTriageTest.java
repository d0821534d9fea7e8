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
    /** Budgets no step reaches: only S binds. */
    static final double[] LOOSE = {1e9, 1e9, 1e9, 1e9, 1e9};

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
        assertEquals(1, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, LOOSE, RUN_INDEX, 5, 0, slo, true));
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
        assertEquals(0, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, LOOSE, RUN_INDEX, 5, 0, five * 1.01, true), "all fit");
        Dispatch d = new Dispatch(p, 32, 0, 0);
        d.begin(g, MUST, 0, 0, false, Double.NaN, true);
        double gpuOnly = d.gpuOnlySec();
        assertEquals(0, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, LOOSE, RUN_INDEX, 5, 0, gpuOnly * 0.99, true),
                "a step the GPU rows alone put over S: no choice of host rows meets it");
        assertEquals(0, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, LOOSE, RUN_INDEX, 5, 0, Double.NaN, true), "no SLO");
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
        assertEquals(2, t.triage(new Dispatch(p, 32, 0, 0), g, must, LOOSE, new int[] {0, 1, 2, 3}, 4, 0, (two + three) / 2, true));
        assertTrue(t.givenUp(0) && t.givenUp(2), "the 20K and 30K ones");
        assertFalse(t.givenUp(1) || t.givenUp(3));
    }

    /**
     * A kept request must also meet its own budget: h3 (run index 13), short but with a budget between the step of two
     * short rows and of three, would end late in the step that keeps the four short ones, so the triage keeps the three
     * whose budgets the step meets and gives up h3 and the 30K-token one. Judged by S alone, only one is given up and h3
     * is kept, late.
     */
    @Test
    void aKeptRequestMustMeetItsOwnBudgetNotOnlyS() {
        Predictor p = tables(1.7, 10, 8);
        SubBatchLoad g = gpuRows(p, 3, 1000);
        double two = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000}, 2);
        double three = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 1000}, 3);
        double four = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 1000, 1000}, 4);
        double five = step(new Dispatch(p, 32, 0, 0), g, new long[] {1000, 1000, 1000, 1000, 30_000}, 5);
        double slo = (four + five) / 2;
        double[] budgets = {slo, slo, slo, (two + three) / 2, slo};
        LateTriage bySlo = new LateTriage();
        assertEquals(1, bySlo.triage(new Dispatch(p, 32, 0, 0), g, MUST, LOOSE, RUN_INDEX, 5, 0, slo, true));
        assertFalse(bySlo.givenUp(13), "by S alone h3 is kept");
        assertTrue(four > budgets[3], "and its step, " + four + " s, is over h3's budget " + budgets[3]);
        LateTriage t = new LateTriage();
        assertEquals(2, t.triage(new Dispatch(p, 32, 0, 0), g, MUST, budgets, RUN_INDEX, 5, 0, slo, true));
        assertTrue(t.givenUp(11) && t.givenUp(13), "the 30K-token one and h3");
        for (int i : new int[] {10, 12, 14}) assertFalse(t.givenUp(i), "run index " + i + " is kept");
        assertTrue(three <= slo);
    }

    @Test
    void theBudgetIsTheMeanStepLeftToTheDeadline() {
        SchedulerSnapshot s = snapshot(35, 600, 512, predictor(1, 1e-10));
        var r = s.addDecoding(spec("h", 59, 11), Location.HOST, 1, 100);   // first token at 0, 10 tokens to go
        assertEquals((0.1 * 10 - 0.4) / 10, LateTriage.stepBudgetSec(r, 0.4, 0.1), 1e-12);
        assertTrue(LateTriage.stepBudgetSec(r, 1.5, 0.1) < 0, "past its deadline");
    }

    /**
     * In the scheduler: host decoders past their TPOT deadlines (must run; no step reaches their budgets) beside five GPU
     * decoders, under an S between the step with two of them and the step with all four: the triage gives all four up,
     * so none is must-run then or in the next decision, and they still run, best effort, as many as a plan within S
     * has room for (the CPU here is fast enough for host rows to pay).
     */
    @Test
    void inTheSchedulerGivenUpRequestsLeaveTheMustRunSetAndStillRunWhenThereIsRoom() {
        double two = new ApexScheduler(tpot(1e3)).plan(pastDeadline(2).context(101, 1e6)).predictedSec();
        IterationPlan allFour = new ApexScheduler(tpot(1e3)).plan(pastDeadline(4).context(101, 1e6));
        assertEquals(4, allFour.cpuDecodes().size(), "under a loose S all four must run and do");
        double slo = (two + allFour.predictedSec()) / 2;
        assertTrue(two < slo && slo < allFour.predictedSec());
        SchedulerSnapshot s = pastDeadline(4);
        ApexScheduler apex = new ApexScheduler(tpot(slo));
        IterationPlan first = apex.plan(s.context(101, 1e6));
        assertEquals(0, apex.mustRun(), "all four given up");
        assertTrue(first.predictedSec() <= slo, first.predictedSec() + " > " + slo);
        IterationPlan next = apex.plan(s.context(102, 1e6 + 0.1));
        assertEquals(0, apex.mustRun(), "and they stay given up");
        assertTrue(next.predictedSec() <= slo, next.predictedSec() + " > " + slo);
        assertFalse(next.cpuDecodes().isEmpty(), "best effort: those a step within S has room for run");
    }

    /** Five GPU decoders fill the GPU pool; {@code hosts} host decoders, 2 of 8 tokens made at t = 0 (past their deadlines at 10^6 s). */
    static SchedulerSnapshot pastDeadline(int hosts) {
        SchedulerSnapshot s = snapshot(35, 600, 512, predictor(1, 1e-10));
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < hosts; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 2, 100);
        return s;
    }

    static ApexOptions tpot(double tpotSloSec) {
        return new ApexOptions(tpotSloSec, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, Double.NaN);
    }

}
