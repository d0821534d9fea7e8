package org.apexbench.engine.gpuonly;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.InfeasibleRequestException;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuOnlySimTest {
    private static RunResult run(String preemption, List<RequestSpec> reqs, int gpuBlocks, long seed, double jitter) {
        Engine e = EngineRegistry.create("gpu-only", EngineOptions.of("preemption", preemption));
        return SimRun.simulate(e, SimFixture.LLAMA2_7B, SimFixture.T4, Predictor.of(SimFixture.T4),
                new EngineBudgets(64, 512, gpuBlocks, 2000, 16), reqs, seed, jitter, RecordOptions.ALL);
    }

    @Test
    void everyRequestFinishesUnderPreemptionPressureWithValidSchedules() {
        List<RequestSpec> reqs = SimFixture.requests(40, 200, 100, 20, 1);
        for (String mode : List.of("recompute", "swap")) {
            RunResult r = run(mode, reqs, 60, 7, 0.1);
            assertEquals(List.of(), RunChecks.requests(reqs, r), mode);
            assertEquals(List.of(), RunChecks.exclusiveResources(r.subtasks()), mode);
            assertEquals(List.of(), RunChecks.dependencies(r.subtasks()), mode);
            int preemptions = r.requests().stream().mapToInt(RequestRecord::preemptions).sum();
            assertTrue(preemptions > 0, mode + ": a 60-block pool must force preemptions");
            if (mode.equals("swap")) {
                assertTrue(r.iterations().stream().mapToLong(IterationRecord::swapOutBytes).sum() > 0);
            }
        }
    }

    @Test
    void closedLoopKeepsConcurrencyAndArrivesOnCompletion() {
        List<RequestSpec> reqs = SimFixture.requests(20, 100, 30, 0, 5);
        Engine e = EngineRegistry.create("gpu-only", EngineOptions.NONE);
        RunResult r = SimRun.simulate(e, org.apexbench.model.ModelPresets.geometry("llama-2-7b"),
                org.apexbench.profiler.hardware.HardwareSpecs.builtIn("t4-g4dn.4xlarge"), new EngineBudgets(64, 512, 400, 0, 16),
                reqs, 3, 1, 0, RecordOptions.DEFAULT, null);
        assertEquals(List.of(), RunChecks.requests(reqs, r));
        java.util.Set<Double> completions = new java.util.HashSet<>();
        for (RequestRecord q : r.requests()) completions.add(q.tokenTimesSec()[q.outputTokens() - 1]);
        for (int i = 0; i < r.requests().size(); i++) {
            RequestRecord q = r.requests().get(i);
            if (i < 3) assertEquals(0.0, q.arrivalSec());
            else assertTrue(completions.contains(q.arrivalSec()), q + " must arrive when another finishes");
            double t = q.arrivalSec();
            long inFlight = r.requests().stream().filter(o -> o.arrivalSec() <= t && o.tokenTimesSec()[o.outputTokens() - 1] > t).count();
            assertTrue(inFlight <= 3, "at most 3 in flight at " + t + ", got " + inFlight);
        }
    }

    @Test
    void sameSeedSameRecords() {
        List<RequestSpec> reqs = SimFixture.requests(30, 200, 80, 10, 3);
        RunResult a = run("recompute", reqs, 80, 11, 0.2);
        RunResult b = run("recompute", reqs, 80, 11, 0.2);
        assertEquals(a.requests(), b.requests());
        assertEquals(a.iterations().toString(), b.iterations().toString());
        assertEquals(a.subtasks().toString(), b.subtasks().toString());
        RunResult c = run("recompute", reqs, 80, 12, 0.2);
        assertTrue(!a.requests().equals(c.requests()), "a different jitter seed changes times");
    }

    @Test
    void requestThatCannotFitAloneIsRejectedNamingIt() {
        List<RequestSpec> reqs = List.of(new RequestSpec("small", 0, new int[10], 5, SamplingParams.GREEDY),
                new RequestSpec("huge", 0, new int[900], 200, SamplingParams.GREEDY));
        InfeasibleRequestException e = assertThrows(InfeasibleRequestException.class, () -> run("recompute", reqs, 20, 1, 0));
        assertTrue(e.getMessage().contains("huge") && e.getMessage().contains("69 GPU KV blocks")
                && e.getMessage().contains("has 20"), e.getMessage());
    }

    @Test
    void unknownEngineAndOptionAreClearErrors() {
        var e1 = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("gpu-onyl", EngineOptions.NONE));
        assertTrue(e1.getMessage().contains("gpu-onyl") && e1.getMessage().contains("gpu-only"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("gpu-only", EngineOptions.of("preemption", "later")));
        assertTrue(e2.getMessage().contains("recompute"), e2.getMessage());
        // the registry lists what create accepts; an option it does not list is refused, naming the listed ones
        assertEquals(java.util.Set.of("preemption"), EngineRegistry.options("gpu-only"));
        var e3 = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("gpu-only", EngineOptions.of("preemptoin", "swap")));
        assertTrue(e3.getMessage().contains("preemptoin") && e3.getMessage().contains("[preemption]"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.options("gpu-onyl"));
        assertTrue(e4.getMessage().contains("unknown engine 'gpu-onyl'"), e4.getMessage());
    }
}
