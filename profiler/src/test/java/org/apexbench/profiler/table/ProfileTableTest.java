package org.apexbench.profiler.table;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProfileTableTest {
    @Test
    void oneDimensionalIsExactOnLinearDataInsideAndOutsideTheGrid() {
        double[] x = {1, 2, 4, 8, 16};
        double[] s = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            s[i] = 3e-4 + 2e-5 * x[i];
        }
        Table1D t = new Table1D("width", x, s);
        for (double q : new double[] {1, 1.5, 3, 7.9, 16, 20, 100, 0.5}) {
            assertEquals(3e-4 + 2e-5 * q, t.at(q), 1e-15, "at " + q);
        }
    }

    @Test
    void oneDimensionalInterpolatesPiecewise() {
        Table1D t = new Table1D("w", new double[] {0, 10, 20}, new double[] {0, 10, 30});
        assertEquals(5, t.at(5), 1e-12);
        assertEquals(20, t.at(15), 1e-12);
        assertEquals(50, t.at(30), 1e-12);   // extrapolated along the last segment
        assertEquals(0, t.at(-5), 1e-12);    // extrapolation floored at zero
    }

    @Test
    void bilinearIsExactOnBilinearData() {
        double[] x = {1, 2, 4, 8};
        double[] y = {16, 64, 256, 1024, 4096};
        double[][] s = new double[x.length][y.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < y.length; j++) {
                s[i][j] = f(x[i], y[j]);
            }
        }
        Table2D t = new Table2D("requests x context", x, y, s);
        for (double qx : new double[] {1, 1.3, 3, 6.5, 8, 10}) {
            for (double qy : new double[] {16, 20, 100, 1000, 4096, 5000}) {
                assertEquals(f(qx, qy), t.at(qx, qy), 1e-12 * f(qx, qy), qx + "," + qy);
            }
        }
    }

    private static double f(double x, double y) { return 4e-5 + 1e-6 * x + 3e-8 * y + 1e-9 * x * y; }

    @Test
    void gridsMustBeStrictlyIncreasing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Table1D("width", new double[] {1, 4, 4}, new double[] {1, 2, 3}));
        assertEquals("table width: grid must be finite and strictly increasing, at index 2 got 4.0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Table1D("w", new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> new Table2D("r", new double[] {1, 2}, new double[] {1, 2}, new double[][] {{1, 2}, {3}}));
    }

    @Test
    void twoDimensionalNeedsTwoCoordinates() {
        Table2D t = new Table2D("r", new double[] {1, 2}, new double[] {1, 2}, new double[][] {{1, 2}, {3, 4}});
        assertThrows(UnsupportedOperationException.class, () -> t.at(1.5));
    }
}
