package org.apexbench.profiler.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelGeometryTest {
    @Test
    void llama2_7bHasItsKnownSizes() {
        ModelGeometry g = ModelGeometry.preset("llama-2-7b");
        // 6.738e9 parameters (Hugging Face model card), fp16
        assertEquals(6_738_415_616L * 2, g.totalWeightBytes());
        assertEquals(512 * 1024, g.kvBytesPerToken());   // 2 x 32 layers x 4096 x 2 bytes
        assertEquals(16 * 1024, g.kvBytesPerTokenPerLayer());
        assertEquals(2L * (4096L * 3 * 4096 + 4096L * 4096 + 3L * 4096 * 11008), g.linearFlopsPerTokenPerLayer());
    }

    @Test
    void llama31_8bUsesGqa() {
        ModelGeometry g = ModelGeometry.preset("llama-3.1-8b");
        assertEquals(8_030_261_248L * 2, g.totalWeightBytes());
        assertEquals(128 * 1024, g.kvBytesPerToken());     // 2 x 32 layers x 1024 x 2 bytes (GQA 32/8)
        assertEquals(4096L * (4096 + 2 * 1024), g.qkvParams());
    }

    @Test
    void llama32_1bTiesItsEmbeddings() {
        ModelGeometry g = ModelGeometry.preset("llama-3.2-1b");
        assertEquals(1_235_814_400L * 2, g.totalWeightBytes());
    }

    @Test
    void tinyPresetsMatchTheFixtures() {
        ModelGeometry t2 = ModelGeometry.preset("tiny-llama2");
        assertEquals(4, t2.layers());
        assertEquals(2L * 8 * 16 * 2, t2.kvBytesPerTokenPerLayer());
        ModelGeometry t3 = ModelGeometry.preset("tiny-llama3");
        assertEquals(2, t3.kvHeads());
        assertEquals(640, t3.vocab());
    }

    @Test
    void unknownPresetListsKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelGeometry.preset("gpt-5"));
        assertTrue(e.getMessage().contains("gpt-5") && e.getMessage().contains("llama-2-7b"), e.getMessage());
    }

    @Test
    void headsMustBeAMultipleOfKvHeads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelGeometry("bad", 1, 64, 64, 6, 4, 16, 10, 16, false, 2, 2));
        assertTrue(e.getMessage().contains("kvHeads"), e.getMessage());
    }
}
