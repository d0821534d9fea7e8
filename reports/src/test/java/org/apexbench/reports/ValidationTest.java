package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison arithmetic of apex validate, on numbers worked out by hand. */
class ValidationTest {
    private static Validation.Metrics metrics(double tput, double tpot, double p99, double ttft, double gpu, double cpu,
                                              Map<String, Double> mix) {
        return new Validation.Metrics(10, 20, tput, tpot, p99, ttft, gpu, cpu, 0.5, mix, Double.NaN);
    }

    @Test
    void errorsAreSimOverRealMinusOneAndTheMixDistanceIsTotalVariation() {
        var real = metrics(100, 20, 40, 50, 2, 1, Map.of("GPU_ONLY", 0.5, "ASYNC_OVERLAP", 0.5));
        var sim = metrics(108, 17, 44, 60, 3, 0.5, Map.of("GPU_ONLY", 0.25, "ASYNC_OVERLAP", 0.5, "OFFLOAD_SERIAL", 0.25));
        Validation v = Validation.of("m", "e", real, sim);
        assertEquals(0.08, v.throughputError(), 1e-12);
        assertEquals(-0.15, v.medianTpotError(), 1e-12);
        assertEquals(0.10, v.p99TpotError(), 1e-12);
        assertEquals(0.20, v.medianTtftError(), 1e-12);
        assertEquals(0.5, v.gpuBusyError(), 1e-12);
        assertEquals(-0.5, v.cpuBusyError(), 1e-12);
        assertEquals(0.25, v.strategyDistance(), 1e-12, "(|0.5-0.25| + 0 + |0-0.25|) / 2");
        assertFalse(v.within(0.10), "TPOT 15% off");
        assertTrue(Validation.of("m", "e", real, metrics(91, 21.9, 1, 1, 1, 1, Map.of())).within(0.10));
        assertTrue(Double.isNaN(Validation.error(0, 5)), "no relative error against a zero");
    }
}
