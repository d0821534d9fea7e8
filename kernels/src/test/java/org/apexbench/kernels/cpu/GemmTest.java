package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Weight;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/**
 * gemm fast path (2 threads, vector) and scalar backend against a double-precision oracle on the rounded
 * weights. Tolerance: |err| <= 1e-5 * sum_i |x_i w_i| + 1e-6 (fp32 accumulation error bound, both paths).
 */
class GemmTest {
    static CpuBackend fast, scalar;

    @BeforeAll static void open() { fast = new CpuBackend(2, true); scalar = new CpuBackend(1, false); }
    @AfterAll static void close() { fast.close(); scalar.close(); }

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> s = Stream.builder();
        for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            for (int k : new int[] {1, 7, 33, 131, 1000}) {
                for (int rows : new int[] {1, 3, 4, 9}) s.add(Arguments.of(t, rows, k, 37));
            }
            s.add(Arguments.of(t, 5, 256, 300));   // big enough to run on both threads
        }
        return s.build();
    }

    @ParameterizedTest(name = "{0} rows={1} k={2} n={3}")
    @MethodSource("shapes")
    void matchesOracle(DType type, int rows, int k, int n) {
        Random rnd = new Random(31L * k + rows + type.ordinal());
        float[] x = Fixtures.random(rnd, rows * k, 1f), w = Fixtures.random(rnd, n * k, 0.5f);
        float[] residual = Fixtures.random(rnd, rows * n, 1f);
        float[] wr = Fixtures.rounded(type, w);
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            for (boolean accumulate : new boolean[] {false, true}) {
                Weight wt = Fixtures.weight(b, "w", type, n, k, w);
                DeviceBuffer xb = Fixtures.f32(b, x), out = Fixtures.f32(b, residual);
                b.gemm(xb, wt, rows, out, accumulate);
                float[] got = Fixtures.read(out, rows * n);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < n; j++) {
                        double exact = 0, mag = 0;
                        for (int i = 0; i < k; i++) {
                            exact += (double) x[r * k + i] * wr[j * k + i];
                            mag += Math.abs((double) x[r * k + i] * wr[j * k + i]);
                        }
                        if (accumulate) exact += residual[r * n + j];
                        double err = Math.abs(got[r * n + j] - exact);
                        double tol = 1e-5 * (mag + Math.abs(exact)) + 1e-6;
                        assertTrue(err <= tol, b.describe() + " " + type + " r=" + r + " j=" + j + " got " + got[r * n + j]
                                + " expected " + exact + " tol " + tol);
                    }
                }
            }
        }
    }

    @Test
    void rejectsWrongSizes() {
        Weight w = Fixtures.weight(fast, "layers.0.mlp.up_proj", DType.BF16, 8, 16, new float[8 * 16]);
        DeviceBuffer small = fast.allocate(4 * 15), out = fast.allocate(4 * 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fast.gemm(small, w, 1, out, false));
        assertTrue(e.getMessage().contains("gemm x") && e.getMessage().contains("up_proj") && e.getMessage().contains("64"), e.getMessage());
        DeviceBuffer x = fast.allocate(4 * 16);
        e = assertThrows(IllegalArgumentException.class, () -> fast.gemm(x, w, 1, fast.allocate(4 * 7), false));
        assertTrue(e.getMessage().contains("gemm out"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.gemm(x, w, 0, out, false));
        assertTrue(e.getMessage().contains("rows must be > 0"), e.getMessage());
    }
}
