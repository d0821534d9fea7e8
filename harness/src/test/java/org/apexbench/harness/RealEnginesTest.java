package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.EngineRegistry;
import org.apexbench.engine.Predictor;
import org.apexbench.engine.RecordOptions;
import org.apexbench.engine.real.RealRun;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * Every engine on the real model (cpu backend, tiny-llama3 fixture) under a GPU KV budget just above one
 * request's need: host offload, swaps and preemption happen, and every request must still get exactly the
 * greedy tokens of an unconstrained gpu-only run. Hybrid engines must show real CPU/GPU overlap in their
 * records (offload must show none).
 */
class RealEnginesTest {
    private static final int REQUESTS = 10;
    /** Largest request: prompt 44 + output 28 = 72 tokens = 5 blocks; the GPU pool gets 6. */
    private static final EngineBudgets TIGHT = new EngineBudgets(16, 96, 6, 64, 16);
    private static final EngineBudgets ROOMY = new EngineBudgets(16, 1024, 64, 0, 16);

    /** Linear time dominates and the "GPU" attends 10x faster than the CPU: hybrid dispatch pays (as on a T4). */
    static final Predictor PREDICTOR = Predictor.of((op, rows, requests, ctx, pairs, bytes) -> switch (op) {
        case PRE, POST -> 5e-4 + 1e-6 * rows;
        case EMBED, LM_HEAD -> 1e-5 + 1e-7 * rows;
        case PREFILL_ATTN -> 1e-5 + 1e-9 * pairs;
        case GPU_DECODE_ATTN -> 5e-6 + 1e-8 * ctx;
        case CPU_DECODE_ATTN -> 1e-5 + 1e-7 * ctx;
        case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> 1e-5 * Math.max(1, requests) + bytes / 10e9;
        case LAUNCH -> 1e-4;
    });

    private static Path model;
    private static List<RequestSpec> requests;
    private static Map<String, int[]> reference;

    @BeforeAll
    static void reference() {
        String dir = System.getProperty("apex.fixtures");
        assumeTrue(dir != null && Files.isDirectory(Path.of(dir, "tiny-llama3")), "fixtures not found (apex.fixtures=" + dir + ")");
        model = Path.of(dir, "tiny-llama3");
        SplittableRandom rnd = new SplittableRandom(7);
        requests = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            int[] prompt = rnd.ints(20 + rnd.nextInt(25), 3, 640).toArray();
            requests.add(new RequestSpec("r" + i, 0, prompt, 8 + rnd.nextInt(21), SamplingParams.GREEDY));
        }
        RealRunResult ref = run("gpu-only", EngineOptions.NONE, ROOMY);
        reference = ref.tokens();
        assertEquals(0, ref.result().requests().stream().mapToInt(RequestRecord::preemptions).sum(),
                "the reference run must be unconstrained");
    }

    private static RealRunResult run(String id, EngineOptions options, EngineBudgets budgets) {
        Engine engine = EngineRegistry.create(id, options);
        return RealRun.run(engine, "cpu", 1, RealRun.checkpoint(model), budgets, PREDICTOR, requests, RecordOptions.ALL, DType.F32);
    }

    static Stream<Arguments> engines() {
        return Stream.of(
                Arguments.of("gpu-only", EngineOptions.of("preemption", "recompute")),
                Arguments.of("gpu-only", EngineOptions.of("preemption", "swap")),
                Arguments.of("static-hybrid:neo", EngineOptions.of("runtime", "two-thread")),
                Arguments.of("static-hybrid:fastdecode", EngineOptions.NONE),
                Arguments.of("static-hybrid:offload", EngineOptions.NONE),
                Arguments.of("apex", EngineOptions.NONE));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void tightBudgetGivesTheUnconstrainedTokens(String id, EngineOptions options) {
        assumeTrue(EngineRegistry.ids().contains(id), "engine " + id + " is not on the class path yet");
        RealRunResult r = run(id, options, TIGHT);
        for (RequestSpec spec : requests) {
            int[] got = r.tokens().get(spec.id());
            assertEquals(spec.outputTokens(), got.length, id + ": tokens of " + spec.id());
            assertArrayEquals(reference.get(spec.id()), got, id + " " + options + ": tokens of " + spec.id());
        }
        assertEquals(requests.size(), r.result().requests().size());
        assertTrue(r.result().requests().stream().allMatch(RequestRecord::succeeded), id + ": every request succeeds");
        List<SubtaskRecord> subtasks = r.result().subtasks();
        int preemptions = r.result().requests().stream().mapToInt(RequestRecord::preemptions).sum();
        int cpuDecodes = r.result().requests().stream().mapToInt(RequestRecord::cpuDecodeSteps).sum();
        boolean swaps = subtasks.stream().anyMatch(s -> s.op() == Op.SWAP_OUT || s.op() == Op.SWAP_IN);
        switch (id + " " + options.values()) {
            case "gpu-only {preemption=recompute}" -> assertTrue(preemptions > 0, "recompute preemptions happened");
            case "gpu-only {preemption=swap}" -> assertTrue(swaps && preemptions > 0, "swaps happened");
            default -> assertTrue(cpuDecodes > 0, id + ": CPU decodes happened");
        }
        boolean overlap = overlaps(subtasks);
        if (id.equals("static-hybrid:offload")) {
            assertFalse(overlap, "offload must not overlap CPU attention with GPU work");
        } else if (id.equals("static-hybrid:neo") || id.equals("apex")) {
            assertTrue(overlap, id + ": some CPU attention interval intersects a GPU subtask interval");
        }
    }

    /** Whether some CPU_DECODE_ATTN interval strictly intersects some GPU subtask interval. */
    static boolean overlaps(List<SubtaskRecord> subtasks) {
        List<SubtaskRecord> gpu = subtasks.stream().filter(s -> s.resource() == Resource.GPU).toList();
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            for (SubtaskRecord g : gpu) {
                if (g.iteration() == c.iteration() && c.startSec() < g.endSec() && g.startSec() < c.endSec()) return true;
            }
        }
        return false;
    }

    @Test
    void singleThreadNeoRuntimeIsRefusedNamingTheOption() {
        Engine neo = EngineRegistry.create("static-hybrid:neo", EngineOptions.NONE);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RealRun.run(neo, "cpu", 1,
                RealRun.checkpoint(model), TIGHT, PREDICTOR, requests, RecordOptions.DEFAULT, DType.F32));
        assertTrue(e.getMessage().contains("runtime=two-thread"), e.getMessage());
    }

    @Test
    void cudaBackendIsRefusedSayingWhy() {
        Engine g = EngineRegistry.create("gpu-only", EngineOptions.NONE);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RealRun.run(g, "cuda", 1,
                RealRun.checkpoint(model), TIGHT, PREDICTOR, requests, RecordOptions.DEFAULT, DType.F32));
        assertTrue(e.getMessage().contains("cpu only"), e.getMessage());
    }
}
