package org.apexbench.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;
import static jcuda.driver.JCudaDriver.cuStreamWaitValue32;
import static jcuda.driver.JCudaDriver.cuStreamWriteValue32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstreamWaitValue_flags;
import jcuda.driver.CUstream_flags;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.DeviceMemory;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;

/**
 * The cuda backend: JCuda driver API over the kernels of kernels/src/main/cuda (docs/architecture.md#kernels).
 * Activations are F16, accumulation fp32, KV pools F16. Ops and metadata uploads are enqueued on the
 * COMPUTE stream and return at once; {@link #read}, {@link #write}, {@link #argmax}, {@link #sample}
 * and {@link #synchronize} wait. Bulk copies may use the H2D / D2H streams ({@link StreamRole}).
 *
 * <p>Threading: the retained primary context is made current on any thread that calls in (once per
 * thread), but the backend's state is single-owner: one thread at a time (the engine's device thread)
 * issues calls. Other threads interact only through {@link HostFlag}s and pinned memory.
 *
 * <p>Only reached through {@link #open(int)}: a JVM that never asks for cuda never loads this class,
 * and so never a JCuda class.
 */
public final class CudaBackend implements Backend {
    /** Rows up to this use the bandwidth-bound gemv kernel; more rows use the tensor-core kernel. */
    static final int GEMV_MAX_ROWS = Integer.getInteger("apex.cuda.gemvMaxRows", 16);
    private int gemvMaxRows = GEMV_MAX_ROWS;
    private static final int IO_SLOT = 16 << 20;
    private static final int IO_SLOTS = 4;
    private static final int DEFAULT_SMEM = 48 << 10;

    private final CudaDevice device;
    private final KernelModules kernels;
    private final DeviceMemoryPool pool = new DeviceMemoryPool();
    private final CUstream[] streams = new CUstream[StreamRole.values().length];
    private final StagingArena staging;
    private StagingArena captureStaging;
    private final ArrayDeque<CUevent> syncEvents = new ArrayDeque<>();
    private final ArrayDeque<CUevent> timingEvents = new ArrayDeque<>();
    private final List<CUevent> allEvents = new ArrayList<>();
    private final Map<float[], CudaBuffer> ropeTables = new IdentityHashMap<>();
    private final Map<CudaBuffer, DeviceMemoryPool.Block> blocks = new IdentityHashMap<>();
    private final Map<String, Integer> smemLimitSet = new java.util.HashMap<>();
    private final List<DeviceMemoryPool.Block> retiredScratch = new ArrayList<>();
    private final PinnedHostBuffer io;
    private final CUevent[] ioEvents = new CUevent[IO_SLOTS];
    private final boolean[] ioPending = new boolean[IO_SLOTS];
    private DeviceMemoryPool.Block scratch;
    private final CudaAttention attention = new CudaAttention(this);
    private boolean closed;

