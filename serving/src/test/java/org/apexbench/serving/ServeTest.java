package org.apexbench.serving;

import static org.apexbench.serving.TestServer.JSON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apexbench.serving.server.ApexServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code apex serve} on loopback: the cpu backend serving tiny-llama3 with the gpu-only engine answers greedy
 * requests with exactly Hugging Face's reference tokens, streamed and not, one client or many at once; bad requests
 * get OpenAI-style errors; a client that leaves mid-stream has its request cancelled and its KV freed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeTest {
    static final Path MODEL = TestServer.model("tiny-llama3");
    static final String NAME = "tiny-llama3";
    static ApexServer server;
    static JsonNode cases;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start("gpu-only", MODEL, 200, 200, -1);
        cases = TestServer.reference(MODEL);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop(1);
    }

    @Test
    void greedyRequestsGetTheReferenceTokensWholeAndStreamed() throws Exception {
        for (JsonNode c : cases) {
            int[] prompt = TestServer.ints(c.get("prompt"));
            int[] expected = TestServer.ints(c.get("greedy"));
            HttpResponse<String> whole = TestServer.post(server, "/v1/completions",
                    TestServer.greedy(NAME, prompt, expected.length, false));
            assertEquals(200, whole.statusCode(), whole.body());
            JsonNode body = JSON.readTree(whole.body());
            assertEquals("text_completion", body.get("object").asText());
            assertEquals(NAME, body.get("model").asText());
            JsonNode choice = body.get("choices").get(0);
            assertArrayEquals(expected, TestServer.ints(choice.get("token_ids")), c.get("name").asText());
            assertEquals("length", choice.get("finish_reason").asText());
            assertEquals(prompt.length, body.get("usage").get("prompt_tokens").asInt());
            assertEquals(expected.length, body.get("usage").get("completion_tokens").asInt());

            HttpResponse<String> streamed = TestServer.post(server, "/v1/completions",
                    TestServer.greedy(NAME, prompt, expected.length, true));
            assertEquals(200, streamed.statusCode(), streamed.body());
            assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            assertArrayEquals(expected, TestServer.streamedTokens(streamed.body()), c.get("name").asText() + " streamed");
        }
    }

    @Test
    void concurrentClientsAreBatchedTogetherAndEachGetsItsOwnTokens() throws Exception {
        double iterationsBefore = iterations(TestServer.metrics(server));
        double tokensBefore = TestServer.metrics(server).get("apex_generation_tokens_total");
        int clients = 12;
        List<Callable<int[]>> calls = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            JsonNode c = cases.get(i % cases.size());
            boolean stream = i % 2 == 0;
            calls.add(() -> {
                HttpResponse<String> r = TestServer.post(server, "/v1/completions",
                        TestServer.greedy(NAME, TestServer.ints(c.get("prompt")), c.get("greedy").size(), stream));
                assertEquals(200, r.statusCode(), r.body());
                return stream ? TestServer.streamedTokens(r.body())
                        : TestServer.ints(JSON.readTree(r.body()).get("choices").get(0).get("token_ids"));
            });
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<int[]>> results = pool.invokeAll(calls);
            for (int i = 0; i < clients; i++) {
                assertArrayEquals(TestServer.ints(cases.get(i % cases.size()).get("greedy")), results.get(i).get(), "client " + i);
            }
        }
        Map<String, Double> m = TestServer.metricsWhenIdle(server, 10);
        double tokens = m.get("apex_generation_tokens_total") - tokensBefore;
        double iterations = iterations(m) - iterationsBefore;
        assertEquals(clients * cases.get(0).get("greedy").size(), tokens, 0);
        assertTrue(iterations < tokens, "continuous batching: " + iterations + " iterations for " + tokens + " tokens");
        assertEquals(0, m.get("apex_requests_running"));
        assertEquals(0, m.get("apex_kv_blocks_used{pool=\"gpu\"}"));
    }

    @Test
    void badRequestsGetOpenAiErrorsAndTheServerGoesOn() throws Exception {
        int[] prompt = TestServer.ints(cases.get(0).get("prompt"));
        expectError(TestServer.post(server, "/v1/completions", "{\"model\": \"" + NAME + "\", \"prompt\": [1, 2"), 400, null,
                "not valid JSON");
        expectError(TestServer.post(server, "/v1/completions", "[1, 2]"), 400, null, "JSON object");
        expectError(TestServer.post(server, "/v1/completions", TestServer.greedy("llama-70b", prompt, 4, false)), 404, "model",
                "llama-70b");
        expectError(TestServer.post(server, "/v1/completions", TestServer.greedy(NAME, new int[1000], 100, false)), 400,
                "max_tokens", "maximum context length is 1024");
        expectError(TestServer.post(server, "/v1/completions", "{\"prompt\": \"Hello\", \"max_tokens\": 4}"), 400, "prompt",
                "tokenizer");
        expectError(TestServer.post(server, "/v1/completions", "{\"prompt\": [1, 640], \"max_tokens\": 4}"), 400, "prompt",
                "vocabulary");
        expectError(TestServer.post(server, "/v1/completions", "{\"prompt\": [1, -3], \"max_tokens\": 4}"), 400, "prompt",
                "token id");
        expectError(TestServer.post(server, "/v1/completions", "{\"prompt\": [1, 2], \"max_tokens\": 0}"), 400, "max_tokens",
                ">= 1");
        expectError(TestServer.post(server, "/v1/completions", "{\"prompt\": [1, 2], \"n\": 2}"), 400, "n", "not supported");
        expectError(TestServer.post(server, "/v1/completions", "{\"prompt\": [1, 2], \"stream_options\": {\"include_usage\": true}}"),
                400, "stream_options", "stream");
        expectError(TestServer.get(server, "/v1/completions"), 405, null, "POST");
        expectError(TestServer.get(server, "/v1/chat/completions"), 404, null, "no such endpoint");
        HttpResponse<String> ok = TestServer.post(server, "/v1/completions", TestServer.greedy(NAME, prompt, 3, false));
        assertEquals(200, ok.statusCode(), "the server still serves: " + ok.body());
        assertTrue(TestServer.metrics(server).get("apex_http_errors_total{status=\"400\"}") >= 8);
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        HttpResponse<String> r = TestServer.get(server, "/v1/models");
        assertEquals(200, r.statusCode());
        JsonNode data = JSON.readTree(r.body()).get("data");
        assertEquals(1, data.size());
        assertEquals(NAME, data.get(0).get("id").asText());
        assertEquals(1024, data.get(0).get("max_model_len").asInt());
    }

    @Test
    void aClientThatLeavesMidStreamHasItsRequestCancelledAndItsKvFreed() throws Exception {
        Map<String, Double> before = TestServer.metrics(server);
        double cancelledBefore = before.get("apex_requests_cancelled_total");
        String body = TestServer.greedy(NAME, TestServer.ints(cases.get(0).get("prompt")), 1000, true);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            for (String line; events < 3 && (line = in.readLine()) != null; ) {
                if (line.startsWith("data: ")) events++;
            }
            assertEquals(3, events, "three tokens arrived before the client left");
        }
        Map<String, Double> m = TestServer.metrics(server);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (m.get("apex_requests_cancelled_total") == cancelledBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
            m = TestServer.metrics(server);
        }
        // the cancel counter moves when the loop drops the request, the state gauges at its next observe
        m = TestServer.metricsWhenIdle(server, 10);
        assertEquals(cancelledBefore + 1, m.get("apex_requests_cancelled_total"), "the request was cancelled, not finished");
        assertEquals(0, m.get("apex_requests_running"));
        assertEquals(0, m.get("apex_requests_waiting"));
        assertEquals(0, m.get("apex_kv_blocks_used{pool=\"gpu\"}"), "GPU KV freed");
        assertEquals(0, m.get("apex_kv_blocks_used{pool=\"host\"}"), "host KV freed");
        double generated = m.get("apex_generation_tokens_total") - before.get("apex_generation_tokens_total");
        assertTrue(generated >= 3 && generated < 1000, "it stopped early: " + generated + " of 1000 tokens");
    }

    private static double iterations(Map<String, Double> m) {
        return m.entrySet().stream().filter(e -> e.getKey().startsWith("apex_iterations_total")).mapToDouble(Map.Entry::getValue).sum();
    }

    private static void expectError(HttpResponse<String> r, int status, String param, String messagePart) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertTrue(e.get("message").asText().contains(messagePart), e.toString());
        assertEquals(status >= 500 ? "server_error" : "invalid_request_error", e.get("type").asText());
        if (param != null) assertEquals(param, e.get("param").asText(), e.toString());
        if (status == 404 && param != null) assertEquals("model_not_found", e.get("code").asText());
    }
}
