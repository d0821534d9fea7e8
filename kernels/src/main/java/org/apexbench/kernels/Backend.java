package org.apexbench.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The kernel layer every engine shares (docs/architecture.md#kernels). A backend owns its memory and runs the
 * ops of a Llama forward pass. Activations are row-major {@code [rows][width]} matrices of
 * {@link #activationType()} (F32 on cpu, F16 on cuda); all ops accumulate in fp32.
 *
 * <p>Ops are enqueued in order on the backend's compute stream; they may return before the work is
 * done (cuda) or after (cpu). {@link #synchronize()} waits for all of it. Metadata arrays (token ids,
 * positions, block tables) are plain Java arrays that the backend copies before returning.
 *
 * <p>Backends are chosen explicitly with {@link Backends#open}: asking for one that cannot run here
 * is an error that says why, never a fallback.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    /** One line for result records: vector species and threads, or device, driver and PTX. */
    String describe();

    DType activationType();

    // ---- memory -------------------------------------------------------------------------------

    /** Zero-filled backend memory. */
    DeviceBuffer allocate(long bytes);

    /**
     * Weights: backend memory holding {@code host}'s bytes. The cpu backend may return a view of
     * {@code host} itself (a memory-mapped file is never copied); cuda copies it to the device.
     */
    DeviceBuffer upload(MemorySegment host);

    /** Copies {@code src} (host memory) into {@code dst} at {@code dstOffset}; done when it returns. */
    void write(MemorySegment src, DeviceBuffer dst, long dstOffset);

    /** Copies {@code dst.byteSize()} bytes of {@code src} from {@code srcOffset} into host memory; synchronous. */
    void read(DeviceBuffer src, long srcOffset, MemorySegment dst);

    /** Copies {@code bytes} bytes between two buffers of this backend, in stream order. */
    void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes);

    /** Waits until every op enqueued so far is done. */
    void synchronize();

    // ---- ops ----------------------------------------------------------------------------------

    /** {@code out[i] = table[tokens[i]]} (converted to the activation type), for {@code i < count}. */
    void embedding(Weight table, int[] tokens, int count, DeviceBuffer out);

    /** {@code out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight}, rows of width {@code weight.cols()}. */
    void rmsnorm(DeviceBuffer x, Weight weight, float eps, int rows, DeviceBuffer out);

    /**
     * {@code out[rows][w.rows()] = x[rows][w.cols()] * w^T}, fp32 accumulation. With
     * {@code accumulate} the product is added to {@code out} (residual connections).
     */
    void gemm(DeviceBuffer x, Weight w, int rows, DeviceBuffer out, boolean accumulate);

    /** Rotates, in place, {@code heads} heads of each row {@code r} at position {@code positions[r]}. */
    void rope(DeviceBuffer x, int rows, int heads, int[] positions, RopeTable rope);

    /**
     * {@code out[r][i] = silu(gateUp[r][i]) * gateUp[r][width + i]}: gate and up projections packed
     * side by side in one row of width {@code 2 * width}.
     */
    void siluMul(DeviceBuffer gateUp, int rows, int width, DeviceBuffer out);

    /**
     * Writes rows of K and V ({@code [rows][kvHeads*headDim]} activations) into layer {@code layer}
     * of the pool at the token slots {@code slots[r]} (= block * 16 + offset in block).
     */
    void kvAppend(KvPool pool, int layer, DeviceBuffer k, DeviceBuffer v, int rows, int[] slots);

    /**
     * Causal attention of one sequence's {@code rows} new tokens, at positions
     * {@code startPos .. startPos+rows-1}, over its paged context (already appended with
     * {@link #kvAppend}): query row r attends to positions {@code 0 .. startPos + r}.
     * {@code q} and {@code out} are {@code [rows][heads*headDim]}.
     */
    void prefillAttention(DeviceBuffer q, KvPool pool, int layer, int[] blockTable, int startPos, int rows,
                          AttentionShape shape, DeviceBuffer out);

    /**
     * Paged decode attention: query row i (one token of sequence i) attends to the first
     * {@code contextLens[i]} positions of sequence i, whose blocks are {@code blockTables[i]}.
     */
    void decodeAttention(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count,
                         AttentionShape shape, DeviceBuffer out);

    /**
     * For each row {@code r < rows} of {@code x} ({@code [rows][width]} activations), writes the int 1 at byte
     * {@code flagsOffset + 4r} of {@code flags} when the row holds a NaN or an infinity, else 0. Enqueued like the other
     * ops (it does not wait), so a pass can mark every layer's output and read all the flags once at its end.
     */
    void markNonFinite(DeviceBuffer x, int rows, int width, DeviceBuffer flags, long flagsOffset);

    /** {@code out[r] = argmax(logits[r])} over {@code vocab} entries (lowest index on ties). */
    void argmax(DeviceBuffer logits, int rows, int vocab, int[] out);

    /**
     * Seeded temperature / top-p sampling: row r samples from softmax(logits[r] / temperature[r])
     * restricted to the smallest top set of mass >= topP[r], using the uniform draw {@code uniform[r]}
     * in [0,1). A temperature of 0 means greedy.
     */
    void sample(DeviceBuffer logits, int rows, int vocab, float[] temperature, float[] topP, double[] uniform,
                int[] out);

    @Override
    void close();
}
