package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.apexbench.engine.hybrid.StaticHybridSimTest.MODEL;
import static org.apexbench.engine.hybrid.StaticHybridSimTest.T4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Admission when a request's context outgrows the GPU pool (the staging limit of NEO's CPU prefills). */
class NeoAdmissionTest {
    static final List<String> POLICIES = List.of("static-hybrid:neo", "static-hybrid:fastdecode", "static-hybrid:offload");

    static RunResult run(String id, EngineBudgets b, List<RequestSpec> reqs) {
        return SimRun.simulate(EngineRegistry.create(id, EngineOptions.NONE), MODEL, T4, b, reqs, 1, 0, RecordOptions.ALL, null);
    }

    /**
     * Long outputs under a small host pool: host requests get preempted by recompute once their context is
     * longer than the whole GPU pool, so their re-prefill cannot be staged in one piece.
     */
    @Test
    void recomputedContextsLargerThanTheGpuPoolAreReadmitted() {
        EngineBudgets b = new EngineBudgets(64, 1024, 40, 400, 16);
        List<RequestSpec> reqs = new ArrayList<>();
        for (int i = 0; i < 12; i++) reqs.add(new RequestSpec("long" + i, i * 0.01, new int[100 + 20 * i], 1200 + 50 * i, SamplingParams.GREEDY));
        for (String id : POLICIES) {
            RunResult r = run(id, b, reqs);
            assertEquals(List.of(), RunChecks.requests(reqs, r), id);
            assertEquals(List.of(), RunChecks.exclusiveResources(r.subtasks()), id);
            assertEquals(List.of(), RunChecks.dependencies(r.subtasks()), id);
            assertTrue(r.requests().stream().anyMatch(q -> q.preemptions() > 0), id + " must preempt under a 400-block host pool");
        }
    }

    /**
     * A prompt within the token budget but larger than the whole GPU pool goes to the host in staging-sized chunks:
     * the 1000-token prompt does not fit the 40-block (640-token) staging area, so it is prefilled into the host pool
     * as one full staging area (640 tokens), alone, and then the remaining 360, in consecutive iterations, each chunk's
     * K/V streamed to the host layer by layer. Read from the records: host-bound prefill tokens per iteration are the
     * layer-0 KV stream's bytes over the K/V bytes of one token and layer.
     */
    @Test
    void promptLargerThanTheGpuPoolIsPrefilledInStagingSizedChunks() {
        EngineBudgets b = new EngineBudgets(64, 1024, 40, 400, 16);
        List<RequestSpec> reqs = List.of(new RequestSpec("big", 0, new int[1000], 30, SamplingParams.GREEDY),
                new RequestSpec("small", 0.001, new int[50], 30, SamplingParams.GREEDY));
        long kvPerTokenLayer = MODEL.kvBytesPerTokenPerLayer();
        for (String id : POLICIES) {
            RunResult r = run(id, b, reqs);
            assertEquals(List.of(), RunChecks.requests(reqs, r), id);
            assertEquals(List.of(), RunChecks.dependencies(r.subtasks()), id);
            java.util.TreeMap<Long, Long> hostPrefill = new java.util.TreeMap<>();
            for (var s : r.subtasks()) {
                if (s.op() == org.apexbench.profiler.Op.SWAP_OUT && s.layer() == 0) hostPrefill.merge(s.iteration(), s.bytes() / kvPerTokenLayer, Long::sum);
            }
            List<Long> chunks = List.copyOf(hostPrefill.values());
            List<Long> iterations = List.copyOf(hostPrefill.keySet());
            // a full staging area of big's prompt, alone (nothing else prefills in that iteration) ...
            assertEquals(640, chunks.get(0), id + ": host prefill chunks " + chunks);
            assertEquals(640, r.iterations().get((int) (long) iterations.get(0)).prefillTokens(), id + ": big's first chunk runs alone");
            // ... then its remaining 360 in the next iteration (where FastDecode, which attends every decode on the CPU,
            // also prefills small's 50 tokens into the host pool), never more than the staging area at once
            assertEquals(iterations.get(0) + 1, iterations.get(1), id + ": the second chunk follows the first");
            assertEquals(id.equals("static-hybrid:fastdecode") ? 410 : 360, chunks.get(1), id + ": host prefill chunks " + chunks);
            for (long c : chunks) assertTrue(c <= 640, id + ": no host prefill larger than the staging area: " + chunks);
        }
    }

    @Test
    void emptyGpuPoolRejectsEveryRequestBecauseNothingCanBeStaged() {
        EngineBudgets b = new EngineBudgets(64, 1024, 0, 400, 16);
        List<RequestSpec> reqs = List.of(new RequestSpec("q0", 0, new int[50], 30, SamplingParams.GREEDY),
                new RequestSpec("q1", 0.5, new int[20], 10, SamplingParams.GREEDY));
        for (String id : POLICIES) {
            RunResult r = run(id, b, reqs);
            assertEquals(2, r.requests().size(), id);
            for (RequestRecord q : r.requests()) {
                assertEquals(RequestRecord.REJECTED + NeoScheduler.NO_STAGING, q.failureReason(), id + " " + q.id());
            }
            assertEquals(0, r.outputTokens(), id);
        }
    }

    /**
     * A request whose KV can never fit the GPU pool but fits the host pool (gpu-only rejects it on its own,
     * GpuOnlySimTest): every hybrid serves it from the host. One whose KV fits neither pool, or whose prompt exceeds a
     * whole-prompt engine's iteration budget, is rejected by the hybrids too, saying which limit; the rest still run.
     */
    @Test
    void requestsBeyondTheGpuPoolAreServedFromTheHostAndOnlyNeverServableOnesRejected() {
        EngineBudgets b = new EngineBudgets(64, 1024, 40, 200, 16);
        List<RequestSpec> reqs = List.of(new RequestSpec("small", 0, new int[50], 30, SamplingParams.GREEDY),
                new RequestSpec("long", 0.1, new int[600], 300, SamplingParams.GREEDY),   // 57 blocks > 40 GPU, < 160 host
                new RequestSpec("vast", 0.2, new int[700], 3000, SamplingParams.GREEDY),  // 232 blocks: fits neither pool
                new RequestSpec("small2", 0.3, new int[40], 20, SamplingParams.GREEDY));
        for (String id : POLICIES) {
            RunResult r = run(id, b, reqs);
            List<String> rejected = r.requests().stream().filter(RequestRecord::rejected).map(RequestRecord::id).toList();
            assertEquals(List.of("vast"), rejected, id);
            assertTrue(r.requests().get(1).succeeded(), id + ": the long request is served from the host");
            assertTrue(r.requests().get(0).succeeded() && r.requests().get(3).succeeded(), id);
            String why = r.requests().get(2).failureReason();
            assertTrue(why.startsWith(RequestRecord.REJECTED) && why.contains("needs 232"), id + ": " + why);
        }
        // a prompt longer than the iteration budget: NEO and FastDecode prefill whole prompts
        RunResult neo = run("static-hybrid:neo", new EngineBudgets(64, 256, 40, 400, 16), reqs.subList(0, 2));
        assertTrue(neo.requests().get(1).failureReason().contains("prompt longer than the 256-token iteration budget"),
                neo.requests().get(1).failureReason());
        assertTrue(neo.requests().get(0).succeeded());
    }
}
