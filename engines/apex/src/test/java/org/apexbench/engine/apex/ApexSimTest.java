package org.apexbench.engine.apex;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApexSimTest {
    static final HardwareSpec T4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
    static final ModelGeometry MODEL = org.apexbench.model.ModelPresets.geometry("llama-2-7b");
    static final EngineBudgets TIGHT = new EngineBudgets(128, 1024, 80, 4000, 16);

    static List<RequestSpec> requests(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RequestSpec> out = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < n; i++) {
            out.add(new RequestSpec("a" + i, t, new int[100 + rnd.nextInt(400)], 30 + rnd.nextInt(150), SamplingParams.GREEDY));
            t += rnd.nextDouble() * 0.02;
        }
        return out;
    }

    static RunResult run(String id, EngineOptions o, List<RequestSpec> reqs, long seed, double jitter, Profile profile) {
        Engine e = EngineRegistry.create(id, o);
        return SimRun.simulate(e, MODEL, T4, TIGHT, reqs, seed, jitter, RecordOptions.ALL, profile);
    }

    @Test
    void servesEveryRequestWithValidOverlappingSchedules() {
        List<RequestSpec> reqs = requests(50, 3);
        RunResult r = run("apex", EngineOptions.NONE, reqs, 5, 0.05, null);
        assertEquals(List.of(), RunChecks.requests(reqs, r));
        assertEquals(List.of(), RunChecks.exclusiveResources(r.subtasks()));
        assertEquals(List.of(), RunChecks.dependencies(r.subtasks()));
        assertTrue(RunChecks.cpuGpuOverlapSec(r.subtasks()) > 0, "APEX must overlap CPU attention with GPU work");
        var strategies = r.iterations().stream().map(IterationRecord::strategy).collect(Collectors.toSet());
        assertTrue(strategies.size() >= 2, "expected a mix of strategies, got " + strategies);
        assertTrue(r.iterations().stream().allMatch(i -> i.predictedSec() > 0), "every iteration carries a prediction");
    }

    @Test
    void beatsGpuOnlyOnATightT4() {
        List<RequestSpec> reqs = requests(50, 8);
        RunResult apex = run("apex", EngineOptions.NONE, reqs, 1, 0, null);
        RunResult gpu = run("gpu-only", EngineOptions.NONE, reqs, 1, 0, null);
        assertTrue(apex.outputThroughput() > 1.3 * gpu.outputThroughput(),
                "apex " + apex.outputThroughput() + " tok/s vs gpu-only " + gpu.outputThroughput());
    }

    @Test
    void sameSeedSameBytes() {
        List<RequestSpec> reqs = requests(30, 4);
        RunResult a = run("apex", EngineOptions.of("tpotSloMs", "400"), reqs, 9, 0.1, null);
        RunResult b = run("apex", EngineOptions.of("tpotSloMs", "400"), reqs, 9, 0.1, null);
        assertEquals(a.requests(), b.requests());
        assertEquals(a.iterations().toString(), b.iterations().toString());
        assertEquals(a.subtasks().toString(), b.subtasks().toString());
    }

    @Test
    void registryFindsEveryEngineThroughServiceLoader() {
        assertEquals(List.of("apex", "gpu-only", "static-hybrid:fastdecode", "static-hybrid:neo", "static-hybrid:offload"),
                EngineRegistry.ids());
        assertEquals("single-thread", EngineRegistry.create("static-hybrid:neo", EngineOptions.NONE).hostRuntime());
        assertEquals("two-thread", EngineRegistry.create("static-hybrid:neo", EngineOptions.of("runtime", "two-thread")).hostRuntime());
        var e = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("apex", EngineOptions.of("tpotSlo", "5")));
        assertTrue(e.getMessage().contains("tpotSlo") && e.getMessage().contains("tpotSloMs"), e.getMessage());
    }

    @Test
    void profileOfOtherHardwareIsRefused() {
        HardwareSpec a10 = HardwareSpecs.builtIn("a10g-g5.4xlarge");
        Profile wrong = SimSetup.profile(a10, MODEL, TIGHT);
        var e = assertThrows(IllegalArgumentException.class, () -> run("apex", EngineOptions.NONE, requests(3, 1), 1, 0, wrong));
        assertTrue(e.getMessage().contains("different setup") && e.getMessage().contains("a10g"), e.getMessage());
    }

    @Test
    void amortizedAdmissionFillsTheCpuOnShortOutputBatches() {
        // NEO's T4 budgets in small (a tiny GPU pool, every request at once) with short outputs whose prompts are
        // cheap enough to amortize: on the calibrated T4 a 373-token prefill costs about 40 tokens of a CPU-bound
        // decode iteration, more than a 45-token output repays, so there the rule rightly holds back
        // (docs/decisions.md); 128 -> 64 tokens leaves the CPU slack that one-iteration admission cannot fill
        List<RequestSpec> reqs = new ArrayList<>();
        for (int i = 0; i < 150; i++) reqs.add(new RequestSpec("s" + i, 0, new int[128], 64, SamplingParams.GREEDY));
        EngineBudgets small = new EngineBudgets(256, 2048, 54, 4000, 16);
        RunResult base = SimRun.simulate(EngineRegistry.create("apex", EngineOptions.NONE), MODEL, T4, small, reqs, 1, 0,
                RecordOptions.DEFAULT, null);
        RunResult amortized = SimRun.simulate(EngineRegistry.create("apex", EngineOptions.of("amortizedAdmission", "true")),
                MODEL, T4, small, reqs, 1, 0, RecordOptions.DEFAULT, null);
        assertEquals(List.of(), RunChecks.requests(reqs, amortized));
        int peakBase = base.iterations().stream().mapToInt(IterationRecord::running).max().orElseThrow();
        int peakAmortized = amortized.iterations().stream().mapToInt(IterationRecord::running).max().orElseThrow();
        assertTrue(peakAmortized > peakBase, "amortized admission should hold more host requests: " + peakAmortized + " vs " + peakBase);
        assertTrue(amortized.outputThroughput() > 1.1 * base.outputThroughput(),
                "amortized " + amortized.outputThroughput() + " tok/s vs one-iteration admission " + base.outputThroughput());
    }
}
