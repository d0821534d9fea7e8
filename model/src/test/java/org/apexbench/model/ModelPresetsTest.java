package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.SamplingParams;

class ModelPresetsTest {

    @Test
    void presetsHaveThePublishedParameterCounts() {
        // Parameter counts of the Hugging Face checkpoints (sum of their tensor sizes), fp16
        assertEquals(6_738_415_616L * 2, ModelPresets.geometry("llama-2-7b").totalWeightBytes());
        assertEquals(8_030_261_248L * 2, ModelPresets.geometry("llama-3.1-8b").totalWeightBytes());
        assertEquals(1_235_814_400L * 2, ModelPresets.geometry("llama-3.2-1b").totalWeightBytes(), "embeddings tied");
        ModelConfig l3 = ModelPresets.config("llama-3.1-8b");
        assertEquals(RopeConfig.llama3(500000, 8, 1, 4, 8192), l3.rope());
        assertEquals(8, l3.kvHeads());
        ModelGeometry g = ModelPresets.geometry("llama-3.1-8b");
        assertEquals(128 * 1024, g.kvBytesPerToken());     // 2 x 32 layers x 1024 x 2 bytes (GQA 32/8)
        assertEquals(4096L * (4096 + 2 * 1024), g.qkvParams());
        assertEquals(2, ModelPresets.config("llama-2-7b", 2).layers());
    }

    @Test
    void geometryKeepsTheConfigsShapeAndTheStorageTypes() {
        ModelConfig c = ModelPresets.config("tiny-llama3");
        ModelGeometry g = c.geometry(DType.BF16, DType.F32, DType.F32);
        assertEquals(List.of(c.name(), c.layers(), c.hiddenSize(), c.intermediateSize(), c.heads(), c.kvHeads(), c.headDim(),
                c.vocabSize(), c.maxPositionEmbeddings()), List.of(g.name(), g.layers(), g.hidden(), g.intermediate(), g.heads(),
                g.kvHeads(), g.headDim(), g.vocab(), g.maxContext()));
        assertEquals(2L * 3 * 2 * 16 * 4, g.kvBytesPerToken(), "K and V of 2 heads of 16, fp32, over 3 layers");
        assertEquals((8 * 16 + 2 * 2 * 16) * 4L, g.qkvBytesPerToken());
        assertEquals(2, ModelPresets.geometry("tiny-llama3").activationBytesPerElement(), "simulated: fp16 throughout");
    }

    @Test
    void tinyPresetsMatchFixtureConfigs() {
        for (String name : List.of("tiny-llama2", "tiny-llama3")) {
            assertEquals(ModelConfig.load(Fixture.root().resolve(name)), ModelPresets.config(name));
        }
    }

    @Test
    void unknownPresetListsTheKnownOnes() {
        String msg = assertThrows(IllegalArgumentException.class, () -> ModelPresets.config("llama-9")).getMessage();
        assertTrue(msg.contains("'llama-9'") && msg.contains("llama-3.1-8b"), msg);
    }

    @Test
    void syntheticWeightsAreDeterministicAndRunThroughTheModel() {
        ModelConfig c = ModelPresets.config("tiny-llama3");
        try (Backend backend = Backends.open("cpu", 2)) {
            byte[] first;
            try (LlamaModel m = new LlamaModel(LlamaWeights.synthetic(c, DType.BF16, 42, backend), backend)) {
                first = bytes(backend, m.weights());
                int[] prompt = {5, 17, 300, 2, 99, 100, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 600};
                float[][] logits = new Generator(m, Generator.Options.of(DType.F32)).prefillLogits(prompt);
                assertEquals(prompt.length, logits.length);
                for (float[] row : logits) {
                    for (float v : row) assertTrue(Float.isFinite(v), "synthetic logits must be finite");
                }
                List<int[]> tokens = new Generator(m, Generator.Options.of(DType.BF16).withPrefillChunk(5))
                        .generate(List.of(prompt, new int[] {3}), 8, SamplingParams.GREEDY);
                assertEquals(8, tokens.get(1).length);
            }
            try (LlamaWeights same = LlamaWeights.synthetic(c, DType.BF16, 42, backend);
                 LlamaWeights other = LlamaWeights.synthetic(c, DType.BF16, 43, backend)) {
                assertArrayEquals(first, bytes(backend, same), "same seed, same weights");
                assertTrue(!java.util.Arrays.equals(first, bytes(backend, other)), "another seed, other weights");
            }
        }
    }

    /** The embedding, layer-0 gate/up and final norm bytes, read back from the backend. */
    private static byte[] bytes(Backend backend, LlamaWeights w) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (org.apexbench.kernels.Weight x : List.of(w.embedding(), w.layer(0).gateUp(), w.finalNorm())) {
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment host = a.allocate(x.bytes());
                backend.read(x.data(), 0, host);
                out.writeBytes(host.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        return out.toByteArray();
    }

    @Test
    void syntheticLayersOverrideShrinksABigPreset() {
        ModelConfig two = ModelPresets.config("llama-3.2-1b", 1);
        assertEquals(1, two.layers());
        assertArrayEquals(new int[] {2048, 128256}, new int[] {two.hiddenSize(), two.vocabSize()});
    }
}
