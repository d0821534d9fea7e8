package org.apexbench.engine.apex;

import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stall trade on constructed tables ({@link DispatchTest#tables}: linear time flat at 1 ms a layer, 40 GPU decodes of
 * 1K tokens whose attention takes 0.25 ms a layer, a host row of 1K tokens 0.0625 ms a layer of CPU attention, free
 * copies). Asynchronous overlap hides 4 host rows behind the GPU attention and has the most rows per second (44 rows
 * in 1.25 ms a layer); the pipelined pair reads the weights twice but hides 36 (76 rows in 2.25 ms). With 80 host
 * requests waiting, the plan running all of them stalls the GPU (5 ms of CPU path against 1.25 ms of GPU work a
 * layer), so each row deferred now costs its CPU path later, and the hidden plan is worth its extra time.
 */
class StallTradeTest {
    private static final int LAYERS = 32;
    private final Predictor p = DispatchTest.tables(1.0, 6.25, 10);
    private final SubBatchLoad g = DispatchTest.gpuRows(p, 40, 1000);

    private Dispatch.Choice choose(int n, double slo) {
        long[] cpu = new long[n];
        Arrays.fill(cpu, 1000);
        return new Dispatch(p, LAYERS, 0, 0).choose(g, cpu, n, 0, 0, false, slo, true, new Dispatch.Choice());
    }

    @Test
    void withManyHostRowsWaitingTheTradeRunsTheHiddenPlanInsteadOfTheFastestStep() {
        Dispatch.Choice plain = choose(80, Double.NaN);
        assertEquals(Strategy.ASYNC_OVERLAP, plain.strategy, "without an objective: the most rows per second");
        assertEquals(4, plain.cpuCount, "AO hides 4 rows of 0.0625 ms behind 0.25 ms of GPU attention");

        Dispatch.Choice traded = choose(80, 0.2);
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, traded.strategy);
        assertEquals(36, traded.cpuCount, "the pipelined pair hides 36 rows");
        assertTrue(traded.rate < plain.rate, "it gives up rows per second this step: " + traded.rate + " < " + plain.rate);
        // why: its extra time is less than what the rows it adds would stall the GPU for when they come due together
        double sigma = LAYERS * 0.0625e-3;
        assertTrue(traded.predictedSec - plain.predictedSec < sigma * (traded.cpuCount - plain.cpuCount));
        // and it hides them: the iteration is the GPU's work (two reads of the weights and the attention), no stall
        assertEquals(LAYERS * (1.0e-3 + 1.0e-3 + 0.25e-3), traded.predictedSec, 1e-9);
    }

    @Test
    void whenThePlanRunningEveryHostRowHidesThemDeferringIsFree() {
        // 4 candidates: AO hides them all, so the bunch they would come due in costs nothing and nothing is traded
        Dispatch.Choice traded = choose(4, 0.2);
        Dispatch.Choice plain = choose(4, Double.NaN);
        assertEquals(plain.strategy, traded.strategy);
        assertEquals(plain.cpuCount, traded.cpuCount);
        assertEquals(plain.predictedSec, traded.predictedSec, 0);
    }

    @Test
    void aPlanThatStallsTheGpuNowIsNotTraded() {
        // under a 60 ms objective the pipelined pair (72 ms) misses, and AO with rows beyond the 4 hidden ones stalls:
        // those rows would cost the same stall now as later, so the fastest step stays
        Dispatch.Choice traded = choose(80, 0.06);
        assertEquals(Strategy.ASYNC_OVERLAP, traded.strategy);
        assertEquals(4, traded.cpuCount);
    }

    @Test
    void deferralIsPricedOnlyWhenTheBunchStalls() {
        StallTrade t = new StallTrade();
        t.begin(0.01);
        t.overlapped(1, 0.012, 0);
        t.pipelined(1, 0.02, 0);
        assertEquals(0, t.deferralSec(1, 0.003), 0, "the faster plan running every row hides it");
        t.overlapped(2, 0.015, 0.002);
        t.pipelined(2, 0.021, 0);
        assertEquals(0.003, t.deferralSec(2, 0.003), 0, "the faster plan (AO) stalls: a deferred row costs its CPU path");
        t.pipelined(2, 0.014, 0);
        assertEquals(0, t.deferralSec(2, 0.003), 0, "the faster plan is AP, which hides them");
    }
}
