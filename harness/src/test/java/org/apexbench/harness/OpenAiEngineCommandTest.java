package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.real.RealRun;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.reports.CsvFiles;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.JsonFiles;
import org.apexbench.serving.server.ApexServer;
import org.apexbench.serving.server.ModelFolder;
import org.apexbench.serving.server.ServingEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code openai} engine from the command line, benchmarking {@code apex serve} (tiny-llama3 on the cpu backend)
 * on loopback: {@code run} writes a complete result folder whose token counts match the workload and whose
 * iteration-level metrics are absent; {@code compare} puts it beside simulated engines in one report; {@code sweep}
 * runs it at several rates; an address where nothing listens is a one-line error.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OpenAiEngineCommandTest {
    static final Path MODEL = Path.of(System.getProperty("apex.fixtures")).resolve("tiny-llama3");
    static ApexServer server;
    @TempDir Path tmp;

    @BeforeAll
    static void start() {
        ServingEngine.Setup setup = new ServingEngine.Setup(EngineRegistry.create("apex", new EngineOptions(Map.of())), "cpu", 2,
                RealRun.checkpoint(MODEL), DType.BF16, new EngineBudgets(64, 512, 24, 200, 16), null, DType.F32);
        server = ApexServer.start(setup, new ApexServer.Config("127.0.0.1", 0, "tiny-llama3", MODEL, ModelFolder.eosTokenId(MODEL)),
                System.err);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop(1);
    }

    String engine() { return "openai[url=" + server.url() + ",model=tiny-llama3]"; }

    @Test
    void runWritesACompleteResultFolderWithTheWorkloadsTokenCountsAndNoHybridMetrics() throws Exception {
        ReferencePrompts ref = ReferencePrompts.of(MODEL, 24);
        Path workload = ref.writeWorkload(tmp.resolve("reference.jsonl"));
        Path out = tmp.resolve("run");
        Cli r = Cli.run("run", "--engine", engine(), "--model", "tiny-llama3", "--requests", workload.toString(), "--out",
                out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("requests.csv", "iterations.csv", "subtasks.csv", "summary.json", "vllm-result.json",
                "environment.json", "report.html")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        List<RequestRecord> requests = CsvFiles.readRequests(out.resolve("requests.csv"));
        assertEquals(ref.count(), requests.size());
        for (RequestRecord q : requests) {
            assertTrue(q.succeeded(), q.toString());
            assertEquals(24, q.outputTokens());
        }
        Map<String, Object> s = JsonFiles.read(out.resolve("summary.json"));
        assertEquals(ref.count(), s.get("completed"));
        assertEquals(0, s.get("failed"));
        assertEquals(24 * ref.count(), ((Number) s.get("total_output_tokens")).intValue());
        assertEquals("openai", s.get("backend"));
        assertEquals("tiny-llama3", s.get("model_id"));
        for (String absent : List.of("iterations", "gpu_busy_pct", "cpu_attn_busy_pct", "pcie_h2d_gbps", "swap_in_bytes",
                "predictor_mape_pct", "max_gpu_kv_blocks", "preemptions")) {
            assertFalse(s.containsKey(absent), absent + " is absent for a server measured from outside, not zero");
        }
        assertTrue(((Number) s.get("p99_ttft_ms")).doubleValue() > 0);
        assertEquals(23 * ref.count(), ((Number) s.get("count_itl")).intValue(), "one chunk per token");

        Cli rebuilt = Cli.run("report", "--in", out.toString());
        assertEquals(0, rebuilt.code(), rebuilt.err());
        String html = Files.readString(out.resolve(HtmlReport.FILE));
        assertTrue(html.contains("measured from outside through the OpenAI API"), "the report says why engine internals are missing");
    }

    @Test
    void compareShowsTheServerBesideSimulatedEnginesInOneReport() throws Exception {
        Path out = tmp.resolve("cmp");
        Cli r = Cli.run("compare", "--engines", "gpu-only,apex," + engine(), "--model", "tiny-llama3",
                "--requests", "synthetic:count=8,input=40,output=12,rate=10", "--gpu-kv-blocks", "24", "--host-kv-blocks", "200",
                "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<String> rows = Files.readAllLines(out.resolve("comparison.csv"));
        assertEquals(4, rows.size(), rows.toString());
        assertTrue(rows.get(3).startsWith("\"" + engine() + "\"") || rows.get(3).startsWith(engine()), rows.get(3));
        String html = Files.readString(out.resolve("report.html"));
        for (String label : List.of("gpu-only", "apex", engine())) assertTrue(html.contains(label), label);
        Path openaiDir = Files.list(out).filter(p -> p.getFileName().toString().startsWith("openai")).findFirst().orElseThrow();
        Map<String, Object> s = JsonFiles.read(openaiDir.resolve("summary.json"));
        assertEquals(8, s.get("completed"));
        assertEquals(8 * 12, ((Number) s.get("total_output_tokens")).intValue());
        assertTrue(r.out().contains("openai[url="), r.out());
    }

    @Test
    void sweepRunsTheServerAtEachRate() throws Exception {
        Path out = tmp.resolve("sweep");
        Cli r = Cli.run("sweep", "--engines", engine(), "--rates", "20,40", "--model", "tiny-llama3",
                "--requests", "synthetic:count=4,input=20,output=6", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, Files.readAllLines(out.resolve("sweep.csv")).size());
    }

    @Test
    void anAddressWhereNothingListensIsAOneLineError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cli r = Cli.run("run", "--engine", "openai[url=http://127.0.0.1:" + port + "]", "--model", "tiny-llama3",
                "--requests", "synthetic:count=2,input=8,output=4", "--out", tmp.resolve("x").toString(), "--quiet");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error: engine openai: cannot connect to http://127.0.0.1:" + port), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        Cli bad = Cli.run("run", "--engine", "openai[adress=x]", "--model", "tiny-llama3", "--requests",
                "synthetic:count=2,input=8,output=4", "--out", tmp.resolve("y").toString(), "--quiet");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown option 'adress'"), bad.err());
    }
}
