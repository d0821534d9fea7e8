package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
    @TempDir Path dir;

    private static final String BASE = """
            "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4,
            "vocab_size": 100, "rms_norm_eps": 1e-5, "max_position_embeddings": 256""";

    @Test
    void readsTinyLlama2Fixture() {
        ModelConfig c = ModelConfig.load(SafetensorsTest.fixtures().resolve("tiny-llama2"));
        assertEquals("tiny-llama2", c.name());
        assertEquals(128, c.hiddenSize());
        assertEquals(352, c.intermediateSize());
        assertEquals(4, c.layers());
        assertEquals(8, c.heads());
        assertEquals(8, c.kvHeads());
        assertEquals(16, c.headDim());
        assertEquals(512, c.vocabSize());
        assertEquals(512, c.maxPositionEmbeddings());
        assertEquals(1e-5f, c.rmsNormEps());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(RopeConfig.plain(10000), c.rope());
    }

    @Test
    void readsTinyLlama3FixtureWithLlama3Scaling() {
        ModelConfig c = ModelConfig.load(SafetensorsTest.fixtures().resolve("tiny-llama3/config.json"));
        assertEquals(2, c.kvHeads());
        assertEquals(RopeConfig.llama3(500000, 8, 1, 4, 64), c.rope());
        assertEquals(c, ModelPresets.config("tiny-llama3").withName("tiny-llama3"));
    }

    @Test
    void readsTinyLlama32FixtureWrittenInTheRopeParametersForm() {
        // transformers 5 wrote this config.json: rope_theta and the llama3 scaling inside rope_parameters.
        ModelConfig c = ModelConfig.load(SafetensorsTest.fixtures().resolve("tiny-llama32"));
        assertEquals("tiny-llama32", c.name());
        assertEquals(96, c.hiddenSize());
        assertEquals(256, c.intermediateSize());
        assertEquals(2, c.layers());
        assertEquals(4, c.heads());
        assertEquals(2, c.kvHeads());
        assertEquals(32, c.headDim());
        assertEquals(128, c.qWidth(), "head_dim is explicit, not hidden_size / heads");
        assertEquals(384, c.vocabSize());
        assertEquals(512, c.maxPositionEmbeddings());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(RopeConfig.llama3(500000, 32, 1, 4, 32), c.rope());
    }

    @Test
    void llama3InverseFrequenciesFollowHuggingFace() {
        // Independently computed with the formula of transformers' _compute_llama3_parameters (theta 5e5,
        // head_dim 16, factor 8, low 1, high 4, original 64): index 0 kept, 1 smoothed, 2.. divided by 8.
        double[] expected = {1.0, 0.0794030091792082, 0.004700753866357992, 0.0009115830921521386,
                0.00017677669529663688, 3.428102195952591e-05, 6.647869871181236e-06, 1.2891731721515574e-06};
        float[] got = RopeConfig.llama3(500000, 8, 1, 4, 64).inverseFrequencies(16);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], expected[i] * 1e-6, "inv_freq[" + i + "]");
        }
        float[] plain = RopeConfig.plain(10000).inverseFrequencies(4);
        assertArrayEquals(new float[] {1f, 0.01f}, plain, 1e-7f);
    }

    @Test
    void acceptsNewerRopeParametersLayout() {
        ModelConfig classic = ModelConfig.parse("{" + BASE + """
                , "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}""", "a");
        ModelConfig newer = ModelConfig.parse("{" + BASE + """
                , "rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}""", "a");
        ModelConfig oldKey = ModelConfig.parse("{" + BASE + """
                , "rope_theta": 500000.0, "rope_scaling": {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}""", "a");
        assertEquals(classic, newer);
        assertEquals(classic, oldKey);
        ModelConfig plain = ModelConfig.parse("{" + BASE + ", \"rope_parameters\": {\"rope_theta\": 1e4, \"rope_type\": \"default\"}}", "a");
        assertEquals(RopeConfig.plain(10000), plain.rope());
    }

    @Test
    void appliesLlamaDefaults() {
        ModelConfig c = ModelConfig.parse("{" + BASE + "}", "x");
        assertEquals(4, c.kvHeads());
        assertEquals(16, c.headDim());
        assertEquals(RopeConfig.plain(10000), c.rope());
    }

    private String error(String json) throws IOException {
        Path f = Files.writeString(dir.resolve("config.json"), json);
        return assertThrows(ModelFormatException.class, () -> ModelConfig.load(dir)).getMessage();
    }

    @Test
    void unknownRopeTypeNamesFileAndField() throws IOException {
        String msg = error("{" + BASE + ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}");
        assertTrue(msg.contains("config.json") && msg.contains("rope_scaling.rope_type") && msg.contains("'yarn'"), msg);
        String msg2 = error("{" + BASE + ", \"rope_parameters\": {\"rope_theta\": 1e4, \"rope_type\": \"dynamic\"}}");
        assertTrue(msg2.contains("rope_parameters.rope_type") && msg2.contains("'dynamic'"), msg2);
    }

    @Test
    void missingLlama3FieldIsNamed() throws IOException {
        String msg = error("{" + BASE + ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"low_freq_factor\": 1.0,"
                + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}}");
        assertTrue(msg.contains("config.json") && msg.contains("missing field 'rope_scaling.factor'"), msg);
    }

    @Test
    void missingRequiredFieldNamesFileAndField() throws IOException {
        String msg = error("{\"intermediate_size\": 96, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 100}");
        assertTrue(msg.contains("config.json") && msg.contains("missing field 'hidden_size'"), msg);
    }

    @Test
    void wrongTypeNamesField() throws IOException {
        String msg = error("{" + BASE.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": \"two\"") + "}");
        assertTrue(msg.contains("field 'num_hidden_layers' must be an integer") && msg.contains("two"), msg);
    }

    @Test
    void malformedJsonNamesFile() throws IOException {
        String msg = error("{\"hidden_size\": 64,");
        assertTrue(msg.contains("config.json") && msg.contains("malformed JSON"), msg);
    }

    @Test
    void missingFileIsNamed() {
        String msg = assertThrows(ModelFormatException.class, () -> ModelConfig.load(dir.resolve("nope"))).getMessage();
        assertTrue(msg.contains("nope") && msg.contains("not found"), msg);
    }

    @Test
    void inconsistentHeadsAndOtherModelTypesAreRejected() throws IOException {
        String gqa = error("{" + BASE + ", \"num_key_value_heads\": 3}");
        assertTrue(gqa.contains("config.json") && gqa.contains("multiple of num_key_value_heads"), gqa);
        String type = error("{" + BASE + ", \"model_type\": \"gpt2\"}");
        assertTrue(type.contains("'model_type' is 'gpt2'"), type);
    }

    /** Issue 11: hidden_act gelu was accepted and run as SiLU; fields that change the arithmetic are refused. */
    @Test
    void configsThisImplementationWouldRunWronglyAreRefused() throws IOException {
        assertTrue(error("{" + BASE + ", \"hidden_act\": \"gelu\"}").contains("field 'hidden_act' is 'gelu', only 'silu'"));
        assertTrue(error("{" + BASE + ", \"hidden_activation\": \"gelu_pytorch_tanh\"}").contains("'hidden_activation'"));
        assertTrue(error("{" + BASE + ", \"attention_bias\": true}").contains("field 'attention_bias' is true"));
        assertTrue(error("{" + BASE + ", \"mlp_bias\": true}").contains("field 'mlp_bias' is true"));
        assertTrue(error("{" + BASE + ", \"architectures\": [\"Qwen2ForCausalLM\"]}").contains("only LlamaForCausalLM"));
        assertTrue(error("{" + BASE + ", \"rope_theta\": 1e400}").contains("field 'rope_theta' must be a finite number"));
        assertTrue(error("{" + BASE + ", \"vocab_size\": 7}").contains("Duplicate field 'vocab_size'"));
        ModelConfig.parse("{" + BASE + ", \"hidden_act\": \"silu\", \"attention_bias\": false, \"architectures\": [\"LlamaForCausalLM\"]}", "ok");
    }
}
