package org.apexbench.model;

import java.nio.file.Path;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.RopeTable;

/**
 * Geometry of a Llama-family model (Llama 2 multi-head, Llama 3.x grouped-query), as read from a
 * Hugging Face {@code config.json} ({@link #load}) or named in {@link ModelPresets}.
 *
 * @param name                  where it came from: a preset name or the config file's directory
 * @param layers                {@code num_hidden_layers}
 * @param heads                 {@code num_attention_heads} (query heads)
 * @param kvHeads               {@code num_key_value_heads} (= heads for multi-head attention)
 * @param headDim               {@code head_dim}, or hidden_size / heads when absent
 * @param maxPositionEmbeddings the longest context (prompt + generated tokens) the model accepts
 */
public record ModelConfig(String name, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads,
                          int headDim, int vocabSize, float rmsNormEps, int maxPositionEmbeddings,
                          boolean tieWordEmbeddings, RopeConfig rope) {

    public ModelConfig {
        if (hiddenSize <= 0 || intermediateSize <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || maxPositionEmbeddings <= 0 || !(rmsNormEps > 0)) {
            throw new IllegalArgumentException("model " + name + ": sizes and rms_norm_eps must be positive: " + sizes());
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("model " + name + ": num_attention_heads (" + heads
                    + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("model " + name + ": head_dim must be even for rotary embedding, got " + headDim);
        }
    }

    private String sizes() {
        return "hidden_size=" + hiddenSize + " intermediate_size=" + intermediateSize + " num_hidden_layers=" + layers
                + " num_attention_heads=" + heads + " num_key_value_heads=" + kvHeads + " head_dim=" + headDim
                + " vocab_size=" + vocabSize + " max_position_embeddings=" + maxPositionEmbeddings
                + " rms_norm_eps=" + rmsNormEps;
    }

    /** Reads {@code config.json}, or {@code dir/config.json} when given a directory. */
    public static ModelConfig load(Path configOrDir) {
        return ConfigJson.read(configOrDir);
    }

    /** Parses config.json text; {@code source} names it in error messages. */
    public static ModelConfig parse(String json, String source) {
        return ConfigJson.parse(json, source);
    }

    /** The same model with {@code newLayers} decoder layers (benchmarks of big presets on small memory). */
    public ModelConfig withLayers(int newLayers) {
        return new ModelConfig(name + (newLayers == layers ? "" : "[" + newLayers + " layers]"), hiddenSize,
                intermediateSize, newLayers, heads, kvHeads, headDim, vocabSize, rmsNormEps, maxPositionEmbeddings,
                tieWordEmbeddings, rope);
    }

    public ModelConfig withName(String newName) {
        return new ModelConfig(newName, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, vocabSize,
                rmsNormEps, maxPositionEmbeddings, tieWordEmbeddings, rope);
    }

    public int qWidth() { return heads * headDim; }

    public int kvWidth() { return kvHeads * headDim; }

    public AttentionShape attentionShape() { return AttentionShape.of(heads, kvHeads, headDim); }

    public RopeTable ropeTable() { return rope.table(headDim); }

    public KvGeometry kvGeometry(int blocks, DType kvType) {
        return new KvGeometry(layers, blocks, kvHeads, headDim, kvType);
    }

    /** K and V bytes one token occupies over all layers. */
    public long kvBytesPerToken(DType kvType) {
        return 2L * layers * kvWidth() * kvType.bytes();
    }

    /** Weights of one decoder layer: q, k, v, o projections, gate, up, down, two norms. */
    public long layerParameters() {
        long attn = (long) hiddenSize * qWidth() * 2 + (long) hiddenSize * kvWidth() * 2;
        long mlp = 3L * hiddenSize * intermediateSize;
        return attn + mlp + 2L * hiddenSize;
    }

    /** All parameters: embedding, layers, final norm, and the LM head unless tied. */
    public long parameterCount() {
        long embed = (long) vocabSize * hiddenSize;
        return embed * (tieWordEmbeddings ? 1 : 2) + layers * layerParameters() + hiddenSize;
    }

    /** Bytes of all weights stored as {@code dtype}. */
    public long weightBytes(DType dtype) {
        return parameterCount() * dtype.bytes();
    }

    /** Multiply-accumulate pairs x 2 of the dense layers for one token (attention scores excluded). */
    public long denseFlopsPerToken() {
        return 2L * (layers * (layerParameters() - 2L * hiddenSize) + (long) vocabSize * hiddenSize);
    }
}
