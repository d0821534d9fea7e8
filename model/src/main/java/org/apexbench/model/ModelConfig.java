package org.apexbench.model;

import java.nio.file.Path;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.RopeTable;
import org.apexbench.profiler.model.ModelGeometry;

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

    /**
     * The model's shape for the cost models, profiles and the engine runtime, with weights and KV stored as the
     * given types and activations as wide as the KV (what the simulator and profile fingerprints use).
     */
    public ModelGeometry geometry(DType weights, DType kv) {
        return new ModelGeometry(name, layers, hiddenSize, intermediateSize, heads, kvHeads, headDim, vocabSize,
                maxPositionEmbeddings, tieWordEmbeddings, weights.bytes(), kv.bytes());
    }

    /** As above, with activations (the q/k/v rows and attention outputs a runtime moves) of {@code activations}. */
    public ModelGeometry geometry(DType weights, DType kv, DType activations) {
        return geometry(weights, kv).withActivationBytes(activations.bytes());
    }
}
