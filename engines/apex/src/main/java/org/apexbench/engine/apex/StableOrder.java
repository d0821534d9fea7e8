package org.apexbench.engine.apex;

/**
 * The order of {@code 0..n-1} by a non-negative key, ties by index: what sorting the packed keys
 * {@code key << 32 | index} gives. The keys are packed from their minimum and ordered by one stable counting pass per
 * byte of their span (least significant first): one pass for APEX's iterations since progress (without a TPOT SLO), in
 * half a comparison sort's time over hundreds of host requests, two to four for milliseconds of slack, in 0.4 of it at
 * 512 keys; few keys over a wide span go to the comparison sort. Reusable scratch, no allocation once grown.
 */
final class StableOrder {
    private static final int BITS = 8, RADIX = 1 << BITS;
    /**
     * Keys per counting pass below which a comparison sort is used instead (a span wider than a byte): sorting 512 keys
     * spanning 21 bits measured 2.4 us in three passes against 6.1 us for Arrays.sort, 128 keys 0.95 against 1.3 us,
     * 64 keys the same (docs/decisions.md).
     */
    private static final int MIN_KEYS_PER_PASS = 64;
    private long[] packed = new long[64], swap = new long[64];
    private final int[] count = new int[RADIX];
    private long min = Long.MAX_VALUE, max = Long.MIN_VALUE;

    /** Starts an ordering of {@code n} keys, set with {@link #key} before {@link #sort}. */
    void reset(int n) {
        if (packed.length < n) {
            packed = new long[Math.max(n, 2 * packed.length)];
            swap = new long[packed.length];
        }
        min = Long.MAX_VALUE;
        max = Long.MIN_VALUE;
    }

    /** Sets the key of index {@code i} (0 to 2^31 - 1, as the packed key keeps it). */
    void key(int i, long k) {
        packed[i] = k;
        min = Math.min(min, k);
        max = Math.max(max, k);
    }

    /** Orders the first {@code n} indices by key, ties by index; read them with {@link #index}. */
    void sort(int n) {
        for (int i = 0; i < n; i++) packed[i] = (packed[i] - min) << 32 | i;
        if (n < 2) return;
        // one stable counting pass per byte of the keys' span, lowest first: the indices start in order and each pass
        // keeps ties in the order the last one left, so the result is the packed keys' order. Each pass costs a
        // constant (RADIX counters) besides n: with few keys and a wide span a comparison sort is cheaper
        int passes = (64 - Long.numberOfLeadingZeros(max - min) + BITS - 1) / BITS;
        if (passes > 1 && n < MIN_KEYS_PER_PASS * passes) {
            java.util.Arrays.sort(packed, 0, n);
            return;
        }
        for (int pass = 0, shift = 32; pass < passes; pass++, shift += BITS) {
            java.util.Arrays.fill(count, 0);
            for (int i = 0; i < n; i++) count[(int) (packed[i] >>> shift) & (RADIX - 1)]++;
            for (int d = 0, sum = 0; d < RADIX; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                long v = packed[i];
                swap[count[(int) (v >>> shift) & (RADIX - 1)]++] = v;
            }
            long[] t = packed;
            packed = swap;
            swap = t;
        }
    }

    /** The {@code i}-th index in the last {@link #sort}'s order. */
    int index(int i) { return (int) packed[i]; }
}
