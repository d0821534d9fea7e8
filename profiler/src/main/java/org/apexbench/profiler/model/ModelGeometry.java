package org.apexbench.profiler.model;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The shapes of a Llama-family decoder that decide its cost: how many bytes each layer's weights
 * and each token's KV take and how many flops its linear parts do. Geometry only: no weights.
 *
 * <p>Per layer, {@code pre} holds the input RMSNorm and the q/k/v projections; {@code post} holds
 * the o projection, the post-attention RMSNorm and the gate/up/down MLP (docs/architecture.md#the-model).
 *
 * @param name                  preset or model name
 * @param layers                decoder layers
 * @param hidden                hidden size
 * @param intermediate          MLP intermediate size
 * @param heads                 query heads
 * @param kvHeads               key/value heads (GQA when fewer than {@code heads})
 * @param headDim               dimension of one head
 * @param vocab                 vocabulary size
 * @param maxContext            maximum positions (prompt + output) the model accepts
 * @param tiedEmbeddings        whether the LM head reuses the embedding matrix
 * @param weightBytesPerElement 2 for fp16/bf16 weights
 * @param kvBytesPerElement     2 for an fp16/bf16 KV cache
 */
public record ModelGeometry(String name, int layers, int hidden, int intermediate, int heads, int kvHeads,
                            int headDim, int vocab, int maxContext, boolean tiedEmbeddings,
                            int weightBytesPerElement, int kvBytesPerElement) {

    public ModelGeometry {
        positive("layers", layers, name);
        positive("hidden", hidden, name);
        positive("intermediate", intermediate, name);
        positive("heads", heads, name);
        positive("kvHeads", kvHeads, name);
        positive("headDim", headDim, name);
        positive("vocab", vocab, name);
        positive("maxContext", maxContext, name);
        positive("weightBytesPerElement", weightBytesPerElement, name);
        positive("kvBytesPerElement", kvBytesPerElement, name);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("model " + name + ": heads (" + heads
                    + ") must be a multiple of kvHeads (" + kvHeads + ")");
        }
    }

    private static void positive(String field, int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException("model " + name + ": " + field + " must be > 0, got " + value);
        }
    }

    /** Llama-2-7B (Hugging Face meta-llama/Llama-2-7b-hf config.json). */
    public static final ModelGeometry LLAMA_2_7B =
            new ModelGeometry("llama-2-7b", 32, 4096, 11008, 32, 32, 128, 32000, 4096, false, 2, 2);
    /** Llama-3.1-8B (meta-llama/Llama-3.1-8B config.json; 131072 positions with llama3 rope scaling). */
    public static final ModelGeometry LLAMA_3_1_8B =
            new ModelGeometry("llama-3.1-8b", 32, 4096, 14336, 32, 8, 128, 128256, 131072, false, 2, 2);
    /** Llama-3.2-1B (meta-llama/Llama-3.2-1B config.json; embeddings tied to the LM head). */
    public static final ModelGeometry LLAMA_3_2_1B =
            new ModelGeometry("llama-3.2-1b", 16, 2048, 8192, 32, 8, 64, 128256, 131072, true, 2, 2);
    /** The tiny Llama-2-style fixture (testdata/models/tiny-llama2, fp16). */
    public static final ModelGeometry TINY_LLAMA2 =
            new ModelGeometry("tiny-llama2", 4, 128, 352, 8, 8, 16, 512, 512, false, 2, 2);
    /** The tiny Llama-3-style fixture (testdata/models/tiny-llama3, bf16, GQA 8/2). */
    public static final ModelGeometry TINY_LLAMA3 =
            new ModelGeometry("tiny-llama3", 3, 128, 384, 8, 2, 16, 640, 1024, false, 2, 2);

    private static final Map<String, ModelGeometry> PRESETS = List.of(LLAMA_2_7B, LLAMA_3_1_8B, LLAMA_3_2_1B,
            TINY_LLAMA2, TINY_LLAMA3).stream().collect(Collectors.toUnmodifiableMap(ModelGeometry::name, Function.identity()));

    /** A preset by name; the error lists the known names. */
    public static ModelGeometry preset(String name) {
        ModelGeometry g = PRESETS.get(name);
        if (g == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "'; known: "
                    + PRESETS.keySet().stream().sorted().toList());
        }
        return g;
    }

    /** Names of the presets, sorted. */
    public static List<String> presetNames() { return PRESETS.keySet().stream().sorted().toList(); }

    /** Width of the q projection output (heads * headDim). */
    public long qDim() { return (long) heads * headDim; }

    /** Width of one of k or v (kvHeads * headDim). */
    public long kvDim() { return (long) kvHeads * headDim; }

    /** Parameters of the fused q/k/v projection. */
    public long qkvParams() { return (long) hidden * (qDim() + 2 * kvDim()); }

    /** Parameters of the o projection. */
    public long oParams() { return qDim() * hidden; }

    /** Parameters of gate, up and down. */
    public long mlpParams() { return 3L * hidden * intermediate; }

    /** Weight bytes read by {@code pre(i)}: input RMSNorm + q/k/v. */
    public long preWeightBytes() { return (qkvParams() + hidden) * weightBytesPerElement; }

    /** Weight bytes read by {@code post(i)}: o + post-attention RMSNorm + gate/up/down. */
    public long postWeightBytes() { return (oParams() + hidden + mlpParams()) * weightBytesPerElement; }

    /** Weight bytes of one decoder layer. */
    public long layerWeightBytes() { return preWeightBytes() + postWeightBytes(); }

    /** Weight bytes read by the final RMSNorm and the LM head. */
    public long lmHeadBytes() { return ((long) vocab * hidden + hidden) * weightBytesPerElement; }

    /** Bytes of the embedding matrix. */
    public long embeddingBytes() { return (long) vocab * hidden * weightBytesPerElement; }

    /** All weight bytes: layers, embedding, final norm and (unless tied) the LM head. */
    public long totalWeightBytes() {
        long head = tiedEmbeddings ? (long) hidden * weightBytesPerElement : lmHeadBytes();
        return layers * layerWeightBytes() + embeddingBytes() + head;
    }

    /** KV bytes one token occupies in one layer (K and V). */
    public long kvBytesPerTokenPerLayer() { return 2L * kvDim() * kvBytesPerElement; }

    /** KV bytes one token occupies over all layers. */
    public long kvBytesPerToken() { return layers * kvBytesPerTokenPerLayer(); }

    /** Flops of {@code pre(i)} per token (2 per multiply-add). */
    public long preFlopsPerToken() { return 2L * qkvParams(); }

    /** Flops of {@code post(i)} per token. */
    public long postFlopsPerToken() { return 2L * (oParams() + mlpParams()); }

    /** Flops of one layer's linear parts per token. */
    public long linearFlopsPerTokenPerLayer() { return preFlopsPerToken() + postFlopsPerToken(); }

    /** Flops of the LM head per row that needs logits. */
    public long lmHeadFlopsPerRow() { return 2L * vocab * hidden; }

    /** Attention flops per (query, key) pair per layer: QK^T and PV, 2 flops per multiply-add each. */
    public long attentionFlopsPerPair() { return 4L * heads * headDim; }

    /** Bytes of one token's q plus its attention output in one layer (activation dtype = KV dtype). */
    public long qAndOutBytesPerToken() { return 2L * qDim() * kvBytesPerElement; }

    /** Bytes of one token's q, k and v in one layer (what crosses PCIe for a CPU decode row). */
    public long qkvBytesPerToken() { return (qDim() + 2 * kvDim()) * kvBytesPerElement; }

    /** Bytes of one token's attention output in one layer (what comes back from CPU attention). */
    public long attnOutBytesPerToken() { return qDim() * kvBytesPerElement; }
}
