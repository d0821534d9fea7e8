package org.apexbench.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads a Hugging Face Llama {@code config.json}. Fields we use (LlamaConfig defaults in brackets):
 * <pre>
 *   hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, vocab_size   (required)
 *   num_key_value_heads [num_attention_heads]   head_dim [hidden_size / num_attention_heads]
 *   rms_norm_eps [1e-6]   max_position_embeddings [2048]   tie_word_embeddings [false]
 *   rope, classic layout:  rope_theta [10000], rope_scaling: null | {rope_type|type, factor,
 *                          low_freq_factor, high_freq_factor, original_max_position_embeddings}
 *   rope, newer layout:    rope_parameters: {rope_theta, rope_type, (the same llama3 keys)}
 * </pre>
 * Every error names the file and the field and says what was expected.
 */
final class ConfigJson {
    /** Duplicate keys are refused: which of two values a reader takes is not defined. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private ConfigJson() {}

    static ModelConfig read(Path configOrDir) {
        Path file = Files.isDirectory(configOrDir) ? configOrDir.resolve("config.json") : configOrDir;
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": model config not found (expected a Hugging Face config.json)");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read model config: " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, file.toString(), dir == null ? file.toString() : dir.getFileName().toString());
    }

    static ModelConfig parse(String text, String source) {
        return parse(text, source, source);
    }

    private static ModelConfig parse(String text, String source, String modelName) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(source + ": expected a JSON object with the model's hyper-parameters");
        }
        Fields f = new Fields(source, root, "");
        String modelType = f.optionalText("model_type", null);
        if (modelType != null && !modelType.equals("llama")) {
            throw new ModelFormatException(source + ": field 'model_type' is '" + modelType
                    + "', only 'llama' (Llama 2 / Llama 3.x) is supported");
        }
        requireSupported(f, root, source);
        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        int kvHeads = f.optionalInt("num_key_value_heads", heads);
        if (heads <= 0) {
            throw new ModelFormatException(source + ": field 'num_attention_heads' must be positive, got " + heads);
        }
        if (hidden % heads != 0 && !root.hasNonNull("head_dim")) {
            throw new ModelFormatException(source + ": field 'head_dim' is absent and hidden_size (" + hidden
                    + ") is not a multiple of num_attention_heads (" + heads + ")");
        }
        int headDim = f.optionalInt("head_dim", hidden / heads);
        RopeConfig rope = rope(f, root, source);
        try {
            return new ModelConfig(modelName, hidden, f.requiredInt("intermediate_size"),
                    f.requiredInt("num_hidden_layers"), heads, kvHeads, headDim, f.requiredInt("vocab_size"),
                    (float) f.optionalDouble("rms_norm_eps", 1e-6), f.optionalInt("max_position_embeddings", 2048),
                    f.optionalBoolean("tie_word_embeddings", false), rope);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fields that change the arithmetic in ways this implementation does not do are refused, never ignored: another
     * architecture, another activation than SiLU (gelu would run as SiLU and give other tokens), attention or MLP
     * biases (their tensors would go unused).
     */
    private static void requireSupported(Fields f, JsonNode root, String source) {
        JsonNode arch = root.get("architectures");
        if (arch != null && !arch.isNull()) {
            if (!arch.isArray()) throw new ModelFormatException(source + ": field 'architectures' must be a list of names, got " + arch);
            for (JsonNode a : arch) {
                if (!a.isTextual() || !a.textValue().equals("LlamaForCausalLM")) {
                    throw new ModelFormatException(source + ": field 'architectures' lists " + a
                            + "; only LlamaForCausalLM (Llama 2 / Llama 3.x) is supported");
                }
            }
        }
        for (String act : new String[] {"hidden_act", "hidden_activation"}) {
            String v = f.optionalText(act, "silu");
            if (!v.equals("silu")) {
                throw new ModelFormatException(source + ": field '" + act + "' is '" + v
                        + "', only 'silu' (Llama's SwiGLU MLP) is supported");
            }
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (f.optionalBoolean(bias, false)) {
                throw new ModelFormatException(source + ": field '" + bias + "' is true; Llama without biases is supported, "
                        + "and bias tensors would go unused");
            }
        }
    }

