package org.apexbench.harness;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.DeviceMemory;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;
import org.apexbench.kernels.cpu.CpuBackend;

/**
 * The cuda device as the enqueueing emulation plays it: the cpu backend under the name "cuda", bridged to the host by an
 * {@link EnqueueingCpuBridge}, so that every path that switches on the device backend's name takes its cuda branch
 * (the profile's DeviceSubtaskTimer sweep and its runtime samples without contention or a two-thread layer, the
 * fingerprint naming the bridge's device, the KV type cuda requires, the device-memory check, the real executor's
 * enqueueing path with device spans from marks) while the arithmetic is the cpu backend's. {@link #emulation} is the
 * stand-in {@link RealDevices} opens for "cuda" inside a test's scope; {@link Tally} counts what its bridges did.
 */
final class EnqueueingCpuDevice implements Backend, HostBridge.Provider {
    static final String DEVICE = "cpu backend emulating an enqueueing cuda device (EnqueueingCpuBridge)";
    private final CpuBackend cpu;
    private final Tally tally;
    private final List<EnqueueingCpuBridge> bridges = new ArrayList<>();

    /** What every bridge of the devices an emulation opened did, added up as each device closes. */
    static final class Tally {
        final AtomicInteger devicesOpened = new AtomicInteger();
        final AtomicInteger bridgesOpened = new AtomicInteger();
        final AtomicInteger iterationsEnded = new AtomicInteger();
        final AtomicInteger outputsWaitedFor = new AtomicInteger();
        final AtomicInteger fencesAwaited = new AtomicInteger();
    }

    private EnqueueingCpuDevice(int threads, Tally tally) {
        this.cpu = new CpuBackend(threads);
        this.tally = tally;
        tally.devicesOpened.incrementAndGet();
    }

    /** The stand-in for "cuda": opens this device, reports this machine's memory (as the cpu backend's pools use it). */
    static RealDevices.Emulation emulation(Tally tally) {
        long total = Limits.physicalMemoryBytes();
        return new RealDevices.Emulation("cuda", threads -> new EnqueueingCpuDevice(threads, tally),
                new DeviceMemory(DEVICE, total, total));
    }

    @Override public HostBridge hostBridge(Backend host) {
        EnqueueingCpuBridge b = new EnqueueingCpuBridge(cpu, host);
        synchronized (bridges) {
            bridges.add(b);
        }
        tally.bridgesOpened.incrementAndGet();
        return b;
    }

    @Override public String name() { return "cuda"; }

    @Override public String describe() { return DEVICE + ": " + cpu.describe(); }

    @Override public DType activationType() { return cpu.activationType(); }

    @Override public DeviceBuffer allocate(long bytes) { return cpu.allocate(bytes); }

    @Override public DeviceBuffer upload(MemorySegment host) { return cpu.upload(host); }

    @Override public void write(MemorySegment src, DeviceBuffer dst, long dstOffset) { cpu.write(src, dst, dstOffset); }

    @Override public void read(DeviceBuffer src, long srcOffset, MemorySegment dst) { cpu.read(src, srcOffset, dst); }

    @Override public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        cpu.copy(src, srcOffset, dst, dstOffset, bytes);
    }

    @Override public void synchronize() { cpu.synchronize(); }

    @Override public void embedding(Weight table, int[] tokens, int count, DeviceBuffer out) { cpu.embedding(table, tokens, count, out); }

    @Override public void rmsnorm(DeviceBuffer x, Weight weight, float eps, int rows, DeviceBuffer out) {
        cpu.rmsnorm(x, weight, eps, rows, out);
    }

    @Override public void gemm(DeviceBuffer x, Weight w, int rows, DeviceBuffer out, boolean accumulate) {
        cpu.gemm(x, w, rows, out, accumulate);
    }

    @Override public void rope(DeviceBuffer x, int rows, int heads, int[] positions, RopeTable rope) {
        cpu.rope(x, rows, heads, positions, rope);
    }

    @Override public void siluMul(DeviceBuffer gateUp, int rows, int width, DeviceBuffer out) { cpu.siluMul(gateUp, rows, width, out); }

    @Override public void kvAppend(KvPool pool, int layer, DeviceBuffer k, DeviceBuffer v, int rows, int[] slots) {
        cpu.kvAppend(pool, layer, k, v, rows, slots);
    }

    @Override public void prefillAttention(DeviceBuffer q, KvPool pool, int layer, int[] blockTable, int startPos, int rows,
                                           AttentionShape shape, DeviceBuffer out) {
        cpu.prefillAttention(q, pool, layer, blockTable, startPos, rows, shape, out);
    }

    @Override public void decodeAttention(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count,
                                          AttentionShape shape, DeviceBuffer out) {
        cpu.decodeAttention(q, pool, layer, blockTables, contextLens, count, shape, out);
    }

    @Override public void markNonFinite(DeviceBuffer x, int rows, int width, DeviceBuffer flags, long flagsOffset) {
        cpu.markNonFinite(x, rows, width, flags, flagsOffset);
    }

    @Override public void argmax(DeviceBuffer logits, int rows, int vocab, int[] out) { cpu.argmax(logits, rows, vocab, out); }

    @Override public void sample(DeviceBuffer logits, int rows, int vocab, float[] temperature, float[] topP, double[] uniform,
                                 int[] out) {
        cpu.sample(logits, rows, vocab, temperature, topP, uniform, out);
    }

    /** Adds what this device's bridges did to the tally (each bridge is closed by its user before the device is). */
    @Override public void close() {
        synchronized (bridges) {
            for (EnqueueingCpuBridge b : bridges) {
                tally.iterationsEnded.addAndGet(b.iterationsEnded.get());
                tally.outputsWaitedFor.addAndGet(b.outputsWaitedFor.get());
                tally.fencesAwaited.addAndGet(b.fencesAwaited.get());
            }
            bridges.clear();
        }
        cpu.close();
    }
}
