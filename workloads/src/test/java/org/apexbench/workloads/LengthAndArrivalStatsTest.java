package org.apexbench.workloads;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sample statistics of each documented mix and arrival process, with fixed seeds. */
class LengthAndArrivalStatsTest {
    private static final WorkloadContext BIG = new WorkloadContext(32000, 131072, null);
    private static final int N = 20_000;

    private static double[] inputs(List<RequestSpec> l) { return l.stream().mapToDouble(RequestSpec::promptLength).toArray(); }

    private static double[] outputs(List<RequestSpec> l) { return l.stream().mapToDouble(RequestSpec::outputTokens).toArray(); }

    private static double mean(double[] v) { return Arrays.stream(v).average().orElseThrow(); }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static List<RequestSpec> gen(String spec, WorkloadContext ctx) { return WorkloadSpec.parse(spec).generate(ctx).requests(); }

    @Test
    void sharegptMeansAre161And338() {
        List<RequestSpec> l = gen("sharegpt:count=" + N + ",seed=1", BIG);
        assertEquals(161, mean(inputs(l)), 161 * 0.05);
        assertEquals(338, mean(outputs(l)), 338 * 0.05);
    }

    @Test
    void longOutputIsUniformInItsRanges() {
        List<RequestSpec> l = gen("long-output:count=" + N + ",seed=2", BIG);
        double[] in = inputs(l);
        double[] out = outputs(l);
        assertEquals(1000, mean(in), 5);
        assertEquals(1536, mean(out), 10);
        assertEquals(900, Arrays.stream(in).min().orElseThrow());
        assertEquals(1100, Arrays.stream(in).max().orElseThrow());
        assertEquals(1024, Arrays.stream(out).min().orElseThrow());
        assertEquals(2048, Arrays.stream(out).max().orElseThrow());
    }

    @Test
    void cotHasShortPromptsAndLongCappedOutputs() {
        List<RequestSpec> l = gen("cot:count=" + N + ",seed=3", BIG);
        assertEquals(150, median(inputs(l)), 6);
        assertEquals(1500, median(outputs(l)), 45);
        assertEquals(4096, Arrays.stream(outputs(l)).max().orElseThrow());   // the cap binds in the tail
        // on a 4K-context model the cap is the context minus the prompt
        for (RequestSpec r : gen("cot:count=2000,seed=3", new WorkloadContext(32000, 4096, null))) {
            assertTrue(r.promptLength() + r.outputTokens() <= 4096);
        }
    }

    @Test
    void mixedFollowsItsWeights() {
        List<RequestSpec> l = gen("mixed:sharegpt=0.5,long-output=0.5;count=" + N + ",seed=4", BIG);
        // long-output prompts are >= 900; sharegpt prompts that long are rare (~0.5%)
        double longShare = l.stream().filter(r -> r.outputTokens() >= 1024 && r.promptLength() >= 900
                && r.promptLength() <= 1100).count() / (double) N;
        assertEquals(0.5, longShare, 0.02);
        assertEquals(0.5 * 161 + 0.5 * 1000, mean(inputs(l)), 20);
    }

    @Test
    void chatResamplesTheConversationTrace() {
        WorkloadContext ctx = new WorkloadContext(32000, 131072, null);
        List<RequestSpec> l = gen("chat:count=" + N + ",seed=5", ctx);
        // splitwise_conv.csv: prompt mean 1155, output mean 211 (the traces README beside the packaged traces)
        assertEquals(1155, mean(inputs(l)), 1155 * 0.04);
        assertEquals(211, mean(outputs(l)), 211 * 0.04);
    }

    @Test
    void poissonGapsHaveMeanOneOverRate() {
        double[] t = new ArrivalProcess.Poisson(4).times(N, new SplittableRandom(6));
        assertEquals(N / 4.0, t[N - 1], N / 4.0 * 0.03);
        assertEquals(1.0, cv(t), 0.03);
    }

    @Test
    void gammaGapsHaveTheAskedBurstiness() {
        for (double cv : new double[] {0.5, 2, 4}) {
            double[] t = new ArrivalProcess.Gamma(10, cv).times(4 * N, new SplittableRandom(7));
            assertEquals(4 * N / 10.0, t[t.length - 1], 4 * N / 10.0 * 0.05 * cv, "cv " + cv);
            assertEquals(cv, cv(t), 0.06 * cv, "cv " + cv);
        }
    }

    @Test
    void spanNormalisationPutsTheLastArrivalAtCountOverRate() {
        Workload w = WorkloadSpec.parse("sharegpt:count=500,rate=5,cv=3,normalize=true,seed=8").generate(BIG);
        assertEquals(100.0, w.requests().get(499).arrivalSec(), 1e-9);
        assertTrue(w.description().contains("span-normalised"), w.description());
        Workload free = WorkloadSpec.parse("sharegpt:count=500,rate=5,cv=3,seed=8").generate(BIG);
        double ratio = w.requests().get(200).arrivalSec() / free.requests().get(200).arrivalSec();
        assertEquals(100.0 / free.requests().get(499).arrivalSec(), ratio, 1e-9);   // same draws, rescaled
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSpec.parse("sharegpt:count=5,normalize=true"));
        assertTrue(e.getMessage().contains("Poisson or Gamma"), e.getMessage());
    }

    @Test
    void uniformAllAtOnceAndClosedLoop() {
        assertEquals(0.75, new ArrivalProcess.Uniform(4).times(5, new SplittableRandom(1))[3]);
        assertEquals(0, Arrays.stream(new ArrivalProcess.AllAtOnce().times(5, new SplittableRandom(1))).sum());
        Workload w = WorkloadSpec.parse("sharegpt:count=10,concurrency=4").generate(BIG);
        assertTrue(w.closedLoop());
        assertEquals(4, w.closedLoopConcurrency());
        assertTrue(w.requests().stream().allMatch(r -> r.arrivalSec() == 0));
        assertEquals(0, WorkloadSpec.parse("sharegpt:count=10,rate=1").generate(BIG).closedLoopConcurrency());
    }

    private static double cv(double[] times) {
        double[] gaps = new double[times.length];
        for (int i = 0; i < times.length; i++) {
            gaps[i] = times[i] - (i == 0 ? 0 : times[i - 1]);
        }
        double m = mean(gaps);
        double var = Arrays.stream(gaps).map(g -> (g - m) * (g - m)).sum() / gaps.length;
        return Math.sqrt(var) / m;
    }
}
