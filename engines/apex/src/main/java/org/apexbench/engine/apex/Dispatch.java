package org.apexbench.engine.apex;

import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.LaneCosts;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;

/**
 * APEX's per-iteration dispatch decision in closed form (docs/engines.md#apex): given the GPU rows (prefill chunks
 * and GPU decodes, as per-layer sums) and an ordered list of CPU decode candidates, predict per layer the time of
 * GPU-only, Asynchronous Overlap with the first k candidates, and Asymmetric Pipelining with the first k candidates
 * split greedily between the sub-batches, and pick the one with the most requests advanced per second. Every
 * per-layer time is its strategy's {@link LayerLayout} evaluated on {@link LaneCosts} (AO's and AP's windows written
 * out): APEX prices the GPU rows' attention as one running sum and a CPU path as one fitted term (copies linear in
 * rows, plus attention). All layers are alike, so one layer times L. Incremental: prefix sums over the candidates
 * and O(1) table lookups per k; reusable scratch, no allocation per call.
 */
final class Dispatch {
    private static final LayerLayout GPU_ONLY = LayerLayout.of(Strategy.GPU_ONLY);

    /** The chosen dispatch. */
    static final class Choice {
        Strategy strategy = Strategy.GPU_ONLY;
        int cpuCount;             // first k candidates run on the CPU
        double predictedSec;
        double rate;              // rows per second
        /**
         * Predicted TPOT against the SLO: the iteration time, infinite when the plan leaves a candidate that must run
         * ({@link Dispatch#add(long, boolean)}) waiting.
         */
        double tpotSec;
        /** Candidate i runs on the CPU iff used[i] (a prefix for AO and prefix AP, NEO packing may skip). */
        boolean[] used = new boolean[0];
        /** For AP: used candidates with inB0[i] go to sub-batch B0, the others to B1. */
        boolean[] inB0 = new boolean[0];
        /** The AP split came from NEO's slack packing (else from the prefix split). */
        boolean packed;

        /** Sizes the masks for n candidates and clears them. */
        void clear(int n) {
            if (used.length < n) {
                used = new boolean[Math.max(n, 2 * used.length)];
                inB0 = new boolean[used.length];
            }
            java.util.Arrays.fill(used, false);
            java.util.Arrays.fill(inB0, false);
        }
    }

    private final Predictor p;
    private final int layers;
    private final long qkvBytes;
    private final long outBytes;
    private final double margin;
    private final SlackPacking packing;
    private final LaneCosts costs = new LaneCosts();
    private boolean[] side = new boolean[64];
    private long[] ctxs = new long[64];

    Dispatch(Predictor p, int layers, long qkvBytesPerRow, long outBytesPerRow) {
        this(p, layers, qkvBytesPerRow, outBytesPerRow, MARGIN, true);
    }

    /** @param neoPacking also consider AP with NEO's zero-slack greedy packing of the candidates (may skip some) */
    Dispatch(Predictor p, int layers, long qkvBytesPerRow, long outBytesPerRow, double margin, boolean neoPacking) {
        this(p, layers, qkvBytesPerRow, outBytesPerRow, margin, neoPacking, null);
    }

    /**
     * As above, reading the prefix sweep {@code shared} (its owner clears it whenever {@code p} may have changed), or
     * sweeping at every {@link #begin} when null.
     */
    Dispatch(Predictor p, int layers, long qkvBytesPerRow, long outBytesPerRow, double margin, boolean neoPacking,
             PrefixSweep shared) {
        this.p = p;
        this.ownSweep = shared == null;
        this.sweep = shared == null ? new PrefixSweep(p) : shared;
        this.layers = layers;
        this.qkvBytes = qkvBytesPerRow;
        this.outBytes = outBytesPerRow;
        this.margin = margin;
        this.packing = neoPacking ? new SlackPacking(this) : null;
    }

    /**
     * eq. (6) of the APEX paper: asymmetric pipelining beats GPU-only in decode when
     * N_G / N_C &lt; 2 T_glinear / T_gatt + 3 + T_gatt / T_glinear, where N_G / N_C is how many times
     * faster the GPU does decode attention than the CPU.
     */
    static boolean apBeatsGpuOnly(double gpuLinearSec, double gpuAttnSec, double gpuOverCpuAttnSpeed) {
        if (gpuAttnSec <= 0) return true;
        if (gpuLinearSec <= 0) return false;
        return gpuOverCpuAttnSpeed < 2 * gpuLinearSec / gpuAttnSec + 3 + gpuAttnSec / gpuLinearSec;
    }

