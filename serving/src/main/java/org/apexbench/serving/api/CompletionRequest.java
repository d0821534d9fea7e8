package org.apexbench.serving.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * A {@code POST /v1/completions} body, checked: the subset of the OpenAI (and vLLM) completions API that our
 * engines serve (docs/serving.md#api). One prompt per request, as token ids or as text; sampling by temperature,
 * top_p and seed; {@code ignore_eos} as vLLM has it. Fields that would change the output in a way we do not
 * implement (n &gt; 1, echo, logprobs, stop strings, penalties, ...) are refused with a 400 naming the field, not
 * ignored; fields we do not know are ignored, as vLLM does.
 *
 * @param model        the model asked for, null when absent (the served model)
 * @param promptIds    the prompt as token ids, or null when it is text
 * @param promptText   the prompt as text, or null when it is token ids
 * @param maxTokens    tokens to generate at most; null: the rest of the context (an explicit JSON null, as vLLM)
 * @param stream       answer as server-sent events
 * @param includeUsage send a usage chunk before {@code [DONE]} ({@code stream_options.include_usage})
 * @param ignoreEos    keep generating past the end-of-sequence token
 * @param temperature  0 = greedy
 * @param topP         nucleus sampling mass
 * @param seed         the request's sampling seed, null for one of the server's choosing
 */
public record CompletionRequest(String model, int[] promptIds, String promptText, Integer maxTokens, boolean stream,
                                boolean includeUsage, boolean ignoreEos, float temperature, float topP, Long seed) {
    /** OpenAI's default for {@code max_tokens} on the completions endpoint. */
    public static final int DEFAULT_MAX_TOKENS = 16;

    /** Checks a parsed JSON body; every problem is an {@link ApiError} 400 naming the field. */
    public static CompletionRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiError.badRequest("the request body must be a JSON object", null);
        String model = optionalString(body, "model");
        JsonNode prompt = body.get("prompt");
        if (prompt == null || prompt.isNull()) throw ApiError.badRequest("'prompt' is required: token ids or text", "prompt");
        int[] ids = null;
        String text = null;
        JsonNode single = prompt;
        if (prompt.isArray() && prompt.size() > 0 && (prompt.get(0).isArray() || prompt.get(0).isTextual())) {
            if (prompt.size() != 1) {
                throw ApiError.badRequest("'prompt' holds " + prompt.size() + " prompts; this server takes one prompt per request",
                        "prompt");
            }
            single = prompt.get(0);
        }
        if (single.isTextual()) {
            text = single.asText();
            if (text.isEmpty()) throw ApiError.badRequest("'prompt' is empty", "prompt");
        } else if (single.isArray()) {
            ids = tokenIds(single);
        } else {
            throw ApiError.badRequest("'prompt' must be a string, a list of token ids, or a list holding one of these; got "
                    + kind(prompt), "prompt");
        }
        Integer maxTokens = DEFAULT_MAX_TOKENS;
        JsonNode mt = body.get("max_tokens");
        if (mt != null) {
            if (mt.isNull()) {
                maxTokens = null;
            } else {
                long v = integer(mt, "max_tokens");
                if (v < 1 || v > Integer.MAX_VALUE) throw ApiError.badRequest("'max_tokens' must be >= 1, got " + v, "max_tokens");
                maxTokens = (int) v;
            }
        }
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.badRequest("'stream_options' must be an object, got " + kind(so), "stream_options");
            if (!stream) throw ApiError.badRequest("'stream_options' is only allowed when 'stream' is true", "stream_options");
            includeUsage = bool(so, "include_usage", false);
            if (bool(so, "continuous_usage_stats", false)) {
                throw ApiError.badRequest("'stream_options.continuous_usage_stats' is not supported by this server", "stream_options");
            }
        }
        boolean ignoreEos = bool(body, "ignore_eos", false);
        float temperature = (float) number(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiError.badRequest("'temperature' must be in [0, 2], got " + body.get("temperature"), "temperature");
        }
        float topP = (float) number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw ApiError.badRequest("'top_p' must be in (0, 1], got " + body.get("top_p"), "top_p");
        Long seed = null;
        JsonNode s = body.get("seed");
        if (s != null && !s.isNull()) seed = integer(s, "seed");
        refuseUnsupported(body);
        return new CompletionRequest(model, ids, text, maxTokens, stream, includeUsage, ignoreEos, temperature, topP, seed);
    }

    /** Fields whose non-default values we do not implement: refused, so a client never gets silently different output. */
    private static void refuseUnsupported(JsonNode body) {
        Map<String, String> defaults = Map.ofEntries(Map.entry("n", "1"), Map.entry("best_of", "1"), Map.entry("echo", "false"),
                Map.entry("logprobs", "null"), Map.entry("suffix", "null"), Map.entry("stop", "null"),
                Map.entry("stop_token_ids", "null"), Map.entry("presence_penalty", "0"), Map.entry("frequency_penalty", "0"),
                Map.entry("repetition_penalty", "1"), Map.entry("logit_bias", "null"), Map.entry("min_tokens", "0"),
                Map.entry("top_k", "-1"), Map.entry("prompt_logprobs", "null"));
        for (Iterator<Map.Entry<String, JsonNode>> it = body.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String neutral = defaults.get(f.getKey());
            if (neutral == null || isNeutral(f.getKey(), f.getValue())) continue;
            throw ApiError.badRequest("'" + f.getKey() + "' = " + f.getValue() + " is not supported by this server (only "
                    + neutral + (f.getKey().equals("top_k") ? " or 0" : "") + ", or leaving it out)", f.getKey());
        }
    }

    private static boolean isNeutral(String field, JsonNode v) {
        if (v.isNull()) return true;
        return switch (field) {
            case "n", "best_of" -> v.isNumber() && v.asDouble() == 1;
            case "echo" -> v.isBoolean() && !v.asBoolean();
            case "stop" -> (v.isTextual() && v.asText().isEmpty()) || (v.isArray() && v.isEmpty());
            case "stop_token_ids", "logit_bias" -> (v.isArray() || v.isObject()) && v.isEmpty();
            case "presence_penalty", "frequency_penalty", "min_tokens" -> v.isNumber() && v.asDouble() == 0;
            case "repetition_penalty" -> v.isNumber() && v.asDouble() == 1;
            case "top_k" -> v.isNumber() && (v.asDouble() == -1 || v.asDouble() == 0);
            default -> false;
        };
    }

    private static int[] tokenIds(JsonNode array) {
        if (array.isEmpty()) throw ApiError.badRequest("'prompt' is an empty list of token ids", "prompt");
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.canConvertToExactIntegral() || !t.canConvertToInt() || t.asInt() < 0) {
                throw ApiError.badRequest("'prompt' token " + i + " must be a token id (an integer >= 0), got " + t, "prompt");
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw ApiError.badRequest("'" + field + "' must be a string, got " + kind(v), field);
        return v.asText();
    }

    private static boolean bool(JsonNode body, String field, boolean def) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return def;
        if (!v.isBoolean()) throw ApiError.badRequest("'" + field + "' must be true or false, got " + v, field);
        return v.asBoolean();
    }

    private static double number(JsonNode body, String field, double def) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return def;
        if (!v.isNumber()) throw ApiError.badRequest("'" + field + "' must be a number, got " + v, field);
        return v.asDouble();
    }

    private static long integer(JsonNode v, String field) {
        if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToLong()) {
            throw ApiError.badRequest("'" + field + "' must be an integer, got " + v, field);
        }
        return v.asLong();
    }

    private static String kind(JsonNode v) {
        return v.isArray() ? "a list" : v.isObject() ? "an object" : v.isTextual() ? "a string" : v.isNumber() ? "a number"
                : v.isBoolean() ? "a boolean" : "null";
    }
}
