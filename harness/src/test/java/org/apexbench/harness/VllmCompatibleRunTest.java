package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apexbench.reports.CsvFiles;
import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vLLM's setup keys, vllm-result.json and the duration clock, from the command line. */
class VllmCompatibleRunTest {
    @TempDir Path tmp;

    static final String SMALL = "synthetic:count=9,input=120,output=20,rate=3";

    private Map<String, Object> run(String dir, String requests, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--engine", "gpu-only", "--requests", requests,
                "--seed", "5", "--out", tmp.resolve(dir).toString(), "--quiet"));
        args.addAll(List.of(extra));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return JsonFiles.read(tmp.resolve(dir).resolve(JsonFiles.SUMMARY));
    }

    @Test
    void summaryCarriesVllmsSetupKeysAndVllmResultJsonDiffersOnlyInItsDate() throws Exception {
        Map<String, Object> s = run("a", SMALL);
        run("b", SMALL);
        assertEquals("gpu-only", s.get("backend"));
        assertEquals("gpu-only", s.get("endpoint_type"));
        assertEquals("llama-2-7b", s.get("model_id"));
        assertEquals("llama-2-7b", s.get("tokenizer_id"));
        assertEquals(9, s.get("num_prompts"));
        assertEquals(3.0, s.get("request_rate"));
        assertEquals(1.0, s.get("burstiness"));
        assertTrue(s.containsKey("max_concurrency") && s.get("max_concurrency") == null);
        assertFalse(s.containsKey("date"), "the date varies between identical runs: not in summary.json");
        assertEquals("first-arrival", s.get("duration_clock"));

        Map<String, Object> a = JsonFiles.read(tmp.resolve("a/vllm-result.json"));
        Map<String, Object> b = JsonFiles.read(tmp.resolve("b/vllm-result.json"));
        assertTrue(String.valueOf(a.get("date")).matches("\\d{8}-\\d{6}"), String.valueOf(a.get("date")));
        a.remove("date");
        b.remove("date");
        assertEquals(a, b);
        for (var e : s.entrySet()) {
            if (a.containsKey(e.getKey())) assertEquals(e.getValue(), a.get(e.getKey()), e.getKey());
        }
        assertEquals(s.get("p99_ttft_ms"), a.get("p99_ttft_ms"));
        assertEquals(9, ((List<?>) a.get("ttfts")).size());
        assertEquals(9, ((List<?>) a.get("itls")).size());
        assertEquals(19, ((List<?>) ((List<?>) a.get("itls")).get(0)).size());
    }

    @Test
    void durationClockOptionMovesTheDurationStartAndNothingElse() throws Exception {
        Map<String, Object> first = run("first", SMALL);
        Map<String, Object> origin = run("origin", SMALL, "--duration-clock", "schedule-origin");
        double arrival0 = CsvFiles.readRequests(tmp.resolve("first/requests.csv")).get(0).arrivalSec();
        assertTrue(arrival0 > 0, "Poisson: request 0 arrives after one gap");
        assertEquals((Double) first.get("duration") + arrival0, (Double) origin.get("duration"), 1e-9);
        assertEquals("schedule-origin", origin.get("duration_clock"));
        assertEquals(9 / (Double) origin.get("duration"), (Double) origin.get("request_throughput"), 1e-12);
        assertEquals(first.get("p99_ttft_ms"), origin.get("p99_ttft_ms"));
        // Everything but the duration, the throughputs and the clock's name is the same run.
        assertArrayEquals(Files.readAllBytes(tmp.resolve("first/requests.csv")), Files.readAllBytes(tmp.resolve("origin/requests.csv")));

        Cli bad = Cli.run("run", "--engine", "gpu-only", "--requests", SMALL, "--duration-clock", "wall", "--out",
                tmp.resolve("bad").toString(), "--quiet");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--duration-clock") && bad.err().contains("schedule-origin")
                && bad.err().contains("'wall'") && !bad.err().contains("at org."), bad.err());
    }

    @Test
    void rateBurstinessAndConcurrencyComeFromTheArrivalProcess() throws Exception {
        Map<String, Object> gamma = run("gamma", "synthetic:count=4,input=50,output=4,rate=2,cv=2");
        assertEquals(2.0, gamma.get("request_rate"));
        assertEquals(0.25, gamma.get("burstiness")); // vLLM's gamma shape, 1 / cv^2
        Map<String, Object> uniform = run("uniform", "synthetic:count=4,input=50,output=4,rate=2,arrival=uniform");
        assertEquals("inf", uniform.get("burstiness")); // vLLM: constant gaps are burstiness inf
        Map<String, Object> normalized = run("norm", "synthetic:count=4,input=50,output=4,rate=2,normalize=true");
        assertEquals(2.0, normalized.get("request_rate"));
        assertEquals(1.0, normalized.get("burstiness"));
        Map<String, Object> all = run("all", "synthetic:count=4,input=50,output=4,arrival=all");
        assertEquals("inf", all.get("request_rate"));
        assertEquals(1.0, all.get("burstiness"));
        assertNull(all.get("max_concurrency"));
        Map<String, Object> trace = run("trace", "trace:splitwise_conv,limit=4");
        assertNull(trace.get("request_rate"), "a trace's own timestamps: no configured rate");
        assertNull(trace.get("burstiness"));

        Map<String, Object> closed = run("closed", "synthetic:count=6,input=50,output=4,concurrency=2");
        assertEquals("inf", closed.get("request_rate"));
        assertEquals(2, closed.get("max_concurrency"));
        Map<String, Object> result = JsonFiles.read(tmp.resolve("closed/vllm-result.json"));
        // A closed loop's requests are all ready at t = 0 and wait for a client: vLLM's client queue time.
        assertEquals(result.get("start_times"), result.get("queue_times"));
        assertTrue(((List<?>) result.get("queue_times")).stream().anyMatch(q -> ((Number) q).doubleValue() > 0));
    }
}
