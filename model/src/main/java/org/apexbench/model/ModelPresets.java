package org.apexbench.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.apexbench.kernels.DType;
import org.apexbench.profiler.model.ModelGeometry;

/**
 * The one table of named models, with the exact shapes of the published checkpoints (their config.json): for
 * synthetic weights ({@link LlamaWeights#synthetic}) and, through {@link #geometry}, for the simulator, which needs
 * only the shape. The tiny presets match the shapes of the test-data models tiny-llama2 and tiny-llama3 in
 * testdata/models.
 */
public final class ModelPresets {
    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        // meta-llama/Llama-2-7b-hf: MHA, rope theta 1e4, no scaling.
        add(new ModelConfig("llama-2-7b", 4096, 11008, 32, 32, 32, 128, 32000, 1e-5f, 4096, false,
                RopeConfig.plain(10000)));
        // meta-llama/Llama-3.1-8B: GQA 32/8, rope theta 5e5 with llama3 scaling (8, 1, 4, 8192).
        add(new ModelConfig("llama-3.1-8b", 4096, 14336, 32, 32, 8, 128, 128256, 1e-5f, 131072, false,
                RopeConfig.llama3(500000, 8, 1, 4, 8192)));
        // meta-llama/Llama-3.2-1B: 16 layers, GQA 32/8, head_dim 64, tied embeddings, llama3 scaling factor 32.
        add(new ModelConfig("llama-3.2-1b", 2048, 8192, 16, 32, 8, 64, 128256, 1e-5f, 131072, true,
                RopeConfig.llama3(500000, 32, 1, 4, 8192)));
        // meta-llama/Llama-3.2-3B: 28 layers, GQA 24/8, tied embeddings.
        add(new ModelConfig("llama-3.2-3b", 3072, 8192, 28, 24, 8, 128, 128256, 1e-5f, 131072, true,
                RopeConfig.llama3(500000, 32, 1, 4, 8192)));
        // The shapes of the test-data models (testdata/models/README.md).
        add(new ModelConfig("tiny-llama2", 128, 352, 4, 8, 8, 16, 512, 1e-5f, 512, false, RopeConfig.plain(10000)));
        add(new ModelConfig("tiny-llama3", 128, 384, 3, 8, 2, 16, 640, 1e-5f, 1024, false,
                RopeConfig.llama3(500000, 8, 1, 4, 64)));
    }

    private ModelPresets() {}

    private static void add(ModelConfig c) { PRESETS.put(c.name(), c); }

    /** Preset names, in the table's order. */
    public static Set<String> names() { return PRESETS.keySet(); }

    /** The preset's shape with fp16 weights and KV (what simulated runs use); an unknown name is an error listing the known ones. */
    public static ModelGeometry geometry(String name) {
        return config(name).geometry(DType.F16, DType.F16);
    }

    /** The preset's geometry; an unknown name is an error listing the known ones. */
    public static ModelConfig config(String name) {
        ModelConfig c = PRESETS.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "': expected one of " + names());
        }
        return c;
    }

    /** The preset with only {@code layers} decoder layers (0 or the preset's count = all). */
    public static ModelConfig config(String name, int layers) {
        ModelConfig c = config(name);
        if (layers < 0) {
            throw new IllegalArgumentException("model preset '" + name + "': layers override must be >= 0, got " + layers);
        }
        return layers == 0 ? c : c.withLayers(layers);
    }
}
