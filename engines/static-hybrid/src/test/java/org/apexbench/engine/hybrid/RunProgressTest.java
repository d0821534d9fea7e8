package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.workloads.RequestSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.apexbench.engine.hybrid.StaticHybridSimTest.MODEL;
import static org.apexbench.engine.hybrid.StaticHybridSimTest.T4;
import static org.apexbench.engine.hybrid.StaticHybridSimTest.TIGHT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine loop's progress callback: finished requests counted up to the total, and the run itself unchanged. */
class RunProgressTest {
    @Test
    void progressCountsFinishedRequestsUpToTheTotalWithoutChangingTheRun() {
        List<RequestSpec> reqs = StaticHybridSimTest.requests(30, 2);
        List<int[]> seen = new ArrayList<>();
        RunResult with = SimRun.simulate(EngineRegistry.create("static-hybrid:neo", EngineOptions.NONE), MODEL, T4, TIGHT, reqs,
                0, 1, 0.05, RecordOptions.DEFAULT, null, (done, total) -> seen.add(new int[] {done, total}));
        RunResult without = SimRun.simulate(EngineRegistry.create("static-hybrid:neo", EngineOptions.NONE), MODEL, T4, TIGHT,
                reqs, 0, 1, 0.05, RecordOptions.DEFAULT, null);
        assertTrue(seen.size() > 1, "several updates over a 30-request run");
        for (int i = 0; i < seen.size(); i++) {
            assertEquals(30, seen.get(i)[1]);
            assertTrue(i == 0 ? seen.get(i)[0] > 0 : seen.get(i)[0] > seen.get(i - 1)[0], "done grows strictly");
        }
        assertEquals(30, seen.getLast()[0]);
        assertEquals(without.iterations(), with.iterations());
        assertEquals(without.requests().size(), with.requests().size());
    }
}
