package org.apexbench.engine.predict;

import org.apexbench.profiler.table.ProfileTable;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A remembered cell's miss walks to the next cell from the latest one ({@link ProfilePredictor#segmentFrom}); the
 * binary search ({@link ProfileTable#segment}) is the reference. Random strictly increasing grids of 2-40 points,
 * queries on the points, between them, beside them and off both ends (infinities and NaN included), from every
 * starting segment: the walk finds the search's segment.
 */
class SegmentWalkTest {
    @Test
    void walkingFromAnySegmentFindsTheBinarySearchsSegment() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 2000; trial++) {
            double[] grid = new double[2 + rnd.nextInt(39)];
            grid[0] = rnd.nextInt(3) == 0 ? 1 : rnd.nextDouble() * 100 - 50;
            for (int i = 1; i < grid.length; i++) grid[i] = grid[i - 1] + (rnd.nextBoolean() ? 1 << rnd.nextInt(12) : rnd.nextDouble() * 1000 + 1e-9);
            for (int q = 0; q < 20; q++) {
                double x = switch (rnd.nextInt(8)) {
                    case 0 -> grid[rnd.nextInt(grid.length)];
                    case 1 -> Math.nextDown(grid[rnd.nextInt(grid.length)]);
                    case 2 -> Math.nextUp(grid[rnd.nextInt(grid.length)]);
                    case 3 -> grid[0] - 1 - rnd.nextDouble() * 1e6;
                    case 4 -> grid[grid.length - 1] + 1 + rnd.nextDouble() * 1e6;
                    case 5 -> new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}[rnd.nextInt(3)];
                    default -> grid[0] + rnd.nextDouble() * (grid[grid.length - 1] - grid[0]);
                };
                int expected = ProfileTable.segment(grid, x);
                for (int from = 0; from < grid.length - 1; from++) {
                    assertEquals(expected, ProfilePredictor.segmentFrom(grid, x, from), "trial " + trial + ": " + x + " from segment " + from);
                }
            }
        }
    }
}
