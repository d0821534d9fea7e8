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
 * against the TPOT test only when fewer requests are predicted over S with it (running requests over their TPOT budgets,
 * and itself where the steady step with it is over S) than queued requests (it and those behind it, FCFS) are predicted
 * to miss F without it.
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

    /**
     * The TPOT objective just below the one at which w1's prefill iteration keeps g within its budget (as in
     * {@link HostAdmissionBudgetTest}: 49 S - now - 48 x the steady step with w1 against the admission iteration), so
     * admitting any waiting request puts g, the one running request with a first token, over its budget: one predicted
     * TPOT miss per admission.
     */
    static double sloBreakingG() {
        double iteration = plan(NO_SLO, state("w1"), NOW).predictedSec();
        double flip = (iteration + NOW + 48 * step(CPU3, 1, 81)) / 49;
        assertTrue(flip > step(CPU3, 1, 81), "the budget, not the steady step, decides here");
        return flip * (1 - 1e-9);
    }

    @Test
    void aRequestMissingItsTtftAloneWaitsWhenItsAdmissionPutsAsManyRunningRequestsOverTheirTpotBudget() {
        double slo = sloBreakingG();
        assertEquals(List.of(), chunks(plan(both(slo), state("w1"), NOW)),
                "one TTFT miss saved for one TPOT miss caused does not lower the count: w1 waits");
        assertEquals(List.of("w1:80@host"), chunks(plan(both(slo / (1 - 1e-9) * (1 + 1e-9)), state("w1"), NOW)),
                "with g's budget kept the TPOT test admits it");
    }

    @Test
    void theQueueBehindTheHeadCountsAsTheMissesItsWaitingCauses() {
        double slo = sloBreakingG();
        // w1 waiting keeps w2 waiting too (FCFS): two TTFT misses against g's one, so w1 goes; then w2 alone trades one
        // for one and waits
        assertEquals(List.of("w1:80@host"), chunks(plan(both(slo), state("w1", "w2"), NOW)));
        // three queued: w1 goes (3 against g's 1); the steady step with w1 and w2 on the host is over S, so admitting
        // w2 puts it over S as well as g (it has banked nothing): 2 TTFT misses (w2, w3) against 2 TPOT misses, a tie, w2 waits
        assertTrue(step(CPU3, 2, 2 * 81) > slo, "two host rows are over S");
        assertEquals(List.of("w1:80@host"), chunks(plan(both(slo), state("w1", "w2", "w3"), NOW)));
        // four queued: w2's 3 against 2, it goes too
        assertEquals(List.of("w1:80@host", "w2:80@host"), chunks(plan(both(slo), state("w1", "w2", "w3", "w4"), NOW)));
    }
}
