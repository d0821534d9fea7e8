package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
import static org.apexbench.engine.apex.ApexPlanTest.chunks;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.HostAdmissionBudgetTest.CPU3;
import static org.apexbench.engine.apex.HostAdmissionBudgetTest.step;
import static org.apexbench.engine.apex.HostAdmissionSloTest.NO_SLO;
import static org.apexbench.engine.apex.HostAdmissionSloTest.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Location;
import org.apexbench.engine.runtime.SchedulerSnapshot;

/**
 * The TTFT objective's override of host admission's TPOT test as a trade of misses (docs/engines.md#apex, host
 * admission): both objectives are p99s pooled over the requests, so a request that would miss F waiting is admitted
 * against the TPOT test only when more queued requests (it and those behind it, FCFS) are predicted to miss F without
 * it than the one request it puts over S with it: itself, where the steady step with it is over S (it has banked
 * nothing). The running requests whose budgets the admission breaks are not counted.
 */
class HostAdmissionTradeTest {
    /** F far below the time every queued request has waited at {@link #NOW}: each one is predicted to miss it. */
    static final double F = 0.005, NOW = 0.01;

    /**
     * g decoding on the GPU (99-token prompt, first token at 0, 50 tokens of output, 1 generated), the requests
     * {@code waiting} queued (arrived at 0); none fits the GPU pool's free blocks.
     */
    static SchedulerSnapshot state(String... waiting) {
        SchedulerSnapshot s = snapshot(10, 400, 512, CPU3);
        s.addDecoding(spec("g", 99, 50), Location.GPU, 1, 0);
        for (String w : waiting) s.addWaiting(spec(w, 80, 40));
        return s;
    }

    static ApexOptions both(double tpotSloSec) {
        return new ApexOptions(tpotSloSec, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, F);
    }

    /** Just under the steady step with one host row (w1's first decode beside g's): that row is over S. */
    static double sloUnderOneHostRow() {
        return step(CPU3, 1, 81) * (1 - 1e-9);
    }

    @Test
    void aRequestMissingItsTtftAloneWaitsWhenTheStepWithItIsOverTpot() {
        double slo = sloUnderOneHostRow();
        assertEquals(List.of(), chunks(plan(both(slo), state("w1"), NOW)),
                "one TTFT miss saved for its own TPOT miss does not lower the count: w1 waits");
        assertEquals(List.of("w1:80@host"), chunks(plan(both(step(CPU3, 1, 81) * (1 + 1e-9)), state("w1"), NOW)),
                "with the step within S the override admits it");
    }

    @Test
    void theQueueBehindTheHeadCountsAsTheMissesItsWaitingCauses() {
        double slo = sloUnderOneHostRow();
        // w1 waiting keeps w2 waiting too (FCFS): two TTFT misses against w1's own, so w1 goes; then w2 alone trades
        // one for one and waits
        assertEquals(List.of("w1:80@host"), chunks(plan(both(slo), state("w1", "w2"), NOW)));
        // three queued: w1 (3 against 1) and w2 (2 against 1) go, w3 waits
        assertEquals(List.of("w1:80@host", "w2:80@host"), chunks(plan(both(slo), state("w1", "w2", "w3"), NOW)));
    }

    @Test
    void theRunningRequestsBudgetsAreNotCounted() {
        // the TPOT objective just below the one at which w1's prefill iteration keeps g within its budget (as in
        // HostAdmissionBudgetTest: 49 S - now - 48 x the steady step with w1 against the admission iteration): the TPOT
        // test refuses w1 for g's budget while the step with w1 is within S, and the override admits it
        double iteration = plan(NO_SLO, state("w1"), NOW).predictedSec();
        double flip = (iteration + NOW + 48 * step(CPU3, 1, 81)) / 49;
        assertTrue(flip > step(CPU3, 1, 81), "the budget, not the steady step, decides here");
        double slo = flip * (1 - 1e-9);
        assertEquals(List.of("w1:80@host"), chunks(plan(both(slo), state("w1"), NOW)));
        assertEquals(List.of(), chunks(plan(new ApexOptions(slo, D.starvationIterations(), true, true, D.swapInHysteresis(),
                D.margin(), D.neoPacking(), false, false, Double.NaN), state("w1"), NOW)), "without a TTFT objective the TPOT test refuses w1");
    }
}
