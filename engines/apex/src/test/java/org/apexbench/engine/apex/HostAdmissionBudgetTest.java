package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.GEO;
import static org.apexbench.engine.apex.ApexPlanTest.chunks;
import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.HostAdmissionSloTest.NO_SLO;
import static org.apexbench.engine.apex.HostAdmissionSloTest.plan;
import static org.apexbench.engine.apex.HostAdmissionSloTest.tpot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.SchedulerSnapshot;

/**
 * APEX's host admission under a TPOT objective (docs/engines.md#apex, SLO-aware scheduling), on states small enough to
 * compute by hand: of its two candidates per waiting request, NEO's (the host takes it now) and gpu-only's (it waits
 * for GPU memory), NEO's is taken only while the decode step with it meets the SLO and the iteration
 * that prefills it leaves every running request within its TPOT budget; the rule without an objective never
 * overrides a predicted miss; a request the GPU pool can never hold still goes to the host.
 */
class HostAdmissionBudgetTest {
    static final int L = GEO.layers();

    /** The CPU 3x the cheap one: one more CPU row raises rows per second, so the rule without an objective admits. */
    static final Predictor CPU3 = predictor(3, 1e-10);

    /** One copy down and up of one row (the steady step fits its copies at one row). */
    static double copy(Predictor p) { return p.d2h(GEO.qkvBytesPerToken(), 1) + p.h2d(GEO.attnOutBytesPerToken(), 1); }

    /**
     * Predicted asynchronous-overlap decode step with g (100 tokens of context) on the GPU and host rows of summed
     * context {@code ctx}: per layer, linear over every row, then the longer of g's GPU attention and the CPU path.
     */
    static double step(Predictor p, int hostRows, long ctx) {
        return L * (p.linear(1 + hostRows) + Math.max(p.gpuDecodeAttention(1, 100), copy(p) + p.cpuDecodeAttention(hostRows, ctx)))
                + p.embedAndHead(1 + hostRows, 1 + hostRows);
    }

    /**
     * g decoding on the GPU (a 4-token prompt, 7 of 10 blocks with the watermark; 96 of its 1,000 tokens out at time 0, so far ahead of
     * any TPOT budget), w1 (80 tokens) and w2 (100 tokens) waiting, both of which the GPU could hold once free.
     */
    static SchedulerSnapshot twoWaiting(Predictor p) {
        SchedulerSnapshot s = snapshot(10, 400, 512, p);
        s.addDecoding(spec("g", 4, 1000), Location.GPU, 96, 0);
        s.addWaiting(spec("w1", 80, 40));     // peak 119 tokens: 8 blocks
        s.addWaiting(spec("w2", 100, 40));    // peak 139 tokens: 9 blocks
        return s;
    }

    /**
     * The finding of the mutation tests (a TPOT SLO just above the one-request step, a second waiting request admitted
     * although the two-request step is over the SLO by more than 10%): the rule without an objective admitted it,
     * since with this CPU one more row raises rows per second. Now only the first goes to the host.
     */
    @Test
    void aSecondRequestWhoseStepMissesTheSloWaitsAlthoughAnotherCpuRowWouldRaiseRowsPerSecond() {
        double one = step(CPU3, 1, 81);            // w1 decodes its 81st token on the CPU
        double two = step(CPU3, 2, 81 + 101);
        double slo = one * (1 + 1e-5);
        assertTrue(two > 1.1 * slo, "the two-request step is more than 10% over the SLO: " + two + " against " + slo);
        assertEquals(List.of("w1:80@host", "w2:100@host"), chunks(plan(NO_SLO, twoWaiting(CPU3), 0)),
                "without an objective both pay by rows per second");
        assertEquals(List.of("w1:80@host"), chunks(plan(tpot(slo), twoWaiting(CPU3), 0)),
                "with one, w2 waits for GPU memory: its step would miss the SLO");
        assertEquals(List.of(), chunks(plan(tpot(one * (1 - 1e-5)), twoWaiting(CPU3), 0)),
                "w1's own step misses: gpu-only's candidate, nothing new to the host");
        assertEquals(List.of("w1:80@host", "w2:100@host"), chunks(plan(tpot(two * (1 + 1e-5)), twoWaiting(CPU3), 0)),
                "an SLO the two-request step meets takes both: NEO's candidate for each");
    }

