package org.apexbench.profiler;

import org.apexbench.profiler.model.ModelGeometry;

/** Model shapes for the profiler's tests (the presets themselves live in the model module's ModelPresets). */
public final class TestModels {
    private TestModels() {}

    /** meta-llama/Llama-2-7b-hf, fp16. */
    public static final ModelGeometry LLAMA_2_7B =
            new ModelGeometry("llama-2-7b", 32, 4096, 11008, 32, 32, 128, 32000, 4096, false, 2, 2);
    /** meta-llama/Llama-3.1-8B, fp16. */
    public static final ModelGeometry LLAMA_3_1_8B =
            new ModelGeometry("llama-3.1-8b", 32, 4096, 14336, 32, 8, 128, 128256, 131072, false, 2, 2);
}
