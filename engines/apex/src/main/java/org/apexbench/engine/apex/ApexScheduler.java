package org.apexbench.engine.apex;

import org.apexbench.engine.CalibratedPredictor;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.PlanBusy;
import org.apexbench.engine.Recalibration;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.Predictor;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * APEX (arXiv 2506.03296; docs/engines.md#apex): per iteration, manage placement, build the GPU-only,
 * Asynchronous-Overlap and Asymmetric-Pipelining candidates, predict each one's time in closed form
 * from the profile tables ({@link Dispatch}) and run the one with the most progress per second.
 *
 * <p>Placement (NEO's, changed where predictions say so; our choices where the paper is silent):
 * GPU requests are chunked-prefilled FCFS under the token budget while the GPU pool has room; the
 * newest GPU request is swapped out when the pool overflows; host requests are swapped back, oldest
 * first, under {@code swapInHysteresis} x GPU blocks, at most one PCIe-time-worth per iteration and
 * costed in the prediction. A waiting request that does not fit the GPU goes to the host pool only
 * if the best dispatch already uses every host request and one more CPU row still raises the
 * predicted rows per second (else it waits for GPU memory). CPU candidates are ordered least
 * recently advanced first (round robin), and a host request not advanced for
 * {@code starvationIterations} forbids the GPU-only candidate.
 */
public final class ApexScheduler implements Scheduler {
    private final ApexOptions options;
    private Dispatch dispatch;
    private final Dispatch.GpuRows gpu = new Dispatch.GpuRows();
    private final Dispatch.Choice choice = new Dispatch.Choice();
    private long[] cpuCtx = new long[64];
    private long[] admittedCtx = new long[16];
    /** With {@link ApexOptions#recalibrate()}: the factors, and the base prediction of the plan last returned. */
    private final Recalibration recalibration;
    private CalibratedPredictor calibrated;
    private PlanBusy lastPredicted;

    public ApexScheduler(ApexOptions options) {
        this.options = options;
        this.recalibration = options.recalibrate() ? new Recalibration() : null;
    }

    @Override
    public void observe(IterationPlan plan, IterationOutcome outcome) {
        if (recalibration == null || lastPredicted == null) return;
        recalibration.observe(lastPredicted.gpuSec(), outcome.gpuBusySec(), lastPredicted.cpuSec(), outcome.cpuBusySec());
        lastPredicted = null;
    }

    /** The context's predictor, scaled by the recalibration factors when that option is on. */
    private Predictor predictor(SchedulerContext ctx) {
        if (recalibration == null) return ctx.predictor();
        // once per run: the context's predictor is the run's, and the factors change in place
        if (calibrated == null) calibrated = new CalibratedPredictor(ctx.predictor(), recalibration);
        return calibrated;
    }

    @Override
    public String infeasibility(RequestSpec r, EngineBudgets b) {
        int peak = b.blocksFor((long) r.promptLength() + r.outputTokens() - 1);
        int hostRoom = b.hostKvBlocks() - b.gpuKvBlocks();
        if (peak > b.gpuKvBlocks() && peak > hostRoom) {
            return "needs " + peak + " KV blocks but the GPU pool has " + b.gpuKvBlocks() + " and the host pool leaves "
                    + Math.max(0, hostRoom) + " beyond its swap reserve";
        }
        return null;
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        IterationPlan plan = build(ctx);
        if (recalibration != null) lastPredicted = PlanBusy.predict(plan, ctx.predictor(), ctx.geometry().layers());
        return plan;
    }

    private IterationPlan build(SchedulerContext ctx) {
        Predictor p = predictor(ctx);
        var geo = ctx.geometry();
        if (dispatch == null) dispatch = new Dispatch(p, geo.layers(), geo.qkvBytesPerToken(), geo.attnOutBytesPerToken(), options.margin(),
                options.neoPacking());
        int gpuBlocks = ctx.gpuPool().capacity();
        int hostFree = ctx.hostPool().free();
        int tokens = ctx.budgets().maxTokensPerIteration();
        int slots = ctx.budgets().maxRunning() - ctx.runningCount();
        List<RequestState> swapOut = new ArrayList<>(), swapIn = new ArrayList<>(), recompute = new ArrayList<>();
        List<PrefillChunk> prefills = new ArrayList<>();
        List<RequestState> gpuDecodes = new ArrayList<>();
        // host side first: growth of host requests; recompute the newest if the host pool is full
        List<RequestState> host = new ArrayList<>(ctx.hostRunning());
        int hostGrowth = 0;
        for (RequestState r : host) hostGrowth += growth(ctx, r);
        while (hostGrowth > hostFree && !host.isEmpty()) {
            RequestState v = host.stream().max(Comparator.comparingInt(RequestState::index)).orElseThrow();
            host.remove(v);
            hostGrowth -= growth(ctx, v);
            hostFree += v.blocks();
            recompute.add(v);
        }
        hostFree -= hostGrowth;
        // GPU requests: blocks after this step; swap out the newest decodes while over the pool
        List<RequestState> onGpu = new ArrayList<>(ctx.gpuRunning());
        int g = 0;
        // a request mid-prefill has its whole known context reserved, so chunks never run out of blocks
        for (RequestState r : onGpu) g += ctx.blocksFor(r.contextLength());
        while (g > gpuBlocks && !onGpu.isEmpty()) {
            RequestState v = onGpu.removeLast();
            g -= ctx.blocksFor(v.contextLength());
            int need = ctx.blocksFor(v.contextLength());
            if (v.decoding() && need <= hostFree) {
                swapOut.add(v);
                hostFree -= need;
                host.addFirst(v);
            } else {
                recompute.add(v);
            }
        }
        double fixed = 0;
        if (swapOut.isEmpty() && recompute.isEmpty()) {
            int limit = (int) Math.round(options.swapInHysteresis() * gpuBlocks);
            double budget = geo.layers() * p.linear(1);
            while (tokens > 0) {
                RequestState r = null;
                for (RequestState h : host) if (r == null || h.index() < r.index()) r = h;
                if (r == null) break;
                int need = ctx.blocksFor(r.contextLength());
                if (!r.decoding() || g + need > limit) break;
                double t = p.h2d(ctx.swapBytes(r.blocks()), 2 * geo.layers());
                if (fixed > 0 && fixed + t > budget) break;
                swapIn.add(r);
                host.remove(r);
                onGpu.add(r);
                g += need;
                fixed += t;
            }
        }
        for (RequestState r : swapOut) fixed += p.d2h(ctx.swapBytes(r.blocks()), 2 * geo.layers());
        // GPU rows: decodes, then continuing prefills (GPU and host pool), then new admissions
        gpu.width = gpu.rows = gpu.sampled = 0;
        gpu.prefAttn = 0;
        long gpuCtx = 0;
        for (RequestState r : onGpu) {
            if (r.decoding() && tokens > 0) {
                gpuDecodes.add(r);
                gpuCtx += r.contextLength();
                tokens--;
            }
        }
        int free = gpuBlocks - g;
        for (RequestState r : onGpu) {
            if (!r.decoding() && tokens > 0) {
                int chunk = Math.min(r.remainingTokens(), tokens);
                tokens -= chunk;
                addPrefill(prefills, PrefillChunk.of(r, chunk, Location.GPU), p);
            }
        }
        List<RequestState> cpuCandidates = new ArrayList<>();
        for (RequestState r : host) {
            if (r.decoding()) {
                cpuCandidates.add(r);
            } else if (tokens > 0) {
                int chunk = Math.min(r.remainingTokens(), tokens);
                tokens -= chunk;
                addPrefill(prefills, PrefillChunk.of(r, chunk, Location.HOST), p);
            }
        }
        gpu.gdec = p.gpuDecodeAttention(gpuDecodes.size(), gpuCtx);
        gpu.width += gpuDecodes.size();
        gpu.rows += gpuDecodes.size();
        gpu.sampled += gpuDecodes.size();
        long now = ctx.iteration();
        cpuCandidates = leastRecentlyServedFirst(cpuCandidates);
        int n = Math.min(cpuCandidates.size(), tokens);
        if (cpuCtx.length < n + 1) cpuCtx = new long[Math.max(n + 1, 2 * cpuCtx.length)];
        for (int i = 0; i < n; i++) cpuCtx[i] = cpuCandidates.get(i).contextLength();
        boolean starving = n > 0 && now - Math.max(0, cpuCandidates.getFirst().lastProgressIteration()) > options.starvationIterations();
        int watermark = (int) Math.ceil(0.01 * gpuBlocks);
        int hostReserve = Math.max(0, ctx.hostPool().capacity() - gpuBlocks);
        int hostHeld = ctx.hostPool().used();
        boolean toHost = false;
        int admitted = 0;
        long cpuSum = 0;
        for (int i = 0; i < n; i++) cpuSum += cpuCtx[i];
        // one decision over the n CPU candidates; host admissions extend it by one hypothetical CPU row each
        dispatch.begin(gpu, cpuCtx, n, fixed, starving, options.tpotSloSec(), options.pipeline());
        for (int i = 0; i < n; i++) dispatch.add(cpuCtx[i]);
        dispatch.result(choice);
        List<PrefillChunk> gpuAdmitted = new ArrayList<>();
        for (RequestState r : ctx.waiting()) {
            if (slots < 1 || tokens < 1 || !swapOut.isEmpty() || !recompute.isEmpty()) break;
            int chunk = Math.min(r.remainingTokens(), tokens - n);
            if (chunk < 1) break;
            int need = ctx.blocksFor(r.contextLength());
            if (!toHost && need + watermark <= free) {
                free -= need;
                gpuAdmitted.add(PrefillChunk.of(r, chunk, Location.GPU));
                tokens -= chunk;
                slots--;
                continue;
            }
            if (!options.hostAdmission() || hostHeld + need > hostReserve || need > hostFree) break;
            PrefillChunk hc = PrefillChunk.of(r, chunk, Location.HOST);
            if (options.amortizedAdmission()) {
                // judge the admission with its prefill in this iteration's GPU rows (it lengthens the windows
                // the CPU hides behind) and the newcomer as a CPU row standing for its future decode steps
                double tNow = choice.predictedSec;
                int rowsNow = gpu.rows + choice.cpuCount;
                gpuRow(hc, p, 1);
                decide(n, admitted, fixed, starving);
                double tP = choice.predictedSec;
                int rowsP = gpu.rows + choice.cpuCount;
                dispatch.add(r.contextLength() + 1L);
                dispatch.result(choice);
                // a newcomer the dispatch would not run yet costs, once the CPU is the bottleneck, about its share of
                // the CPU's time per step
                boolean runs = choice.used[dispatch.candidates() - 1];
                double perRow = runs ? Math.max(0, choice.predictedSec - tP)
                        : geo.layers() * (p.cpuDecodeAttention(n + admitted + 1, cpuSum + r.contextLength() + 1L)
                        - p.cpuDecodeAttention(Math.max(1, n + admitted), Math.max(1, cpuSum)));
                if (!(runs || rowsP - rowsNow > 1) || !admissionPays(Math.max(0, r.targetOutput() - r.generated() - 1), tNow, rowsNow, tP, rowsP, perRow)) {
                    gpuRow(hc, p, -1);
                    decide(n, admitted, fixed, starving);
                    break;
                }
                gpuRow(hc, p, -1);
                addPrefill(prefills, hc, p);
                if (admittedCtx.length <= admitted) admittedCtx = java.util.Arrays.copyOf(admittedCtx, 2 * admittedCtx.length);
                admittedCtx[admitted++] = r.contextLength() + 1L;
                cpuSum += r.contextLength() + 1L;
                decide(n, admitted, fixed, starving);
            } else {
                // one iteration's view: the best dispatch uses every CPU row and one more raises the rate by the margin
                if (choice.cpuCount < dispatch.candidates()) break;
                double before = choice.rate;
                dispatch.save();
                dispatch.add(r.contextLength() + 1L);
                dispatch.result(choice);
                if (!(choice.rate > before * (1 + dispatch.margin())) || choice.cpuCount < dispatch.candidates()) {
                    dispatch.restore();
                    dispatch.result(choice);
                    break;
                }
                addPrefill(prefills, hc, p);
            }
            hostFree -= need;
            hostHeld += need;
            toHost = true;
            tokens -= chunk;
            slots--;
        }
        // the admitted prefills change the GPU rows: decide again over the real CPU candidates
        for (PrefillChunk c : gpuAdmitted) addPrefill(prefills, c, p);
        if (!gpuAdmitted.isEmpty() || toHost) {
            dispatch.begin(gpu, cpuCtx, n, fixed, starving, options.tpotSloSec(), options.pipeline());
            for (int i = 0; i < n; i++) dispatch.add(cpuCtx[i]);
            dispatch.result(choice);
        }
        List<RequestState> cpu = new ArrayList<>(choice.cpuCount);
        int inB0 = 0;
        boolean ap = choice.strategy == Strategy.ASYMMETRIC_PIPELINE;
        for (int i = 0; i < n; i++) if (choice.used[i] && (!ap || choice.inB0[i])) { cpu.add(cpuCandidates.get(i)); if (ap) inB0++; }
        if (ap) for (int i = 0; i < n; i++) if (choice.used[i] && !choice.inB0[i]) cpu.add(cpuCandidates.get(i));
        return new IterationPlan(prefills, gpuDecodes, cpu, inB0, swapOut, swapIn, recompute, choice.strategy, choice.predictedSec);
    }

    /**
     * Amortized host admission (our rule; the paper only says "when predicted to pay"): the admission
     * iteration takes {@code tP - tNow} more seconds for {@code rowsP - rowsNow} more tokens (the prefill's
     * first token plus any CPU rows its longer GPU windows let the dispatch hide); after it, each of the
     * newcomer's {@code later} remaining tokens (up to its max_tokens, which a server knows) costs
     * {@code perRow}, the predicted marginal time of one more CPU row (or, when the dispatch would not run
     * it yet, its marginal CPU attention time). It is considered only when the dispatch runs the newcomer
     * or the prefill's longer windows let it run more existing host rows. Admit when those tokens cost no more per token than the
     * current iteration's. Judging one iteration's rows/second alone refuses nearly every prefill (a
     * 373-token prompt doubles a T4 iteration) although the request then decodes almost for free.
     */
    static boolean admissionPays(int later, double tNow, int rowsNow, double tP, int rowsP, double perRow) {
        if (rowsNow == 0) return true;
        double time = Math.max(0, tP - tNow) + later * perRow;
        double tokens = Math.max(1, rowsP - rowsNow) + later;
        return time <= tokens * tNow / rowsNow;
    }

    private void decide(int n, int admitted, double fixed, boolean starving) {
        dispatch.begin(gpu, cpuCtx, n, fixed, starving, options.tpotSloSec(), options.pipeline());
        for (int i = 0; i < n; i++) dispatch.add(cpuCtx[i]);
        for (int i = 0; i < admitted; i++) dispatch.add(admittedCtx[i]);
        dispatch.result(choice);
    }

    /** Adds ({@code sign} 1) or removes (-1) a prefill chunk from the GPU-side sums. */
    private void gpuRow(PrefillChunk c, Predictor p, int sign) {
        gpu.width += sign * c.length();
        gpu.rows += sign;
        if (c.completes()) gpu.sampled += sign;
        gpu.prefAttn += sign * p.prefillAttention(c.length(), 1, c.attendedPairs());
    }

    private long[] keys = new long[64];

    /** Round-robin order: least recently advanced first, ties by queue position (primitive sort, no comparator). */
    private List<RequestState> leastRecentlyServedFirst(List<RequestState> l) {
        int n = l.size();
        if (keys.length < n) keys = new long[Math.max(n, 2 * keys.length)];
        for (int i = 0; i < n; i++) keys[i] = ((l.get(i).lastProgressIteration() + 1) << 32) | i;
        java.util.Arrays.sort(keys, 0, n);
        List<RequestState> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(l.get((int) keys[i]));
        return out;
    }

    private void addPrefill(List<PrefillChunk> prefills, PrefillChunk c, Predictor p) {
        prefills.add(c);
        gpuRow(c, p, 1);
    }

    private static int growth(SchedulerContext ctx, RequestState r) {
        return Math.max(0, ctx.blocksFor(r.contextLength()) - r.blocks());
    }
}
