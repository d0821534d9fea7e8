package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apexbench.reports.CapacityReport.Cell;
import org.apexbench.reports.CapacityReport.Row;
import org.apexbench.reports.CapacityReport.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The capacity summary's verdicts against hand-computed cases, and its files. */
class CapacityReportTest {
    @TempDir Path tmp;

    private static final double RES = 1.02;

    private static Row row(Cell c, String engine, boolean apex, Double rate) {
        return new Row(c, engine, apex, 0.05, 50, RES, rate, false, 100, 50, 10, 0, 0, 0, 10, 2, 11, 0, 0, rate);
    }

    private static Cell cell(String workload) { return new Cell("t4-g4dn.4xlarge", "llama-2-7b", workload, 200, 10_000); }

    /** APEX / best - 1 against the best of the baselines, and the verdict at the search's resolution. */
    @Test
    void verdictsFollowTheResolution() {
        List<Row> rows = new ArrayList<>();
        Cell wins = cell("a"), ties = cell("b"), loses = cell("c"), none = cell("d"), onlyApex = cell("e"), noApex = cell("f");
        rows.add(row(wins, "gpu-only", false, 1.0));
        rows.add(row(wins, "neo", false, 2.0));
        rows.add(row(wins, "apex", true, 2.1));            // 2.1 > 2.0 x 1.02 = 2.04
        rows.add(row(ties, "neo", false, 2.0));
        rows.add(row(ties, "apex", true, 1.97));           // 1.97 x 1.02 = 2.009 >= 2.0, 2.0 x 1.02 > 1.97
        rows.add(row(loses, "neo", false, 2.0));
        rows.add(row(loses, "apex", true, 1.95));          // 1.95 x 1.02 = 1.989 < 2.0
        rows.add(row(none, "neo", false, null));
        rows.add(row(none, "apex", true, null));
        rows.add(row(onlyApex, "neo", false, null));
        rows.add(row(onlyApex, "apex", true, 0.5));
        rows.add(row(noApex, "neo", false, 0.5));
        rows.add(row(noApex, "apex", true, null));
        List<CapacityReport.Summary> s = CapacityReport.summarize(rows);
        assertEquals(List.of(Verdict.WINS, Verdict.TIES, Verdict.LOSES, Verdict.NONE_MEETS, Verdict.WINS, Verdict.LOSES),
                s.stream().map(CapacityReport.Summary::verdict).toList());
        assertEquals("neo", s.get(0).bestBaseline());
        assertEquals(0.05, s.get(0).gain(), 1e-12);
        assertEquals(-0.025, s.get(2).gain(), 1e-12);
        assertNull(s.get(4).gain(), "no gain over a baseline that meets no rate");
        assertNull(s.get(4).bestBaseline());
        assertTrue(s.get(1).verdict().dominates() && !s.get(2).verdict().dominates() && s.get(3).verdict().dominates());
    }

    /**
     * Two answers one step apart on the search's geometric grid differ by exactly the resolution, not more: a tie either
     * way, although for some pairs the floating-point product of the lower answer and the resolution falls a few ulps
     * short of the upper one. Every adjacent pair of osc's grid (9 sqrt-bisection steps over 0.05-200 req/s, as
     * MaxRateSearch probes it) ties; two steps apart is a loss.
     */
    @Test
    void adjacentGridPointsTie() {
        double min = 0.05, max = 200, res = Math.pow(max / min, Math.pow(2, -9));
        java.util.TreeSet<Double> grid = new java.util.TreeSet<>();
        for (int k = 0; k < 512; k++) {
            double threshold = min * Math.pow(res, k + 0.5), lo = min, hi = max;
            for (int i = 0; i < 9; i++) {
                double mid = Math.sqrt(lo * hi);
                if (mid <= threshold) lo = mid;
                else hi = mid;
            }
            grid.add(lo);
        }
        List<Double> points = new ArrayList<>(grid);
        int shortProducts = 0;
        for (int i = 1; i < points.size(); i++) {
            double lower = points.get(i - 1), upper = points.get(i);
            if (lower * res < upper) shortProducts++;
            for (boolean apexLower : new boolean[] {true, false}) {
                Cell c = cell("osc");
                List<Row> rows = List.of(gridRow(c, "neo", false, res, apexLower ? upper : lower),
                        gridRow(c, "apex", true, res, apexLower ? lower : upper));
                assertEquals(Verdict.TIES, CapacityReport.summarize(rows).getFirst().verdict(), lower + " vs " + upper);
            }
            if (i >= 2) {
                Cell c = cell("osc");
                List<Row> rows = List.of(gridRow(c, "neo", false, res, upper), gridRow(c, "apex", true, res, points.get(i - 2)));
                assertEquals(Verdict.LOSES, CapacityReport.summarize(rows).getFirst().verdict(), "two steps below " + upper);
            }
        }
        assertEquals(512, points.size());
        assertTrue(shortProducts > 0, "some adjacent pair rounds short (the case this rule exists for)");
    }

