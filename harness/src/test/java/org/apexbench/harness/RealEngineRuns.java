package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;

/**
 * What the real-engine tests (RealEnginesTest on cpu, EnqueueingExecutorTest on the cpu emulation of the cuda
 * path, CudaRealEnginesTest) share: the fixture and engines they run, what each engine must show, the emulated
 * slow host, and the checks on the subtask records every real run must pass.
 */
final class RealEngineRuns {
    private static final String FLOOR_PROPERTY = "apex.real.hostAttentionFloorMicros";

    private RealEngineRuns() {}

    /** The tiny-llama3 test-data model folder. */
    static Path tinyLlama3() { return fixture("tiny-llama3"); }

    /**
     * Test-data model {@code name} under {@code apex.fixtures} (Surefire points it at testdata/models).
     * The models are part of the repository, so a missing one fails the test instead of skipping it.
     */
    static Path fixture(String name) {
        String dir = System.getProperty("apex.fixtures");
        if (dir == null || !Files.isDirectory(Path.of(dir, name))) {
            throw new IllegalStateException("test-data model " + name + " not found under apex.fixtures=" + dir
                    + " (expected testdata/models/" + name + " in the repository)");
        }
        return Path.of(dir, name);
    }

    /** Skips the calling test, saying why, where engine {@code id}'s module is not on this test class path. */
    static void assumeOnClassPath(String id) {
        assumeTrue(EngineRegistry.ids().contains(id), "engine " + id + " is not on the class path");
    }

    /** Engines that attend for some decode rows on the CPU under the tight budget: every static hybrid and APEX. */
    static boolean decodesOnCpu(String id) {
        return id.startsWith("static-hybrid") || id.equals("apex");
    }

    /**
     * Runtimes built to overlap CPU attention with GPU work: NEO's two-thread runtime, FastDecode (its symmetric halves
     * ping-pong: one half's GPU work runs while the host attends the other's) and APEX.
     */
    static boolean mustOverlap(String id, EngineOptions options) {
        return (id.equals("static-hybrid:neo") && !options.values().containsValue("single-thread"))
                || id.equals("static-hybrid:fastdecode") || id.equals("apex");
    }

    /** {@link RealEngineCheck#ENGINES} as (id, options) arguments of a parameterized test ({@link ForEveryRealEngine}). */
    static Stream<Arguments> engines() {
        return RealEngineCheck.ENGINES.stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    /**
     * {@code run} with every CPU attention job lasting at least 2 ms (sleeping), the system property restored
     * after. Tiny-model attention lasts microseconds, less than a scheduling quantum of a loaded machine, so
     * whether a runtime overlaps must be decided by its structure, not by the scheduler.
     */
    static <T> T withSlowHostAttention(Supplier<T> run) {
        String floor = System.getProperty(FLOOR_PROPERTY);
        System.setProperty(FLOOR_PROPERTY, "2000");
        try {
            return run.get();
        } finally {
            if (floor == null) System.clearProperty(FLOOR_PROPERTY); else System.setProperty(FLOOR_PROPERTY, floor);
        }
    }

    /**
     * CPU attention of (iteration, layer, sub-batch) starts after its PRE ends and ends before its POST starts,
     * within {@code slackSec} (device spans that reach the run clock through an anchor are that uncertain).
     */
    static void assertCpuAttentionBetweenPreAndPost(String id, List<SubtaskRecord> subtasks, double slackSec) {
        Map<String, SubtaskRecord> pre = new HashMap<>(), post = new HashMap<>();
        for (SubtaskRecord s : subtasks) {
            if (s.op() == Op.PRE) pre.put(layerKey(s), s);
            if (s.op() == Op.POST) post.put(layerKey(s), s);
        }
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            String key = layerKey(c);
            assertTrue(pre.get(key).endSec() <= c.startSec() + slackSec, id + ": CPU attention " + key + " started before its q/k/v existed");
            assertTrue(c.endSec() <= post.get(key).startSec() + slackSec, id + ": POST " + key + " started before its CPU attention ended");
        }
    }

    private static String layerKey(SubtaskRecord s) { return s.iteration() + "/" + s.layer() + "/" + s.stage(); }

    /**
     * Whether the device kept working while a CPU-attention job was outstanding: some GPU subtask of the iteration
     * starts once the PRE that published a layer's CPU rows has ended and before that layer's CPU attention ends. This
     * is the runtime's structure (the device does not wait right after publishing), whenever the OS happens to run the
     * host thread; a runtime that serialises (offload) never does it. How much real overlap follows is measured with
     * injected durations in RealExecutorAccountingTest.
     */
    static boolean deviceWorksWhileCpuJobsAreOutstanding(List<SubtaskRecord> subtasks) {
        Map<String, SubtaskRecord> pre = new HashMap<>();
        Map<Long, List<SubtaskRecord>> gpu = new HashMap<>();
        for (SubtaskRecord s : subtasks) {
            if (s.op() == Op.PRE) pre.put(layerKey(s), s);
            if (s.resource() == Resource.GPU) gpu.computeIfAbsent(s.iteration(), k -> new java.util.ArrayList<>()).add(s);
        }
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            double published = pre.get(layerKey(c)).endSec();
            for (SubtaskRecord g : gpu.getOrDefault(c.iteration(), List.of())) {
                if (g.startSec() >= published && g.startSec() < c.endSec()) return true;
            }
        }
        return false;
    }

    /** Whether some CPU_DECODE_ATTN interval strictly intersects some GPU subtask interval of its iteration. */
    static boolean cpuAttentionOverlapsGpuWork(List<SubtaskRecord> subtasks) {
        List<SubtaskRecord> gpu = subtasks.stream().filter(s -> s.resource() == Resource.GPU).toList();
        for (SubtaskRecord c : subtasks) {
            if (c.op() != Op.CPU_DECODE_ATTN) continue;
            for (SubtaskRecord g : gpu) {
                if (g.iteration() == c.iteration() && c.startSec() < g.endSec() && g.startSec() < c.endSec()) return true;
            }
        }
        return false;
    }
}
