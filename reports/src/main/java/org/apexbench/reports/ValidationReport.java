package org.apexbench.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/** {@code apex validate}'s files: {@value #CSV} (one row per model and engine) and {@value #HTML} (charts and the table). */
public final class ValidationReport {
    public static final String CSV = "validation.csv";
    public static final String HTML = "validation.html";
    /** The measured profile both runs of a model used, in the model's folder. */
    public static final String PROFILE = "profile.json";
    /** The target of docs/validation.md: throughput and median TPOT within 10% of the real run. */
    public static final double TARGET = 0.10;

    public static final List<String> COLUMNS = List.of("model", "engine", "real_completed", "sim_completed", "real_iterations",
            "sim_iterations", "real_output_throughput", "sim_output_throughput", "output_throughput_error",
            "real_median_tpot_ms", "sim_median_tpot_ms", "median_tpot_error", "real_p99_tpot_ms", "sim_p99_tpot_ms", "p99_tpot_error",
            "real_median_ttft_ms", "sim_median_ttft_ms", "median_ttft_error", "real_gpu_busy_s", "sim_gpu_busy_s", "gpu_busy_error",
            "real_cpu_busy_s", "sim_cpu_busy_s", "cpu_busy_error", "real_unaccounted_s", "sim_unaccounted_s", "real_strategy_mix",
            "sim_strategy_mix", "strategy_mix_distance", "within_target");

    private ValidationReport() { }

    public static void writeCsv(Path file, List<Validation> rows) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(COLUMNS.toArray(String[]::new))
                     .setRecordSeparator("\n").get())) {
            for (Validation v : rows) p.printRecord(values(v));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static List<Object> values(Validation v) {
        Validation.Metrics r = v.real(), s = v.sim();
        List<Object> c = new ArrayList<>();
        c.add(v.model());
        c.add(v.engine());
        c.add(r.completed());
        c.add(s.completed());
        c.add(r.iterations());
        c.add(s.iterations());
        c.add(RunDirectory.cell(r.outputThroughput()));
        c.add(RunDirectory.cell(s.outputThroughput()));
        c.add(RunDirectory.cell(v.throughputError()));
        c.add(RunDirectory.cell(r.medianTpotMs()));
        c.add(RunDirectory.cell(s.medianTpotMs()));
        c.add(RunDirectory.cell(v.medianTpotError()));
        c.add(RunDirectory.cell(r.p99TpotMs()));
        c.add(RunDirectory.cell(s.p99TpotMs()));
        c.add(RunDirectory.cell(v.p99TpotError()));
        c.add(RunDirectory.cell(r.medianTtftMs()));
        c.add(RunDirectory.cell(s.medianTtftMs()));
        c.add(RunDirectory.cell(v.medianTtftError()));
        c.add(RunDirectory.cell(r.gpuBusySec()));
        c.add(RunDirectory.cell(s.gpuBusySec()));
        c.add(RunDirectory.cell(v.gpuBusyError()));
        c.add(RunDirectory.cell(r.cpuBusySec()));
        c.add(RunDirectory.cell(s.cpuBusySec()));
        c.add(RunDirectory.cell(v.cpuBusyError()));
        c.add(RunDirectory.cell(r.unaccountedSec()));
        c.add(RunDirectory.cell(s.unaccountedSec()));
        c.add(mix(r.strategyMix()));
        c.add(mix(s.strategyMix()));
        c.add(RunDirectory.cell(v.strategyDistance()));
        c.add(v.within(TARGET));
        return c;
    }

    private static String mix(Map<String, Double> m) {
        return new java.util.TreeMap<>(m).entrySet().stream()
                .map(e -> e.getKey() + "=" + String.format(Locale.ROOT, "%.3f", e.getValue())).collect(Collectors.joining(";"));
    }

    /** Self-contained HTML: the errors per engine as bar charts (one series per model) and the whole table. */
    public static void writeHtml(Path file, String title, String note, List<Validation> rows) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(HtmlReport.esc(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em}"
                        + "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
                        + "td.miss{background:#fdd}img{max-width:100%}</style></head>\n<body>\n<h1>").append(HtmlReport.esc(title)).append("</h1>\n");
        if (note != null) h.append("<p>").append(HtmlReport.esc(note)).append("</p>\n");
        h.append("<section id=\"chart-throughput-error\">\n").append(HtmlReport.png(chart(rows, "output throughput", true))).append("</section>\n");
        h.append("<section id=\"chart-tpot-error\">\n").append(HtmlReport.png(chart(rows, "median TPOT", false))).append("</section>\n");
        h.append("<table id=\"validation\"><tr>");
        for (String k : COLUMNS) h.append("<th>").append(HtmlReport.esc(k)).append("</th>");
        h.append("</tr>\n");
        for (Validation v : rows) {
            h.append("<tr>");
            List<Object> vals = values(v);
            for (int i = 0; i < vals.size(); i++) {
                String col = COLUMNS.get(i);
                boolean miss = (col.equals("output_throughput_error") || col.equals("median_tpot_error"))
                        && !(Math.abs(col.startsWith("output") ? v.throughputError() : v.medianTpotError()) <= TARGET);
                h.append(miss ? "<td class=\"miss\">" : "<td>").append(HtmlReport.esc(String.valueOf(vals.get(i)))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        try {
            Files.writeString(file, h.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static CategoryChart chart(List<Validation> rows, String metric, boolean throughput) {
        CategoryChart c = new CategoryChartBuilder().width(900).height(380).title("simulated vs real " + metric + ": error (%)")
                .xAxisTitle("engine").yAxisTitle("sim / real - 1 (%)").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        c.getStyler().setXAxisLabelRotation(20);
        List<String> engines = rows.stream().map(Validation::engine).distinct().toList();
        for (String model : rows.stream().map(Validation::model).distinct().toList()) {
            List<Double> y = new ArrayList<>();
            for (String e : engines) {
                double err = rows.stream().filter(v -> v.model().equals(model) && v.engine().equals(e))
                        .mapToDouble(v -> throughput ? v.throughputError() : v.medianTpotError()).findFirst().orElse(Double.NaN);
                y.add(Double.isNaN(err) ? 0 : 100 * err);
            }
            c.addSeries(model, engines, y);
        }
        return c;
    }
}
