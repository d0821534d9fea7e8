package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.apexbench.kernels.DType;

/**
 * Scalar element access for every storage type (little-endian, unaligned allowed) and whole-row decoding
 * to fp32 scratch. These are the reference conversions the vector paths are tested against.
 */
final class Elements {
    private Elements() {}

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Element {@code index} of a {@code type} array starting at byte 0 of {@code s}, as fp32. */
    static float get(MemorySegment s, DType type, long index) {
        return switch (type) {
            case F32 -> s.get(F32, index * 4);
            case F16 -> Float.float16ToFloat(s.get(S16, index * 2));
            case BF16 -> bf16ToFloat(s.get(S16, index * 2));
            case I32 -> throw new IllegalArgumentException("I32 is not a floating-point storage type");
        };
    }

    /** Stores {@code value} rounded to {@code type} (round to nearest even) at element {@code index}. */
    static void set(MemorySegment s, DType type, long index, float value) {
        switch (type) {
            case F32 -> s.set(F32, index * 4, value);
            case F16 -> s.set(S16, index * 2, Float.floatToFloat16(value));
            case BF16 -> s.set(S16, index * 2, floatToBf16(value));
            case I32 -> throw new IllegalArgumentException("I32 is not a floating-point storage type");
        }
    }

    /** bf16 is the upper half of an fp32: {@code s eeeeeeee mmmmmmm} followed by 16 zero bits. */
    static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** fp32 -> bf16 with round-to-nearest-even; NaN stays a (quiet) NaN. */
    static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x0040);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /**
     * Decodes {@code n} fp16 elements at byte offset {@code off} into {@code dst[0..n)}: a plain
     * {@code Float.float16ToFloat} loop that C2 auto-vectorises ({@code vcvtph2ps}, JDK 21+). Element reads,
     * not {@code MemorySegment.copy} into an array, which would allocate a heap-segment wrapper per call.
     */
    static void decodeF16(MemorySegment s, long off, int n, float[] dst) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(s.get(S16, off + 2L * i));
    }
}
