package org.apexbench.harness;

import java.util.concurrent.atomic.AtomicInteger;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Fence;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.OutputWait;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.RowTransfer;

/**
 * A test double that makes the cpu backend look like an enqueueing device (as cuda is), so the real executor's
 * cuda code path runs on any machine: the device thread hands q/k/v over through a staging copy (the D2H copy),
 * never waits for a host job itself, and "enqueues" the wait for each host output, which here blocks the device
 * thread until the host thread signalled (the GPU stream's stall) and then copies from an output staging (the
 * H2D copy). Staging is reused every layer exactly as the cuda exchange reuses its pinned buffers, so a wrong
 * ordering argument shows up as wrong tokens. A swap-out's bytes are taken from the device pool when it is issued
 * (the device's later work is ordered after the copy) but land in the host pool only when the host thread awaits the
 * iteration's fence, or at the iteration's end: a host job that attended over a request swapped out in the same
 * iteration without awaiting the fence would read stale KV, as it could on cuda. Marks are the wall clock; pools
 * and swap-ins are the cpu bridge's.
 */
final class EnqueueingCpuBridge implements HostBridge {
    private final HostBridge cpu;
    private final Backend host;
    final AtomicInteger fencesAwaited = new AtomicInteger();
    final AtomicInteger iterationsEnded = new AtomicInteger();
    final AtomicInteger outputsWaitedFor = new AtomicInteger();
    private boolean pendingCopies;
    /** Swap-outs issued and not yet landed in the host pool. */
    private final java.util.List<Runnable> inFlight = new java.util.ArrayList<>();

    record WallMark(long nanos) implements Mark {}

    EnqueueingCpuBridge(Backend device, Backend host) {
        this.cpu = HostBridge.open(device, host);
        this.host = host;
    }

    @Override public boolean enqueues() { return true; }

    @Override public String deviceName() { return "cpu (enqueueing emulation)"; }

    @Override public String driverVersion() { return "n/a"; }

    @Override public KvPool allocateHostPool(KvGeometry g) { return cpu.allocateHostPool(g); }

    @Override public KvPool deviceView(KvPool hostPool) { return cpu.deviceView(hostPool); }

    @Override public RowExchange rowExchange(int maxRows, int qWidth, int kvWidth) { return new Exchange(maxRows, qWidth, kvWidth); }

    @Override public void copyKv(KvPool src, long srcOffset, KvPool dst, long dstOffset, long bytes, boolean toHost) {
        pendingCopies = true;
        if (!toHost) {
            cpu.copyKv(src, srcOffset, dst, dstOffset, bytes, false);
            return;
        }
        java.lang.foreign.MemorySegment k = java.lang.foreign.MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
        java.lang.foreign.MemorySegment v = java.lang.foreign.MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
        host.read(src.keys(), srcOffset, k);
        host.read(src.values(), srcOffset, v);
        synchronized (inFlight) {
            inFlight.add(() -> {
                host.write(k, dst.keys(), dstOffset);
                host.write(v, dst.values(), dstOffset);
            });
        }
    }

    /** Lands every swap-out issued so far in the host pool. */
    private void land() {
        synchronized (inFlight) {
            inFlight.forEach(Runnable::run);
            inFlight.clear();
        }
    }

    @Override public Fence fenceCopies() {
        if (!pendingCopies) return Fence.NONE;
        pendingCopies = false;
        return () -> {
            fencesAwaited.incrementAndGet();
            land();
        };
    }

    @Override public Mark mark(Lane lane) { return new WallMark(System.nanoTime()); }

    @Override public double elapsedSeconds(Mark from, Mark to) { return (((WallMark) to).nanos - ((WallMark) from).nanos) / 1e9; }

    @Override public void endIteration() {
        land();
        iterationsEnded.incrementAndGet();
    }

    @Override public void close() { cpu.close(); }

    private final class Exchange implements RowExchange {
        private final long qRow, kvRow;
        private final int maxRows;
        private final DeviceBuffer q, k, v, out, stageQ, stageK, stageV, stageOut;
        private final Object lock = new Object();
        private int signalled;
        private int sent;

        Exchange(int maxRows, int qWidth, int kvWidth) {
            this.maxRows = maxRows;
            qRow = (long) DType.F32.bytes() * qWidth;
            kvRow = (long) DType.F32.bytes() * kvWidth;
            q = host.allocate(qRow * maxRows);
            k = host.allocate(kvRow * maxRows);
            v = host.allocate(kvRow * maxRows);
            out = host.allocate(qRow * maxRows);
            stageQ = host.allocate(qRow * maxRows);
            stageK = host.allocate(kvRow * maxRows);
            stageV = host.allocate(kvRow * maxRows);
            stageOut = host.allocate(qRow * maxRows);
        }

        private void rows(DeviceBuffer src, DeviceBuffer dst, long row, RowTransfer t) {
            host.copy(src, t.first() * row, dst, t.first() * row, t.rows() * row);
        }

        @Override public DeviceBuffer hostQueries() { return q; }

        @Override public DeviceBuffer hostKeys() { return k; }

        @Override public DeviceBuffer hostValues() { return v; }

        @Override public DeviceBuffer hostOutput() { return out; }

        @Override public RowTransfer sendInputs(DeviceBuffer qSrc, DeviceBuffer kSrc, DeviceBuffer vSrc, int first, int n) {
            if (first + n > maxRows) throw new IllegalArgumentException("rows beyond " + maxRows);
            Mark start = mark(Lane.D2H);
            RowTransfer t = new RowTransfer(first, n, ++sent, start, start);
            rows(qSrc, stageQ, qRow, t);
            rows(kSrc, stageK, kvRow, t);
            rows(vSrc, stageV, kvRow, t);
            return new RowTransfer(first, n, t.sequence(), start, mark(Lane.D2H));
        }

        @Override public void receiveInputs(RowTransfer t, DeviceBuffer qSrc, DeviceBuffer kSrc, DeviceBuffer vSrc) {
            if (t.inputEnd() == null) throw new IllegalStateException("an enqueueing bridge's transfer has its D2H mark");
            rows(stageQ, q, qRow, t);
            rows(stageK, k, kvRow, t);
            rows(stageV, v, kvRow, t);
        }

        @Override public void sendOutput(RowTransfer t, DeviceBuffer dst) {
            rows(out, stageOut, qRow, t);
            synchronized (lock) {
                signalled = Math.max(signalled, t.sequence());
                lock.notifyAll();
            }
        }

        @Override public OutputWait awaitOutputOnDevice(RowTransfer t, DeviceBuffer dst) {
            Mark stallStart = mark(Lane.COMPUTE);
            synchronized (lock) {
                // a GPU stream would wait forever for a flag nobody raises; the emulation gives up after 60 s in all
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (signalled < t.sequence()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException("host output " + t.sequence() + " was never signalled (waited 60 s)");
                    }
                    try {
                        lock.wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }
            Mark copyStart = mark(Lane.H2D);
            rows(stageOut, dst, qRow, t);
            Mark copyEnd = mark(Lane.H2D);
            outputsWaitedFor.incrementAndGet();
            return new OutputWait(copyStart, copyEnd, stallStart, mark(Lane.COMPUTE));
        }

        @Override public void abort() {
            synchronized (lock) {
                signalled = Integer.MAX_VALUE;
                lock.notifyAll();
            }
        }
    }
}
