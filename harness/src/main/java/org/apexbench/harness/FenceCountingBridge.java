package org.apexbench.harness;

import java.util.concurrent.atomic.AtomicInteger;

import org.apexbench.kernels.Fence;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.RowExchange;

/**
 * A bridge that counts how often the host thread awaited a swap fence that guards copies ({@link Fence#NONE} is not
 * counted): {@link RealEngineCheck} compares that with the CPU-attention jobs of the iterations that swapped, since
 * on an enqueueing device (cuda) a host job that touches the host pool without awaiting its iteration's swaps reads
 * KV that may not have landed yet. Everything else is the wrapped bridge's.
 */
final class FenceCountingBridge implements HostBridge {
    private final HostBridge bridge;
    private final AtomicInteger awaited = new AtomicInteger();

    FenceCountingBridge(HostBridge bridge) { this.bridge = bridge; }

    /** Awaits of fences that guarded copies, so far. */
    int awaited() { return awaited.get(); }

    @Override public Fence fenceCopies() {
        Fence f = bridge.fenceCopies();
        if (f == Fence.NONE) return f;
        return () -> {
            awaited.incrementAndGet();
            f.awaitOnHost();
        };
    }

    @Override public boolean enqueues() { return bridge.enqueues(); }

    @Override public String deviceName() { return bridge.deviceName(); }

    @Override public String driverVersion() { return bridge.driverVersion(); }

    @Override public KvPool allocateHostPool(KvGeometry g) { return bridge.allocateHostPool(g); }

    @Override public KvPool deviceView(KvPool hostPool) { return bridge.deviceView(hostPool); }

    @Override public RowExchange rowExchange(int maxRows, int qWidth, int kvWidth) { return bridge.rowExchange(maxRows, qWidth, kvWidth); }

    @Override public void copyKv(KvPool src, long srcOffset, KvPool dst, long dstOffset, long bytes, boolean toHost) {
        bridge.copyKv(src, srcOffset, dst, dstOffset, bytes, toHost);
    }

    @Override public Mark mark(Lane lane) { return bridge.mark(lane); }

    @Override public double elapsedSeconds(Mark from, Mark to) { return bridge.elapsedSeconds(from, to); }

    @Override public void endIteration() { bridge.endIteration(); }

    @Override public void close() { bridge.close(); }
}
