package org.apexbench.serving;

import static org.apexbench.serving.TestServer.JSON;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

import org.apexbench.serving.server.ApexServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model folder with a tokenizer.json takes text prompts and answers text (through DJL's Hugging Face tokenizers);
 * without ignore_eos a request stops at the end-of-sequence token, finish reason {@code stop}, its KV freed.
 * The folder is tiny-llama3 plus a word-level tokenizer whose word {@code wN} is token N, so the text
 * "w604 w514 w20" is reference case0's prompt and its answer is the reference tokens as words.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeTextAndEosTest {
    @TempDir static Path tmp;
    static ApexServer server;
    static JsonNode case0;
    /** The end-of-sequence token of this server: case0's 4th greedy token (its first occurrence). */
    static int eos;

    @BeforeAll
    static void start() throws Exception {
        Path model = tmp.resolve("tiny-llama3-text");
        Files.createDirectories(model);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(ServeTest.MODEL.resolve(f), model.resolve(f));
        writeWordTokenizer(model.resolve("tokenizer.json"), 640);
        case0 = TestServer.reference(ServeTest.MODEL).get(0);
        eos = case0.get("greedy").get(3).asInt();
        for (int k = 0; k < 3; k++) assertTrue(case0.get("greedy").get(k).asInt() != eos, "the 4th token is the first " + eos);
        server = TestServer.start("gpu-only", model, 100, 100, eos);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.stop(1);
    }

    /** A Hugging Face word-level tokenizer: whitespace split, word "wN" = token N (N >= 3), unknown words token 0. */
    static void writeWordTokenizer(Path file, int vocab) throws Exception {
        Map<String, Integer> words = new LinkedHashMap<>();
        words.put("<unk>", 0);
        words.put("<s>", 1);
        words.put("</s>", 2);
        for (int i = 3; i < vocab; i++) words.put("w" + i, i);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "WordLevel");
        model.put("vocab", words);
        model.put("unk_token", "<unk>");
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("version", "1.0");
        t.put("truncation", null);
        t.put("padding", null);
        t.put("added_tokens", List.of());
        t.put("normalizer", null);
        t.put("pre_tokenizer", Map.of("type", "WhitespaceSplit"));
        t.put("post_processor", null);
        t.put("decoder", null);
        t.put("model", model);
        Files.writeString(file, JSON.writeValueAsString(t));
    }

    @Test
    void textPromptsAreTokenizedAndTheAnswerIsText() throws Exception {
        StringJoiner prompt = new StringJoiner(" ");
        for (JsonNode id : case0.get("prompt")) prompt.add("w" + id.asInt());
        int[] greedy = TestServer.ints(case0.get("greedy"));
        StringJoiner expected = new StringJoiner(" ");
        for (int id : greedy) expected.add("w" + id);
        String body = JSON.writeValueAsString(Map.of("prompt", prompt.toString(), "max_tokens", greedy.length, "temperature", 0,
                "ignore_eos", true));
        HttpResponse<String> r = TestServer.post(server, "/v1/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
        assertArrayEquals(greedy, TestServer.ints(choice.get("token_ids")));
        assertEquals(expected.toString(), choice.get("text").asText());
        assertEquals(case0.get("prompt").size(), JSON.readTree(r.body()).get("usage").get("prompt_tokens").asInt());

        String streamBody = JSON.writeValueAsString(Map.of("prompt", prompt.toString(), "max_tokens", greedy.length,
                "temperature", 0, "ignore_eos", true, "stream", true));
        HttpResponse<String> s = TestServer.post(server, "/v1/completions", streamBody);
        StringBuilder text = new StringBuilder();
        for (String e : TestServer.events(s.body())) {
            if (!e.equals("[DONE]")) text.append(JSON.readTree(e).get("choices").get(0).get("text").asText());
        }
        assertEquals(expected.toString(), text.toString().strip(), "the streamed pieces make the same text");
    }

    @Test
    void withoutIgnoreEosARequestStopsAtTheEndOfSequenceTokenAndFreesItsKv() throws Exception {
        int[] prompt = TestServer.ints(case0.get("prompt"));
        for (boolean stream : new boolean[] {false, true}) {
            String body = JSON.writeValueAsString(Map.of("prompt", prompt, "max_tokens", 20, "temperature", 0, "stream", stream));
            HttpResponse<String> r = TestServer.post(server, "/v1/completions", body);
            assertEquals(200, r.statusCode(), r.body());
            int[] got;
            String finish;
            if (stream) {
                List<String> events = TestServer.events(r.body());
                got = new int[events.size() - 1];
                finish = null;
                for (int i = 0; i < got.length; i++) {
                    JsonNode c = JSON.readTree(events.get(i)).get("choices").get(0);
                    got[i] = c.get("token_ids").get(0).asInt();
                    if (!c.get("finish_reason").isNull()) finish = c.get("finish_reason").asText();
                }
            } else {
                JsonNode c = JSON.readTree(r.body()).get("choices").get(0);
                got = TestServer.ints(c.get("token_ids"));
                finish = c.get("finish_reason").asText();
            }
            int[] expected = new int[4];
            for (int k = 0; k < 4; k++) expected[k] = case0.get("greedy").get(k).asInt();
            assertArrayEquals(expected, got, "stops at the EOS token, which it includes (stream " + stream + ")");
            assertEquals("stop", finish);
        }
        Map<String, Double> m = TestServer.metricsWhenIdle(server, 10);
        assertEquals(0, m.get("apex_kv_blocks_used{pool=\"gpu\"}"), "the stopped request's KV is freed");
        assertEquals(0, m.get("apex_requests_running"));
        assertEquals(2, m.get("apex_requests_finished_total{finish_reason=\"stop\"}"));
    }
}
