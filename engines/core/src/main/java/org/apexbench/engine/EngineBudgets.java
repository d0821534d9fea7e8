package org.apexbench.engine;

import org.apexbench.profiler.hardware.GpuMemory;

/**
 * The limits every engine shares (docs/engines.md#shared-budgets); {@link KvCapacity} does the block arithmetic.
 *
 * @param maxRunning            requests holding KV at once (both pools)
 * @param maxTokensPerIteration tokens processed per iteration: a decode costs 1, a prefill chunk its length
 * @param gpuKvBlocks           blocks of the GPU KV pool
 * @param hostKvBlocks          blocks of the host KV pool (0 = no host pool)
 * @param blockSize             tokens per block
 */
public record EngineBudgets(int maxRunning, int maxTokensPerIteration, int gpuKvBlocks, int hostKvBlocks, int blockSize) {
    public static final int DEFAULT_BLOCK_SIZE = 16;
    public static final int DEFAULT_MAX_RUNNING = 512;
    public static final int DEFAULT_MAX_TOKENS = 2048;

    public EngineBudgets {
        if (maxRunning < 1 || maxTokensPerIteration < 1 || gpuKvBlocks < 0 || hostKvBlocks < 0 || blockSize < 1) {
            throw new IllegalArgumentException("budgets: maxRunning and maxTokensPerIteration must be >= 1, KV blocks >= 0,"
                    + " blockSize >= 1; got maxRunning=" + maxRunning + " maxTokens=" + maxTokensPerIteration
                    + " gpuKvBlocks=" + gpuKvBlocks + " hostKvBlocks=" + hostKvBlocks + " blockSize=" + blockSize);
        }
    }

    /**
     * Budgets from memory: the GPU pool as vLLM sizes it ({@link KvCapacity#gpuPool}), host blocks = host KV memory /
     * block bytes.
     *
     * @throws IllegalArgumentException when the GPU pool holds no block (naming every term of its derivation)
     */
    public static EngineBudgets fromMemory(GpuMemory.KvPool gpu, String setup, long hostKvBytes, int maxRunning,
                                           int maxTokensPerIteration) {
        GpuMemory.requireBlocks(gpu, setup);
        if (hostKvBytes < 0) {
            throw new IllegalArgumentException("host KV memory must be >= 0, got " + hostKvBytes);
        }
        return new EngineBudgets(maxRunning, maxTokensPerIteration, gpu.blocks(),
                (int) Math.min(Integer.MAX_VALUE, hostKvBytes / gpu.blockBytes()), gpu.blockSize());
    }
}
