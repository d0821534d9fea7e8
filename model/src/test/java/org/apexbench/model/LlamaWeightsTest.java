package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.workloads.SamplingParams;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlamaWeightsTest {
    @TempDir Path dir;
    private Backend backend;

    @BeforeAll
    void open() { backend = Backends.open("cpu", 2); }

    @AfterAll
    void close() { backend.close(); }

    @Test
    void fixtureGateUpIsStackedWithoutCopy() {
        try (LlamaWeights w = LlamaWeights.load(Fixture.root().resolve("tiny-llama3"), backend)) {
            assertEquals(0, w.copiedGateUpLayers());
            assertEquals(DType.BF16, w.layer(0).gateUp().dtype());
            assertEquals(2 * 384, w.layer(0).gateUp().rows());
        }
    }

    /**
     * The fixture re-written as float32 in reverse name order (up before gate: the copy path) and split
     * over two shards with an index: same greedy tokens as the reference.
     */
    @Test
    void shardedF32CheckpointInOtherOrderGivesReferenceTokens() throws IOException {
        Fixture f = Fixture.load("tiny-llama2");
        Map<String, SafetensorsFiles.F32> first = new LinkedHashMap<>();
        Map<String, SafetensorsFiles.F32> second = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"weight_map\": {");
        try (Safetensors st = Safetensors.open(f.dir())) {
            List<String> names = new ArrayList<>(st.names());
            java.util.Collections.reverse(names);
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                boolean inFirst = i < names.size() / 2;
                (inFirst ? first : second).put(n, new SafetensorsFiles.F32(st.info(n).shape(), st.floats(n)));
                index.append(i == 0 ? "" : ",").append('"').append(n).append("\": \"")
                        .append(inFirst ? "a.safetensors" : "b.safetensors").append('"');
            }
        }
        SafetensorsFiles.writeF32(dir.resolve("a.safetensors"), first);
        SafetensorsFiles.writeF32(dir.resolve("b.safetensors"), second);
        Files.writeString(dir.resolve(Safetensors.INDEX_FILE), index.append("}}").toString());
        Files.copy(f.dir().resolve("config.json"), dir.resolve("config.json"));
        try (LlamaModel model = new LlamaModel(LlamaWeights.load(dir, backend), backend)) {
            assertEquals(4, model.weights().copiedGateUpLayers());
            assertEquals(DType.F32, model.weights().layer(0).q().dtype());
            Generator g = new Generator(model, Generator.Options.of(DType.F32));
            Fixture.Case c = f.cases().get(1);
            assertArrayEquals(c.greedy(), g.generate(List.of(c.prompt()), 24, SamplingParams.GREEDY).getFirst());
            assertTrue(Fixture.maxAbsDiff(g.prefillLogits(c.prompt()), c.prefillLogits()) <= 1e-4f);
        }
    }

    @Test
    void tensorShapeDisagreeingWithConfigNamesFileTensorAndShapes() throws IOException {
        Path src = Fixture.root().resolve("tiny-llama2");
        Files.writeString(dir.resolve("config.json"),
                Files.readString(src.resolve("config.json")).replace("\"intermediate_size\": 352", "\"intermediate_size\": 300"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String msg = assertThrows(ModelFormatException.class, () -> LlamaWeights.load(dir, backend)).getMessage();
        assertTrue(msg.contains("model.safetensors") && msg.contains("'model.layers.0.mlp.gate_proj.weight'")
                && msg.contains("[352, 128]") && msg.contains("expects [300, 128]"), msg);
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        SafetensorsFiles.writeF32(dir.resolve("model.safetensors"), SafetensorsFiles.tensors(
                "model.embed_tokens.weight", new long[] {512, 128}, new float[512 * 128]));
        Files.copy(Fixture.root().resolve("tiny-llama2/config.json"), dir.resolve("config.json"));
        String msg = assertThrows(ModelFormatException.class, () -> LlamaWeights.load(dir, backend)).getMessage();
        assertTrue(msg.contains("model.safetensors") && msg.contains("missing tensor 'model.layers.0.mlp.gate_proj.weight'"), msg);
    }

    @Test
    void tiedCheckpointWithoutLmHeadUsesTheEmbeddingAsHead() {
        // tiny-llama32's model.safetensors has no lm_head.weight (transformers drops tied copies).
        try (LlamaWeights w = LlamaWeights.load(Fixture.root().resolve("tiny-llama32"), backend)) {
            assertSame(w.embedding(), w.lmHead());
            assertEquals(w.config().geometry(DType.BF16, DType.BF16).totalWeightBytes(), w.bytes(), "bf16 weights, the tied head counted once");
        }
    }

    @Test
    void tiedEmbeddingsShareTheEmbeddingMatrix() {
        ModelConfig tied = new ModelConfig("tied", 32, 48, 1, 4, 2, 8, 50, 1e-5f, 64, true, RopeConfig.plain(10000));
        try (LlamaWeights w = LlamaWeights.synthetic(tied, DType.BF16, 1, backend)) {
            assertSame(w.embedding(), w.lmHead());
            assertEquals(tied.geometry(DType.BF16, DType.BF16).totalWeightBytes(), w.bytes());
        }
    }
}
