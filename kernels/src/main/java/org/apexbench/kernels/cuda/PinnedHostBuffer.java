package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemHostGetDevicePointer;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * Page-locked host memory from cuMemHostAlloc (portable + device-mapped), seen from Java as an FFM
 * {@link MemorySegment}. Async copies only ever use memory like this, never Java arrays, whose JNI
 * pin ends when the call returns while the DMA may still run. Each buffer is below 2 GiB because JCuda
 * exposes it as one direct ByteBuffer: allocate several for more.
 *
 * <p>Not write-combined: the CPU reads these (D2H targets, host attention), which write-combined memory
 * makes very slow (pitfall 8).
 */
public final class PinnedHostBuffer implements AutoCloseable {
    /** Largest single pinned buffer: just under 2 GiB. */
    public static final long MAX_BYTES = (1L << 31) - (1L << 12);
    private static final int PORTABLE = 0x01;
    private static final int DEVICEMAP = 0x02;

    private final Pointer host = new Pointer();
    private final long bytes;
    private final MemorySegment segment;
    private boolean closed;

    PinnedHostBuffer(long bytes) {
        if (bytes <= 0 || bytes > MAX_BYTES) {
            throw new IllegalArgumentException("pinned host buffer of " + bytes + " bytes: must be in 1.." + MAX_BYTES
                    + " (JCuda maps it to one ByteBuffer); split larger regions into several buffers");
        }
        this.bytes = bytes;
        cuMemHostAlloc(host, bytes, PORTABLE | DEVICEMAP);
        segment = MemorySegment.ofBuffer(host.getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** The whole buffer as a native segment (bounds-checked; valid until {@link #close()}). */
    public MemorySegment segment() { return segment; }

    public long bytes() { return bytes; }

    /** Host pointer to byte {@code offset}, for cuMemcpy*Async. */
    Pointer at(long offset) { return host.withByteOffset(offset); }

    /** The device-side alias of this mapped memory (for cuStreamWaitValue32 / zero-copy reads). */
    CUdeviceptr devicePointer() {
        CUdeviceptr d = new CUdeviceptr();
        cuMemHostGetDevicePointer(d, host, 0);
        return d;
    }

    @Override public void close() {
        if (!closed) {
            closed = true;
            cuMemFreeHost(host);
        }
    }
}
