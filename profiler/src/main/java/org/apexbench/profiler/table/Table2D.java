package org.apexbench.profiler.table;

import java.util.Arrays;

/**
 * {@code seconds = f(x, y)} on a rectangular grid, bilinear inside each cell; outside the grid the
 * outermost cell's bilinear form is extended (linear extrapolation per axis), floored at 0.
 *
 * @param name    e.g. "requests x contextTokens"
 * @param x       first-axis grid
 * @param y       second-axis grid
 * @param seconds values, {@code seconds[i][j]} at {@code (x[i], y[j])}
 */
public record Table2D(String name, double[] x, double[] y, double[][] seconds) implements ProfileTable {
    public Table2D {
        ProfileTable.checkGrid(name + " (x)", x);
        ProfileTable.checkGrid(name + " (y)", y);
        if (seconds == null || seconds.length != x.length) {
            throw new IllegalArgumentException("table " + name + ": needs " + x.length + " rows of values");
        }
        double[][] copy = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            if (seconds[i] == null || seconds[i].length != y.length) {
                throw new IllegalArgumentException("table " + name + ": row " + i + " needs " + y.length + " values");
            }
            copy[i] = seconds[i].clone();
        }
        x = x.clone();
        y = y.clone();
        seconds = copy;
    }

    @Override
    public double at(double q) {
        throw new UnsupportedOperationException("table " + name + " is two-dimensional: call at(x, y)");
    }

    @Override
    public double at(double qx, double qy) {
        int i = ProfileTable.segment(x, qx);
        int j = ProfileTable.segment(y, qy);
        double tx = (qx - x[i]) / (x[i + 1] - x[i]);
        double ty = (qy - y[j]) / (y[j + 1] - y[j]);
        double a = seconds[i][j] + ty * (seconds[i][j + 1] - seconds[i][j]);
        double b = seconds[i + 1][j] + ty * (seconds[i + 1][j + 1] - seconds[i + 1][j]);
        return Math.max(0, a + tx * (b - a));
    }

    @Override
    public double[] x() { return x.clone(); }

    @Override
    public double[] y() { return y.clone(); }

    @Override
    public double[][] seconds() {
        double[][] c = new double[seconds.length][];
        for (int i = 0; i < seconds.length; i++) {
            c[i] = seconds[i].clone();
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Table2D t && name.equals(t.name) && Arrays.equals(x, t.x) && Arrays.equals(y, t.y)
                && Arrays.deepEquals(seconds, t.seconds);
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.deepHashCode(seconds); }

    @Override
    public String toString() { return "Table2D[" + name + ", " + x.length + "x" + y.length + " points]"; }
}
