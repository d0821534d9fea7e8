package org.apexbench.kernels.cuda;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Fence;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.cpu.CpuBuffer;

/**
 * The {@link HostBridge} of the cuda backend (docs/architecture.md#real-executor). The host KV pool and all staging are pinned,
 * device-mapped host memory ({@link PinnedHostBuffer}) that the cpu backend uses in place; swaps are async
 * copies on the H2D / D2H streams; compute waits for them through events recorded after them (so a wait is
 * never on an event not yet recorded); marks are timing events, so record times are GPU times.
 *
 * <p>Threads: every method except the fences' {@link Fence#awaitOnHost()} and the row exchanges' host-side
 * methods runs on the device thread, which owns the backend. The host thread only synchronises on events
 * the device thread recorded before handing them over, and writes pinned memory and host flags.
 */
public final class CudaHostBridge implements HostBridge {
    private final CudaBackend cuda;
    private final Backend host;
    /** The pinned memory behind each host-side buffer this bridge handed out, by identity. */
    private final Map<DeviceBuffer, PinnedHostBuffer> pinnedOf = new IdentityHashMap<>();
    private final List<AutoCloseable> owned = new ArrayList<>();
    /** Events of the current iteration, given back in {@link #endIteration()} once no thread uses them. */
    private final List<CudaEvent> iterationEvents = new ArrayList<>();
    private boolean pendingD2H, pendingH2D;
    private boolean closed;

    /** A timing event as a mark. */
    record EventMark(CudaEvent event) implements Mark {}

    private CudaHostBridge(CudaBackend cuda, Backend host) {
        this.cuda = cuda;
        this.host = host;
    }

    /** Called by {@link HostBridge#open} when the device backend is cuda. */
    public static HostBridge create(Backend device, Backend host) {
        if (!(device instanceof CudaBackend c)) {
            throw new IllegalArgumentException("cuda host bridge needs the cuda backend as device, got " + device.name());
        }
        return new CudaHostBridge(c, host);
    }

    @Override public boolean enqueues() { return true; }

    @Override public String deviceName() { return cuda.deviceName(); }

    @Override public String driverVersion() { return cuda.driverVersion(); }

    /** Pinned memory of {@code bytes} bytes, zeroed (cuMemHostAlloc does not zero), seen by the host backend in place. */
    DeviceBuffer pinnedHostBuffer(long bytes, String what) {
        if (bytes > PinnedHostBuffer.MAX_BYTES) {
            throw new IllegalArgumentException(what + " needs " + bytes + " bytes of pinned host memory in one buffer, more than "
                    + PinnedHostBuffer.MAX_BYTES + " (JCuda exposes pinned memory as one ByteBuffer)");
        }
        PinnedHostBuffer p = cuda.allocatePinned(Math.max(1, bytes));
        owned.add(p);
        p.segment().fill((byte) 0);
        DeviceBuffer b = CpuBuffer.wrap(p.segment().asSlice(0, bytes));
        pinnedOf.put(b, p);
        return b;
    }

    @Override public KvPool allocateHostPool(KvGeometry g) {
        checkHostPool(g);
        return new KvPool(g, pinnedHostBuffer(g.bufferBytes(), "host KV pool K"), pinnedHostBuffer(g.bufferBytes(), "host KV pool V"));
    }

    /** Refuses a host pool cuda cannot hold: not F16 (swaps copy raw bytes to the F16 GPU pool), or K/V over one pinned buffer. */
    static void checkHostPool(KvGeometry g) {
        if (g.dtype() != DType.F16) {
            throw new IllegalArgumentException("cuda: the host KV pool must be F16 like the GPU pool (swaps copy raw bytes), got "
                    + g.dtype());
        }
        if (g.bufferBytes() > PinnedHostBuffer.MAX_BYTES) {
            long perBlock = g.bufferBytes() / g.blocks();
            throw new IllegalArgumentException("cuda: a host KV pool of " + g.blocks() + " blocks needs " + g.bufferBytes()
                    + " bytes for K (and as much for V), more than one pinned buffer's " + PinnedHostBuffer.MAX_BYTES
                    + " bytes (JCuda maps pinned memory to one ByteBuffer); use at most "
                    + PinnedHostBuffer.MAX_BYTES / perBlock + " host KV blocks");
        }
    }

