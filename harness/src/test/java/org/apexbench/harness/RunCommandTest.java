package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir Path tmp;

    /** The sections report.html must have for these engines (README: summary, run spec, four charts, four views per engine). */
    static List<String> reportSections(List<String> labels) {
        List<String> ids = new java.util.ArrayList<>(List.of("summary", "run-spec", "chart-throughput", "chart-ttft-cdf",
                "chart-tpot-cdf", "chart-itl-cdf"));
        for (String l : labels) {
            String slug = l.replace(':', '-');
            ids.addAll(List.of("timeline-" + slug, "kv-" + slug, "strategy-" + slug, "predictor-" + slug));
        }
        return ids;
    }

    static final String SMALL = "synthetic:count=12,input=200,output=40,rate=4";

    @Test
    void simRunWritesEveryFileAndIsByteIdenticalForTheSameSeed() throws Exception {
        for (String d : List.of("a", "b")) {
            Cli r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--seed", "3", "--out",
                    tmp.resolve(d).toString(), "--quiet");
            assertEquals(0, r.code(), r.err());
        }
        for (String f : List.of("requests.csv", "iterations.csv", "subtasks.csv", "summary.json")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        }
        assertTrue(Files.isRegularFile(tmp.resolve("a/environment.json")));
        var summary = JsonFiles.read(tmp.resolve("a/summary.json"));
        assertEquals(12, summary.get("completed"));
        assertEquals(12 * 40, summary.get("total_output_tokens"));
        String html = Files.readString(tmp.resolve("a").resolve(HtmlReport.FILE));
        for (String id : reportSections(List.of("gpu-only"))) assertTrue(html.contains("id=\"" + id + "\""), id);

        Cli other = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--seed", "4", "--out",
                tmp.resolve("c").toString(), "--quiet");
        assertEquals(0, other.code(), other.err());
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(tmp.resolve("a/requests.csv")),
                Files.readAllBytes(tmp.resolve("c/requests.csv"))), "another seed gives another run");
    }

    @Test
    void compareGivesEveryEngineTheSameWorkloadAndWritesOneReport() throws Exception {
        Path out = tmp.resolve("cmp");
        Cli r = Cli.run("compare", "--engines", "gpu-only,static-hybrid:fastdecode", "--requests", SMALL, "--out",
                out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("gpu-only") && r.out().contains("output tok/s"), r.out());
        List<String> csv = Files.readAllLines(out.resolve("comparison.csv"));
        assertEquals(3, csv.size());
        var a = JsonFiles.read(out.resolve("gpu-only/summary.json"));
        var b = JsonFiles.read(out.resolve("static-hybrid-fastdecode/summary.json"));
        assertEquals(((java.util.Map<?, ?>) a.get("run_spec")).get("workload"), ((java.util.Map<?, ?>) b.get("run_spec")).get("workload"));
        assertEquals(((java.util.Map<?, ?>) a.get("run_spec")).get("gpu_kv_blocks"), ((java.util.Map<?, ?>) b.get("run_spec")).get("gpu_kv_blocks"));
        String html = Files.readString(out.resolve(HtmlReport.FILE));
        for (String id : reportSections(List.of("gpu-only", "static-hybrid:fastdecode"))) {
            assertTrue(html.contains("id=\"" + id + "\""), id);
        }
    }

    @Test
    void unknownEngineHardwareModelAndWorkloadListTheValidOnes() {
        Cli r = Cli.run("run", "--engine", "warp-drive", "--requests", SMALL, "--out", tmp.toString(), "--quiet");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown engine 'warp-drive'") && r.err().contains("gpu-only"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--hardware", "tpu-v9", "--requests", SMALL, "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tpu-v9") && r.err().contains("t4-g4dn.4xlarge"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--model", "gpt-5", "--requests", SMALL, "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("gpt-5") && r.err().contains("llama-2-7b"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--requests", "poetry:count=3", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown kind 'poetry'"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--requests is required"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--gpu-kv-blocks", "many", "--out", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--gpu-kv-blocks"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--backend", "cuda", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--backend cuda"), r.err());
        r = Cli.run("run", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("a10g-g5.8xlarge") && r.out().contains("t4-g4dn.4xlarge"), "help lists spec ids");
    }

    @Test
    void simCpuSlowdownIsRecordedInTheRunSpecAndRangeChecked() throws Exception {
        Cli r = Cli.run("run", "--engine", "apex", "--engine-option", "recalibrate=true", "--requests", SMALL,
                "--sim-cpu-slowdown", "2.5", "--out", tmp.resolve("slow").toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        var spec = (java.util.Map<?, ?>) JsonFiles.read(tmp.resolve("slow/summary.json")).get("run_spec");
        assertEquals(2.5, ((Number) spec.get("sim_cpu_slowdown")).doubleValue());
        assertEquals(java.util.Map.of("recalibrate", "true"), spec.get("engine_options"));
        r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--out", tmp.resolve("plain").toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(!Files.readString(tmp.resolve("plain/summary.json")).contains("sim_cpu_slowdown"), "absent when 1");
        for (String bad : new String[] {"0", "-1", "Infinity"}) {
            r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--sim-cpu-slowdown", bad, "--out", tmp.resolve("bad").toString());
            assertEquals(1, r.code(), bad);
            assertTrue(r.err().contains("--sim-cpu-slowdown must be a positive factor"), r.err());
        }
        r = Cli.run("run", "--engine", "gpu-only", "--backend", "cpu", "--model", "tiny", "--requests", SMALL,
                "--sim-cpu-slowdown", "2", "--out", tmp.resolve("bad").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--sim-cpu-slowdown applies to --backend sim only"), r.err());
    }

    /** The default GPU pools are vLLM's rule on the reported memory, with the derivation in the run spec. */
    @Test
    void defaultGpuPoolsFollowVllmsRuleAndTheRunSpecShowsIt() throws Exception {
        String[][] cases = {{"t4-g4dn.4xlarge", "llama-2-7b", "143", "0.99", "t4-g4dn.4xlarge's default"},
                {"a10g-g5.8xlarge", "llama-3.1-8b", "1795", "0.9", "a10g-g5.8xlarge's default"}};
        for (String[] c : cases) {
            Path out = tmp.resolve(c[0]);
            Cli r = Cli.run("run", "--engine", "gpu-only", "--hardware", c[0], "--model", c[1], "--requests", SMALL, "--out",
                    out.toString(), "--quiet");
            assertEquals(0, r.code(), r.err());
            var spec = (java.util.Map<?, ?>) JsonFiles.read(out.resolve("summary.json")).get("run_spec");
            assertEquals(Integer.parseInt(c[2]), ((Number) spec.get("gpu_kv_blocks")).intValue());
            var pool = (java.util.Map<?, ?>) spec.get("gpu_kv_pool");
            assertEquals(Double.parseDouble(c[3]), ((Number) pool.get("gpu_memory_utilization")).doubleValue());
            assertTrue(((String) pool.get("utilization_from")).startsWith(c[4]), pool.toString());
            assertTrue(((String) pool.get("derivation")).endsWith("= " + c[2] + " blocks of 16 tokens (" + (c[1].equals("llama-2-7b")
                    ? "8.00" : "2.00") + " MiB each)"), pool.toString());
        }
        Path out = tmp.resolve("override");
        Cli r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--gpu-kv-blocks", "54", "--gpu-memory-utilization", "0.9",
                "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());   // an explicit pool overrides the rule, as vLLM's --num-gpu-blocks-override
        var spec = (java.util.Map<?, ?>) JsonFiles.read(out.resolve("summary.json")).get("run_spec");
        assertEquals(54, ((Number) spec.get("gpu_kv_blocks")).intValue());
        assertEquals("--gpu-kv-blocks", ((java.util.Map<?, ?>) spec.get("gpu_kv_pool")).get("derivation"));
    }

    @Test
    void impossibleMemoryBudgetIsAClearError() {
        Cli r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--gpu-memory", "8", "--out", tmp.toString());
        assertEquals(1, r.code());
        for (String term : new String[] {"t4-g4dn.4xlarge + llama-2-7b: no KV block fits in GPU memory", "reported GPU memory 7.45 GiB",
                "utilization 0.99", "weights 12.55 GiB", "CUDA context and workspaces 0.35 GiB", "activation peak 0.40 GiB",
                "--gpu-kv-blocks"}) {
            assertTrue(r.err().contains(term), term + " missing: " + r.err());
        }
        assertFalse(r.err().contains("Exception"), r.err());
        // vLLM's default utilization leaves Llama-2-7B no block on a T4: an explicit 0.9 is refused the same way
        r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--gpu-memory-utilization", "0.9", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("utilization 0.90") && r.err().contains("= -0.191 GiB = 0 blocks"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--gpu-memory-utilization", "1.5", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--gpu-memory-utilization") && r.err().contains("(0, 1]"), r.err());
    }

    /**
     * Requests gpu-only can never hold (1,000 + 600 tokens: 100 blocks of a 60-block pool) are rejected one by one and
     * counted as failed, not a refused run: the console and report.html say how many and why, and NEO serves them
     * from the host in the same comparison.
     */
    @Test
    void requestsAnEngineCanNeverServeAreCountedAsItsFailedRequests() throws Exception {
        Path out = tmp.resolve("rejected");
        Cli r = Cli.run("compare", "--engines", "gpu-only,static-hybrid:neo", "--requests", "synthetic:count=4,input=1000,output=600",
                "--gpu-kv-blocks", "60", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("gpu-only: 4 of 4 requests rejected as never servable (counted as failed): request "), r.err());
        assertTrue(r.err().contains("needs 100 GPU KV blocks (1599 tokens) but the GPU pool has 60; and 1 more"), r.err());
        assertFalse(r.err().contains("static-hybrid:neo: 4 of 4"), r.err());
        var gpuOnly = JsonFiles.read(out.resolve("gpu-only/summary.json"));
        assertEquals(0, ((Number) gpuOnly.get("completed")).intValue());
        assertEquals(4, ((Number) gpuOnly.get("failed")).intValue());
        var neo = JsonFiles.read(out.resolve("static-hybrid-neo/summary.json"));
        assertEquals(4, ((Number) neo.get("completed")).intValue());
        assertEquals(0, ((Number) neo.get("failed")).intValue());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("id=\"rejected-gpu-only\">gpu-only: 4 of 4 requests rejected as never servable"), html.substring(0, 3000));
        assertFalse(html.contains("id=\"rejected-static-hybrid-neo\""));
        // rebuilt from the stored CSV, the report says the same (the reason is kept in requests.csv)
        assertEquals(0, Cli.run("report", "--in", out.toString()).code());
        assertTrue(Files.readString(out.resolve("report.html")).contains("id=\"rejected-gpu-only\">gpu-only: 4 of 4 requests"));
    }

    @Test
    void sweepWritesTheCurveAndFindsAMaxRate() throws Exception {
        Path out = tmp.resolve("sweep");
        Cli r = Cli.run("sweep", "--engines", "gpu-only", "--rates", "0.5,4", "--requests", SMALL, "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, Files.readAllLines(out.resolve("sweep.csv")).size());
        assertTrue(Files.readString(out.resolve("sweep.html")).contains("chart-sweep-tpot"));
        assertTrue(Files.isRegularFile(out.resolve("gpu-only/rate-0.5000/summary.json")));
        out = tmp.resolve("max");
        r = Cli.run("sweep", "--engines", "gpu-only", "--find-max-rate", "--requests", SMALL, "--out", out.toString(), "--quiet");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("needs --slo-ttft-ms"), r.err());
        r = Cli.run("sweep", "--engines", "gpu-only", "--find-max-rate", "--slo-tpot-ms", "1000000", "--search-steps", "2",
                "--max-rate", "8", "--requests", SMALL, "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("max rate 8.0000 req/s"), "a loose SLO is met up to the top of the range: " + r.out());
        assertEquals(8.0, Double.parseDouble(Files.readAllLines(out.resolve("max_rate.csv")).get(1).split(",")[1]));
        // an engine label with its own options (a comma inside) stays one CSV cell; an SLO nobody meets leaves empty cells
        r = Cli.run("sweep", "--engines", "apex[marginPct=5,recalibrate=true]", "--find-max-rate", "--slo-tpot-ms", "0.001",
                "--search-steps", "1", "--max-rate", "2", "--requests", SMALL, "--out", tmp.resolve("tight").toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("apex[marginPct=5,recalibrate=true]: no rate in"), r.out());
        assertEquals(List.of("engine,max_rate,p99_ttft_ms,p99_tpot_ms", "\"apex[marginPct=5,recalibrate=true]\",,,"),
                Files.readAllLines(tmp.resolve("tight/max_rate.csv")));
    }

    /**
     * A request gpu-only can never hold fails at every rate, so the max-rate search judges the SLOs over the requests
     * it serves and says how many it rejected (a T4's 143 blocks hold 2,288 tokens; long-output requests reach 3,148).
     */
    @Test
    void maxRateSearchJudgesTheServedRequestsAndCountsTheRejectedOnes() throws Exception {
        Path out = tmp.resolve("max-rejected");
        Cli r = Cli.run("sweep", "--engines", "gpu-only", "--find-max-rate", "--slo-tpot-ms", "1000000", "--search-steps", "1",
                "--min-rate", "0.05", "--max-rate", "0.1", "--requests", "long-output:count=10", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        String[] header = csv.get(0).split(","), point = csv.get(1).split(",");
        int completed = Integer.parseInt(point[List.of(header).indexOf("completed")]);
        int failed = Integer.parseInt(point[List.of(header).indexOf("failed")]);
        assertTrue(completed > 0 && failed > 0 && completed + failed == 10, csv.toString());
        assertTrue(r.out().contains("max rate 0.1000 req/s") && r.out().contains(", " + failed + " requests rejected as never servable"),
                r.out());
    }

    @Test
    void sweepRateReplacement() {
        assertEquals("long-output:count=5,rate=2.0", SweepCommand.withRate("long-output:count=5,rate=0.5", 2));
        assertEquals("long-output:count=5,rate=2.0", SweepCommand.withRate("long-output:count=5", 2));
        assertEquals("mixed:chat=1;count=5,rate=2.0", SweepCommand.withRate("mixed:chat=1;count=5", 2));
        assertEquals("mixed:chat=1;rate=2.0", SweepCommand.withRate("mixed:chat=1", 2));
        assertEquals("chat:seed=7", RunOptions.withSeed("chat:seed=7", 3));
        assertEquals("chat:count=2,seed=3", RunOptions.withSeed("chat:count=2", 3));
        assertEquals("mixed:chat=1;seed=3", RunOptions.withSeed("mixed:chat=1", 3));
    }
}
