package org.apexbench.profiler.table;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A measured function of one or two subtask features, interpolated between grid points:
 * {@link Table1D} linearly, {@link Table2D} bilinearly. Beyond the grid both extrapolate linearly
 * from the outermost segment (so linear data are reproduced exactly everywhere), and the result is
 * floored at 0 (a time cannot be negative).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({@JsonSubTypes.Type(value = Table1D.class, name = "1d"), @JsonSubTypes.Type(value = Table2D.class, name = "2d")})
public sealed interface ProfileTable permits Table1D, Table2D {
    /** Seconds at (x) for 1-D tables; 2-D tables take {@link #at(double, double)}. */
    double at(double x);

    /** Seconds at (x, y); 1-D tables ignore y. */
    double at(double x, double y);

    /**
     * A table of this one's name and grid whose every cell is {@code f} of this table's cell and {@code other}'s (the same
     * kind and grid; an IllegalArgumentException otherwise): e.g. the cell-wise lower of two sweeps.
     */
    default ProfileTable combine(ProfileTable other, java.util.function.DoubleBinaryOperator f) {
        return switch (this) {
            case Table1D t when other instanceof Table1D o && java.util.Arrays.equals(t.x(), o.x()) -> {
                double[] s = t.seconds(), so = o.seconds();
                for (int i = 0; i < s.length; i++) s[i] = f.applyAsDouble(s[i], so[i]);
                yield new Table1D(t.name(), t.x(), s);
            }
            case Table2D t when other instanceof Table2D o && java.util.Arrays.equals(t.x(), o.x())
                    && java.util.Arrays.equals(t.y(), o.y()) -> {
                double[][] s = t.seconds(), so = o.seconds();
                for (int i = 0; i < s.length; i++) for (int j = 0; j < s[i].length; j++) s[i][j] = f.applyAsDouble(s[i][j], so[i][j]);
                yield new Table2D(t.name(), t.x(), t.y(), s);
            }
            default -> throw new IllegalArgumentException("tables differ in kind or grid: cannot combine them cell by cell");
        };
    }

    /** This table with every cell times {@code k}. */
    default ProfileTable scaled(double k) { return combine(this, (a, b) -> a * k); }

    /** The smallest index i with {@code grid[i] <= x < grid[i+1]}, clamped to [0, n-2]. */
    static int segment(double[] grid, double x) {
        int lo = 0;
        int hi = grid.length - 1;
        if (x <= grid[0]) {
            return 0;
        }
        if (x >= grid[hi]) {
            return hi - 1;
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (grid[mid] <= x) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static void checkGrid(String name, double[] grid) {
        if (grid == null || grid.length < 2) {
            throw new IllegalArgumentException("table " + name + ": needs at least 2 grid points");
        }
        for (int i = 0; i < grid.length; i++) {
            if (!Double.isFinite(grid[i]) || (i > 0 && grid[i] <= grid[i - 1])) {
                throw new IllegalArgumentException("table " + name + ": grid must be finite and strictly increasing, at index "
                        + i + " got " + grid[i]);
            }
        }
    }
}
