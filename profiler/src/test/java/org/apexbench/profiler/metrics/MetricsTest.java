package org.apexbench.profiler.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.junit.jupiter.api.Test;

class MetricsTest {
    /** Statistics are exact (numpy's estimators over the values in seconds, then x 1000): float rounding only. */
    private static void assertMs(double expectedMs, double actualMs) {
        assertEquals(expectedMs, actualMs, 1e-9, "statistic");
    }

    private static RequestRecord req(String id, double arrival, int prompt, int target, double... times) {
        return new RequestRecord(id, arrival, prompt, target, times, 0, 0, null);
    }

    // Known timeline:
    //  a: arrives 0.0, tokens at 0.1, 0.2, 0.4      -> ttft 100, e2el 400, tpot 150, gaps 100, 200
    //  b: arrives 0.5, tokens at 0.8, 0.9           -> ttft 300, e2el 400, tpot 100, gap 100
    //  c: arrives 1.0, one token at 1.05            -> ttft 50,  e2el 50, no tpot, no gap
    //  d: arrives 0.2, failed after one of 4 tokens -> excluded everywhere except "failed"
    //  e: arrives 0.3, no failure reason but only 1 of 2 tokens -> failed
    private final List<RequestRecord> timeline = List.of(
            req("a", 0.0, 10, 3, 0.1, 0.2, 0.4),
            req("b", 0.5, 20, 2, 0.8, 0.9),
            req("c", 1.0, 30, 1, 1.05),
            new RequestRecord("d", 0.2, 40, 4, new double[] {0.3}, 1, 0, "out of KV memory"),
            req("e", 0.3, 50, 2, 0.35));

    @Test
    void vllmDefinitionsOnAKnownTimeline() {
        Summary s = Metrics.summarize(timeline, List.of(), Slo.NONE);
        assertEquals(3, s.completed());
        assertEquals(2, s.failed());
        assertEquals(60, s.totalInputTokens());
        assertEquals(6, s.totalOutputTokens());
        assertEquals(1.05, s.durationSec(), 1e-12); // first arrival 0.0, last return 1.05
        assertEquals(3 / 1.05, s.requestThroughput(), 1e-9);
        assertEquals(6 / 1.05, s.outputThroughput(), 1e-9);
        assertEquals(66 / 1.05, s.totalTokenThroughput(), 1e-9);
        assertEquals(1, s.preemptions());

        assertEquals(3, s.ttft().count());
        assertEquals(150, s.ttft().meanMs(), 1e-9);
        assertEquals(Math.sqrt((50 * 50 + 150 * 150 + 100 * 100) / 3.0), s.ttft().stdMs(), 1e-9);
        assertMs(100, s.ttft().medianMs());
        // numpy's linear interpolation over 50, 100, 300: index 2 x 0.99 = 1.98, so 300 - 200 x 0.02
        assertMs(296, s.ttft().p99Ms());
        assertEquals(300, s.ttft().maxMs(), 1e-9);

        assertEquals(2, s.tpot().count()); // c has one token: excluded
        assertEquals(125, s.tpot().meanMs(), 1e-9);
        assertMs(125, s.tpot().p50Ms()); // even count: between the two middle values
        assertMs(125, s.tpot().medianMs());
        assertMs(145, s.tpot().p90Ms());

        assertEquals(3, s.itl().count()); // gaps 100, 200, 100 pooled
        assertEquals(400 / 3.0, s.itl().meanMs(), 1e-9);
        assertMs(100, s.itl().medianMs());
        assertMs(198, s.itl().p99Ms());

        assertEquals(3, s.e2el().count());
        assertEquals(850 / 3.0, s.e2el().meanMs(), 1e-9);
        assertEquals(400, s.e2el().maxMs(), 1e-9);
        assertEquals(-1, s.goodRequests());
        // Tokens of completed requests: 0.1 0.2 0.4 0.8 0.9 in second 0, 1.05 in second 1.
        assertEquals(5.0, s.maxOutputTokensPerSec());
        // a [0, 0.4), b [0.5, 0.9), c [1.0, 1.05): never two at once.
        assertEquals(1, s.maxConcurrentRequests());
        assertEquals(2, Metrics.summarize(List.of(req("x", 0, 1, 2, 0.1, 0.5), req("y", 0.4, 1, 1, 0.6),
                req("z", 0.5, 1, 1, 0.7)), List.of(), Slo.NONE).maxConcurrentRequests());
        assertTrue(Double.isNaN(s.requestGoodput()));
    }

