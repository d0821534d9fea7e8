package org.apexbench.engine.apex;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.WorkloadContext;
import org.apexbench.workloads.WorkloadSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Not a test: the tuning table behind docs/decisions.md's admission-rule comparison (throughput and TPOT
 * of every engine in the long-output T4 and A10G settings and NEO's own T4 setting, sim, seed 1; the
 * same settings through `./apex compare` are in docs/results.md). Skipped unless
 * {@code -Dapex.tuning=N} (N requests for the long-output settings) is given, e.g.
 * {@code mvn -o -q -pl engines/apex -am test -Dtest=ApexTuningReport -Dsurefire.failIfNoSpecifiedTests=false -Dapex.tuning=500}.
 * Optional {@code -Dapex.tuning.engines=apex,...} and {@code -Dapex.tuning.settings=t4,a10g,neo}.
 */
class ApexTuningReport {
    record Setting(String name, HardwareSpec hw, ModelGeometry model, EngineBudgets budgets, String workload) {}

    record Entry(String label, String id, EngineOptions options) {}

    static final List<Entry> ENGINES = List.of(
            new Entry("gpu-only", "gpu-only", EngineOptions.NONE),
            new Entry("neo", "static-hybrid:neo", EngineOptions.NONE),
            new Entry("neo-2t", "static-hybrid:neo", EngineOptions.of("runtime", "two-thread")),
            new Entry("fastdecode", "static-hybrid:fastdecode", EngineOptions.NONE),
            new Entry("offload", "static-hybrid:offload", EngineOptions.NONE),
            new Entry("apex", "apex", EngineOptions.NONE));

    @Test
    void table() {
        String n = System.getProperty("apex.tuning");
        Assumptions.assumeTrue(n != null, "tuning table only with -Dapex.tuning=N (a measurement, not a test)");
        int count = Integer.parseInt(n);
        String only = System.getProperty("apex.tuning.engines", "");
        String settings = System.getProperty("apex.tuning.settings", "t4,a10g,neo");
        HardwareSpec t4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge"), a10 = HardwareSpecs.builtIn("a10g-g5.8xlarge");
        ModelGeometry l2 = org.apexbench.model.ModelPresets.geometry("llama-2-7b"), l3 = org.apexbench.model.ModelPresets.geometry("llama-3.1-8b");
        EngineBudgets t4b = SimSetup.budgets(l2, t4, 0, SimSetup.DEFAULT_RESERVE_FRACTION, -1, 256, 2048);
        EngineBudgets neoB = new EngineBudgets(256, 2048, 54, t4b.hostKvBlocks(), t4b.blockSize());
        List<Setting> all = List.of(
                new Setting("t4", t4, l2, t4b, "long-output:count=" + count + ",seed=1"),
                new Setting("a10g", a10, l3, SimSetup.budgets(l3, a10, 0, SimSetup.DEFAULT_RESERVE_FRACTION, -1, 256, 2048),
                        "long-output:count=" + count + ",seed=1"),
                new Setting("neo", t4, l2, neoB, "synthetic:count=1000,input=373,output=45,seed=1"));
        for (Setting s : all) {
            if (!Arrays.asList(settings.split(",")).contains(s.name())) continue;
            List<RequestSpec> reqs = WorkloadSpec.parse(s.workload())
                    .generate(new WorkloadContext(s.model().vocab(), s.model().maxContext(), null)).requests();
            System.out.printf(Locale.ROOT, "== %s: %s + %s, %s, gpu blocks %d, host blocks %d%n", s.name(), s.hw().id(),
                    s.model().name(), s.workload(), s.budgets().gpuKvBlocks(), s.budgets().hostKvBlocks());
            for (Entry e : ENGINES) {
                if (!only.isEmpty() && !Arrays.asList(only.split(",")).contains(e.label())) continue;
                EngineOptions o = e.options();
                String extra = System.getProperty("apex.tuning.apexOptions", "");
                if (e.id().equals("apex") && !extra.isEmpty()) {
                    Map<String, String> m = new TreeMap<>();
                    for (String kv : extra.split(",")) m.put(kv.split("=")[0], kv.split("=")[1]);
                    o = new EngineOptions(m);
                }
                long t0 = System.nanoTime();
                RunResult r = SimRun.simulate(EngineRegistry.create(e.id(), o), s.model(), s.hw(), s.budgets(), reqs, 1, 0,
                        RecordOptions.DEFAULT, null);
                double wall = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "%-10s %8.1f tok/s  TPOT p50 %7.1f ms p99 %7.1f ms  %s  (%.1f s wall)%n", e.label(),
                        r.outputThroughput(), 1e3 * tpot(r, 0.5), 1e3 * tpot(r, 0.99), mix(r), wall);
            }
        }
    }

    static double tpot(RunResult r, double q) {
        double[] v = r.requests().stream().filter(x -> x.outputTokens() > 1).mapToDouble(ApexTuningReport::tpot).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v[Math.min(v.length - 1, (int) Math.floor(q * v.length))];
    }

    static double tpot(RequestRecord x) {
        double[] t = x.tokenTimesSec();
        return (t[t.length - 1] - t[0]) / (t.length - 1);
    }

    /** Strategy shares, mean CPU rows per iteration, GPU stall and CPU idle shares. */
    static String mix(RunResult r) {
        Map<String, Integer> m = new TreeMap<>();
        double cpuRows = 0, stall = 0, dur = 0, cpuBusy = 0, running = 0, prefill = 0, gpuRows = 0, ape = 0;
        int pn = 0;
        for (IterationRecord i : r.iterations()) {
            m.merge(i.strategy(), 1, Integer::sum);
            cpuRows += i.cpuDecodes();
            stall += i.gpuStallSec();
            dur += i.durationSec();
            cpuBusy += i.cpuBusySec();
            running += i.running();
            prefill += i.prefillTokens();
            gpuRows += i.gpuDecodes();
            if (Double.isFinite(i.predictedSec())) { ape += Math.abs(i.predictedSec() - i.durationSec()) / i.durationSec(); pn++; }
        }
        int its = r.iterations().size();
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(k, 0, Math.min(5, k.length())).append('=').append(v * 100 / Math.max(1, its)).append("% "));
        int d = Math.max(1, its);
        return String.format(Locale.ROOT, "its %d [%s] rows/it gpu %.1f cpu %.1f prefill %.0f running %.0f it %.0f ms stall %.0f%% cpuBusy %.0f%% MAPE %.1f%%",
                its, sb.toString().trim(), gpuRows / d, cpuRows / d, prefill / d, running / d, 1e3 * dur / d,
                100 * stall / Math.max(1e-12, dur), 100 * cpuBusy / Math.max(1e-12, dur), 100 * ape / Math.max(1, pn));
    }
}
