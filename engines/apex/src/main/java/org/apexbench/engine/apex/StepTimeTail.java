package org.apexbench.engine.apex;

/**
 * How much longer than priced the iterations ahead turn out, at the quantile the TPOT objective's percentile asks for
 * (docs/engines.md#slo-aware-scheduling, "Remaining tokens priced at the p99"). APEX prices a request's remaining
 * tokens at a decayed mean of recent plan times; the objective is a p99 over requests, and the hundreds of iterations
 * a long request still has to live include arrival clusters the mean cannot see. This measures, from the run's own
 * iterations, the distribution of what that pricing got wrong: at iteration i the remaining h iterations were priced
 * at {@code h x mean_i}; when iteration i + h - 1 ends, their realized time (the busy clock from i's start to that
 * end) over that price is one sample at horizon h. A request with h tokens left that runs every iteration from i on
 * sees exactly that ratio, so its p99 is the factor by which pricing at the mean must be raised for the request to
 * meet its deadline 99 times in 100.
 *
 * <p>Horizons are powers of two, 4 .. 2,048 iterations; each has a histogram of the ratio in 1% bins over [1/4, 4]
 * (clamped), kept over the whole run: the tail comes from clusters that are rare, so it is not decayed. Per
 * iteration this costs one sample per horizon and one quantile per horizon (a walk down from the highest bin to the
 * quantile, a few bins); a request's factor is then a lookup. With no sample yet at a horizon (the start of a run),
 * the nearest shorter horizon with samples answers, and with none the factor is 1: the mean's price, unchanged.
 * When predictions are right every ratio is 1 and so is the factor.
 */
final class StepTimeTail {
    /** The percentile of the objective: the capacity matrix and {@code sweep --find-max-rate} judge p99 TPOT. */
    static final double OBJECTIVE_QUANTILE = 0.99;
    /**
     * The quantile of the windows the objective asks for: only a request that reaches zero slack is at risk, so with a
     * share m of the finished requests ever at risk, 1 - (1 - 0.99) / m (0.99 before any finishes).
     */
    private double level = OBJECTIVE_QUANTILE;
    static final int MIN_LOG = 2, MAX_LOG = 11;
    private static final int HORIZONS = MAX_LOG - MIN_LOG + 1;
    /** Bin b holds the ratios in (e^((b - ZERO - 1) s), e^((b - ZERO) s)], s = ln 1.01; ZERO s is just over ln 4. */
    private static final double LOG_STEP = Math.log1p(0.01);
    private static final int ZERO = 140, BINS = 2 * ZERO + 1;
    /** Float rounding of a ratio that is 1 must not move it into the bin above. */
    private static final double ROUNDING = 1e-6;
    /** Ring of the last 2^(MAX_LOG + 1) iterations: the busy clock at each one's start and the price per iteration then. */
    private static final int RING = 1 << (MAX_LOG + 1), MASK = RING - 1;

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
            factor[k] = Math.max(1, quantile(k, level));
        }
    }

    /**
     * The factor to price {@code iterations} more iterations at: the objective's quantile of realized over priced time at
     * the longest horizon not above it (the shortest horizon if it is shorter, the longest if longer), or at the nearest
     * shorter horizon with samples; 1 with none.
     */
    double factor(int iterations) {
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
     * Of {@code finished} requests, {@code atRisk} reached zero slack at some iteration: the quantile becomes
     * 1 - (1 - 0.99) / (atRisk / finished), at least 0 (the factors follow at the next {@link #ran}).
     */
    void atRisk(long finished, long atRisk) {
        if (finished == 0) return;
        level = atRisk == 0 ? 0 : Math.max(0, 1 - (1 - OBJECTIVE_QUANTILE) * finished / atRisk);
    }

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
