package org.apexbench.engine.apex;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.engine.Strategy;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the APEX scheduler decides in constructed states, on constructed tables. */
class ApexSchedulerTest {
    // 16 KiB of KV per token and layer, 24 KiB of q/k/v and 8 KiB of attention output per row (fp16, 32 x 128 heads)
    static final ModelGeometry GEO = new ModelGeometry("m", 32, 4096, 11008, 32, 32, 128, 32000, 8192, false, 2, 2);
    static final EngineBudgets B = new EngineBudgets(512, 2048, 200, 20000, 16);

    static RequestSpec spec(String id, int prompt, int out) { return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY); }

    @Test
    void linearBoundSmallGpuPipelinesHostRequests() {
        Predictor p = DispatchTest.tables(1.7, 10, 8);
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, B, p);
        for (int i = 0; i < 3; i++) s.addDecoding(spec("g" + i, 900, 500), Location.GPU, 100, 9);
        for (int i = 0; i < 40; i++) s.addDecoding(spec("h" + i, 900, 500), Location.HOST, 100, 9);
        IterationPlan plan = new ApexScheduler(ApexOptions.DEFAULT).plan(s.context(10, 1.0));
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, plan.strategy());
        assertEquals(3, plan.gpuDecodes().size());
        assertTrue(plan.cpuDecodes().size() > 10);
        assertTrue(plan.cpuDecodesInFirstSubBatch() > 0 && plan.cpuDecodesInFirstSubBatch() < plan.cpuDecodes().size());
        assertTrue(plan.predictedSec() > 0);
    }

    @Test
    void starvedHostRequestIsServedEvenWhenGpuOnlyIsFaster() {
        Predictor p = DispatchTest.tables(1.0, 10, 1000);
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, B, p);
        for (int i = 0; i < 10; i++) s.addDecoding(spec("g" + i, 90, 500), Location.GPU, 10, 99);
        RequestState starved = s.addDecoding(spec("h", 3000, 500), Location.HOST, 10, 0);
        ApexScheduler apex = new ApexScheduler(ApexOptions.DEFAULT);
        IterationPlan early = apex.plan(s.context(20, 1.0));
        assertEquals(Strategy.GPU_ONLY, early.strategy(), "a 1000x slower CPU is not worth using");
        IterationPlan late = apex.plan(s.context(100, 5.0));
        assertFalse(late.strategy() == Strategy.GPU_ONLY);
        assertTrue(late.cpuDecodes().contains(starved));
    }

    @Test
    void hostAdmissionOnlyWhenPredictedToPay() {
        // GPU pool full of decodes; one request waits
        for (double speed : new double[]{8, 1000}) {
            Predictor p = DispatchTest.tables(1.7, 10, speed);
            SchedulerSnapshot s = new SchedulerSnapshot(GEO, B, p);
            for (int i = 0; i < 3; i++) s.addDecoding(spec("g" + i, 1000, 500), Location.GPU, 40, 9);
            RequestState w = s.addWaiting(spec("w", 900, 100));
            IterationPlan plan = new ApexScheduler(ApexOptions.DEFAULT).plan(s.context(10, 1.0));
            boolean admitted = plan.prefills().stream().anyMatch(c -> c.request() == w && c.pool() == Location.HOST);
            assertEquals(speed == 8, admitted, "CPU " + speed + "x slower than the GPU");
        }
    }

    @Test
    void amortizedAdmissionWeighsThePrefillAgainstTheTokensThatFollow() {
        // now: 20 rows in 160 ms (8 ms a row). The prefill iteration takes 140 ms more for 1 token.
        // 44 later tokens at 4.9 ms: (140 + 216) / 45 = 7.9 ms a token: pays; at 5.1 ms (8.1 ms a token) it does not.
        assertTrue(HostAdmission.admissionPays(44, 0.160, 20, 0.300, 21, 0.0049));
        assertFalse(HostAdmission.admissionPays(44, 0.160, 20, 0.300, 21, 0.0051));
        // a request that ends with its prefill token never repays a 140 ms prefill...
        assertFalse(HostAdmission.admissionPays(0, 0.160, 20, 0.300, 21, 0));
        // ...unless the longer GPU windows let the dispatch hide 20 more host rows in the same iteration
        assertTrue(HostAdmission.admissionPays(0, 0.160, 20, 0.300, 41, 0));
        assertTrue(HostAdmission.admissionPays(10, 0.1, 0, 1, 0, 1), "nothing runs now: anything pays");
    }
}
