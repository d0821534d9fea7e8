package org.apexbench.model;

import java.util.List;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.workloads.SamplingParams;

/**
 * The Llama forward pass over a paged KV cache, as the per-layer units engines schedule
 * (docs/architecture.md#the-model):
 * <pre>
 *   embed(batch)                      hidden = embedding[tokens]
 *   for each layer i:
 *     pre(i, batch)                   normed = rmsnorm(hidden); q,k,v = normed * Wq,Wk,Wv^T; rope(q, k);
 *                                     kv_append(k, v) into the pool each sequence lives in
 *     attention(i, subset[, pool])    per subset of sequences in one pool: prefill rows -> causal
 *                                     attention over the paged context; decode rows -> paged decode
 *     post(i, batch)                  hidden += attn * Wo^T; normed = rmsnorm(hidden);
 *                                     gateUp = normed * [Wgate;Wup]^T; act = silu(gate) * up;
 *                                     hidden += act * Wdown^T
 *   logits(batch)                     last row of each sequence: rmsnorm, * lm_head^T
 *   sample(batch, ...)                argmax, or seeded temperature/top-p sampling
 * </pre>
 * {@link #forward} runs them all in order. Ops go to the backend's stream in call order; pre and post
 * cover the whole batch, attention calls on disjoint subsets write disjoint rows and may run on
 * different threads.
 */
public final class LlamaModel implements AutoCloseable {
    private final LlamaWeights weights;
    private final Backend backend;
    private final ModelConfig config;
    private final AttentionShape shape;
    private final RopeTable rope;

    public LlamaModel(LlamaWeights weights, Backend backend) {
        this.weights = weights;
        this.backend = backend;
        this.config = weights.config();
        this.shape = config.attentionShape();
        this.rope = config.ropeTable();
    }

    public ModelConfig config() { return config; }

    public Backend backend() { return backend; }

    public LlamaWeights weights() { return weights; }

    /** A zeroed paged KV pool of {@code blocks} blocks for this model on its backend. */
    public KvPool allocatePool(int blocks, DType kvType) {
        var g = config.kvGeometry(blocks, kvType);
        return new KvPool(g, backend.allocate(g.bufferBytes()), backend.allocate(g.bufferBytes()));
    }

    /** A reusable batch of up to {@code maxTokens} new tokens from up to {@code maxSequences} sequences. */
    public ForwardBatch newBatch(int maxTokens, int maxSequences, List<KvPool> pools) {
        return new ForwardBatch(config, backend, pools, maxTokens, maxSequences);
    }

    /** Embeds every row's token into the residual stream. */
    public void embed(ForwardBatch b) {
        if (b.rows() == 0) {
            throw new IllegalStateException("forward pass of an empty batch: add at least one sequence");
        }
        backend.embedding(weights.embedding(), b.tokens, b.rows(), b.hidden);
    }

    /** RMSNorm, Q/K/V projections, RoPE and KV append of layer {@code layer}, for every row. */
    public void pre(int layer, ForwardBatch b) {
        project(layer, b);
        for (ForwardBatch.AppendRun run : b.appendRuns()) {
            backend.kvAppend(run.pool(), layer, run.k(), run.v(), run.rows(), run.slots());
        }
    }

    /** {@link #pre} without the KV append: RMSNorm, Q/K/V projections and RoPE of every row. */
    public void project(int layer, ForwardBatch b) {
        LayerWeights w = weights.layer(layer);
        int rows = b.rows();
        backend.rmsnorm(b.hidden, w.inputNorm(), config.rmsNormEps(), rows, b.normed);
        backend.gemm(b.normed, w.q(), rows, b.q, false);
        backend.gemm(b.normed, w.k(), rows, b.k, false);
        backend.gemm(b.normed, w.v(), rows, b.v, false);
        backend.rope(b.q, rows, config.heads(), b.positions, rope);
        backend.rope(b.k, rows, config.kvHeads(), b.positions, rope);
    }

