package org.apexbench.engine.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.runtime.ScriptedEngineFactory;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.kernels.DType;
import org.apexbench.model.ModelPresets;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * The harness's door into the engines, with the scripted engine core's tests register: engines are found and created
 * by id with their declared options, "static-hybrid" means NEO, a simulated run's KV pools follow the GPU memory rule
 * and the host share, and a real run's impossible setups are refused before any work.
 */
class EngineRunsTest {
    static final HardwareSpec T4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
    static final ModelGeometry MODEL = ModelPresets.geometry("tiny-llama3");

    @Test
    void enginesAreFoundAndCreatedByIdWithTheirOptions() {
        assertEquals(List.of("scripted"), EngineRuns.ids());
        assertEquals(List.of(ScriptedEngineFactory.OVERLAP), EngineRuns.options("scripted"));
        Engine e = EngineRuns.create("scripted", EngineOptions.of("overlap", "false"));
        assertEquals("scripted", e.id());
        assertEquals("scripted GPU_ONLY", e.description());
        var unknown = assertThrows(IllegalArgumentException.class, () -> EngineRuns.create("static-hybrid", EngineOptions.NONE));
        assertEquals("unknown engine 'static-hybrid:neo'; known: [scripted]", unknown.getMessage(), "static-hybrid alone means NEO");
        assertEquals("unknown engine 'static-hybrid:neo'; known: [scripted]",
                assertThrows(IllegalArgumentException.class, () -> EngineRuns.options("static-hybrid")).getMessage());
        assertEquals("unknown engine 'apex'; known: [scripted]",
                assertThrows(IllegalArgumentException.class, () -> EngineRuns.create("apex", EngineOptions.NONE)).getMessage());
    }

    @Test
    void aSimulatedRunsPoolsAreTheGpuMemoryRulesAndTheHostShareAndItRunsEveryRequest() {
        EngineBudgets b = EngineRuns.simBudgets(MODEL, T4, 0, 16, 256);
        long block = KvCapacity.blockBytes(MODEL, b.blockSize());
        assertEquals(EngineRuns.simGpuPool(MODEL, T4, 0, Double.NaN, 16, 256).blocks(), b.gpuKvBlocks(), "the GPU's default utilization");
        assertEquals((long) (T4.host().memoryBytes() * SimSetup.DEFAULT_HOST_KV_FRACTION) / block, EngineRuns.simHostBlocks(T4, block));
        assertEquals(EngineRuns.simHostBlocks(T4, block), b.hostKvBlocks());
        assertEquals(List.of(16, 256), List.of(b.maxRunning(), b.maxTokensPerIteration()));
        assertSame(SimSetup.profile(T4, MODEL, b), EngineRuns.simProfile(T4, MODEL, b), "the setup's swept profile");

        List<RequestSpec> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) requests.add(new RequestSpec("r" + i, 0.01 * i, new int[24 + 8 * i], 4, SamplingParams.GREEDY));
        EngineBudgets small = new EngineBudgets(8, 256, 40, 40, 16);
        RunResult r = EngineRuns.simulate(EngineRuns.create("scripted", EngineOptions.NONE),
                new EngineRuns.Sim(MODEL, T4, small, requests, 0, 1, 0, null, 1), RecordOptions.DEFAULT, null);
        assertEquals(List.of("r0", "r1", "r2"), r.requests().stream().map(q -> q.id()).toList());
        for (var q : r.requests()) assertEquals(4, q.tokenTimesSec().length, q.id() + " produced every token");
    }

    @Test
    void realRunsRefuseAnUnknownBackendAndAKvTypeCudaCannotHold() {
        assertEquals("real runs need backend cpu or cuda, got 'tpu' (use --backend sim for simulated GPUs)",
                assertThrows(IllegalArgumentException.class, () -> EngineRuns.checkReal("tpu", DType.F16)).getMessage());
        assertEquals("real runs on cuda keep KV in F16 (GPU and host pools), got F32",
                assertThrows(IllegalArgumentException.class, () -> EngineRuns.checkReal("cuda", DType.F32)).getMessage());
        EngineRuns.checkReal("cpu", DType.F32);
        assertThrows(IllegalArgumentException.class, () -> new EngineRuns.Real("tpu", 1, null, DType.F16, null, null));
    }
}
