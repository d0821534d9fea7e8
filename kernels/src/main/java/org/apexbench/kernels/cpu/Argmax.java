package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Index of the largest logit of a row, the lowest index on ties. */
final class Argmax {
    private Argmax() {}

    static int scalar(MemorySegment logits, long rowOff, int vocab) {
        int best = 0;
        float max = logits.get(Elements.F32, rowOff);
        for (int i = 1; i < vocab; i++) {
            float v = logits.get(Elements.F32, rowOff + 4L * i);
            if (v > max) { max = v; best = i; }
        }
        return best;
    }

    /** Vector max over the row, then the first index holding it. */
    static int fast(MemorySegment logits, long rowOff, int vocab) {
        int lanes = Simd.LANES, bound = vocab - vocab % lanes, i = 0;
        FloatVector mv = FloatVector.broadcast(Simd.F, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += lanes) mv = mv.max(Simd.f32(logits, rowOff + 4L * i));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < vocab; i++) max = Math.max(max, logits.get(Elements.F32, rowOff + 4L * i));
        for (int j = 0; j < vocab; j++) if (logits.get(Elements.F32, rowOff + 4L * j) == max) return j;
        return scalar(logits, rowOff, vocab);   // NaN logits: fall back to the reference's answer
    }
}
