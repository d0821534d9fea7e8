package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.apexbench.engine.EngineOptions;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;

/**
 * {@link RealEnginesTest} on the cuda backend, through {@link RealEngineCheck} (which explains the fp16
 * near-tie rule and its teacher forcing, so every position is compared): every engine on tiny-llama3 under a GPU
 * KV budget just above one request's need (host offload through pinned memory, swaps on the copy streams,
 * preemption) gives the tokens of an unconstrained cuda run, and awaits every swap fence it must; records carry
 * GPU-event times that respect each layer's dependencies, and NEO / APEX overlap CPU attention with GPU work.
 * Skipped visibly where no CUDA GPU is usable.
 */
class CudaRealEnginesTest {
    /** GPU times reach the run clock through an anchor event; allow this much skew against wall-clock records. */
    private static final double CLOCK_SLACK_SEC = 200e-6;
    private static RealEngineCheck check;
    /** Why the check cannot run here; each test case reports it as its skip reason (visible per case). */
    private static String skipReason;

    @BeforeAll
    static void reference() {
        String why = CudaProbe.unavailableReason();
        Path fixture = RealEngineRuns.tinyLlama3();
        if (why != null) {
            skipReason = "GPU test skipped: " + why;
        } else {
            check = new RealEngineCheck("cuda", fixture);
        }
    }

    @AfterAll
    static void close() {
        if (check != null) check.close();
    }

    @ForEveryRealEngine
    void tightBudgetGivesTheUnconstrainedTokens(String id, EngineOptions options) {
        assumeTrue(check != null, () -> skipReason);
        RealEngineRuns.assumeOnClassPath(id);
        // as on cpu: overlap is decided by the runtime's structure, not by how short tiny-model attention is
        RealEngineCheck.Outcome o = RealEngineRuns.withSlowHostAttention(() -> check.check(id, options));
        System.out.println(o);
        assertNull(o.failure(), o.toString());
        // teacher-forced: every position of every request was compared, whatever diverged at a near-tie before it
        assertEquals(check.requests().stream().mapToInt(r -> r.outputTokens()).sum(), o.positions(), o.toString());
        var result = o.run().result();
        // the host thread awaited the swap fence before every CPU job of an iteration that swapped
        assertEquals(RealEngineCheck.cpuJobsInSwapIterations(result.subtasks()), o.fencesAwaited(), o.toString());
        assertEquals(o.fencesExpected(), o.fencesAwaited(), o.toString());
        assertEquals("cuda", result.executor());
        int cpuDecodes = result.requests().stream().mapToInt(RequestRecord::cpuDecodeSteps).sum();
        if (RealEngineRuns.decodesOnCpu(id)) assertTrue(cpuDecodes > 0, id + ": CPU decodes happened");
        List<SubtaskRecord> subtasks = result.subtasks();
        for (SubtaskRecord s : subtasks) assertTrue(s.startSec() <= s.endSec(), id + ": a record ends before it starts: " + s);
        // as on cpu, with GPU-event times on the run clock
        RealEngineRuns.assertCpuAttentionBetweenPreAndPost(id, subtasks, CLOCK_SLACK_SEC);
        if (RealEngineRuns.mustOverlap(id, options)) assertTrue(RealEngineRuns.cpuAttentionOverlapsGpuWork(subtasks), id + ": CPU attention overlaps GPU work");
    }
}
