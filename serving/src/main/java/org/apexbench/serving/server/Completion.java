package org.apexbench.serving.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One completion's answer as it grows, in the OpenAI completions format (object {@code text_completion}) with
 * vLLM's extra {@code token_ids} on each choice. Text is the tokenizer's decoding of the output (special tokens
 * skipped), streamed as the new characters of each token; without a tokenizer it is empty and the token ids are the
 * output.
 */
final class Completion {
    private final String id;
    private final long created;
    private final String model;
    private final int promptTokens;
    private final Tokenizer tokenizer;
    private int[] ids = new int[16];
    private int count;
    private String text = "";
    private String finishReason;

    Completion(String id, long created, String model, int promptTokens, Tokenizer tokenizer) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.promptTokens = promptTokens;
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text it adds (empty while a multi-byte character is incomplete, or without tokenizer). */
    String add(TokenStream.Token t) {
        if (count == ids.length) ids = Arrays.copyOf(ids, 2 * count);
        ids[count++] = t.id();
        if (t.finishReason() != null) finishReason = t.finishReason();
        if (tokenizer == null) return "";
        String full = tokenizer.decode(ids, count);
        if (!full.startsWith(text) || (full.endsWith("\uFFFD") && t.finishReason() == null)) return "";
        String delta = full.substring(text.length());
        text = full;
        return delta;
    }

    /** The streamed chunk of one token. */
    Map<String, Object> chunk(TokenStream.Token t, boolean includeUsage) {
        String delta = add(t);
        Map<String, Object> m = head();
        m.put("choices", List.of(choice(delta, t.finishReason(), List.of(t.id()))));
        if (includeUsage) m.put("usage", null);
        return m;
    }

    /** The last streamed chunk before [DONE] when the client asked for usage. */
    Map<String, Object> usageChunk() {
        Map<String, Object> m = head();
        m.put("choices", List.of());
        m.put("usage", usage());
        return m;
    }

    /** The whole answer of a request that was not streamed. */
    Map<String, Object> response() {
        Map<String, Object> m = head();
        List<Integer> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) all.add(ids[i]);
        m.put("choices", List.of(choice(text, finishReason, all)));
        m.put("usage", usage());
        return m;
    }

    private Map<String, Object> head() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", "text_completion");
        m.put("created", created);
        m.put("model", model);
        return m;
    }

    private static Map<String, Object> choice(String text, String finishReason, List<Integer> tokenIds) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("index", 0);
        c.put("text", text);
        c.put("logprobs", null);
        c.put("finish_reason", finishReason);
        c.put("stop_reason", null);
        c.put("token_ids", tokenIds);
        return c;
    }

    private Map<String, Object> usage() {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", promptTokens);
        u.put("total_tokens", promptTokens + count);
        u.put("completion_tokens", count);
        return u;
    }
}
