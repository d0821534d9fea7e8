package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apexbench.reports.JsonFiles;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.ResultFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegressCommandTest {
    @TempDir Path tmp;

    /** A summary.json document: every checked metric, and a run spec. */
    static Map<String, Object> summary(String engine, double throughput, double p99Tpot, Integer completed, long seed) {
        Map<String, Object> m = new TreeMap<>();
        for (String k : Regression.DEFAULT_TOLERANCES.keySet()) if (!k.endsWith("*")) m.put(k, Regression.isFraction(k) ? 0.1 : 10.0);
        m.put("completed", completed);
        m.put("failed", 0);
        m.put("total_output_tokens", 1000);
        m.put("output_throughput", throughput);
        m.put("p99_tpot_ms", p99Tpot);
        m.put("label", engine);
        m.put("run_spec", Map.of("engine", engine, "seed", seed, "workload", "synthetic:count=4", "engine_description", engine + " v1"));
        return m;
    }

    /** A complete result folder (manifest included) holding these summaries: one is a run, several a comparison. */
    static Path folder(Path dir, List<Map<String, Object>> summaries) {
        boolean single = summaries.size() == 1;
        try (ResultFolder f = ResultFolder.create(dir, "--out", ResultFolder.Existing.REFUSE)) {
            List<Manifest.Engine> engines = new ArrayList<>();
            for (Map<String, Object> s : summaries) {
                String label = (String) s.get("label");
                String sub = single ? "." : ReportedRun.slug(label);
                Files.createDirectories(f.staging().resolve(sub));
                JsonFiles.write(f.staging().resolve(sub).resolve("summary.json"), s);
                @SuppressWarnings("unchecked")
                Map<String, Object> spec = (Map<String, Object>) s.get("run_spec");
                engines.add(new Manifest.Engine(label, sub, spec));
            }
            f.commit(single ? "run" : "comparison", List.of(), engines);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    private Path run(String name, double throughput, double p99Tpot, Integer completed) {
        return folder(tmp.resolve(name), List.of(summary("apex", throughput, p99Tpot, completed, 0)));
    }

    @Test
    void withinTolerancePasses() {
        Path base = run("base", 100.0, 50.0, 20);
        Path run = run("run", 101.5, 50.5, 20);
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("regress: OK"), r.out());
    }

    @Test
    void movedMetricFailsWithReadableDiff() {
        Path base = run("base", 100.0, 50.0, 20);
        Path run = run("run", 90.0, 50.0, 19);
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
    void theHybridEnginesDecisionsAreComparedByDefault() {
        Path base = run("base", 100.0, 50.0, 20);
        for (String k : List.of("preemptions", "swap_in_bytes", "swap_out_bytes", "gpu_stall_ms", "predictor_mape_pct", "iterations")) {
            Map<String, Object> m = summary("apex", 100.0, 50.0, 20, 0);
            m.put(k, 10.5);
            Path run = folder(tmp.resolve("run-" + k), List.of(m));
            Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
            assertEquals(1, r.code(), k + ": " + r.out() + r.err());
            assertTrue(r.out().lines().anyMatch(l -> l.contains(k) && l.contains("+5.00%") && l.contains("MOVED")), r.out());
        }
    }

    /**
     * A share moves in percentage points (a relative change of a share near 0 says nothing), and the strategy mix is
     * compared over the strategies either side ran: one that only the run used moved from 0.
     */
    @Test
    void fractionsAndTheStrategyMixMoveInPercentagePoints() {
        Map<String, Object> m = summary("apex", 100.0, 50.0, 20, 0);
        m.put("cpu_decode_fraction", 0.005);
        m.put("strategy_fraction_GPU_ONLY", 0.9);
        m.put("strategy_fraction_ASYNC_OVERLAP", 0.1);
        Path base = folder(tmp.resolve("base"), List.of(new TreeMap<>(m)));
        m.put("cpu_decode_fraction", 0.009);              // +80% relative, +0.4 points: within 1 point
        m.put("strategy_fraction_GPU_ONLY", 0.895);
        m.put("strategy_fraction_ASYMMETRIC_PIPELINE", 0.005);
        Path run = folder(tmp.resolve("run"), List.of(new TreeMap<>(m)));
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", run.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_ASYMMETRIC_PIPELINE") && l.contains("+0.50pp")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("cpu_decode_fraction") && l.contains("+0.40pp")), r.out());
        m.put("strategy_fraction_GPU_ONLY", 0.85);
        m.put("strategy_fraction_ASYMMETRIC_PIPELINE", 0.05);
        Path run2 = folder(tmp.resolve("run2"), List.of(new TreeMap<>(m)));
        r = Cli.run("regress", "--baseline", base.toString(), "--run", run2.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_GPU_ONLY") && l.contains("-5.00pp") && l.contains("MOVED")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_ASYMMETRIC_PIPELINE") && l.contains("+5.00pp")
                && l.contains("MOVED")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("strategy_fraction_ASYNC_OVERLAP") && l.contains("ok")), r.out());
        r = Cli.run("regress", "--baseline", base.toString(), "--run", run2.toString(), "--tolerance", "strategy_fraction_*=6");
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void engineFoldersAreMatchedByName() {
        folder(tmp.resolve("base"), List.of(summary("apex", 100.0, 50.0, 20, 0), summary("gpu-only", 80.0, 40.0, 20, 0)));
        folder(tmp.resolve("run"), List.of(summary("apex", 100.0, 50.0, 20, 0), summary("gpu-only", 80.0, 60.0, 20, 0)));
        Cli r = Cli.run("regress", "--baseline", tmp.resolve("base").toString(), "--run", tmp.resolve("run").toString());
        assertEquals(1, r.code());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("gpu-only") && l.contains("p99_tpot_ms") && l.contains("MOVED")),
                r.out());
    }

    /** A baseline engine missing from the run, or a run engine missing from the baseline, fails: nothing is skipped. */
    @Test
    void anEngineMissingFromEitherSideFails() {
        Path base = folder(tmp.resolve("base"), List.of(summary("apex", 100.0, 50.0, 20, 0), summary("gpu-only", 80.0, 40.0, 20, 0)));
        Path fewer = folder(tmp.resolve("fewer"), List.of(summary("apex", 100.0, 50.0, 20, 0), summary("neo", 80.0, 40.0, 20, 0)));
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", fewer.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("has engines [apex, gpu-only]") && r.err().contains("missing from the run: [gpu-only]")
                && r.err().contains("not in the baseline: [neo]"), r.err());
        r = Cli.run("regress", "--baseline", fewer.toString(), "--run", base.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("missing from the run: [neo]"), r.err());
    }

    /** Issue 11: a gpu-only baseline against an apex run with another seed passed; now the spec difference is refused. */
    @Test
    void aRunOfAnotherSpecIsRefusedUnlessTheDifferenceIsAllowed() {
        Path base = folder(tmp.resolve("base"), List.of(summary("gpu-only", 100.0, 50.0, 20, 0)));
        Path other = folder(tmp.resolve("other"), List.of(summary("apex", 100.0, 50.0, 20, 3)));
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", other.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("spec differs from the baseline's") && r.err().contains("engine is \"gpu-only\" in the baseline, "
                + "\"apex\" in the run") && r.err().contains("seed is 0 in the baseline, 3 in the run")
                && r.err().contains("--allow-spec-change engine,seed"), r.err());
        assertTrue(!r.err().contains("engine_description"), "descriptions follow the keys they describe: " + r.err());
        r = Cli.run("regress", "--baseline", base.toString(), "--run", other.toString(), "--allow-spec-change", "seed");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("engine is") && !r.err().contains("seed is"), r.err());
        r = Cli.run("regress", "--baseline", base.toString(), "--run", other.toString(), "--allow-spec-change", "seed,engine");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("allowed spec change: engine gpu-only: seed is 0 in the baseline, 3 in the run"), r.out());
    }

    @Test
    void onlyCompleteFoldersAreRead() throws Exception {
        Path base = run("base", 100.0, 50.0, 20);
        Path bare = tmp.resolve("bare");
        Files.createDirectories(bare);
        JsonFiles.write(bare.resolve("summary.json"), summary("apex", 100.0, 50.0, 20, 0));
        Cli r = Cli.run("regress", "--baseline", base.toString(), "--run", bare.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bare + " is not a complete result folder: manifest.json is missing"), r.err());
        Path edited = run("edited", 100.0, 50.0, 20);
        Map<String, Object> doc = new LinkedHashMap<>(JsonFiles.read(edited.resolve("summary.json")));
        doc.put("output_throughput", 1e6);
        JsonFiles.write(edited.resolve("summary.json"), doc);
        r = Cli.run("regress", "--baseline", base.toString(), "--run", edited.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("summary.json") && r.err().contains("manifest says"), r.err());
        r = Cli.run("regress", "--baseline", base.resolve("summary.json").toString(), "--run", base.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("does not exist or is not a folder"), r.err());
    }

    @Test
    void badToleranceAndMissingFilesAreClearErrors() {
        Path base = run("base", 100.0, 50.0, 20);
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
        assertTrue(r.err().contains("Missing required option: '--baseline=DIR'"), r.err());
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
