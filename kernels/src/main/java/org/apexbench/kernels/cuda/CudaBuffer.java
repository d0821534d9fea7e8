package org.apexbench.kernels.cuda;

import jcuda.driver.CUdeviceptr;
import org.apexbench.kernels.DeviceBuffer;

/**
 * Device memory of a {@link CudaBackend}: a base allocation plus a byte range in it. Slices share the
 * base; only {@link DeviceMemoryPool} frees bases.
 */
final class CudaBuffer implements DeviceBuffer {
    private final CUdeviceptr base;
    private final long offset;
    private final long bytes;
    private final CudaBackend owner;

    CudaBuffer(CudaBackend owner, CUdeviceptr base, long offset, long bytes) {
        this.owner = owner;
        this.base = base;
        this.offset = offset;
        this.bytes = bytes;
    }

    @Override public long bytes() { return bytes; }

    @Override public DeviceBuffer slice(long off, long len) {
        if (off < 0 || len < 0 || off + len > bytes) {
            throw new IndexOutOfBoundsException("cuda buffer slice [" + off + ", +" + len + ") outside " + bytes + " bytes");
        }
        return new CudaBuffer(owner, base, offset + off, len);
    }

    CUdeviceptr base() { return base; }

    long offset() { return offset; }

    CudaBackend owner() { return owner; }

    /** Device pointer to byte {@code off} of this buffer. */
    CUdeviceptr at(long off) { return base.withByteOffset(offset + off); }

    CUdeviceptr ptr() { return at(0); }

    @Override public String toString() { return "CudaBuffer[" + bytes + " bytes at +" + offset + "]"; }
}
