package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegressCommandTest {
    @TempDir Path tmp;

    private Path summary(String dir, double throughput, double p99Tpot, Integer completed) throws Exception {
        Map<String, Object> m = new TreeMap<>();
        for (String k : Regression.DEFAULT_TOLERANCES.keySet()) if (!k.endsWith("*")) m.put(k, Regression.isFraction(k) ? 0.1 : 10.0);
        m.put("completed", completed);
        m.put("failed", 0);
        m.put("total_output_tokens", 1000);
        m.put("output_throughput", throughput);
        m.put("p99_tpot_ms", p99Tpot);
        Path d = tmp.resolve(dir);
        Files.createDirectories(d);
        JsonFiles.write(d.resolve("summary.json"), m);
        return d;
    }

    @Test
    void withinTolerancePasses() throws Exception {
        Path base = summary("base", 100.0, 50.0, 20);
        Path run = summary("run", 101.5, 50.5, 20);
        Cli r = Cli.run("regress", "--baseline", base.resolve("summary.json").toString(), "--run", run.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("regress: OK"), r.out());
    }

    @Test
    void movedMetricFailsWithReadableDiff() throws Exception {
        Path base = summary("base", 100.0, 50.0, 20);
        Path run = summary("run", 90.0, 50.0, 19);
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("output_throughput") && r.out().contains("-10.00%") && r.out().contains("MOVED"), r.out());
        assertTrue(r.out().contains("FAILED, 2 of"), r.out());
        // A looser tolerance accepts the throughput drop, but completed must still match.
        r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString(),
                "--tolerance", "output_throughput=15,completed=10");
        assertEquals(0, r.code(), r.out());
    }

    @Test
    void theHybridEnginesDecisionsAreComparedByDefault() throws Exception {
        Path base = summary("base", 100.0, 50.0, 20);
        for (String k : java.util.List.of("preemptions", "swap_in_bytes", "swap_out_bytes", "gpu_stall_ms", "predictor_mape_pct", "iterations")) {
            Map<String, Object> m = JsonFiles.read(base.resolve("summary.json"));
            m.put(k, 10.5);
            Path run = tmp.resolve("run-" + k);
            Files.createDirectories(run);
            JsonFiles.write(run.resolve("summary.json"), m);
            Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
            assertEquals(1, r.code(), k + ": " + r.out());
            assertTrue(r.out().lines().anyMatch(l -> l.contains(k) && l.contains("+5.00%") && l.contains("MOVED")), r.out());
        }
    }

    /**
     * A share moves in percentage points (a relative change of a share near 0 says nothing), and the strategy mix is
     * compared over the strategies either side ran: one that only the run used moved from 0.
     */
    @Test
    void fractionsAndTheStrategyMixMoveInPercentagePoints() throws Exception {
        Path base = summary("base", 100.0, 50.0, 20);
        Map<String, Object> m = JsonFiles.read(base.resolve("summary.json"));
        m.put("cpu_decode_fraction", 0.005);
        m.put("strategy_fraction_GPU_ONLY", 0.9);
        m.put("strategy_fraction_ASYNC_OVERLAP", 0.1);
        JsonFiles.write(base.resolve("summary.json"), m);
        m.put("cpu_decode_fraction", 0.009);              // +80% relative, +0.4 points: within 1 point
        m.put("strategy_fraction_GPU_ONLY", 0.895);
        m.put("strategy_fraction_ASYMMETRIC_PIPELINE", 0.005);
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        JsonFiles.write(run.resolve("summary.json"), m);
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_ASYMMETRIC_PIPELINE") && l.contains("+0.50pp")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("cpu_decode_fraction") && l.contains("+0.40pp")), r.out());
        m.put("strategy_fraction_GPU_ONLY", 0.85);
        m.put("strategy_fraction_ASYMMETRIC_PIPELINE", 0.05);
        JsonFiles.write(run.resolve("summary.json"), m);
        r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_GPU_ONLY") && l.contains("-5.00pp") && l.contains("MOVED")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_ASYMMETRIC_PIPELINE") && l.contains("+5.00pp")
                && l.contains("MOVED")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_ASYNC_OVERLAP") && l.contains("ok")), r.out());
        r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString(), "--tolerance", "strategy_fraction_*=6");
        assertEquals(0, r.code(), r.out());
    }

    @Test
    void engineFoldersAreMatchedByName() throws Exception {
        summary("base/apex", 100.0, 50.0, 20);
        summary("base/gpu-only", 80.0, 40.0, 20);
        summary("run/apex", 100.0, 50.0, 20);
        summary("run/gpu-only", 80.0, 60.0, 20);
        Cli r = Cli.run("regress", "--baseline", tmp.resolve("base").toString(), "--run", tmp.resolve("run").toString());
        assertEquals(1, r.code());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("gpu-only") && l.contains("p99_tpot_ms") && l.contains("MOVED")),
                r.out());
        summary("run2/apex", 100.0, 50.0, 20);
        r = Cli.run("regress", "--baseline", tmp.resolve("base").toString(), "--run", tmp.resolve("run2").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("has engines [apex, gpu-only]"), r.err());
    }

    @Test
    void badToleranceAndMissingFilesAreClearErrors() throws Exception {
        Path base = summary("base", 100.0, 50.0, 20);
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", base.toString(), "--tolerance", "p99_tpot_ms");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--tolerance: expected key=percent"), r.err());
        r = Cli.run("regress", "--baseline", base.toString(), "--run", base.toString(), "--tolerance", "no_such_metric=1");
        assertTrue(r.err().contains("has no metric 'no_such_metric'"), r.err());
        r = Cli.run("regress", "--baseline", tmp.resolve("nope").toString(), "--run", base.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nope does not exist"), r.err());
        r = Cli.run("regress", "--run", base.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing required option: '--baseline=FILE_OR_DIR'"), r.err());
    }

    @Test
    void unknownCommandAndOptionAreUsageErrors() {
        Cli r = Cli.run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Unmatched argument") || r.err().contains("frobnicate"), r.err());
        r = Cli.run("regress", "--bogus", "--baseline", "x", "--run", "y");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--bogus"), r.err());
        r = Cli.run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing command"), r.err());
        r = Cli.run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("regress") && r.out().contains("report"), r.out());
    }
}
