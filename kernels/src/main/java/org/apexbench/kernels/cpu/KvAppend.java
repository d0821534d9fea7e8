package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;

/**
 * Writes rows of K and V ({@code [rows][kvHeads*headDim]} fp32) into one layer of a paged pool laid out as
 * {@code [layer][block][kvHead][16 slots][headDim]}, rounding to the pool's type (nearest even).
 */
final class KvAppend {
    private KvAppend() {}

    static void scalar(KvGeometry g, MemorySegment kPool, MemorySegment vPool, int layer, MemorySegment k,
                       MemorySegment v, int rows, int[] slots) {
        int d = g.headDim(), width = g.kvHeads() * d;
        long elem = g.dtype().bytes();
        for (int r = 0; r < rows; r++) {
            int block = slots[r] / KvGeometry.BLOCK_SIZE, slot = slots[r] % KvGeometry.BLOCK_SIZE;
            for (int h = 0; h < g.kvHeads(); h++) {
                long dst = g.offset(layer, block, h, slot) / elem;
                for (int i = 0; i < d; i++) {
                    long src = (long) r * width + (long) h * d + i;
                    Elements.set(kPool, g.dtype(), dst + i, k.getAtIndex(Elements.F32, src));
                    Elements.set(vPool, g.dtype(), dst + i, v.getAtIndex(Elements.F32, src));
                }
            }
        }
    }

    /** fp32 pools: one bulk copy per head row; 16-bit pools: a conversion loop per head row. */
    static void fast(KvGeometry g, MemorySegment kPool, MemorySegment vPool, int layer, MemorySegment k,
                     MemorySegment v, int rows, int[] slots) {
        if (g.dtype() != DType.F32) {
            scalar(g, kPool, vPool, layer, k, v, rows, slots);
            return;
        }
        int d = g.headDim(), width = g.kvHeads() * d;
        for (int r = 0; r < rows; r++) {
            int block = slots[r] / KvGeometry.BLOCK_SIZE, slot = slots[r] % KvGeometry.BLOCK_SIZE;
            for (int h = 0; h < g.kvHeads(); h++) {
                long dst = g.offset(layer, block, h, slot), src = ((long) r * width + (long) h * d) * 4;
                MemorySegment.copy(k, src, kPool, dst, 4L * d);
                MemorySegment.copy(v, src, vPool, dst, 4L * d);
            }
        }
    }
}
