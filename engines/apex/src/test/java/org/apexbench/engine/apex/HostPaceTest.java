package org.apexbench.engine.apex;

import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host rows paced to the host requests' TPOT deadlines (docs/engines.md#apex, SLO-aware scheduling): what a request's
 * pace is, and a decision in which the per-step argmax defers host rows that the GPU's work could hide, so that they
 * later run together on a CPU path that outlasts the GPU's, while the paced choice hides them now.
 */
class HostPaceTest {
    static final int LAYERS = 32;

    @Test
    void aRequestsPaceIsItsRemainingTokensOverTheTimeLeftToItsDeadline() {
        SchedulerSnapshot s = ApexPlanTest.snapshot(40, 400, 512, ApexPlanTest.predictor(1, 1e-10));
        RequestState r = s.addDecoding(ApexPlanTest.spec("h", 10, 100), Location.HOST, 10, 0);   // first token at 0 s
        // last token due by 0.2 x 99 = 19.8 s; 90 to go at 1 s: 90 / 18.8 a second
        assertEquals(90 / 18.8, HostPace.rowsPerSec(r, 1, 0.2), 1e-12);
        assertEquals(0, HostPace.rowsPerSec(r, 19.8, 0.2), "late: its negative slack makes it run, the pace leaves it out");
        assertEquals(0, HostPace.rowsPerSec(s.addWaiting(ApexPlanTest.spec("w", 10, 5)), 0, 0.2), "no first token yet");
        assertTrue(HostPace.keeps(400, 0.0704, 28), "28.16 rows asked: 28 whole ones keep the pace");
        assertFalse(HostPace.keeps(400, 0.0704, 27));
        assertTrue(HostPace.keeps(0, 1, 0), "no pace: any plan");
    }

    /**
     * Constructed per layer: linear 1 ms flat (memory-bound, so AP reads the weights twice), 60 GPU rows whose attention
     * takes 0.2 ms, and 80 host candidates of 0.04 ms of CPU attention each, free copies. AO hides 5 host rows (1.2 ms
     * for 65 rows, 54 rows a ms); AP hides 55 (2.2 ms for 115, 52 rows a ms); all 80 at once take AP 3.2 ms, a
     * millisecond more than the GPU's 2.2 ms of work.
     */
    @Test
    void theArgmaxDefersRowsTheGpuCouldHideAndTheirBunchStallsItThePaceHidesThemNow() {
        Predictor p = DispatchTest.tables(1.0, 0.2e-3 / 60_000e-9, 12);
        SubBatchLoad g = DispatchTest.gpuRows(p, 60, 1000);
        double ga = DispatchTest.attention(g, p), lin = p.linear(60);
        long[] cpu = new long[80];
        Arrays.fill(cpu, 1000);
        double slo = 0.2, pace = 80 / slo;   // 80 host requests, each a token every 200 ms
        Dispatch d = new Dispatch(p, LAYERS, 0, 0);

        Dispatch.Choice argmax = d.choose(g, cpu, cpu.length, 0, 0, false, slo, true, new Dispatch.Choice());
        assertEquals(Strategy.ASYNC_OVERLAP, argmax.strategy);
        assertEquals(5, argmax.cpuCount, "the most rows per second hides 5 host rows behind the GPU attention");
        assertTrue(argmax.cpuCount / argmax.predictedSec < pace, "and defers the rest, below the pace");

        // once the deferred rows' slack is spent they must all run in one plan, whose CPU path outlasts the GPU's work
        Dispatch.Choice bunch = d.choose(g, cpu, cpu.length, cpu.length, 0, false, slo, true, new Dispatch.Choice());
        assertEquals(80, bunch.cpuCount);
        assertTrue(bunch.predictedSec / LAYERS > 2 * lin + ga + 0.5e-3,
                "the bunch stalls the GPU: " + bunch.predictedSec / LAYERS + " s a layer against " + (2 * lin + ga));

        d.pace(pace);
        Dispatch.Choice paced = d.choose(g, cpu, cpu.length, 0, 0, false, slo, true, new Dispatch.Choice());
        assertTrue(HostPace.keeps(pace, paced.predictedSec, paced.cpuCount),
                paced.cpuCount + " rows in " + paced.predictedSec + " s keep the pace of " + pace + " a second");
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, paced.strategy);
        assertEquals(55, paced.cpuCount, "every row the pipelined pair hides");
        assertEquals(2 * lin + ga, paced.predictedSec / LAYERS, 1e-12, "its CPU path fits under the GPU's work: no stall");
        assertTrue(paced.predictedSec <= slo);

        d.pace(0);
        Dispatch.Choice again = d.choose(g, cpu, cpu.length, 0, 0, false, slo, true, new Dispatch.Choice());
        assertEquals(5, again.cpuCount, "no pace: the argmax as before");
    }

    @Test
    void aPaceNoPlanKeepsLeavesTheChoiceAsBefore() {
        Predictor p = DispatchTest.tables(1.0, 0.2e-3 / 60_000e-9, 12);
        SubBatchLoad g = DispatchTest.gpuRows(p, 60, 1000);
        long[] cpu = new long[80];
        Arrays.fill(cpu, 1000);
        Dispatch d = new Dispatch(p, LAYERS, 0, 0);
        Dispatch.Choice before = d.choose(g, cpu, cpu.length, 0, 0, false, 0.2, true, new Dispatch.Choice());
        d.pace(1e6);   // beyond what the host can serve
        Dispatch.Choice after = d.choose(g, cpu, cpu.length, 0, 0, false, 0.2, true, new Dispatch.Choice());
        assertEquals(before.strategy, after.strategy);
        assertEquals(before.cpuCount, after.cpuCount);
        assertEquals(before.predictedSec, after.predictedSec);
    }
}
