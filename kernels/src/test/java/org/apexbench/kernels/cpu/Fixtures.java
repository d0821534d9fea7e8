package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Weight;

/** Test helpers: random data written into backend buffers in any storage type, and fp32 read-back. */
final class Fixtures {
    private Fixtures() {}

    static float[] random(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * scale;
        return a;
    }

    /** Buffer holding {@code values} rounded to {@code type}. */
    static DeviceBuffer buffer(CpuBackend b, DType type, float[] values) {
        DeviceBuffer buf = b.allocate((long) values.length * type.bytes());
        MemorySegment s = ((CpuBuffer) buf).segment();
        for (int i = 0; i < values.length; i++) Elements.set(s, type, i, values[i]);
        return buf;
    }

    static DeviceBuffer f32(CpuBackend b, float[] values) { return buffer(b, DType.F32, values); }

    static Weight weight(CpuBackend b, String name, DType type, int rows, int cols, float[] values) {
        return new Weight(name, buffer(b, type, values), type, rows, cols);
    }

    /** {@code values} as the backend sees them after rounding to {@code type}. */
    static float[] rounded(DType type, float[] values) {
        MemorySegment s = MemorySegment.ofArray(new long[(values.length * type.bytes() + 7) / 8]);
        float[] r = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            Elements.set(s, type, i, values[i]);
            r[i] = Elements.get(s, type, i);
        }
        return r;
    }

    static float[] read(DeviceBuffer b, int n) {
        float[] r = new float[n];
        MemorySegment.copy(((CpuBuffer) b).segment(), Elements.F32, 0, r, 0, n);
        return r;
    }

    static void write(DeviceBuffer b, float[] values) {
        MemorySegment.copy(values, 0, ((CpuBuffer) b).segment(), Elements.F32, 0, values.length);
    }

    static void assertClose(float[] expected, float[] actual, double absTol, double relTol, String what) {
        if (expected.length != actual.length) throw new AssertionError(what + ": length " + actual.length + " != " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double tol = absTol + relTol * Math.abs(expected[i]);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " got " + actual[i]
                        + " (tolerance " + tol + ")");
            }
        }
    }
}
