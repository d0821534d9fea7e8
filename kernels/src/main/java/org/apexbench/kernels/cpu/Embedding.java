package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.DType;

/** {@code out[i] = table[tokens[i]]} converted to fp32. */
final class Embedding {
    private Embedding() {}

    static void scalar(MemorySegment table, DType type, int cols, int[] tokens, int count, MemorySegment out) {
        for (int i = 0; i < count; i++) {
            long base = (long) tokens[i] * cols;
            for (int c = 0; c < cols; c++) out.setAtIndex(Elements.F32, (long) i * cols + c, Elements.get(table, type, base + c));
        }
    }

    static void fast(MemorySegment table, DType type, int cols, int[] tokens, int count, MemorySegment out) {
        if (type == DType.F32) {
            for (int i = 0; i < count; i++) {
                MemorySegment.copy(table, (long) tokens[i] * cols * 4, out, (long) i * cols * 4, (long) cols * 4);
            }
            return;
        }
        int lanes = Simd.LANES, bound = cols - cols % lanes;
        for (int i = 0; i < count; i++) {
            long src = (long) tokens[i] * cols * type.bytes(), dst = (long) i * cols * 4;
            int c = 0;
            if (type == DType.BF16) {
                for (; c < bound; c += lanes) Simd.bf16(table, src + 2L * c).intoMemorySegment(out, dst + 4L * c, Simd.LE);
            }
            for (; c < cols; c++) out.set(Elements.F32, dst + 4L * c, Elements.get(table, type, (long) tokens[i] * cols + c));
        }
    }
}
