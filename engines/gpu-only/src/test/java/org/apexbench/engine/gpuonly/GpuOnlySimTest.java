package org.apexbench.engine.gpuonly;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.HostLoopCost;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.DurationClock;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void requestThatCannotFitAloneIsRejectedOnItsOwnAndTheOthersRunAsWithoutIt() {
        List<RequestSpec> served = SimFixture.requests(30, 200, 80, 10, 3);
        // two requests whose peak KV (900 + 200 - 1 tokens = 69 blocks; 700 + 400 - 1 = 69) can never fit 60 blocks,
        // arriving among the others
        List<RequestSpec> all = new ArrayList<>(served);
        all.add(5, new RequestSpec("huge", served.get(4).arrivalSec(), new int[900], 200, SamplingParams.GREEDY));
        all.add(20, new RequestSpec("huge2", served.get(18).arrivalSec(), new int[700], 400, SamplingParams.GREEDY));
        for (String mode : List.of("recompute", "swap")) {
            RunResult with = run(mode, all, 60, 7, 0.1);
            RunResult without = run(mode, served, 60, 7, 0.1);
            List<RequestRecord> rejected = with.requests().stream().filter(RequestRecord::rejected).toList();
            assertEquals(List.of("huge", "huge2"), rejected.stream().map(RequestRecord::id).toList(), mode);
            assertEquals(RequestRecord.REJECTED + "needs 69 GPU KV blocks (1099 tokens) but the GPU pool has 60",
                    rejected.get(0).failureReason(), mode);
            for (RequestRecord r : rejected) {
                assertEquals(0, r.outputTokens(), mode);
                assertFalse(r.succeeded(), mode);
            }
            assertEquals(all.size(), with.requests().size(), mode + ": every request has a record, in input order");
            assertEquals("huge", with.requests().get(5).id(), mode);
            // the others produce the same tokens at the same times as a run that never saw the oversized ones
            List<RequestRecord> others = with.requests().stream().filter(r -> !r.rejected()).toList();
            assertEquals(without.requests(), others, mode);
            assertEquals(without.iterations().toString(), with.iterations().toString(), mode);
            Summary s = Metrics.summarize(with.requests(), with.iterations(), Slo.NONE, DurationClock.FIRST_ARRIVAL);
            assertEquals(30, s.completed(), mode);
            assertEquals(2, s.failed(), mode);
        }
    }

    @Test
    void aRunWhoseEveryRequestIsRejectedIsACompleteResultWithNothingCompleted() {
        List<RequestSpec> reqs = List.of(new RequestSpec("a", 0, new int[900], 200, SamplingParams.GREEDY),
                new RequestSpec("b", 1.5, new int[2000], 10, SamplingParams.GREEDY));
        RunResult r = run("recompute", reqs, 20, 1, 0);
        assertEquals(List.of("a", "b"), r.requests().stream().filter(RequestRecord::rejected).map(RequestRecord::id).toList());
        assertEquals(1.5, r.requests().get(1).arrivalSec());
        assertEquals(0, r.iterations().size());
        assertEquals(0, r.outputTokens());
        Summary s = Metrics.summarize(r.requests(), r.iterations(), Slo.NONE, DurationClock.FIRST_ARRIVAL);
        assertEquals(0, s.completed());
        assertEquals(2, s.failed());
        assertEquals(0, s.ttft().count());
    }

    @Test
    void aRequestLongerThanTheModelsContextIsRejectedSayingSo() {
        int context = SimFixture.LLAMA2_7B.maxContext();
        List<RequestSpec> reqs = List.of(new RequestSpec("small", 0, new int[10], 5, SamplingParams.GREEDY),
                new RequestSpec("long", 0, new int[context - 10], 11, SamplingParams.GREEDY));
        RunResult r = run("recompute", reqs, 4096, 1, 0);
        assertTrue(r.requests().get(0).succeeded());
        assertEquals(RequestRecord.REJECTED + "prompt " + (context - 10) + " + output 11 tokens exceed model "
                + SimFixture.LLAMA2_7B.name() + "'s " + context + " positions", r.requests().get(1).failureReason());
    }

    @Test
    void unknownEngineAndOptionAreClearErrors() {
        var e1 = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("gpu-onyl", EngineOptions.NONE));
        assertTrue(e1.getMessage().contains("gpu-onyl") && e1.getMessage().contains("gpu-only"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("gpu-only", EngineOptions.of("preemption", "later")));
        assertTrue(e2.getMessage().contains("recompute"), e2.getMessage());
        // the registry lists what create accepts; an option it does not list is refused, naming the listed ones
        assertEquals(java.util.Set.of("preemption", "scheduler", "frameworkOverhead", "loop"), EngineRegistry.options("gpu-only"));
        var e3 = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("gpu-only", EngineOptions.of("preemptoin", "swap")));
        assertTrue(e3.getMessage().contains("preemptoin") && e3.getMessage().contains("preemption")
                && e3.getMessage().contains("frameworkOverhead"), e3.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("gpu-only", EngineOptions.of("frameworkOverhead", "sometimes")));
        assertTrue(e5.getMessage().contains("frameworkOverhead") && e5.getMessage().contains("true/false"), e5.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.options("gpu-onyl"));
        assertTrue(e4.getMessage().contains("unknown engine 'gpu-onyl'"), e4.getMessage());
    }

    /** vLLM's framework overhead: every iteration starts c0 later with every resource idle; the plans do not change. */
    @Test
    void frameworkOverheadDelaysEveryIterationByC0() {
        List<RequestSpec> reqs = SimFixture.requests(24, 200, 60, 0, 3);   // all at t = 0: decisions do not depend on time
        RunResult with = SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.NONE), SimFixture.LLAMA2_7B, SimFixture.T4,
                Predictor.of(SimFixture.T4), new EngineBudgets(64, 512, 200, 2000, 16), reqs, 1, 0, RecordOptions.DEFAULT);
        RunResult without = SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.of("frameworkOverhead", "false")),
                SimFixture.LLAMA2_7B, SimFixture.T4, Predictor.of(SimFixture.T4), new EngineBudgets(64, 512, 200, 2000, 16), reqs, 1, 0,
                RecordOptions.DEFAULT);
        assertEquals(without.iterations().size(), with.iterations().size());
        double c0 = GpuOnlyEngines.FRAMEWORK_MS / 1000;
        for (int i = 0; i < with.iterations().size(); i++) {
            IterationRecord a = with.iterations().get(i), b = without.iterations().get(i);
            assertEquals(b.durationSec() + c0, a.durationSec(), 1e-9, "iteration " + i);
            assertEquals(b.gpuBusySec(), a.gpuBusySec(), 1e-12, "the overhead is not GPU work");
        }
        assertTrue(with.description().contains("framework overhead 4.0 ms") && without.description().contains("no framework overhead"),
                with.description() + " / " + without.description());
    }

    /**
     * SwiftLLM's loop (NEO's GPU-only baseline) in place of vLLM's: every iteration starts later than without overhead
     * by the measured loop's price of its plan (0.40 ms + 4 us per GPU decode + 0.24 ms per prefill), the plans do not
     * change; naming a loop while turning its overhead off is refused.
     */
    @Test
    void swiftllmLoopDelaysEveryIterationByItsPlansPrice() {
        List<RequestSpec> reqs = SimFixture.requests(24, 200, 60, 0, 3);   // all at t = 0: decisions do not depend on time
        EngineBudgets budgets = new EngineBudgets(64, 512, 200, 2000, 16);
        RunResult with = SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.of("loop", "swiftllm")),
                SimFixture.LLAMA2_7B, SimFixture.T4, Predictor.of(SimFixture.T4), budgets, reqs, 1, 0, RecordOptions.DEFAULT);
        RunResult without = SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.of("frameworkOverhead", "false")),
                SimFixture.LLAMA2_7B, SimFixture.T4, Predictor.of(SimFixture.T4), budgets, reqs, 1, 0, RecordOptions.DEFAULT);
        assertEquals(without.iterations().size(), with.iterations().size());
        HostLoopCost loop = HostLoopCost.SWIFTLLM;
        int withPrefills = 0;
        for (int i = 0; i < with.iterations().size(); i++) {
            IterationRecord a = with.iterations().get(i), b = without.iterations().get(i);
            assertEquals(b.gpuDecodes(), a.gpuDecodes(), "iteration " + i);
            double extra = a.durationSec() - b.durationSec() - loop.perIterationSec() - loop.perGpuDecodeSec() * a.gpuDecodes();
            double prefills = extra / loop.perPrefillSec();
            assertEquals(Math.rint(prefills), prefills, 1e-6, "iteration " + i + ": a whole number of prefills priced");
            long k = Math.round(prefills);
            assertTrue(k >= 0 && (k > 0) == (a.prefillTokens() > 0), "iteration " + i + ": " + prefills);
            if (k > 0) withPrefills++;
            assertEquals(b.gpuBusySec(), a.gpuBusySec(), 1e-12, "the loop's time is not GPU work");
        }
        assertTrue(withPrefills > 0, "the run prefills");
        assertTrue(with.description().contains("SwiftLLM's serving-loop host time"), with.description());
        var both = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("gpu-only", EngineOptions.of("loop", "swiftllm", "frameworkOverhead", "false")));
        assertEquals("gpu-only: loop=swiftllm names the loop whose overhead frameworkOverhead=false turns off; give one of them",
                both.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("gpu-only", EngineOptions.of("loop", "vllm-v1")));
        assertTrue(unknown.getMessage().contains("loop") && unknown.getMessage().contains("swiftllm"), unknown.getMessage());
        Engine vllm = EngineRegistry.create("gpu-only", EngineOptions.NONE);
        assertEquals(HostLoopCost.perIteration(GpuOnlyEngines.FRAMEWORK_MS / 1000), vllm.hostLoop(),
                "vLLM's loop by default: a constant c0, no plan-priced terms");
        assertEquals(HostLoopCost.SWIFTLLM, EngineRegistry.create("gpu-only", EngineOptions.of("loop", "swiftllm")).hostLoop(),
                "SwiftLLM's loop replaces c0");
    }

    /** vLLM V0 allocates a whole prompt's blocks at admission: a second prompt waits until the first's blocks are free. */
    @Test
    void admissionReservesTheWholePrompt() {
        // 2 x 300-token prompts, 24 blocks (384 tokens), a 128-token budget: the first is prefilled in three chunks and
        // holds 19 blocks from the start; the second (19 blocks) cannot be admitted until the first finishes
        List<RequestSpec> reqs = List.of(new RequestSpec("a", 0, new int[300], 20, SamplingParams.GREEDY),
                new RequestSpec("b", 0, new int[300], 20, SamplingParams.GREEDY));
        RunResult r = SimRun.simulate(EngineRegistry.create("gpu-only", EngineOptions.NONE), SimFixture.LLAMA2_7B, SimFixture.T4,
                Predictor.of(SimFixture.T4), new EngineBudgets(8, 128, 24, 2000, 16), reqs, 1, 0, RecordOptions.DEFAULT);
        assertEquals(List.of(), RunChecks.requests(reqs, r));
        RequestRecord a = r.requests().get(0), b = r.requests().get(1);
        assertEquals(0, a.preemptions() + b.preemptions(), "no half-prefilled prompt is preempted");
        assertTrue(b.tokenTimesSec()[0] > a.tokenTimesSec()[a.tokenTimesSec().length - 1], "b starts after a finishes");
    }
}
