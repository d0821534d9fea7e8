package org.apexbench.engine.real;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.plan.SubBatches;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.ModelConfig;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskRecord;

/**
 * Executes iteration plans with the real model (docs/architecture.md#real-executor, the two-thread runtime). The calling thread is
 * the "device" thread: it runs embed, pre, GPU attention, post and the LM head on the device backend, and
 * the swaps, and blocks only where a CPU-attention output is consumed. {@link HostAttention} hands the CPU
 * rows to a {@link HostAttentionThread}, which with its own backend (own worker pool) runs their decode
 * attention: copy q/k/v to host buffers,
 * append K/V to the host pool, attend, copy the output back into the batch. Two KV pools with the run's
 * block budgets; block tables are the engine loop's allocations, so swaps really copy KV bytes.
 *
 * <p>Strategies: GPU_ONLY and ASYNC_OVERLAP share one batch (CPU attention overlaps the GPU attention
 * of the GPU rows, post waits for it); OFFLOAD_SERIAL waits for the CPU output before any GPU attention;
 * the pipelined strategies run two sub-batches in NEO's two windows per layer. With a launch time per stage
 * (NEO's faithful single-thread runtime) the host thread also "launches" every pipeline stage, spinning
 * that long between its CPU attentions in NEO's order, and the device waits for each launch.
 *
 * <p>Device/host data moves through a {@link HostBridge}. On the cpu backend both "pools" are host memory,
 * copies are plain copies and the device thread waits for each CPU output itself. On cuda (the bridge
 * {@link HostBridge#enqueues() enqueues}) the device thread enqueues every layer's work, q/k/v copies and
 * GPU-side waits for the CPU outputs without blocking, and blocks only at sampling; the host thread waits
 * for each layer's q/k/v through an event and signals its output through a pinned-memory flag; GPU subtask
 * times are GPU-event times. A host-pool prefill (NEO's CPU prefill) has the device append its K/V straight
 * into the host pool (cuda: through the pinned pool's device mapping; counted as D2H KV bytes).
 */
public final class RealExecutor implements Executor {
    private final LlamaModel model;
    private final Backend device;
    private final Backend host;
    private final ModelGeometry geometry;
    private final HostBridge bridge;
    private final KvPool gpuPool;
    private final KvPool hostPool;
    private final SubBatch[] stages = new SubBatch[2];
    /** The plan's sub-batch sums (what decides which layout nodes are present). */
    private final SubBatches shapes = new SubBatches();
    private final HostAttention hostAttention;
    private final Map<String, RequestState> seen = new LinkedHashMap<>();
    private final double launchSecPerStage;
    private TokenForcing forcing = TokenForcing.NONE;
    private long originNanos;
    private boolean started;

    /**
     * @param model   the model on the device backend
     * @param host    the host-attention backend (its own worker pool); closed by the caller
     * @param kvType  KV element type of both pools (swaps copy raw bytes, so they must match)
     */
    public RealExecutor(LlamaModel model, Backend host, EngineBudgets budgets, DType kvType) {
        this(model, host, budgets, kvType, 0);
    }

    /**
     * @param launchSecPerStage &gt; 0: NEO's single-thread host runtime in pipelined iterations: the host thread
     *                          spends this long "launching" each pipeline stage (the device waits for it) between
     *                          its CPU attentions, in NEO's order; 0: the two-thread runtime
     */
    public RealExecutor(LlamaModel model, Backend host, EngineBudgets budgets, DType kvType, double launchSecPerStage) {
        this(model, host, budgets, kvType, launchSecPerStage, null);
    }