    @Override public KvPool deviceView(KvPool hostPool) {
        return new KvPool(hostPool.geometry(), cuda.mapped(pinned(hostPool.keys(), "deviceView keys")),
                cuda.mapped(pinned(hostPool.values(), "deviceView values")));
    }

    PinnedHostBuffer pinned(DeviceBuffer hostBuffer, String what) {
        PinnedHostBuffer p = pinnedOf.get(hostBuffer);
        if (p == null) {
            throw new IllegalArgumentException("cuda host bridge " + what + ": " + hostBuffer + " is not pinned memory of this bridge"
                    + " (allocate host pools with allocateHostPool)");
        }
        return p;
    }

    @Override public RowExchange rowExchange(int maxRows, int qWidth, int kvWidth) {
        CudaRowExchange x = new CudaRowExchange(this, cuda, host, maxRows, qWidth, kvWidth);
        owned.add(x);
        return x;
    }

    @Override public void copyKv(KvPool src, long srcOffset, KvPool dst, long dstOffset, long bytes, boolean toHost) {
        if (toHost) {
            cuda.copyAsync(src.keys(), srcOffset, pinned(dst.keys(), "swap-out K"), dstOffset, bytes, StreamRole.D2H);
            cuda.copyAsync(src.values(), srcOffset, pinned(dst.values(), "swap-out V"), dstOffset, bytes, StreamRole.D2H);
            pendingD2H = true;
        } else {
            cuda.copyAsync(pinned(src.keys(), "swap-in K"), srcOffset, dst.keys(), dstOffset, bytes, StreamRole.H2D);
            cuda.copyAsync(pinned(src.values(), "swap-in V"), srcOffset, dst.values(), dstOffset, bytes, StreamRole.H2D);
            pendingH2D = true;
        }
    }

    @Override public Fence fenceCopies() {
        List<CudaEvent> done = new ArrayList<>(2);
        if (pendingD2H) done.add(cuda.record(StreamRole.D2H));
        if (pendingH2D) done.add(cuda.record(StreamRole.H2D));
        pendingD2H = pendingH2D = false;
        if (done.isEmpty()) return Fence.NONE;
        for (CudaEvent e : done) {
            cuda.waitEvent(StreamRole.COMPUTE, e);
            iterationEvents.add(e);
        }
        return () -> done.forEach(cuda::synchronize);
    }

    @Override public Mark mark(Lane lane) {
        CudaEvent e = cuda.recordTiming(role(lane));
        iterationEvents.add(e);
        return new EventMark(e);
    }

    static StreamRole role(Lane lane) {
        return switch (lane) {
            case COMPUTE -> StreamRole.COMPUTE;
            case H2D -> StreamRole.H2D;
            case D2H -> StreamRole.D2H;
        };
    }

    static CudaEvent event(Mark m) {
        if (m instanceof EventMark e) return e.event();
        throw new IllegalArgumentException("cuda host bridge: " + m + " is not a mark of a cuda bridge");
    }

    /** Host thread: waits for {@code m} (an event the device thread recorded before handing it over). */
    void awaitOnHost(Mark m) { cuda.synchronize(event(m)); }

    @Override public double elapsedSeconds(Mark from, Mark to) {
        return cuda.elapsedMillis(event(from), event(to)) / 1e3;
    }

    /**
     * {@inheritDoc} Also synchronises the (by now idle) device: that is what lets the backend reuse its pinned
     * metadata staging, which otherwise grows by a chunk every few dozen iterations.
     */
    @Override public void endIteration() {
        cuda.synchronize();
        for (CudaEvent e : iterationEvents) cuda.release(e);
        iterationEvents.clear();
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        // nothing may still copy from or into the pinned memory when it is freed
        cuda.synchronize();
        endIteration();
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("cuda host bridge: closing " + owned.get(i), e);
            }
        }
        owned.clear();
        pinnedOf.clear();
    }
}
