package org.apexbench.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.VllmRequest;
import org.apexbench.serving.client.OpenAiEngine;
import org.apexbench.serving.server.ApexServer;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code openai} client engine: against {@code apex serve} every request gets exactly its tokens; against scripted
 * servers its measurements are those of vLLM's client (chunk times, usage counts), failures and cut-short answers
 * are recorded as such, and an address where no API answers is a clear error before any request is sent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenAiEngineTest {

    static List<RequestSpec> referenceWorkload(JsonNode cases, double gapSec) {
        List<RequestSpec> specs = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            specs.add(new RequestSpec(c.get("name").asText(), i * gapSec, TestServer.ints(c.get("prompt")), c.get("greedy").size(),
                    SamplingParams.GREEDY));
        }
        return specs;
    }

    @Test
    void benchmarkingApexServeGivesEveryRequestAllItsTokensOpenAndClosedLoop() throws Exception {
        JsonNode cases = TestServer.reference(ServeTest.MODEL);
        try (ApexServer server = TestServer.start("static-hybrid:neo", ServeTest.MODEL, 6, 200, -1)) {
            List<RequestSpec> specs = referenceWorkload(cases, 0.05);
            for (int concurrency : new int[] {0, 2}) {
                List<int[]> done = new ArrayList<>();
                OpenAiEngine.Result r = OpenAiEngine.run(OpenAiEngine.Options.parse(Map.of("url", server.url().toString())), specs,
                        concurrency, (d, total) -> done.add(new int[] {d, total}));
                assertEquals("tiny-llama3", r.model());
                assertEquals(specs.size(), done.size(), "progress told once per request");
                assertEquals(specs.size(), r.requests().size());
                for (int i = 0; i < specs.size(); i++) {
                    RequestRecord rec = r.requests().get(i);
                    assertEquals(specs.get(i).id(), rec.id(), "records in workload order");
                    assertNull(rec.failureReason(), rec.toString());
                    assertTrue(rec.succeeded());
                    assertEquals(specs.get(i).promptLength(), rec.promptTokens());
                    assertEquals(specs.get(i).outputTokens(), rec.outputTokens());
                    if (concurrency == 0) assertTrue(rec.arrivalSec() >= specs.get(i).arrivalSec(), "sent at its arrival time");
                    VllmRequest v = VllmRequest.of(rec);
                    assertEquals(rec.outputTokens() - 1, v.itl().length, "one chunk per token from apex serve");
                    assertTrue(v.ttft() > 0 && v.latency() >= v.ttft());
                }
            }
        }
    }

    @Test
    void anAddressWhereNothingListensIsAClearErrorBeforeAnyRequest() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var e = assertThrows(IllegalStateException.class, () -> OpenAiEngine.run(
                OpenAiEngine.Options.parse(Map.of("url", "http://127.0.0.1:" + port)), List.of(spec("a", 1, 0, 2)), 0, null));
        assertTrue(e.getMessage().contains("cannot connect to http://127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void aServerThatDoesNotSpeakTheApiIsAClearError() throws Exception {
        HttpServer html = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        html.createContext("/", ex -> respond(ex, 200, "text/html", "<html><body>a web page</body></html>"));
        html.start();
        try {
            String url = "http://127.0.0.1:" + html.getAddress().getPort();
            var e = assertThrows(IllegalStateException.class, () -> OpenAiEngine.run(OpenAiEngine.Options.parse(Map.of("url", url)),
                    List.of(spec("a", 1, 0, 2)), 0, null));
            assertTrue(e.getMessage().contains("not the OpenAI API") && e.getMessage().contains("text/html"), e.getMessage());
        } finally {
            html.stop(0);
        }
    }

    @Test
    void badOptionsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> OpenAiEngine.Options.parse(Map.of("model", "m")));
        assertTrue(e.getMessage().contains("url=http://HOST:PORT"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpenAiEngine.Options.parse(Map.of("url", "http://h:1", "uri", "x")));
        assertTrue(e.getMessage().contains("unknown option 'uri'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpenAiEngine.Options.parse(Map.of("url", "ftp://h:1")));
        assertTrue(e.getMessage().contains("http://HOST:PORT"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OpenAiEngine.Options.parse(Map.of("url", "http://h:1",
                "idle_timeout_s", "-1")));
        assertTrue(e.getMessage().contains("idle_timeout_s must be a number > 0"), e.getMessage());
    }

    /**
     * A scripted server: the prompt's first token picks the answer. 1: three chunks 150 ms apart, the second carrying two
     * tokens, then usage (4 tokens); 2: HTTP 400 with an OpenAI error; 3: a data line that is not JSON; 4: one chunk,
     * then silence; 5: a stream that ends without content.
     */
    @Test
    void eachRequestIsMeasuredFromItsStreamAsVllmsClientDoesAndFailuresAreKept() throws Exception {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        stub.createContext("/v1/models", ex -> respond(ex, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"m\"}]}"));
        stub.createContext("/v1/completions", OpenAiEngineTest::scripted);
        stub.start();
        try {
            String url = "http://127.0.0.1:" + stub.getAddress().getPort();
            List<RequestSpec> specs = List.of(spec("chunks", 1, 0, 4), spec("short", 1, 0, 6), spec("http-error", 2, 0, 4),
                    spec("garbage", 3, 0, 4), spec("silent", 4, 0, 4), spec("empty", 5, 0, 4));
            OpenAiEngine.Result r = OpenAiEngine.run(OpenAiEngine.Options.parse(Map.of("url", url, "idle_timeout_s", "1.5")),
                    specs, 0, null);
            RequestRecord chunks = r.requests().get(0);
            assertNull(chunks.failureReason());
            assertEquals(4, chunks.outputTokens());
            assertEquals(7, chunks.promptTokens(), "the prompt length is the server's usage count, as vLLM takes it");
            double[] t = chunks.tokenTimesSec();
            assertEquals(t[1], t[2], "the two tokens of one chunk share its time");
            VllmRequest v = VllmRequest.of(chunks);
            assertEquals(2, v.itl().length, "vLLM's client counts one gap per chunk");
            for (double gap : v.itl()) assertTrue(gap > 0, "gap " + gap);
            // the server spent 300 ms between its first and last chunk; the first may reach us late on a loaded machine
            assertTrue(t[3] - t[0] >= 0.15, "first to last chunk " + (t[3] - t[0]));
            assertEquals(t[3] - chunks.arrivalSec(), v.latency(), 1e-12);
            assertEquals((v.latency() - v.ttft()) / 3, v.tpot(), 1e-12);

            assertTrue(r.requests().get(1).failureReason().startsWith("cut short: 4 of 6 tokens (finish_reason length)"),
                    r.requests().get(1).failureReason());
            assertEquals("HTTP 400: prompt token 0 is not allowed", r.requests().get(2).failureReason());
            assertTrue(r.requests().get(3).failureReason().startsWith("not the OpenAI protocol: an event's data is not JSON"),
                    r.requests().get(3).failureReason());
            assertTrue(r.requests().get(4).failureReason().startsWith("no data from the server for 1.5 s"),
                    r.requests().get(4).failureReason());
            assertTrue(r.requests().get(5).failureReason().contains("without any content chunk"), r.requests().get(5).failureReason());
            for (RequestRecord f : r.requests().subList(1, 6)) assertTrue(!f.succeeded());
        } finally {
            stub.stop(0);
        }
    }

    private static void scripted(HttpExchange ex) throws IOException {
        JsonNode body = TestServer.JSON.readTree(ex.getRequestBody());
        assertEquals(true, body.get("stream").asBoolean());
        assertEquals(true, body.get("ignore_eos").asBoolean());
        assertEquals(true, body.get("stream_options").get("include_usage").asBoolean());
        int kind = body.get("prompt").get(0).asInt();
        if (kind == 2) {
            respond(ex, 400, "application/json", "{\"error\":{\"message\":\"prompt token 0 is not allowed\",\"type\":\"invalid_request_error\"}}");
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            switch (kind) {
                case 1 -> {
                    out.write(": a comment, as a keep-alive ping\n\n".getBytes(StandardCharsets.UTF_8));
                    chunk(out, "[5]", null);
                    sleep(150);
                    chunk(out, "[6, 7]", null);
                    sleep(150);
                    chunk(out, "[8]", "length");
                    data(out, "{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":4,\"total_tokens\":11}}");
                    data(out, "[DONE]");
                }
                case 3 -> data(out, "this is not json");
                case 4 -> {
                    chunk(out, "[5]", null);
                    sleep(5000);
                }
                default -> data(out, "[DONE]");
            }
        } catch (IOException gone) {
            // the client hung up (the silent case)
        }
    }

    private static void chunk(OutputStream out, String ids, String finish) throws IOException {
        data(out, "{\"id\":\"c\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"x\",\"token_ids\":" + ids
                + ",\"finish_reason\":" + (finish == null ? "null" : "\"" + finish + "\"") + "}]}");
    }

    private static void data(OutputStream out, String payload) throws IOException {
        out.write(("data: " + payload + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    static RequestSpec spec(String id, int firstToken, double arrival, int output) {
        return new RequestSpec(id, arrival, new int[] {firstToken, 9, 9}, output, SamplingParams.GREEDY);
    }
}