    private static RopeConfig rope(Fields top, JsonNode root, String source) {
        JsonNode params = root.get("rope_parameters");
        Fields scaling;
        double theta;
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                throw new ModelFormatException(source + ": field 'rope_parameters' must be an object, got " + params);
            }
            scaling = new Fields(source, params, "rope_parameters.");
            theta = params.has("rope_theta") ? scaling.requiredDouble("rope_theta") : top.optionalDouble("rope_theta", 10000);
        } else {
            theta = top.optionalDouble("rope_theta", 10000);
            JsonNode rs = root.get("rope_scaling");
            if (rs == null || rs.isNull()) {
                return plain(theta, source);
            }
            if (!rs.isObject()) {
                throw new ModelFormatException(source + ": field 'rope_scaling' must be null or an object, got " + rs);
            }
            scaling = new Fields(source, rs, "rope_scaling.");
        }
        String typeField = scaling.node.has("rope_type") ? "rope_type" : "type";
        String type = scaling.optionalText(typeField, "default");
        switch (type) {
            case "default" -> { return plain(theta, source); }
            case "llama3" -> {
                try {
                    return RopeConfig.llama3(theta, scaling.requiredDouble("factor"), scaling.requiredDouble("low_freq_factor"),
                            scaling.requiredDouble("high_freq_factor"), scaling.requiredInt("original_max_position_embeddings"));
                } catch (IllegalArgumentException e) {
                    if (e instanceof ModelFormatException) throw e;
                    throw new ModelFormatException(source + ": field '" + scaling.prefix + "': " + e.getMessage(), e);
                }
            }
            default -> throw new ModelFormatException(source + ": field '" + scaling.prefix + typeField + "' is '" + type
                    + "', supported rope types are 'default' and 'llama3'");
        }
    }

    private static RopeConfig plain(double theta, String source) {
        try {
            return RopeConfig.plain(theta);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source + ": field 'rope_theta': " + e.getMessage(), e);
        }
    }

    /** Typed access to the fields of one JSON object; {@code prefix} spells nested field names in errors. */
    private record Fields(String source, JsonNode node, String prefix) {
        int requiredInt(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw missing(field, "an integer");
            return toInt(field, v);
        }

        int optionalInt(String field, int fallback) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? fallback : toInt(field, v);
        }

        private int toInt(String field, JsonNode v) {
            if (v.isIntegralNumber() && v.canConvertToInt()) return v.intValue();
            // Some exporters write integral sizes as floats (e.g. 8192.0).
            if (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                    && Math.abs(v.doubleValue()) <= Integer.MAX_VALUE) {
                return (int) v.doubleValue();
            }
            throw wrong(field, "an integer", v);
        }

        double requiredDouble(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw missing(field, "a number");
            return finite(field, v);
        }

        double optionalDouble(String field, double fallback) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) return fallback;
            return finite(field, v);
        }

        private double finite(String field, JsonNode v) {
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) throw wrong(field, "a finite number", v);
            return v.doubleValue();
        }

        boolean optionalBoolean(String field, boolean fallback) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) return fallback;
            if (!v.isBoolean()) throw wrong(field, "true or false", v);
            return v.booleanValue();
        }

        String optionalText(String field, String fallback) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) return fallback;
            if (!v.isTextual()) throw wrong(field, "a string", v);
            return v.textValue();
        }

        private ModelFormatException missing(String field, String expected) {
            return new ModelFormatException(source + ": missing field '" + prefix + field + "' (expected " + expected + ")");
        }

        private ModelFormatException wrong(String field, String expected, JsonNode v) {
            return new ModelFormatException(source + ": field '" + prefix + field + "' must be " + expected + ", got " + v);
        }
    }
}
