package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The comparison arithmetic of apex validate, on numbers worked out by hand. */
class ValidationTest {
    private static Validation.Metrics metrics(double tput, double tpot, double p99, double ttft, double gpu, double cpu,
                                              Map<String, Double> mix) {
        return new Validation.Metrics(10, 20, tput, tpot, p99, ttft, gpu, cpu, 0.5, 1000 / tput, mix, Double.NaN, Double.NaN);
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

    private static Validation.Metrics run(double tput, double tpot, String mixed) {
        return metrics(tput, tpot, 1, 1, 1, 1, Map.of(mixed, 1.0));
    }

    /**
     * Three real runs (throughput 80, 100, 130; median TPOT 12, 10, 9): the simulator is compared with their medians
     * (100 and 10), each metric on its own, the strategy mix is the median-throughput run's; min and max are the runs'
     * extremes, and the spread their largest deviation from the median (throughput 30%, TPOT 20%).
     */
    @Test
    void repeatsAreComparedByTheirMedianAndReportTheirSpread() {
        List<Validation.Metrics> runs = List.of(run(80, 12, "A"), run(130, 9, "C"), run(100, 10, "B"));
        Validation v = Validation.of("m", "e", runs, run(125, 8, "B"));
        assertEquals(100, v.real().outputThroughput(), 1e-12);
        assertEquals(10, v.real().medianTpotMs(), 1e-12);
        assertEquals(Map.of("B", 1.0), v.real().strategyMix());
        assertEquals(0, v.strategyDistance(), 1e-12);
        assertEquals(3, v.realRuns().size());
        assertEquals(80, v.realMin(Validation.Metrics::outputThroughput), 1e-12);
        assertEquals(130, v.realMax(Validation.Metrics::outputThroughput), 1e-12);
        assertEquals(0.30, v.realSpread(Validation.Metrics::outputThroughput), 1e-12);
        assertEquals(0.20, v.realSpread(Validation.Metrics::medianTpotMs), 1e-12);
        assertEquals(0.25, v.throughputError(), 1e-12);
        assertEquals(Validation.Verdict.WITHIN_REAL_SPREAD, v.verdict(0.10), "+25% and -20%: misses within the runs' 30% and 20%");
        assertEquals(Validation.Verdict.MODEL_ERROR, Validation.of("m", "e", runs, run(140, 10, "B")).verdict(0.10),
                "+40% is beyond the runs' 30%");
        assertEquals(Validation.Verdict.MODEL_ERROR, Validation.of("m", "e", runs, run(100, 7, "B")).verdict(0.10),
                "TPOT -30% is beyond the runs' 20%, though throughput is exact");
        assertEquals(Validation.Verdict.WITHIN_TARGET, Validation.of("m", "e", runs, run(105, 10.5, "B")).verdict(0.10));
    }

    /** One real run has no spread: every miss is the model's; an even count's median is the mean of the middle two. */
    @Test
    void oneRunHasNoSpreadAndTwoRunsMeetInTheMiddle() {
        Validation one = Validation.of("m", "e", List.of(run(100, 10, "A")), run(115, 10, "A"));
        assertEquals(0, one.realSpread(Validation.Metrics::outputThroughput), 1e-12);
        assertEquals(Validation.Verdict.MODEL_ERROR, one.verdict(0.10));
        Validation two = Validation.of("m", "e", List.of(run(100, 10, "A"), run(120, 14, "B")), run(110, 12, "A"));
        assertEquals(110, two.real().outputThroughput(), 1e-12);
        assertEquals(12, two.real().medianTpotMs(), 1e-12);
        assertEquals(Map.of("A", 1.0), two.real().strategyMix(), "the lower middle run's mix");
        assertEquals(Validation.Verdict.WITHIN_TARGET, two.verdict(0.10));
        assertThrows(IllegalArgumentException.class, () -> Validation.of("m", "e", List.of(), run(1, 1, "A")));
    }

    /**
     * The JIT's compile time inside each measured run is a metric of the real runs like the others (median, extremes); the
     * warm-up before them is carried beside the comparison and changes none of it.
     */
    @Test
    void theJitTimeOfTheMeasuredRunsAndTheWarmUpAreCarriedBesideTheComparison() {
        List<Validation.Metrics> runs = List.of(run(80, 12, "A").withConditions(3.0, 120), run(130, 9, "C").withConditions(4.0, 5),
                run(100, 10, "B").withConditions(5.0, 40));
        Validation v = Validation.of("m", "e", runs, run(125, 8, "B"));
        assertEquals(Validation.WarmUp.NONE, v.warmUp());
        assertEquals(40, v.real().jitMs(), 1e-12);
        assertEquals(120, v.realMax(Validation.Metrics::jitMs), 1e-12);
        assertEquals(4.0, v.real().loadAverage(), 1e-12);
        Validation warmed = v.withWarmUp(new Validation.WarmUp(1, 700, 0.4, 350));
        assertEquals(new Validation.WarmUp(1, 700, 0.4, 350), warmed.warmUp());
        assertEquals(v.real(), warmed.real());
        assertEquals(v.throughputError(), warmed.throughputError(), 0);
        assertEquals(v.verdict(0.10), warmed.verdict(0.10));
        assertTrue(Double.isNaN(run(1, 1, "A").jitMs()), "a simulated run has no JIT time");
    }
}
