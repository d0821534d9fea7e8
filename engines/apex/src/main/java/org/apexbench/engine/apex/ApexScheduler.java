package org.apexbench.engine.apex;

import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.PlanBusy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.policy.Placement;
import org.apexbench.engine.policy.PlacementRules;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.predict.RecalibratingPredictor;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * APEX (arXiv 2506.03296; docs/engines.md#apex): per iteration, manage placement, build the GPU-only,
 * Asynchronous-Overlap and Asymmetric-Pipelining candidates, predict each one's time in closed form
 * from the profile tables ({@link Dispatch}) and run the one with the most progress per second.
 *
 * <p>Placement is NEO's ({@link Placement}) with APEX's rules ({@link PlacementRules#apex}): GPU requests are
 * chunked-prefilled FCFS under the token budget while the GPU pool has room; the newest GPU request is swapped
 * out when the pool overflows; host requests are swapped back, oldest first, under {@code swapInHysteresis} x GPU
 * blocks (with a TPOT SLO, up to the admission's limit for one predicted to miss it on the host: {@link SwapInShare}),
 * at most one PCIe-time-worth per iteration and costed in the prediction. A waiting request that does not
 * fit the GPU goes to the host pool only if {@link HostAdmission} predicts it pays (else it waits for GPU memory),
 * except a request whose peak KV can never fit the GPU pool, which goes to the host whenever the pool has room.
 * CPU candidates are ordered least recently advanced first (round robin), and a host request not advanced for
 * {@code starvationIterations} forbids the GPU-only candidate.
 */
public final class ApexScheduler implements Scheduler {
    private final ApexOptions options;
    private Dispatch dispatch;
    private final SubBatchLoad gpu = new SubBatchLoad();
    private final Dispatch.Choice choice = new Dispatch.Choice();
    /** With a TPOT SLO: the decode step after this iteration, which host admission tests against the SLO. */
    private Dispatch steady;
    private final SubBatchLoad steadyGpu = new SubBatchLoad();
    private final Dispatch.Choice steadyChoice = new Dispatch.Choice();
    /** With a TTFT SLO: when the waiting requests would get GPU memory, which host admission tests against the SLO. */
    private final GpuQueueForecast queueForecast = new GpuQueueForecast();
    /** With a TPOT SLO: the prefills to come, which host admission charges to the running requests' windows. */
    private final PrefillForecast prefillForecast = new PrefillForecast();
    private long[] cpuCtx = new long[64];
    /** The CPU attention of every prefix of this decision's CPU candidates, read by each of its passes. */
    private PrefixSweep sweep;
    /** This decision's CPU candidates in priority order: the i-th is the CPU queue's {@code order.index(i)}-th. */
    private final StableOrder order = new StableOrder();
    /** Context length of each request of the CPU queue, by queue position, read while ordering them (reused). */
    private long[] queueCtx = new long[64];
    /**
     * With a TPOT SLO: how many of this iteration's CPU candidates (the first) must run, and the iteration time the
     * slack is priced at: the predicted times of the plans run, exponentially decayed (prefill iterations included).
     */
    private int mustRun;
    private double meanIterationSec;
    /**
     * The predicted times of the plans run, decayed over about a short request's life: with a TTFT SLO and no TPOT SLO,
     * the iteration time of host admission's queue forecast ({@link HostAdmission}; with a TPOT SLO it prices the
     * steady step and the prefills to come instead).
     */
    private double horizonIterationSec;
    /** With {@link ApexOptions#recalibrate()}: the run's predictor recalibrated, and the base prediction of the plan last returned. */
    private RecalibratingPredictor recalibrating;
    private PlanBusy lastPredicted;
    /** With a TPOT SLO: the host requests' recent pace, which decides whether one goes before the queue for GPU memory. */
    private final SwapInShare swapInShare = new SwapInShare();

    /** Decay per iteration of {@link #meanIterationSec} (half-life about 14 iterations, as the recalibration's). */
    static final double ITERATION_DECAY = 0.95;
    /**
     * Decay per iteration of {@link #horizonIterationSec}: half-life about 34 iterations, the life of a 45-token output
     * (NEO's OSC requests); its average counts the prefill iterations such a request sits through.
     */
    static final double HORIZON_DECAY = 0.98;

    public ApexScheduler(ApexOptions options) { this.options = options; }

    @Override
    public void observe(IterationPlan plan, IterationOutcome outcome) {
        if (recalibrating == null || lastPredicted == null) return;
        recalibrating.observe(lastPredicted.gpuSec(), outcome.gpuBusySec(), lastPredicted.cpuSec(), outcome.cpuBusySec());
        lastPredicted = null;
    }

    /** The context's predictor, recalibrated when that option is on. */
    private Predictor predictor(SchedulerContext ctx) {
        if (!options.recalibrate()) return ctx.predictor();
        // once per run: the context's predictor is the run's, and the factors change in place
        if (recalibrating == null) recalibrating = new RecalibratingPredictor(ctx.predictor());
        return recalibrating;
    }

    @Override
    public String infeasibility(RequestSpec r, KvCapacity b) {
        int peak = b.peakBlocks(r);
        int hostRoom = b.hostBlocks() - b.gpuBlocks();
        if (peak > b.gpuBlocks() && peak > hostRoom) {
            return "needs " + peak + " KV blocks but the GPU pool has " + b.gpuBlocks() + " and the host pool leaves "
                    + Math.max(0, hostRoom) + " beyond its swap reserve";
        }
        return null;
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        IterationPlan plan = build(ctx);
        if (recalibrating != null) lastPredicted = PlanBusy.predict(plan, recalibrating.base(), ctx.geometry().layers());
        return plan;
    }

    private IterationPlan build(SchedulerContext ctx) {
        Predictor p = predictor(ctx);
        var geo = ctx.geometry();
        if (sweep == null) sweep = new PrefixSweep(p);
        sweep.clear();   // the recalibrated predictor may have changed since the last decision
        if (dispatch == null) dispatch = newDispatch(p, geo);
        if (steady == null && options.hasTpotSlo()) steady = newDispatch(p, geo);
        PlacementRules rules = PlacementRules.apex(options.swapInHysteresis(), options.hostAdmission(), p, geo.layers());
        // with a TPOT objective, a host request predicted to miss it on the host goes before the queue for GPU memory
        double share = swapInShare.of(ctx, options.tpotSloSec(), options.swapInHysteresis(), rules.gpuWatermark());
        if (share != options.swapInHysteresis()) rules = PlacementRules.apex(share, options.hostAdmission(), p, geo.layers());
        Placement pl = new Placement(ctx, rules);
        pl.preempt();
        pl.schedule();
        double fixed = pl.swapInSec;
        for (RequestState r : pl.swapOut) fixed += rules.swapOutSeconds(ctx.kv(), r);
        // GPU rows: continued prefills (GPU and host pool), decodes, then new admissions
        List<PrefillChunk> prefills = new ArrayList<>();
        gpu.clear();
        for (PrefillChunk c : pl.gpuContinued) addPrefill(prefills, c, p);
        for (PrefillChunk c : pl.hostContinued) addPrefill(prefills, c, p);
        for (RequestState r : pl.gpuDecodes) gpu.addGpuDecode(r);
        List<RequestState> queue = pl.cpuQueue;
        leastRecentlyServedFirst(queue, ctx.nowSec());
        int n = Math.min(queue.size(), pl.tokensLeft);
        if (cpuCtx.length < n + 1) cpuCtx = new long[Math.max(n + 1, 2 * cpuCtx.length)];
        for (int i = 0; i < n; i++) cpuCtx[i] = queueCtx[order.index(i)];
        boolean starving = n > 0
                && ctx.iteration() - Math.max(0, queue.get(order.index(0)).lastProgressIteration()) > options.starvationIterations();
        // one decision over the n CPU candidates; host admissions extend it by one hypothetical CPU row each
        HostAdmission admission = new HostAdmission(this, p, geo.layers(), n, fixed, starving, prefills, ctx, pl, rules);
        pl.admit(n, admission);
        // the admitted prefills change the GPU rows: decide again over the real CPU candidates
        for (PrefillChunk c : pl.gpuAdmitted) addPrefill(prefills, c, p);
        if (!pl.gpuAdmitted.isEmpty() || !pl.hostAdmitted.isEmpty()) {
            dispatch.choose(gpu, cpuCtx, n, mustRun, fixed, starving, options.tpotSloSec(), options.pipeline(), choice);
        } else {
            admission.decided();
        }
        List<RequestState> cpu = new ArrayList<>(choice.cpuCount);
        int inB0 = 0;
        boolean ap = choice.strategy == Strategy.ASYMMETRIC_PIPELINE;
        for (int i = 0; i < n; i++) if (choice.used[i] && (!ap || choice.inB0[i])) { cpu.add(queue.get(order.index(i))); if (ap) inB0++; }
        if (ap) for (int i = 0; i < n; i++) if (choice.used[i] && !choice.inB0[i]) cpu.add(queue.get(order.index(i)));
        swapInShare.observe(queue.size(), choice.cpuCount, choice.predictedSec);
        meanIterationSec = meanIterationSec == 0 ? choice.predictedSec
                : ITERATION_DECAY * meanIterationSec + (1 - ITERATION_DECAY) * choice.predictedSec;
        horizonIterationSec = horizonIterationSec == 0 ? choice.predictedSec
                : HORIZON_DECAY * horizonIterationSec + (1 - HORIZON_DECAY) * choice.predictedSec;
        return new IterationPlan(prefills, pl.gpuDecodes, cpu, inB0, pl.swapOut, pl.swapIn, pl.recompute, choice.strategy,
                choice.predictedSec);
    }

    ApexOptions options() { return options; }

    Dispatch dispatch() { return dispatch; }

    SubBatchLoad gpuRows() { return gpu; }

    private Dispatch newDispatch(Predictor p, ModelGeometry geo) {
        return new Dispatch(p, geo.layers(), geo.qkvBytesPerToken(), geo.attnOutBytesPerToken(), options.margin(), options.neoPacking(),
                sweep);
    }

    Dispatch.Choice choice() { return choice; }

    Dispatch steadyDispatch() { return steady; }

    int mustRun() { return mustRun; }

    SubBatchLoad steadyGpuRows() { return steadyGpu; }

    Dispatch.Choice steadyChoice() { return steadyChoice; }

    long[] cpuContexts() { return cpuCtx; }

    GpuQueueForecast queueForecast() { return queueForecast; }

    PrefillForecast prefillForecast() { return prefillForecast; }

    /**
     * Round-robin order: least recently advanced first, ties by queue position ({@link StableOrder}, no comparator). With
     * a TPOT SLO, least {@link #tpotSlackSec TPOT slack} first (earliest deadline first), and the candidates with no
     * slack left {@link #mustRun}. Reads each request's context length on the way ({@link #queueCtx}): one walk over
     * the queue in its own order instead of a second one in priority order.
     */
    private void leastRecentlyServedFirst(List<RequestState> l, double now) {
        int n = l.size();
        order.reset(n);
        if (queueCtx.length < n) queueCtx = new long[Math.max(n, 2 * queueCtx.length)];
        mustRun = 0;
        boolean slo = options.hasTpotSlo();
        for (int i = 0; i < n; i++) {
            RequestState r = l.get(i);
            queueCtx[i] = r.contextLength();
            if (slo) {
                double slack = tpotSlackSec(r, now, options.tpotSloSec(), meanIterationSec);
                if (slack < 0) mustRun++;
                // milliseconds of slack, offset to be positive and clamped to 31 bits (about +-12 days)
                long q = (long) Math.max(0, Math.min((1L << 31) - 1, Math.floor(slack * 1000) + (1L << 30)));
                order.key(i, q);
            } else {
                order.key(i, r.lastProgressIteration() + 1);
            }
        }
        order.sort(n);
    }

    /**
     * How long host request {@code r} can still wait, beyond this iteration, and meet TPOT {@code slo}: its TPOT is
     * (last token time - first token time) / (output - 1), so it meets the SLO if its last token comes by first + slo x
     * (output - 1); run from now on every iteration of about {@code iterationSec}, its last token comes after
     * remaining + 1 iterations if it waits this one. Negative: it cannot wait and must run. A request ahead of its
     * budget (GPU decodes at a fraction of the SLO bank time) waits while faster plans run, as NEO's GPU-only
     * iterations let host requests wait; a request just prefilled has banked nothing.
     */
    static double tpotSlackSec(RequestState r, double now, double slo, double iterationSec) {
        if (r.generated() < 1) return -1;
        int remaining = r.targetOutput() - r.generated();
        double deadline = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1);
        return deadline - now - iterationSec * (remaining + 1);
    }

    /**
     * The longest this iteration may take for running request {@code r} to still meet TPOT {@code slo}: its last token
     * must come by first + slo x (output - 1); given a token this iteration and each of its remaining - 1 later ones
     * after about {@code iterationSec}, that leaves deadline - now - (remaining - 1) x iterationSec for this one.
     */
    static double tpotBudgetSec(RequestState r, double now, double slo, double iterationSec) {
        int remaining = r.targetOutput() - r.generated();
        double deadline = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1);
        return deadline - now - iterationSec * Math.max(0, remaining - 1);
    }

    double horizonIterationSec() { return horizonIterationSec; }

    /** Adds a prefill chunk to the plan and to the GPU rows. */
    void addPrefill(List<PrefillChunk> prefills, PrefillChunk c, Predictor p) {
        prefills.add(c);
        gpu.addPrefill(c, p, 1);
    }
}
