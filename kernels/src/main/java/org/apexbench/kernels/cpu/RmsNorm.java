package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.apexbench.kernels.DType;

/** {@code out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight} (Llama RMSNorm, fp32 throughout). */
final class RmsNorm {
    private RmsNorm() {}

    static void scalar(MemorySegment x, MemorySegment w, DType wt, float eps, int rows, int width, MemorySegment out) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * width;
            float ss = 0f;
            for (int i = 0; i < width; i++) {
                float v = x.getAtIndex(Elements.F32, base + i);
                ss += v * v;
            }
            float inv = (float) (1.0 / Math.sqrt(ss / width + eps));
            for (int i = 0; i < width; i++) {
                out.setAtIndex(Elements.F32, base + i, x.getAtIndex(Elements.F32, base + i) * inv * Elements.get(w, wt, i));
            }
        }
    }

    static void fast(MemorySegment x, MemorySegment w, DType wt, float eps, int rows, int width, MemorySegment out) {
        int lanes = Simd.LANES, bound = width - width % lanes;
        for (int r = 0; r < rows; r++) {
            long base = (long) r * width * 4;
            FloatVector acc = FloatVector.zero(Simd.F);
            int i = 0;
            for (; i < bound; i += lanes) {
                FloatVector v = Simd.f32(x, base + 4L * i);
                acc = v.fma(v, acc);
            }
            float ss = acc.reduceLanes(VectorOperators.ADD);
            for (; i < width; i++) {
                float v = x.get(Elements.F32, base + 4L * i);
                ss += v * v;
            }
            float inv = (float) (1.0 / Math.sqrt(ss / width + eps));
            i = 0;
            if (wt != DType.F16) {
                for (; i < bound; i += lanes) {
                    FloatVector wv = wt == DType.F32 ? Simd.f32(w, 4L * i) : Simd.bf16(w, 2L * i);
                    Simd.f32(x, base + 4L * i).mul(inv).mul(wv).intoMemorySegment(out, base + 4L * i, Simd.LE);
                }
            }
            for (; i < width; i++) {
                out.set(Elements.F32, base + 4L * i, x.get(Elements.F32, base + 4L * i) * inv * Elements.get(w, wt, i));
            }
        }
    }
}
