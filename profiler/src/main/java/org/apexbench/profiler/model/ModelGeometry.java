package org.apexbench.profiler.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The shapes of a Llama-family decoder that decide its cost: how many bytes each layer's weights, each
 * token's KV and each row crossing PCIe take and how many flops its linear parts do. Geometry only: no
 * weights. The one model-shape type above the kernels: the cost models, profiles and their fingerprints, the
 * engine runtime and the schedulers all read it (the model module's {@code ModelConfig} is the checkpoint's
 * architecture, from which it is derived; the kernels' {@code KvGeometry} is one KV pool's memory layout).
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
 * @param activationBytesPerElement width of the activations (q/k/v rows, attention outputs) a runtime moves: the
 *                              KV width in simulation and on cuda, 4 on the cpu backend (fp32 activations). Not
 *                              part of a profile's fingerprint (the backend decides it), so not written to JSON.
 */
public record ModelGeometry(String name, int layers, int hidden, int intermediate, int heads, int kvHeads,
                            int headDim, int vocab, int maxContext, boolean tiedEmbeddings,
                            int weightBytesPerElement, int kvBytesPerElement,
                            @JsonIgnore int activationBytesPerElement) {

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
        positive("activationBytesPerElement", activationBytesPerElement, name);
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

    /** A geometry whose activations are as wide as its KV elements (simulation, cuda, and every profile fingerprint). */
    @JsonCreator
    public ModelGeometry(@JsonProperty("name") String name, @JsonProperty("layers") int layers, @JsonProperty("hidden") int hidden,
                         @JsonProperty("intermediate") int intermediate, @JsonProperty("heads") int heads,
                         @JsonProperty("kvHeads") int kvHeads, @JsonProperty("headDim") int headDim, @JsonProperty("vocab") int vocab,
                         @JsonProperty("maxContext") int maxContext, @JsonProperty("tiedEmbeddings") boolean tiedEmbeddings,
                         @JsonProperty("weightBytesPerElement") int weightBytesPerElement,
                         @JsonProperty("kvBytesPerElement") int kvBytesPerElement) {
        this(name, layers, hidden, intermediate, heads, kvHeads, headDim, vocab, maxContext, tiedEmbeddings, weightBytesPerElement,
                kvBytesPerElement, kvBytesPerElement);
    }

    /** The same model with activations {@code bytes} wide. */
    public ModelGeometry withActivationBytes(int bytes) {
        return new ModelGeometry(name, layers, hidden, intermediate, heads, kvHeads, headDim, vocab, maxContext, tiedEmbeddings,
                weightBytesPerElement, kvBytesPerElement, bytes);
    }

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

    /** Bytes of one token's q plus its attention output in one layer. */
    public long qAndOutBytesPerToken() { return 2L * qDim() * activationBytesPerElement; }

    /** Bytes of one token's q, k and v in one layer (what crosses PCIe for a CPU decode row). */
    public long qkvBytesPerToken() { return (qDim() + 2 * kvDim()) * activationBytesPerElement; }

    /** Bytes of one token's attention output in one layer (what comes back from CPU attention). */
    public long attnOutBytesPerToken() { return qDim() * activationBytesPerElement; }
}