    private static Row gridRow(Cell c, String engine, boolean apex, double res, double rate) {
        return new Row(c, engine, apex, 0.05, 200, res, rate, false, 1, 1, 10, 0, 0, 0, 10, 2, 10, 0, 0, rate);
    }

    @Test
    void aCellNeedsOneApexAndABaseline() {
        Cell c = cell("a");
        var twoApex = assertThrows(IllegalArgumentException.class, () -> CapacityReport.summarize(List.of(row(c, "gpu-only", false, 1.0),
                row(c, "apex", true, 1.0), row(c, "apex[x=1]", true, 1.0))));
        assertTrue(twoApex.getMessage().contains("two APEX rows: apex, apex[x=1]"), twoApex.getMessage());
        var alone = assertThrows(IllegalArgumentException.class, () -> CapacityReport.summarize(List.of(row(c, "apex", true, 1.0))));
        assertTrue(alone.getMessage().contains("one APEX engine and at least one baseline"), alone.getMessage());
    }

    @Test
    void filesHoldEveryRowTheSummaryAndTheSkippedPairs() throws Exception {
        Cell c = cell("osc");
        Row gpuOnly = new Row(c, "gpu-only", false, 0.05, 50, RES, 1.25, false, 100, 50, 7, 0, 3, 3, 10, 4, 11, 0, 0, 1.25);
        Row apex = new Row(c, "apex", true, 0.05, 50, RES, null, false, 100, 50, 10, 0, 0, 3, 10, 2, 11, 0, 0, null);
        List<Row> rows = List.of(gpuOnly, apex);
        CapacityReport.write(tmp, rows, List.of(new CapacityReport.Skipped("t4-g4dn.4xlarge", "llama-3.1-8b", "too big")), "note");
        List<String> csv = Files.readAllLines(tmp.resolve(CapacityReport.CSV));
        assertEquals(3, csv.size());
        assertEquals("t4-g4dn.4xlarge,llama-2-7b,osc,200,10000,gpu-only,1.2500,false,0.050000,50.000,2.00,100.0,50.0,7,0,3,3,10,4,true,11,0,0,true,1.2500",
                csv.get(1));
        assertEquals("t4-g4dn.4xlarge,llama-2-7b,osc,200,10000,apex,,false,0.050000,50.000,2.00,,,10,0,0,3,10,2,false,11,0,0,true,", csv.get(2));
        List<String> summary = Files.readAllLines(tmp.resolve(CapacityReport.SUMMARY_CSV));
        assertEquals("t4-g4dn.4xlarge,llama-2-7b,osc,200,10000,gpu-only,1.2500,apex,,,2.00,loses,false,3,,loses,false,\"every rate is over the "
                + "requests all engines can serve: 3 drawn requests removed as never servable by some engine (of the full workload, "
                + "rejected: gpu-only 3); a burst, not a steady load, at the rate of gpu-only "
                + "(half or more of the requests in the system at once): more requests would lower it\"", summary.get(1));
        assertEquals("t4-g4dn.4xlarge,llama-3.1-8b,,,,,,,,,,skipped,,,,,,too big", summary.get(2));
        String html = Files.readString(tmp.resolve(CapacityReport.HTML));
        assertTrue(html.contains("APEX none") && html.contains("too big") && html.contains("loses 1"), html);
    }

