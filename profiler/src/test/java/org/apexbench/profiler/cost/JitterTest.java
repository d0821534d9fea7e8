package org.apexbench.profiler.cost;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JitterTest {
    private final RooflineCostModel noisy = new RooflineCostModel(HardwareSpecs.builtIn("a10g-g5.4xlarge"),
            org.apexbench.profiler.TestModels.LLAMA_3_1_8B, new Jitter(0.1));
    private final SubtaskFeatures f = SubtaskFeatures.linear(64);

    @Test
    void sameSeedIterationAndSubtaskGiveTheSameTime() {
        double a = noisy.seconds(Op.POST, f, Jitter.stream(42, 7, 3));
        double b = noisy.seconds(Op.POST, f, Jitter.stream(42, 7, 3));
        assertEquals(a, b);
        assertNotEquals(a, noisy.seconds(Op.POST, f, Jitter.stream(42, 7, 4)));
        assertNotEquals(a, noisy.seconds(Op.POST, f, Jitter.stream(42, 8, 3)));
        assertNotEquals(a, noisy.seconds(Op.POST, f, Jitter.stream(43, 7, 3)));
    }

    @Test
    void noiseIsMeanPreservingWithTheGivenSigma() {
        double base = noisy.seconds(Op.POST, f);
        int n = 20_000;
        double sum = 0;
        double sumLog2 = 0;
        for (int i = 0; i < n; i++) {
            double r = noisy.seconds(Op.POST, f, Jitter.stream(1, i, 0)) / base;
            sum += r;
            double l = Math.log(r) + 0.005;   // log factor has mean -sigma^2/2
            sumLog2 += l * l;
        }
        assertEquals(1, sum / n, 0.005);
        assertEquals(0.1, Math.sqrt(sumLog2 / n), 0.003);
    }

    @Test
    void zeroSigmaIsExact() {
        RooflineCostModel quiet = new RooflineCostModel(HardwareSpecs.builtIn("a10g-g5.4xlarge"), org.apexbench.profiler.TestModels.LLAMA_3_1_8B);
        assertEquals(quiet.seconds(Op.POST, f), quiet.seconds(Op.POST, f, Jitter.stream(1, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> new Jitter(-1));
    }
}
