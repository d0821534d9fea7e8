package org.apexbench.engine.hybrid;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.GreedyPacking;
import org.apexbench.engine.plan.LaneCosts;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.policy.Placement;
import org.apexbench.engine.policy.PlacementRules;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * NEO's load-aware scheduler (MLSys 2025; docs/engines.md#neo): NEO's placement ({@link Placement}), then the mode
 * decision: trim CPU prefills from the sequential batch down to a 128-token width, split CPU decodes greedily
 * between sub-batches B1 and B0 while both windows of the pipelined {@link LayerLayout} keep a slack >= 0 (slack A =
 * linr(B0) - cdec(B1) - lnch, slack B = linr(B1) + pref(B0) + gdec(B0) - cdec(B0) - lnch), trim CPU prefills from
 * B0, and choose the pipelined pair if it advances more requests per unit of GPU time than the sequential batch.
 * Per-layer costs come from the profile tables through the {@link Predictor}, GPU decode attention as NEO's profile
 * prices it ({@link NeoProfiledPredictor}); NEO charges no copies, and lnch is
 * NEO's hard-coded 0.8 ms per stage in its faithful single-thread runtime and 0 on the two-thread runtime.
 *
 * <p>Where NEO is silent: when neither a GPU row nor a CPU decode fits the slacks, the head of the CPU queue runs
 * alone in B1 so host requests always progress (NEO's linr(0) is undefined there).
 */
public final class NeoScheduler implements Scheduler {
    static final int LINR_S_THRESHOLD = 128;
    private static final LayerLayout PIPELINE = LayerLayout.of(Strategy.ASYMMETRIC_PIPELINE);
    private static final LayerLayout SEQUENTIAL = LayerLayout.of(Strategy.GPU_ONLY);
    private final double lnch;
    private final LaneCosts costs = new LaneCosts();

    public NeoScheduler(double launchSecPerStage) { this.lnch = launchSecPerStage; }

    @Override
    public String infeasibility(RequestSpec r, KvCapacity b) {
        return hybridInfeasibility(r, b);
    }

    /** Host-bound prefill KV is written to GPU staging blocks first (NEO's staging layer), so the GPU pool cannot be empty. */
    static final String NO_STAGING = "cannot be prefilled: host-bound prefill KV is staged in the GPU KV pool, which has 0 blocks";

    static String hybridInfeasibility(RequestSpec r, KvCapacity b) {
        if (r.promptLength() > b.budgets().maxTokensPerIteration()) {
            return "has a prompt longer than the " + b.budgets().maxTokensPerIteration() + "-token iteration budget (NEO prefills whole prompts)";
        }
        int peak = b.peakBlocks(r);
        if (b.gpuBlocks() == 0) return NO_STAGING;
        if (peak > b.gpuBlocks() && peak > b.hostBlocks() - b.gpuBlocks()) {
            return "needs " + peak + " KV blocks but the GPU pool has " + b.gpuBlocks() + " and the host pool leaves "
                    + (b.hostBlocks() - b.gpuBlocks()) + " beyond its swap reserve";
        }
        // NEO admits a prompt, to either pool, only while the host reserve could take it (PlacementRules.reserveGatesGpuAdmission)
        int admit = b.blocksFor(r.promptLength());
        if (admit > b.hostBlocks() - b.gpuBlocks()) {
            return "needs " + admit + " KV blocks at admission, which NEO grants only while the host pool keeps them beyond its swap"
                    + " reserve, and the host pool leaves " + Math.max(0, b.hostBlocks() - b.gpuBlocks());
        }
        return null;
    }

    /** The pipelined pair's slacks: window A, then window B. */
    private double slack(int window, SubBatchLoad b0, SubBatchLoad b1, Predictor p) {
        price(b0, b1, p);
        return PIPELINE.slack(window, costs);
    }

    /** Prices B0 and B1 into {@link #costs}: GPU terms, CPU attention (no copies), the launch charge. */
    private void price(SubBatchLoad b0, SubBatchLoad b1, Predictor p) {
        b0.priceGpu(costs, 0, p);
        b1.priceGpu(costs, 1, p);
        costs.cpuPath[0] = b0.cpuDecodeAttention(p);
        costs.cpuPath[1] = b1.cpuDecodeAttention(p);
        costs.launch = lnch;
    }

    private Predictor viewOf;
    private NeoProfiledPredictor view;

    /** The run's predictor as NEO's profile tables see it (GPU decode attention by tokens only). */
    private Predictor neoView(SchedulerContext ctx) {
        if (view == null || viewOf != ctx.predictor()) {
            viewOf = ctx.predictor();
            view = new NeoProfiledPredictor(viewOf, ctx.budgets());
        }
        return view;
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        Predictor p = neoView(ctx);
        int layers = ctx.geometry().layers();
        Placement pl = Placement.neo(ctx, PlacementRules.neo(-1, true, p, layers));
        List<PrefillChunk> gpuPrefills = new ArrayList<>(pl.gpuContinued);
        gpuPrefills.addAll(pl.gpuAdmitted);
        List<PrefillChunk> cpuPrefills = new ArrayList<>(pl.hostContinued);
        cpuPrefills.addAll(pl.hostAdmitted);
        // sequential batch S and pipelined B0 start with every prefill and GPU decode
        SubBatchLoad base = new SubBatchLoad();
        for (RequestState r : pl.gpuDecodes) base.addGpuDecode(r);
        for (PrefillChunk c : gpuPrefills) base.addPrefill(c, p, 1);
        SubBatchLoad s = new SubBatchLoad().copyFrom(base);
        List<PrefillChunk> sCprf = new ArrayList<>(cpuPrefills);
        for (PrefillChunk c : sCprf) s.addPrefill(c, p, 1);
        while (!sCprf.isEmpty() && s.width - sCprf.getLast().length() >= LINR_S_THRESHOLD) {
            s.addPrefill(sCprf.removeLast(), p, -1);
        }
        SubBatchLoad b0 = new SubBatchLoad().copyFrom(base);
        List<PrefillChunk> b0Cprf = new ArrayList<>(cpuPrefills);
        for (PrefillChunk c : b0Cprf) b0.addPrefill(c, p, 1);
        SubBatchLoad b1 = new SubBatchLoad();
        List<RequestState> c0 = new ArrayList<>();
        List<RequestState> c1 = new ArrayList<>();
        List<RequestState> queue = pl.cpuQueue;
        int tokens = pl.tokensLeft - GreedyPacking.pack(queue.size(), i -> queue.get(i).contextLength(), pl.tokensLeft,
                new GreedyPacking.Lanes() {
                    @Override
                    public void tryAdd(int i, boolean toB1) { (toB1 ? b1 : b0).addCpuDecode(queue.get(i), 1); }

                    @Override
                    public double slack(int w) { return NeoScheduler.this.slack(w, b0, b1, p); }

                    @Override
                    public void settle(int i, boolean toB1, boolean keep) {
                        if (keep) (toB1 ? c1 : c0).add(queue.get(i));
                        else (toB1 ? b1 : b0).addCpuDecode(queue.get(i), -1);
                    }
                });
        if (c1.isEmpty() && !c0.isEmpty()) {
            // NEO returns S alone when B1 is empty; its B0 CPU rows then wait. Keep NEO's behaviour.
            c0.clear();
        }
        if (c1.isEmpty() && s.rows == 0 && !pl.cpuQueue.isEmpty() && tokens > 0) {
            c1.add(pl.cpuQueue.getFirst());
            b1.addCpuDecode(pl.cpuQueue.getFirst(), 1);
        }
        double swap = pl.swapSeconds();
        if (c1.isEmpty()) {
            return sequential(pl, gpuPrefills, sCprf, s, p, layers, swap);
        }
        while (!b0Cprf.isEmpty() && b0.width - b0Cprf.getLast().length() >= LINR_S_THRESHOLD) {
            PrefillChunk last = b0Cprf.getLast();
            b0.addPrefill(last, p, -1);
            if (Math.min(slack(0, b0, b1, p), slack(1, b0, b1, p)) < 0) {
                b0.addPrefill(last, p, 1);
                break;
            }
            b0Cprf.removeLast();
        }
        price(b0, b1, p);
        double tPipe = costs.gpuWork(0) + costs.gpuWork(1);
        double perLayer = PIPELINE.perLayer(costs);
        costs.clear();
        s.priceGpu(costs, 0, p);
        double tSeq = costs.gpuWork(0);
        boolean forced = s.rows == 0;
        if (!forced && (double) s.rows / tSeq >= (double) (b0.rows + b1.rows) / tPipe) {
            return sequential(pl, gpuPrefills, sCprf, s, p, layers, swap);
        }
        List<PrefillChunk> prefills = new ArrayList<>(gpuPrefills);
        prefills.addAll(b0Cprf);
        List<RequestState> cpu = new ArrayList<>(c0);
        cpu.addAll(c1);
        double predicted = LaneCosts.iteration(layers, perLayer, p.embedAndHead(b0.width + b1.width, b0.rows + b1.rows), swap);
        return new IterationPlan(prefills, pl.gpuDecodes, cpu, c0.size(), pl.swapOut, pl.swapIn, pl.recompute,
                Strategy.ASYMMETRIC_PIPELINE, predicted);
    }

    private IterationPlan sequential(Placement pl, List<PrefillChunk> gpuPrefills, List<PrefillChunk> sCprf, SubBatchLoad s,
                                     Predictor p, int layers, double swap) {
        List<PrefillChunk> prefills = new ArrayList<>(gpuPrefills);
        prefills.addAll(sCprf);
        costs.clear();
        s.priceGpu(costs, 0, p);
        double predicted = LaneCosts.iteration(layers, SEQUENTIAL.perLayer(costs), p.embedAndHead(s.width, s.rows), swap);
        return new IterationPlan(prefills, pl.gpuDecodes, List.of(), 0, pl.swapOut, pl.swapIn, pl.recompute, Strategy.GPU_ONLY,
                predicted);
    }
}
