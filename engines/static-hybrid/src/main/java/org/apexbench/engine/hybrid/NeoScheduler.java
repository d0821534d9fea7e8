package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.Predictor;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * NEO's load-aware scheduler (MLSys 2025; docs/engines.md#neo): NEO's placement
 * ({@link Placement}), then the mode decision: trim CPU prefills from the sequential batch down to a
 * 128-token width, split CPU decodes greedily between sub-batches B1 and B0 while both slack windows
 * stay >= 0 (slack B = linr(B1) + pref(B0) + gdec(B0) - cdec(B0) - lnch, slack A = linr(B0) -
 * cdec(B1) - lnch), trim CPU prefills from B0, and choose the pipelined pair if it advances more
 * requests per unit of GPU time than the sequential batch. Per-layer costs come from the profile
 * tables through the {@link Predictor}; lnch is NEO's hard-coded 0.8 ms per stage in its faithful
 * single-thread runtime and 0 on the two-thread runtime.
 *
 * <p>Where NEO is silent: when neither a GPU row nor a CPU decode fits the slacks, the head of the CPU
 * queue runs alone in B1 so host requests always progress (NEO's linr(0) is undefined there).
 */
public final class NeoScheduler implements Scheduler {
    static final int LINR_S_THRESHOLD = 128;
    private final double lnch;

    public NeoScheduler(double launchSecPerStage) { this.lnch = launchSecPerStage; }

    @Override
    public String infeasibility(RequestSpec r, EngineBudgets b) {
        return hybridInfeasibility(r, b);
    }

    /** Host-bound prefill KV is written to GPU staging blocks first (NEO's staging layer), so the GPU pool cannot be empty. */
    static final String NO_STAGING = "cannot be prefilled: host-bound prefill KV is staged in the GPU KV pool, which has 0 blocks";

    static String hybridInfeasibility(RequestSpec r, EngineBudgets b) {
        if (r.promptLength() > b.maxTokensPerIteration()) {
            return "has a prompt longer than the " + b.maxTokensPerIteration() + "-token iteration budget (NEO prefills whole prompts)";
        }
        int peak = b.blocksFor((long) r.promptLength() + r.outputTokens() - 1);
        if (b.gpuKvBlocks() == 0) return NO_STAGING;
        if (peak > b.gpuKvBlocks() && peak > b.hostKvBlocks() - b.gpuKvBlocks()) {
            return "needs " + peak + " KV blocks but the GPU pool has " + b.gpuKvBlocks() + " and the host pool leaves "
                    + (b.hostKvBlocks() - b.gpuKvBlocks()) + " beyond its swap reserve";
        }
        return null;
    }

    /** Per-layer sums of one (sub-)batch, enough for NEO's closed-form costs. */
    static final class Side {
        int width, prefills, gpuReq, cpuReq, rows;
        long gpuCtx, cpuCtx;
        double prefAttn;

        Side copy() {
            Side s = new Side();
            s.width = width; s.prefills = prefills; s.gpuReq = gpuReq; s.cpuReq = cpuReq; s.rows = rows;
            s.gpuCtx = gpuCtx; s.cpuCtx = cpuCtx; s.prefAttn = prefAttn;
            return s;
        }

        void addPrefill(PrefillChunk c, Predictor p, int sign) {
            width += sign * c.length();
            prefills += sign;
            rows += sign;
            prefAttn += sign * p.prefillAttention(c.length(), 1, c.attendedPairs());
        }

        void addCpu(RequestState r, int sign) {
            width += sign;
            cpuReq += sign;
            rows += sign;
            cpuCtx += sign * (long) r.contextLength();
        }

        double linr(Predictor p) { return width == 0 ? 0 : p.linear(width); }

        double gdec(Predictor p) { return p.gpuDecodeAttention(gpuReq, gpuCtx); }

        double cdec(Predictor p) { return p.cpuDecodeAttention(cpuReq, cpuCtx); }

        double gpuTime(Predictor p) { return linr(p) + prefAttn + gdec(p); }
    }

    private double slackB(Side b0, Side b1, Predictor p) { return b1.linr(p) + b0.prefAttn + b0.gdec(p) - b0.cdec(p) - lnch; }

    private double slackA(Side b0, Side b1, Predictor p) { return b0.linr(p) + b1.prefAttn + b1.gdec(p) - b1.cdec(p) - lnch; }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        Predictor p = ctx.predictor();
        Placement pl = new Placement(ctx, ctx.gpuPool().capacity(), true);
        int layers = ctx.geometry().layers();
        // sequential batch S and pipelined B0 start with every prefill and GPU decode
        Side base = new Side();
        for (RequestState r : pl.gpuDecodes) {
            base.width++;
            base.rows++;
            base.gpuReq++;
            base.gpuCtx += r.contextLength();
        }
        for (PrefillChunk c : pl.gpuPrefills) base.addPrefill(c, p, 1);
        Side s = base.copy();
        List<PrefillChunk> sCprf = new ArrayList<>(pl.cpuPrefills);
        for (PrefillChunk c : sCprf) s.addPrefill(c, p, 1);
        while (!sCprf.isEmpty() && s.width - sCprf.getLast().length() >= LINR_S_THRESHOLD) {
            s.addPrefill(sCprf.removeLast(), p, -1);
        }
        Side b0 = base.copy();
        List<PrefillChunk> b0Cprf = new ArrayList<>(pl.cpuPrefills);
        for (PrefillChunk c : b0Cprf) b0.addPrefill(c, p, 1);
        Side b1 = new Side();
        List<RequestState> c0 = new ArrayList<>();
        List<RequestState> c1 = new ArrayList<>();
        int tokens = pl.tokensLeft;
        long minFail = Long.MAX_VALUE;
        boolean toB1 = true;
        for (RequestState r : pl.cpuQueue) {
            if (tokens < 1) break;
            if (r.contextLength() >= minFail) continue;
            Side t = toB1 ? b1 : b0;
            t.addCpu(r, 1);
            double a = slackA(b0, b1, p), b = slackB(b0, b1, p);
            if (Math.min(a, b) < 0) {
                t.addCpu(r, -1);
                minFail = r.contextLength();
                continue;
            }
            (toB1 ? c1 : c0).add(r);
            tokens--;
            toB1 = a > b;
        }
        if (c1.isEmpty() && !c0.isEmpty()) {
            // NEO returns S alone when B1 is empty; its B0 CPU rows then wait. Keep NEO's behaviour.
            c0.clear();
        }
        if (c1.isEmpty() && s.rows == 0 && !pl.cpuQueue.isEmpty() && tokens > 0) {
            c1.add(pl.cpuQueue.getFirst());
            b1.addCpu(pl.cpuQueue.getFirst(), 1);
        }
        double swap = swapTime(ctx, pl);
        if (c1.isEmpty()) {
            return sequential(ctx, pl, sCprf, s, layers, swap);
        }
        while (!b0Cprf.isEmpty() && b0.width - b0Cprf.getLast().length() >= LINR_S_THRESHOLD) {
            PrefillChunk last = b0Cprf.getLast();
            b0.addPrefill(last, p, -1);
            if (Math.min(slackA(b0, b1, p), slackB(b0, b1, p)) < 0) {
                b0.addPrefill(last, p, 1);
                break;
            }
            b0Cprf.removeLast();
        }
        double tSeq = s.gpuTime(p);
        double tPipe = b0.gpuTime(p) + b1.gpuTime(p);
        boolean forced = s.rows == 0;
        if (!forced && (double) s.rows / tSeq >= (double) (b0.rows + b1.rows) / tPipe) {
            return sequential(ctx, pl, sCprf, s, layers, swap);
        }
        List<PrefillChunk> prefills = new ArrayList<>(pl.gpuPrefills);
        prefills.addAll(b0Cprf);
        List<RequestState> cpu = new ArrayList<>(c0);
        cpu.addAll(c1);
        double perLayer = Math.max(b0.linr(p), b1.cdec(p) + lnch) + Math.max(b1.linr(p) + b0.prefAttn + b0.gdec(p), b0.cdec(p) + lnch);
        double predicted = layers * perLayer + p.embedAndHead(b0.width + b1.width, b0.rows + b1.rows) + swap;
        return new IterationPlan(prefills, pl.gpuDecodes, cpu, c0.size(), pl.swapOut, pl.swapIn, pl.recompute,
                Strategy.ASYMMETRIC_PIPELINE, predicted);
    }

    private static IterationPlan sequential(SchedulerContext ctx, Placement pl, List<PrefillChunk> sCprf, Side s, int layers,
                                            double swap) {
        Predictor p = ctx.predictor();
        List<PrefillChunk> prefills = new ArrayList<>(pl.gpuPrefills);
        prefills.addAll(sCprf);
        double predicted = layers * s.gpuTime(p) + p.embedAndHead(s.width, s.rows) + swap;
        return new IterationPlan(prefills, pl.gpuDecodes, List.of(), 0, pl.swapOut, pl.swapIn, pl.recompute, Strategy.GPU_ONLY,
                predicted);
    }

    static double swapTime(SchedulerContext ctx, Placement pl) {
        double t = 0;
        Predictor p = ctx.predictor();
        int layers = ctx.geometry().layers();
        for (RequestState r : pl.swapOut) t += p.d2h(ctx.swapBytes(r.blocks()), 2 * layers);
        for (RequestState r : pl.swapIn) t += p.h2d(ctx.swapBytes(r.blocks()), 2 * layers);
        return t;
    }
}
