package org.apexbench.engine;

import org.apexbench.profiler.model.ModelGeometry;

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
     * Budgets from memory sizes: GPU blocks = (gpu memory - weights - activation reserve) / block bytes,
     * host blocks = host KV memory / block bytes.
     *
     * @throws IllegalArgumentException when the weights and reserve do not fit the GPU memory, naming the numbers
     */
    public static EngineBudgets fromMemory(ModelGeometry g, long gpuMemoryBytes, long activationReserveBytes,
                                           long hostKvBytes, int maxRunning, int maxTokensPerIteration) {
        long blockBytes = KvCapacity.blockBytes(g, DEFAULT_BLOCK_SIZE);
        long free = gpuMemoryBytes - g.totalWeightBytes() - activationReserveBytes;
        if (free < blockBytes) {
            throw new IllegalArgumentException(String.format(
                    "GPU memory %.2f GB cannot hold model %s: weights %.2f GB + activation reserve %.2f GB leave %.3f GB,"
                            + " less than one KV block (%d bytes)", gpuMemoryBytes / 1e9, g.name(), g.totalWeightBytes() / 1e9,
                    activationReserveBytes / 1e9, free / 1e9, blockBytes));
        }
        if (hostKvBytes < 0) {
            throw new IllegalArgumentException("host KV memory must be >= 0, got " + hostKvBytes);
        }
        return new EngineBudgets(maxRunning, maxTokensPerIteration, (int) Math.min(Integer.MAX_VALUE, free / blockBytes),
                (int) Math.min(Integer.MAX_VALUE, hostKvBytes / blockBytes), DEFAULT_BLOCK_SIZE);
    }
}