    /**
     * A cell whose answers rest on pass/fail being monotone: the verdict is the answers' (APEX ties NEO), the summary lists
     * the engines with a pass above their answer, and says the verdict depends on it where, at every engine's highest
     * rate met, it would differ (APEX 1.0 with a pass at 1.1 against NEO 1.0: a win).
     */
    @Test
    void aVerdictThatRestsOnANonMonotoneAnswerIsNamed() throws Exception {
        Cell c = cell("cot");
        Row neo = new Row(c, "static-hybrid:neo", false, 0.05, 50, RES, 1.0, false, 1, 1, 10, 0, 0, 0, 10, 2, 15, 6, 0, 1.0);
        Row apex = new Row(c, "apex", true, 0.05, 50, RES, 1.0, false, 1, 1, 10, 0, 0, 0, 10, 2, 15, 6, 2, 1.1);
        CapacityReport.Summary s = CapacityReport.summarize(List.of(neo, apex)).getFirst();
        assertEquals(Verdict.TIES, s.verdict(), "the verdict is the answers'");
        assertEquals(List.of("apex (2/6)"), s.monotonicity().nonMonotone());
        assertEquals(Verdict.WINS, s.monotonicity().verdict());
        assertTrue(s.monotonicity().depends());
        assertTrue(s.note().contains("the verdict rests on a non-monotone answer (a higher rate than the answer met the SLOs: apex (2/6))")
                && s.note().contains("APEX 1.1000 req/s against static-hybrid:neo 1.0000 req/s, it would be 'wins'"), s.note());
        // a pass above that does not move the verdict is listed, not noted
        Row apexLow = new Row(c, "apex", true, 0.05, 50, RES, 1.0, false, 1, 1, 10, 0, 0, 0, 10, 2, 15, 6, 1, 1.01);
        CapacityReport.Summary same = CapacityReport.summarize(List.of(neo, apexLow)).getFirst();
        assertEquals(List.of("apex (1/6)"), same.monotonicity().nonMonotone());
        assertTrue(!same.monotonicity().depends() && same.note().isEmpty(), same.note());
        // the best baseline at its highest rate met may be another engine than at its answer
        Row gpuOnly = new Row(c, "gpu-only", false, 0.05, 50, RES, 0.9, false, 1, 1, 10, 0, 0, 0, 10, 2, 15, 6, 3, 1.2);
        CapacityReport.Summary other = CapacityReport.summarize(List.of(gpuOnly, neo, apex)).getFirst();
        assertEquals("static-hybrid:neo", other.bestBaseline());
        assertEquals("gpu-only", other.monotonicity().bestHighestEngine());
        assertEquals(Verdict.LOSES, other.monotonicity().verdict(), "APEX's 1.1 is 8% below gpu-only's 1.2");
        CapacityReport.write(tmp, List.of(gpuOnly, neo, apex), List.of(), "note");
        List<String> csv = Files.readAllLines(tmp.resolve(CapacityReport.CSV));
        assertTrue(csv.get(0).endsWith(",probes,checked_above,passes_above,monotone,highest_met_req_s"), csv.get(0));
        assertTrue(csv.get(3).endsWith(",15,6,2,false,1.1000"), csv.get(3));
        List<String> summary = Files.readAllLines(tmp.resolve(CapacityReport.SUMMARY_CSV));
        assertTrue(summary.get(0).endsWith(",removed_unservable,non_monotone,verdict_at_highest_met,verdict_depends_on_non_monotone,note"),
                summary.get(0));
        assertTrue(summary.get(1).contains(",ties,true,0,gpu-only (3/6); apex (2/6),loses,true,"), summary.get(1));
    }

