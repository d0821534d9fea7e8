package org.apexbench.engine.apex;

/**
 * The order of {@code 0..n-1} by a non-negative key, ties by index: what sorting the packed keys
 * {@code key << 32 | index} gives, by a stable least-significant-digit radix sort of the keys' offsets from their
 * minimum, one pass per byte of their range. APEX orders its CPU candidates this way every iteration (keys are
 * iterations or milliseconds of slack, whose range is a byte or two), where a comparison sort of hundreds of host
 * requests was a tenth of a decision. Reusable scratch, no allocation once grown.
 */
final class StableOrder {
    private static final int BITS = 8, RADIX = 1 << BITS;
    private long[] key = new long[64];
    private int[] order = new int[64], swap = new int[64];
    private final int[] count = new int[RADIX];

    /** Sizes the scratch for {@code n} keys; set them with {@link #key} before {@link #sort}. */
    void reset(int n) {
        if (key.length < n) {
            key = new long[Math.max(n, 2 * key.length)];
            order = new int[key.length];
            swap = new int[key.length];
        }
    }

    /** Sets the key of index {@code i} (0 to 2^31 - 1, as the packed key keeps it). */
    void key(int i, long k) { key[i] = k; }

    /** Orders the first {@code n} indices by key, ties by index; returns the order (valid until the next call). */
    int[] sort(int n) {
        long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            order[i] = i;
            min = Math.min(min, key[i]);
            max = Math.max(max, key[i]);
        }
        int[] from = order, to = swap;
        // each pass is stable, so after the pass over the highest byte the order is by key, then by index
        for (int shift = 0; n > 1 && (max - min) >>> shift != 0; shift += BITS) {
            java.util.Arrays.fill(count, 0);
            for (int i = 0; i < n; i++) count[digit(from[i], min, shift)]++;
            for (int d = 0, sum = 0; d < RADIX; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) {
                int idx = from[i];
                to[count[digit(idx, min, shift)]++] = idx;
            }
            int[] t = from;
            from = to;
            to = t;
        }
        order = from;
        swap = to;
        return from;
    }

    private int digit(int idx, long min, int shift) { return (int) ((key[idx] - min) >>> shift) & (RADIX - 1); }
}
