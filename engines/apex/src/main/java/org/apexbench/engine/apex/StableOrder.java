package org.apexbench.engine.apex;

/**
 * The order of {@code 0..n-1} by a non-negative key, ties by index: what sorting the packed keys
 * {@code key << 32 | index} gives, by a least-significant-digit radix sort of the same packing with the keys taken
 * from their minimum, one stable pass per byte of their range (the indices start in order, so each pass keeps ties
 * by index). APEX orders its CPU candidates this way every iteration: iterations since progress span a byte, a
 * slack in milliseconds two or three, where a comparison sort of hundreds of host requests was a tenth of a decision.
 * Reusable scratch, no allocation once grown.
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
        long[] from = packed, to = swap;
        for (int i = 0; i < n; i++) from[i] = (from[i] - min) << 32 | i;
        long range = max - min;
        for (int shift = 32; n > 1 && range >>> (shift - 32) != 0; shift += BITS) {
            java.util.Arrays.fill(count, 0);
            for (int i = 0; i < n; i++) count[(int) (from[i] >>> shift) & (RADIX - 1)]++;
            for (int d = 0, sum = 0; d < RADIX; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                long v = from[i];
                to[count[(int) (v >>> shift) & (RADIX - 1)]++] = v;
            }
            long[] t = from;
            from = to;
            to = t;
        }
        packed = from;
        swap = to;
    }

    /** The {@code i}-th index in the last {@link #sort}'s order. */
    int index(int i) { return (int) packed[i]; }
}
