package org.apexbench.profiler.cost;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Multiplicative run-to-run noise for simulated subtask times: {@code t * exp(sigma*Z - sigma^2/2)}
 * with Z standard normal, a log-normal factor whose mean is 1 (so jitter does not shift average
 * throughput). The random source is the caller's, so determinism is too: the simulator derives one
 * per (seed, iteration, subtask) with {@link #stream(long, long, long)}.
 *
 * @param sigma standard deviation of the log of the factor; 0 = no jitter
 */
public record Jitter(double sigma) {
    public static final Jitter NONE = new Jitter(0);

    public Jitter {
        if (!(sigma >= 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("jitter sigma must be a finite number >= 0, got " + sigma);
        }
    }

    /** {@code seconds} times a log-normal factor drawn from {@code rng} (unchanged when sigma is 0). */
    public double apply(double seconds, RandomGenerator rng) {
        if (sigma == 0 || seconds == 0) {
            return seconds;
        }
        return seconds * Math.exp(sigma * rng.nextGaussian() - 0.5 * sigma * sigma);
    }

    /** A random source determined by (seed, iteration, subtask index) alone. */
    public static RandomGenerator stream(long seed, long iteration, long subtaskIndex) {
        long h = mix(seed ^ 0x6A09E667F3BCC909L);
        h = mix(h ^ iteration * 0x9E3779B97F4A7C15L);
        h = mix(h ^ subtaskIndex * 0xC2B2AE3D27D4EB4FL);
        return new SplittableRandom(h);
    }

    // Stafford's variant 13 of the 64-bit finaliser: every input bit affects every output bit.
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
