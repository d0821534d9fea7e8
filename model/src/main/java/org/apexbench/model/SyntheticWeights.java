package org.apexbench.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.Weight;

/**
 * Seeded random weights with a model's exact shapes, for benchmarks where only speed matters (like
 * vLLM's dummy load format). Element {@code i} of tensor {@code t} depends only on (seed, t, i / BLOCK),
 * never on thread count. Matrices are uniform with standard deviation 1/sqrt(cols), so activations stay
 * of order one through the layers; norm weights are 1 +- 0.05.
 *
 * <p>Each tensor is filled in host memory in parallel, handed to {@link Backend#upload} (which copies
 * non-mapped memory into backend memory, on cpu as on cuda) and the host copy is freed at once, so
 * loading needs one tensor of extra host memory at a time.
 */
final class SyntheticWeights {
    private static final int BLOCK = 1 << 16;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ModelConfig config;
    private final DType dtype;
    private final long seed;
    private final Backend backend;
    private int tensorIndex;

    private SyntheticWeights(ModelConfig config, DType dtype, long seed, Backend backend) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("synthetic weights: dtype must be F32, F16 or BF16, got " + dtype);
        }
        this.config = config;
        this.dtype = dtype;
        this.seed = seed;
        this.backend = backend;
    }

    static LlamaWeights create(ModelConfig config, DType dtype, long seed, Backend backend) {
        return new SyntheticWeights(config, dtype, seed, backend).build();
    }

    private LlamaWeights build() {
        int h = config.hiddenSize();
        int inter = config.intermediateSize();
        Weight embed = matrix("model.embed_tokens.weight", config.vocabSize(), h, 1.0);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new LayerWeights(norm(p + "input_layernorm.weight"),
                    matrix(p + "self_attn.q_proj.weight", config.qWidth(), h, 0),
                    matrix(p + "self_attn.k_proj.weight", config.kvWidth(), h, 0),
                    matrix(p + "self_attn.v_proj.weight", config.kvWidth(), h, 0),
                    matrix(p + "self_attn.o_proj.weight", h, config.qWidth(), 0),
                    norm(p + "post_attention_layernorm.weight"),
                    matrix(p + "mlp.gate_up_proj", 2 * inter, h, 0),
                    matrix(p + "mlp.down_proj.weight", h, inter, 0)));
        }
        Weight finalNorm = norm("model.norm.weight");
        Weight head = config.tieWordEmbeddings() ? embed : matrix("lm_head.weight", config.vocabSize(), h, 0);
        return new LlamaWeights(config, embed, layers, finalNorm, head, () -> { }, 0);
    }

    /** std = 1/sqrt(cols) unless {@code std} > 0. */
    private Weight matrix(String name, int rows, int cols, double std) {
        double s = std > 0 ? std : 1 / Math.sqrt(cols);
        return fill(name, rows, cols, 0, s * Math.sqrt(3));
    }

    private Weight norm(String name) {
        return fill(name, 1, config.hiddenSize(), 1, 0.05);
    }

    /** Uniform values in {@code center +- halfWidth}. */
    private Weight fill(String name, int rows, int cols, double center, double halfWidth) {
        long elements = (long) rows * cols;
        long tensorSeed = seed * 0x9E3779B97F4A7C15L + (tensorIndex++);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment host = arena.allocate(elements * dtype.bytes(), 64);
            long blocks = (elements + BLOCK - 1) / BLOCK;
            IntStream.range(0, Math.toIntExact(blocks)).parallel().forEach(b -> {
                SplittableRandom random = new SplittableRandom(tensorSeed ^ (b * 0xBF58476D1CE4E5B9L));
                long end = Math.min(elements, (long) (b + 1) * BLOCK);
                for (long i = (long) b * BLOCK; i < end; i++) {
                    float v = (float) (center + (random.nextDouble() * 2 - 1) * halfWidth);
                    switch (dtype) {
                        case F32 -> host.setAtIndex(FLOAT, i, v);
                        case F16 -> host.setAtIndex(HALF, i, Float.floatToFloat16(v));
                        // bf16 = the upper 16 bits of the fp32 pattern (truncation; random values anyway)
                        default -> host.setAtIndex(HALF, i, (short) (Float.floatToRawIntBits(v) >>> 16));
                    }
                }
            });
            Weight w = new Weight(name, backend.upload(host), dtype, rows, cols);
            backend.synchronize();
            return w;
        }
    }
}
