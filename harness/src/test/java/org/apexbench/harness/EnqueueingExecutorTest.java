package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.engine.real.RealRun;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;

/**
 * The real executor's cuda code path (device thread never waits for a host job; GPU-side waits for outputs;
 * staging reused per layer; completions drained after sampling; device spans from marks resolved after the
 * iteration) run on the cpu backend through {@link EnqueueingCpuBridge}: every engine under the tight budget
 * must give exactly the cpu reference tokens (fp32, so no tolerance), every iteration is resolved, every
 * CPU-attention output is waited for, every CPU job of an iteration that swapped awaited the swap fence (swap-outs
 * land in the host pool only then), and CPU attention still lies between its layer's PRE and POST (within the
 * anchor's uncertainty: device spans come from marks).
 */
class EnqueueingExecutorTest {
    /** Engines whose tight-budget run has iterations that both swap and attend on the CPU. */
    private static final java.util.Set<String> SWAPS_WITH_CPU_DECODES = java.util.Set.of("static-hybrid:neo", "static-hybrid:offload", "apex");
    /** Device spans reach the run clock through an anchor mark (IterationLog); cross-clock checks allow its uncertainty. */
    private static final double CLOCK_SLACK_SEC = 200e-6;
    private static RealEngineCheck check;
    private static Path fixture;
    private static Backend device, host;
    private static LlamaModel model;

    @BeforeAll
    static void open() {
        fixture = RealEngineRuns.tinyLlama3();
        check = new RealEngineCheck("cpu", fixture);
        device = Backends.open("cpu", 1);
        host = Backends.open("cpu", 1);
        model = new LlamaModel(LlamaWeights.load(fixture, device), device);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        if (host != null) host.close();
        if (device != null) device.close();
        if (check != null) check.close();
    }

    @ForEveryRealEngine
    void theEnqueueingPathGivesTheReferenceTokens(String id, EngineOptions options) {
        RealEngineRuns.assumeOnClassPath(id);
        EnqueueingCpuBridge bridge = new EnqueueingCpuBridge(device, host);
        RealRunResult r = RealRun.run(EngineRegistry.create(id, options), model, host, bridge, RealEngineCheck.TIGHT,
                RealEngineCheck.PREDICTOR, check.requests(), RecordOptions.ALL, DType.F32);
        RealRunResult reference = check.run("gpu-only", EngineOptions.NONE, RealEngineCheck.ROOMY);
        for (RequestSpec spec : check.requests()) {
            assertArrayEquals(reference.tokens().get(spec.id()), r.tokens().get(spec.id()), id + " " + options + ": " + spec.id());
        }
        assertTrue(r.result().requests().stream().allMatch(RequestRecord::succeeded));
        assertEquals(r.result().iterations().size(), bridge.iterationsEnded.get(), "every iteration resolved its marks");
        List<SubtaskRecord> subtasks = r.result().subtasks();
        long cpuJobs = subtasks.stream().filter(s -> s.op() == Op.CPU_DECODE_ATTN).count();
        assertEquals(cpuJobs, bridge.outputsWaitedFor.get(), "one enqueued wait per CPU-attention job");
        assertEquals(cpuJobs, subtasks.stream().filter(s -> s.op() == Op.ATTN_OUT_H2D).count(), "output copies recorded from marks");
        // each CPU job of an iteration that swapped awaited the swap fence (its swap-outs land in the host pool only then)
        int fenced = RealEngineCheck.cpuJobsInSwapIterations(subtasks);
        assertEquals(fenced, bridge.fencesAwaited.get(), "swap fence awaited once per CPU job of a swapping iteration");
        if (SWAPS_WITH_CPU_DECODES.contains(id)) assertTrue(fenced > 0, id + ": an iteration both swapped and attended on the CPU");
        if (RealEngineRuns.decodesOnCpu(id)) assertTrue(cpuJobs > 0, id + ": CPU decodes happened");
        RealEngineRuns.assertCpuAttentionBetweenPreAndPost(id, subtasks, CLOCK_SLACK_SEC);
    }

    /**
     * The device thread of an enqueueing backend (cuda) never waits inside the layers, so the NaN check marks each
     * layer on the device and reads the marks where sampling waits anyway: the run still stops naming the request and
     * the first broken layer, with APEX's CPU attention in flight.
     */
    @org.junit.jupiter.api.Test
    void nanWeightsStopAnEnqueueingRunNamingRequestAndLayer(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path poisoned = Files.createDirectories(tmp.resolve("nan"));
        try (var files = Files.list(fixture)) {
            for (Path f : files.toList()) Files.copy(f, poisoned.resolve(f.getFileName()));
        }
        InputBoundsCommandTest.poisonFirstElement(poisoned.resolve("model.safetensors"), "model.layers.1.mlp.down_proj.weight");
        try (LlamaModel broken = new LlamaModel(LlamaWeights.load(poisoned, device), device)) {
            EnqueueingCpuBridge bridge = new EnqueueingCpuBridge(device, host);
            RuntimeException e = assertThrows(RuntimeException.class, () -> RealRun.run(EngineRegistry.create("apex", EngineOptions.NONE),
                    broken, host, bridge, RealEngineCheck.TIGHT, RealEngineCheck.PREDICTOR, check.requests(), RecordOptions.ALL, DType.F32));
            String chain = "";
            for (Throwable t = e; t != null; t = t.getCause()) chain += t.getMessage() + "\n";
            assertTrue(chain.contains(": NaN or infinite activations after layer 1 of 3 (its attention and MLP; weights model.layers.1.*)"),
                    chain);
        }
    }
}