    /**
     * @param bridgeOrNull the device/host bridge to use (taken over: closed with the executor), or null for
     *               {@link HostBridge#open} of the model's backend and {@code host}; tests pass an emulation
     */
    public RealExecutor(LlamaModel model, Backend host, EngineBudgets budgets, DType kvType, double launchSecPerStage,
                        HostBridge bridgeOrNull) {
        if (!(launchSecPerStage >= 0)) throw new IllegalArgumentException("launchSecPerStage must be >= 0, got " + launchSecPerStage);
        this.launchSecPerStage = launchSecPerStage;
        if (budgets.blockSize() != KvGeometry.BLOCK_SIZE) {
            throw new IllegalArgumentException("the real executor needs " + KvGeometry.BLOCK_SIZE + "-token KV blocks, budgets say "
                    + budgets.blockSize());
        }
        this.model = model;
        this.device = model.backend();
        this.host = host;
        ModelConfig c = model.config();
        this.geometry = c.geometry(model.weights().embedding().dtype(), kvType, device.activationType());
        this.bridge = bridgeOrNull != null ? bridgeOrNull : HostBridge.open(device, host);
        try {
            this.gpuPool = model.allocatePool(Math.max(1, budgets.gpuKvBlocks()), kvType);
            KvGeometry hg = c.kvGeometry(Math.max(1, budgets.hostKvBlocks()), kvType);
            this.hostPool = bridge.allocateHostPool(hg);
            int maxTokens = budgets.maxTokensPerIteration();
            int maxSeqs = Math.min(budgets.maxRunning(), maxTokens);
            // pool 1: the host pool as the device writes prefill K/V into it; pool 2: as the host thread uses it
            List<KvPool> pools = List.of(gpuPool, bridge.deviceView(hostPool), hostPool);
            stages[0] = new SubBatch(model.newBatch(maxTokens, maxSeqs, pools));
            stages[1] = new SubBatch(model.newBatch(maxSeqs, maxSeqs, pools));
            hostAttention = new HostAttention(model, host, hostPool, bridge, geometry, launchSecPerStage, this::now,
                    bridge.rowExchange(maxTokens, c.qWidth(), c.kvWidth()), bridge.rowExchange(maxSeqs, c.qWidth(), c.kvWidth()));
        } catch (RuntimeException | Error e) {
            bridge.close();
            throw e;
        }
    }

    /** The model's shape as this executor runs it: its KV type, and the device backend's activations (what crosses PCIe). */
    public ModelGeometry geometry() { return geometry; }

    /** Commits the tokens {@code forcing} chooses instead of the model's own (teacher forcing); {@link TokenForcing#NONE} by default. */
    public void forceTokens(TokenForcing forcing) { this.forcing = java.util.Objects.requireNonNull(forcing, "forcing"); }

    /** Token ids generated so far by every request this executor has seen, by request id, in first-seen order. */
    public Map<String, int[]> tokens() {
        Map<String, int[]> out = new LinkedHashMap<>();
        seen.forEach((id, r) -> out.put(id, r.outputIds()));
        return out;
    }

    /** Drops what this executor keeps of a request that left the loop (a server's loop sees requests without end). */
    public void forget(String requestId) { seen.remove(requestId); }

    /** Seconds since the run's start on the wall clock. */
    private double now() { return (System.nanoTime() - originNanos) / 1e9; }

    @Override
    public IterationOutcome execute(IterationPlan plan, List<SwapMove> swaps, long iteration, double startSec,
                                    Consumer<SubtaskRecord> sink) {
        if (!started) {
            originNanos = System.nanoTime() - (long) (startSec * 1e9);
            started = true;
        }
        long wait = (long) ((startSec - now()) * 1e9);
        while (wait > 0) {
            LockSupport.parkNanos(wait);
            wait = (long) ((startSec - now()) * 1e9);
        }
        IterationLog it = new IterationLog(iteration, sink != null, bridge, this::now);
        it.begin();
        boolean cpuWork = !plan.cpuDecodes().isEmpty() || (launchSecPerStage > 0 && plan.strategy().pipelined());
        if (cpuWork) hostAttention.beginIteration();
        for (SwapMove s : swaps) swap(s, it);
        it.swapFence = bridge.fenceCopies();
        SubBatch b0 = stages[0], b1 = stages[1];
        b0.clear();
        b1.clear();
        for (PrefillChunk c : plan.prefills()) {
            seen.putIfAbsent(c.request().id(), c.request());
            b0.addPrefill(c);
        }
        for (RequestState r : plan.gpuDecodes()) b0.addDecode(r, false);
        List<RequestState> cpu = plan.cpuDecodes();
        int split = SubBatches.cpuDecodesInFirst(plan);
        shapes.fill(plan);
        for (int i = 0; i < cpu.size(); i++) (i < split ? b0 : b1).addDecode(cpu.get(i), true);
        int[] sampled = null;
        if (!plan.advancesNothing()) {
            if (!b0.isEmpty()) b0.seal();
            if (!b1.isEmpty()) b1.seal();
            try {
                layers(it, LayerLayout.of(plan.strategy()), stages);
                if (bridge.enqueues()) {
                    // sampling is where the device thread first blocks: the GPU has run every layer by then,
                    // so every host job signalled its output; take their completions (and failures)
                    sampled = sample(it, b0, b1);
                    hostAttention.drain();
                }
            } finally {
                if (cpuWork) hostAttention.endIteration();
            }
            if (!bridge.enqueues()) sampled = sample(it, b0, b1);
        }
        it.resolve();
        double end = now();
        if (sink != null) {
            it.records.sort(Comparator.comparingDouble(SubtaskRecord::startSec));
            it.records.forEach(sink);
        }
        return new IterationOutcome(end, it.gpuBusy, it.cpuBusy, it.stall, it.h2d, it.d2h, it.swapIn, it.swapOut,
                sampled == null ? new int[0] : sampled);
    }