    /**
     * The KV append of {@link #pre} for the sequences of pool index {@code pool} only, on backend {@code on},
     * reading K/V rows from {@code k}/{@code v} laid out like the batch's rows (the batch's own buffers, or
     * copies of them on the host): lets a host thread append host-resident rows itself.
     */
    public void appendKv(Backend on, int layer, ForwardBatch b, int pool, DeviceBuffer k, DeviceBuffer v) {
        boolean own = k == b.k && v == b.v;
        int width = config.kvWidth();
        for (ForwardBatch.AppendRun run : b.appendRuns()) {
            if (run.poolIndex() != pool) continue;
            on.kvAppend(run.pool(), layer, own ? run.k() : b.rowSlice(k, on.activationType(), width, run.firstRow(), run.rows()),
                    own ? run.v() : b.rowSlice(v, on.activationType(), width, run.firstRow(), run.rows()), run.rows(), run.slots());
        }
    }

    /** Attention of layer {@code layer} for {@code subset}, over the pool its sequences live in. */
    public void attention(int layer, AttentionSubset subset) {
        attention(layer, subset, subset.batch().pools().get(subset.pool()));
    }

    /** Attention of layer {@code layer} for {@code subset}, reading KV from {@code pool}. */
    public void attention(int layer, AttentionSubset subset, KvPool pool) {
        attention(backend, layer, subset, pool, subset.batch().q, subset.batch().attn);
    }

    /**
     * Attention on an explicit backend with explicit query/output buffers laid out like the batch's
     * rows (e.g. queries copied to a host backend for host-resident KV).
     */
    public void attention(Backend on, int layer, AttentionSubset subset, KvPool pool, DeviceBuffer q, DeviceBuffer out) {
        ForwardBatch b = subset.batch();
        boolean own = q == b.q && out == b.attn;
        int width = config.qWidth();
        for (AttentionSubset.Prefill p : subset.prefill()) {
            on.prefillAttention(own ? p.q() : b.rowSlice(q, on.activationType(), width, p.firstRow(), p.rows()), pool, layer,
                    p.blockTable(), p.startPos(), p.rows(), shape,
                    own ? p.out() : b.rowSlice(out, on.activationType(), width, p.firstRow(), p.rows()));
        }
        for (AttentionSubset.DecodeRun run : subset.decodeRuns()) {
            on.decodeAttention(own ? run.q() : b.rowSlice(q, on.activationType(), width, run.firstRow(), run.count()), pool,
                    layer, run.blockTables(), run.contextLens(), run.count(), shape,
                    own ? run.out() : b.rowSlice(out, on.activationType(), width, run.firstRow(), run.count()));
        }
    }

    /** O projection + residual, RMSNorm, gate/up, SiLU * up, down projection + residual. */
    public void post(int layer, ForwardBatch b) {
        LayerWeights w = weights.layer(layer);
        int rows = b.rows();
        backend.gemm(b.attn, w.o(), rows, b.hidden, true);
        backend.rmsnorm(b.hidden, w.postNorm(), config.rmsNormEps(), rows, b.normed);
        backend.gemm(b.normed, w.gateUp(), rows, b.gateUp, false);
        backend.siluMul(b.gateUp, rows, config.intermediateSize(), b.act);
        backend.gemm(b.act, w.down(), rows, b.hidden, true);
    }

    /** All layers: embed, then pre / attention per pool / post for each layer, then {@link #logits}; stops on NaN. */
    public void forward(ForwardBatch b) {
        runLayers(b);
        logits(b);
        markFiniteLogits(b);
        requireFinite(b);
    }

    /**
     * Embed and every layer, leaving the final residual stream in the batch (no logits). Each layer's output is marked
     * for {@link #requireFinite}, which the caller runs once it has what it needs from the pass.
     */
    public void runLayers(ForwardBatch b) {
        embed(b);
        markFinite(b, -1);
        for (int layer = 0; layer < config.layers(); layer++) {
            pre(layer, b);
            for (int p = 0; p < b.pools().size(); p++) {
                AttentionSubset s = b.poolSubset(p);
                if (s != null) attention(layer, s);
            }
            post(layer, b);
            markFinite(b, layer);
        }
    }

    /**
     * Marks which rows of the residual stream are NaN or infinite after layer {@code layer} (-1: after the embedding).
     * The mark is enqueued device work (one pass over rows x hidden values, small beside a layer's weights) and is read
     * only by {@link #requireFinite}, so a pass checks every layer without waiting for the device in between.
     */
    public void markFinite(ForwardBatch b, int layer) { b.markNonFinite(layer); }

