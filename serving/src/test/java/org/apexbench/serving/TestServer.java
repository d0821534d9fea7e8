package org.apexbench.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.real.RealRun;
import org.apexbench.kernels.DType;
import org.apexbench.serving.server.ApexServer;
import org.apexbench.serving.server.ModelFolder;
import org.apexbench.serving.server.ServingEngine;

/** An {@code apex serve} of a test-data model on loopback (an ephemeral port), and a plain HTTP client for it. */
final class TestServer {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer() {}

    static Path model(String name) {
        return Path.of(System.getProperty("apex.fixtures")).resolve(name);
    }

    /** {@code engine} on the cpu backend over {@code model}, with these KV pools; {@code eos} -1: the model's own. */
    static ApexServer start(String engine, Path model, int gpuBlocks, int hostBlocks, int eos) {
        EngineBudgets budgets = new EngineBudgets(64, 512, gpuBlocks, hostBlocks, EngineBudgets.DEFAULT_BLOCK_SIZE);
        ServingEngine.Setup setup = new ServingEngine.Setup(EngineRegistry.create(engine, new EngineOptions(Map.of())), "cpu", 2,
                RealRun.checkpoint(model), DType.BF16, budgets, null, DType.F32);
        return ApexServer.start(setup, new ApexServer.Config("127.0.0.1", 0, model.getFileName().toString(), model,
                eos >= 0 ? eos : ModelFolder.eosTokenId(model)), System.err);
    }

    /** The reference cases of a test-data model: name, prompt, greedy tokens. */
    static JsonNode reference(Path model) throws IOException {
        return JSON.readTree(Files.readString(model.resolve("reference.json"))).get("cases");
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static HttpResponse<String> post(ApexServer s, String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(ApexServer s, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A greedy completion request body for {@code prompt}. */
    static String greedy(String model, int[] prompt, int maxTokens, boolean stream) {
        Map<String, Object> m = new HashMap<>();
        m.put("model", model);
        m.put("prompt", prompt);
        m.put("max_tokens", maxTokens);
        m.put("temperature", 0);
        m.put("ignore_eos", true);
        m.put("stream", stream);
        if (stream) m.put("stream_options", Map.of("include_usage", true));
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The data payloads of an event-stream body, in order ({@code [DONE]} included). */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) continue;
            assertTrue(block.startsWith("data: "), "event " + block);
            out.add(block.substring("data: ".length()));
        }
        return out;
    }

    /** Token ids of a streamed completion, checking the usage chunk and [DONE]. */
    static int[] streamedTokens(String body) throws IOException {
        List<String> events = events(body);
        assertEquals("[DONE]", events.getLast());
        JsonNode usage = JSON.readTree(events.get(events.size() - 2));
        assertEquals(0, usage.get("choices").size());
        List<Integer> ids = new ArrayList<>();
        for (String e : events.subList(0, events.size() - 2)) {
            JsonNode c = JSON.readTree(e).get("choices").get(0);
            assertEquals(1, c.get("token_ids").size(), "one token per chunk");
            ids.add(c.get("token_ids").get(0).asInt());
        }
        assertEquals(ids.size(), usage.get("usage").get("completion_tokens").asInt());
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The samples of a Prometheus text exposition: "name{labels}" -> value. */
    static Map<String, Double> metrics(ApexServer s) throws IOException, InterruptedException {
        HttpResponse<String> r = get(s, "/metrics");
        assertEquals(200, r.statusCode());
        Map<String, Double> m = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int sp = line.lastIndexOf(' ');
            String key = line.substring(0, sp).replaceAll("model_name=\"[^\"]*\",?", "").replace("{}", "");
            m.put(key, Double.parseDouble(line.substring(sp + 1)));
        }
        return m;
    }

    /**
     * The metrics once the engine holds no request and no KV, or at the deadline. A response reaches its client
     * before the loop's next observe updates the state gauges, so a scrape right after the last response may still
     * show the request running: tests that assert the idle state wait for it here.
     */
    static Map<String, Double> metricsWhenIdle(ApexServer s, double timeoutSec) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + (long) (timeoutSec * 1e9);
        Map<String, Double> m = metrics(s);
        while ((m.get("apex_requests_running") != 0 || m.get("apex_kv_blocks_used{pool=\"gpu\"}") != 0
                || m.get("apex_kv_blocks_used{pool=\"host\"}") != 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            m = metrics(s);
        }
        return m;
    }
}
