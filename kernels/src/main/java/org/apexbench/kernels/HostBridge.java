package org.apexbench.kernels;

/**
 * What the two-thread hybrid runtime (docs/architecture.md#real-executor) needs between its device backend and its host-attention
 * backend (always cpu, fp32 activations): a host KV pool the device can copy to and from, per-layer row
 * exchanges for host attention, whole-request KV swaps ordered before the compute that needs them, and
 * device-side timing of spans of work. Engines program against this; only the cuda implementation
 * (kernels/cuda) touches JCuda, and {@link #open} reaches it only when the device backend is cuda.
 *
 * <ul>
 *   <li>cpu ({@link org.apexbench.kernels.cpu.CpuHostBridge}): both pools are host memory, copies are plain
 *       synchronous copies on the calling thread, marks are the wall clock.</li>
 *   <li>cuda: the host pool and staging are pinned host memory; copies are async on the H2D / D2H streams;
 *       the host thread waits for q/k/v through an event; the device waits for host output through a
 *       pinned-memory flag (cuStreamWaitValue32), so the device thread never blocks on the CPU.</li>
 * </ul>
 * Device-thread methods are called by one thread (the runtime's device thread); {@link Fence#awaitOnHost()},
 * {@link RowExchange#receiveInputs}, {@link RowExchange#sendOutput} and {@link RowExchange#abort} by the host thread.
 */
public interface HostBridge extends AutoCloseable {

    /**
     * The bridge for {@code device} and the host-attention backend {@code host} (must be cpu). Refuses other
     * pairs, naming them.
     */
    static HostBridge open(Backend device, Backend host) {
        if (!"cpu".equals(host.name())) {
            throw new IllegalArgumentException("host attention runs on the cpu backend, got host backend '" + host.name() + "'");
        }
        if (device instanceof Provider own) return own.hostBridge(host);
        return switch (device.name()) {
            case "cpu" -> new org.apexbench.kernels.cpu.CpuHostBridge(device, host);
            case "cuda" -> org.apexbench.kernels.cuda.CudaHostBridge.create(device, host);
            default -> throw new IllegalArgumentException("no host bridge for device backend '" + device.name() + "'");
        };
    }

    /**
     * A device backend that brings its own bridge, which {@link #open} returns for it: a test's emulation of an
     * enqueueing device on the cpu backend (named "cuda"), so that the code paths that switch on the device backend's
     * name run their cuda branch without a GPU. No backend of the product implements it.
     */
    interface Provider {
        /** This device's bridge to the host-attention backend {@code host} (cpu). */
        HostBridge hostBridge(Backend host);
    }

    /**
     * True when device work is only enqueued (cuda): the device thread must then not wait for host output
     * itself but call {@link RowExchange#awaitOutputOnDevice}, and the records' device spans come from marks.
     */
    boolean enqueues();

    /** The device, as result records name it: "cpu", or the GPU's name. */
    String deviceName();

    /** The driver version ("n/a" on cpu). */
    String driverVersion();

    /**
     * A host KV pool of geometry {@code g}: host-backend memory the device can copy to and from (pinned on
     * cuda, where each of K and V must fit one pinned buffer below 2 GiB: larger pools are refused, naming
     * the largest block count that fits).
     */
    KvPool allocateHostPool(KvGeometry g);

    /** {@code hostPool} as the device backend addresses it (device kernels may append prefill K/V into it). */
    KvPool deviceView(KvPool hostPool);

    /** A row exchange for a batch of up to {@code maxRows} rows. */
    RowExchange rowExchange(int maxRows, int qWidth, int kvWidth);

    /**
     * Copies {@code bytes} bytes of K and the same of V between the device pool and the host pool
     * ({@code toHost}: device to host on the D2H lane; else host to device on the H2D lane).
     */
    void copyKv(KvPool src, long srcOffset, KvPool dst, long dstOffset, long bytes, boolean toHost);

    /**
     * Device thread: compute enqueued from now on waits (on the device) for every KV copy issued so far; the
     * returned fence lets the host thread wait for them too before it touches the host pool.
     */
    Fence fenceCopies();

    /** Device thread: a mark at the current end of {@code lane}'s work. */
    Mark mark(Lane lane);

    /** Device thread: seconds from {@code from} to {@code to}, waiting until {@code to} has happened. */
    double elapsedSeconds(Mark from, Mark to);

    /** Device thread: the iteration's marks, fences and transfers are no longer used (the host thread is done with them). */
    void endIteration();

    /** Frees what the bridge allocated (pinned memory); the backends are closed by their owner. */
    @Override
    void close();
}
