package org.apexbench.engine;

import org.apexbench.profiler.model.ModelGeometry;

import org.apexbench.workloads.RequestSpec;

/**
 * The KV cache's capacity and every rule of its block arithmetic, in one place (docs/engines.md#shared-budgets):
 * the pool sizes (the only way a scheduler reads them), tokens to blocks, a request's peak KV, the blocks a
 * request holds after this step, the bytes a whole-request swap moves, and the live occupancy of both pools.
 */
public final class KvCapacity {
    /** A pool's live occupancy (the runtime's block pool). */
    @FunctionalInterface
    public interface Pool {
        int used();
    }

    private static final Pool EMPTY = () -> 0;

    private final EngineBudgets budgets;
    private final long blockBytes;
    private final Pool gpu, host;

    /**
     * @param budgets  pool sizes, block size, per-iteration limits
     * @param geometry the model (KV bytes per token)
     * @param gpu      the GPU pool's live occupancy
     * @param host     the host pool's
     */
    public KvCapacity(EngineBudgets budgets, ModelGeometry geometry, Pool gpu, Pool host) {
        this.budgets = budgets;
        this.blockBytes = blockBytes(geometry, budgets.blockSize());
        this.gpu = gpu;
        this.host = host;
    }

    /** The capacity of empty pools: what checking requests before a run needs. */
    public static KvCapacity empty(EngineBudgets budgets, ModelGeometry geometry) {
        return new KvCapacity(budgets, geometry, EMPTY, EMPTY);
    }

    /** Bytes of one block over all layers (K and V). */
    public static long blockBytes(ModelGeometry g, int blockSize) { return g.kvBytesPerToken() * blockSize; }

    /** Blocks needed to hold {@code tokens} tokens in blocks of {@code blockSize}. */
    public static int blocksFor(long tokens, int blockSize) { return (int) ((tokens + blockSize - 1) / blockSize); }

    /** Most KV tokens a request ever holds: every known token but the last sampled one. */
    public static long peakTokens(RequestSpec r) { return (long) r.promptLength() + r.outputTokens() - 1; }

    public EngineBudgets budgets() { return budgets; }

    public int blockSize() { return budgets.blockSize(); }

    /** Blocks of the GPU pool. */
    public int gpuBlocks() { return budgets.gpuKvBlocks(); }

    /** Blocks of the host pool. */
    public int hostBlocks() { return budgets.hostKvBlocks(); }

    public int gpuUsed() { return gpu.used(); }

    public int gpuFree() { return gpuBlocks() - gpu.used(); }

    public int hostUsed() { return host.used(); }

    public int hostFree() { return hostBlocks() - host.used(); }

    /** Blocks needed to hold {@code tokens} tokens. */
    public int blocksFor(long tokens) { return blocksFor(tokens, budgets.blockSize()); }

    /** Blocks {@code r}'s peak KV takes. */
    public int peakBlocks(RequestSpec r) { return blocksFor(peakTokens(r)); }

    /** Blocks {@code r} holds once this step's token is cached: its whole known context. */
    public int blocksAfterStep(RequestState r) { return blocksFor(r.contextLength()); }

    /** New blocks {@code r} takes this step: its known context minus what it holds (never negative). */
    public int growth(RequestState r) { return Math.max(0, blocksAfterStep(r) - r.blocks()); }

    /** Bytes of one block over all layers (K and V). */
    public long blockBytes() { return blockBytes; }

    /** Bytes moved by a whole-request swap of {@code blocks} blocks. */
    public long swapBytes(int blocks) { return (long) blocks * blockBytes; }
}