    /**
     * Rates judged over several draws: capacity.csv gains the draws and how many met on their own, the summary the
     * draws and the rule, the probes file each draw's p99s; a burst is a draw's peak against a draw's mean completed
     * requests (3 draws of 10: a peak of 5 in one draw is a burst, 4 is not).
     */
    @Test
    void ratesOverSeveralDrawsSayHowManyAndByWhichRule() throws Exception {
        Cell c = cell("cot");
        Row neo = new Row(c, "static-hybrid:neo", false, 0.05, 50, RES, 1.0, false, 1, 1, 30, 0, 0, 0, 30, 4, 15, 6, 0, 1.0, 3, 2);
        Row apex = new Row(c, "apex", true, 0.05, 50, RES, 1.1, false, 1, 1, 30, 0, 0, 0, 30, 5, 15, 6, 0, 1.1, 3, 3);
        assertTrue(!neo.burst() && apex.burst());
        CapacityReport.write(tmp, List.of(neo, apex), List.of(new CapacityReport.Skipped("t4-g4dn.4xlarge", "llama-3.1-8b", "too big")),
                "note", "pooled");
        List<String> csv = Files.readAllLines(tmp.resolve(CapacityReport.CSV));
        assertTrue(csv.get(0).endsWith(",monotone,highest_met_req_s,draws,draws_met"), csv.get(0));
        assertTrue(csv.get(1).endsWith(",30,4,false,15,6,0,true,1.0000,3,2"), csv.get(1));
        List<String> summary = Files.readAllLines(tmp.resolve(CapacityReport.SUMMARY_CSV));
        assertTrue(summary.get(0).endsWith(",note,draws,draw_rule"), summary.get(0));
        assertTrue(summary.get(1).endsWith(",3,pooled"), summary.get(1));
        assertEquals("t4-g4dn.4xlarge,llama-3.1-8b,,,,,,,,,,skipped,,,,,,too big,,", summary.get(2));
        CapacityProbes.write(tmp, List.of(new CapacityProbes.Probe(c, "apex", 1.1, true, true, 900, 99.5, 30, 0, 30, 5, 3, 2,
                List.of(800.0, 950.25, 700.0), List.of(98.0, 101.0, 97.0))));
        List<String> probes = Files.readAllLines(tmp.resolve(CapacityProbes.CSV));
        assertTrue(probes.get(0).endsWith(",peak_concurrent,draws,draws_met,p99_ttft_ms_per_draw,p99_tpot_ms_per_draw"), probes.get(0));
        assertTrue(probes.get(1).endsWith(",1.1000,search,true,900.0,99.5,30,0,30,5,3,2,800.0;950.3;700.0,98.0;101.0;97.0"), probes.get(1));
        // one draw: the files of a matrix without draws
        CapacityProbes.write(tmp, List.of(new CapacityProbes.Probe(c, "apex", 1.1, true, true, 900, 99.5, 10, 0, 10, 5)));
        assertTrue(Files.readAllLines(tmp.resolve(CapacityProbes.CSV)).get(0).endsWith(",requests,peak_concurrent"));
    }

    @Test
    void coloursAreWhiteWithinTheResolutionAndDeepenWithTheGain() {
        Cell c = cell("a");
        assertEquals("#ffffff", CapacityReport.colour(new CapacityReport.Summary(c, "apex", 1.0, "neo", 1.0, 0.0, RES, Verdict.TIES, 0, java.util.Map.of(), List.of(),
                CapacityMonotonicity.monotone(Verdict.TIES))));
        assertEquals("#64c864", CapacityReport.colour(new CapacityReport.Summary(c, "apex", 2.0, "neo", 1.0, 1.0, RES, Verdict.WINS, 0, java.util.Map.of(), List.of(),
                CapacityMonotonicity.monotone(Verdict.WINS))));
        assertEquals("#ff6464", CapacityReport.colour(new CapacityReport.Summary(c, "apex", 0.4, "neo", 1.0, -0.6, RES, Verdict.LOSES, 0, java.util.Map.of(), List.of(),
                CapacityMonotonicity.monotone(Verdict.LOSES))));
    }
}
