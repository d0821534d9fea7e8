package org.apexbench.model;

/**
 * The uniform draws of seeded sampling. Draw {@code step} (the index of the generated token) of a
 * request with seed {@code seed} is a pure function of the two, so a request samples the same tokens
 * whatever it is batched with, preempted, or swapped.
 */
public final class SamplingStream {
    private SamplingStream() {}

    /** A double in [0, 1) from (seed, step): SplitMix64's finaliser over a golden-ratio-spaced counter. */
    public static double uniform(long seed, long step) {
        long z = seed + (step + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }
}
