package org.apexbench.harness;

import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `sweep --over NAME --values ...`: any numeric run option or engine option, not only the request rate. */
class SweepParameterTest {
    static final String SMALL = "synthetic:count=12,input=200,output=40,rate=4";
    @TempDir Path tmp;

    static Map<?, ?> spec(Path summary) { return (Map<?, ?>) JsonFiles.read(summary).get("run_spec"); }

    @Test
    void sweepsARunOptionAndWritesOneRowPerEngineAndValue() throws Exception {
        Cli r = Cli.run("sweep", "--engines", "gpu-only,apex", "--over", "gpu-memory", "--values", "15.6,16", "--requests", SMALL,
                "--out", tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<String> csv = Files.readAllLines(tmp.resolve("sweep.csv"));
        assertEquals(5, csv.size());
        assertTrue(csv.get(0).startsWith("engine,gpu-memory,"), csv.get(0));
        assertTrue(csv.get(1).startsWith("gpu-only,15.6,") && csv.get(4).startsWith("apex,16.0,"), csv.toString());
        Map<?, ?> small = spec(tmp.resolve("gpu-only/gpu-memory-15-6/summary.json")), big = spec(tmp.resolve("gpu-only/gpu-memory-16/summary.json"));
        assertEquals(15.6, ((Number) small.get("gpu_memory_cap_gb")).doubleValue());
        assertTrue(((Number) big.get("gpu_kv_blocks")).intValue() > ((Number) small.get("gpu_kv_blocks")).intValue(),
                "more GPU memory, more KV blocks: " + small.get("gpu_kv_blocks") + " vs " + big.get("gpu_kv_blocks"));
        assertTrue(Files.readString(tmp.resolve("sweep.html")).contains("gpu-memory"));
    }

    @Test
    void sweepsAnEngineOption() throws Exception {
        Cli r = Cli.run("sweep", "--engines", "apex", "--over", "engine-option:marginPct", "--values", "0,5", "--requests", SMALL,
                "--out", tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertEquals(Map.of("marginPct", "0"), spec(tmp.resolve("apex/engine-option-marginPct-0/summary.json")).get("engine_options"));
        assertEquals(Map.of("marginPct", "5"), spec(tmp.resolve("apex/engine-option-marginPct-5/summary.json")).get("engine_options"));
    }

    @Test
    void badSweepsSayWhatIsExpected() {
        String out = tmp.toString();
        Cli r = Cli.run("sweep", "--over", "requests", "--values", "1", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--over requests: expected a numeric run option") && r.err().contains("gpu-memory"), r.err());
        r = Cli.run("sweep", "--over", "min-rate", "--values", "1", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--over min-rate: expected a numeric run option"), r.err());
        r = Cli.run("sweep", "--engines", "gpu-only", "--over", "max-running", "--values", "1.5", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--over max-running: expects whole numbers, got 1.5"), r.err());
        r = Cli.run("sweep", "--over", "gpu-memory", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("needs --values"), r.err());
        r = Cli.run("sweep", "--over", "gpu-memory", "--values", "8", "--rates", "1", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("give exactly one of"), r.err());
        r = Cli.run("sweep", "--rates", "1", "--values", "8", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("give exactly one of") || r.err().contains("--values goes with --over"), r.err());
        r = Cli.run("sweep", "--over", "engine-option:", "--values", "8", "--requests", SMALL, "--out", out);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("expected engine-option:KEY"), r.err());
    }
}
