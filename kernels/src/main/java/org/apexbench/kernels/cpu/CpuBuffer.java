package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.DeviceBuffer;

/** CPU backend memory: an FFM segment (arena memory 64-byte aligned, or a view of a mapped weight file). */
public final class CpuBuffer implements DeviceBuffer {
    private final MemorySegment segment;

    CpuBuffer(MemorySegment segment) { this.segment = segment; }

    /**
     * Host memory owned elsewhere (e.g. cuda's pinned staging and host KV pool) used in place by the cpu
     * backend's ops; the caller keeps it alive as long as the buffer is used.
     */
    public static CpuBuffer wrap(MemorySegment segment) {
        if (!segment.isNative()) throw new IllegalArgumentException("cpu buffers wrap native memory only, got " + segment);
        return new CpuBuffer(segment);
    }

    /** The memory itself; reads and writes through it are immediately visible to the backend's ops. */
    public MemorySegment segment() { return segment; }

    @Override public long bytes() { return segment.byteSize(); }

    @Override
    public DeviceBuffer slice(long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > segment.byteSize()) {
            throw new IllegalArgumentException("slice [" + offset + ", +" + bytes + ") is outside a buffer of "
                    + segment.byteSize() + " bytes");
        }
        return new CpuBuffer(segment.asSlice(offset, bytes));
    }

    @Override public String toString() { return "CpuBuffer[" + segment.byteSize() + " bytes]"; }
}
