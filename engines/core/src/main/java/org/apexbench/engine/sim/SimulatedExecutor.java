package org.apexbench.engine.sim;

import org.apexbench.engine.CostFunction;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineGeometry;
import org.apexbench.engine.Executor;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Runs plans on a virtual clock by list scheduling (docs/architecture.md#simulated-executor): each resource executes its
 * subtasks in plan order; a subtask starts when its resource is free and its dependencies are done,
 * and lasts what the cost model says (times an optional seeded log-normal jitter with mean 1).
 * The layer stack is a {@link LayerTemplate} repeated per layer, so one iteration costs a few
 * primitive-array passes and no allocation unless subtask records are requested.
 */
public final class SimulatedExecutor implements Executor {
    private static final int GPU = Resource.GPU.ordinal();
    private static final int H2D = Resource.PCIE_H2D.ordinal();
    private static final int D2H = Resource.PCIE_D2H.ordinal();
    private static final int CPU = Resource.CPU_ATTN.ordinal();
    private static final int LAUNCH = Resource.HOST_LAUNCH.ordinal();
    private static final int RESOURCES = Resource.values().length;

    private final EngineGeometry geometry;
    private final EngineBudgets budgets;
    private final CostFunction cost;
    private final double jitterSigma;
    private final SplittableRandom rng;
    private final double launchSecPerStage;
    private final LayerTemplate t = new LayerTemplate();
    private final double[] endPrev = new double[LayerTemplate.MAX_NODES];
    private final double[] endCur = new double[LayerTemplate.MAX_NODES];
    private final boolean[] presPrev = new boolean[LayerTemplate.MAX_NODES];
    private final boolean[] presCur = new boolean[LayerTemplate.MAX_NODES];
    private final double[] free = new double[RESOURCES];
    private final double[] busy = new double[RESOURCES];

    /**
     * @param launchSecPerStage &gt; 0 models NEO's single host thread: every pipeline stage first spends
     *                          this long launching kernels on the thread that also runs CPU attention
     */
    public SimulatedExecutor(EngineGeometry geometry, EngineBudgets budgets, CostFunction cost, double jitterSigma,
                             long seed, double launchSecPerStage) {
        if (!(jitterSigma >= 0) || Double.isInfinite(jitterSigma)) {
            throw new IllegalArgumentException("jitter sigma must be finite and >= 0, got " + jitterSigma);
        }
        this.geometry = geometry;
        this.budgets = budgets;
        this.cost = cost;
        this.jitterSigma = jitterSigma;
        this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.launchSecPerStage = launchSecPerStage;
    }

    private double jitter(double d) {
        if (jitterSigma == 0 || d == 0) return d;
        return d * Math.exp(jitterSigma * rng.nextGaussian() - 0.5 * jitterSigma * jitterSigma);
    }

    @Override
    public IterationOutcome execute(IterationPlan plan, List<SwapMove> swaps, long iteration, double startSec,
                                    Consumer<SubtaskRecord> sink) {
        java.util.Arrays.fill(free, startSec);
        java.util.Arrays.fill(busy, 0);
        long h2dBytes = 0, d2hBytes = 0, swapIn = 0, swapOut = 0;
        long blockBytes = budgets.blockBytes(geometry);
        int layers = geometry.layers();
        // Prologue: whole-request swaps (coalesced runs, per layer and per K/V tensor), then embedding.
        for (SwapMove s : swaps) {
            long bytes = s.blocks() * blockBytes;
            int transfers = Math.max(1, runs(s.fromBlocks()) * layers * 2);
            boolean in = s.from() == Location.HOST;
            Op op = in ? Op.SWAP_IN : Op.SWAP_OUT;
            int r = in ? H2D : D2H;
            double d = jitter(cost.seconds(op, 0, transfers, 0, 0, bytes));
            emit(sink, iteration, -1, 0, op, r, transfers, 0, bytes, free[r], free[r] + d);
            free[r] += d;
            busy[r] += d;
            if (in) { swapIn += bytes; h2dBytes += bytes; } else { swapOut += bytes; d2hBytes += bytes; }
        }
        int width = plan.prefillTokens() + plan.gpuDecodes().size() + plan.cpuDecodes().size();
        double embed = jitter(cost.linear(Op.EMBED, width));
        double stackStart = Math.max(free[GPU], Math.max(free[H2D], free[D2H]));
        emit(sink, iteration, -1, 0, Op.EMBED, GPU, width, 0, 0, stackStart, stackStart + embed);
        free[GPU] = stackStart + embed;
        busy[GPU] += embed;

        if (plan.strategy().pipelined()) {
            buildPipelined(plan);
        } else {
            buildSingleBatch(plan);
        }
        for (int j = 0; j < t.size; j++) {
            t.duration[j] = t.op[j] == Op.LAUNCH ? launchSecPerStage
                    : cost.seconds(t.op[j], t.rows[j], t.requests[j], t.context[j], t.pairs[j], t.bytes[j]);
        }
        double stall = 0;
        for (int k = 0; k < t.steps; k++) {
            for (int j = 0; j < t.size; j++) {
                int layer = k + t.offset[j];
                if (layer < 0 || layer >= layers) {
                    presCur[j] = false;
                    continue;
                }
                int r = t.resource[j];
                double ready = free[r];
                int bindingResource = -1;
                for (int q = 0; q < t.depCount[j]; q++) {
                    int on = t.depNode[j][q];
                    boolean same = t.depDelta[j][q] == 0;
                    if (same ? !presCur[on] : (k == 0 || !presPrev[on])) continue;
                    double e = same ? endCur[on] : endPrev[on];
                    if (e > ready) {
                        ready = e;
                        bindingResource = t.resource[on];
                    }
                }
                if (r == GPU && ready > free[GPU] && (bindingResource == CPU || bindingResource == H2D || bindingResource == LAUNCH)) {
                    stall += ready - free[GPU];
                }
                double d = jitter(t.duration[j]);
                double end = ready + d;
                free[r] = end;
                busy[r] += d;
                endCur[j] = end;
                presCur[j] = true;
                if (r == D2H) d2hBytes += t.bytes[j];
                else if (r == H2D) h2dBytes += t.bytes[j];
                if (t.op[j] == Op.SWAP_OUT) swapOut += t.bytes[j];
                if (sink != null) {
                    int featureRows = t.rows[j] != 0 ? t.rows[j] : t.requests[j];
                    emit(sink, iteration, layer, t.stage[j], t.op[j], r, featureRows, t.context[j], t.bytes[j], ready, end);
                }
            }
            System.arraycopy(endCur, 0, endPrev, 0, t.size);
            System.arraycopy(presCur, 0, presPrev, 0, t.size);
        }
        int sampled = plan.gpuDecodes().size() + plan.cpuDecodes().size();
        for (PrefillChunk c : plan.prefills()) if (c.completes()) sampled++;
        double head = jitter(cost.linear(Op.LM_HEAD, sampled));
        double headStart = free[GPU];
        emit(sink, iteration, -1, 0, Op.LM_HEAD, GPU, sampled, 0, 0, headStart, headStart + head);
        free[GPU] += head;
        busy[GPU] += head;
        double end = startSec;
        for (double f : free) end = Math.max(end, f);
        return new IterationOutcome(end, busy[GPU], busy[CPU], stall, h2dBytes, d2hBytes, swapIn, swapOut, null);
    }

    private static void emit(Consumer<SubtaskRecord> sink, long iteration, int layer, int stage, Op op, int resource,
                             int rows, long context, long bytes, double start, double end) {
        if (sink != null) {
            sink.accept(new SubtaskRecord(iteration, layer, stage, op, LayerTemplate.resourceOf(resource), rows, context,
                    bytes, start, end, Double.NaN));
        }
    }

    private static int runs(int[] table) {
        int runs = table.length == 0 ? 0 : 1;
        for (int i = 1; i < table.length; i++) if (table[i] != table[i - 1] + 1) runs++;
        return runs;
    }

    /** Row group of one batch or sub-batch. */
    private static final class Group {
        int prefillTokens, prefillSeqs, cprfTokens, gpuReq, cpuReq;
        long prefillPairs, gpuCtx, cpuCtx;

        void clear() {
            prefillTokens = prefillSeqs = cprfTokens = gpuReq = cpuReq = 0;
            prefillPairs = gpuCtx = cpuCtx = 0;
        }

        int width() { return prefillTokens + gpuReq + cpuReq; }
    }

    private final Group b0 = new Group();
    private final Group b1 = new Group();

    private void fill(IterationPlan plan) {
        b0.clear();
        b1.clear();
        for (PrefillChunk c : plan.prefills()) {
            b0.prefillTokens += c.length();
            b0.prefillSeqs++;
            b0.prefillPairs += c.attendedPairs();
            if (c.pool() == Location.HOST) b0.cprfTokens += c.length();
        }
        for (RequestState r : plan.gpuDecodes()) {
            b0.gpuReq++;
            b0.gpuCtx += r.contextLength();
        }
        List<RequestState> cpu = plan.cpuDecodes();
        int split = plan.strategy().pipelined() ? plan.cpuDecodesInFirstSubBatch() : cpu.size();
        for (int i = 0; i < cpu.size(); i++) {
            Group g = i < split ? b0 : b1;
            g.cpuReq++;
            g.cpuCtx += cpu.get(i).contextLength();
        }
    }

    /** GPU_ONLY, ASYNC_OVERLAP and OFFLOAD_SERIAL: one batch, one step per layer. */
    private void buildSingleBatch(IterationPlan plan) {
        fill(plan);
        Group g = b0;
        boolean serial = plan.strategy() == Strategy.OFFLOAD_SERIAL;
        long kvLayer = geometry.kvBytesPerTokenPerLayer();
        t.reset(geometry.layers());
        int pre = t.add(true, Op.PRE, 0, 0, g.width(), 0, 0, 0, 0);
        boolean cpu = g.cpuReq > 0;
        int d2h = t.add(cpu, Op.QKV_D2H, 0, 0, 0, 1, 0, 0, g.cpuReq * geometry.qkvBytesPerToken());
        int cpuAttn = t.add(cpu, Op.CPU_DECODE_ATTN, 0, 0, 0, g.cpuReq, g.cpuCtx, 0, 0);
        int h2d = t.add(cpu, Op.ATTN_OUT_H2D, 0, 0, 0, 1, 0, 0, g.cpuReq * geometry.attnOutBytesPerToken());
        int pAttn = t.add(g.prefillSeqs > 0, Op.PREFILL_ATTN, 0, 0, g.prefillTokens, g.prefillSeqs, 0, g.prefillPairs, 0);
        int gAttn = t.add(g.gpuReq > 0, Op.GPU_DECODE_ATTN, 0, 0, 0, g.gpuReq, g.gpuCtx, 0, 0);
        int kvOut = t.add(g.cprfTokens > 0, Op.SWAP_OUT, 0, 0, 0, 1, 0, 0, g.cprfTokens * kvLayer);
        int post = t.add(true, Op.POST, 0, 0, g.width(), 0, 0, 0, 0);
        t.dep(pre, post, -1);
        t.dep(d2h, pre, 0);
        t.dep(cpuAttn, d2h, 0);
        t.dep(h2d, cpuAttn, 0);
        t.dep(pAttn, pre, 0);
        t.dep(gAttn, pre, 0);
        if (serial) {
            t.dep(pAttn, h2d, 0);
            t.dep(gAttn, h2d, 0);
        }
        t.dep(kvOut, pre, 0);
        t.dep(post, pre, 0);
        t.dep(post, pAttn, 0);
        t.dep(post, gAttn, 0);
        t.dep(post, h2d, 0);
    }

    /**
     * ASYMMETRIC_PIPELINE and SYMMETRIC_PIPELINE: NEO's per-layer schedule (docs/engines.md#neo). Step k holds
     * window A (post(k-1)+pre(k) of B0 on the GPU while the CPU attends B1's layer k-1) and window B
     * (post(k-1)+pre(k) of B1 and B0's GPU attention of layer k while the CPU attends B0's layer k).
     * L+1 steps: the first is the prologue, the last the epilogue.
     */
    private void buildPipelined(IterationPlan plan) {
        fill(plan);
        long kvLayer = geometry.kvBytesPerTokenPerLayer();
        long qkv = geometry.qkvBytesPerToken();
        long out = geometry.attnOutBytesPerToken();
        boolean faithful = launchSecPerStage > 0;
        boolean has0 = b0.width() > 0;
        boolean cpu0 = b0.cpuReq > 0;
        boolean cpu1 = b1.cpuReq > 0;
        t.reset(geometry.layers() + 1);
        int launchA = t.add(faithful, Op.LAUNCH, 0, 0, 1, 0, 0, 0, 0);
        int d2h1 = t.add(cpu1, Op.QKV_D2H, 1, -1, 0, 1, 0, 0, b1.cpuReq * qkv);
        int post0 = t.add(has0, Op.POST, 0, -1, b0.width(), 0, 0, 0, 0);
        int pre0 = t.add(has0, Op.PRE, 0, 0, b0.width(), 0, 0, 0, 0);
        int kvOut = t.add(b0.cprfTokens > 0, Op.SWAP_OUT, 0, 0, 0, 1, 0, 0, b0.cprfTokens * kvLayer);
        int d2h0 = t.add(cpu0, Op.QKV_D2H, 0, 0, 0, 1, 0, 0, b0.cpuReq * qkv);
        int cpuAttn1 = t.add(cpu1, Op.CPU_DECODE_ATTN, 1, -1, 0, b1.cpuReq, b1.cpuCtx, 0, 0);
        int h2d1 = t.add(cpu1, Op.ATTN_OUT_H2D, 1, -1, 0, 1, 0, 0, b1.cpuReq * out);
        int launchB = t.add(faithful, Op.LAUNCH, 1, 0, 1, 0, 0, 0, 0);
        int post1 = t.add(b1.width() > 0, Op.POST, 1, -1, b1.width(), 0, 0, 0, 0);
        int pre1 = t.add(b1.width() > 0, Op.PRE, 1, 0, b1.width(), 0, 0, 0, 0);
        int pAttn = t.add(b0.prefillSeqs > 0, Op.PREFILL_ATTN, 0, 0, b0.prefillTokens, b0.prefillSeqs, 0, b0.prefillPairs, 0);
        int gAttn = t.add(b0.gpuReq > 0, Op.GPU_DECODE_ATTN, 0, 0, 0, b0.gpuReq, b0.gpuCtx, 0, 0);
        int cpuAttn0 = t.add(cpu0, Op.CPU_DECODE_ATTN, 0, 0, 0, b0.cpuReq, b0.cpuCtx, 0, 0);
        int h2d0 = t.add(cpu0, Op.ATTN_OUT_H2D, 0, 0, 0, 1, 0, 0, b0.cpuReq * out);
        // single host thread: launch stage A after finishing B0's CPU attention of the previous step,
        // B1's CPU attention after launching stage A, launch stage B after it, B0's CPU attention last.
        t.dep(launchA, cpuAttn0, -1);
        t.dep(d2h1, pre1, -1);
        t.dep(post0, pre0, -1);
        t.dep(post0, pAttn, -1);
        t.dep(post0, gAttn, -1);
        t.dep(post0, h2d0, -1);
        t.dep(post0, launchA, 0);
        t.dep(pre0, post0, 0);
        t.dep(pre0, launchA, 0);
        t.dep(kvOut, pre0, 0);
        t.dep(d2h0, pre0, 0);
        t.dep(cpuAttn1, d2h1, 0);
        t.dep(cpuAttn1, launchA, 0);
        t.dep(h2d1, cpuAttn1, 0);
        t.dep(launchB, cpuAttn1, 0);
        t.dep(launchB, launchA, 0);
        t.dep(post1, pre1, -1);
        t.dep(post1, h2d1, 0);
        t.dep(post1, launchB, 0);
        t.dep(pre1, post1, 0);
        t.dep(pre1, launchB, 0);
        t.dep(pAttn, pre0, 0);
        t.dep(pAttn, launchB, 0);
        t.dep(gAttn, pre0, 0);
        t.dep(gAttn, launchB, 0);
        t.dep(cpuAttn0, d2h0, 0);
        t.dep(cpuAttn0, launchB, 0);
        t.dep(h2d0, cpuAttn0, 0);
    }
}