    private double copyFixed, copyPerRow;
    private double cpuFixed, cpuPerToken;

    /** Copies of k rows, linear between the table at 1 and at n rows (refreshed per decision). */
    private void fitCopies(int n) {
        double one = p.d2h(qkvBytes, 1) + p.h2d(outBytes, 1);
        double all = n <= 1 ? one : p.d2h(n * qkvBytes, 1) + p.h2d(n * outBytes, 1);
        copyPerRow = n <= 1 ? 0 : (all - one) / (n - 1);
        copyFixed = one - copyPerRow;
    }

    /** CPU-side time of one layer for n rows over ctx tokens: q/k/v down, attention, output up. */
    double cpuPath(int n, long ctx) {
        if (n == 0) return 0;
        return copyFixed + copyPerRow * n + p.cpuDecodeAttention(n, ctx);
    }

    /** The whole iteration for a per-layer time with {@code rows} CPU rows beside the GPU rows. */
    double whole(double perLayer, int cpuRows) {
        return whole(perLayer, p.embedAndHead(g.width + cpuRows, g.sampled + cpuRows));
    }

    /** The whole iteration for a per-layer time and the embedding and head of its rows. */
    private double whole(double perLayer, double embedAndHead) {
        return LaneCosts.iteration(layers, perLayer, embedAndHead, fixedSec);
    }

    /**
     * The GPU rows' per-layer attention, prefill plus GPU decode, priced as one term. Read afresh each time: a host
     * admission adds its prefill to the GPU rows between candidates (the GPU decodes stay as they were at
     * {@link #begin}).
     */
    double gpuAttention() { return g.prefillAttention + gdec; }

    // The layouts' windows on APEX's lane costs (GPU attention as one prefill term, no GPU decode term, no launch),
    // written out: they are evaluated several times per candidate, where LayerLayout's generic walk over its terms was
    // most of a decision's time. The same additions in the same order, so the same bits (DispatchLayoutTest).

    /** Asynchronous Overlap's per-layer time: {@code linear} over the GPU and CPU rows, beside CPU path {@code cp}. */
    double overlapped(double linear, double cp) { return overlapped(linear, cp, gpuAttention()); }

    /** {@link #overlapped(double, double)} beside GPU attention {@code ga} ({@link #gpuAttention}, read once per candidate). */
    private static double overlapped(double linear, double cp, double ga) {
        return 0.0 + Math.max(0.0 + linear, 0.0) + Math.max(0.0 + ga + 0.0, cp + 0.0);
    }

    /** Asymmetric pipelining's per-layer time: B0 = the GPU rows plus CPU rows with path cp0, B1 = CPU rows only. */
    double pipelined(double linear0, double linear1, double cp0, double cp1) {
        return pipelined(linear0, linear1, cp0, cp1, gpuAttention());
    }

    /** {@link #pipelined(double, double, double, double)} beside GPU attention {@code ga}. */
    private static double pipelined(double linear0, double linear1, double cp0, double cp1, double ga) {
        return 0.0 + Math.max(0.0 + linear0, cp1 + 0.0) + Math.max(0.0 + linear1 + ga + 0.0, cp0 + 0.0);
    }

    /** The pipelined pair's slack in window {@code w} (A: 0, B: 1). */
    double slack(int w, double linear0, double linear1, double cp0, double cp1) {
        return w == 0 ? 0.0 + linear0 - cp1 - 0.0 : 0.0 + linear1 + gpuAttention() + 0.0 - cp0 - 0.0;
    }

