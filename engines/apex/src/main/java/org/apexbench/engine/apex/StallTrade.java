package org.apexbench.engine.apex;

/**
 * With a TPOT objective: the trade of the host rows a plan runs now against the time it adds (docs/engines.md,
 * SLO-aware scheduling). The argmax of one step's rows per second treats a host row it leaves waiting as free, but
 * the row must still run before its TPOT deadline, and when the waiting host rows cannot all be hidden behind the GPU
 * the deferred ones come due together in a plan whose CPU path outlasts the GPU's, where each adds its own CPU path
 * to the step. Deferring is priced by that stall: sigma, the mean CPU path per row of the current candidates (the
 * time one of them adds to a CPU-bound step), when the faster of AO's and AP's plans that run all of them stalls the
 * GPU, and 0 when that plan hides them all. A plan that runs k' &gt; k host rows in T' with no more predicted GPU stall
 * than the chosen plan (k rows in T: its added rows are hidden) replaces it when T' - T &lt; sigma (k' - k), the one
 * that gains most winning. Every term is a predicted time; there is no parameter.
 *
 * <p>{@link Dispatch} records the time and stall of each prefix it evaluates; reusable scratch.
 */
final class StallTrade {
    /** Whole-iteration time of AO's and AP's plan with the first k candidates, at index k (0: GPU-only; AP: +inf if not evaluated). */
    private double[] ao = new double[65], ap = new double[65];
    /** The predicted GPU stall of those plans: the time the CPU path keeps the GPU waiting (0: the rows are hidden). */
    private double[] aoStall = new double[65], apStall = new double[65];
    /** The plan {@link #choose} found: AO, AP (prefix split) or NEO's packing, and its host rows. */
    static final int NONE = 0, AO = 1, AP = 2, PACKED = 3;
    int kind;
    int rows;

    /** Starts a decision whose GPU-only plan takes {@code gpuOnlySec}. */
    void begin(double gpuOnlySec) {
        ao[0] = gpuOnlySec;
        ap[0] = gpuOnlySec;
        aoStall[0] = 0;
        apStall[0] = 0;
    }

    /** The time of AO's plan with the first {@code k} candidates and its GPU stall; AP's is unknown until {@link #pipelined}. */
    void overlapped(int k, double sec, double stallSec) {
        if (ao.length <= k) {
            int m = Math.max(k + 1, 2 * ao.length);
            ao = java.util.Arrays.copyOf(ao, m);
            ap = java.util.Arrays.copyOf(ap, m);
            aoStall = java.util.Arrays.copyOf(aoStall, m);
            apStall = java.util.Arrays.copyOf(apStall, m);
        }
        ao[k] = sec;
        aoStall[k] = stallSec;
        ap[k] = Double.POSITIVE_INFINITY;
    }

    /** The time of AP's plan (prefix split) with the first {@code k} candidates and its GPU stall, after {@link #overlapped}. */
    void pipelined(int k, double sec, double stallSec) {
        ap[k] = sec;
        apStall[k] = stallSec;
    }

    /** The recorded time of AP's ({@code pipelined}) or AO's plan with the first {@code k} candidates. */
    double sec(int k, boolean pipelined) { return pipelined ? ap[k] : ao[k]; }

    /** The recorded GPU stall of AP's ({@code pipelined}) or AO's plan with the first {@code k} candidates. */
    double stall(int k, boolean pipelined) { return pipelined ? apStall[k] : aoStall[k]; }

    /**
     * The price of deferring one of {@code n} host rows whose mean CPU path per iteration is {@code rowPathSec}: that
     * path when the faster of AO's and AP's plans running all {@code n} stalls the GPU, else 0 (that plan hides them).
     */
    double deferralSec(int n, double rowPathSec) {
        if (n == 0) return 0;
        double stall = ap[n] < ao[n] ? apStall[n] : aoStall[n];
        return stall > 0 ? rowPathSec : 0;
    }

    /**
     * With {@code n} candidates of mean CPU path {@code rowPathSec} ({@link #deferralSec}): looks for the plan that gains
     * most over the chosen one ({@code chosenRows} host rows in {@code chosenSec}, GPU stall
     * {@code chosenStall}) among AO's and AP's prefixes of more rows and NEO's packing ({@code packedRows} rows in
     * {@code packedSec}, 0 rows: none), each hiding its added rows (no more GPU stall than the chosen plan), meeting TPOT
     * {@code slo} and running the first {@code mustRun} candidates ({@code packedRunsMust}); the
     * gain of k' rows in T' is sigma k' - T' against the chosen plan's sigma k - T. Sets {@link #kind} and {@link #rows}
     * (NONE when the chosen plan stays).
     */
    void choose(int n, double rowPathSec, int chosenRows, double chosenSec, double chosenStall, int mustRun, double slo, int packedRows,
                double packedSec, double packedStall, boolean packedRunsMust) {
        kind = NONE;
        rows = chosenRows;
        double sigma = deferralSec(n, rowPathSec);
        if (!(sigma > 0)) return;
        double best = sigma * chosenRows - chosenSec;
        for (int j = Math.max(chosenRows + 1, mustRun); j <= n; j++) {
            if (ao[j] <= slo && aoStall[j] <= chosenStall && sigma * j - ao[j] > best) { best = sigma * j - ao[j]; kind = AO; rows = j; }
            if (ap[j] <= slo && apStall[j] <= chosenStall && sigma * j - ap[j] > best) { best = sigma * j - ap[j]; kind = AP; rows = j; }
        }
        if (packedRows > chosenRows && packedRunsMust && packedSec <= slo && packedStall <= chosenStall
                && sigma * packedRows - packedSec > best) {
            kind = PACKED;
            rows = packedRows;
        }
    }
}
