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
 * tokens (greedy, or seeded sampling for every third request) of an unconstrained gpu-only run. Hybrid engines must show real CPU/GPU overlap in their
 * records (offload must show none).
 */
class RealEnginesTest {
    private static final int REQUESTS = 10;
    /** Largest request: prompt 44 + output 28 = 72 tokens = 5 blocks; the GPU pool gets 6. */
    private static final EngineBudgets TIGHT = new EngineBudgets(16, 96, 6, 64, 16);
    private static final String FLOOR_PROPERTY = "apex.real.hostAttentionFloorMicros";
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
            // every third request samples (seeded temperature/top-p): its draws must not depend on batching either
            SamplingParams sampling = i % 3 == 0 ? new SamplingParams(0.8f, 0.95f, 1000 + i) : SamplingParams.GREEDY;
            requests.add(new RequestSpec("r" + i, 0, prompt, 8 + rnd.nextInt(21), sampling));
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
                Arguments.of("static-hybrid:neo", EngineOptions.of("runtime", "single-thread")),
                Arguments.of("static-hybrid:fastdecode", EngineOptions.NONE),
                Arguments.of("static-hybrid:offload", EngineOptions.NONE),
                Arguments.of("apex", EngineOptions.NONE));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void tightBudgetGivesTheUnconstrainedTokens(String id, EngineOptions options) {
        assumeTrue(EngineRegistry.ids().contains(id), "engine " + id + " is not on the class path");
        boolean singleThread = options.values().containsValue("single-thread");
        boolean mustOverlap = (id.equals("static-hybrid:neo") && !singleThread) || id.equals("apex");
        // Overlap is real concurrency of two threads. Tiny-model attention lasts microseconds, less than a
        // scheduling quantum of a loaded 2-core machine, so each run emulates a slower host (every CPU attention
        // job lasts >= 2 ms, sleeping): a runtime that overlaps must then show GPU work inside that window, and
        // one that serialises (offload) still must not. Every run must give exactly the reference tokens.
        boolean overlap = false;
        String floor = System.getProperty(FLOOR_PROPERTY);
        System.setProperty(FLOOR_PROPERTY, "2000");
        try {
            for (int attempt = 0; attempt < (mustOverlap ? 3 : 1) && !overlap; attempt++) {
                RealRunResult r = run(id, options, TIGHT);
                checkRun(id, options, r);
                overlap = overlaps(r.result().subtasks());
                if (singleThread) checkOneHostThread(r.result().subtasks());
                if (id.equals("static-hybrid:offload")) {
                    assertFalse(overlap, "offload must not overlap CPU attention with GPU work");
                }
            }
        } finally {
            if (floor == null) System.clearProperty(FLOOR_PROPERTY); else System.setProperty(FLOOR_PROPERTY, floor);
        }
        if (mustOverlap) assertTrue(overlap, id + ": some CPU attention interval intersects a GPU subtask interval");
    }

    private static void checkRun(String id, EngineOptions options, RealRunResult r) {
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
        checkDependencies(id, subtasks);
    }

    /** CPU attention of (iteration, layer, sub-batch) starts after its PRE ends and ends before its POST starts. */
    private static void checkDependencies(String id, List<SubtaskRecord> subtasks) {
        Map<String, SubtaskRecord> pre = new java.util.HashMap<>(), post = new java.util.HashMap<>();
        for (SubtaskRecord s : subtasks) {
            String key = s.iteration() + "/" + s.layer() + "/" + s.stage();
            if (s.op() == Op.PRE) pre.put(key, s);
            if (s.op() == Op.POST) post.put(key, s);
        }
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            String key = c.iteration() + "/" + c.layer() + "/" + c.stage();
            assertTrue(pre.get(key).endSec() <= c.startSec(), id + ": CPU attention " + key + " started before its q/k/v existed");
            assertTrue(c.endSec() <= post.get(key).startSec(), id + ": POST " + key + " started before its CPU attention ended");
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

    /** The path `apex run --backend cpu` takes: schedulers predict from a profile of this machine swept just before the run. */
    @Test
    void apexWithASweptCpuProfileGivesTheUnconstrainedTokens() {
        assumeTrue(EngineRegistry.ids().contains("apex"), "engine apex is not on the class path");
        Engine apex = EngineRegistry.create("apex", EngineOptions.NONE);
        RealRunResult r = RealRun.run(apex, "cpu", 1, RealRun.checkpoint(model), DType.F32, TIGHT, null, requests,
                RecordOptions.DEFAULT, DType.F32);
        for (RequestSpec spec : requests) {
            assertArrayEquals(reference.get(spec.id()), r.tokens().get(spec.id()), "apex (swept profile): tokens of " + spec.id());
        }
        assertEquals("cpu", r.result().executor());
    }

    /** NEO's faithful runtime: launches happened, and never at the same time as CPU attention (one host thread). */
    private static void checkOneHostThread(List<SubtaskRecord> subtasks) {
        List<SubtaskRecord> launches = subtasks.stream().filter(s -> s.op() == Op.LAUNCH).toList();
        assertFalse(launches.isEmpty(), "the single-thread runtime launched stages");
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            for (SubtaskRecord l : launches) {
                assertFalse(c.startSec() < l.endSec() && l.startSec() < c.endSec(),
                        "launch and CPU attention overlap on NEO's single host thread: " + l + " / " + c);
            }
        }
    }

    @Test
    void cudaWithAnFp32KvCacheIsRefusedSayingWhy() {
        Engine g = EngineRegistry.create("gpu-only", EngineOptions.NONE);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RealRun.run(g, "cuda", 1,
                RealRun.checkpoint(model), TIGHT, PREDICTOR, requests, RecordOptions.DEFAULT, DType.F32));
        assertTrue(e.getMessage().contains("cuda keep KV in F16"), e.getMessage());
        var other = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RealRun.run(g, "tpu", 1,
                RealRun.checkpoint(model), TIGHT, PREDICTOR, requests, RecordOptions.DEFAULT, DType.F16));
        assertTrue(other.getMessage().contains("cpu or cuda, got 'tpu'"), other.getMessage());
    }
}
