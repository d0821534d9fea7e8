package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The inline vector exp used by the attention softmax: relative error below 1e-6 against Math.exp on x in [-87, 0]. */
class FastExpTest {
    @Test
    void matchesMathExpOnNonPositiveInputs() {
        float[] x = new float[8], y = new float[8];
        double worst = 0;
        for (int i = 0; i + 8 <= 870_000; i += 8) {   // x in [-87, 0]: below -87 the clamp is by design
            for (int j = 0; j < 8; j++) x[j] = -(i + j) * 1e-4f;
            FastExp.expNonPositive(FloatVector.fromArray(AttentionWorker.SCORES, x, 0)).intoArray(y, 0);
            for (int j = 0; j < 8; j++) {
                double exact = Math.exp(x[j]);
                worst = Math.max(worst, Math.abs(y[j] - exact) / exact);
            }
        }
        assertTrue(worst < 1e-6, "worst relative error " + worst);
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = -1000f;
        FastExp.expNonPositive(FloatVector.fromArray(AttentionWorker.SCORES, x, 0)).intoArray(y, 0);
        assertTrue(y[0] >= 0 && y[0] < 1e-37 && y[1] < 1e-37, "underflow clamps to ~0: " + y[0] + " " + y[1]);
    }
}
