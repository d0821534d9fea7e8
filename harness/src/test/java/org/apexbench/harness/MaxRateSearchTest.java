package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sweep --find-max-rate`'s bisection on systems whose answer is known, and on a simulated one. */
class MaxRateSearchTest {
    @TempDir Path tmp;

    /** A system that meets its objective exactly up to {@code threshold} req/s. */
    private static MaxRateSearch.Result<Double> search(double threshold, double min, double max, int steps) {
        return MaxRateSearch.search(min, max, steps, rate -> rate, rate -> rate <= threshold);
    }

    /**
     * Threshold 3.7 in [0.1, 32] with 7 steps: in log space the search halves [ln 0.1, ln 32] seven times, so the
     * answer is 0.1 x 320^(k/128) for the largest k with that <= 3.7: k = floor(128 ln 37 / ln 320) = 80, i.e.
     * 0.1 x 320^0.625 = 3.6789 req/s; the next grid point 0.1 x 320^(81/128) = 3.849 misses. Resolution 320^(1/128) = 1.0461.
     */
    @Test
    void theAnswerIsTheLastGridPointBelowTheThresholdWithinTheResolution() {
        MaxRateSearch.Result<Double> r = search(3.7, 0.1, 32, 7);
        assertEquals(0.1 * Math.pow(320, 80.0 / 128), r.rate(), 1e-12);
        assertEquals(3.6789, r.rate(), 1e-4);
        assertEquals(r.rate(), r.best(), "best is the probe's own result at the answer");
        assertEquals(1.0461, MaxRateSearch.resolution(0.1, 32, 7), 1e-4);
        assertTrue(r.rate() <= 3.7 && 3.7 < r.rate() * MaxRateSearch.resolution(0.1, 32, 7));
        assertEquals(2 + 7, r.probed().size(), "min, max, then one probe per step");
        assertEquals(List.of(0.1, 32.0, Math.sqrt(3.2)), r.probed().subList(0, 3));
        // with any threshold and step count the answer brackets the threshold within the resolution
        for (double threshold : new double[] {0.1, 0.1234, 1, 2.5, 9.99, 31.9}) {
            for (int steps = 1; steps <= 10; steps++) {
                MaxRateSearch.Result<Double> s = search(threshold, 0.1, 32, steps);
                assertTrue(s.rate() <= threshold + 1e-12 && threshold < s.rate() * MaxRateSearch.resolution(0.1, 32, steps) + 1e-12,
                        threshold + " with " + steps + " steps: " + s.rate());
            }
        }
    }

    @Test
    void theRangeEndsAreAnswersWithoutBisecting() {
        MaxRateSearch.Result<Double> none = search(0.05, 0.1, 32, 7);
        assertNull(none.rate());
        assertNull(none.best());
        assertEquals(List.of(0.1), none.probed(), "a missed lowest rate ends the search");
        MaxRateSearch.Result<Double> all = search(100, 0.1, 32, 7);
        assertEquals(32.0, all.rate());
        assertEquals(List.of(0.1, 32.0), all.probed(), "a met highest rate ends the search");
        var e = assertThrows(IllegalArgumentException.class, () -> search(1, 2, 1, 3));
        assertTrue(e.getMessage().contains("0 < min < max"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> search(1, 0.1, 2, 0));
        assertTrue(e.getMessage().contains("--search-steps"), e.getMessage());
    }

    /** High first answers as the plain search does, and probes the lowest rate only when nothing higher met. */
    @Test
    void highFirstGivesTheSameAnswersAndProbesTheLowestRateLast() {
        for (double threshold : new double[] {0.05, 0.1, 0.1001, 0.1234, 1, 2.5, 9.99, 31.9, 100}) {
            for (int steps = 1; steps <= 10; steps++) {
                MaxRateSearch.Result<Double> plain = search(threshold, 0.1, 32, steps);
                MaxRateSearch.Result<Double> high = MaxRateSearch.searchHighFirst(0.1, 32, steps, rate -> rate, rate -> rate <= threshold);
                assertEquals(plain.rate(), high.rate(), threshold + " with " + steps + " steps");
                assertEquals(plain.best(), high.best());
            }
        }
        MaxRateSearch.Result<Double> mid = MaxRateSearch.searchHighFirst(0.1, 32, 3, rate -> rate, rate -> rate <= 3.7);
        assertEquals(List.of(32.0, Math.sqrt(3.2)), mid.probed().subList(0, 2), "max first, then bisection");
        assertEquals(4, mid.probed().size(), "no probe at the lowest rate once a midpoint met");
        MaxRateSearch.Result<Double> none = MaxRateSearch.searchHighFirst(0.1, 32, 2, rate -> rate, rate -> rate <= 0.05);
        assertNull(none.rate());
        assertEquals(0.1, none.probed().getLast(), "the lowest rate last, when nothing above it met");
    }

    @Test
    void stepsForReachesTheAskedResolutionWithTheFewestSteps() {
        assertEquals(7, MaxRateSearch.stepsFor(0.1, 32, 1.05));   // 320^(1/128) = 1.0461, 320^(1/64) = 1.094
        assertEquals(9, MaxRateSearch.stepsFor(0.05, 100, 1.02));  // 2000^(1/512) = 1.0149, 2000^(1/256) = 1.030
        var e = assertThrows(IllegalArgumentException.class, () -> MaxRateSearch.stepsFor(0.1, 32, 1));
        assertTrue(e.getMessage().contains("finite ratio > 1"), e.getMessage());
    }

    /**
     * The command on a simulated gpu-only system whose p99 TTFT grows with load: every probe is in sweep.csv, the
     * reported rate is the highest probed rate that met the SLO, every probe at or below it met it, and a probe at
     * most one resolution above it missed (the search really bisected, neither end of the range answered).
     */
    @Test
    void theSweepCommandReportsTheHighestMeetingProbeWithinTheResolution() throws Exception {
        Path out = tmp.resolve("max");
        int steps = 5;
        Cli r = Cli.run("sweep", "--engines", "gpu-only", "--find-max-rate", "--slo-ttft-ms", "2000", "--min-rate", "0.1",
                "--max-rate", "32", "--search-steps", Integer.toString(steps), "--requests", "synthetic:count=60,input=400,output=40",
                "--gpu-kv-blocks", "120", "--seed", "3", "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<String> rows = Files.readAllLines(out.resolve("sweep.csv"));
        List<String> header = List.of(rows.get(0).split(","));
        int rateCol = header.indexOf("rate"), ttftCol = header.indexOf("p99_ttft_ms");
        TreeMap<Double, Double> ttftByRate = new TreeMap<>();
        for (String row : rows.subList(1, rows.size())) {
            String[] c = row.split(",");
            ttftByRate.put(Double.parseDouble(c[rateCol]), Double.parseDouble(c[ttftCol]));
        }
        assertEquals(2 + steps, ttftByRate.size(), "min, max and one probe per step: " + ttftByRate);
        double answer = Double.parseDouble(Files.readAllLines(out.resolve("max_rate.csv")).get(1).split(",")[1]);
        assertTrue(answer > 0.1 && answer < 32, "the range was chosen so the answer lies inside it: " + answer);
        for (Map.Entry<Double, Double> p : ttftByRate.entrySet()) {
            boolean met = p.getValue() <= 2000;
            if (p.getKey() <= answer * (1 + 1e-9)) assertTrue(met, "probe " + p + " at or below the answer met the SLO");
        }
        Map.Entry<Double, Double> above = ttftByRate.higherEntry(answer * (1 + 1e-9));
        assertTrue(above != null && above.getValue() > 2000, "the next probe above the answer missed: " + ttftByRate);
        assertTrue(above.getKey() <= answer * MaxRateSearch.resolution(0.1, 32, steps) * (1 + 1e-9),
                "that probe is within one resolution step: " + above.getKey() + " vs " + answer);
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "max rate %.4f req/s", answer)), r.out());
    }

    /** Every probe counted, for the record: the list grows one rate per run. */
    @Test
    void theProbesAreTheRunsMade() {
        List<Double> runs = new ArrayList<>();
        MaxRateSearch.Result<Double> r = MaxRateSearch.search(1, 16, 4, rate -> { runs.add(rate); return rate; }, rate -> rate <= 5);
        assertEquals(runs, r.probed());
        assertEquals(List.of(1.0, 16.0, 4.0, 8.0, Math.sqrt(32), Math.sqrt(4 * Math.sqrt(32))), runs);
        assertEquals(4.0 * Math.pow(2, 0.25), r.rate(), 1e-12);
    }
}
