package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUdeviceptr;

/**
 * Device memory pool. Requests up to {@link #MAX_POOLED} bytes are rounded up to a power of two
 * (>= 256 B, the alignment every kernel's 128-bit loads need) and carved by a bump pointer from
 * 64 MiB slabs; freed blocks go to a free list of their size class and are reused first. Larger
 * requests get their own cuMemAlloc. Only the owner thread of the backend calls it (not thread-safe).
 *
 * <p>Freeing is safe while kernels that used the block are still queued, because every consumer of
 * pooled memory runs on the one compute stream: a later user of the block is ordered after them.
 */
final class DeviceMemoryPool implements AutoCloseable {
    static final long SLAB = 64L << 20;
    static final long MAX_POOLED = 8L << 20;
    private static final long MIN_CLASS = 256;

    private final List<CUdeviceptr> slabs = new ArrayList<>();
    private final Map<Long, ArrayDeque<Long>> freeByClass = new HashMap<>();
    private final Map<CUdeviceptr, Boolean> large = new IdentityHashMap<>();  // allocations of their own
    private CUdeviceptr slab;
    private long slabUsed = SLAB;
    private long liveBytes;
    private long reservedBytes;

    record Block(CUdeviceptr base, long offset, long sizeClass, int slabIndex) {}

    static long sizeClass(long bytes) {
        if (bytes > MAX_POOLED) return (bytes + 255) & ~255L;
        long c = MIN_CLASS;
        while (c < bytes) c <<= 1;
        return c;
    }

    Block allocate(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("cuda allocate: size must be positive, got " + bytes);
        long cls = sizeClass(bytes);
        liveBytes += cls;
        if (cls > MAX_POOLED) {
            CUdeviceptr p = new CUdeviceptr();
            cuMemAlloc(p, cls);
            reservedBytes += cls;
            large.put(p, Boolean.TRUE);
            return new Block(p, 0, cls, -1);
        }
        ArrayDeque<Long> free = freeByClass.get(cls);
        if (free != null && !free.isEmpty()) {
            long packed = free.pop();
            int index = (int) (packed >>> 40);
            return new Block(slabs.get(index), packed & ((1L << 40) - 1), cls, index);
        }
        if (slabUsed + cls > SLAB) {
            slab = new CUdeviceptr();
            cuMemAlloc(slab, SLAB);
            reservedBytes += SLAB;
            slabs.add(slab);
            slabUsed = 0;
        }
        long off = slabUsed;
        slabUsed += cls;
        return new Block(slab, off, cls, slabs.size() - 1);
    }

    void free(Block b) {
        liveBytes -= b.sizeClass();
        if (b.sizeClass() > MAX_POOLED) {
            if (large.remove(b.base()) != null) {
                cuMemFree(b.base());
                reservedBytes -= b.sizeClass();
            }
            return;
        }
        freeByClass.computeIfAbsent(b.sizeClass(), k -> new ArrayDeque<>()).push(((long) b.slabIndex() << 40) | b.offset());
    }

    long liveBytes() { return liveBytes; }

    long reservedBytes() { return reservedBytes; }

    @Override public void close() {
        for (CUdeviceptr p : slabs) cuMemFree(p);
        for (CUdeviceptr p : large.keySet()) cuMemFree(p);
        slabs.clear();
        large.clear();
        freeByClass.clear();
    }
}
