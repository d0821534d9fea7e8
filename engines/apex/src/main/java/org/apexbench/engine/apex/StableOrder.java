package org.apexbench.engine.apex;

/**
 * The order of {@code 0..n-1} by a non-negative key, ties by index: what sorting the packed keys
 * {@code key << 32 | index} gives. The keys are packed from their minimum; when they span less than a byte (APEX's
 * iterations since progress, without a TPOT SLO) one stable counting pass orders them, in half a comparison sort's
 * time over hundreds of host requests; a wider span (milliseconds of slack) is sorted as before, where the radix
 * passes it would take measured no faster. Reusable scratch, no allocation once grown.
 */
final class StableOrder {
    private static final int BITS = 8, RADIX = 1 << BITS;
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
        if ((max - min) >>> BITS != 0) {
            java.util.Arrays.sort(packed, 0, n);
            return;
        }
        // one stable counting pass over the key byte: the indices are in order, so ties stay by index
        java.util.Arrays.fill(count, 0);
        for (int i = 0; i < n; i++) count[(int) (packed[i] >>> 32)]++;
        for (int d = 0, sum = 0; d < RADIX; d++) {
            int c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (int i = 0; i < n; i++) {
            long v = packed[i];
            swap[count[(int) (v >>> 32)]++] = v;
        }
        long[] t = packed;
        packed = swap;
        swap = t;
    }

    /** The {@code i}-th index in the last {@link #sort}'s order. */
    int index(int i) { return (int) packed[i]; }
}
