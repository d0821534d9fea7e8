package org.apexbench.kernels.cpu;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.OutputWait;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.RowTransfer;

/**
 * Rows exchanged with host attention on the cpu backend: the host thread copies q/k/v rows out of the
 * batch when it takes the job and copies the output rows back when done (the device thread waits for it
 * itself), so sending is free and a transfer has no device marks.
 */
final class CpuRowExchange implements RowExchange {
    private final Backend host;
    private final int maxRows;
    private final long qRowBytes, kvRowBytes;
    private final DeviceBuffer q, k, v, out;
    private int sequence;

    CpuRowExchange(Backend host, int maxRows, int qWidth, int kvWidth) {
        if (maxRows < 1 || qWidth < 1 || kvWidth < 1) {
            throw new IllegalArgumentException("row exchange: maxRows, qWidth, kvWidth must be >= 1, got " + maxRows + ", " + qWidth
                    + ", " + kvWidth);
        }
        this.host = host;
        this.maxRows = maxRows;
        qRowBytes = DType.F32.bytes() * (long) qWidth;
        kvRowBytes = DType.F32.bytes() * (long) kvWidth;
        q = host.allocate(qRowBytes * maxRows);
        k = host.allocate(kvRowBytes * maxRows);
        v = host.allocate(kvRowBytes * maxRows);
        out = host.allocate(qRowBytes * maxRows);
    }

    @Override public DeviceBuffer hostQueries() { return q; }

    @Override public DeviceBuffer hostKeys() { return k; }

    @Override public DeviceBuffer hostValues() { return v; }

    @Override public DeviceBuffer hostOutput() { return out; }

    @Override public RowTransfer sendInputs(DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int first, int rows) {
        if (first + rows > maxRows) {
            throw new IllegalArgumentException("row exchange: rows " + first + ".." + (first + rows - 1) + " exceed its " + maxRows);
        }
        return new RowTransfer(first, rows, ++sequence, null, null);
    }

    @Override public void receiveInputs(RowTransfer t, DeviceBuffer qSrc, DeviceBuffer kSrc, DeviceBuffer vSrc) {
        copyRows(qSrc, q, qRowBytes, t);
        copyRows(kSrc, k, kvRowBytes, t);
        copyRows(vSrc, v, kvRowBytes, t);
    }

    @Override public void sendOutput(RowTransfer t, DeviceBuffer dst) { copyRows(out, dst, qRowBytes, t); }

    @Override public OutputWait awaitOutputOnDevice(RowTransfer t, DeviceBuffer dst) {
        throw new UnsupportedOperationException("cpu row exchange: the output is copied by the host thread; the device thread"
                + " waits for the host-attention job itself");
    }

    @Override public void abort() { }

    private void copyRows(DeviceBuffer src, DeviceBuffer dst, long rowBytes, RowTransfer t) {
        host.copy(src, t.first() * rowBytes, dst, t.first() * rowBytes, t.rows() * rowBytes);
    }
}