    private CudaBackend(CudaDevice device, KernelModules kernels) {
        this.device = device;
        this.kernels = kernels;
        for (StreamRole r : StreamRole.values()) {
            streams[r.ordinal()] = new CUstream();
            cuStreamCreate(streams[r.ordinal()], CUstream_flags.CU_STREAM_NON_BLOCKING);
        }
        staging = new StagingArena(pool);
        io = new PinnedHostBuffer((long) IO_SLOT * IO_SLOTS);
        for (int i = 0; i < IO_SLOTS; i++) {
            ioEvents[i] = new CUevent();
            cuEventCreate(ioEvents[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
        }
    }

    /**
     * Opens device {@code device}. Throws {@link org.apexbench.kernels.BackendUnavailableException}
     * naming the reason when there is no driver, no device, no kernels in this jar, or PTX the driver
     * cannot JIT (CUDA error 222).
     */
    public static Backend open(int device) { return openCuda(device); }

    /** Free and total memory of device {@code ordinal} (cuMemGetInfo in its primary context), without opening a backend. */
    public static DeviceMemory deviceMemory(int ordinal) {
        try (CudaDevice d = CudaDevice.open(ordinal)) {
            long[] free = {0};
            long[] total = {0};
            cuMemGetInfo(free, total);
            return new DeviceMemory(d.describe(), free[0], total[0]);
        }
    }

    /** {@link #open(int)} with the cuda-specific type (streams, events, pinned memory, graphs). */
    public static CudaBackend openCuda(int ordinal) {
        CudaDevice dev = CudaDevice.open(ordinal);
        try {
            return new CudaBackend(dev, new KernelModules(dev.driverVersion));
        } catch (RuntimeException | Error e) {
            dev.close();
            throw e;
        }
    }

    @Override public String name() { return "cuda"; }

    @Override public String describe() {
        var b = kernels.build;
        return "cuda device " + device.ordinal + ": " + device.describe() + "; kernels nvcc " + b.getProperty("nvcc")
                + " [" + b.getProperty("flags") + "], PTX ISA " + b.getProperty("ptx.isa")
                + (b.getProperty("cubins", "").isEmpty() ? "" : ", SASS sm_" + b.getProperty("cubins"));
    }

    @Override public DType activationType() { return DType.F16; }

    public String deviceName() { return device.name; }

    /** Rows up to which gemm uses the gemv kernel (default -Dapex.cuda.gemvMaxRows, 16); for tuning runs. */
    public void setGemvMaxRows(int rows) { gemvMaxRows = rows; }

    public int multiprocessors() { return device.multiprocessors; }

    /** Theoretical DRAM bandwidth in bytes/s (memory clock x bus width x 2). */
    public double peakBandwidth() { return device.peakBandwidth(); }

    public long devicePoolReservedBytes() { return pool.reservedBytes(); }

    CUstream stream(StreamRole role) { return streams[role.ordinal()]; }

    CUstream compute() { return streams[StreamRole.COMPUTE.ordinal()]; }

    StagingArena meta() { return captureStaging != null ? captureStaging : staging; }

    private void enter() {
        if (closed) throw new IllegalStateException("cuda backend is closed");
        device.makeCurrent();
    }

    private void notCapturing(String op) {
        if (captureStaging != null) {
            throw new IllegalStateException("cuda " + op + " waits for the host and cannot run inside CUDA graph capture");
        }
    }

    // ---- memory ---------------------------------------------------------------------------------

    @Override public DeviceBuffer allocate(long bytes) {
        CudaBuffer b = allocateUninitialised(bytes);
        cuMemsetD8Async(b.ptr(), (byte) 0, bytes, compute());
        return b;
    }

    private CudaBuffer allocateUninitialised(long bytes) {
        enter();
        DeviceMemoryPool.Block block = pool.allocate(bytes);
        CudaBuffer b = new CudaBuffer(this, block.base(), block.offset(), bytes);
        blocks.put(b, block);
        return b;
    }

    /** Returns memory from {@link #allocate} or {@link #upload} to the pool (stream-ordered reuse). */
    public void free(DeviceBuffer buffer) {
        enter();
        DeviceMemoryPool.Block block = blocks.remove(buffer);
        if (block == null) throw new IllegalArgumentException("cuda free: " + buffer + " is not an allocation of this backend (a slice?)");
        pool.free(block);
    }

    @Override public DeviceBuffer upload(MemorySegment host) {
        CudaBuffer b = allocateUninitialised(Math.max(1, host.byteSize()));
        write(host, b, 0);
        return b;
    }

    /**
     * {@code pinned} as device memory of this backend: the device-side alias of the mapped pinned buffer, so
     * kernels read and write it over the bus (zero-copy). The view is not an allocation: never {@link #free} it;
     * it is valid while {@code pinned} is open.
     */
    public DeviceBuffer mapped(PinnedHostBuffer pinned) {
        enter();
        return new CudaBuffer(this, pinned.devicePointer(), 0, pinned.bytes());
    }

    /** The driver's CUDA version, e.g. "12.8". */
    public String driverVersion() { return CudaDevice.versionString(device.driverVersion); }

    /** Page-locked host memory for async copies and host attention (each buffer < 2 GiB). */
    public PinnedHostBuffer allocatePinned(long bytes) {
        enter();
        return new PinnedHostBuffer(bytes);
    }

    /**
     * {@inheritDoc} Staged through a ring of 4 pinned 16 MiB slots on the H2D stream, after the
     * COMPUTE stream's queued work (which may still read {@code dst}).
     */
    @Override public void write(MemorySegment src, DeviceBuffer dst, long dstOffset) {
        enter();
        notCapturing("write");
        CudaBuffer d = buf(dst, "write", "dst");
        long n = src.byteSize();
        if (dstOffset < 0 || dstOffset + n > d.bytes()) {
            throw new IndexOutOfBoundsException("cuda write of " + n + " bytes at " + dstOffset + " into " + d.bytes() + "-byte buffer");
        }
        CUstream h2d = stream(StreamRole.H2D);
        streamAfter(StreamRole.H2D, StreamRole.COMPUTE);
        int slot = 0;
        for (long pos = 0; pos < n; pos += IO_SLOT, slot = (slot + 1) % IO_SLOTS) {
            long len = Math.min(IO_SLOT, n - pos);
            if (ioPending[slot]) cuEventSynchronize(ioEvents[slot]);
            MemorySegment.copy(src, pos, io.segment(), (long) slot * IO_SLOT, len);
            cuMemcpyHtoDAsync(d.at(dstOffset + pos), io.at((long) slot * IO_SLOT), len, h2d);
            cuEventRecord(ioEvents[slot], h2d);
            ioPending[slot] = true;
        }
        cuStreamSynchronize(h2d);
        java.util.Arrays.fill(ioPending, false);
    }

    @Override public void read(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        enter();
        notCapturing("read");
        CudaBuffer s = buf(src, "read", "src");
        long n = dst.byteSize();
        if (srcOffset < 0 || srcOffset + n > s.bytes()) {
            throw new IndexOutOfBoundsException("cuda read of " + n + " bytes at " + srcOffset + " from " + s.bytes() + "-byte buffer");
        }
        CUstream d2h = stream(StreamRole.D2H);
        streamAfter(StreamRole.D2H, StreamRole.COMPUTE);
        // ping-pong: copy chunk i while the host drains chunk i-1
        long prevPos = -1, prevLen = 0;
        int slot = 0;
        for (long pos = 0; pos < n; pos += IO_SLOT, slot ^= 1) {
            long len = Math.min(IO_SLOT, n - pos);
            cuMemcpyDtoHAsync(io.at((long) slot * IO_SLOT), s.at(srcOffset + pos), len, d2h);
            cuEventRecord(ioEvents[slot], d2h);
            if (prevPos >= 0) drain(slot ^ 1, dst, prevPos, prevLen);
            prevPos = pos;
            prevLen = len;
        }
        if (prevPos >= 0) drain(slot ^ 1, dst, prevPos, prevLen);
    }

    private void drain(int slot, MemorySegment dst, long pos, long len) {
        cuEventSynchronize(ioEvents[slot]);
        MemorySegment.copy(io.segment(), (long) slot * IO_SLOT, dst, pos, len);
    }

    @Override public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        enter();
        CudaBuffer s = buf(src, "copy", "src"), d = buf(dst, "copy", "dst");
        if (srcOffset < 0 || dstOffset < 0 || bytes < 0 || srcOffset + bytes > s.bytes() || dstOffset + bytes > d.bytes()) {
            throw new IndexOutOfBoundsException("cuda copy of " + bytes + " bytes: src " + srcOffset + "/" + s.bytes() + ", dst "
                    + dstOffset + "/" + d.bytes());
        }
        if (bytes > 0) cuMemcpyDtoDAsync(d.at(dstOffset), s.at(srcOffset), bytes, compute());
    }

    /** Async H2D copy from pinned memory on {@code role}'s stream (never from Java arrays). */
    public void copyAsync(PinnedHostBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes, StreamRole role) {
        enter();
        CudaBuffer d = buf(dst, "copyAsync", "dst");
        java.util.Objects.checkFromIndexSize(srcOffset, bytes, src.bytes());
        java.util.Objects.checkFromIndexSize(dstOffset, bytes, d.bytes());
        cuMemcpyHtoDAsync(d.at(dstOffset), src.at(srcOffset), bytes, stream(role));
    }

    /** Async D2H copy into pinned memory on {@code role}'s stream. */
    public void copyAsync(DeviceBuffer src, long srcOffset, PinnedHostBuffer dst, long dstOffset, long bytes, StreamRole role) {
        enter();
        CudaBuffer s = buf(src, "copyAsync", "src");
        java.util.Objects.checkFromIndexSize(srcOffset, bytes, s.bytes());
        java.util.Objects.checkFromIndexSize(dstOffset, bytes, dst.bytes());
        cuMemcpyDtoHAsync(dst.at(dstOffset), s.at(srcOffset), bytes, stream(role));
    }

    @Override public void synchronize() {
        enter();
        notCapturing("synchronize");
        for (CUstream s : streams) cuStreamSynchronize(s);
        staging.reset();
    }

    // ---- events, host flags, graphs -------------------------------------------------------------

    /** Records an event on {@code role}'s stream (no timing). */
    public CudaEvent record(StreamRole role) { return record(role, false); }

    /** Records a timing event on {@code role}'s stream, for {@link #elapsedMillis}. */
    public CudaEvent recordTiming(StreamRole role) { return record(role, true); }

    private CudaEvent record(StreamRole role, boolean timing) {
        enter();
        ArrayDeque<CUevent> free = timing ? timingEvents : syncEvents;
        CUevent e = free.poll();
        if (e == null) {
            e = new CUevent();
            cuEventCreate(e, timing ? CUevent_flags.CU_EVENT_DEFAULT : CUevent_flags.CU_EVENT_DISABLE_TIMING);
            allEvents.add(e);
        }
        cuEventRecord(e, stream(role));
        return new CudaEvent(e, timing);
    }

    /** Makes {@code role}'s stream wait (on the GPU) until {@code event} completed; the caller does not block. */
    public void waitEvent(StreamRole role, CudaEvent event) {
        enter();
        live(event);
        cuStreamWaitEvent(stream(role), event.event, 0);
    }

    /** Blocks the calling thread until {@code event} completed. */
    public void synchronize(CudaEvent event) {
        enter();
        live(event);
        cuEventSynchronize(event.event);
    }

    /** True when {@code event} has completed (does not block). */
    public boolean isDone(CudaEvent event) {
        enter();
        live(event);
        try {
            jcuda.driver.JCudaDriver.cuEventQuery(event.event);
            return true;
        } catch (jcuda.CudaException e) {  // exceptions are on: CUDA_ERROR_NOT_READY arrives as one
            if (String.valueOf(e.getMessage()).contains("NOT_READY")) return false;
            throw e;
        }
    }

    /** Milliseconds between two completed timing events. */
    public float elapsedMillis(CudaEvent start, CudaEvent end) {
        enter();
        live(start);
        live(end);
        if (!start.timing || !end.timing) throw new IllegalArgumentException("elapsedMillis needs events from recordTiming");
        cuEventSynchronize(end.event);
        float[] ms = {0};
        cuEventElapsedTime(ms, start.event, end.event);
        return ms[0];
    }

    /** Returns the event to the pool; the handle must not be used afterwards. */
    public void release(CudaEvent event) {
        live(event);
        event.released = true;
        (event.timing ? timingEvents : syncEvents).push(event.event);
    }

    private static void live(CudaEvent e) {
        if (e.released) throw new IllegalStateException("cuda event used after release");
    }

    private void streamAfter(StreamRole waiter, StreamRole producer) {
        CudaEvent e = record(producer);
        waitEvent(waiter, e);
        release(e);
    }

    /** A host/GPU signalling counter in mapped pinned memory (see {@link HostFlag}). */
    public HostFlag newHostFlag() {
        enter();
        return new HostFlag(new PinnedHostBuffer(256));
    }

    /** {@code role}'s stream waits (on the GPU) until {@code flag >= value}; the caller does not block. */
    public void waitFor(StreamRole role, HostFlag flag, int value) {
        enter();
        cuStreamWaitValue32(stream(role), flag.device, value, CUstreamWaitValue_flags.CU_STREAM_WAIT_VALUE_GEQ);
    }

    /** {@code role}'s stream writes {@code value} into {@code flag} once its earlier work is done. */
    public void signalFrom(StreamRole role, HostFlag flag, int value) {
        enter();
        cuStreamWriteValue32(stream(role), flag.device, value, 0);
    }

    /**
     * Captures the ops that {@code ops} enqueues on the compute stream into a replayable graph. The ops
     * must not wait for the host (read, write, argmax, sample, synchronize throw inside capture).
     */
    public CudaGraph capture(Runnable ops) {
        enter();
        notCapturing("capture");
        StagingArena arena = new StagingArena(pool);
        arena.prepare();
        captureStaging = arena;
        CUgraph graph = new CUgraph();
        boolean ended = false;
        try {
            cuStreamBeginCapture(compute(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
            try {
                ops.run();
            } finally {
                cuStreamEndCapture(compute(), graph);
                ended = true;
            }
            CUgraphExec exec = new CUgraphExec();
            cuGraphInstantiate(exec, graph, 0L);
            return new CudaGraph(this, graph, exec, arena);
        } catch (RuntimeException | Error e) {
            if (ended) cuGraphDestroy(graph);
            arena.close();
            throw e;
        } finally {
            captureStaging = null;
        }
    }

    void launchGraph(CudaGraph g) {
        enter();
        cuGraphLaunch(g.exec, compute());
    }

    // ---- ops --------------------------------------------------------------------------------------

    @Override public void embedding(Weight table, int[] tokens, int count, DeviceBuffer out) {
        enter();
        int cols = table.cols();
        need(out, (long) count * cols * 2, "embedding", "out");
        for (int i = 0; i < count; i++) {
            if (tokens[i] < 0 || tokens[i] >= table.rows()) {
                throw new IllegalArgumentException("embedding " + table.name() + ": token " + tokens[i] + " at index " + i
                        + " outside vocabulary 0.." + (table.rows() - 1));
            }
        }
        if (count == 0) return;
        CUdeviceptr tok = meta().ints(tokens, count, compute());
        launch("embedding_" + suffix(table), count, 1, 1, 256, 0, ptr(table), tok, ptr(out, "embedding"), cols);
    }

    @Override public void rmsnorm(DeviceBuffer x, Weight weight, float eps, int rows, DeviceBuffer out) {
        enter();
        int cols = weight.cols();
        need(x, (long) rows * cols * 2, "rmsnorm", "x");
        need(out, (long) rows * cols * 2, "rmsnorm", "out");
        if (rows == 0) return;
        launch("rmsnorm_" + suffix(weight), rows, 1, 1, 256, 0, ptr(x, "rmsnorm"), ptr(weight), eps, cols, ptr(out, "rmsnorm"));
    }

    @Override public void gemm(DeviceBuffer x, Weight w, int rows, DeviceBuffer out, boolean accumulate) {
        enter();
        int k = w.cols(), n = w.rows();
        need(x, (long) rows * k * 2, "gemm " + w.name(), "x");
        need(out, (long) rows * n * 2, "gemm " + w.name(), "out");
        if (rows == 0) return;
        CudaBuffer xb = buf(x, "gemm", "x"), ob = buf(out, "gemm", "out"), wb = buf(w.data(), "gemm", "weight " + w.name());
        if (overlaps(xb, (long) rows * k * 2, ob, (long) rows * n * 2)) {
            throw new IllegalArgumentException("cuda gemm " + w.name() + ": out must not overlap x (other blocks still read x "
                    + "while out is written)");
        }
        int acc = accumulate ? 1 : 0;
        // 128-bit loads need K % 8 == 0 and 16-byte aligned rows; otherwise the kernels take their scalar path
        int vec = k % 8 == 0 && xb.offset() % 16 == 0 && wb.offset() % 16 == 0 ? 1 : 0;
        if (rows <= gemvMaxRows) {
            int rt = 1;
            while (rt < rows && rt < 16) rt <<= 1;
            launch("gemv_" + suffix(w) + "_r" + rt, (n + 3) / 4, (rows + rt - 1) / rt, 1, 128, 0,
                    xb.ptr(), wb.ptr(), ob.ptr(), rows, k, n, acc, vec);
        } else if (rows > 64 && ((long) (n + 127) / 128) * ((rows + 127) / 128) >= device.multiprocessors) {
            // large prefill: 128x128 tiles (twice the reuse per loaded byte) still give every SM a block
            launch("gemm_tc128_" + suffix(w), (n + 127) / 128, (rows + 127) / 128, 1, 256, 0,
                    xb.ptr(), wb.ptr(), ob.ptr(), rows, k, n, acc, vec, (k + 31) / 32 * 32, new CUdeviceptr());
        } else {
            // Split K over grid.z when the 64x64 tiles alone would leave SMs idle (decode-sized batches);
            // each split writes an fp32 slice of scratch, and a second kernel sums them in order.
            int tiles = ((n + 63) / 64) * ((rows + 63) / 64);
            int splits = 1;
            if (tiles < 2 * device.multiprocessors && k >= 512) {
                splits = Math.min((2 * device.multiprocessors + tiles - 1) / tiles, k / 256);
            }
            int kChunk = ((k + splits - 1) / splits + 31) / 32 * 32;
            splits = (k + kChunk - 1) / kChunk;
            CUdeviceptr partial = splits > 1 ? scratch((long) splits * rows * n * 4) : new CUdeviceptr();
            launch("gemm_tc_" + suffix(w), (n + 63) / 64, (rows + 63) / 64, splits, 128, 0,
                    xb.ptr(), wb.ptr(), ob.ptr(), rows, k, n, acc, vec, kChunk, partial);
            if (splits > 1) {
                long elems = (long) rows * n;
                int grid = (int) Math.min((elems + 255) / 256, device.multiprocessors * 16L);
                launch("gemm_splitk_reduce", grid, 1, 1, 256, 0, partial, splits, rows, n, ob.ptr(), acc);
            }
        }
    }

    private static boolean overlaps(CudaBuffer a, long aBytes, CudaBuffer b, long bBytes) {
        if (a.base() != b.base()) return false;
        return a.offset() < b.offset() + bBytes && b.offset() < a.offset() + aBytes;
    }

    @Override public void rope(DeviceBuffer x, int rows, int heads, int[] positions, RopeTable rope) {
        enter();
        need(x, (long) rows * heads * rope.headDim() * 2, "rope", "x");
        if (rows == 0) return;
        CudaBuffer freq = ropeTables.get(rope.invFreq());
        if (freq == null) {
            // Uploaded once per table, synchronously, so that replays and later calls all see it.
            if (captureStaging != null) {
                throw new IllegalStateException("cuda rope: run one rope with this RopeTable before capturing a graph "
                        + "(its invFreq table is uploaded once, which cannot happen inside capture)");
            }
            freq = allocateUninitialised(4L * rope.invFreq().length);
            write(MemorySegment.ofArray(rope.invFreq()), freq, 0);
            ropeTables.put(rope.invFreq(), freq);
        }
        CUdeviceptr pos = meta().ints(positions, rows, compute());
        launch("rope", rows, 1, 1, 128, 0, ptr(x, "rope"), heads, rope.headDim(), pos, freq.ptr());
    }

    @Override public void siluMul(DeviceBuffer gateUp, int rows, int width, DeviceBuffer out) {
        enter();
        need(gateUp, (long) rows * width * 4, "siluMul", "gateUp");
        need(out, (long) rows * width * 2, "siluMul", "out");
        long n = (long) rows * width;
        if (n == 0) return;
        int grid = (int) Math.min((n + 255) / 256, device.multiprocessors * 16L);
        launch("silu_mul", grid, 1, 1, 256, 0, ptr(gateUp, "siluMul"), rows, width, ptr(out, "siluMul"));
    }

    @Override public void kvAppend(KvPool pool, int layer, DeviceBuffer k, DeviceBuffer v, int rows, int[] slots) {
        enter();
        var g = f16Pool(pool, "kvAppend");
        checkLayer(g, layer, "kvAppend");
        long width = (long) g.kvHeads() * g.headDim();
        need(k, rows * width * 2, "kvAppend", "k");
        need(v, rows * width * 2, "kvAppend", "v");
        long slotCount = (long) g.blocks() * org.apexbench.kernels.KvGeometry.BLOCK_SIZE;
        for (int r = 0; r < rows; r++) {
            if (slots[r] < 0 || slots[r] >= slotCount) {
                throw new IllegalArgumentException("kvAppend: slot " + slots[r] + " of row " + r + " outside the pool's 0.." + (slotCount - 1));
            }
        }
        if (rows == 0) return;
        CUdeviceptr s = meta().ints(slots, rows, compute());
        launch("kv_append", rows, 1, 1, 128, 0, ptr(k, "kvAppend"), ptr(v, "kvAppend"), ptr(pool.keys(), "kvAppend"),
                ptr(pool.values(), "kvAppend"), g.layerBytes() / 2, layer, g.kvHeads(), g.headDim(), s);
    }

    @Override public void prefillAttention(DeviceBuffer q, KvPool pool, int layer, int[] blockTable, int startPos, int rows,
                                           AttentionShape shape, DeviceBuffer out) {
        enter();
        attention.prefill(q, pool, layer, blockTable, startPos, rows, shape, out);
    }

    @Override public void decodeAttention(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count,
                                          AttentionShape shape, DeviceBuffer out) {
        enter();
        attention.decode(q, pool, layer, blockTables, contextLens, count, shape, out);
    }

    @Override public void markNonFinite(DeviceBuffer x, int rows, int width, DeviceBuffer flags, long flagsOffset) {
        enter();
        need(x, (long) rows * width * 2, "markNonFinite", "x");
        if (flagsOffset < 0 || flagsOffset % 4 != 0) {
            throw new IllegalArgumentException("cuda markNonFinite: flags offset " + flagsOffset + " is not a non-negative multiple of 4");
        }
        need(flags, flagsOffset + 4L * rows, "markNonFinite", "flags");
        if (rows == 0) return;
        launch("mark_nonfinite", rows, 1, 1, 256, 0, ptr(x, "markNonFinite"), width,
                ptr(flags, "markNonFinite").withByteOffset(flagsOffset));
    }

    @Override public void argmax(DeviceBuffer logits, int rows, int vocab, int[] out) {
        enter();
        notCapturing("argmax");
        need(logits, (long) rows * vocab * 2, "argmax", "logits");
        if (rows == 0) return;
        CUdeviceptr result = scratch(4L * rows);
        launch("argmax_rows", rows, 1, 1, 1024, 0, ptr(logits, "argmax"), vocab, result);
        fetchInts(result, rows, out);
    }

    @Override public void sample(DeviceBuffer logits, int rows, int vocab, float[] temperature, float[] topP, double[] uniform,
                                 int[] out) {
        enter();
        notCapturing("sample");
        need(logits, (long) rows * vocab * 2, "sample", "logits");
        if (rows == 0) return;
        long eBytes = (long) rows * vocab * 4;
        CUdeviceptr e = scratch(eBytes + 4L * rows), result = e.withByteOffset(eBytes);
        CUdeviceptr t = meta().floats(temperature, rows, compute());
        CUdeviceptr p = meta().floats(topP, rows, compute());
        CUdeviceptr u = meta().doubles(uniform, rows, compute());
        launch("sample_rows", rows, 1, 1, 1024, 0, ptr(logits, "sample"), vocab, t, p, u, e, result);
        fetchInts(result, rows, out);
    }

    private void fetchInts(CUdeviceptr src, int rows, int[] out) {
        cuMemcpyDtoHAsync(io.at(0), src, 4L * rows, compute());
        cuStreamSynchronize(compute());
        MemorySegment.copy(io.segment(), ValueLayout.JAVA_INT, 0, out, 0, rows);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    /**
     * Device scratch for split-KV partials and sampling buffers. Grow-only: an outgrown block is kept
     * until close, because a captured graph may still point at it.
     */
    CUdeviceptr scratch(long bytes) {
        if (scratch == null || scratch.sizeClass() < bytes) {
            if (scratch != null) retiredScratch.add(scratch);
            scratch = pool.allocate(Math.max(bytes, 1 << 20));
        }
        return scratch.base().withByteOffset(scratch.offset());
    }

    void allowSmem(String fn, int bytes) {
        if (bytes > DEFAULT_SMEM && smemLimitSet.getOrDefault(fn, 0) < bytes) {
            jcuda.driver.JCudaDriver.cuFuncSetAttribute(kernels.function(fn),
                    jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
            smemLimitSet.put(fn, bytes);
        }
    }

    void launch(String fn, int gx, int gy, int gz, int block, int smem, Object... args) {
        jcuda.Pointer[] params = new jcuda.Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case CUdeviceptr p -> jcuda.Pointer.to(p);
                case Integer v -> jcuda.Pointer.to(new int[] {v});
                case Long v -> jcuda.Pointer.to(new long[] {v});
                case Float v -> jcuda.Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException("kernel argument " + i + " of " + fn + ": " + args[i]);
            };
        }
        jcuda.driver.JCudaDriver.cuLaunchKernel(kernels.function(fn), gx, gy, gz, block, 1, 1, smem, compute(),
                jcuda.Pointer.to(params), null);
    }

    CudaBuffer buf(DeviceBuffer b, String op, String what) {
        if (b instanceof CudaBuffer c && c.owner() == this) return c;
        throw new IllegalArgumentException("cuda " + op + ": " + what + " is " + b + ", not memory of this cuda backend");
    }

    CUdeviceptr ptr(DeviceBuffer b, String op) { return buf(b, op, "buffer").ptr(); }

    private CUdeviceptr ptr(Weight w) { return buf(w.data(), "weight " + w.name(), "data").ptr(); }

    void need(DeviceBuffer b, long bytes, String op, String what) {
        if (b.bytes() < bytes) {
            throw new IllegalArgumentException("cuda " + op + ": " + what + " has " + b.bytes() + " bytes, needs " + bytes);
        }
    }

    private static String suffix(Weight w) {
        return switch (w.dtype()) {
            case F16 -> "f16";
            case BF16 -> "bf16";
            case F32 -> "f32";
            case I32 -> throw new UnsupportedOperationException("weight " + w.name() + ": I32 weights are not supported by cuda");
        };
    }

    static org.apexbench.kernels.KvGeometry f16Pool(KvPool pool, String op) {
        if (pool.geometry().dtype() != DType.F16) {
            throw new UnsupportedOperationException("cuda " + op + ": KV pools on the GPU are F16, got " + pool.geometry().dtype());
        }
        return pool.geometry();
    }

    static void checkLayer(org.apexbench.kernels.KvGeometry g, int layer, String op) {
        if (layer < 0 || layer >= g.layers()) throw new IllegalArgumentException(op + ": layer " + layer + " outside 0.." + (g.layers() - 1));
    }

    static void checkShape(org.apexbench.kernels.KvGeometry g, AttentionShape s, String op) {
        if (s.kvHeads() != g.kvHeads() || s.headDim() != g.headDim()) {
            throw new IllegalArgumentException(op + ": attention shape " + s + " does not match the KV pool (kvHeads " + g.kvHeads()
                    + ", headDim " + g.headDim() + ")");
        }
    }

    @Override public void close() {
        if (closed) return;
        device.makeCurrent();
        for (CUstream s : streams) cuStreamSynchronize(s);
        closed = true;
        staging.close();
        io.close();
        for (CUevent e : ioEvents) cuEventDestroy(e);
        for (CUevent e : allEvents) cuEventDestroy(e);
        for (CUstream s : streams) cuStreamDestroy(s);
        pool.close();
        kernels.close();
        device.close();
    }
}