    /**
     * The prefill's cost to the running requests: g (first token at 0, 50 tokens of output, 1 generated) must have its
     * last token by 49 x S; planned at time 0.01 s, given one token this iteration and its 48 later ones at the steady
     * step with w1, it may wait this iteration for up to 49 S - 0.01 - 48 x step. w1 goes to the host exactly while its
     * prefill iteration fits in that, and the trial leaves no trace in the plan's predicted time.
     */
    @Test
    void aHostAdmissionWaitsWhenItsPrefillIterationWouldPutARunningRequestOverItsTpotBudget() {
        Predictor p = CPU3;
        double now = 0.01;
        double stepWithW1 = step(p, 1, 81);
        // the admission iteration: g's decode and w1's 80-token prefill on the GPU (no host request yet), as planned
        var withW1 = plan(NO_SLO, oneWaiting(p, 50, true), now);
        assertEquals(List.of("w1:80@host"), chunks(withW1));
        double iteration = withW1.predictedSec();
        double alone = plan(NO_SLO, oneWaiting(p, 50, false), now).predictedSec();
        assertTrue(iteration > alone, "the prefill lengthens the iteration");
        // g's budget at S: 49 S - now - 48 stepWithW1 >= iteration  <=>  S >= (iteration + now + 48 stepWithW1) / 49
        double flip = (iteration + now + 48 * stepWithW1) / 49;
        assertTrue(flip > stepWithW1, "the budget, not the steady step, decides here");
        var admitted = plan(tpot(flip * (1 + 1e-9)), oneWaiting(p, 50, true), now);
        assertEquals(List.of("w1:80@host"), chunks(admitted), "within g's budget");
        assertEquals(iteration, admitted.predictedSec(), 1e-15, "the plan with w1's prefill, counted once");
        var waits = plan(tpot(flip * (1 - 1e-9)), oneWaiting(p, 50, true), now);
        assertEquals(List.of(), chunks(waits), "just over it: w1 waits, although the step with it meets the SLO");
        assertEquals(alone, waits.predictedSec(), 1e-15, "the plan without w1's prefill");
    }

    /** g decoding on the GPU with {@code gOutput} tokens of output (1 generated), w1 waiting if {@code w1}. */
    static SchedulerSnapshot oneWaiting(Predictor p, int gOutput, boolean w1) {
        SchedulerSnapshot s = snapshot(10, 400, 512, p);
        s.addDecoding(spec("g", 99, gOutput), Location.GPU, 1, 0);
        if (w1) s.addWaiting(spec("w1", 80, 40));
        return s;
    }

    /**
     * NEO's candidate must raise the steady step's rows per second by the margin: g alone decodes one row per
     * {@code alone}, with w1 on the host two per {@code step(CPU3, 1, 81)}. The SLO is far away (g is 96 tokens ahead and
     * the step a hundredth of it); w1 goes to the host exactly while the gain exceeds the margin.
     */
    @Test
    void aHostAdmissionMustRaiseTheSteadyStepsRowsPerSecondByTheMargin() {
        Predictor p = CPU3;
        double alone = L * (p.linear(1) + p.gpuDecodeAttention(1, 100)) + p.embedAndHead(1, 1);
        double with = step(p, 1, 81);
        double gain = (2 / with) / (1 / alone) - 1;
        assertTrue(gain > 0 && gain < 1, "a gain a margin can express: " + gain);
        assertEquals(List.of("w1:80@host"), chunks(plan(margin(100 * with, gain * (1 - 1e-6)), oneWaiting(p, 1000, true), 0)));
        assertEquals(List.of(), chunks(plan(margin(100 * with, gain * (1 + 1e-6)), oneWaiting(p, 1000, true), 0)),
                "a gain just under the margin: gpu-only's candidate");
    }

    static ApexOptions margin(double tpotSloSec, double margin) {
        var d = ApexPlanTest.D;
        return new ApexOptions(tpotSloSec, d.starvationIterations(), true, true, d.swapInHysteresis(), margin, d.neoPacking(),
                false, false, Double.NaN);
    }

    /** A request the GPU pool can never hold goes to the host even when its step misses the SLO: it has no other place. */
    @Test
    void aRequestTheGpuCanNeverHoldGoesToTheHostWhateverTheSlo() {
        SchedulerSnapshot s = snapshot(10, 400, 512, CPU3);
        s.addDecoding(spec("g", 4, 1000), Location.GPU, 96, 0);
        s.addWaiting(spec("w1", 80, 40));
        s.addWaiting(spec("big", 160, 40));   // peak 199 tokens: 13 blocks, more than the GPU's 10
        double slo = step(CPU3, 1, 81) * (1 + 1e-5);
        assertEquals(List.of("w1:80@host", "big:160@host"), chunks(plan(tpot(slo), s, 0)));
    }
}
