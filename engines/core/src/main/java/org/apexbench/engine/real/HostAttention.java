package org.apexbench.engine.real;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.function.DoubleSupplier;

import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.plan.SubBatches;
import org.apexbench.model.LlamaModel;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.OutputWait;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.RowTransfer;
import org.apexbench.profiler.Op;

/**
 * The CPU-attention half of {@link RealExecutor}: the device thread's side of handing each layer's CPU rows to
 * the {@link HostAttentionThread} and consuming their outputs, and the jobs that thread runs. On cpu the device
 * thread waits for each output itself (that wait is the stall); where the bridge enqueues (cuda) it only
 * enqueues the GPU-side wait and takes the jobs' completions after sampling ({@link #drain}). NEO's faithful
 * single-thread runtime queues its launches and attentions up front ({@link #enqueueSingleThreadProgram}).
 */
final class HostAttention implements AutoCloseable {
    private final LlamaModel model;
    private final Backend host;
    private final KvPool hostPool;
    private final HostBridge bridge;
    private final ModelGeometry geometry;
    private final double launchSecPerStage;
    private final DoubleSupplier clock;
    private final HostAttentionThread hostThread = new HostAttentionThread("host-attention");
    /** Per sub-batch: its rows' exchange with host attention. */
    private final RowExchange[] exchanges;
    /** Per sub-batch: transfers sent but not yet taken by a job (jobs of a sub-batch run in send order). */
    @SuppressWarnings("unchecked")
    private final Queue<RowTransfer>[] inbox = new Queue[] {new ConcurrentLinkedQueue<RowTransfer>(), new ConcurrentLinkedQueue<RowTransfer>()};
    /** Per sub-batch: the transfer whose output the device consumes next. */
    private final RowTransfer[] lastSent = new RowTransfer[2];
    /** Per sub-batch (enqueueing bridge): host jobs submitted whose completion the device thread has not taken yet. */
    private final int[] unawaited = new int[2];
    /** Single-thread runtime: per sub-batch, q/k/v published for a job queued up front. */
    private final Semaphore[] dataReady = {new Semaphore(0), new Semaphore(0)};

    HostAttention(LlamaModel model, Backend host, KvPool hostPool, HostBridge bridge, ModelGeometry geometry, double launchSecPerStage,
                  DoubleSupplier clock, RowExchange stage0, RowExchange stage1) {
        this.model = model;
        this.host = host;
        this.hostPool = hostPool;
        this.bridge = bridge;
        this.geometry = geometry;
        this.launchSecPerStage = launchSecPerStage;
        this.clock = clock;
        this.exchanges = new RowExchange[] {stage0, stage1};
    }

    private double now() { return clock.getAsDouble(); }

    /** An iteration with CPU work starts: wake the host thread. */
    void beginIteration() { hostThread.beginIteration(); }

    /** The iteration's CPU work is all consumed. */
    void endIteration() { hostThread.endIteration(); }

    /** Single-thread runtime: waits until the host thread "launched" the next stage; returns the seconds waited. */
    double awaitLaunch() { return hostThread.await(HostAttentionThread.LAUNCHES); }

    /** q/k/v of layer {@code layer}'s CPU rows exist: hand them over (faithful: the job is already queued). */
    void publish(IterationLog it, SubBatch b, int stage, int layer, boolean faithful) {
        if (faithful) {
            send(it, b, stage, layer);
            dataReady[stage].release();
        } else {
            submitCpuAttention(it, b, stage, layer);
        }
    }

    /**
     * NEO's single host thread for one pipelined iteration, queued up front in its order: the host-thread nodes
     * of the plan's {@link LayerLayout} (launches and CPU attentions) step by step, in issue order
     * (docs/engines.md#neo). Each attention job waits on the host thread until the device published its q/k/v,
     * so the launches of later stages wait behind it, as on NEO's one thread.
     */
    void enqueueSingleThreadProgram(IterationLog it, LayerLayout layout, SubBatch[] b, SubBatches shapes) {
        int layers = geometry.layers();
        for (int k = 0; k < layout.steps(layers); k++) {
            for (LayerLayout.Node n : layout.nodes()) {
                int stage = n.subBatch(), layer = k + n.offset();
                if (layer < 0 || layer >= layers || !n.presence().test(shapes.get(stage), true)) continue;
                if (n.op() == Op.LAUNCH) hostThread.submit(HostAttentionThread.LAUNCHES, launch(it, stage, layer));
                else if (n.op() == Op.CPU_DECODE_ATTN) hostThread.submit(stage, afterData(stage, cpuJob(it, b[stage], stage, layer)));
            }
        }
    }

    private Runnable launch(IterationLog it, int stage, int step) {
        return () -> {
            double t = now();
            long until = System.nanoTime() + (long) (launchSecPerStage * 1e9);
            while (System.nanoTime() < until) Thread.onSpinWait();
            it.add(step, stage, Op.LAUNCH, 1, 0, 0, t, now());
        };
    }

