package org.apexbench.engine.real;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

import org.apexbench.kernels.Fence;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskRecord;

/**
 * One iteration's accounting (device thread) and records (both threads) in the real executor. Device
 * subtasks are timed two ways: where the bridge only enqueues device work (cuda), a span is a pair of device
 * marks (GPU timing events) resolved after the iteration's final synchronisation, on the run clock through
 * an anchor mark taken while the device was idle; otherwise (cpu, where the "device" is the calling thread)
 * a span is wall clock, recorded at once. Host-thread subtasks (CPU attention, launches) are wall clock.
 */
final class IterationLog {
    /** Where a span started: wall seconds (cpu), or a device mark (cuda). */
    record Span(double wall, Mark mark) {}

    private enum Kind { BUSY, COPY, STALL }

    private record Pending(int layer, int stage, Op op, int rows, long ctx, long bytes, Mark start, Mark end, Kind kind) {}

    final long index;
    final List<SubtaskRecord> records;
    double gpuBusy, cpuBusy, stall;
    long h2d, d2h, swapIn, swapOut;
    /** What the host thread waits for before touching the host pool: this iteration's swaps (cuda). */
    volatile Fence swapFence = Fence.NONE;
    private final HostBridge bridge;
    private final DoubleSupplier clock;
    private final boolean marks;
    private final List<Pending> pending = new ArrayList<>();
    private Mark anchor;
    private double anchorSec;

    IterationLog(long index, boolean record, HostBridge bridge, DoubleSupplier clock) {
        this.index = index;
        this.records = record ? new ArrayList<>() : null;
        this.bridge = bridge;
        this.clock = clock;
        this.marks = bridge.enqueues();
    }

    /**
     * Iteration start, device idle (the previous iteration ended in a synchronisation): the anchor mark
     * completes at once, somewhere between recording it and seeing it done; the midpoint is its run-clock time
     * (device spans are then off by at most half that window against wall-clock records). The window is
     * microseconds unless the OS deschedules the device thread inside it (milliseconds on a loaded machine),
     * so the narrowest of a few tries is kept.
     */
    void begin() {
        if (!marks) return;
        double narrowest = Double.POSITIVE_INFINITY;
        for (int attempt = 0; attempt < ANCHOR_ATTEMPTS && narrowest > ANCHOR_WINDOW_SEC; attempt++) {
            double before = clock.getAsDouble();
            Mark m = bridge.mark(Lane.COMPUTE);
            bridge.elapsedSeconds(m, m);
            double after = clock.getAsDouble();
            if (after - before < narrowest) {
                narrowest = after - before;
                anchor = m;
                anchorSec = (before + after) / 2;
            }
        }
    }

    /** An anchor window narrow enough to stop retrying, and the most tries per iteration. */
    private static final double ANCHOR_WINDOW_SEC = 50e-6;
    private static final int ANCHOR_ATTEMPTS = 5;

    Span start(Lane lane) {
        return marks ? new Span(Double.NaN, bridge.mark(lane)) : new Span(clock.getAsDouble(), null);
    }

    /** A GPU compute subtask from {@code start} to now (it counts as GPU busy time). */
    void gpu(int layer, int stage, Op op, int rows, long ctx, Span start) {
        if (marks) {
            pending.add(new Pending(layer, stage, op, rows, ctx, 0, start.mark(), bridge.mark(Lane.COMPUTE), Kind.BUSY));
            return;
        }
        double end = clock.getAsDouble();
        gpuBusy += end - start.wall();
        add(layer, stage, op, rows, ctx, 0, start.wall(), end);
    }

    /** A copy subtask on {@code lane} from {@code start} to now. */
    void copy(int layer, int stage, Op op, int rows, long bytes, Span start, Lane lane) {
        if (marks) {
            pending.add(new Pending(layer, stage, op, rows, 0, bytes, start.mark(), bridge.mark(lane), Kind.COPY));
            return;
        }
        add(layer, stage, op, rows, 0, bytes, start.wall(), clock.getAsDouble());
    }

    /** A copy subtask between two device marks (cuda row exchanges). */
    void deviceCopy(int layer, int stage, Op op, long bytes, Mark start, Mark end) {
        pending.add(new Pending(layer, stage, op, 1, 0, bytes, start, end, Kind.COPY));
    }

    /** GPU time compute spent waiting for host attention's output, between two compute-lane marks. */
    void deviceStall(Mark start, Mark end) {
        pending.add(new Pending(-1, 0, null, 0, 0, 0, start, end, Kind.STALL));
    }

    synchronized void add(int layer, int stage, Op op, int rows, long ctx, long bytes, double start, double end) {
        if (records != null) {
            records.add(new SubtaskRecord(index, layer, stage, op, op.resource(), rows, ctx, bytes, start, end, Double.NaN));
        }
    }

    synchronized void addCpuBusy(double seconds) { cpuBusy += seconds; }

    /**
     * After the iteration's device work is done and the host thread is finished with it: turns the device
     * spans into records and gives the marks back.
     */
    void resolve() {
        if (!marks) return;
        for (Pending p : pending) {
            double s = anchorSec + bridge.elapsedSeconds(anchor, p.start());
            double e = anchorSec + bridge.elapsedSeconds(anchor, p.end());
            switch (p.kind()) {
                case BUSY -> {
                    gpuBusy += e - s;
                    add(p.layer(), p.stage(), p.op(), p.rows(), p.ctx(), 0, s, e);
                }
                case COPY -> add(p.layer(), p.stage(), p.op(), p.rows(), p.ctx(), p.bytes(), s, e);
                case STALL -> stall += e - s;
            }
        }
        pending.clear();
        bridge.endIteration();
    }
}
