package org.apexbench.profiler.table;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProfileTableTest {
    /** Cell by cell, in one dimension and two, keeping the name and grid; tables of another kind or grid are refused. */
    @Test
    void tablesCombineCellByCellOnTheSameGrid() {
        Table1D a = new Table1D("width", new double[] {1, 2, 4}, new double[] {5, 1, 7});
        Table1D b = new Table1D("width", new double[] {1, 2, 4}, new double[] {2, 3, 7});
        Table1D low = (Table1D) a.combine(b, Math::min);
        assertArrayEquals(new double[] {2, 1, 7}, low.seconds());
        assertArrayEquals(a.x(), low.x());
        assertEquals("width", low.name());
        assertArrayEquals(new double[] {10, 2, 14}, ((Table1D) a.scaled(2)).seconds());
        assertArrayEquals(new double[] {5, 1, 7}, a.seconds(), "the operands are left as they were");

        Table2D c = new Table2D("r x c", new double[] {1, 2}, new double[] {16, 32}, new double[][] {{1, 8}, {3, 4}});
        Table2D d = new Table2D("r x c", new double[] {1, 2}, new double[] {16, 32}, new double[][] {{2, 2}, {2, 6}});
        Table2D max = (Table2D) c.combine(d, Math::max);
        assertArrayEquals(new double[] {2, 8}, max.seconds()[0]);
        assertArrayEquals(new double[] {3, 6}, max.seconds()[1]);
        assertArrayEquals(new double[] {4.5, 6}, ((Table2D) c.scaled(1.5)).seconds()[1]);

        assertThrows(IllegalArgumentException.class, () -> a.combine(new Table1D("width", new double[] {1, 2, 8}, new double[] {1, 1, 1}), Math::min));
        assertThrows(IllegalArgumentException.class, () -> c.combine(new Table2D("r x c", new double[] {1, 2}, new double[] {16, 64},
                new double[][] {{1, 1}, {1, 1}}), Math::min));
        assertThrows(IllegalArgumentException.class, () -> a.combine(c, Math::min));
    }

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