    @Test
    void percentilesInterpolateLinearlyAsNumpyDoes() {
        // 1..1000 ms: index (n - 1) p / 100 = 499.5, 899.1, 989.01 between consecutive values 1 ms apart.
        int n = 1000;
        java.util.ArrayList<RequestRecord> rs = new java.util.ArrayList<>();
        for (int i = 1; i <= n; i++) rs.add(req("r" + i, 0, 1, 1, i / 1000.0));
        Summary s = Metrics.summarize(rs, List.of(), Slo.NONE);
        assertMs(500.5, s.ttft().p50Ms());
        assertMs(500.5, s.ttft().medianMs());
        assertMs(900.1, s.ttft().p90Ms());
        assertMs(990.01, s.ttft().p99Ms());
        assertEquals(500.5, s.ttft().meanMs(), 1e-9);
        assertEquals(0, s.tpot().count());
        assertTrue(Double.isNaN(s.tpot().meanMs()));
        // Fewer than 100 values: p99 is not the maximum (nearest rank would give it).
        Summary few = Metrics.summarize(rs.subList(0, 10), List.of(), Slo.NONE);
        assertMs(9.91, few.ttft().p99Ms());
        assertMs(10, few.ttft().maxMs());
    }

    @Test
    void goodputCountsRequestsMeetingEverySlo() {
        // ttft <= 200 ms keeps a (100) and c (50); tpot <= 120 drops a (150) and keeps c (one token = tpot 0).
        Summary s = Metrics.summarize(timeline, List.of(), new Slo(200, 120, Double.NaN));
        assertEquals(1, s.goodRequests());
        assertEquals(1 / 1.05, s.requestGoodput(), 1e-9);
        Summary e2e = Metrics.summarize(timeline, List.of(), new Slo(Double.NaN, Double.NaN, 400));
        assertEquals(3, e2e.goodRequests()); // <= is inclusive, failed requests never count
    }

    @Test
    void noCompletedRequestGivesVllmZerosUnderItsNamesAndNoSamplesUnderOurs() {
        Summary s = Metrics.summarize(List.of(timeline.get(3)), List.of(), Slo.NONE);
        assertEquals(0, s.completed());
        assertEquals(1, s.failed());
        assertEquals(0.1, s.durationSec(), 1e-12); // the failed request arrived at 0.2, returned with its token at 0.3
        Map<String, Object> m = s.toMap();
        assertEquals(0.0, m.get("request_throughput"));
        for (String k : List.of("mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p99_ttft_ms", "mean_itl_ms")) {
            assertEquals(0.0, m.get(k), k); // vLLM: np.mean(values or 0)
        }
        assertEquals(0L, m.get("count_ttft"));
        assertNull(m.get("max_ttft_ms"));
        assertEquals(0.0, m.get("max_output_tokens_per_s"));
        assertEquals(0, m.get("max_concurrent_requests"));
        assertNull(Metrics.summarize(List.of(), List.of(), Slo.NONE).toMap().get("duration"));
    }

    @Test
    void durationClockStartsAtTheFirstArrivalOrAtTheScheduleOrigin() {
        var late = List.of(req("p", 2.0, 1, 2, 2.5, 3.0), req("q", 2.5, 1, 1, 4.0));
        Summary first = Metrics.summarize(late, List.of(), Slo.NONE);
        Summary origin = Metrics.summarize(late, List.of(), Slo.NONE, DurationClock.SCHEDULE_ORIGIN);
        assertEquals(2.0, first.durationSec(), 1e-12);
        assertEquals(4.0, origin.durationSec(), 1e-12);
        assertEquals(3 / 4.0, origin.outputThroughput(), 1e-12);
        assertEquals("schedule-origin", origin.toMap().get("duration_clock"));
        assertEquals(first.ttft(), origin.ttft()); // latencies do not depend on the clock
        var e = assertThrows(IllegalArgumentException.class, () -> DurationClock.parse("wall"));
        assertTrue(e.getMessage().contains("first-arrival") && e.getMessage().contains("wall"), e.getMessage());
    }

