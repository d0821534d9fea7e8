package org.apexbench.kernels;

/**
 * Shape of one paged KV pool. Layout of each of the K and V buffers, layer-major:
 * <pre>
 *   [layer][block][kvHead][BLOCK_SIZE token slots][headDim]   elements of {@code dtype}
 * </pre>
 * A token's slot is {@code block * BLOCK_SIZE + offsetInBlock}. Layer-major keeps one layer's blocks
 * contiguous, so a whole-request swap copies coalesced runs of blocks per layer.
 */
public record KvGeometry(int layers, int blocks, int kvHeads, int headDim, DType dtype) {
    public static final int BLOCK_SIZE = 16;

    public KvGeometry {
        if (layers <= 0 || blocks <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("KV geometry must be positive: layers=" + layers + " blocks=" + blocks
                    + " kvHeads=" + kvHeads + " headDim=" + headDim);
        }
        if (dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F32) {
            throw new IllegalArgumentException("KV dtype must be F16, BF16 or F32, got " + dtype);
        }
    }

    /** Bytes of one block of one layer (all KV heads), for K or for V. */
    public long blockBytes() { return (long) kvHeads * BLOCK_SIZE * headDim * dtype.bytes(); }

    /** Bytes of one layer, for K or for V. */
    public long layerBytes() { return blockBytes() * blocks; }

    /** Bytes of the whole K (or V) buffer. */
    public long bufferBytes() { return layerBytes() * layers; }

    /** Byte offset of (layer, block, kvHead, slotInBlock, 0) in the K or V buffer. */
    public long offset(int layer, int block, int kvHead, int slotInBlock) {
        return layer * layerBytes() + block * blockBytes()
                + ((long) kvHead * BLOCK_SIZE + slotInBlock) * headDim * dtype.bytes();
    }
}
