package org.apexbench.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.model.ModelGeometry;

/**
 * A real model as a command names it: a Hugging Face checkpoint folder, or a preset ({@link ModelPresets}) with
 * synthetic fp16 weights drawn from {@code seed}. The one place where the commands that run the real model (run,
 * compare, profile, serve) turn {@code --model} into a config, a weight type and weights.
 *
 * @param checkpoint the checkpoint folder; null for a preset
 * @param config     the model's config
 * @param weightType the element type of the weights (a checkpoint's embedding table's; F16 for a preset), for
 *                   profile fingerprints
 * @param seed       a preset's synthetic-weight seed (unused for a checkpoint)
 */
public record ModelSource(Path checkpoint, ModelConfig config, DType weightType, long seed) {
    /** {@code model}: a checkpoint folder if one exists there, else a preset name (an unknown one is an error listing them). */
    public static ModelSource of(String model, long seed) {
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir)) return new ModelSource(null, ModelPresets.config(model), DType.F16, seed);
        DType weightType;
        try (Safetensors st = Safetensors.open(dir)) {
            weightType = st.info("model.embed_tokens.weight").dtype();
        }
        return new ModelSource(dir, ModelConfig.load(dir), weightType, seed);
    }

    /** The cost-relevant shape the engines plan with (fp16 weights and KV, as in simulated runs and profiles). */
    public ModelGeometry geometry() { return config.geometry(DType.F16, DType.F16); }

    /** Loads the weights onto {@code backend}: the checkpoint's, or the preset's synthetic ones. */
    public LlamaWeights load(Backend backend) {
        return checkpoint != null ? LlamaWeights.load(checkpoint, backend)
                : LlamaWeights.synthetic(config, DType.F16, seed, backend);
    }

    /** {@link #load} as a function, for runtimes that open their backend themselves. */
    public Function<Backend, LlamaWeights> weights() { return this::load; }
}
