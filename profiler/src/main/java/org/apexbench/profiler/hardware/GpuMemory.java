package org.apexbench.profiler.hardware;

import org.apexbench.profiler.model.ModelGeometry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The GPU KV pool as vLLM sizes it (docs/fidelity.md#gpu-memory): the memory the driver reports
 * ({@code cudaMemGetInfo}'s total, the spec's {@code gpu.memoryBytes}), times {@code gpu_memory_utilization}, minus
 * the weights, the CUDA context and workspaces, and the activation peak of a profile run with the configured token
 * budget and sequence cap; what is left, in whole blocks. Every vLLM version since 0.2 subtracts these same parts
 * (0.2-0.6.2 as {@code total - free} after the profile run, later versions term by term).
 */
public final class GpuMemory {
    /** vLLM's default {@code gpu_memory_utilization}. */
    public static final double VLLM_DEFAULT_UTILIZATION = 0.9;
    /**
     * CUDA context, cuBLAS/cuBLASLt workspaces and the like, outside the weights and activations: 0.35 GiB. The
     * context is 0.27 GiB with lazy module loading (PyTorch PR #86509: 287,047,680 B; the default since PyTorch 1.13)
     * and "around 400 MB" (a PyTorch maintainer, issue #109888); the workspaces add under 0.05 GiB (8 MiB per cuBLAS
     * handle and stream, 1-32 MiB of cuBLASLt workspace).
     */
    public static final long CONTEXT_BYTES = 350L * 1024 * 1024 * 1024 / 1000;
    private static final double GIB = 1024.0 * 1024 * 1024;

    private GpuMemory() {}

    /**
     * How a KV pool follows from memory; every term in bytes.
     *
     * @param totalBytes          the memory the driver reports (capped by --gpu-memory if given)
     * @param utilization         the fraction of it the engine may use
     * @param weightBytes         the model's weights
     * @param contextBytes        CUDA context and workspaces
     * @param activationPeakBytes the activation peak of a profile run of {@code profileTokens} over {@code profileSeqs}
     * @param profileTokens       the token budget of one iteration (vLLM's max_num_batched_tokens)
     * @param profileSeqs         the sequences of the profile run (vLLM's max_num_seqs, at most the token budget)
     * @param blockBytes          one KV block over all layers
     * @param blockSize           tokens per block
     */
    public record KvPool(long totalBytes, double utilization, long weightBytes, long contextBytes, long activationPeakBytes,
                         int profileTokens, int profileSeqs, long blockBytes, int blockSize) {
        /** Memory left for KV: {@code total * utilization - weights - context - activations}, may be negative. */
        public double kvBytes() {
            return totalBytes * utilization - weightBytes - contextBytes - activationPeakBytes;
        }

        /** Whole blocks that fit (0 when none). */
        public int blocks() {
            double kv = kvBytes();
            return kv <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.floor(kv / blockBytes));
        }

        /** The derivation in one line, every term named. */
        public String describe() {
            return String.format(Locale.ROOT, "reported GPU memory %.2f GiB x utilization %.2f - weights %.2f GiB - CUDA context "
                            + "and workspaces %.2f GiB - activation peak %.2f GiB (%d tokens over %d sequences) = %.3f GiB = %d blocks "
                            + "of %d tokens (%.2f MiB each)", totalBytes / GIB, utilization, weightBytes / GIB, contextBytes / GIB,
                    activationPeakBytes / GIB, profileTokens, profileSeqs, kvBytes() / GIB, blocks(), blockSize,
                    blockBytes / (1024.0 * 1024));
        }

        /** The terms for a run spec (bytes, deterministic). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("reported_gpu_memory_bytes", totalBytes);
            m.put("gpu_memory_utilization", utilization);
            m.put("weight_bytes", weightBytes);
            m.put("cuda_context_bytes", contextBytes);
            m.put("activation_peak_bytes", activationPeakBytes);
            m.put("profile_tokens", profileTokens);
            m.put("profile_sequences", profileSeqs);
            m.put("kv_pool_bytes", (long) Math.max(0, kvBytes()));
            m.put("block_bytes", blockBytes);
            m.put("gpu_kv_blocks", blocks());
            m.put("derivation", describe());
            return m;
        }
    }

    /**
     * The KV pool of {@code model} on {@code gpu}.
     *
     * @param capBytes     a cap on the GPU memory (0: none)
     * @param utilization  gpu_memory_utilization, in (0, 1]
     * @param maxTokens    tokens per iteration (the profile run's token budget)
     * @param maxRunning   most running requests (the profile run's sequences, at most {@code maxTokens})
     * @param blockSize    tokens per KV block
     */
    public static KvPool kvPool(HardwareSpec.Gpu gpu, ModelGeometry model, long capBytes, double utilization, int maxTokens,
                                int maxRunning, int blockSize) {
        if (!(utilization > 0 && utilization <= 1)) {
            throw new IllegalArgumentException("--gpu-memory-utilization must be in (0, 1], got " + utilization);
        }
        long total = capBytes > 0 ? Math.min(capBytes, gpu.memoryBytes()) : gpu.memoryBytes();
        int seqs = Math.min(maxRunning, maxTokens);
        return new KvPool(total, utilization, model.totalWeightBytes(), CONTEXT_BYTES, activationPeakBytes(model, maxTokens, seqs),
                maxTokens, seqs, model.kvBytesPerToken() * blockSize, blockSize);
    }

    /**
     * The activation peak of vLLM's profile run: {@code tokens} rows through a layer hold the MLP's gate/up output
     * (2I), its activation (I), q, k and v, the attention output, the residual and the normed hidden state, in the
     * weights' dtype; and the sampler holds fp32 logits, probabilities and log-probabilities for the last token of every
     * sequence. Checked on the one published split we found (vLLM PR #10511, Llama-3-8B, 8,192 tokens, 256 sequences):
     * 1.30 GiB modelled against 1.26 GiB logged; the factor 3 on the sampler term is our assumption.
     */
    public static long activationPeakBytes(ModelGeometry m, int tokens, int seqs) {
        long perToken = (long) m.weightBytesPerElement()
                * (3L * m.intermediate() + 2L * m.qDim() + 2L * m.kvDim() + 2L * m.hidden());
        return tokens * perToken + 3L * seqs * m.vocab() * 4;
    }

    /** A pool that holds no block is refused, naming every term and what would make room; {@code what} names the setup. */
    public static KvPool requireBlocks(KvPool pool, String what) {
        if (pool.blocks() < 1) {
            throw new IllegalArgumentException(what + ": no KV block fits in GPU memory: " + pool.describe()
                    + ". Raise --gpu-memory-utilization (now " + pool.utilization() + "), lower --max-tokens or --max-running "
                    + "(the activation peak), or give the pool explicitly with --gpu-kv-blocks");
        }
        return pool;
    }
}