    // ---- incremental state of one decision: candidates are added one at a time ----
    private SubBatchLoad g;
    private double fixedSec, slo, lin0, gdec, tGpu, gpuScore;
    private boolean requireCpu, pipelineAllowed;
    private int k, mustRun;
    private long aoCtx;
    private int bestAo, bestAp;
    private double bestAoScore, bestAoT, bestApScore, bestApT;
    /** With a TPOT SLO: the best prefixes by rows per second alone, run when no plan meets the SLO. */
    private int plainAo, plainAp;
    private double plainAoScore, plainAoT, plainApScore, plainApT;
    private int w0, n0, n1;
    private long c0, c1;
    private double l0, l1, cp0, cp1;
    /** With AP allowed: the linear time of B0 and of B1 with one more row ({@code linear(w0 + 1)}, {@code linear(n1 + 1)}). */
    private double nextL0, nextL1;
    private final double[] saved = new double[26];
    /**
     * {@link #begin}'s candidates and the CPU attention of each prefix of them, swept there or shared with the other
     * passes of the decision; {@link #add} reads them while the candidates added are the first {@code prefixCount} of
     * those, in that order ({@code matched}: how many of the first added are).
     */
    private final PrefixSweep sweep;
    /** Whether this dispatcher's sweep is its own (cleared at every {@link #begin}) or its scheduler's, cleared per decision. */
    private final boolean ownSweep;
    private int prefixCount, matched;

    /**
     * Chooses the dispatch for GPU rows {@code g} and the first {@code n} CPU candidates.
     *
     * @param g             GPU rows
     * @param cpuCtx        context lengths of the CPU candidates, in priority order
     * @param n             how many candidates (a prefix of cpuCtx)
     * @param fixedSec      time every candidate pays (swaps)
     * @param requireCpu    starvation guard: GPU-only (k = 0) is not allowed
     * @param tpotSloSec    when finite, candidates slower than this lose to any that meet it
     * @param allowPipeline consider AP at all (APEX option)
     */
    Choice choose(SubBatchLoad g, long[] cpuCtx, int n, double fixedSec, boolean requireCpu, double tpotSloSec,
                  boolean allowPipeline, Choice out) {
        return choose(g, cpuCtx, n, 0, fixedSec, requireCpu, tpotSloSec, allowPipeline, out);
    }

    /** As above, where with a TPOT SLO the first {@code mustRun} candidates must run ({@link #add(long, boolean)}). */
    Choice choose(SubBatchLoad g, long[] cpuCtx, int n, int mustRun, double fixedSec, boolean requireCpu, double tpotSloSec,
                  boolean allowPipeline, Choice out) {
        begin(g, cpuCtx, n, fixedSec, requireCpu, tpotSloSec, allowPipeline);
        for (int i = 0; i < n; i++) add(cpuCtx[i], i < mustRun);
        return result(out);
    }

    /** Starts a decision; {@code cpuCtx[0..n)} only sizes the copy model and the eq. (6) gate. */
    void begin(SubBatchLoad g, long[] cpuCtx, int n, double fixedSec, boolean requireCpu, double tpotSloSec, boolean allowPipeline) {
        this.g = g;
        this.fixedSec = fixedSec;
        this.slo = tpotSloSec;
        this.requireCpu = requireCpu;
        this.mustRun = 0;
        lin0 = g.linear(p);
        gdec = g.gpuDecodeAttention(p);
        costs.clear();
        costs.linear[0] = lin0;
        costs.prefill[0] = gpuAttention();   // one term: prefill and GPU decode attention
        tGpu = whole(GPU_ONLY.perLayer(costs), 0);
        gpuScore = score(g.rows, tGpu, 0);
        k = 0;
        aoCtx = 0;
        bestAo = bestAp = 0;
        bestAoScore = bestApScore = Double.NEGATIVE_INFINITY;
        plainAo = plainAp = 0;
        plainAoScore = plainApScore = Double.NEGATIVE_INFINITY;
        w0 = g.width;
        n0 = n1 = 0;
        c0 = c1 = 0;
        l0 = lin0;
        l1 = cp0 = cp1 = 0;
        fitCopies(Math.max(1, n));
        sweepPrefixes(cpuCtx, n);
        pipelineAllowed = false;
        if (allowPipeline && n > 0) {
            long total = 0;
            for (int i = 0; i < n; i++) total += cpuCtx[i];
            double speed = p.cpuDecodeAttention(n, total) / Math.max(1e-12, p.gpuDecodeAttention(n, total));
            pipelineAllowed = apBeatsGpuOnly(lin0, gpuAttention(), speed);
            double one = p.cpuDecodeAttention(1, Math.max(1, total / n));
            double all = p.cpuDecodeAttention(n, total);
            cpuPerToken = n > 1 && total > total / n ? Math.max(0, (all - one) / (total - total / n)) : one / Math.max(1, total);
            cpuFixed = Math.max(0, one - cpuPerToken * (total / n));
            nextL0 = p.linear(w0 + 1);
            nextL1 = p.linear(n1 + 1);
        }
    }

