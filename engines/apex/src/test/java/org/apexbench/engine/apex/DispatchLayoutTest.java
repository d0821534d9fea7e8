package org.apexbench.engine.apex;

import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.LaneCosts;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Dispatch writes AO's and AP's windows out (the decision's inner loop); {@link LayerLayout} is their definition. On
 * random lane costs, zeros and ties included, the written-out forms give the layout's bits.
 */
class DispatchLayoutTest {
    private static final LayerLayout OVERLAP = LayerLayout.of(Strategy.ASYNC_OVERLAP);
    private static final LayerLayout PIPELINE = LayerLayout.of(Strategy.ASYMMETRIC_PIPELINE);

    @Test
    void writtenOutWindowsGiveTheLayoutsBits() {
        Predictor p = DispatchTest.tables(1.7, 10, 8);
        SplittableRandom rnd = new SplittableRandom(42);
        LaneCosts c = new LaneCosts();
        for (int trial = 0; trial < 20_000; trial++) {
            Dispatch d = new Dispatch(p, 32, 0, 0);
            SubBatchLoad g = DispatchTest.gpuRows(p, rnd.nextInt(4), 1 + rnd.nextInt(4000));
            g.prefillAttention = cost(rnd);
            d.begin(g, new long[0], 0, 0, false, Double.NaN, true);
            double attn = d.gpuAttention();
            double l0 = cost(rnd), l1 = cost(rnd), cp0 = cost(rnd), cp1 = rnd.nextInt(8) == 0 ? cp0 : cost(rnd);

            c.clear();
            c.prefill[0] = attn;
            c.linear[0] = l0;
            c.cpuPath[0] = cp0;
            assertBits(OVERLAP.perLayer(c), d.overlapped(l0, cp0), "AO", trial);

            c.linear[1] = l1;
            c.cpuPath[1] = cp1;
            assertBits(PIPELINE.perLayer(c), d.pipelined(l0, l1, cp0, cp1), "AP", trial);
            assertBits(PIPELINE.slack(0, c), d.slack(0, l0, l1, cp0, cp1), "AP slack A", trial);
            assertBits(PIPELINE.slack(1, c), d.slack(1, l0, l1, cp0, cp1), "AP slack B", trial);
        }
    }

    /** A per-layer time: 0 now and then, else anything from nanoseconds to a second. */
    private static double cost(SplittableRandom rnd) {
        return rnd.nextInt(10) == 0 ? 0.0 : Math.pow(10, -9 + 9 * rnd.nextDouble());
    }

    private static void assertBits(double layout, double writtenOut, String what, int trial) {
        assertEquals(Double.doubleToRawLongBits(layout), Double.doubleToRawLongBits(writtenOut),
                what + " at trial " + trial + ": layout " + layout + ", written out " + writtenOut);
    }
}
