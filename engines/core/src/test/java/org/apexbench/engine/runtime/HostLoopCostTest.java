package org.apexbench.engine.runtime;

import static org.apexbench.engine.runtime.RuntimeValuesTest.FLAT;
import static org.apexbench.engine.runtime.RuntimeValuesTest.GEO;
import static org.apexbench.engine.runtime.RuntimeValuesTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.HostLoopCost;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.junit.jupiter.api.Test;

/** The serving loop's host time is priced from what the plan holds, and refuses values that are not a time. */
class HostLoopCostTest {
    private static final HostLoopCost COST = new HostLoopCost(1e-3, 2e-3, 3e-3, 4e-3, 5e-3);

    @Test
    void pricesEachTermOfThePlan() {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, new EngineBudgets(8, 512, 20, 20, 16), FLAT);
        RequestState w = s.addWaiting(spec("w", 30, 4));
        RequestState g1 = s.addDecoding(spec("g1", 10, 4), Location.GPU, 1, 0);
        RequestState g2 = s.addDecoding(spec("g2", 10, 4), Location.GPU, 1, 0);
        RequestState c = s.addDecoding(spec("c", 10, 4), Location.HOST, 2, 0);
        List<PrefillChunk> pre = List.of(PrefillChunk.of(w, 30, Location.GPU));
        IterationPlan sequential = new IterationPlan(pre, List.of(g1, g2), List.of(), 0, List.of(), List.of(), List.of(),
                Strategy.GPU_ONLY, Double.NaN);
        assertEquals(1e-3 + 3e-3 + 2 * 4e-3, COST.seconds(sequential), 1e-15, "no pipelining term in one batch");
        IterationPlan pipelined = new IterationPlan(pre, List.of(g1), List.of(c), 1, List.of(), List.of(), List.of(),
                Strategy.ASYMMETRIC_PIPELINE, Double.NaN);
        assertEquals(1e-3 + 2e-3 + 3e-3 + 4e-3 + 5e-3, COST.seconds(pipelined), 1e-15);
        IterationPlan overlap = new IterationPlan(List.of(), List.of(g1), List.of(c), 0, List.of(), List.of(), List.of(),
                Strategy.ASYNC_OVERLAP, Double.NaN);
        assertEquals(1e-3 + 4e-3 + 5e-3, COST.seconds(overlap), 1e-15, "one unified batch is not pipelined");
        assertEquals(0, HostLoopCost.NONE.seconds(pipelined));
        // vLLM V0's c0: the same time before every iteration, bit for bit, whatever the plan holds
        assertEquals(4e-3, HostLoopCost.perIteration(4e-3).seconds(pipelined));
        assertEquals(4e-3, HostLoopCost.perIteration(4e-3).seconds(sequential));
        // the measured loop (ms): 0.40 + 4 us per GPU decode; pipelined with a prefill and a CPU decode 0.40 + 0.28 + 0.24
        // + 0.004 + 0.010
        assertEquals(0.404e-3, HostLoopCost.SWIFTLLM.seconds(new IterationPlan(List.of(), List.of(g1), List.of(), 0, List.of(),
                List.of(), List.of(), Strategy.GPU_ONLY, Double.NaN)), 1e-12);
        assertEquals(0.934e-3, HostLoopCost.SWIFTLLM.seconds(pipelined), 1e-12);
    }

    @Test
    void refusesNegativeNanOrInfiniteTermsAndAMissingCost() {
        var negative = assertThrows(IllegalArgumentException.class, () -> new HostLoopCost(0, 0, -1e-3, 0, 0));
        assertEquals("host loop cost perPrefillSec must be finite and >= 0, got -0.001", negative.getMessage());
        var nan = assertThrows(IllegalArgumentException.class, () -> new HostLoopCost(Double.NaN, 0, 0, 0, 0));
        assertEquals("host loop cost perIterationSec must be finite and >= 0, got NaN", nan.getMessage());
        var inf = assertThrows(IllegalArgumentException.class, () -> new HostLoopCost(0, 0, 0, 0, Double.POSITIVE_INFINITY));
        assertEquals("host loop cost perCpuDecodeSec must be finite and >= 0, got Infinity", inf.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> new Engine("e", "e", () -> null, 0, null));
        assertTrue(none.getMessage().contains("HostLoopCost.NONE"), none.getMessage());
        assertEquals(HostLoopCost.NONE, new Engine("e", "e", () -> null, 0).hostLoop(), "an engine given no loop cost pays none");
        var negativeC0 = assertThrows(IllegalArgumentException.class, () -> HostLoopCost.perIteration(-4e-3));
        assertEquals("host loop cost perIterationSec must be finite and >= 0, got -0.004", negativeC0.getMessage());
    }
}