    /**
     * The layer stack in the issue order of the plan's {@link LayerLayout} (docs/architecture.md#real-executor): the
     * device thread runs each step's GPU nodes in order, hands a sub-batch's CPU rows to the host thread right after
     * their pre, and waits for a CPU output only before the first node that depends on it (post, or with
     * OFFLOAD_SERIAL the GPU attention); with NEO's single-thread runtime it also waits for each stage's launch. The
     * host thread takes its jobs in publication order, which for the pipelined layouts is NEO's interleaving.
     */
    private void layers(IterationLog it, LayerLayout layout, SubBatch[] b) {
        for (int s = 0; s < 2; s++) if (!b[s].isEmpty()) embed(it, b[s], s);
        int layers = geometry.layers();
        boolean singleThread = launchSecPerStage > 0;
        boolean launches = false;
        for (LayerLayout.Node n : layout.nodes()) launches |= n.op() == Op.LAUNCH && n.presence().test(shapes.get(n.subBatch()), singleThread);
        if (launches) hostAttention.enqueueSingleThreadProgram(it, layout, b, shapes);
        int[] consumed = {-1, -1};
        List<LayerLayout.Node> nodes = layout.nodes();
        for (int k = 0; k < layout.steps(layers); k++) {
            for (LayerLayout.Node n : nodes) {
                int stage = n.subBatch(), layer = k + n.offset();
                if (layer < 0 || layer >= layers || !n.presence().test(shapes.get(stage), singleThread)) continue;
                SubBatch sb = b[stage];
                switch (n.op()) {
                    case LAUNCH -> it.stall += hostAttention.awaitLaunch();
                    case PRE -> {
                        pre(it, sb, stage, layer);
                        if (sb.cpuDecodes > 0) hostAttention.publish(it, sb, stage, layer, launches);
                    }
                    case PREFILL_ATTN, GPU_DECODE_ATTN, POST -> {
                        awaitOutputs(it, layout, n, k, b, consumed);
                        if (n.op() == Op.POST) post(it, sb, stage, layer);
                        else if (n.op() == Op.PREFILL_ATTN) prefillAttention(it, sb, stage, layer);
                        else decodeAttention(it, sb, stage, layer);
                    }
                    default -> { }   // the host thread's copies and attention; host-bound prefill KV is written in pre
                }
            }
        }
    }

    /** Before GPU node {@code n} of step {@code k}: waits for the CPU outputs it depends on, each once. */
    private void awaitOutputs(IterationLog it, LayerLayout layout, LayerLayout.Node n, int k, SubBatch[] b, int[] consumed) {
        for (LayerLayout.Dep d : n.deps()) {
            LayerLayout.Node on = layout.nodes().get(d.node());
            if (on.op() != Op.ATTN_OUT_H2D || b[on.subBatch()].cpuDecodes == 0) continue;
            int layer = k + d.delta() + on.offset();
            if (layer < 0 || layer >= geometry.layers() || consumed[on.subBatch()] >= layer) continue;
            hostAttention.awaitCpuOutput(it, b[on.subBatch()], on.subBatch(), layer);
            consumed[on.subBatch()] = layer;
        }
    }

    private void embed(IterationLog it, SubBatch b, int stage) {
        IterationLog.Span t = it.start(Lane.COMPUTE);
        model.embed(b.batch);
        model.markFinite(b.batch, -1);   // device work: inside the span, no gap in the device's timeline
        it.gpu(-1, stage, Op.EMBED, b.batch.rows(), 0, t);
    }