    private Runnable afterData(int stage, Runnable job) {
        return () -> {
            try {
                if (!dataReady[stage].tryAcquire(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("host thread waited 60 s for sub-batch " + stage + "'s q/k/v");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("host thread interrupted", e);
            }
            job.run();
        };
    }

    /** Publishes layer {@code layer}'s CPU rows of {@code b} to the host thread (their q/k/v exist now). */
    void submitCpuAttention(IterationLog it, SubBatch b, int stage, int layer) {
        send(it, b, stage, layer);
        hostThread.submit(stage, cpuJob(it, b, stage, layer));
    }

    /** Device thread: the CPU rows' q/k/v of this layer start moving to the host (cuda: an async D2H copy). */
    private void send(IterationLog it, SubBatch b, int stage, int layer) {
        var batch = b.batch;
        RowTransfer t = exchanges[stage].sendInputs(batch.queries(), batch.newKeys(), batch.newValues(), b.cpuFirstRow, b.cpuDecodes);
        if (bridge.enqueues()) {
            it.deviceCopy(layer, stage, Op.QKV_D2H, b.cpuDecodes * geometry.qkvBytesPerToken(), t.inputStart(), t.inputEnd());
            unawaited[stage]++;
        }
        lastSent[stage] = t;
        inbox[stage].add(t);
    }

    /**
     * Device thread: compute after this point needs the CPU output of {@code stage}'s last sent layer. cpu: wait
     * for the host job (the waiting time is the stall); cuda: enqueue the GPU-side wait and copy, and go on.
     */
    void awaitCpuOutput(IterationLog it, SubBatch b, int stage, int layer) {
        if (!bridge.enqueues()) {
            it.stall += hostThread.await(stage);
            return;
        }
        OutputWait w = exchanges[stage].awaitOutputOnDevice(lastSent[stage], b.batch.attentionOutput());
        it.deviceCopy(layer, stage, Op.ATTN_OUT_H2D, b.cpuDecodes * geometry.attnOutBytesPerToken(), w.copyStart(), w.copyEnd());
        it.deviceStall(w.stallStart(), w.stallEnd());
    }

    /** cuda, after sampling: every host job of the iteration has signalled; take their completions (rethrows failures). */
    void drain() {
        for (int stage = 0; stage < unawaited.length; stage++) {
            for (; unawaited[stage] > 0; unawaited[stage]--) hostThread.await(stage);
        }
    }

    /**
     * {@code -Dapex.real.hostAttentionFloorMicros=N} emulates a slower host CPU: each CPU-attention job lasts at
     * least N us, the rest spent sleeping (so the core stays free for the device thread). Tiny models attend in
     * microseconds, less than a scheduling quantum of a loaded machine; with a floor, whether the runtime
     * overlaps CPU attention with GPU work is decided by its structure, not by the OS scheduler's luck.
     */
    private final long hostAttentionFloorNanos = Long.getLong("apex.real.hostAttentionFloorMicros", 0L) * 1000L;

    private void emulateSlowerHost(double startSec) {
        if (hostAttentionFloorNanos <= 0) return;
        long until = (long) (startSec * 1e9) + hostAttentionFloorNanos;
        for (long left = until - (long) (now() * 1e9); left > 0; left = until - (long) (now() * 1e9)) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    /** The host side of layer {@code layer}'s CPU rows of {@code b}: take q/k/v, append K/V, attend, return the output. */
    private Runnable cpuJob(IterationLog it, SubBatch b, int stage, int layer) {
        var batch = b.batch;
        RowExchange x = exchanges[stage];
        int n = b.cpuDecodes;
        long qkvBytes = n * geometry.qkvBytesPerToken();
        long outBytes = n * geometry.attnOutBytesPerToken();
        it.d2h += qkvBytes;
        it.h2d += outBytes;
        boolean wallCopies = !bridge.enqueues();
        return () -> {
            try {
                // sent before this job was submitted (or, single-thread runtime, before its data-ready permit)
                RowTransfer t = inbox[stage].poll();
                if (t == null) throw new IllegalStateException("host job of sub-batch " + stage + " layer " + layer + ": no q/k/v sent");
                it.swapFence.awaitOnHost();
                double t0 = now();
                x.receiveInputs(t, batch.queries(), batch.newKeys(), batch.newValues());
                double t1 = now();
                if (wallCopies) it.add(layer, stage, Op.QKV_D2H, 1, 0, qkvBytes, t0, t1);
                model.appendKv(host, layer, batch, SubBatch.HOST_DECODE_POOL, x.hostKeys(), x.hostValues());
                model.attention(host, layer, b.cpuDecode, hostPool, x.hostQueries(), x.hostOutput());
                emulateSlowerHost(t1);
                double t2 = now();
                it.add(layer, stage, Op.CPU_DECODE_ATTN, n, b.cpuContext, 0, t1, t2);
                x.sendOutput(t, batch.attentionOutput());
                double t3 = now();
                if (wallCopies) it.add(layer, stage, Op.ATTN_OUT_H2D, 1, 0, outBytes, t2, t3);
                it.addCpuBusy(t2 - t1);
            } catch (RuntimeException | Error e) {
                // this thread stops: no later output will be signalled, so release every GPU wait on them
                for (RowExchange other : exchanges) other.abort();
                throw e;
            }
        };
    }

    @Override
    public void close() { hostThread.close(); }
}
