package org.apexbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) for x <= 0 in vector lanes, inline (the Vector API's lane-wise EXP is an out-of-line SVML call
 * that spills every live vector register; in the attention tile that call cost more than the FMAs).
 * <pre>
 *   x = max(x, -87)                      (below that exp underflows fp32 normals; -inf gives ~1e-38)
 *   n = nearest integer to x / ln 2      (truncation of x*log2(e) - 0.5, x <= 0)
 *   r = x - n*ln2_hi - n*ln2_lo          (|r| <= ln2/2, Cody-Waite split keeps r exact)
 *   exp(x) = 2^n * P(r),  P = degree-6 Taylor polynomial (relative error < 2e-7)
 *   2^n    = float with exponent bits (n + 127) << 23
 * </pre>
 */
final class FastExp {
    private FastExp() {}

    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187e-06f;

    static FloatVector expNonPositive(FloatVector x) {
        FloatVector xc = x.max(-87f);
        IntVector n = (IntVector) xc.mul(LOG2E).sub(0.5f).convert(VectorOperators.F2I, 0);
        FloatVector nf = (FloatVector) n.convert(VectorOperators.I2F, 0);
        FloatVector r = xc.sub(nf.mul(LN2_HI)).sub(nf.mul(LN2_LO));
        FloatVector p = r.mul(1f / 720).add(1f / 120);
        p = p.mul(r).add(1f / 24);
        p = p.mul(r).add(1f / 6);
        p = p.mul(r).add(0.5f);
        p = p.mul(r).add(1f);
        p = p.mul(r).add(1f);
        FloatVector scale = n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }

    /** The scalar reference of {@link #expNonPositive}: {@code Math.exp}. */
    static float scalar(float x) { return (float) Math.exp(x); }
}
