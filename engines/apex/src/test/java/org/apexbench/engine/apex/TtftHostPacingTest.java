package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
import static org.apexbench.engine.apex.ApexPlanTest.chunks;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.HostAdmissionSloTest.SLOW_CPU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

/**
 * Host admission's TTFT rule paced to one admitted prompt an iteration while the next one's TTFT allows it
 * ({@link TtftHostPacing}, docs/engines.md#apex): the rule exists to bring a first token within F, which waiting one
 * iteration does not break, while a second prompt in the iteration lengthens every running request's step by a whole
 * prefill.
 */
class TtftHostPacingTest {
    static final double NOW = 1.0;

    /**
     * g decoding on the GPU with 2,000 tokens left (313 of 335 blocks: the GPU frees nothing for 2,000 iterations), a
     * host decoder h, and w1 and w2 (400-token prompts, 25 blocks each, arrived at 0) queued: neither fits the GPU and
     * the CPU is 40x the cheap one, so no host row pays on its own; only the TTFT rule admits them.
     */
    static SchedulerSnapshot state() {
        SchedulerSnapshot s = snapshot(335, 2000, 2048, SLOW_CPU);
        s.addDecoding(spec("g", 10, 7000), Location.GPU, 4997, 0);
        s.addDecoding(spec("h", 59, 100), Location.HOST, 1, 0);
        s.addWaiting(new RequestSpec("w1", 0, new int[400], 40, SamplingParams.GREEDY));
        s.addWaiting(new RequestSpec("w2", 0, new int[400], 40, SamplingParams.GREEDY));
        return s;
    }

    static ApexOptions both(double ttftSloSec) {
        return new ApexOptions(10.0, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, ttftSloSec);
    }

    static IterationPlan plan(double ttftSloSec) { return new ApexScheduler(both(ttftSloSec)).plan(state().context(101, NOW)); }

    @Test
    void aSecondRequestTheTtftRuleWouldAdmitWaitsAnIterationWhileItsFirstTokenThenStillMeetsTheObjective() {
        IterationPlan p = plan(2.0);
        // waiting for GPU memory (2,000 iterations) misses a 2 s objective for both; one iteration more does not for w2
        assertTrue(2000 * p.predictedSec() > 1.0, "waiting for GPU memory is predicted to miss F: " + p.predictedSec() + " s a step");
        assertEquals(List.of("w1:400@host"), chunks(p), "w1 goes to the host for its TTFT; w2 waits an iteration");
    }

    @Test
    void aSecondRequestWhoseFirstTokenOneIterationLaterWouldMissTheObjectiveIsAdmittedNow() {
        // F just above the 1 s both have waited: w2's first token after one more iteration would come after it
        assertEquals(List.of("w1:400@host", "w2:400@host"), chunks(plan(NOW + 1e-6)));
        // and a request that has already waited F is never held
        assertEquals(List.of("w1:400@host", "w2:400@host"), chunks(plan(NOW)));
    }

    @Test
    void theRuleHoldsOnlyBesideAnotherAdmissionAndWithinTheObjective() {
        assertTrue(TtftHostPacing.waits(true, 1.0, 0.5, 2.0));
        assertTrue(TtftHostPacing.waits(true, 1.0, 1.0, 2.0), "exactly met is met");
        assertFalse(TtftHostPacing.waits(true, 1.0, 1.0 + 1e-9, 2.0));
        assertFalse(TtftHostPacing.waits(false, 1.0, 0.5, 2.0), "the iteration's first admission never waits here");
    }
}
