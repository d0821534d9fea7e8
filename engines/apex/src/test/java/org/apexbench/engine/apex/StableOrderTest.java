package org.apexbench.engine.apex;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

    /**
     * Every number of counting passes (spans of 1 to 4 bytes) on enough keys that the passes run, not the comparison sort
     * (512 keys, as APEX's slack over hundreds of host requests), and just below that size, where the comparison sort runs.
     */
    @Test
    void eachPassCountOrdersAsTheSortOfPackedKeys() {
        SplittableRandom rnd = new SplittableRandom(9);
        StableOrder order = new StableOrder();
        for (int bits : new int[]{8, 9, 16, 17, 21, 24, 25, 31}) {
            int passes = (bits + 7) / 8;
            for (int n : new int[]{512, 64 * passes, 64 * passes - 1}) {
                long[] packed = new long[n];
                order.reset(n);
                for (int i = 0; i < n; i++) {
                    long k = i % 5 == 0 ? packed[Math.max(0, i - 1)] >>> 32 : rnd.nextLong(1L << bits);   // some ties
                    if (i == 0) k = 0;
                    if (i == 1) k = (1L << bits) - 1;   // the whole span
                    order.key(i, k);
                    packed[i] = (k << 32) | i;
                }
                java.util.Arrays.sort(packed);
                order.sort(n);
                for (int i = 0; i < n; i++) {
                    assertEquals((int) packed[i], order.index(i), bits + " bits, " + n + " keys, position " + i);
                }
            }
        }
    }
}
