package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Rotary embedding, Hugging Face "rotate_half" pairing: within each head, element i pairs with
 * i + headDim/2 and both rotate by angle {@code position * invFreq[i]} (angle in fp32, as HF computes it):
 * <pre>
 *   x'[i]        = x[i] * cos - x[i+half] * sin
 *   x'[i+half]   = x[i+half] * cos + x[i] * sin
 * </pre>
 */
final class Rope {
    private Rope() {}

    /** cos/sin of one position for every frequency, into {@code cos[0..half)} and {@code sin[0..half)}. */
    static void angles(int position, float[] invFreq, float[] cos, float[] sin) {
        for (int i = 0; i < invFreq.length; i++) {
            float angle = position * invFreq[i];
            cos[i] = (float) Math.cos(angle);
            sin[i] = (float) Math.sin(angle);
        }
    }

    static void scalar(MemorySegment x, int rows, int heads, int headDim, int[] positions, float[] invFreq,
                       float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) {
            angles(positions[r], invFreq, cos, sin);
            for (int h = 0; h < heads; h++) {
                long base = ((long) r * heads + h) * headDim;
                for (int i = 0; i < half; i++) rotate(x, base, half, i, cos[i], sin[i]);
            }
        }
    }

    private static void rotate(MemorySegment x, long base, int half, int i, float c, float s) {
        float a = x.getAtIndex(Elements.F32, base + i), b = x.getAtIndex(Elements.F32, base + i + half);
        x.setAtIndex(Elements.F32, base + i, a * c - b * s);
        x.setAtIndex(Elements.F32, base + i + half, b * c + a * s);
    }

    static void fast(MemorySegment x, int rows, int heads, int headDim, int[] positions, float[] invFreq,
                     float[] cos, float[] sin) {
        int half = headDim / 2, lanes = Simd.LANES, bound = half - half % lanes;
        for (int r = 0; r < rows; r++) {
            angles(positions[r], invFreq, cos, sin);
            for (int h = 0; h < heads; h++) {
                long base = ((long) r * heads + h) * headDim;
                int i = 0;
                for (; i < bound; i += lanes) {
                    long lo = (base + i) * 4, hi = (base + i + half) * 4;
                    FloatVector a = Simd.f32(x, lo), b = Simd.f32(x, hi);
                    FloatVector c = FloatVector.fromArray(Simd.F, cos, i), s = FloatVector.fromArray(Simd.F, sin, i);
                    a.mul(c).sub(b.mul(s)).intoMemorySegment(x, lo, Simd.LE);
                    b.mul(c).add(a.mul(s)).intoMemorySegment(x, hi, Simd.LE);
                }
                for (; i < half; i++) rotate(x, base, half, i, cos[i], sin[i]);
            }
        }
    }
}
