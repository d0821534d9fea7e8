package org.apexbench.harness;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.metrics.VllmRequest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Not a test: APEX's per-iteration decisions ({@link ApexTrace}) on one replayed draw, as {@code apex compare} runs it
 * (the capacity probe's options: sim, max-running 512, max-tokens 2048, the SLOs given). Skipped without
 * {@code -Dapex.trace=HW:MODEL:TPOT_MS:TTFT_MS:SEED:REQUESTS_FILE:OUT_CSV}; prints the run's p99 TPOT to check it
 * reproduces the compare run.
 */
class ApexTraceTool {
    @Test
    void trace() throws Exception {
        String spec = System.getProperty("apex.trace");
        Assumptions.assumeTrue(spec != null, "trace only with -Dapex.trace=... (a diagnosis, not a test)");
        String[] a = spec.split(":");
        RunOptions o = CapacityMatrix.options(a[0], a[1], a[5], Long.parseLong(a[4]));
        o.sloTpotMs = Double.parseDouble(a[2]);
        o.sloTtftMs = Double.parseDouble(a[3]);
        EngineRunner.Setup s = EngineRunner.prepare(o, null);
        Engine apex = EngineRuns.create("apex", EngineOptions.NONE, s.slo());
        RunResult r;
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(a[6])))) {
            r = EngineRuns.simulate(ApexTrace.traced(apex, o.sloTpotMs / 1e3, out), s.sim(), RecordOptions.DEFAULT, null);
        }
        // vLLM's per-request TPOT, as the capacity probe's p99 reads it
        double[] tpot = r.requests().stream().map(VllmRequest::of).filter(v -> v.outputLen() > 1).mapToDouble(VllmRequest::tpot)
                .sorted().toArray();
        System.out.println(String.format(Locale.ROOT, "requests %d, max TPOT %.2f ms, over %.0f ms: %d", tpot.length,
                1e3 * tpot[tpot.length - 1], o.sloTpotMs, Arrays.stream(tpot).filter(t -> t * 1e3 > o.sloTpotMs).count()));
    }
}
