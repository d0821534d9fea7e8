package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of fp32 activation rows with one fp16 weight row. The Vector API of JDK 25 has no lane-wise
 * fp16 -> fp32 conversion, so the fast path first decodes the weight row into per-worker float scratch with
 * a {@code Float.float16ToFloat} loop (exact, auto-vectorised by C2) and then runs fp32 FMAs on the scratch.
 */
final class F16Rows {
    private F16Rows() {}

    static float dotScalar(MemorySegment x, long xo, MemorySegment w, long wo, int k) {
        float s = 0f;
        for (int i = 0; i < k; i++) s += x.get(Elements.F32, xo + 4L * i) * Float.float16ToFloat(w.get(Elements.S16, wo + 2L * i));
        return s;
    }

    /** Σ x[i]*w[i] with {@code w} already decoded to {@code float[0..k)}. */
    static float dot(MemorySegment x, long xo, float[] w, int k) {
        int lanes = Simd.LANES, i = 0;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 4 * lanes <= k; i += 4 * lanes) {
            long xi = xo + 4L * i, xs = 4L * lanes;
            a0 = Simd.f32(x, xi).fma(FloatVector.fromArray(Simd.F, w, i), a0);
            a1 = Simd.f32(x, xi + xs).fma(FloatVector.fromArray(Simd.F, w, i + lanes), a1);
            a2 = Simd.f32(x, xi + 2 * xs).fma(FloatVector.fromArray(Simd.F, w, i + 2 * lanes), a2);
            a3 = Simd.f32(x, xi + 3 * xs).fma(FloatVector.fromArray(Simd.F, w, i + 3 * lanes), a3);
        }
        for (; i + lanes <= k; i += lanes) a0 = Simd.f32(x, xo + 4L * i).fma(FloatVector.fromArray(Simd.F, w, i), a0);
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) s += x.get(Elements.F32, xo + 4L * i) * w[i];
        return s;
    }

    static void dot4(MemorySegment x, long xo, long xStride, float[] w, int k, float[] out) {
        int lanes = Simd.LANES, i = 0;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
        for (; i + lanes <= k; i += lanes) {
            FloatVector wv = FloatVector.fromArray(Simd.F, w, i);
            long xi = xo + 4L * i;
            a0 = Simd.f32(x, xi).fma(wv, a0);
            a1 = Simd.f32(x, xi + xStride).fma(wv, a1);
            a2 = Simd.f32(x, xi + 2 * xStride).fma(wv, a2);
            a3 = Simd.f32(x, xi + 3 * xStride).fma(wv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < k; i++) {
            long xi = xo + 4L * i;
            s0 += x.get(Elements.F32, xi) * w[i];
            s1 += x.get(Elements.F32, xi + xStride) * w[i];
            s2 += x.get(Elements.F32, xi + 2 * xStride) * w[i];
            s3 += x.get(Elements.F32, xi + 3 * xStride) * w[i];
        }
        out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
    }
}