    /** Marks which sequences' logits are NaN or infinite (after {@link #logits}). */
    public void markFiniteLogits(ForwardBatch b) { b.markNonFiniteLogits(); }

    /**
     * Stops the pass if anything marked since the batch was cleared is NaN or infinite, naming the first such request
     * and the first layer whose output broke (or the LM head, when every layer's output was finite): continuing would
     * sample tokens from garbage. Reads the marks back once (it waits for the device).
     */
    public void requireFinite(ForwardBatch b) {
        int[] bad = b.firstNonFinite();
        if (bad == null) return;
        int slot = bad[0], layer = slot - 1;
        String where = slot == config.layers() + 1
                ? "logits after the final norm and LM head (weights model.norm.weight, lm_head.weight) although every layer's output was finite"
                : "activations " + (layer < 0 ? "after the embedding (row of model.embed_tokens.weight)"
                : "after layer " + layer + " of " + config.layers() + " (its attention and MLP; weights model.layers." + layer + ".*)");
        throw new NonFiniteActivationException(b.label(bad[1]) + ": NaN or infinite " + where + "; stopped rather than sample from them");
    }

    /** Final norm and LM head on the last row of every sequence: logits row s belongs to sequence s. */
    public void logits(ForwardBatch b) {
        int n = b.sequences();
        int h = config.hiddenSize();
        boolean oneRowEach = b.rows() == n;
        DeviceBuffer src = b.hidden;
        if (!oneRowEach) {
            for (int s = 0; s < n; s++) {
                int last = b.rowStart(s) + b.rowCount(s) - 1;
                backend.copy(b.hidden, last * b.rowBytes(h), b.lastHidden, s * b.rowBytes(h), b.rowBytes(h));
            }
            src = b.lastHidden;
        }
        backend.rmsnorm(src, weights.finalNorm(), config.rmsNormEps(), n, b.lastNormed);
        backend.gemm(b.lastNormed, weights.lmHead(), n, b.logits, false);
    }

    /**
     * Picks the next token of every sequence from {@link #logits}: {@code out[s]}. Sequence s uses
     * {@code params[s]} and draw number {@code steps[s]} of its seeded stream ({@link SamplingStream}).
     */
    public void sample(ForwardBatch b, SamplingParams[] params, int[] steps, int[] out) {
        int n = b.sequences();
        boolean greedy = true;
        for (int s = 0; s < n; s++) greedy &= params[s].greedy();
        if (greedy) {
            backend.argmax(b.logits, n, config.vocabSize(), out);
            return;
        }
        for (int s = 0; s < n; s++) {
            b.temperature[s] = params[s].temperature();
            b.topP[s] = params[s].topP();
            b.uniform[s] = SamplingStream.uniform(params[s].seed(), steps[s]);
        }
        backend.sample(b.logits, n, config.vocabSize(), b.temperature, b.topP, b.uniform, out);
    }

    /** Logits of sequence {@code seq}'s last row after {@link #logits}, read back as floats. */
    public float[] lastLogits(ForwardBatch b, int seq) {
        long rowBytes = b.rowBytes(config.vocabSize());
        backend.read(b.logits, seq * rowBytes, b.hostLogits);
        return Safetensors.toFloats(b.hostLogits, backend.activationType(), config.vocabSize());
    }

    /**
     * Logits of every row of sequence {@code seq} (after all layers ran): {@code [rowCount][vocab]}.
     * Computed through the batch's logits buffer in chunks; overwrites what {@link #logits} left there.
     */
    public float[][] allLogits(ForwardBatch b, int seq) {
        int h = config.hiddenSize();
        int first = b.rowStart(seq);
        int n = b.rowCount(seq);
        float[][] out = new float[n][];
        for (int done = 0; done < n; done += b.logitRows) {
            int chunk = Math.min(b.logitRows, n - done);
            backend.rmsnorm(b.rowSlice(b.hidden, h, first + done, chunk), weights.finalNorm(), config.rmsNormEps(), chunk,
                    b.lastNormed);
            backend.gemm(b.lastNormed, weights.lmHead(), chunk, b.logits, false);
            for (int r = 0; r < chunk; r++) {
                out[done + r] = lastLogits(b, r);
            }
        }
        return out;
    }

    /** Closes the weights (file mapping); the backend belongs to the caller. */
    @Override
    public void close() {
        weights.close();
    }
}