    /** The CPU attention of every prefix of {@code cpuCtx[0..n)}, for {@link #add}. */
    private void sweepPrefixes(long[] cpuCtx, int n) {
        if (ownSweep) sweep.clear();
        sweep.cover(cpuCtx, n);
        prefixCount = n;
        matched = 0;
    }

    /** {@link #cpuPath} of the first k candidates added, the last of context {@code c}, read from the sweep when it holds them. */
    private double prefixPath(long c) {
        if (matched > k - 1) matched = k - 1;   // a trial add was undone
        if (matched == k - 1 && matched < prefixCount && sweep.context(matched) == c) {
            matched = k;
            return copyFixed + copyPerRow * k + sweep.attention(k);
        }
        return cpuPath(k, aoCtx);
    }

    /** Adds the next CPU candidate (context {@code c}): evaluates AO and AP with the first k+1. */
    void add(long c) { add(c, false); }

    /**
     * As {@link #add(long)}; with {@code must}, a plan that does not run this candidate (and every one before it) misses
     * the TPOT SLO: its TPOT budget has no room for one more iteration without a token.
     */
    void add(long c, boolean must) {
        if (must && Double.isFinite(slo)) {
            // every shorter prefix leaves this candidate waiting: none of them meets the SLO any more
            mustRun = k + 1;
            bestAoScore = bestApScore = Double.NEGATIVE_INFINITY;
        }
        if (ctxs.length <= k) ctxs = java.util.Arrays.copyOf(ctxs, Math.max(k + 1, 2 * ctxs.length));
        ctxs[k] = c;
        k++;
        aoCtx += c;
        // the plain (rows per second) prefixes are read only with an SLO
        boolean plain = Double.isFinite(slo);
        double ga = gpuAttention();
        double head = p.embedAndHead(g.width + k, g.sampled + k);
        double t = whole(overlapped(p.linear(g.width + k), prefixPath(c), ga), head);
        double sc = score(g.rows + k, t, k);
        if (better(sc, g.rows + k, bestAoScore, g.rows + bestAo)) { bestAoScore = sc; bestAo = k; bestAoT = t; }
        if (plain && better((g.rows + k) / t, plainAoScore)) { plainAoScore = (g.rows + k) / t; plainAo = k; plainAoT = t; }
        if (!pipelineAllowed) return;
        if (side.length < k) side = java.util.Arrays.copyOf(side, Math.max(k, side.length * 2));
        // greedy split: the candidate goes to the sub-batch that keeps the per-layer time lower, judged with
        // the CPU cost linearised per token (one table lookup per candidate instead of two)
        double add = copyPerRow + cpuPerToken * c;
        double l1b = nextL1, cp1a = n1 == 0 ? copyFixed + cpuFixed + add : cp1 + add;
        double tB1 = pipelined(l0, l1b, cp0, cp1a, ga);
        double l0b = nextL0, cp0a = n0 == 0 ? copyFixed + cpuFixed + add : cp0 + add;
        double tB0 = n1 == 0 ? Double.POSITIVE_INFINITY : pipelined(l0b, l1, cp0a, cp1, ga);
        // the side that grew is the only one whose next linear time changes
        if (tB1 <= tB0) {
            side[k - 1] = false;
            n1++; c1 += c; l1 = l1b; nextL1 = p.linear(n1 + 1); cp1 = cpuPath(n1, c1);
        } else {
            side[k - 1] = true;
            n0++; w0++; c0 += c; l0 = l0b; nextL0 = p.linear(w0 + 1); cp0 = cpuPath(n0, c0);
        }
        t = whole(pipelined(l0, l1, cp0, cp1, ga), head);
        sc = score(g.rows + k, t, k);
        if (better(sc, g.rows + k, bestApScore, g.rows + bestAp)) { bestApScore = sc; bestAp = k; bestApT = t; }
        if (plain && better((g.rows + k) / t, plainApScore)) { plainApScore = (g.rows + k) / t; plainAp = k; plainApT = t; }
    }

