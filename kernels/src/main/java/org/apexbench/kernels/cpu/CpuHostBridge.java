package org.apexbench.kernels.cpu;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Fence;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.RowExchange;

/**
 * The {@link HostBridge} of the cpu backend, where the "device" is a worker thread: both KV pools are host
 * memory, every copy is a plain copy done when it returns (on the calling thread), and marks are the wall
 * clock. Nothing here waits: the device thread waits for host output itself (the runtime's semaphores).
 */
public final class CpuHostBridge implements HostBridge {
    private final Backend device;
    private final Backend host;

    /** A wall-clock mark. */
    record WallMark(long nanos) implements Mark {}

    public CpuHostBridge(Backend device, Backend host) {
        if (!"cpu".equals(device.name()) || !"cpu".equals(host.name())) {
            throw new IllegalArgumentException("cpu host bridge needs cpu backends, got device '" + device.name() + "', host '"
                    + host.name() + "'");
        }
        this.device = device;
        this.host = host;
    }

    @Override public boolean enqueues() { return false; }

    @Override public String deviceName() { return "cpu"; }

    @Override public String driverVersion() { return "n/a"; }

    @Override public KvPool allocateHostPool(KvGeometry g) {
        return new KvPool(g, host.allocate(g.bufferBytes()), host.allocate(g.bufferBytes()));
    }

    /** Host memory is the cpu device's memory: the same pool. */
    @Override public KvPool deviceView(KvPool hostPool) { return hostPool; }

    @Override public RowExchange rowExchange(int maxRows, int qWidth, int kvWidth) {
        return new CpuRowExchange(host, maxRows, qWidth, kvWidth);
    }

    @Override public void copyKv(KvPool src, long srcOffset, KvPool dst, long dstOffset, long bytes, boolean toHost) {
        device.copy(src.keys(), srcOffset, dst.keys(), dstOffset, bytes);
        device.copy(src.values(), srcOffset, dst.values(), dstOffset, bytes);
    }

    @Override public Fence fenceCopies() { return Fence.NONE; }

    @Override public Mark mark(Lane lane) { return new WallMark(System.nanoTime()); }

    @Override public double elapsedSeconds(Mark from, Mark to) {
        return (wall(to).nanos - wall(from).nanos) / 1e9;
    }

    private static WallMark wall(Mark m) {
        if (m instanceof WallMark w) return w;
        throw new IllegalArgumentException("cpu host bridge: " + m + " is not a mark of this bridge");
    }

    @Override public void endIteration() { }

    @Override public void close() { }
}
