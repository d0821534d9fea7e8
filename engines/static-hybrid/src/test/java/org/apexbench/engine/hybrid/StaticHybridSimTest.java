package org.apexbench.engine.hybrid;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.HostLoopCost;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StaticHybridSimTest {
    static final HardwareSpec T4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
    static final ModelGeometry MODEL = org.apexbench.model.ModelPresets.geometry("llama-2-7b");
    /** 60 GPU blocks (960 tokens): a handful of requests fit, the rest must go to the host. */
    static final EngineBudgets TIGHT = new EngineBudgets(128, 1024, 60, 3000, 16);

    static List<RequestSpec> requests(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RequestSpec> out = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < n; i++) {
            out.add(new RequestSpec("q" + i, t, new int[100 + rnd.nextInt(300)], 20 + rnd.nextInt(120), SamplingParams.GREEDY));
            t += rnd.nextDouble() * 0.05;
        }
        return out;
    }

    static RunResult run(String id, EngineOptions o, List<RequestSpec> reqs, long seed, double jitter) {
        Engine e = EngineRegistry.create(id, o);
        return SimRun.simulate(e, MODEL, T4, TIGHT, reqs, seed, jitter, RecordOptions.ALL, null);
    }

    @Test
    void everyPolicyServesEveryRequestWithValidSchedules() {
        List<RequestSpec> reqs = requests(40, 5);
        for (String id : List.of("static-hybrid:neo", "static-hybrid:fastdecode", "static-hybrid:offload")) {
            RunResult r = run(id, EngineOptions.NONE, reqs, 3, 0.05);
            assertEquals(List.of(), RunChecks.requests(reqs, r), id);
            assertEquals(List.of(), RunChecks.exclusiveResources(r.subtasks()), id);
            assertEquals(List.of(), RunChecks.dependencies(r.subtasks()), id);
            int cpu = r.iterations().stream().mapToInt(IterationRecord::cpuDecodes).sum();
            assertTrue(cpu > 0, id + " must decode on the CPU under a 60-block GPU pool");
        }
    }

    /**
     * NEO's serving loop: every iteration starts later by the loop's price of its plan (fixed part, the pipelined part
     * for two sub-batches, per GPU and CPU decode, per prefill), in both runtimes; the plans do not change when every
     * request arrives at t = 0 (NEO's scheduler does not predict the loop's time).
     */
    @Test
    void neosServingLoopDelaysEveryIterationByItsPlansPrice() {
        List<RequestSpec> reqs = new ArrayList<>();
        for (RequestSpec q : requests(30, 7)) reqs.add(new RequestSpec(q.id(), 0, q.promptTokens(), q.outputTokens(), q.sampling()));
        HostLoopCost loop = HostLoopCost.SWIFTLLM;
        for (String runtime : List.of("single-thread", "two-thread")) {
            RunResult with = run("static-hybrid:neo", EngineOptions.of("runtime", runtime), reqs, 3, 0);
            RunResult without = run("static-hybrid:neo", EngineOptions.of("runtime", runtime, "hostLoop", "false"), reqs, 3, 0);
            assertEquals(without.iterations().size(), with.iterations().size(), runtime);
            int pipelined = 0;
            for (int i = 0; i < with.iterations().size(); i++) {
                IterationRecord a = with.iterations().get(i), b = without.iterations().get(i);
                assertEquals(b.strategy() + b.gpuDecodes() + "/" + b.cpuDecodes(), a.strategy() + a.gpuDecodes() + "/" + a.cpuDecodes());
                boolean two = Strategy.valueOf(a.strategy()).pipelined();
                if (two) pipelined++;
                double extra = a.durationSec() - b.durationSec() - loop.perIterationSec() - (two ? loop.pipelinedSec() : 0)
                        - loop.perGpuDecodeSec() * a.gpuDecodes() - loop.perCpuDecodeSec() * a.cpuDecodes();
                double prefills = extra / loop.perPrefillSec();
                assertEquals(Math.rint(prefills), prefills, 1e-6, runtime + " iteration " + i + ": a whole number of prefills");
                long k = Math.round(prefills);
                assertTrue(k >= 0 && (k > 0) == (a.prefillTokens() > 0), runtime + " iteration " + i + ": " + prefills);
            }
            assertTrue(pipelined > 0, runtime + ": the run pipelines");
        }
    }

    @Test
    void neoAndFastDecodeOverlapCpuAttentionWithGpuWorkAndOffloadDoesNot() {
        List<RequestSpec> reqs = requests(40, 9);
        for (String runtime : List.of("single-thread", "two-thread")) {
            RunResult neo = run("static-hybrid:neo", EngineOptions.of("runtime", runtime), reqs, 1, 0);
            assertTrue(neo.iterations().stream().anyMatch(i -> i.strategy().equals("ASYMMETRIC_PIPELINE")), runtime);
            assertTrue(RunChecks.cpuGpuOverlapSec(neo.subtasks()) > 0, runtime);
            boolean launches = neo.subtasks().stream().anyMatch(s -> s.op() == Op.LAUNCH);
            assertEquals(runtime.equals("single-thread"), launches, "launch subtasks only in NEO's single-thread runtime");
        }
        RunResult fd = run("static-hybrid:fastdecode", EngineOptions.NONE, reqs, 1, 0);
        assertTrue(fd.iterations().stream().anyMatch(i -> i.strategy().equals("SYMMETRIC_PIPELINE")));
        double fdCpu = fd.subtasks().stream().filter(s -> s.op() == Op.CPU_DECODE_ATTN).mapToDouble(SubtaskRecord::durationSec).sum();
        // the other half's post and pre run during each half's CPU attention: a good part of it is hidden
        assertTrue(RunChecks.cpuGpuOverlapSec(fd.subtasks()) > 0.2 * fdCpu, "FastDecode hides CPU attention behind the other half's GPU work");
        RunResult off = run("static-hybrid:offload", EngineOptions.NONE, reqs, 1, 0);
        double cpuBusy = off.subtasks().stream().filter(s -> s.op() == Op.CPU_DECODE_ATTN).mapToDouble(SubtaskRecord::durationSec).sum();
        assertTrue(cpuBusy > 0);
        assertEquals(0, RunChecks.cpuGpuOverlapSec(off.subtasks()), 1e-12);
    }

    @Test
    void sameSeedSameBytes() {
        List<RequestSpec> reqs = requests(25, 2);
        RunResult a = run("static-hybrid:neo", EngineOptions.NONE, reqs, 4, 0.1);
        RunResult b = run("static-hybrid:neo", EngineOptions.NONE, reqs, 4, 0.1);
        assertEquals(a.requests(), b.requests());
        assertEquals(a.iterations().toString(), b.iterations().toString());
        assertEquals(a.subtasks().toString(), b.subtasks().toString());
    }
}
