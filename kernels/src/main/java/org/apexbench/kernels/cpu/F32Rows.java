package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of fp32 activation rows with one fp32 weight row: the scalar reference (also the tail loop)
 * and the vector path with 4 independent accumulators (one row) or one accumulator per activation row
 * (4 rows sharing each weight load: the prefill register tile).
 */
final class F32Rows {
    private F32Rows() {}

    /** Σ x[i]*w[i], i < k; byte offsets. */
    static float dotScalar(MemorySegment x, long xo, MemorySegment w, long wo, int k) {
        float s = 0f;
        for (int i = 0; i < k; i++) s += x.get(Elements.F32, xo + 4L * i) * w.get(Elements.F32, wo + 4L * i);
        return s;
    }

    static float dot(MemorySegment x, long xo, MemorySegment w, long wo, int k) {
        int lanes = Simd.LANES, i = 0;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * lanes <= k; i += 4 * lanes) {
            long xi = xo + 4L * i, wi = wo + 4L * i, step = 4L * lanes;
            a0 = Simd.f32(x, xi).fma(Simd.f32(w, wi), a0);
            a1 = Simd.f32(x, xi + step).fma(Simd.f32(w, wi + step), a1);
            a2 = Simd.f32(x, xi + 2 * step).fma(Simd.f32(w, wi + 2 * step), a2);
            a3 = Simd.f32(x, xi + 3 * step).fma(Simd.f32(w, wi + 3 * step), a3);
        }
        for (; i + lanes <= k; i += lanes) a0 = Simd.f32(x, xo + 4L * i).fma(Simd.f32(w, wo + 4L * i), a0);
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        return s + dotScalar(x, xo + 4L * i, w, wo + 4L * i, k - i);
    }

    /** Four activation rows ({@code xo + r*xStride}) against one weight row into {@code out[0..4)}. */
    static void dot4(MemorySegment x, long xo, long xStride, MemorySegment w, long wo, int k, float[] out) {
        int lanes = Simd.LANES, i = 0;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + lanes <= k; i += lanes) {
            FloatVector wv = Simd.f32(w, wo + 4L * i);
            long xi = xo + 4L * i;
            a0 = Simd.f32(x, xi).fma(wv, a0);
            a1 = Simd.f32(x, xi + xStride).fma(wv, a1);
            a2 = Simd.f32(x, xi + 2 * xStride).fma(wv, a2);
            a3 = Simd.f32(x, xi + 3 * xStride).fma(wv, a3);
        }
        out[0] = a0.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + 4L * i, w, wo + 4L * i, k - i);
        out[1] = a1.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + xStride + 4L * i, w, wo + 4L * i, k - i);
        out[2] = a2.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + 2 * xStride + 4L * i, w, wo + 4L * i, k - i);
        out[3] = a3.reduceLanes(VectorOperators.ADD) + dotScalar(x, xo + 3 * xStride + 4L * i, w, wo + 4L * i, k - i);
    }
}
