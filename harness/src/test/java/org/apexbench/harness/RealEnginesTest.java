package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.real.RealRun;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;

/**
 * Every engine on the real model (cpu backend, tiny-llama3 fixture) under a GPU KV budget just above one
 * request's need: host offload, swaps and preemption happen, and every request must still get exactly the
 * tokens (greedy, or seeded sampling for every third request) of an unconstrained gpu-only run. Hybrid runtimes built
 * to overlap must keep the device working while CPU attention is outstanding (offload must not, nor overlap at all).
 */
class RealEnginesTest {
    /** The unconstrained gpu-only reference on cpu; every third of its requests samples. */
    private static RealEngineCheck check;
    private static Path model;

    @BeforeAll
    static void reference() {
        model = RealEngineRuns.tinyLlama3();
        check = new RealEngineCheck("cpu", model, RealEngineCheck.requests(true));
    }

    @AfterAll
    static void close() {
        if (check != null) check.close();
    }

    @ForEveryRealEngine
    void tightBudgetGivesTheUnconstrainedTokens(String id, EngineOptions options) {
        RealEngineRuns.assumeOnClassPath(id);
        boolean singleThread = options.values().containsValue("single-thread");
        boolean mustOverlap = RealEngineRuns.mustOverlap(id, options);
        // With a slow host (RealEngineRuns.withSlowHostAttention, every CPU job lasts >= 2 ms) a runtime built to overlap
        // must keep the device working while a CPU job is outstanding, and one that serialises (offload) must not; that
        // is its structure, whatever the OS scheduler does with the host thread on a loaded machine (real intersections
        // of the two threads' intervals depend on it; their amount is checked with injected durations in
        // RealExecutorAccountingTest). Every run must give exactly the reference tokens.
        RealEngineRuns.withSlowHostAttention(() -> {
            RealRunResult r = check.run(id, options, RealEngineCheck.TIGHT);
            checkRun(id, options, r);
            List<SubtaskRecord> subtasks = r.result().subtasks();
            if (singleThread) checkOneHostThread(subtasks);
            boolean works = RealEngineRuns.deviceWorksWhileCpuJobsAreOutstanding(subtasks);
            if (mustOverlap) assertTrue(works, id + ": the device works while CPU attention is outstanding");
            if (id.equals("static-hybrid:offload")) {
                assertFalse(works, "offload must wait for each CPU output before any further GPU work");
                assertFalse(RealEngineRuns.cpuAttentionOverlapsGpuWork(subtasks), "offload must not overlap CPU attention with GPU work");
            }
            return null;
        });
    }

    private static void checkRun(String id, EngineOptions options, RealRunResult r) {
        for (RequestSpec spec : check.requests()) {
            int[] got = r.tokens().get(spec.id());
            assertEquals(spec.outputTokens(), got.length, id + ": tokens of " + spec.id());
            assertArrayEquals(check.reference().get(spec.id()), got, id + " " + options + ": tokens of " + spec.id());
        }
        assertEquals(check.requests().size(), r.result().requests().size());
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
        RealEngineRuns.assertCpuAttentionBetweenPreAndPost(id, subtasks, 0);
    }

    /** The path `apex run --backend cpu` takes: schedulers predict from a profile of this machine swept just before the run. */
    @Test
    void apexWithASweptCpuProfileGivesTheUnconstrainedTokens() {
        RealEngineRuns.assumeOnClassPath("apex");
        Engine apex = EngineRegistry.create("apex", EngineOptions.NONE);
        RealRunResult r = RealRun.run(apex, "cpu", 1, RealRun.checkpoint(model), DType.F32, RealEngineCheck.TIGHT, null,
                check.requests(), RecordOptions.DEFAULT, DType.F32);
        for (RequestSpec spec : check.requests()) {
            assertArrayEquals(check.reference().get(spec.id()), r.tokens().get(spec.id()), "apex (swept profile): tokens of " + spec.id());
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
                RealRun.checkpoint(model), RealEngineCheck.TIGHT, RealEngineCheck.PREDICTOR, check.requests(), RecordOptions.DEFAULT,
                DType.F32));
        assertTrue(e.getMessage().contains("cuda keep KV in F16"), e.getMessage());
        var other = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> RealRun.run(g, "tpu", 1,
                RealRun.checkpoint(model), RealEngineCheck.TIGHT, RealEngineCheck.PREDICTOR, check.requests(), RecordOptions.DEFAULT,
                DType.F16));
        assertTrue(other.getMessage().contains("cpu or cuda, got 'tpu'"), other.getMessage());
    }
}
