package org.apexbench.profiler.table;

import java.util.Arrays;

/**
 * {@code seconds = f(x)} on a strictly increasing grid, linear between points, linear
 * extrapolation from the end segments outside, floored at 0.
 *
 * @param name    which feature x is, e.g. "width"
 * @param x       grid
 * @param seconds measured values, one per grid point
 */
public record Table1D(String name, double[] x, double[] seconds) implements ProfileTable {
    public Table1D {
        ProfileTable.checkGrid(name, x);
        if (seconds == null || seconds.length != x.length) {
            throw new IllegalArgumentException("table " + name + ": needs one value per grid point (" + x.length + ")");
        }
        x = x.clone();
        seconds = seconds.clone();
    }

    @Override
    public double at(double q) {
        int i = ProfileTable.segment(x, q);
        double t = (q - x[i]) / (x[i + 1] - x[i]);
        return Math.max(0, seconds[i] + t * (seconds[i + 1] - seconds[i]));
    }

    @Override
    public double at(double q, double ignored) { return at(q); }

    @Override
    public double[] x() { return x.clone(); }

    @Override
    public double[] seconds() { return seconds.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Table1D t && name.equals(t.name) && Arrays.equals(x, t.x) && Arrays.equals(seconds, t.seconds);
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(seconds); }

    @Override
    public String toString() { return "Table1D[" + name + ", " + x.length + " points]"; }
}
