package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apexbench.kernels.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SamplingTest {
    static CpuBackend fast, scalar;

    @BeforeAll static void open() { fast = new CpuBackend(2, true); scalar = new CpuBackend(1, false); }
    @AfterAll static void close() { fast.close(); scalar.close(); }

    @Test
    void argmaxTakesLowestIndexOnTies() {
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            float[] logits = new float[3 * 37];
            logits[5] = 3f; logits[20] = 3f;                 // row 0: tie -> 5
            logits[37 + 36] = 1f;                            // row 1: last element (tail)
            for (int i = 0; i < 37; i++) logits[74 + i] = -1f;  // row 2: all equal -> 0
            int[] out = new int[3];
            b.argmax(Fixtures.f32(b, logits), 3, 37, out);
            assertArrayEquals(new int[] {5, 36, 0}, out, b.describe());
        }
        Random rnd = new Random(3);
        for (int vocab : new int[] {1, 7, 33, 1000, 32000}) {
            float[] logits = Fixtures.random(rnd, vocab, 10f);
            int[] a = new int[1], c = new int[1];
            fast.argmax(Fixtures.f32(fast, logits), 1, vocab, a);
            scalar.argmax(Fixtures.f32(scalar, logits), 1, vocab, c);
            int best = 0;
            for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
            assertEquals(best, a[0]);
            assertEquals(best, c[0]);
        }
    }

    @Test
    void temperatureZeroAndTinyTopPAreGreedy() {
        Random rnd = new Random(11);
        int vocab = 1000, rows = 4;
        float[] logits = Fixtures.random(rnd, rows * vocab, 5f);
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            DeviceBuffer l = Fixtures.f32(b, logits);
            int[] greedy = new int[rows], t0 = new int[rows], tinyP = new int[rows];
            b.argmax(l, rows, vocab, greedy);
            b.sample(l, rows, vocab, new float[] {0, 0, 0, 0}, new float[] {1, 1, 1, 1}, new double[] {0.1, 0.5, 0.9, 0.99}, t0);
            b.sample(l, rows, vocab, new float[] {1, 0.7f, 2, 1}, new float[] {1e-6f, 1e-6f, 1e-6f, 1e-6f},
                    new double[] {0.1, 0.5, 0.9, 0.99}, tinyP);
            assertArrayEquals(greedy, t0, b.describe());
            assertArrayEquals(greedy, tinyP, b.describe());
        }
    }

    @Test
    void handComputedDistribution() {
        // logits ln(1..4): p = 0.1, 0.2, 0.3, 0.4; descending order 3 (0.4), 2 (0.7), 1 (0.9), 0 (1.0)
        float[] logits = {(float) Math.log(1), (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            DeviceBuffer l = Fixtures.f32(b, logits);
            assertEquals(3, one(b, l, 1f, 1f, 0.0));
            assertEquals(3, one(b, l, 1f, 1f, 0.39));
            assertEquals(2, one(b, l, 1f, 1f, 0.41));
            assertEquals(1, one(b, l, 1f, 1f, 0.85));
            assertEquals(0, one(b, l, 1f, 1f, 0.95));
            // top-p 0.6 keeps {3, 2} (mass 0.7): 0.5 * 0.7 = 0.35 < 0.4 -> 3; 0.6 * 0.7 = 0.42 -> 2; nothing beyond
            assertEquals(3, one(b, l, 1f, 0.6f, 0.5));
            assertEquals(2, one(b, l, 1f, 0.6f, 0.6));
            assertEquals(2, one(b, l, 1f, 0.6f, 0.999));
            // temperature 0.5 squares the odds: 1, 4, 9, 16 over 30; 0.55 * 30 = 16.5 > 16 -> token 2
            assertEquals(3, one(b, l, 0.5f, 1f, 0.53));
            assertEquals(2, one(b, l, 0.5f, 1f, 0.55));
        }
    }

    @Test
    void rejectsBadSamplingParameters() {
        DeviceBuffer l = fast.allocate(16);
        int[] out = new int[1];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fast.sample(l, 1, 4, new float[] {-1}, new float[] {1}, new double[] {0.5}, out));
        assertTrue(e.getMessage().contains("temperature[0] = -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.sample(l, 1, 4, new float[] {1}, new float[] {0}, new double[] {0.5}, out));
        assertTrue(e.getMessage().contains("topP[0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.sample(l, 1, 4, new float[] {1}, new float[] {1}, new double[] {1.0}, out));
        assertTrue(e.getMessage().contains("uniform[0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.argmax(l, 2, 4, new int[2]));
        assertTrue(e.getMessage().contains("argmax logits [2x4]: needs 32 bytes"), e.getMessage());
    }

    private static int one(CpuBackend b, DeviceBuffer l, float temperature, float topP, double u) {
        int[] out = new int[1];
        b.sample(l, 1, 4, new float[] {temperature}, new float[] {topP}, new double[] {u}, out);
        return out[0];
    }
}