    @Test
    void tokensBeforeArrivalAreRejectedNamingTheRequest() {
        var bad = List.of(req("late", 1.0, 1, 1, 0.5));
        var e = assertThrows(IllegalArgumentException.class, () -> Metrics.summarize(bad, List.of(), Slo.NONE));
        assertTrue(e.getMessage().contains("late"), e.getMessage());
        var unordered = List.of(req("u", 0.0, 1, 2, 0.5, 0.4));
        e = assertThrows(IllegalArgumentException.class, () -> Metrics.summarize(unordered, List.of(), Slo.NONE));
        assertTrue(e.getMessage().contains("request u"), e.getMessage());
    }

    @Test
    void vllmKeyNamesArePresent() {
        Map<String, Object> m = Metrics.summarize(timeline, List.of(), new Slo(200, 120, Double.NaN)).toMap();
        for (String k : List.of("completed", "failed", "total_input_tokens", "total_output_tokens", "duration",
                "request_throughput", "output_throughput", "total_token_throughput", "request_goodput",
                "mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p99_ttft_ms", "p90_tpot_ms", "p50_itl_ms",
                "mean_e2el_ms", "p99_e2el_ms")) {
            assertTrue(m.containsKey(k), k);
        }
        assertEquals(3, m.get("completed"));
    }

    private static IterationRecord it(long i, double start, double end, String strategy, int gpuDec, int cpuDec,
                                      double predicted, double gpuBusy, double cpuBusy, double stall, long h2d,
                                      long d2h, long swapIn, long swapOut, int gpuBlocks, int hostBlocks) {
        return new IterationRecord(i, start, end, strategy, 0, gpuDec, cpuDec, predicted, gpuBusy, cpuBusy, stall,
                h2d, d2h, swapIn, swapOut, gpuBlocks, hostBlocks, gpuDec + cpuDec, 0);
    }

    @Test
    void hybridMetricsFromKnownIterations() {
        // Two 100 ms iterations with an idle gap between them (excluded from active time).
        var its = List.of(
                it(0, 0.0, 0.1, "GPU_ONLY", 4, 0, Double.NaN, 0.1, 0.0, 0.0, 0, 0, 0, 0, 10, 0),
                it(1, 0.5, 0.6, "ASYNC_OVERLAP", 2, 6, 0.08, 0.09, 0.05, 0.01, 2_000_000, 1_000_000, 500_000,
                        300_000, 8, 30),
                it(2, 0.6, 0.8, "ASYNC_OVERLAP", 2, 6, 0.25, 0.2, 0.15, 0.0, 0, 0, 0, 0, 9, 25));
        HybridStats h = Metrics.hybrid(its);
        assertEquals(3, h.iterations());
        assertEquals(0.4, h.activeSec(), 1e-12);
        assertEquals(100 * 0.39 / 0.4, h.gpuBusyPct(), 1e-9);
        assertEquals(100 * 0.20 / 0.4, h.cpuAttnBusyPct(), 1e-9);
        assertEquals(0.01, h.gpuStallSec(), 1e-12);
        assertEquals(2.5, h.gpuStallPct(), 1e-9);
        assertEquals(2_000_000, h.h2dBytes());
        assertEquals(2_000_000 / 0.4 / 1e9, h.h2dGBps(), 1e-15);
        assertEquals(1_000_000 / 0.4 / 1e9, h.d2hGBps(), 1e-15);
        assertEquals(500_000, h.swapInBytes());
        assertEquals(300_000, h.swapOutBytes());
        assertEquals(Map.of("ASYNC_OVERLAP", 2 / 3.0, "GPU_ONLY", 1 / 3.0), h.strategyMix());
        assertEquals(2, h.predictedIterations());
        // |0.08-0.1|/0.1 = 20 %, |0.25-0.2|/0.2 = 25 %: MAPE 22.5 %
        assertEquals(22.5, h.predictorMapePct(), 1e-9);
        assertEquals(12 / 20.0, h.cpuDecodeFraction(), 1e-12);
        assertEquals(10, h.maxGpuKvBlocks());
        assertEquals(30, h.maxHostKvBlocks());
        Map<String, Object> m = Metrics.summarize(timeline, its, Slo.NONE).toMap();
        assertEquals(1 / 3.0, (Double) m.get("strategy_fraction_GPU_ONLY"), 1e-12);
        assertEquals(10.0, (Double) m.get("gpu_stall_ms"), 1e-9);
    }

    @Test
    void sloRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Slo(-1, Double.NaN, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Slo(Double.NaN, Double.POSITIVE_INFINITY, Double.NaN));
    }
}
