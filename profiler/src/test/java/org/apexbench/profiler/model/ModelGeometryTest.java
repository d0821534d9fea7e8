package org.apexbench.profiler.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.apexbench.profiler.TestModels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sizes derived from the shape (the presets' known sizes are checked in the model module's ModelPresetsTest). */
class ModelGeometryTest {
    @Test
    void llama2_7bHasItsKnownSizes() {
        ModelGeometry g = TestModels.LLAMA_2_7B;
        // 6.738e9 parameters (Hugging Face model card), fp16
        assertEquals(6_738_415_616L * 2, g.totalWeightBytes());
        assertEquals(512 * 1024, g.kvBytesPerToken());   // 2 x 32 layers x 4096 x 2 bytes
        assertEquals(16 * 1024, g.kvBytesPerTokenPerLayer());
        assertEquals(2L * (4096L * 3 * 4096 + 4096L * 4096 + 3L * 4096 * 11008), g.linearFlopsPerTokenPerLayer());
    }

    @Test
    void activationsAreAsWideAsTheKvUnlessSaidOtherwise() {
        ModelGeometry g = TestModels.LLAMA_3_1_8B;
        assertEquals(2, g.activationBytesPerElement());
        assertEquals((4096L + 2 * 1024) * 2, g.qkvBytesPerToken());
        ModelGeometry fp32 = g.withActivationBytes(4);
        assertEquals((4096L + 2 * 1024) * 4, fp32.qkvBytesPerToken());
        assertEquals(4096L * 4, fp32.attnOutBytesPerToken());
        assertEquals(g.kvBytesPerToken(), fp32.kvBytesPerToken(), "the KV keeps its own width");
    }

    @Test
    void jsonCarriesTheShapeButNotTheActivationWidth() throws Exception {
        var mapper = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES).build();
        String json = mapper.writeValueAsString(TestModels.LLAMA_3_1_8B.withActivationBytes(4));
        assertFalse(json.contains("activation"), json);
        ModelGeometry back = mapper.readValue(json, ModelGeometry.class);
        assertEquals(TestModels.LLAMA_3_1_8B, back, "read back with activations as wide as the KV, as profiles always were");
    }

    @Test
    void headsMustBeAMultipleOfKvHeads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelGeometry("bad", 1, 64, 64, 6, 4, 16, 10, 16, false, 2, 2));
        assertTrue(e.getMessage().contains("kvHeads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TestModels.LLAMA_2_7B.withActivationBytes(0));
        assertTrue(e.getMessage().contains("activationBytesPerElement"), e.getMessage());
    }
}
