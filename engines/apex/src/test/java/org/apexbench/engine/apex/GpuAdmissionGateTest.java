package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
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
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * With a TPOT objective a GPU admission's prefill is priced against the running requests' TPOT budgets as a host
 * admission's is (docs/engines.md#apex, SLO-aware scheduling): the newcomer waits an iteration when its prefill would
 * put a running request over the budget that the iteration without it keeps, while its TTFT objective allows.
 */
class GpuAdmissionGateTest {
    static final Predictor P = predictor(3, 1e-10);
    static final double NOW = 0.01;

    /** g decoding on the GPU (first token at 0, 50 of output, 1 generated), w1 (80 tokens, arrived at 0) that fits the GPU pool. */
    static SchedulerSnapshot gpuRoom(boolean w1) {
        SchedulerSnapshot s = snapshot(40, 400, 512, P);
        s.addDecoding(spec("g", 99, 50), Location.GPU, 1, 0);
        if (w1) s.addWaiting(spec("w1", 80, 40));
        return s;
    }

    /** The steady decode step the budget prices g's later tokens at: g and w1 both decoding on the GPU. */
    static double step() {
        SchedulerSnapshot s = snapshot(40, 400, 512, P);
        s.addDecoding(spec("g", 99, 50), Location.GPU, 1, 0);
        s.addDecoding(spec("w1", 80, 40), Location.GPU, 1, 0);
        return plan(NO_SLO, s, NOW).predictedSec();
    }

    /**
     * g must have its last token by 49 S; given a token this iteration and 48 later ones at the steady step, this
     * iteration may take 49 S - now - 48 step. At an S whose budget lies halfway between the iteration without w1's
     * prefill and with it, w1 waits (before this rule it was prefilled whatever the objective); at an S whose budget
     * covers the prefill it goes, and so it does where g is late even without it (waiting cannot save g).
     */
    @Test
    void aGpuAdmissionWaitsWhileItsPrefillWouldPutARunningRequestOverTheBudgetTheIterationWithoutItKeeps() {
        var admitted = plan(NO_SLO, gpuRoom(true), NOW);
        assertEquals(List.of("w1:80"), chunks(admitted), "without an objective w1 goes to the GPU now");
        double with = admitted.predictedSec();
        double without = plan(NO_SLO, gpuRoom(false), NOW).predictedSec();
        assertTrue(with > 1.5 * without, "the prefill dominates the iteration: " + with + " against " + without);
        double step = step();
        double mid = ((with + without) / 2 + NOW + 48 * step) / 49;
        assertEquals(List.of(), chunks(plan(tpot(mid), gpuRoom(true), NOW)), "g's budget keeps the iteration without w1, not with it: w1 waits");
        double covers = (with * 1.01 + NOW + 48 * step) / 49;
        assertEquals(List.of("w1:80"), chunks(plan(tpot(covers), gpuRoom(true), NOW)), "g's budget covers the prefill");
        double late = (without * 0.5 + NOW + 48 * step) / 49;
        assertEquals(List.of("w1:80"), chunks(plan(tpot(late), gpuRoom(true), NOW)), "g misses even if w1 waits: w1 goes");
    }

    /** The newcomer waits only while one more iteration and its own prefill still bring its first token within F. */
    @Test
    void aGpuAdmissionThatWouldMissItsTtftWaitingAnIterationGoesNow() {
        double with = plan(NO_SLO, gpuRoom(true), NOW).predictedSec();
        double without = plan(NO_SLO, gpuRoom(false), NOW).predictedSec();
        double step = step();
        double s = ((with + without) / 2 + NOW + 48 * step) / 49;
        double firstToken = NOW + without + with;   // w1 arrived at 0
        assertEquals(List.of(), chunks(plan(both(s, firstToken * 1.01), gpuRoom(true), NOW)), "F allows the wait");
        assertEquals(List.of("w1:80"), chunks(plan(both(s, firstToken * 0.99), gpuRoom(true), NOW)), "F does not: w1 goes now");
    }

