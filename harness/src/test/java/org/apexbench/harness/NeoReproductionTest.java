package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.reports.NeoReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NeoReproductionTest {
    @TempDir Path tmp;

    private static RequestRecord request(String id, double arrival, double... tokenTimes) {
        return new RequestRecord(id, arrival, 10, tokenTimes.length, tokenTimes, 0, 0, null);
    }

    @Test
    void perTokenLatencyDropsTheFirstQuarterOfRequests() {
        List<RequestRecord> r = List.of(request("a", 0, 100), request("b", 0, 1, 2), request("c", 1, 2, 3, 4, 5), request("d", 2, 3, 4));
        // a is dropped (first 25%); b: 2/2 = 1; c: (5 - 1)/4 = 1; d: (4 - 2)/2 = 1
        assertEquals(1.0, NeoReproduction.perTokenLatency(r), 1e-12);
        List<RequestRecord> r2 = List.of(request("a", 0, 1), request("b", 0, 3));
        assertEquals(2.0, NeoReproduction.perTokenLatency(r2), 1e-12);   // floor(2 / 4) = 0 dropped: mean of 1 and 3
    }

    @Test
    void throughputIsOneOverTheMeanCompletionGapBetweenThirtyAndSeventyPercent() {
        // ten completions at 1, 2, 4, 8, ...: window indices 3 .. 7, i.e. 8 .. 128 s over 4 gaps
        RequestRecord[] rs = new RequestRecord[10];
        for (int i = 0; i < 10; i++) rs[i] = request("r" + i, 0, Math.pow(2, 9 - i));   // out of order on purpose
        assertEquals(4.0 / (128 - 8), NeoReproduction.throughput(List.of(rs)), 1e-12);
        List<RequestRecord> tied = List.of(request("a", 0, 1), request("b", 0, 1), request("c", 0, 1), request("d", 0, 1));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NeoReproduction.throughput(tied));
        assertTrue(e.getMessage().contains("[30%, 70%]"), e.getMessage());
    }

    /**
     * A reduced reproduction (300 requests, a few points of each experiment) regresses the simulated figures: a change
     * of the engines, the cost model or the hardware specs that moves them must regenerate these numbers (and
     * docs/fidelity.md's tables, from `apex reproduce neo`).
     */
    @Test
    void reducedReproductionRegressesTheFigures() {
        NeoReproduction.Scope scope = new NeoReproduction.Scope(300, 300, List.of("neo@0.5", "neo@3.1", "vllm@0.2", "vllm@0.4"),
                List.of("g5.2xlarge", "g5.16xlarge"), List.of(200), 0);
        List<NeoReport.Point> points = new NeoReproduction(scope, null).run();
        Map<String, Double> expected = Map.of(
                "t4-load-latency neo 0.5", 0.099732,
                "t4-load-latency neo 3.1", 0.355209,
                "t4-load-latency vllm 0.2", 0.078487,
                "t4-load-latency vllm 0.4", 0.156529,
                "a10g-cpu-sensitivity g5.2xlarge 200", 1.223819,
                "a10g-cpu-sensitivity g5.16xlarge 200", 3.060436);
        assertEquals(expected.size(), points.size(), points.toString());
        StringBuilder actual = new StringBuilder();
        for (NeoReport.Point p : points) {
            actual.append(String.format(Locale.ROOT, "%s %s %s = %.6f%n", p.experiment(), p.series(),
                    java.math.BigDecimal.valueOf(p.x()).stripTrailingZeros().toPlainString(), p.simulated()));
        }
        for (NeoReport.Point p : points) {
            String key = p.experiment() + " " + p.series() + " " + java.math.BigDecimal.valueOf(p.x()).stripTrailingZeros().toPlainString();
            assertTrue(expected.containsKey(key), key + " not expected; actual:\n" + actual);
            assertEquals(expected.get(key), p.simulated(), 1e-4 * expected.get(key), key + "; actual:\n" + actual);
            assertTrue(p.published() > 0 && Double.isFinite(p.errorPct()), p.toString());
        }
    }

    @Test
    void commandWritesACompleteResultFolder() throws Exception {
        Path out = tmp.resolve("neo");
        Cli r = Cli.run("reproduce", "neo", "--count", "100", "--out", out.toString(), "--quiet");
        assertTrue(r.code() == 0 || r.code() == 1, r.out() + r.err());
        org.apexbench.reports.Manifest.verify(out);
        List<String> csv = Files.readAllLines(out.resolve(NeoReport.CSV));
        assertEquals(1 + 13 + 20, csv.size(), String.join("\n", csv));
        long missed = csv.stream().filter(l -> l.endsWith(",false")).count();
        assertEquals(missed > 0 ? 1 : 0, r.code(), "exit status follows the targets");
        String html = Files.readString(out.resolve(NeoReport.HTML));
        assertEquals(2, html.split("<img", -1).length - 1, "one chart per experiment");
        assertTrue(html.contains("g5.16xlarge") && html.contains("vllm-256"), "every series is tabulated");
        assertTrue(r.out().contains("t4-load-latency") && r.out().contains("wrote "), r.out());
        Cli bad = Cli.run("reproduce", "neo-fig7", "--out", tmp.resolve("x").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("known: paper, neo"), bad.err());
    }
}
