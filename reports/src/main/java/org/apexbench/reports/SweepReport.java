package org.apexbench.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apexbench.profiler.metrics.Summary;

/**
 * A load sweep: one point per (engine, parameter value). Writes sweep.csv (the load-latency curve, one row
 * per point in run order) and sweep.html (throughput, p99 TTFT and p99 TPOT against the parameter, one
 * series per engine, plus the table).
 */
public final class SweepReport {
    private SweepReport() {}

    /** One run of the sweep. */
    public record Point(String engine, double value, Summary summary) {}

    public static final List<String> KEYS = List.of("completed", "failed", "request_throughput", "output_throughput",
            "request_goodput", "median_ttft_ms", "p99_ttft_ms", "median_tpot_ms", "p99_tpot_ms", "p99_itl_ms",
            "p99_e2el_ms", "gpu_busy_pct", "cpu_attn_busy_pct");

    public static void writeCsv(Path file, String parameter, List<Point> points) {
        List<String> header = new ArrayList<>(List.of("engine", parameter));
        header.addAll(KEYS);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new))
                     .setRecordSeparator("\n").get())) {
            for (Point pt : points) {
                Map<String, Object> m = pt.summary().toMap();
                List<String> row = new ArrayList<>(List.of(pt.engine(), Num.format(pt.value())));
                for (String k : KEYS) row.add(RunDirectory.cell(m.get(k)));
                p.printRecord(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * One engine's result of a max-rate search: the highest rate that met the SLOs and its p99 TTFT/TPOT, or
     * all null when even the lowest rate missed them.
     */
    public record MaxRate(String engine, Double rate, Double p99TtftMs, Double p99TpotMs) {}

    /** {@code engine,max_rate,p99_ttft_ms,p99_tpot_ms}, one row per engine; empty cells where no rate met the SLOs. */
    public static void writeMaxRateCsv(Path file, List<MaxRate> rows) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder()
                     .setHeader("engine", "max_rate", "p99_ttft_ms", "p99_tpot_ms").setRecordSeparator("\n").get())) {
            for (MaxRate r : rows) p.printRecord(r.engine(), RunDirectory.cell(r.rate()), RunDirectory.cell(r.p99TtftMs()),
                    RunDirectory.cell(r.p99TpotMs()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public static void writeHtml(Path file, String title, String parameter, List<Point> points, String note) {
        StringBuilder h = TextFiles.page(title, "body{font-family:sans-serif;margin:2em;max-width:1000px}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                + "img{max-width:100%}", note);
        chart(h, "chart-sweep-throughput", points, parameter, "output_throughput", "output tokens / s");
        chart(h, "chart-sweep-ttft", points, parameter, "p99_ttft_ms", "p99 TTFT (ms)");
        chart(h, "chart-sweep-tpot", points, parameter, "p99_tpot_ms", "p99 TPOT (ms)");
        h.append("<table id=\"sweep\"><tr><th>engine</th><th>").append(HtmlReport.esc(parameter)).append("</th>");
        for (String k : KEYS) h.append("<th>").append(HtmlReport.esc(k)).append("</th>");
        h.append("</tr>\n");
        for (Point pt : points) {
            Map<String, Object> m = pt.summary().toMap();
            h.append("<tr><td>").append(HtmlReport.esc(pt.engine())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.4g", pt.value())).append("</td>");
            for (String k : KEYS) {
                h.append("<td>").append(m.get(k) instanceof Number n ? String.format(Locale.ROOT, "%.4g", n.doubleValue()) : "-")
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        TextFiles.writePage(file, h);
    }

    private static void chart(StringBuilder h, String id, List<Point> points, String parameter, String key, String yTitle) {
        Map<String, List<double[]>> byEngine = new LinkedHashMap<>();
        for (Point pt : points) {
            Object v = pt.summary().toMap().get(key);
            if (v instanceof Number n) byEngine.computeIfAbsent(pt.engine(), k -> new ArrayList<>()).add(new double[] {pt.value(), n.doubleValue()});
        }
        h.append("<section id=\"").append(id).append("\">\n");
        if (byEngine.isEmpty()) {
            h.append("<p>no data for ").append(HtmlReport.esc(key)).append("</p>\n");
        } else {
            Map<String, double[][]> series = new LinkedHashMap<>();
            byEngine.forEach((engine, pts) -> {
                pts.sort(java.util.Comparator.comparingDouble(p -> p[0]));
                double[][] xy = new double[2][pts.size()];
                for (int i = 0; i < pts.size(); i++) {
                    xy[0][i] = pts.get(i)[0];
                    xy[1][i] = pts.get(i)[1];
                }
                series.put(engine, xy);
            });
            var chart = Charts.loadLatency(series, parameter, yTitle);
            chart.setTitle(yTitle + " vs " + parameter);
            h.append(HtmlReport.png(chart));
        }
        h.append("</section>\n");
    }
}
