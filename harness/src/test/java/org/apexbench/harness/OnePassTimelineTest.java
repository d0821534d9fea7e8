package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.model.ModelPresets;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.reports.HtmlReport;
import org.apexbench.workloads.WorkloadContext;
import org.apexbench.workloads.WorkloadSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One simulated pass that keeps the report's timeline window as it goes keeps exactly the subtasks that a second
 * pass told the window (picked from the first pass's iterations) keeps, even when it drops many along the way.
 */
class OnePassTimelineTest {
    @ParameterizedTest
    @ValueSource(strings = {"apex", "gpu-only", "static-hybrid:neo"})
    void onePassKeepsTheSameSubtasksAsTwo(String id) {
        ModelGeometry model = ModelPresets.geometry("llama-2-7b");
        var hw = HardwareSpecs.resolve("t4-g4dn.4xlarge");
        EngineBudgets budgets = new EngineBudgets(256, 2048, 120, 4000, EngineBudgets.DEFAULT_BLOCK_SIZE);
        var requests = WorkloadSpec.parse("synthetic:count=30,input=300,output=150,rate=2")
                .generate(new WorkloadContext(model.vocab(), model.maxContext(), null, Long.MAX_VALUE)).requests();
        EngineRuns.Sim sim = new EngineRuns.Sim(model, hw, budgets, requests, 0, 9, 0.05, null, 1);

        RunResult all = EngineRuns.simulate(EngineRuns.create(id, EngineOptions.NONE), sim, RecordOptions.ALL, null);
        long[] w = HtmlReport.timelineWindow(all.iterations());
        RunResult twoPass = EngineRuns.simulate(EngineRuns.create(id, EngineOptions.NONE), sim,
                new RecordOptions(true, w[0], w[1]), null);
        RunResult onePass = EngineRuns.simulate(EngineRuns.create(id, EngineOptions.NONE), sim,
                RecordOptions.window(EngineRunner.timelineWindow()), null);

        assertTrue(all.subtasks().size() > 4 * 1024, id + ": enough subtasks that the one pass drops some on the way ("
                + all.subtasks().size() + ")");
        assertTrue(!twoPass.subtasks().isEmpty() && twoPass.subtasks().size() < all.subtasks().size() / 10, id + ": "
                + twoPass.subtasks().size() + " in the window of " + all.subtasks().size());
        assertEquals(twoPass.iterations(), onePass.iterations(), id);
        assertEquals(twoPass.subtasks(), onePass.subtasks(), id);
    }
}