    /** Remembers the state so a trial {@link #add} can be undone. */
    void save() {
        double[] v = saved;
        v[0] = k; v[1] = aoCtx; v[2] = bestAo; v[3] = bestAp; v[4] = bestAoScore; v[5] = bestAoT; v[6] = bestApScore;
        v[7] = bestApT; v[8] = w0; v[9] = n0; v[10] = n1; v[11] = c0; v[12] = c1; v[13] = l0; v[14] = l1; v[15] = cp0;
        v[16] = cp1;
        v[17] = mustRun; v[18] = plainAo; v[19] = plainAp; v[20] = plainAoScore; v[21] = plainAoT; v[22] = plainApScore;
        v[23] = plainApT; v[24] = nextL0; v[25] = nextL1;
    }

    void restore() {
        double[] v = saved;
        k = (int) v[0]; aoCtx = (long) v[1]; bestAo = (int) v[2]; bestAp = (int) v[3]; bestAoScore = v[4]; bestAoT = v[5];
        bestApScore = v[6]; bestApT = v[7]; w0 = (int) v[8]; n0 = (int) v[9]; n1 = (int) v[10]; c0 = (long) v[11];
        c1 = (long) v[12]; l0 = v[13]; l1 = v[14]; cp0 = v[15]; cp1 = v[16]; mustRun = (int) v[17];
        plainAo = (int) v[18]; plainAp = (int) v[19]; plainAoScore = v[20]; plainAoT = v[21]; plainApScore = v[22]; plainApT = v[23];
        nextL0 = v[24]; nextL1 = v[25];
    }

    /** The best dispatch over the candidates added so far. */
    Choice result(Choice out) {
        out.clear(k);
        out.packed = false;
        take(out, Strategy.GPU_ONLY, 0, tGpu);
        if (Double.isFinite(slo)) gpuScore = score(g.rows, tGpu, 0);   // with an SLO it depends on the candidates added since begin
        double bestScore = requireCpu && k > 0 ? Double.NEGATIVE_INFINITY : gpuScore;
        bestScore = pick(out, bestScore, bestAoScore, bestAo, bestAoT, bestApScore, bestAp, bestApT);
        int packedRows = 0;
        double packedT = 0;
        if (pipelineAllowed && packing != null && k > 0) {
            int rows = packing.pack(ctxs, k, g.width, lin0);
            packedRows = rows;
            if (rows > 0) {
                double t = whole(packing.perLayer(), rows);
                packedT = t;
                double sc = score(g.rows + rows, t, packing.runsFirst(mustRun) ? rows : 0);
                // the packed split hides its CPU rows by construction, so it competes without the latency margin
                if (sc > bestScore || bestScore == Double.NEGATIVE_INFINITY) takePacked(out, rows, t);
            }
        }
        out.tpotSec = tpotOf(out);
        if (Double.isFinite(slo) && out.tpotSec > slo && k > 0) {
            // no plan meets the SLO (an overload): the most rows per second, as without one, drains it fastest
            out.clear(k);
            out.packed = false;
            take(out, Strategy.GPU_ONLY, 0, tGpu);
            double best = pick(out, requireCpu || g.rows == 0 ? Double.NEGATIVE_INFINITY : g.rows / tGpu,
                    plainAoScore, plainAo, plainAoT, plainApScore, plainAp, plainApT);
            if (packedRows > 0 && (g.rows + packedRows) / packedT > best) takePacked(out, packedRows, packedT);
            out.tpotSec = tpotOf(out);
        }
        return out;
    }

    private void take(Choice out, Strategy strategy, int cpuRows, double t) {
        out.strategy = strategy;
        out.cpuCount = cpuRows;
        out.predictedSec = t;
        out.rate = (g.rows + cpuRows) / t;
    }

    /** NEO's packed split of the last {@link SlackPacking#pack} into {@code out}. */
    private void takePacked(Choice out, int rows, double t) {
        take(out, Strategy.ASYMMETRIC_PIPELINE, rows, t);
        out.packed = true;
        packing.copyTo(out, k);
    }

    /** {@code out}'s predicted TPOT ({@link #tpot}; a packed split may skip candidates, so its mask is checked). */
    private double tpotOf(Choice out) {
        if (!out.packed) return tpot(out.predictedSec, out.cpuCount);
        return packing.runsFirst(mustRun) ? out.predictedSec : Double.POSITIVE_INFINITY;
    }

