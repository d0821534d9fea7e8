package org.apexbench.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;

/** A small hand-made run with overlapping GPU and CPU subtasks, for report tests. */
final class SyntheticRun {
    private SyntheticRun() {}

    static ReportedRun make(String label, double speed) {
        int iterations = 40, layers = 4;
        double iterSec = 0.05 / speed;
        List<IterationRecord> its = new ArrayList<>();
        List<SubtaskRecord> subs = new ArrayList<>();
        String[] strategies = {"GPU_ONLY", "ASYNC_OVERLAP", "ASYMMETRIC_PIPELINE"};
        for (int i = 0; i < iterations; i++) {
            double start = i * iterSec, layerSec = iterSec / layers;
            for (int l = 0; l < layers; l++) {
                double t = start + l * layerSec;
                subs.add(new SubtaskRecord(i, l, 0, Op.PRE, Op.PRE.resource(), 8, 0, 0, t, t + layerSec * 0.3, Double.NaN));
                subs.add(new SubtaskRecord(i, l, 0, Op.QKV_D2H, Op.QKV_D2H.resource(), 4, 0, 4096, t + layerSec * 0.3,
                        t + layerSec * 0.35, Double.NaN));
                subs.add(new SubtaskRecord(i, l, 0, Op.GPU_DECODE_ATTN, Op.GPU_DECODE_ATTN.resource(), 4, 4000, 0,
                        t + layerSec * 0.3, t + layerSec * 0.6, Double.NaN));
                subs.add(new SubtaskRecord(i, l, 1, Op.CPU_DECODE_ATTN, Op.CPU_DECODE_ATTN.resource(), 4, 6000, 0,
                        t + layerSec * 0.35, t + layerSec * 0.65, Double.NaN));
                subs.add(new SubtaskRecord(i, l, 0, Op.ATTN_OUT_H2D, Op.ATTN_OUT_H2D.resource(), 4, 0, 4096,
                        t + layerSec * 0.65, t + layerSec * 0.7, Double.NaN));
                subs.add(new SubtaskRecord(i, l, 0, Op.POST, Op.POST.resource(), 8, 0, 0, t + layerSec * 0.7,
                        t + layerSec, Double.NaN));
            }
            its.add(new IterationRecord(i, start, start + iterSec, strategies[i % 3], i < 3 ? 100 : 0, 4, 4,
                    i % 2 == 0 ? iterSec * 1.1 : Double.NaN, iterSec * 0.9, iterSec * 0.3, iterSec * 0.02, 32768,
                    32768, i == 10 ? 1 << 20 : 0, 0, 10 + i % 7, 20 + i % 5, 8, 2));
        }
        List<RequestRecord> reqs = new ArrayList<>();
        for (int r = 0; r < 12; r++) {
            int n = r == 3 ? 1 : 5 + r;
            double[] times = new double[n];
            double arrival = r * 0.01;
            for (int k = 0; k < n; k++) times[k] = arrival + (0.02 + 0.01 * r + k * 0.012) / speed;
            reqs.add(new RequestRecord("req-" + r, arrival, 50 + r, n, times, r % 4 == 0 ? 1 : 0, n / 2, null));
        }
        reqs.add(new RequestRecord("req-failed", 0.05, 70, 9, new double[] {0.1}, 0, 0, "impossible, for the test"));
        Slo slo = new Slo(200, 30, Double.NaN);
        var summary = Metrics.summarize(reqs, its, slo);
        return new ReportedRun(label, summary, new RunRecords(reqs, its, subs),
                Map.of("engine", label, "backend", "sim", "seed", 7, "hardware", "t4-g4dn.4xlarge"),
                new VllmSetup(label, "llama-2-7b", reqs.size(), 4.0, 1.0, null));
    }
}
