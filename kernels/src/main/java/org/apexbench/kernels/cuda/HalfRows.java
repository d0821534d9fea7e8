package org.apexbench.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * fp16 <-> fp32 element conversion between pinned staging (the device's fp16 activation rows) and the host
 * backend's fp32 activation rows, on the host-attention thread. Plain loops: {@code Float.float16ToFloat} and
 * {@code Float.floatToFloat16} are intrinsics the JIT vectorises (vcvtph2ps / vcvtps2ph), and a layer's rows
 * of host-resident requests are a few KiB to a few MiB.
 *
 * <pre>
 * fp16: s eeeee mmmmmmmmmm          fp32: s eeeeeeee mmmmmmmmmmmmmmmmmmmmmmm
 *       exponent bias 15                  exponent bias 127; toHalf rounds to nearest even
 * </pre>
 */
final class HalfRows {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HalfRows() {}

    /** {@code count} fp16 elements of {@code src} from element {@code from} into the same elements of fp32 {@code dst}. */
    static void toFloat(MemorySegment src, MemorySegment dst, long from, long count) {
        for (long i = from, end = from + count; i < end; i++) dst.set(F32, 4 * i, Float.float16ToFloat(src.get(F16, 2 * i)));
    }

    /** {@code count} fp32 elements of {@code src} from element {@code from} into the same elements of fp16 {@code dst}. */
    static void toHalf(MemorySegment src, MemorySegment dst, long from, long count) {
        for (long i = from, end = from + count; i < end; i++) dst.set(F16, 2 * i, Float.floatToFloat16(src.get(F32, 4 * i)));
    }
}
