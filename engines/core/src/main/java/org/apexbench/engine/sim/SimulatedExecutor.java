package org.apexbench.engine.sim;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.HostLoopCost;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.plan.SubBatches;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.SubtaskTimer;

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

    private final ModelGeometry geometry;
    private final EngineBudgets budgets;
    private final SubtaskTimer cost;
    private final double jitterSigma;
    private final SplittableRandom rng;
    private final double launchSecPerStage;
    private final HostLoopCost hostLoop;
    private final LayerTemplate t = new LayerTemplate();
    private final double[] endPrev = new double[LayerTemplate.MAX_NODES];
    private final double[] endCur = new double[LayerTemplate.MAX_NODES];
    private final boolean[] presPrev = new boolean[LayerTemplate.MAX_NODES];
    private final boolean[] presCur = new boolean[LayerTemplate.MAX_NODES];
    private final double[] free = new double[RESOURCES];
    /** How much slower CPU attention runs beside device work, and device work beside CPU attention (1: no contention). */
    private double cpuShared = 1, deviceShared = 1;
    /** Per template node: GPU work of the same step that may run beside it (CPU nodes; contention only). */
    private final double[] besideGpu = new double[LayerTemplate.MAX_NODES];
    private final long[] reach = new long[LayerTemplate.MAX_NODES];
    private final double[] busy = new double[RESOURCES];

    /**
     * @param launchSecPerStage &gt; 0 models NEO's single host thread: every pipeline stage first spends
     *                          this long launching kernels on the thread that also runs CPU attention
     * @param hostLoop          host time before each iteration in which every resource waits (the serving
     *                          loop's scheduling, input preparation and output processing; {@link org.apexbench.engine.Engine};
     *                          {@link HostLoopCost#NONE}: none)
     */
    public SimulatedExecutor(ModelGeometry geometry, EngineBudgets budgets, SubtaskTimer cost, double jitterSigma,
                             long seed, double launchSecPerStage, HostLoopCost hostLoop) {
        if (!(jitterSigma >= 0) || Double.isInfinite(jitterSigma)) {
            throw new IllegalArgumentException("jitter sigma must be finite and >= 0, got " + jitterSigma);
        }
        this.geometry = geometry;
        this.budgets = budgets;
        this.cost = cost;
        this.jitterSigma = jitterSigma;
        this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        this.launchSecPerStage = launchSecPerStage;
        if (hostLoop == null) throw new IllegalArgumentException("host loop cost must not be null (HostLoopCost.NONE for none)");
        this.hostLoop = hostLoop;
    }

    /** An executor for an engine whose serving loop costs nothing between iterations. */
    public SimulatedExecutor(ModelGeometry geometry, EngineBudgets budgets, SubtaskTimer cost, double jitterSigma,
                             long seed, double launchSecPerStage) {
        this(geometry, budgets, cost, jitterSigma, seed, launchSecPerStage, HostLoopCost.NONE);
    }

    /**
     * Models two roles that share the machine's cores (the cpu backend's device and host-attention threads): a CPU
     * attention subtask is {@code cpuShared} times slower over the part of it that device work runs beside, and device
     * work is {@code deviceShared} times slower while a CPU attention runs (factors measured by the profile's
     * runtime samples, see MeasuredRuntime). 1 and 1: independent resources, as a GPU and its host are.
     */
    public SimulatedExecutor withContention(double cpuShared, double deviceShared) {
        if (!(cpuShared > 0 && deviceShared > 0) || Double.isInfinite(cpuShared) || Double.isInfinite(deviceShared)) {
            throw new IllegalArgumentException("contention factors must be positive and finite, got " + cpuShared + ", " + deviceShared);
        }
        this.cpuShared = cpuShared;
        this.deviceShared = deviceShared;
        return this;
    }

    /**
     * Draws each subtask's noise factor from {@code factors} (measured times over their median, e.g. a measured
     * machine's repeated samples) instead of the log-normal: a table of medians then replays the measured mean and
     * tail. Null: the log-normal of {@code jitterSigma}.
     */
    public SimulatedExecutor withMeasuredNoise(double[] factors) {
        this.noise = checkedFactors(factors);
        return this;
    }

    private static double[] checkedFactors(double[] factors) {
        if (factors == null) return null;
        for (double f : factors) {
            if (!(f > 0) || Double.isInfinite(f)) throw new IllegalArgumentException("noise factors must be positive and finite, got " + f);
        }
        if (factors.length == 0) throw new IllegalArgumentException("noise factors: none given");
        return factors.clone();
    }

    private double[] noise;
    /** Added, after the noise, to every q/k/v copy to the host and output copy back that moves bytes (a hand-over). */
    private double handoffSec;
    /** The noise and hand-over of an iteration in which both roles run (null: as any other iteration). */
    private double[] twoThreadNoise, twoThreadHostNoise;
    private double twoThreadHandoffSec;
    /** The hand-over's halves in an overlapped or pipelined iteration in which both roles run (null: as a serial one). */
    private double[] overlapHandover;
    /** This iteration's noise factors (device work and copies; CPU attention) and hand-over times (to the host; back). */
    private double[] activeNoise, activeCpuNoise;
    private double activePickupSec, activeReturnSec;

    /**
     * Models where a loaded machine's descheduling lands when both roles run (the two-thread runtime, an iteration with CPU
     * rows and no launch stages): its device subtasks and copies draw their noise from {@code deviceFactors} (device
     * work's times measured in a two-thread layer over their median), its CPU attentions from {@code hostFactors} (the
     * host's attention in that layer over the same attention alone), and each hand-over copy costs {@code secPerCopy}
     * (half the measured wait beyond the host's work), instead of {@link #withMeasuredNoise} and {@link #withHandoff}.
     * Null device factors: no such model; null host factors: CPU attention draws from the device factors.
     */
    public SimulatedExecutor withTwoThreadLoad(double[] deviceFactors, double[] hostFactors, double secPerCopy) {
        if (!(secPerCopy >= 0) || Double.isInfinite(secPerCopy)) {
            throw new IllegalArgumentException("two-thread hand-over time must be finite and >= 0, got " + secPerCopy);
        }
        this.twoThreadNoise = checkedFactors(deviceFactors);
        this.twoThreadHostNoise = checkedFactors(hostFactors);
        this.twoThreadHandoffSec = secPerCopy;
        return this;
    }

    /**
     * Models the hand-over of an iteration in which both roles run and the device works beside the host's attention
     * (asynchronous overlap, the pipelined layouts; not OFFLOAD_SERIAL, whose device waits from the hand-over on): each q/k/v
     * copy to the host costs {@code pickupSec} more (the host thread starting the published job) and each output copy back
     * {@code returnSec} more (the device resuming), instead of half the two-thread layer's wait each
     * ({@link #withTwoThreadLoad}); both are measured means, their tail included, added after the noise.
     */
    public SimulatedExecutor withOverlapHandover(double pickupSec, double returnSec) {
        if (!(pickupSec >= 0 && returnSec >= 0) || Double.isInfinite(pickupSec) || Double.isInfinite(returnSec)) {
            throw new IllegalArgumentException("overlapped hand-over times must be finite and >= 0, got " + pickupSec + ", " + returnSec);
        }
        this.overlapHandover = new double[] {pickupSec, returnSec};
        return this;
    }

    /**
     * Charges {@code secPerCopy} to every CPU-row copy (q/k/v down, output up) beside its table time, after the noise:
     * the hand-over of a layer's CPU rows to the host-attention thread and back is a scheduling delay (a measured mean,
     * its tail included), not a subtask whose table median the noise scales.
     */
    public SimulatedExecutor withHandoff(double secPerCopy) {
        if (!(secPerCopy >= 0) || Double.isInfinite(secPerCopy)) {
            throw new IllegalArgumentException("hand-over time must be finite and >= 0, got " + secPerCopy);
        }
        this.handoffSec = secPerCopy;
        return this;
    }

    /** Whether the LM head runs once per sub-batch over each of its sequences, as the real executor samples. */
    private boolean headPerSubBatch;

    /**
     * Runs the LM head as the real executor's sampling does (a measured machine's replay): once per non-empty
     * sub-batch, over every sequence of it (each prefill chunk's last row and each decode), each run its table's time
     * and its own noise, instead of once over the rows that sample a token. A pipelined iteration's two sub-batches
     * then pay the head twice at about half the rows, which on a machine whose head is bound by streaming its
     * weights costs nearly twice the single run (docs/validation.md).
     */
    public SimulatedExecutor withHeadPerSubBatch() {
        this.headPerSubBatch = true;
        return this;
    }

    private double jitter(double d) { return jitter(d, activeNoise); }

    private double jitter(double d, double[] factors) {
        if (factors != null) return d == 0 ? d : d * factors[rng.nextInt(factors.length)];
        if (jitterSigma == 0 || d == 0) return d;
        return d * Math.exp(jitterSigma * rng.nextGaussian() - 0.5 * jitterSigma * jitterSigma);
    }

    @Override
    public IterationOutcome execute(IterationPlan plan, List<SwapMove> swaps, long iteration, double startSec,
                                    Consumer<SubtaskRecord> sink) {
        // the framework's host work between iterations (not jittered: it is the serving loop, not a kernel)
        boolean bothRoles = twoThreadNoise != null && launchSecPerStage == 0 && !plan.cpuDecodes().isEmpty();
        activeNoise = bothRoles ? twoThreadNoise : noise;
        activeCpuNoise = bothRoles && twoThreadHostNoise != null ? twoThreadHostNoise : activeNoise;
        activePickupSec = activeReturnSec = bothRoles ? twoThreadHandoffSec : handoffSec;
        if (bothRoles && overlapHandover != null && plan.strategy() != org.apexbench.engine.Strategy.OFFLOAD_SERIAL) {
            activePickupSec = overlapHandover[0];
            activeReturnSec = overlapHandover[1];
        }
        java.util.Arrays.fill(free, startSec + hostLoop.seconds(plan));
        java.util.Arrays.fill(busy, 0);
        long h2dBytes = 0, d2hBytes = 0, swapIn = 0, swapOut = 0;
        long blockBytes = KvCapacity.blockBytes(geometry, budgets.blockSize());
        int layers = geometry.layers();
        // Prologue: whole-request swaps (coalesced runs, per layer and per K/V tensor), then embedding.
        for (SwapMove s : swaps) {
            long bytes = s.blocks() * blockBytes;
            int transfers = Math.max(1, runs(s.fromBlocks()) * layers * 2);
            boolean in = s.from() == Location.HOST;
            Op op = in ? Op.SWAP_IN : Op.SWAP_OUT;
            int r = in ? H2D : D2H;
            double d = jitter(cost.seconds(op, SubtaskFeatures.copy(bytes, transfers)));
            emit(sink, iteration, -1, 0, op, r, transfers, 0, bytes, free[r], free[r] + d);
            free[r] += d;
            busy[r] += d;
            if (in) { swapIn += bytes; h2dBytes += bytes; } else { swapOut += bytes; d2hBytes += bytes; }
        }
        int width = plan.prefillTokens() + plan.gpuDecodes().size() + plan.cpuDecodes().size();
        double embed = jitter(cost.seconds(Op.EMBED, SubtaskFeatures.linear(width)));
        double stackStart = Math.max(free[GPU], Math.max(free[H2D], free[D2H]));
        emit(sink, iteration, -1, 0, Op.EMBED, GPU, width, 0, 0, stackStart, stackStart + embed);
        free[GPU] = stackStart + embed;
        busy[GPU] += embed;

        build(plan);
        for (int j = 0; j < t.size; j++) {
            t.duration[j] = t.op[j] == Op.LAUNCH ? launchSecPerStage
                    : cost.seconds(t.op[j], new SubtaskFeatures(t.rows[j], t.requests[j], t.context[j], t.pairs[j], t.bytes[j]));
        }
        boolean contended = cpuShared != 1 || deviceShared != 1;
        if (contended) besideGpu();
        double cpuStart = Double.NEGATIVE_INFINITY, cpuEnd = Double.NEGATIVE_INFINITY;
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
                double d = jitter(t.duration[j], r == CPU ? activeCpuNoise : activeNoise);
                if (t.bytes[j] > 0 && t.op[j] == Op.QKV_D2H) d += activePickupSec;
                else if (t.bytes[j] > 0 && t.op[j] == Op.ATTN_OUT_H2D) d += activeReturnSec;
                if (contended && r == CPU && d > 0) {
                    // the part of this attention that device work runs beside: queued GPU work, then the step's GPU nodes
                    // that do not wait for it
                    double beside = Math.max(0, Math.min(ready + d, free[GPU] + besideGpu[j]) - ready);
                    d += (cpuShared - 1) * beside;
                    cpuStart = ready;
                    cpuEnd = ready + d;
                } else if (contended && r == GPU && d > 0 && ready < cpuEnd) {
                    // slowed while the committed CPU attention runs, at full speed after it
                    double inside = Math.min(cpuEnd - Math.max(ready, cpuStart), d * deviceShared);
                    if (inside > 0) d = inside + (d - inside / deviceShared);
                }
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
        int sampled = 0;
        double head = 0;
        if (headPerSubBatch) {
            for (int s = 0; s < 2; s++) {
                SubBatches.Shape g = subBatches.get(s);
                int sequences = g.prefillSeqs + g.gpuDecodes + g.cpuDecodes;
                if (sequences == 0) continue;
                head += jitter(cost.seconds(Op.LM_HEAD, SubtaskFeatures.linear(sequences)));
                sampled += sequences;
            }
        } else {
            sampled = plan.gpuDecodes().size() + plan.cpuDecodes().size();
            for (PrefillChunk c : plan.prefills()) if (c.completes()) sampled++;
            head = jitter(cost.seconds(Op.LM_HEAD, SubtaskFeatures.linear(sampled)));
        }
        double headStart = free[GPU];
        emit(sink, iteration, -1, 0, Op.LM_HEAD, GPU, sampled, 0, 0, headStart, headStart + head);
        free[GPU] += head;
        busy[GPU] += head;
        double end = startSec;
        for (double f : free) end = Math.max(end, f);
        return new IterationOutcome(end, busy[GPU], busy[CPU], stall, h2dBytes, d2hBytes, swapIn, swapOut, null);
    }

    /** For every CPU node: the summed duration of GPU nodes after it in the step that do not depend on it. */
    private void besideGpu() {
        for (int j = 0; j < t.size; j++) {
            long r = 0;
            for (int q = 0; q < t.depCount[j]; q++) {
                if (t.depDelta[j][q] == 0) r |= (1L << t.depNode[j][q]) | reach[t.depNode[j][q]];
            }
            reach[j] = r;
        }
        for (int j = 0; j < t.size; j++) {
            besideGpu[j] = 0;
            if (t.resource[j] != CPU) continue;
            for (int i = j + 1; i < t.size; i++) {
                if (t.resource[i] == GPU && (reach[i] & (1L << j)) == 0) besideGpu[j] += t.duration[i];
            }
        }
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

    private final SubBatches subBatches = new SubBatches();
    private final int[] templateIndex = new int[LayerTemplate.MAX_NODES];

    /** The plan's layer stack as the template of its strategy's {@link LayerLayout}, shaped by its sub-batches. */
    private void build(IterationPlan plan) {
        subBatches.fill(plan);
        LayerLayout layout = LayerLayout.of(plan.strategy());
        boolean singleThread = launchSecPerStage > 0;
        t.reset(layout.steps(geometry.layers()));
        List<LayerLayout.Node> nodes = layout.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            LayerLayout.Node n = nodes.get(i);
            SubBatches.Shape g = subBatches.get(n.subBatch());
            boolean present = n.presence().test(g, singleThread);
            templateIndex[i] = switch (n.op()) {
                case PRE, POST -> t.add(present, n.op(), n.subBatch(), n.offset(), g.width(), 0, 0, 0, 0);
                case QKV_D2H -> t.add(present, n.op(), n.subBatch(), n.offset(), 0, 1, 0, 0,
                        g.cpuDecodes * geometry.qkvBytesPerToken());
                case CPU_DECODE_ATTN -> t.add(present, n.op(), n.subBatch(), n.offset(), 0, g.cpuDecodes, g.cpuContext, 0, 0);
                case ATTN_OUT_H2D -> t.add(present, n.op(), n.subBatch(), n.offset(), 0, 1, 0, 0,
                        g.cpuDecodes * geometry.attnOutBytesPerToken());
                case PREFILL_ATTN -> t.add(present, n.op(), n.subBatch(), n.offset(), g.prefillTokens, g.prefillSeqs,
                        g.prefillCached, g.prefillPairs, 0);
                case GPU_DECODE_ATTN -> t.add(present, n.op(), n.subBatch(), n.offset(), 0, g.gpuDecodes, g.gpuContext, 0, 0);
                case SWAP_OUT -> t.add(present, n.op(), n.subBatch(), n.offset(), 0, 1, 0, 0,
                        g.hostPrefillTokens * geometry.kvBytesPerTokenPerLayer());
                case LAUNCH -> t.add(present, n.op(), n.subBatch(), n.offset(), 1, 0, 0, 0, 0);
                default -> throw new IllegalStateException("no simulated subtask for " + n.op() + " in a layer");
            };
        }
        for (int i = 0; i < nodes.size(); i++) {
            for (LayerLayout.Dep d : nodes.get(i).deps()) {
                int on = templateIndex[d.node()];
                t.dep(templateIndex[i], on, d.delta());
            }
        }
    }
}
