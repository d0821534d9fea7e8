package org.apexbench.engine.apex;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@link StableOrder} orders as the comparison sort of the packed keys {@code key << 32 | index} it replaced, on random
 * keys of every range APEX gives it (iterations since progress: a few distinct values; slack in milliseconds offset by
 * 2^30: spreads of a byte to the whole 31 bits), with many ties, 0-700 candidates, and the scratch reused across sizes.
 */
class StableOrderTest {
    @Test
    void ordersAsTheSortOfPackedKeys() {
        SplittableRandom rnd = new SplittableRandom(5);
        StableOrder order = new StableOrder();
        for (int trial = 0; trial < 2000; trial++) {
            int n = rnd.nextInt(4) == 0 ? rnd.nextInt(701) : rnd.nextInt(20);
            int bits = 1 + rnd.nextInt(31);
            long base = rnd.nextBoolean() ? 0 : rnd.nextLong((1L << 31) - (1L << (bits - 1)));
            long[] packed = new long[n];
            order.reset(n);
            for (int i = 0; i < n; i++) {
                long k = Math.min((1L << 31) - 1, base + rnd.nextLong(1L << (bits - 1)) * (rnd.nextInt(8) == 0 ? 0 : 1));
                order.key(i, k);
                packed[i] = (k << 32) | i;
            }
            java.util.Arrays.sort(packed);
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) expected[i] = (int) packed[i];
            order.sort(n);
            int[] actual = new int[n];
            for (int i = 0; i < n; i++) actual[i] = order.index(i);
            assertArrayEquals(expected, actual, "trial " + trial + ": " + n + " keys over " + bits + " bits");
        }
    }
}
