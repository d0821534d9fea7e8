package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.ApexPlanTest.withSlo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.runtime.SchedulerSnapshot;

/**
 * A host request's slack prices its remaining iterations at T̄ only over T̄'s own window (20 iterations) and at the
 * objective beyond: a long request cannot spend the predicted savings of its whole remaining life at once.
 */
class HorizonSlackTest {
    @Test
    void theHorizonIsTheMeanStepsWindow() {
        assertEquals(20, HorizonSlack.HORIZON, "1 / (1 - 0.95)");
    }

    @Test
    void aShortRequestIsPricedAsByThePlainSlack() {
        SchedulerSnapshot s = snapshot(40, 400, 512, predictor(1, 1e-10));
        RequestState r = s.addDecoding(spec("h", 10, 15), Location.HOST, 1, 0);   // first token at 0 s, 15 remaining iterations
        assertEquals(ApexScheduler.tpotSlackSec(r, 1, 0.2, 0.05), HorizonSlack.slackSec(r, 1, 0.2, 0.05), 1e-12);
        assertEquals(0.2 * 14 - 1 - 0.05 * 15, HorizonSlack.slackSec(r, 1, 0.2, 0.05), 1e-12);
    }

    @Test
    void aLongRequestsStepsBeyondTheHorizonArePricedAtTheObjective() {
        SchedulerSnapshot s = snapshot(40, 400, 512, predictor(1, 1e-10));
        RequestState r = s.addDecoding(spec("h", 10, 100), Location.HOST, 10, 0);   // first token at 0 s, 90 remaining
        // due by 0.2 x 99 = 19.8 s; waiting one iteration, 91 iterations: 20 at 50 ms, 71 at the objective's 200 ms
        assertEquals(19.8 - 1 - 0.05 * 20 - 0.2 * 71, HorizonSlack.slackSec(r, 1, 0.2, 0.05), 1e-9);
        assertTrue(ApexScheduler.tpotSlackSec(r, 5, 0.2, 0.05) > 0, "the plain slack lets it wait at 5 s");
        assertTrue(HorizonSlack.slackSec(r, 5, 0.2, 0.05) < 0, "it has banked too little against the objective: it must run");
        // a step slower than the objective is priced as it is: never more slack than the plain rule
        assertEquals(ApexScheduler.tpotSlackSec(r, 1, 0.2, 0.3), HorizonSlack.slackSec(r, 1, 0.2, 0.3), 1e-12);
        assertTrue(HorizonSlack.slackSec(s.addWaiting(spec("w", 10, 5)), 0, 0.2, 0.05) < 0, "no token yet: no slack");
    }

    /**
     * At the first decision (T̄ not yet measured, 0) with a 1 s objective, host requests whose first token came at 0 s:
     * long ones (1,000 tokens, one generated) have banked 19 s of horizon slack by 10 s and none by 30 s, though their
     * plain slack (999 s due) would let them wait for 900 s more; a short one (39 tokens, 20 generated, due at 38 s) has 8
     * s of slack at 30 s by either rule. The long ones must run at 30 s and go first.
     */
    @Test
    void aLongHostRequestWithoutBankedTimeMustRunAndGoesFirst() {
        ApexScheduler early = new ApexScheduler(withSlo(false, 1));
        early.plan(hostRequests().context(101, 10));
        assertEquals(0, early.mustRun(), "at 10 s every host request may wait");
        ApexScheduler late = new ApexScheduler(withSlo(false, 1));
        IterationPlan plan = late.plan(hostRequests().context(101, 30));
        assertEquals(3, late.mustRun(), "at 30 s the long ones must run");
        assertEquals(java.util.List.of("l0", "l1", "l2", "s"), ApexPlanTest.ids(plan.cpuDecodes()),
                "the must-run band first, the short request after it");
        assertTrue(plan.predictedSec() <= 1, "within the objective: " + plan.predictedSec());
    }

    static SchedulerSnapshot hostRequests() {
        SchedulerSnapshot s = snapshot(40, 400, 512, predictor(1, 1e-10));
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        s.addDecoding(spec("s", 59, 39), Location.HOST, 20, 100);
        for (int i = 0; i < 3; i++) s.addDecoding(spec("l" + i, 59, 1000), Location.HOST, 1, 100 - i);
        return s;
    }
}
