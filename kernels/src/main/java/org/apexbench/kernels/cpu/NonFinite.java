package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** {@code flags[r] = 1} when fp32 row {@code r} of {@code x} holds a NaN or an infinity, else 0 (ints at {@code flagsOffset}). */
final class NonFinite {
    private NonFinite() {}

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static void scalar(MemorySegment x, int rows, int width, MemorySegment flags, long flagsOffset) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * width;
            int bad = 0;
            for (int i = 0; i < width && bad == 0; i++) {
                if (!Float.isFinite(x.getAtIndex(Elements.F32, base + i))) bad = 1;
            }
            flags.set(I32, flagsOffset + 4L * r, bad);
        }
    }

    static void fast(MemorySegment x, int rows, int width, MemorySegment flags, long flagsOffset) {
        int lanes = Simd.LANES, bound = width - width % lanes;
        for (int r = 0; r < rows; r++) {
            long base = (long) r * width * 4;
            boolean bad = false;
            int i = 0;
            for (; i < bound && !bad; i += lanes) {
                FloatVector v = Simd.f32(x, base + 4L * i);
                bad = !v.test(VectorOperators.IS_FINITE).allTrue();
            }
            for (; i < width && !bad; i++) bad = !Float.isFinite(x.get(Elements.F32, base + 4L * i));
            flags.set(I32, flagsOffset + 4L * r, bad ? 1 : 0);
        }
    }
}
