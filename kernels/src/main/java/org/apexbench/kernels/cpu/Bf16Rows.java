package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Dot products of fp32 activation rows with one bf16 weight row (widened in vector lanes by a 16-bit shift). */
final class Bf16Rows {
    private Bf16Rows() {}

    static float dotScalar(MemorySegment x, long xo, MemorySegment w, long wo, int k) {
        float s = 0f;
        for (int i = 0; i < k; i++) {
            s += x.get(Elements.F32, xo + 4L * i) * Elements.bf16ToFloat(w.get(Elements.S16, wo + 2L * i));
        }
        return s;
    }

    static float dot(MemorySegment x, long xo, MemorySegment w, long wo, int k) {
        int lanes = Simd.LANES, i = 0;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * lanes <= k; i += 4 * lanes) {
            long xi = xo + 4L * i, wi = wo + 2L * i, xs = 4L * lanes, ws = 2L * lanes;
            a0 = Simd.f32(x, xi).fma(Simd.bf16(w, wi), a0);
            a1 = Simd.f32(x, xi + xs).fma(Simd.bf16(w, wi + ws), a1);
            a2 = Simd.f32(x, xi + 2 * xs).fma(Simd.bf16(w, wi + 2 * ws), a2);
            a3 = Simd.f32(x, xi + 3 * xs).fma(Simd.bf16(w, wi + 3 * ws), a3);
        }
        for (; i + lanes <= k; i += lanes) a0 = Simd.f32(x, xo + 4L * i).fma(Simd.bf16(w, wo + 2L * i), a0);
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        return s + dotScalar(x, xo + 4L * i, w, wo + 2L * i, k - i);
    }

    static void dot4(MemorySegment x, long xo, long xStride, MemorySegment w, long wo, int k, float[] out) {
        int lanes = Simd.LANES, i = 0;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + lanes <= k; i += lanes) {
            FloatVector wv = Simd.bf16(w, wo + 2L * i);
            long xi = xo + 4L * i;
            a0 = Simd.f32(x, xi).fma(wv, a0);
            a1 = Simd.f32(x, xi + xStride).fma(wv, a1);
            a2 = Simd.f32(x, xi + 2 * xStride).fma(wv, a2);
            a3 = Simd.f32(x, xi + 3 * xStride).fma(wv, a3);
        }
        long wt = wo + 2L * i;
        out[0] = a0.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + 4L * i, w, wt, k - i);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + xStride + 4L * i, w, wt, k - i);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + 2 * xStride + 4L * i, w, wt, k - i);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + 3 * xStride + 4L * i, w, wt, k - i);
    }
}
