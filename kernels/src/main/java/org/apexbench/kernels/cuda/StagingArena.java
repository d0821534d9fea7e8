package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * Bump-allocated pairs of (pinned host, device) memory for the small per-op metadata the SPI passes
 * as Java arrays (token ids, positions, slots, block tables, sampling parameters): the values are
 * written into pinned memory and copied to the device asynchronously on the compute stream, ahead of
 * the kernel that reads them. A region is rewritten only after {@link #reset()}, which the backend calls
 * once the compute stream is idle (synchronize). A CUDA graph owns its own arena, so the regions its
 * memcpy nodes read stay untouched for its lifetime.
 */
final class StagingArena implements AutoCloseable {
    private static final long CHUNK = 4L << 20;
    private static final long ALIGN = 256;

    private record Chunk(PinnedHostBuffer host, DeviceMemoryPool.Block device) {}

    private final DeviceMemoryPool pool;
    private final List<Chunk> chunks = new ArrayList<>();
    private int current;
    private long used;

    StagingArena(DeviceMemoryPool pool) { this.pool = pool; }

    /** Allocates the first chunk now (before a graph capture, so capture needs no host allocation). */
    void prepare() { room(1); }

    private static long chunkBytes(Chunk c) { return c.host().bytes(); }

    private static long align(long b) { return (b + ALIGN - 1) & -ALIGN; }

    private Chunk room(long bytes) {
        while (current < chunks.size() && used + align(bytes) > chunkBytes(chunks.get(current))) {
            current++;
            used = 0;
        }
        if (current == chunks.size()) {
            long size = Math.max(CHUNK, align(bytes));
            chunks.add(new Chunk(new PinnedHostBuffer(size), pool.allocate(size)));
            used = 0;
        }
        return chunks.get(current);
    }

    CUdeviceptr ints(int[] values, int count, CUstream stream) {
        long bytes = 4L * Math.max(count, 1);
        Chunk c = room(bytes);
        MemorySegment.copy(values, 0, c.host().segment(), ValueLayout.JAVA_INT, used, count);
        return upload(c, bytes, stream);
    }

    CUdeviceptr floats(float[] values, int count, CUstream stream) {
        long bytes = 4L * Math.max(count, 1);
        Chunk c = room(bytes);
        MemorySegment.copy(values, 0, c.host().segment(), ValueLayout.JAVA_FLOAT, used, count);
        return upload(c, bytes, stream);
    }

    CUdeviceptr doubles(double[] values, int count, CUstream stream) {
        long bytes = 8L * Math.max(count, 1);
        Chunk c = room(bytes);
        MemorySegment.copy(values, 0, c.host().segment(), ValueLayout.JAVA_DOUBLE, used, count);
        return upload(c, bytes, stream);
    }

    /** Flattens ragged block tables into [rows][stride] ints (unused entries 0). */
    CUdeviceptr table(int[][] rows, int count, int stride, CUstream stream) {
        long bytes = 4L * Math.max((long) count * stride, 1);
        Chunk c = room(bytes);
        MemorySegment seg = c.host().segment();
        for (int r = 0; r < count; r++) {
            int n = Math.min(rows[r].length, stride);
            long base = used + 4L * r * stride;
            MemorySegment.copy(rows[r], 0, seg, ValueLayout.JAVA_INT, base, n);
            if (n < stride) seg.asSlice(base + 4L * n, 4L * (stride - n)).fill((byte) 0);
        }
        return upload(c, bytes, stream);
    }

    private CUdeviceptr upload(Chunk c, long bytes, CUstream stream) {
        CUdeviceptr dst = c.device().base().withByteOffset(c.device().offset() + used);
        cuMemcpyHtoDAsync(dst, c.host().at(used), bytes, stream);
        used += align(bytes);
        return dst;
    }

    /** Lets every region be reused; only when no queued copy still reads them. */
    void reset() {
        current = 0;
        used = 0;
    }

    @Override public void close() {
        for (Chunk c : chunks) {
            c.host().close();
            pool.free(c.device());
        }
        chunks.clear();
    }
}
