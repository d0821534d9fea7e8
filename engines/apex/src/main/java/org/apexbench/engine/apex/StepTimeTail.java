package org.apexbench.engine.apex;

/**
 * How much longer than priced the iterations ahead turn out, at the quantile the TPOT objective's percentile asks for,
 * once pricing at the mean has proved short for some request of the run (docs/engines.md#slo-aware-scheduling, "The
 * p99 price once a slack has run out"). APEX prices a request's remaining tokens at a decayed mean of recent plan times;
 * the objective is a p99 over requests, and the hundreds of iterations a long request still has to live include arrival
 * clusters the mean cannot see. This measures, from the run's own iterations, the distribution of what that pricing
 * got wrong: at iteration i the remaining h iterations were priced at {@code h x mean_i}; when iteration i + h - 1 ends,
 * their realized time (the busy clock from i's start to that end) over that price is one sample at horizon h. A request
 * with h tokens left that runs in every iteration from i on sees exactly that ratio, so its p99 is the factor by which
 * pricing at the mean must be raised for the request to meet its deadline 99 times in 100.
 *
 * <p>Only a request whose slack runs out can end late, so the factor stays 1 (the mean's price) until the slack of some
 * request of the run has run out at the mean's price ({@link #ranOut}): where none ever does, waiting on the mean costs
 * no request its TPOT, and raising the price would only make requests run that need not (measured: on A10G + Llama-2-7B
 * {@code synth-neo} at 200 ms no slack runs out and the raised price cost 13 requests their TPOT). Once one has,
 * the windows' p99: the requests at risk see worse than the windows (they are left out of overload steps, and the step
 * that runs all of them is longer than the steps the mean averaged), and too few of them finish to measure their own
 * quantile.
 *
 * <p>Horizons are powers of two, 4 .. 2,048 iterations; each has a histogram of the ratio in 1% bins over [1/4, 4]
 * (clamped), kept over the whole run: the tail comes from clusters that are rare, so it is not decayed. Per
 * iteration this costs one sample per horizon and one quantile per horizon (a walk down from the highest bin to the
 * quantile, a few bins); a request's factor is then a lookup. With no sample yet at a horizon (the start of a run),
 * the nearest shorter horizon with samples answers, and with none the factor is 1. The factor is never under 1: the
 * mean's price is the least a request is priced at. When predictions are right every ratio is 1 and so is the factor.
 */
final class StepTimeTail {
    /** The percentile of the objective: the capacity matrix and {@code sweep --find-max-rate} judge p99 TPOT. */
    static final double OBJECTIVE_QUANTILE = 0.99;
    static final int MIN_LOG = 2, MAX_LOG = 11;
    private static final int HORIZONS = MAX_LOG - MIN_LOG + 1;
    /** Bin b holds the ratios in (e^((b - ZERO - 1) s), e^((b - ZERO) s)], s = ln 1.01; ZERO s is just over ln 4. */
    private static final double LOG_STEP = Math.log1p(0.01);
    private static final int ZERO = 140, BINS = 2 * ZERO + 1;
    /** Float rounding of a ratio that is 1 must not move it into the bin above. */
    private static final double ROUNDING = 1e-6;
    /** Ring of the last 2^(MAX_LOG + 1) iterations: the busy clock at each one's start and the price per iteration then. */
    private static final int RING = 1 << (MAX_LOG + 1), MASK = RING - 1;

    /** Whether the slack of some request of the run has run out at the mean's price ({@link #ranOut}). */
    private boolean ranOut;
    private final long[][] counts = new long[HORIZONS][BINS];
    private final long[] samples = new long[HORIZONS];
    /** The longest horizon (index) with a sample, -1 before any: a lookup starts there, not at an empty one. */
    private int longestSampled = -1;
    /** Highest non-empty bin per horizon, where the quantile's walk starts. */
    private final int[] top = new int[HORIZONS];
    private final double[] factor = new double[HORIZONS];
    private final double[] clockAt = new double[RING];
    private final double[] priceAt = new double[RING];
    /** Iterations ended so far, and the busy clock at the end of the last (the sum of their durations). */
    private long ended;
    private double clock;
    /** The iteration priced and not yet ended: its start time, or NaN. */
    private double pendingStart = Double.NaN;

    StepTimeTail() { java.util.Arrays.fill(factor, 1); }

    /**
     * Iteration {@code ended} starts at {@code nowSec} and prices each remaining iteration at {@code iterationSec} (0:
     * no price yet; that iteration gives no sample). A plan that never ends ({@link #ran} not called) is replaced.
     */
    void priced(double nowSec, double iterationSec) {
        int at = (int) (ended & MASK);
        clockAt[at] = clock;
        priceAt[at] = iterationSec;
        pendingStart = nowSec;
    }

    /**
     * The iteration priced last ended at {@code endSec}: one sample at each horizon whose first iteration is now h
     * back, and the factors recomputed.
     */
    void ran(double endSec) {
        if (Double.isNaN(pendingStart)) return;
        clock += Math.max(0, endSec - pendingStart);
        pendingStart = Double.NaN;
        ended++;
        for (int k = 0; k < HORIZONS; k++) {
            long h = 1L << (k + MIN_LOG);
            if (h > ended) break;
            int i = (int) ((ended - h) & MASK);
            double price = priceAt[i];
            if (!(price > 0)) continue;
            add(k, (clock - clockAt[i]) / (h * price));
            factor[k] = Math.max(1, quantile(k, OBJECTIVE_QUANTILE));
        }
    }

    /**
     * The factor to price {@code iterations} more iterations at: the objective's quantile of realized over priced time at
     * the longest horizon not above it (the shortest horizon if it is shorter, the longest if longer), or at the nearest
     * shorter horizon with samples; 1 with none, and 1 until a request's slack has run out ({@link #ranOut}).
     */
    double factor(int iterations) {
        if (!ranOut) return 1;
        int log = 31 - Integer.numberOfLeadingZeros(Math.max(1, iterations));
        for (int k = Math.min(longestSampled, Math.max(0, log - MIN_LOG)); k >= 0; k--) if (samples[k] > 0) return factor[k];
        return 1;
    }

    /** The {@code q}-quantile of the samples at horizon index {@code k} (the upper edge of its bin); 1 with none. */
    double quantile(int k, double q) {
        long n = samples[k];
        if (n == 0) return 1;
        long need = (long) Math.ceil(q * n);   // the smallest bin whose samples at or below it number at least need
        long above = 0;
        long[] c = counts[k];
        for (int b = top[k]; b > 0; b--) {
            if (n - above - c[b] < need) return Math.exp((b - ZERO) * LOG_STEP);
            above += c[b];
        }
        return Math.exp(-ZERO * LOG_STEP);
    }

    /**
     * The slack of a request ran out at the mean's price: from now on remaining iterations are priced at the windows'
     * quantile (until then at the mean).
     */
    void ranOut() { ranOut = true; }

    /** Samples at horizon index {@code k} (tests). */
    long samples(int k) { return samples[k]; }

    private void add(int k, double ratio) {
        int b = (int) Math.ceil(Math.log(ratio) / LOG_STEP - ROUNDING) + ZERO;
        b = Math.max(0, Math.min(BINS - 1, b));
        counts[k][b]++;
        top[k] = Math.max(top[k], b);
        samples[k]++;
        longestSampled = Math.max(longestSampled, k);
    }
}