    /**
     * Takes AO's or AP's best prefix into {@code out} where it beats {@code bestScore}, the score of the plan {@code out}
     * holds ({@code g.rows + out.cpuCount} rows); returns the best score.
     */
    private double pick(Choice out, double bestScore, double aoScore, int ao, double aoT, double apScore, int ap, double apT) {
        if (better(aoScore, g.rows + ao, bestScore, g.rows + out.cpuCount)) {
            bestScore = aoScore;
            take(out, Strategy.ASYNC_OVERLAP, ao, aoT);
            java.util.Arrays.fill(out.used, 0, ao, true);
        }
        if (better(apScore, g.rows + ap, bestScore, g.rows + out.cpuCount)) {
            bestScore = apScore;
            take(out, Strategy.ASYMMETRIC_PIPELINE, ap, apT);
            java.util.Arrays.fill(out.used, 0, k, false);
            java.util.Arrays.fill(out.used, 0, ap, true);
            System.arraycopy(side, 0, out.inB0, 0, ap);
        }
        return bestScore;
    }

    /** Candidates added so far. */
    int candidates() { return k; }

    /** Whether this decision considers AP's prefix split (eq. (6) and the option), read by tests. */
    boolean pipelineAllowed() { return pipelineAllowed; }

    /** AP's greedy split prices one more row of context {@code c} in a sub-batch at this (linearised; tests replay it). */
    double splitRowCost(long c) { return copyPerRow + cpuPerToken * c; }

    /** What the greedy split prices a sub-batch's first row at beyond {@link #splitRowCost}: the copies' and attention's fixed parts. */
    double splitFirstRowFixed() { return copyFixed + cpuFixed; }

    Predictor predictor() { return p; }

    /**
     * Candidates are visited from the shortest iteration up; a longer one must beat the best so far by
     * {@link #MARGIN} (2%; in our T4 and A10G long-output sims 1-5% moved throughput by under 3%), with a TPOT SLO
     * per added row ({@link #better(double, int, double, int)}).
     * Rows per second is often flat once the CPU is the bottleneck, and without the margin the argmax
     * drifts to huge CPU batches whose iterations multiply every request's TPOT for a fraction of a
     * percent of throughput (our choice; the paper does not say how ties are broken).
     */
    static final double MARGIN = 0.02;

    /**
     * Whether a plan of {@code rows} rows scoring {@code s} beats the best so far ({@code bestRows} rows, {@code best}).
     * With a TPOT SLO, a plan with more rows than the best, both scored by rows per second (both meet the SLO; in an
     * overload, {@link #result}'s pick among the fastest prefixes), must make its added rows cost less than
     * (1 - margin) of the best plan's time per row, (T' - T) / (R' - R) &lt; (1 - margin) T / R: the margin applies to
     * what the added host rows cost, not to the whole step, whose rows per second one free host row beside R GPU rows
     * raises by only 1/R (under the 2% the whole-step margin asks once R passes 50). The SLO bounds the longer plan's
     * iteration, the margin's other job. Otherwise (no SLO, a plan that misses it, or one with fewer rows) the whole
     * step's rows per second must rise by the margin.
     */
    private boolean better(double s, int rows, double best, int bestRows) {
        if (Double.isFinite(slo) && s > 0 && best > 0 && rows > bestRows && bestRows > 0) {
            double t = rows / s, tBest = bestRows / best;
            return (t - tBest) / (rows - bestRows) < (1 - margin) * tBest / bestRows;
        }
        return better(s, best);
    }

    private boolean better(double s, double best) {
        return best == Double.NEGATIVE_INFINITY ? s > best : s > best + Math.abs(best) * margin;
    }

    /** The margin this dispatcher applies. */
    double margin() { return margin; }

    /**
     * Rows per second; with a TPOT SLO, a plan whose predicted TPOT ({@link #tpot}) exceeds it scores minus that TPOT, so
     * it loses to every plan that meets the SLO and, among plans that all miss it, the lowest TPOT wins (never one that
     * leaves a must-run candidate waiting while another runs them all).
     */
    private double score(int rows, double t, int cpuRows) {
        if (rows == 0) return Double.NEGATIVE_INFINITY;
        if (Double.isFinite(slo)) {
            double tpot = tpot(t, cpuRows);
            if (tpot > slo) return -tpot;
        }
        return rows / t;
    }

    /**
     * Predicted TPOT of a plan of {@code t} seconds that runs the first {@code cpuRows} candidates (a prefix): t,
     * or infinite when a candidate that must run is left out.
     */
    double tpot(double t, int cpuRows) { return cpuRows < mustRun ? Double.POSITIVE_INFINITY : t; }
}
