package org.apexbench.model;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Weight;

/**
 * A Llama model's weights in backend memory, loaded from a Hugging Face checkpoint or filled
 * synthetically ({@link SyntheticWeights}). Hugging Face names:
 * <pre>
 *   model.embed_tokens.weight                         [vocab][hidden]
 *   model.layers.N.input_layernorm.weight             [hidden]
 *   model.layers.N.self_attn.{q,k,v,o}_proj.weight    q: [heads*headDim][hidden], k,v: [kvHeads*headDim][hidden], o: [hidden][heads*headDim]
 *   model.layers.N.post_attention_layernorm.weight    [hidden]
 *   model.layers.N.mlp.{gate,up}_proj.weight          [intermediate][hidden];  down_proj: [hidden][intermediate]
 *   model.norm.weight                                 [hidden]
 *   lm_head.weight                                    [vocab][hidden]  (absent when tie_word_embeddings)
 * </pre>
 * Fusion: gate and up are stacked into one {@code [2*intermediate][hidden]} matrix, because
 * {@code siluMul} reads them side by side in one row. Hugging Face's writer orders tensors by name, so
 * gate_proj lies right before up_proj in the file and the stacked matrix is a view of the mapping
 * (no copy on cpu); otherwise it is copied once at load ({@link #copiedGateUpLayers()} counts those).
 * Q, K and V are not adjacent in the file (o_proj sits between k and q), so they stay three gemms.
 * The mapping stays open until {@link #close()} because the cpu backend's weights are views of it.
 */
public final class LlamaWeights implements AutoCloseable {
    private final ModelConfig config;
    private final Weight embedding;
    private final List<LayerWeights> layers;
    private final Weight finalNorm;
    private final Weight lmHead;
    private final AutoCloseable owner;
    private final int copiedGateUpLayers;

    LlamaWeights(ModelConfig config, Weight embedding, List<LayerWeights> layers, Weight finalNorm, Weight lmHead,
                 AutoCloseable owner, int copiedGateUpLayers) {
        this.config = config;
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.owner = owner;
        this.copiedGateUpLayers = copiedGateUpLayers;
    }

    /** Loads {@code dir/config.json} and the safetensors weights of {@code dir} onto {@code backend}. */
    public static LlamaWeights load(Path dir, Backend backend) {
        ModelConfig config = ModelConfig.load(dir);
        Safetensors st = Safetensors.open(dir);
        try {
            return load(config, st, backend);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /** Uploads the tensors of {@code st}, checked against {@code config}; closing the result closes {@code st}. */
    public static LlamaWeights load(ModelConfig config, Safetensors st, Backend backend) {
        int h = config.hiddenSize();
        int inter = config.intermediateSize();
        Weight embed = weight(st, backend, "model.embed_tokens.weight", config.vocabSize(), h);
        List<LayerWeights> layers = new ArrayList<>();
        int copied = 0;
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            TensorInfo gate = st.require(p + "mlp.gate_proj.weight", inter, h);
            TensorInfo up = st.require(p + "mlp.up_proj.weight", inter, h);
            if (gate.dtype() != up.dtype()) {
                throw new ModelFormatException(st.source() + ": " + gate.name() + " is " + gate.dtype() + " but "
                        + up.name() + " is " + up.dtype() + "; they must share a dtype");
            }
            Optional<MemorySegment> stacked = st.adjacent(gate, up);
            DeviceBuffer gateUp;
            if (stacked.isPresent()) {
                gateUp = backend.upload(stacked.get());
            } else {
                gateUp = backend.allocate(gate.bytes() + up.bytes());
                backend.write(st.data(gate), gateUp, 0);
                backend.write(st.data(up), gateUp, gate.bytes());
                copied++;
            }
            layers.add(new LayerWeights(
                    vector(st, backend, p + "input_layernorm.weight", h),
                    weight(st, backend, p + "self_attn.q_proj.weight", config.qWidth(), h),
                    weight(st, backend, p + "self_attn.k_proj.weight", config.kvWidth(), h),
                    weight(st, backend, p + "self_attn.v_proj.weight", config.kvWidth(), h),
                    weight(st, backend, p + "self_attn.o_proj.weight", h, config.qWidth()),
                    vector(st, backend, p + "post_attention_layernorm.weight", h),
                    new Weight(p + "mlp.gate_up_proj", gateUp, gate.dtype(), 2 * inter, h),
                    weight(st, backend, p + "mlp.down_proj.weight", h, inter)));
        }
        Weight norm = vector(st, backend, "model.norm.weight", h);
        Weight head = config.tieWordEmbeddings() && !st.contains("lm_head.weight")
                ? embed : weight(st, backend, "lm_head.weight", config.vocabSize(), h);
        return new LlamaWeights(config, embed, layers, norm, head, st, copied);
    }

    private static Weight weight(Safetensors st, Backend backend, String name, int rows, int cols) {
        TensorInfo info = st.require(name, rows, cols);
        return new Weight(name, backend.upload(st.data(info)), info.dtype(), rows, cols);
    }

    private static Weight vector(Safetensors st, Backend backend, String name, int size) {
        TensorInfo info = st.require(name, size);
        return new Weight(name, backend.upload(st.data(info)), info.dtype(), 1, size);
    }

    /**
     * Weights of {@code config}'s shapes filled deterministically from {@code seed} (no download needed);
     * see {@link SyntheticWeights}.
     */
    public static LlamaWeights synthetic(ModelConfig config, DType dtype, long seed, Backend backend) {
        return SyntheticWeights.create(config, dtype, seed, backend);
    }

    public ModelConfig config() { return config; }

    public Weight embedding() { return embedding; }

    public LayerWeights layer(int i) { return layers.get(i); }

    public Weight finalNorm() { return finalNorm; }

    public Weight lmHead() { return lmHead; }

    /** Layers whose gate/up matrices were not adjacent in the file and were copied once at load. */
    public int copiedGateUpLayers() { return copiedGateUpLayers; }

    /** Bytes of all weight matrices (the tied LM head counted once). */
    public long bytes() {
        long sum = embedding.bytes() + finalNorm.bytes() + (lmHead == embedding ? 0 : lmHead.bytes());
        for (LayerWeights l : layers) {
            sum += l.inputNorm().bytes() + l.q().bytes() + l.k().bytes() + l.v().bytes() + l.o().bytes()
                    + l.postNorm().bytes() + l.gateUp().bytes() + l.down().bytes();
        }
        return sum;
    }

    /** Releases the file mapping (or synthetic host memory). Backend memory goes with the backend. */
    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing weights of " + config.name() + ": " + e.getMessage(), e);
        }
    }
}
