package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apexbench.kernels.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Property-based tests (QuickTheories) of the model loaders: a real config.json and a small safetensors file with
 * random edits (values replaced by random JSON, fields removed or added, bytes changed, the length prefix or the
 * file cut) either load into a consistent config or tensor table, or fail with {@link ModelFormatException} naming
 * the file. Seeded (apex.property.seed, default 11); apex.property.examples sets the count.
 */
class ModelInputPropertiesTest {
    static final long SEED = Long.getLong("apex.property.seed", 11);
    static final int EXAMPLES = Integer.getInteger("apex.property.examples", 300);
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    private final AtomicInteger files = new AtomicInteger();

    static final List<String> VALUES = List.of("0", "1", "-1", "2", "3", "7", "8", "16", "64", "128", "2.5", "8192.0", "1e400", "1e-400",
            "2147483648", "99999999999999999999", "\"silu\"", "\"gelu\"", "\"llama\"", "\"mistral\"", "\"llama3\"", "\"default\"",
            "\"dynamic\"", "null", "true", "false", "[]", "[\"LlamaForCausalLM\"]", "[\"X\"]", "{}", "{\"rope_type\": \"llama3\"}",
            "{\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 1, \"high_freq_factor\": 4, "
                    + "\"original_max_position_embeddings\": 64}", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "[0, 4]", "[4, 0]",
            "[1]", "[2, 2]", "[0]", "[-1]", "[0, 99999]", "[1, 1, 1, 1]", "[9223372036854775807, 2]", "\"\"");
    static final List<String> NAMES = List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "vocab_size", "rms_norm_eps", "max_position_embeddings", "rope_theta", "rope_scaling",
            "rope_parameters", "tie_word_embeddings", "hidden_act", "model_type", "architectures", "attention_bias", "mlp_bias",
            "dtype", "shape", "data_offsets", "__metadata__", "w", "v");

    /** A tree edit: the n-th node (document order) replaced by a value or removed, or a named field set on an object. */
    record Edit(int node, int value, int kind) {}

    static final Gen<Edit> EDIT = integers().between(0, 100_000).zip(integers().between(0, VALUES.size() - 1),
            integers().between(0, 2), Edit::new);

    static String edit(String json, List<Edit> edits) {
        try {
            JsonNode root = JSON.readTree(json);
            for (Edit e : edits) {
                List<JsonNode[]> nodes = new ArrayList<>();
                nodes.add(new JsonNode[] {null, root});
                collect(root, nodes);
                JsonNode[] pick = nodes.get(e.node() % nodes.size());
                JsonNode value = JSON.readTree(VALUES.get(e.value()));
                if (e.kind() == 2 && pick[1] instanceof ObjectNode o) o.set(NAMES.get(e.node() % NAMES.size()), value);
                else if (pick[0] != null) replace(pick[0], pick[1], e.kind() == 1 ? null : value);
            }
            return JSON.writeValueAsString(root);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void collect(JsonNode parent, List<JsonNode[]> out) {
        for (JsonNode child : parent) {
            out.add(new JsonNode[] {parent, child});
            collect(child, out);
        }
    }

    private static void replace(JsonNode parent, JsonNode child, JsonNode with) {
        if (parent instanceof ObjectNode o) {
            for (var it = o.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue() == child) {
                    if (with == null) o.remove(e.getKey());
                    else o.set(e.getKey(), with);
                    return;
                }
            }
        } else if (parent instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i) == child) {
                    if (with == null) a.remove(i);
                    else a.set(i, with);
                    return;
                }
            }
        }
    }

    static String cut(String text, List<Integer> cuts) {
        StringBuilder b = new StringBuilder(text);
        for (int c : cuts) if (!b.isEmpty()) b.deleteCharAt(c % b.length());
        return b.toString();
    }

    @Test
    void mutatedConfigsLoadOrFailNamingTheFile() throws Exception {
        String valid = Files.readString(Fixture.root().resolve("tiny-llama3/config.json"));
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).forAll(lists().of(EDIT).ofSizeBetween(1, 3),
                lists().of(integers().between(0, 100_000)).ofSizeBetween(0, 1)).checkAssert((edits, cuts) -> {
                    String text = cut(edit(valid, edits), cuts);
                    ModelConfig c;
                    try {
                        c = ModelConfig.parse(text, "mutated/config.json");
                    } catch (ModelFormatException e) {
                        assertTrue(e.getMessage().startsWith("mutated/config.json: "), e.getMessage());
                        return;
                    } catch (Throwable t) {
                        fail("gave " + t + " instead of a ModelFormatException for " + text, t);
                        return;
                    }
                    assertTrue(c.hiddenSize() > 0 && c.layers() > 0 && c.vocabSize() > 0 && c.heads() % c.kvHeads() == 0
                            && c.headDim() % 2 == 0 && c.rmsNormEps() > 0 && Float.isFinite(c.rmsNormEps()), c.toString());
                });
    }

    /** A valid header of two F32 tensors, a [2,2] and a [3], stored back to back. */
    static final String HEADER = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"v\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}}";

    /** The header edited, then the file's length prefix and size changed by the byte edits. */
    record Bytes(int lengthDelta, int truncate, int flip) {}

    static final Gen<Bytes> BYTES = Generate.frequency(List.of(org.quicktheories.api.Pair.of(3, Generate.constant(new Bytes(0, 0, -1))),
            org.quicktheories.api.Pair.of(1, integers().between(-40, 40).zip(integers().between(0, 30), integers().between(-1, 200), Bytes::new))));

    @Test
    void mutatedSafetensorsLoadOrFailNamingTheFile() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).forAll(lists().of(EDIT).ofSizeBetween(0, 3), BYTES).checkAssert((edits, b) -> {
            byte[] header = edit(HEADER, edits).getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.allocate(8 + header.length + 28).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length + (long) b.lengthDelta()).put(header);
            for (int i = 0; i < 7; i++) buf.putFloat(i);
            byte[] bytes = java.util.Arrays.copyOf(buf.array(), Math.max(0, buf.capacity() - b.truncate()));
            if (b.flip() >= 0 && bytes.length > 0) bytes[b.flip() % bytes.length] ^= (byte) 0xA5;
            Path f = dir.resolve("m" + files.incrementAndGet() + ".safetensors");
            try {
                Files.write(f, bytes);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            try (Safetensors st = Safetensors.openFile(f)) {
                long data = bytes.length;
                List<long[]> spans = new ArrayList<>();
                for (String name : st.names()) {
                    TensorInfo t = st.info(name);
                    assertTrue(t.dtype() == DType.F32 || t.dtype() == DType.F16 || t.dtype() == DType.BF16);
                    assertEquals(t.elements() * t.dtype().bytes(), t.bytes(), name);
                    assertTrue(t.offset() >= 8 && t.offset() + t.bytes() <= data, name + " inside the file");
                    assertEquals(t.bytes(), st.data(name).byteSize());
                    if (t.bytes() > 0) spans.add(new long[] {t.offset(), t.offset() + t.bytes()});
                }
                spans.sort(java.util.Comparator.comparingLong(s -> s[0]));
                for (int i = 1; i < spans.size(); i++) assertTrue(spans.get(i)[0] >= spans.get(i - 1)[1], "no overlap");
            } catch (ModelFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                fail("gave " + t + " instead of a ModelFormatException", t);
            }
        });
    }
}
