package org.apexbench.engine.real;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;

/**
 * A backend that delegates every op and (1) makes its paged decode attention last at least {@code floorMs} (the rest
 * of the time asleep, so the core stays free for the other thread): a device or host whose attention takes a known
 * time, so the real executor's accounting (busy, stall, overlap) can be checked against known amounts; and (2) logs
 * the attention, K/V append and copy calls with the pools and buffers they were given, and the buffers it allocated,
 * so a test can tell which memory each subtask used.
 */
final class InstrumentedBackend implements Backend {
    /** One logged call: what ran, on which pool (attention, append) or between which buffers (copy), and its size. */
    record Call(String op, KvPool pool, DeviceBuffer a, DeviceBuffer b, long size) {}

    private final Backend inner;
    private final long floorNanos;
    final List<Call> calls = new CopyOnWriteArrayList<>();
    final Set<DeviceBuffer> allocated = ConcurrentHashMap.newKeySet();

    InstrumentedBackend(Backend inner, double floorMs) {
        this.inner = inner;
        this.floorNanos = (long) (floorMs * 1e6);
    }

    @Override public void decodeAttention(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count,
                                          AttentionShape shape, DeviceBuffer out) {
        long until = System.nanoTime() + floorNanos;
        inner.decodeAttention(q, pool, layer, blockTables, contextLens, count, shape, out);
        calls.add(new Call("decodeAttention", pool, q, out, java.util.Arrays.stream(contextLens, 0, count).sum()));
        for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) LockSupport.parkNanos(left);
    }

    /** Whether {@code b} is (a slice of) memory this backend allocated: cpu buffers, compared by address range. */
    boolean owns(DeviceBuffer b) {
        var seg = ((org.apexbench.kernels.cpu.CpuBuffer) b).segment();
        for (DeviceBuffer a : allocated) {
            var owner = ((org.apexbench.kernels.cpu.CpuBuffer) a).segment();
            if (seg.address() >= owner.address() && seg.address() + seg.byteSize() <= owner.address() + owner.byteSize()) return true;
        }
        return false;
    }

    @Override public String name() { return inner.name(); }
    @Override public String describe() { return inner.describe() + ", decode attention >= " + floorNanos / 1e6 + " ms, instrumented"; }
    @Override public DType activationType() { return inner.activationType(); }
    @Override public DeviceBuffer allocate(long bytes) {
        DeviceBuffer b = inner.allocate(bytes);
        allocated.add(b);
        return b;
    }
    @Override public DeviceBuffer upload(MemorySegment host) { return inner.upload(host); }
    @Override public void write(MemorySegment src, DeviceBuffer dst, long dstOffset) { inner.write(src, dst, dstOffset); }
    @Override public void read(DeviceBuffer src, long srcOffset, MemorySegment dst) { inner.read(src, srcOffset, dst); }
    @Override public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        inner.copy(src, srcOffset, dst, dstOffset, bytes);
        calls.add(new Call("copy", null, src, dst, bytes));
    }
    @Override public void synchronize() { inner.synchronize(); }
    @Override public void embedding(Weight table, int[] tokens, int count, DeviceBuffer out) { inner.embedding(table, tokens, count, out); }
    @Override public void rmsnorm(DeviceBuffer x, Weight weight, float eps, int rows, DeviceBuffer out) { inner.rmsnorm(x, weight, eps, rows, out); }
    @Override public void gemm(DeviceBuffer x, Weight w, int rows, DeviceBuffer out, boolean accumulate) { inner.gemm(x, w, rows, out, accumulate); }
    @Override public void rope(DeviceBuffer x, int rows, int heads, int[] positions, RopeTable rope) { inner.rope(x, rows, heads, positions, rope); }
    @Override public void siluMul(DeviceBuffer gateUp, int rows, int width, DeviceBuffer out) { inner.siluMul(gateUp, rows, width, out); }
    @Override public void kvAppend(KvPool pool, int layer, DeviceBuffer k, DeviceBuffer v, int rows, int[] slots) {
        inner.kvAppend(pool, layer, k, v, rows, slots);
        calls.add(new Call("kvAppend", pool, k, v, rows));
    }
    @Override public void prefillAttention(DeviceBuffer q, KvPool pool, int layer, int[] blockTable, int startPos, int rows,
                                           AttentionShape shape, DeviceBuffer out) {
        inner.prefillAttention(q, pool, layer, blockTable, startPos, rows, shape, out);
        calls.add(new Call("prefillAttention", pool, q, out, rows));
    }
    @Override public void markNonFinite(DeviceBuffer x, int rows, int width, DeviceBuffer flags, long flagsOffset) {
        inner.markNonFinite(x, rows, width, flags, flagsOffset);
    }
    @Override public void argmax(DeviceBuffer logits, int rows, int vocab, int[] out) { inner.argmax(logits, rows, vocab, out); }
    @Override public void sample(DeviceBuffer logits, int rows, int vocab, float[] temperature, float[] topP, double[] uniform, int[] out) {
        inner.sample(logits, rows, vocab, temperature, topP, uniform, out);
    }
    @Override public void close() { inner.close(); }
}