    private void pre(IterationLog it, SubBatch b, int stage, int layer) {
        IterationLog.Span t = it.start(Lane.COMPUTE);
        model.project(layer, b.batch);
        model.appendKv(device, layer, b.batch, SubBatch.GPU_POOL, b.batch.newKeys(), b.batch.newValues());
        if (b.hostPrefillTokens > 0) {
            model.appendKv(device, layer, b.batch, SubBatch.HOST_PREFILL_POOL, b.batch.newKeys(), b.batch.newValues());
            long bytes = b.hostPrefillTokens * geometry.kvBytesPerTokenPerLayer();
            it.d2h += bytes;
            it.swapOut += bytes;
        }
        it.gpu(layer, stage, Op.PRE, b.batch.rows(), 0, t);
    }

    /** Prefill attention of every chunk of {@code b}, GPU- and host-bound, as one subtask. */
    private void prefillAttention(IterationLog it, SubBatch b, int stage, int layer) {
        IterationLog.Span t = it.start(Lane.COMPUTE);
        if (b.gpuPrefill != null) model.attention(layer, b.gpuPrefill);
        if (b.hostPrefill != null) model.attention(layer, b.hostPrefill);
        it.gpu(layer, stage, Op.PREFILL_ATTN, b.prefillTokens, 0, t);
    }

    private void decodeAttention(IterationLog it, SubBatch b, int stage, int layer) {
        IterationLog.Span t = it.start(Lane.COMPUTE);
        model.attention(layer, b.gpuDecode);
        it.gpu(layer, stage, Op.GPU_DECODE_ATTN, b.gpuDecodes, b.gpuContext, t);
    }

    private void post(IterationLog it, SubBatch b, int stage, int layer) {
        IterationLog.Span t = it.start(Lane.COMPUTE);
        model.post(layer, b.batch);
        model.markFinite(b.batch, layer);
        it.gpu(layer, stage, Op.POST, b.batch.rows(), 0, t);
    }

    /** Final norm, LM head and sampling of both sub-batches; token ids in plan order. */
    private int[] sample(IterationLog it, SubBatch b0, SubBatch b1) {
        IterationLog.Span t = it.start(Lane.COMPUTE);
        List<Integer> out = new ArrayList<>();
        int rows = 0;
        for (SubBatch b : new SubBatch[] {b0, b1}) {
            if (b.isEmpty()) continue;
            int n = b.batch.sequences();
            int[] ids = new int[n];
            model.logits(b.batch);
            model.markFiniteLogits(b.batch);
            model.requireFinite(b.batch);  // where the device thread waits anyway: sampling reads the tokens back
            int[] steps = b.steps();
            model.sample(b.batch, b.params(), steps, ids);
            for (int s = 0; s < n; s++) {
                if (b.samples.get(s)) out.add(forcing.commit(b.rows.get(s).id(), steps[s], ids[s]));
            }
            rows += n;
        }
        it.gpu(-1, 0, Op.LM_HEAD, rows, 0, t);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A whole-request swap: every layer's K and V, one copy per run of blocks consecutive on both sides. */
    private void swap(SwapMove s, IterationLog it) {
        boolean in = s.from() == Location.HOST;
        KvPool src = in ? hostPool : gpuPool, dst = in ? gpuPool : hostPool;
        Lane lane = in ? Lane.H2D : Lane.D2H;
        IterationLog.Span t = it.start(lane);
        int transfers = 0;
        long bytes = 0;
        int[] from = s.fromBlocks(), to = s.toBlocks();
        KvGeometry sg = src.geometry(), dg = dst.geometry();
        for (int layer = 0; layer < geometry.layers(); layer++) {
            int i = 0;
            while (i < from.length) {
                int j = i;
                while (j + 1 < from.length && from[j + 1] == from[j] + 1 && to[j + 1] == to[j] + 1) j++;
                long len = (j - i + 1) * sg.blockBytes();
                bridge.copyKv(src, sg.offset(layer, from[i], 0, 0), dst, dg.offset(layer, to[i], 0, 0), len, !in);
                transfers += 2;
                bytes += 2 * len;
                i = j + 1;
            }
        }
        it.copy(-1, 0, in ? Op.SWAP_IN : Op.SWAP_OUT, transfers, bytes, t, lane);
        if (in) {
            it.swapIn += bytes;
            it.h2d += bytes;
        } else {
            it.swapOut += bytes;
            it.d2h += bytes;
        }
    }

    @Override
    public void close() {
        hostAttention.close();
        bridge.close();
        stages[0].batch.close();
        stages[1].batch.close();
    }
}
