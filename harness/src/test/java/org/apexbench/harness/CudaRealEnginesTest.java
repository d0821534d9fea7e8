package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.EngineRegistry;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;

/**
 * {@link RealEnginesTest} on the cuda backend, through {@link RealEngineCheck} (which explains the fp16
 * near-tie rule): every engine on tiny-llama3 under a GPU KV budget just above one request's need (host offload
 * through pinned memory, swaps on the copy streams, preemption) gives the tokens of an unconstrained cuda run;
 * records carry GPU-event times that respect each layer's dependencies, and NEO / APEX overlap CPU attention
 * with GPU work. Skipped visibly where no CUDA GPU is usable.
 */
class CudaRealEnginesTest {
    private static final String FLOOR_PROPERTY = "apex.real.hostAttentionFloorMicros";
    /** GPU times reach the run clock through an anchor event; allow this much skew against wall-clock records. */
    private static final double CLOCK_SLACK_SEC = 200e-6;
    private static RealEngineCheck check;
    /** Why the check cannot run here; each test case reports it as its skip reason (visible per case). */
    private static String skipReason;

    @BeforeAll
    static void reference() {
        String why = CudaProbe.unavailableReason();
        String dir = System.getProperty("apex.fixtures");
        if (why != null) {
            skipReason = "GPU test skipped: " + why;
        } else if (dir == null || !Files.isDirectory(Path.of(dir, "tiny-llama3"))) {
            skipReason = "fixtures not found (apex.fixtures=" + dir + ")";
        } else {
            check = new RealEngineCheck("cuda", Path.of(dir, "tiny-llama3"));
        }
    }

    @AfterAll
    static void close() {
        if (check != null) check.close();
    }

    static Stream<Arguments> engines() {
        return RealEngineCheck.ENGINES.stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("engines")
    void tightBudgetGivesTheUnconstrainedTokens(String id, EngineOptions options) {
        assumeTrue(check != null, () -> skipReason);
        assumeTrue(EngineRegistry.ids().contains(id), "engine " + id + " is not on the class path");
        boolean mustOverlap = (id.equals("static-hybrid:neo") && !options.values().containsValue("single-thread"))
                || id.equals("apex");
        String floor = System.getProperty(FLOOR_PROPERTY);
        // as on cpu: a 2 ms floor per CPU-attention job, so overlap is decided by the runtime's structure
        System.setProperty(FLOOR_PROPERTY, "2000");
        RealEngineCheck.Outcome o;
        try {
            o = check.check(id, options);
        } finally {
            if (floor == null) System.clearProperty(FLOOR_PROPERTY); else System.setProperty(FLOOR_PROPERTY, floor);
        }
        System.out.println(o);
        assertNull(o.failure(), o.toString());
        var result = o.run().result();
        assertEquals("cuda", result.executor());
        int cpuDecodes = result.requests().stream().mapToInt(RequestRecord::cpuDecodeSteps).sum();
        if (id.startsWith("static-hybrid") || id.equals("apex")) assertTrue(cpuDecodes > 0, id + ": CPU decodes happened");
        List<SubtaskRecord> subtasks = result.subtasks();
        for (SubtaskRecord s : subtasks) assertTrue(s.startSec() <= s.endSec(), id + ": a record ends before it starts: " + s);
        checkDependencies(id, subtasks);
        if (mustOverlap) assertTrue(RealEnginesTest.overlaps(subtasks), id + ": CPU attention overlaps GPU work");
    }

    /** As on cpu, with GPU-event times on the run clock: CPU attention lies between its layer's PRE and POST. */
    private static void checkDependencies(String id, List<SubtaskRecord> subtasks) {
        Map<String, SubtaskRecord> pre = new HashMap<>(), post = new HashMap<>();
        for (SubtaskRecord s : subtasks) {
            String key = s.iteration() + "/" + s.layer() + "/" + s.stage();
            if (s.op() == Op.PRE) pre.put(key, s);
            if (s.op() == Op.POST) post.put(key, s);
        }
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            String key = c.iteration() + "/" + c.layer() + "/" + c.stage();
            assertTrue(pre.get(key).endSec() <= c.startSec() + CLOCK_SLACK_SEC, id + ": CPU attention " + key + " before its q/k/v");
            assertTrue(c.endSec() <= post.get(key).startSec() + CLOCK_SLACK_SEC, id + ": POST " + key + " before its CPU attention");
        }
    }
}
