package org.apexbench.kernels.cuda;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.OutputWait;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.RowTransfer;
import org.apexbench.kernels.cpu.CpuBuffer;

/**
 * One sub-batch's rows between the GPU (fp16 activations) and host attention (fp32), per layer:
 * <pre>
 * device thread: COMPUTE ..pre.. [event] -> D2H waits for it, copies q/k/v rows -> pinned fp16 [inputEnd]
 * host thread:   sync(inputEnd); fp16 -> fp32 host rows; (append K/V, attend); fp32 -> fp16 pinned out;
 *                flag = sequence
 * device thread: H2D waits for flag >= sequence (cuStreamWaitValue32), copies pinned out -> device rows
 *                [copyEnd]; COMPUTE waits for copyEnd, then post
 * </pre>
 * The device thread enqueues both halves at once and never blocks; the GPU stalls only if the host is
 * late. Staging is per exchange (= per sub-batch) and reused every layer: a layer's next q/k/v copy is
 * behind its post on COMPUTE, which is behind this layer's output, which the host signals only after it
 * read this layer's inputs.
 */
final class CudaRowExchange implements RowExchange, AutoCloseable {
    private final CudaHostBridge bridge;
    private final CudaBackend cuda;
    private final int maxRows;
    private final long qWidth, kvWidth;
    private final PinnedHostBuffer inQ, inK, inV, outStage;
    private final DeviceBuffer q, k, v, out;
    private final HostFlag ready;
    private int sent;

    CudaRowExchange(CudaHostBridge bridge, CudaBackend cuda, Backend host, int maxRows, int qWidth, int kvWidth) {
        if (maxRows < 1 || qWidth < 1 || kvWidth < 1) {
            throw new IllegalArgumentException("row exchange: maxRows, qWidth, kvWidth must be >= 1, got " + maxRows + ", " + qWidth
                    + ", " + kvWidth);
        }
        this.bridge = bridge;
        this.cuda = cuda;
        this.maxRows = maxRows;
        this.qWidth = qWidth;
        this.kvWidth = kvWidth;
        long half = DType.F16.bytes(), single = DType.F32.bytes();
        inQ = cuda.allocatePinned(half * qWidth * maxRows);
        inK = cuda.allocatePinned(half * kvWidth * maxRows);
        inV = cuda.allocatePinned(half * kvWidth * maxRows);
        outStage = cuda.allocatePinned(half * qWidth * maxRows);
        q = host.allocate(single * qWidth * maxRows);
        k = host.allocate(single * kvWidth * maxRows);
        v = host.allocate(single * kvWidth * maxRows);
        out = host.allocate(single * qWidth * maxRows);
        ready = cuda.newHostFlag();
    }

    @Override public DeviceBuffer hostQueries() { return q; }

    @Override public DeviceBuffer hostKeys() { return k; }

    @Override public DeviceBuffer hostValues() { return v; }

    @Override public DeviceBuffer hostOutput() { return out; }

    @Override public RowTransfer sendInputs(DeviceBuffer qSrc, DeviceBuffer kSrc, DeviceBuffer vSrc, int first, int rows) {
        if (first < 0 || rows < 1 || first + rows > maxRows) {
            throw new IllegalArgumentException("row exchange: rows " + first + ".." + (first + rows - 1) + " outside 0.." + (maxRows - 1));
        }
        // D2H must not copy before this layer's pre has written q/k/v: it waits for an event recorded just now
        CudaEvent computed = cuda.record(StreamRole.COMPUTE);
        cuda.waitEvent(StreamRole.D2H, computed);
        cuda.release(computed);  // the wait captured the event's state; the event itself may be reused
        Mark start = bridge.mark(Lane.D2H);
        copyRows(qSrc, inQ, qWidth, first, rows);
        copyRows(kSrc, inK, kvWidth, first, rows);
        copyRows(vSrc, inV, kvWidth, first, rows);
        Mark end = bridge.mark(Lane.D2H);
        return new RowTransfer(first, rows, ++sent, start, end);
    }

    private void copyRows(DeviceBuffer src, PinnedHostBuffer dst, long width, int first, int rows) {
        long rowBytes = DType.F16.bytes() * width;
        cuda.copyAsync(src, first * rowBytes, dst, first * rowBytes, rows * rowBytes, StreamRole.D2H);
    }

    @Override public void receiveInputs(RowTransfer t, DeviceBuffer qSrc, DeviceBuffer kSrc, DeviceBuffer vSrc) {
        bridge.awaitOnHost(t.inputEnd());
        HalfRows.toFloat(inQ.segment(), seg(q), t.first() * qWidth, t.rows() * qWidth);
        HalfRows.toFloat(inK.segment(), seg(k), t.first() * kvWidth, t.rows() * kvWidth);
        HalfRows.toFloat(inV.segment(), seg(v), t.first() * kvWidth, t.rows() * kvWidth);
    }

    @Override public void sendOutput(RowTransfer t, DeviceBuffer dst) {
        HalfRows.toHalf(seg(out), outStage.segment(), t.first() * qWidth, t.rows() * qWidth);
        ready.signal(t.sequence());
    }

    @Override public OutputWait awaitOutputOnDevice(RowTransfer t, DeviceBuffer dst) {
        long rowBytes = DType.F16.bytes() * qWidth;
        cuda.waitFor(StreamRole.H2D, ready, t.sequence());
        Mark copyStart = bridge.mark(Lane.H2D);
        cuda.copyAsync(outStage, t.first() * rowBytes, dst, t.first() * rowBytes, t.rows() * rowBytes, StreamRole.H2D);
        Mark copyEnd = bridge.mark(Lane.H2D);
        // copyEnd is recorded before this wait is enqueued, so the wait really waits for it
        Mark stallStart = bridge.mark(Lane.COMPUTE);
        cuda.waitEvent(StreamRole.COMPUTE, CudaHostBridge.event(copyEnd));
        Mark stallEnd = bridge.mark(Lane.COMPUTE);
        return new OutputWait(copyStart, copyEnd, stallStart, stallEnd);
    }

    /** Releases every wait: the flag jumps past any sequence, so no stream stays blocked on a failed host thread. */
    @Override public void abort() { ready.signal(Integer.MAX_VALUE); }

    private static java.lang.foreign.MemorySegment seg(DeviceBuffer b) {
        if (b instanceof CpuBuffer c) return c.segment();
        throw new IllegalArgumentException("cuda row exchange: host buffer " + b + " is not cpu memory");
    }

    @Override public void close() {
        ready.close();
        inQ.close();
        inK.close();
        inV.close();
        outStage.close();
    }
}
