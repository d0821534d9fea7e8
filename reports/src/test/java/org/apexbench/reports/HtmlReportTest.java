package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html: self-contained, with every section the README promises (listed here, not taken from the
 * implementation), the summary table showing each run's own summary values, and each chart drawn from the run's
 * data (series checked against the records, and the page embedding exactly that chart).
 */
class HtmlReportTest {
    @TempDir Path tmp;

    /** What a report for these engines must show: summary, run spec, four charts, and per engine its four views. */
    static List<String> expectedSections(List<String> labels) {
        List<String> ids = new ArrayList<>(List.of("summary", "run-spec", "chart-throughput", "chart-ttft-cdf", "chart-tpot-cdf",
                "chart-itl-cdf"));
        for (String l : labels) {
            String slug = l.replaceAll("[^A-Za-z0-9_-]+", "-");
            ids.addAll(List.of("timeline-" + slug, "kv-" + slug, "strategy-" + slug, "predictor-" + slug));
        }
        return ids;
    }

    static void assertSelfContained(String html, List<String> labels) {
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.trim().endsWith("</html>"));
        for (String id : expectedSections(labels)) {
            assertTrue(html.contains("id=\"" + id + "\""), "section " + id);
        }
        Matcher src = Pattern.compile("<img [^>]*src=\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (src.find()) {
            assertTrue(src.group(1).startsWith("data:image/png;base64,"), "image is a data URI");
            images++;
        }
        // throughput, 3 CDFs, and per engine: 2 timeline views, KV, strategy, predictor
        assertTrue(images >= 4 + 5 * labels.size(), "images: " + images);
        assertFalse(Pattern.compile("(src|href)\\s*=\\s*\"(https?:)?//", Pattern.CASE_INSENSITIVE).matcher(html).find(),
                "no external resources");
        assertFalse(html.toLowerCase().contains("<script"), "no scripts");
        assertFalse(html.toLowerCase().contains("<link"), "no linked stylesheets");
    }

    @Test
    void comparisonReportIsSelfContainedWithEveryChart() throws Exception {
        List<ReportedRun> runs = List.of(SyntheticRun.make("gpu-only", 0.7), SyntheticRun.make("static-hybrid:neo", 1.0),
                SyntheticRun.make("apex", 1.2));
        Path file = tmp.resolve("report.html");
        HtmlReport.write(file, "comparison <test>", runs);
        String html = Files.readString(file);
        assertSelfContained(html, runs.stream().map(ReportedRun::label).toList());
        assertTrue(html.contains("comparison &lt;test&gt;"), "title escaped");
        assertTrue(html.contains("<th>static-hybrid:neo</th>"));
    }

    @Test
    void runWithoutSubtasksOrPredictionsSaysSoInsteadOfDrawing() {
        ReportedRun full = SyntheticRun.make("gpu-only", 1.0);
        var its = full.records().iterations().stream().map(it -> new org.apexbench.profiler.IterationRecord(
                it.iteration(), it.startSec(), it.endSec(), it.strategy(), it.prefillTokens(), it.gpuDecodes(), 0,
                Double.NaN, it.gpuBusySec(), 0, 0, 0, 0, 0, 0, it.gpuKvBlocksUsed(), 0, it.running(), it.waiting())).toList();
        ReportedRun bare = new ReportedRun("gpu-only", org.apexbench.profiler.metrics.Metrics.summarize(
                full.records().requests(), its, org.apexbench.profiler.metrics.Slo.NONE),
                new RunRecords(full.records().requests(), its, List.of()), full.runSpec(), full.setup());
        String html = HtmlReport.render("bare", List.of(bare));
        for (String id : expectedSections(List.of("gpu-only"))) {
            assertTrue(html.contains("id=\"" + id + "\""), id);
        }
        assertTrue(html.contains("no subtask records"));
        assertTrue(html.contains("made no iteration-time predictions"));
    }

    @Test
    void distributionsWithoutValuesShowADashNotVllmsZero() {
        ReportedRun full = SyntheticRun.make("gpu-only", 1.0);
        var oneToken = List.of(new org.apexbench.profiler.RequestRecord("a", 0.0, 5, 1, new double[] {0.2}, 0, 0, null),
                new org.apexbench.profiler.RequestRecord("b", 0.1, 5, 1, new double[] {0.4}, 0, 0, null));
        var summary = org.apexbench.profiler.metrics.Metrics.summarize(oneToken, full.records().iterations(),
                org.apexbench.profiler.metrics.Slo.NONE);
        assertTrue(Double.valueOf(0.0).equals(summary.toMap().get("p99_tpot_ms")), "summary.json: vLLM's 0");
        String html = HtmlReport.render("one token", List.of(new ReportedRun("gpu-only", summary,
                new RunRecords(oneToken, full.records().iterations(), List.of()), full.runSpec(), full.setup())));
        assertTrue(html.contains("<tr><td>p99 TPOT (ms)</td><td>-</td></tr>"), "no TPOT values: a dash");
        assertTrue(html.contains("<tr><td>p99 TTFT (ms)</td><td>"), html);
        assertFalse(html.contains("<tr><td>p99 TTFT (ms)</td><td>-</td></tr>"));
        assertTrue(html.contains("no completed request with more than one output token"), "no ITL CDF to draw");
    }

    /** The summary table's cells, by row label, one per engine column; the header row under "metric". */
    private static Map<String, List<String>> summaryTable(String html) {
        String table = html.substring(html.indexOf("<table id=\"summary\">"));
        table = table.substring(0, table.indexOf("</table>"));
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String tr : table.split("<tr>")) {
            List<String> cells = new ArrayList<>();
            Matcher c = Pattern.compile("<t[dh]>(.*?)</t[dh]>").matcher(tr);
            while (c.find()) cells.add(c.group(1));
            if (!cells.isEmpty()) rows.put(cells.get(0), cells.subList(1, cells.size()));
        }
        return rows;
    }

    /**
     * Each engine's column shows that run's numbers. The synthetic run (SyntheticRun) has 12 completed requests and one
     * failed, 3 preempted (requests 0, 4, 8), 40 iterations cycling GPU-only / async overlap / asymmetric pipelining
     * (14, 13, 13 of them: 35.0 / 32.5 / 32.5 %), one swap-in of 1 MiB, and a prediction 10% above the measured time on
     * every other iteration (MAPE 10.0%); latencies and throughput are the run's own summary, formatted as the page says.
     */
    @Test
    void theSummaryTableShowsEachRunsSummary() {
        List<ReportedRun> runs = List.of(SyntheticRun.make("gpu-only", 0.7), SyntheticRun.make("apex", 1.2));
        Map<String, List<String>> t = summaryTable(HtmlReport.render("values", runs));
        assertEquals(List.of("gpu-only", "apex"), t.get("metric"));
        assertEquals(List.of("12", "12"), t.get("completed requests"));
        assertEquals(List.of("1", "1"), t.get("failed requests"));
        assertEquals(List.of("3", "3"), t.get("preemptions"));
        assertEquals(List.of("40", "40"), t.get("iterations"));
        assertEquals(List.of("35.0", "35.0"), t.get("iterations using GPU_ONLY (%)"));
        assertEquals(List.of("32.5", "32.5"), t.get("iterations using ASYNC_OVERLAP (%)"));
        assertEquals(List.of("32.5", "32.5"), t.get("iterations using ASYMMETRIC_PIPELINE (%)"));
        assertEquals(List.of("1048576", "1048576"), t.get("swap-in bytes"));
        assertEquals(List.of("10.0", "10.0"), t.get("iteration-time predictor MAPE (%)"));
        for (int i = 0; i < runs.size(); i++) {
            var s = runs.get(i).summary();
            assertEquals(String.format(Locale.ROOT, "%.1f", s.outputThroughput()), t.get("output throughput (tok/s)").get(i));
            assertEquals(String.format(Locale.ROOT, "%.3f", s.requestThroughput()), t.get("request throughput (req/s)").get(i));
            assertEquals(String.format(Locale.ROOT, "%.1f", s.ttft().p99Ms()), t.get("p99 TTFT (ms)").get(i));
            assertEquals(String.format(Locale.ROOT, "%.2f", s.tpot().meanMs()), t.get("mean TPOT (ms)").get(i));
            assertEquals(String.format(Locale.ROOT, "%.1f", s.e2el().p99Ms()), t.get("p99 E2EL (ms)").get(i));
            assertEquals(String.format(Locale.ROOT, "%.1f", s.hybrid().gpuBusyPct()), t.get("GPU busy (%)").get(i));
        }
        // the faster engine's column is the faster one (the table is not one run repeated)
        assertTrue(Double.parseDouble(t.get("output throughput (tok/s)").get(1)) > Double.parseDouble(t.get("output throughput (tok/s)").get(0)));
    }

    /**
     * The charts are drawn from the runs' data: throughput bars are the summaries' output throughput, the TTFT CDF's
     * points are the completed requests' TTFTs in order at (i + 0.5) / n, the KV chart is the iterations' pool use, the
     * predictor chart their measured and predicted times; and the page embeds exactly those charts.
     */
    @Test
    void theChartsPlotTheRunsData() {
        List<ReportedRun> runs = List.of(SyntheticRun.make("gpu-only", 0.7), SyntheticRun.make("apex", 1.2));
        String html = HtmlReport.render("charts", runs);
        var throughput = Charts.throughput(runs);
        assertEquals(List.of(runs.get(0).summary().outputThroughput(), runs.get(1).summary().outputThroughput()),
                List.copyOf(throughput.getSeriesMap().get("output tok/s").getYData()));
        assertTrue(html.contains(HtmlReport.png(throughput)), "the page embeds the throughput chart");
        var ttft = Charts.cdf(runs, "ttft", "TTFT CDF");
        for (ReportedRun r : runs) {
            double[] expected = r.records().requests().stream().filter(q -> q.failureReason() == null)
                    .mapToDouble(q -> 1e3 * (q.tokenTimesSec()[0] - q.arrivalSec())).sorted().toArray();
            var series = ttft.getSeriesMap().get(r.label());
            double[] x = series.getXData(), y = series.getYData();
            assertEquals(expected.length + 1, x.length, r.label() + ": one point per completed request and the 100% end");
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], x[i], 1e-9, r.label() + " TTFT " + i);
                assertEquals(100.0 * (i + 0.5) / expected.length, y[i], 1e-9);
            }
            assertEquals(expected[expected.length - 1], x[expected.length]);
            assertEquals(100.0, y[expected.length]);
            var kv = Charts.kvOccupancy(r);
            assertEquals(r.records().iterations().stream().map(it -> (double) it.gpuKvBlocksUsed()).toList(),
                    Arrays.stream(kv.getSeriesMap().get("GPU pool").getYData()).boxed().toList());
            assertEquals(r.records().iterations().stream().map(it -> (double) it.hostKvBlocksUsed()).toList(),
                    Arrays.stream(kv.getSeriesMap().get("host pool").getYData()).boxed().toList());
            var predictor = Charts.predictor(r);
            var predicted = r.records().iterations().stream().filter(it -> Double.isFinite(it.predictedSec())).toList();
            assertEquals(predicted.stream().map(it -> it.predictedSec() * 1e3).toList(),
                    Arrays.stream(predictor.getSeriesMap().get("predicted").getYData()).boxed().toList());
            assertEquals(predicted.stream().map(it -> it.durationSec() * 1e3).toList(),
                    Arrays.stream(predictor.getSeriesMap().get("measured").getYData()).boxed().toList());
            assertTrue(html.contains(HtmlReport.png(kv)) && html.contains(HtmlReport.png(predictor)), r.label() + ": the page embeds its charts");
        }
        assertTrue(html.contains(HtmlReport.png(ttft)), "the page embeds the TTFT CDF");
    }
}