    /**
     * The rule itself: a fresh request waits for a running request whose budget, less the prefills reserved inside its
     * window, keeps the iteration without it and not the one with it; an empty running set holds nobody.
     */
    @Test
    void theGateHoldsOnlyAFreshRequestForARunningRequestItsWaitSaves() {
        SchedulerSnapshot s = snapshot(40, 400, 512, P);
        var g = s.addDecoding(spec("g", 99, 50), Location.GPU, 1, 0);
        var fresh = s.addWaiting(new RequestSpec("w", 0, new int[80], 40, SamplingParams.GREEDY));
        List<List<org.apexbench.engine.RequestState>> running = List.of(List.of(g));
        // g's budget at S = 0.1, step 0.05, now 0.01: 4.9 - 0.01 - 48 x 0.05 = 2.49 s
        assertTrue(GpuAdmissionGate.waits(0.01, 3.0, 1.0, 0.05, 0.1, Double.NaN, running, fresh, r -> 0), "2.49 keeps 1.0, not 3.0");
        assertTrue(!GpuAdmissionGate.waits(0.01, 2.0, 1.0, 0.05, 0.1, Double.NaN, running, fresh, r -> 0), "2.49 covers 2.0");
        assertTrue(!GpuAdmissionGate.waits(0.01, 3.0, 2.6, 0.05, 0.1, Double.NaN, running, fresh, r -> 0), "late either way");
        assertTrue(!GpuAdmissionGate.waits(0.01, 3.0, 1.0, 0.05, 0.1, 3.9, running, fresh, r -> 0), "0.01 + 1.0 + 3.0 > 3.9: F binds");
        assertTrue(GpuAdmissionGate.waits(0.01, 3.0, 1.0, 0.05, 0.1, 4.1, running, fresh, r -> 0), "within F");
        assertTrue(!GpuAdmissionGate.waits(0.01, 3.0, 1.0, 0.05, 0.1, Double.NaN, List.of(List.of()), fresh, r -> 0), "nobody to save");
        // the prefills predicted inside g's window after this iteration come out of its budget: 2.49 - 0.6 = 1.89
        assertTrue(GpuAdmissionGate.waits(0.01, 2.0, 1.0, 0.05, 0.1, Double.NaN, running, fresh, r -> 0.6), "1.89 keeps 1.0, not 2.0");
        assertTrue(!GpuAdmissionGate.waits(0.01, 2.0, 1.0, 0.05, 0.1, Double.NaN, running, fresh, r -> 1.6), "0.89: late either way");
    }

    /**
     * Where the gate admits before pricing (the scheduler then skips the passes that predict with and without, or only
     * the steady step's), {@link GpuAdmissionGate#waits} admits at every price: over a grid of prices, a recomputed
     * newcomer, an empty running set and a newcomer that has waited F already never wait; where F binds or with &lt;= without, no steady step or reserve makes
     * the newcomer wait; and the grid does reach prices at which it waits (so the checks are not vacuous).
     */
    @Test
    void admittingBeforePricingIsWhatTheGateDecidesAtEveryPrice() {
        SchedulerSnapshot s = snapshot(40, 400, 512, P);
        var g = s.addDecoding(spec("g", 99, 50), Location.GPU, 1, 0);
        var fresh = s.addWaiting(new RequestSpec("w", 0, new int[80], 40, SamplingParams.GREEDY));
        var recomputed = s.addDecoding(spec("r", 80, 40), Location.GPU, 1, 0);
        List<List<org.apexbench.engine.RequestState>> running = List.of(List.of(g)), nobody = List.of(List.of(), List.of());
        assertTrue(!GpuAdmissionGate.admitsUnpriced(NOW, 0.5, running, fresh), "g has a budget to keep");
        assertTrue(!GpuAdmissionGate.admitsUnpriced(NOW, Double.NaN, running, fresh), "no TTFT objective");
        assertTrue(GpuAdmissionGate.admitsUnpriced(NOW, 0.5, running, recomputed), "recomputed");
        assertTrue(GpuAdmissionGate.admitsUnpriced(NOW, 0.5, nobody, fresh), "nobody with a first token");
        assertTrue(GpuAdmissionGate.admitsUnpriced(NOW, NOW, running, fresh), "waited its TTFT objective already");
        int held = 0, admittedEarly = 0;
        double[] prices = {0, 1e-9, 0.05, 0.5, 1.0, 2.0, 2.49, 2.5, 3.0, 10};
        for (double ttft : new double[] {Double.NaN, 0.5, 3.9, 4.1, NOW, NOW / 2}) {
            boolean spent = GpuAdmissionGate.admitsUnpriced(NOW, ttft, running, fresh);
            for (double with : prices) {
                for (double without : prices) {
                    boolean early = GpuAdmissionGate.admitsBeforeBudgets(NOW, with, without, ttft, fresh);
                    if (early) admittedEarly++;
                    for (double step : new double[] {0, 0.05, 0.1}) {
                        for (double reserved : new double[] {0, 0.6}) {
                            assertTrue(!GpuAdmissionGate.waits(NOW, with, without, step, 0.1, ttft, running, recomputed, r -> reserved));
                            assertTrue(!GpuAdmissionGate.waits(NOW, with, without, step, 0.1, ttft, nobody, fresh, r -> reserved));
                            boolean waits = GpuAdmissionGate.waits(NOW, with, without, step, 0.1, ttft, running, fresh, r -> reserved);
                            assertTrue(!(early && waits), "admitted early at with " + with + ", without " + without + ", F " + ttft);
                            assertTrue(!(spent && waits), "TTFT spent, yet waits at with " + with + ", without " + without);
                            if (waits) held++;
                        }
                    }
                }
            }
        }
        assertTrue(held > 0 && admittedEarly > 0, held + " held, " + admittedEarly + " admitted early");
    }

    static ApexOptions both(double tpotSloSec, double ttftSloSec) {
        return new ApexOptions(tpotSloSec, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, ttftSloSec);
    }
}
