package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** {@code out[r][i] = silu(gate[r][i]) * up[r][i]}, gate and up packed side by side in rows of {@code 2*width}. */
final class SiluMul {
    private SiluMul() {}

    static float silu(float g) { return (float) (g / (1.0 + Math.exp(-g))); }

    static void scalar(MemorySegment gateUp, int rows, int width, MemorySegment out) {
        for (int r = 0; r < rows; r++) {
            long in = (long) r * 2 * width, o = (long) r * width;
            for (int i = 0; i < width; i++) {
                float g = gateUp.getAtIndex(Elements.F32, in + i), u = gateUp.getAtIndex(Elements.F32, in + width + i);
                out.setAtIndex(Elements.F32, o + i, silu(g) * u);
            }
        }
    }

    static void fast(MemorySegment gateUp, int rows, int width, MemorySegment out) {
        int lanes = Simd.LANES, bound = width - width % lanes;
        for (int r = 0; r < rows; r++) {
            long in = (long) r * 2 * width * 4, o = (long) r * width * 4;
            int i = 0;
            for (; i < bound; i += lanes) {
                FloatVector g = Simd.f32(gateUp, in + 4L * i), u = Simd.f32(gateUp, in + 4L * (width + i));
                FloatVector sig = g.neg().lanewise(VectorOperators.EXP).add(1f);
                g.div(sig).mul(u).intoMemorySegment(out, o + 4L * i, Simd.LE);
            }
            for (; i < width; i++) {
                float g = gateUp.get(Elements.F32, in + 4L * i), u = gateUp.get(Elements.F32, in + 4L * (width + i));
                out.set(Elements.F32, o + 4L * i, silu(g) * u);
            }
        }
    }
}
