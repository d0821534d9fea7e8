package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir Path tmp;

    static void assertSelfContained(String html, List<String> labels) {
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.trim().endsWith("</html>"));
        for (String id : HtmlReport.requiredSectionIds(labels)) {
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
        for (String id : HtmlReport.requiredSectionIds(List.of("gpu-only"))) {
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
}
