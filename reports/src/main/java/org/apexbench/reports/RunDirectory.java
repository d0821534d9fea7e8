package org.apexbench.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.metrics.DurationClock;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.metrics.Summary;

/**
 * The files of a run folder and of a comparison folder, written and read back ({@code apex report --in}).
 *
 * <p>Run folder: requests.csv, iterations.csv, subtasks.csv (the report's timeline window unless all
 * subtasks were asked for), summary.json, vllm-result.json ({@link VllmResultFile}), report.html. Comparison
 * folder: one run folder per engine (named by {@link ReportedRun#slug()}), comparison.csv (one row per engine, in
 * the order run) and one report.html with the engines side by side. Commands write them through a
 * {@link ResultFolder} (complete, with a {@link Manifest}, or absent); {@link #readAny} reads only such folders.
 */
public final class RunDirectory {
    private RunDirectory() {}

    public static final String REQUESTS = "requests.csv";
    public static final String ITERATIONS = "iterations.csv";
    public static final String SUBTASKS = "subtasks.csv";
    public static final String COMPARISON = "comparison.csv";
    /** Metrics in comparison.csv, after the engine column. */
    public static final List<String> COMPARISON_KEYS = List.of("completed", "failed", "duration", "request_throughput",
            "output_throughput", "total_token_throughput", "request_goodput", "mean_ttft_ms", "median_ttft_ms",
            "p99_ttft_ms", "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "p99_itl_ms",
            "mean_e2el_ms", "p99_e2el_ms", "gpu_busy_pct", "cpu_attn_busy_pct", "gpu_stall_pct", "pcie_h2d_gbps",
            "pcie_d2h_gbps", "swap_in_bytes", "swap_out_bytes", "preemptions", "predictor_mape_pct");

    /** Writes the deterministic files of one run (no HTML); returns the folder. */
    public static Path writeData(Path dir, ReportedRun run, boolean allSubtasks) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        CsvFiles.writeRequests(dir.resolve(REQUESTS), run.records().requests());
        CsvFiles.writeIterations(dir.resolve(ITERATIONS), run.records().iterations());
        List<SubtaskRecord> subtasks = run.records().subtasks();
        if (!allSubtasks) {
            Set<Long> window = new HashSet<>(TimelineChart.window(run.records().iterations(), subtasks,
                    HtmlReport.TIMELINE_ITERATIONS));
            subtasks = subtasks.stream().filter(s -> window.contains(s.iteration())).toList();
        }
        CsvFiles.writeSubtasks(dir.resolve(SUBTASKS), subtasks);
        JsonFiles.writeSummary(dir.resolve(JsonFiles.SUMMARY), run);
        return dir;
    }

    /** One run: data files, vllm-result.json dated now, and its own report.html. */
    public static void writeRun(Path dir, ReportedRun run, boolean allSubtasks) {
        writeData(dir, run, allSubtasks);
        VllmResultFile.write(dir.resolve(VllmResultFile.FILE), run, LocalDateTime.now());
        HtmlReport.write(dir.resolve(HtmlReport.FILE), HtmlReport.title(List.of(run)), List.of(run));
    }

    /** Several engines on the same workload: per-engine folders, comparison.csv, one side-by-side report. */
    public static void writeComparison(Path dir, String title, List<ReportedRun> runs, boolean allSubtasks) {
        LocalDateTime date = LocalDateTime.now();
        for (ReportedRun run : runs) {
            writeData(dir.resolve(run.slug()), run, allSubtasks);
            VllmResultFile.write(dir.resolve(run.slug()).resolve(VllmResultFile.FILE), run, date);
        }
        writeComparisonCsv(dir.resolve(COMPARISON), runs);
        HtmlReport.write(dir.resolve(HtmlReport.FILE), title, runs);
    }

    public static void writeComparisonCsv(Path file, List<ReportedRun> runs) {
        List<String> header = new ArrayList<>();
        header.add("engine");
        header.addAll(COMPARISON_KEYS);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new))
                     .setRecordSeparator("\n").get())) {
            for (ReportedRun r : runs) {
                Map<String, Object> m = r.summary().toMap();
                List<String> row = new ArrayList<>();
                row.add(r.label());
                for (String k : COMPARISON_KEYS) row.add(cell(m.get(k)));
                p.printRecord(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static String cell(Object v) {
        if (v == null) return "";
        if (v instanceof Double d) return Num.format(d);
        return String.valueOf(v);
    }

    /**
     * Reads a run folder back, recomputing the metrics from the CSV files with the SLO and duration clock
     * summary.json recorded.
     */
    public static ReportedRun readRun(Path dir) {
        for (String f : List.of(REQUESTS, ITERATIONS, JsonFiles.SUMMARY)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IllegalArgumentException(dir + " is not a run folder: " + f + " is missing");
            }
        }
        Map<String, Object> summary = JsonFiles.read(dir.resolve(JsonFiles.SUMMARY));
        RunRecords records = new RunRecords(CsvFiles.readRequests(dir.resolve(REQUESTS)),
                CsvFiles.readIterations(dir.resolve(ITERATIONS)),
                Files.isRegularFile(dir.resolve(SUBTASKS)) ? CsvFiles.readSubtasks(dir.resolve(SUBTASKS)) : List.of());
        Slo slo = new Slo(number(summary, "slo_ttft_ms"), number(summary, "slo_tpot_ms"), number(summary, "slo_e2el_ms"));
        DurationClock clock = durationClock(dir.resolve(JsonFiles.SUMMARY), summary.get("duration_clock"));
        // a run measured from outside (the openai engine) has no iteration metrics: absent in summary.json, absent again
        Summary s = Metrics.summarize(records.requests(), summary.containsKey("iterations") ? records.iterations() : null, slo, clock);
        Object label = summary.getOrDefault("label", dir.getFileName().toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = summary.get("run_spec") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        return new ReportedRun(String.valueOf(label), s, records, spec,
                VllmSetup.fromSummary(summary, records.requests().size()));
    }

    /**
     * Reads a complete run or comparison folder: its manifest is checked against the files first
     * ({@link Manifest#verify}), then every engine it lists is read, in run order.
     */
    public static List<ReportedRun> readAny(Path dir) {
        Manifest m = Manifest.verify(dir);
        if (!m.kind().equals("run") && !m.kind().equals("comparison")) {
            throw new ResultFolderException(dir + " holds the results of a " + m.kind() + ", not a run or a comparison");
        }
        if (m.engines().isEmpty()) throw new ResultFolderException(dir + "/" + Manifest.FILE + " lists no engine");
        List<ReportedRun> runs = new ArrayList<>();
        for (Manifest.Engine e : m.engines()) runs.add(readRun(dir.resolve(e.folder()).normalize()));
        return runs;
    }

    /** The clock summary.json names; first-arrival for summaries written before the key existed. */
    private static DurationClock durationClock(Path file, Object value) {
        if (value == null) return DurationClock.FIRST_ARRIVAL;
        try {
            return DurationClock.parse(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": duration_clock: " + e.getMessage(), e);
        }
    }

    private static double number(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
