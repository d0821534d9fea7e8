package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
    @TempDir Path tmp;

    @Test
    void sameInputGivesByteIdenticalFilesInAnyLocale() throws Exception {
        ReportedRun run = SyntheticRun.make("apex", 1.0);
        Locale saved = Locale.getDefault();
        try {
            RunDirectory.writeData(tmp.resolve("a"), run, true);
            Locale.setDefault(Locale.GERMANY); // decimal comma: must not leak into files
            RunDirectory.writeData(tmp.resolve("b"), SyntheticRun.make("apex", 1.0), true);
        } finally {
            Locale.setDefault(saved);
        }
        for (String f : List.of("requests.csv", "iterations.csv", "subtasks.csv", "summary.json")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        }
        String csv = Files.readString(tmp.resolve("a/iterations.csv"));
        assertFalse(csv.contains("E-") || csv.contains("\r"), "no exponents, no CR line ends");
    }

    @Test
    void runFolderReadsBackToTheSameRecordsAndMetrics() {
        ReportedRun run = SyntheticRun.make("static-hybrid:neo", 1.0);
        RunDirectory.writeData(tmp, run, true);
        ReportedRun back = RunDirectory.readRun(tmp);
        assertEquals(run.records(), back.records());
        assertEquals(run.summary().toMap(), back.summary().toMap());
        assertEquals("static-hybrid:neo", back.label());
        assertEquals(7, back.runSpec().get("seed"));
    }

    @Test
    void readingBackKeepsTheDurationClockAndNamesABadOne() throws Exception {
        ReportedRun made = SyntheticRun.make("apex", 1.0);
        var origin = org.apexbench.profiler.metrics.Metrics.summarize(made.records().requests(), made.records().iterations(),
                made.summary().slo(), org.apexbench.profiler.metrics.DurationClock.SCHEDULE_ORIGIN);
        ReportedRun run = new ReportedRun(made.label(), origin, made.records(), made.runSpec(), made.setup());
        RunDirectory.writeData(tmp, run, false);
        ReportedRun back = RunDirectory.readRun(tmp);
        assertEquals(origin.toMap(), back.summary().toMap());
        assertEquals(made.setup(), back.setup());
        Path summary = tmp.resolve("summary.json");
        Files.writeString(summary, Files.readString(summary).replace("\"schedule-origin\"", "\"sundial\""));
        var e = assertThrows(IllegalArgumentException.class, () -> RunDirectory.readRun(tmp));
        assertTrue(e.getMessage().contains("summary.json: duration_clock") && e.getMessage().contains("sundial"),
                e.getMessage());
    }

    @Test
    void summaryJsonHasSortedVllmKeysAndRunSpec() throws Exception {
        ReportedRun run = SyntheticRun.make("apex", 1.0);
        RunDirectory.writeData(tmp, run, false);
        Map<String, Object> doc = JsonFiles.read(tmp.resolve("summary.json"));
        assertEquals(12, doc.get("completed"));
        assertEquals(1, doc.get("failed"));
        assertTrue(doc.get("p99_tpot_ms") instanceof Number);
        assertTrue(doc.get("run_spec") instanceof Map);
        String text = Files.readString(tmp.resolve("summary.json"));
        assertTrue(text.indexOf("\"completed\"") < text.indexOf("\"failed\"")
                && text.indexOf("\"failed\"") < text.indexOf("\"mean_ttft_ms\""), "keys sorted");
    }

    @Test
    void subtasksCsvKeepsOnlyTheTimelineWindowByDefault() {
        ReportedRun run = SyntheticRun.make("apex", 1.0);
        RunDirectory.writeData(tmp, run, false);
        var subs = CsvFiles.readSubtasks(tmp.resolve("subtasks.csv"));
        assertEquals(HtmlReport.TIMELINE_ITERATIONS, subs.stream().map(s -> s.iteration()).distinct().count());
    }

    @Test
    void comparisonFolderHasEngineFoldersCsvAndReportAndReadsBackInOrder() throws Exception {
        List<ReportedRun> runs = List.of(SyntheticRun.make("gpu-only", 0.7), SyntheticRun.make("apex", 1.2));
        RunDirectory.writeComparison(tmp, "cmp", runs, false);
        assertTrue(Files.isRegularFile(tmp.resolve("gpu-only/summary.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("apex/requests.csv")));
        List<String> csv = Files.readAllLines(tmp.resolve("comparison.csv"));
        assertEquals(3, csv.size());
        assertTrue(csv.get(1).startsWith("gpu-only,"));
        var e = assertThrows(ResultFolderException.class, () -> RunDirectory.readAny(tmp));
        assertTrue(e.getMessage().contains("manifest.json is missing"), "written but never committed: " + e.getMessage());
        Manifest.describe(tmp, "comparison", List.of(), runs.stream().map(r -> new Manifest.Engine(r.label(), r.slug(), r.runSpec()))
                .toList()).write(tmp);
        List<ReportedRun> back = RunDirectory.readAny(tmp);
        assertEquals(List.of("gpu-only", "apex"), back.stream().map(ReportedRun::label).toList(), "in the manifest's run order");
    }

    @Test
    void badCsvNamesFileLineAndColumn() throws Exception {
        ReportedRun run = SyntheticRun.make("apex", 1.0);
        RunDirectory.writeData(tmp, run, false);
        Path it = tmp.resolve("iterations.csv");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(it));
        lines.set(2, lines.get(2).replaceFirst(",[0-9.]+,", ",zero,"));
        Files.write(it, lines);
        var e = assertThrows(IllegalArgumentException.class, () -> CsvFiles.readIterations(it));
        assertTrue(e.getMessage().contains("iterations.csv line 3 column start_s") && e.getMessage().contains("zero"),
                e.getMessage());
        Files.writeString(it, "iteration,start\n1,2\n");
        e = assertThrows(IllegalArgumentException.class, () -> CsvFiles.readIterations(it));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
        Path empty = tmp.resolve("nothing");
        Files.createDirectories(empty);
        e = assertThrows(ResultFolderException.class, () -> RunDirectory.readAny(empty));
        assertTrue(e.getMessage().contains("not a complete result folder"), e.getMessage());
    }

    @Test
    void numbersAvoidExponentsAndRoundTrip() {
        for (double v : new double[] {1e-7, 0.00012345, 1.0, 123456789.125, 3.0e10, -2.5e-5}) {
            String s = Num.format(v);
            assertFalse(s.contains("E"), s);
            assertEquals(v, Double.parseDouble(s));
        }
        assertEquals("", Num.format(Double.NaN));
    }

    @Test
    void progressLineShowsDoneRateAndEta() {
        assertEquals("apex: 50/200 requests (25%), 10.00 requests/s, ETA 15 s",
                ProgressReporter.line("apex", "requests", 50, 200, 5.0));
        var buf = new java.io.ByteArrayOutputStream();
        long[] now = {0};
        var p = new ProgressReporter(new java.io.PrintWriter(buf, true), "x", "requests", 1.0, () -> now[0]);
        p.update(1, 10);
        assertEquals("", buf.toString(), "nothing before the first interval");
        now[0] = 2_000_000_000L;
        p.update(5, 10);
        assertTrue(buf.toString().startsWith("x: 5/10 requests (50%), 2.50 requests/s"), buf.toString());
    }
}
