package org.apexbench.reports;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apexbench.profiler.fidelity.Fidelity;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * `apex fidelity`'s files: fidelity.csv (one row per comparison: held-out points, MAPE, target), fidelity-points.csv
 * (every held-out point, measured and simulated) and fidelity.html (the table and one measured-vs-simulated chart per
 * comparison).
 */
public final class FidelityReport {
    public static final String SUMMARY_CSV = "fidelity.csv";
    public static final String POINTS_CSV = "fidelity-points.csv";
    public static final String HTML = "fidelity.html";

    private FidelityReport() {}

    public static void write(Path dir, List<Fidelity.Comparison> comparisons, String note) {
        writeSummary(dir.resolve(SUMMARY_CSV), comparisons);
        writePoints(dir.resolve(POINTS_CSV), comparisons);
        writeHtml(dir.resolve(HTML), comparisons, note);
    }

    private static void writeSummary(Path file, List<Fidelity.Comparison> comparisons) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader("comparison", "op", "device", "model", "kernel",
                     "held_out", "hardware_spec", "points", "mape_pct", "max_error_pct", "target_pct", "meets_target")
                     .setRecordSeparator("\n").get())) {
            for (Fidelity.Comparison c : comparisons) {
                p.printRecord(c.id(), c.op(), c.device(), c.model(), c.kernel(), c.heldOut(), c.spec(), c.points().size(),
                        pct(c.mapePct()), pct(c.maxErrorPct()), pct(c.targetPct()), c.meetsTarget());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writePoints(Path file, List<Fidelity.Comparison> comparisons) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader("comparison", "point", "x", "measured_ms",
                     "simulated_ms", "error_pct").setRecordSeparator("\n").get())) {
            for (Fidelity.Comparison c : comparisons) {
                for (Fidelity.Point pt : c.points()) {
                    p.printRecord(c.id(), pt.label(), Num.format(pt.x()), ms(pt.measuredSec()), ms(pt.simulatedSec()), pct(pt.errorPct()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeHtml(Path file, List<Fidelity.Comparison> comparisons, String note) {
        StringBuilder h = TextFiles.page("APEX Bench: GPU cost model vs measured operator profiles (held-out points)",
                "body{font-family:sans-serif;margin:2em;max-width:1000px}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                        + "td.l{text-align:left}.bad{color:#b00;font-weight:bold}img{max-width:100%}", note);
        h.append("<table id=\"fidelity\"><tr><th>comparison</th><th>op</th><th>kernel</th><th>held out</th><th>points</th>"
                + "<th>MAPE %</th><th>max %</th><th>target %</th></tr>\n");
        for (Fidelity.Comparison c : comparisons) {
            h.append("<tr><td class=\"l\"><a href=\"#").append(c.id()).append("\">").append(c.id()).append("</a></td><td class=\"l\">")
                    .append(c.op()).append("</td><td class=\"l\">").append(HtmlReport.esc(c.kernel())).append("</td><td class=\"l\">")
                    .append(HtmlReport.esc(c.heldOut())).append("</td><td>").append(c.points().size()).append("</td><td")
                    .append(c.meetsTarget() ? "" : " class=\"bad\"").append('>').append(pct(c.mapePct())).append("</td><td>")
                    .append(pct(c.maxErrorPct())).append("</td><td>").append(pct(c.targetPct())).append("</td></tr>\n");
        }
        h.append("</table>\n");
        for (Fidelity.Comparison c : comparisons) {
            h.append("<section id=\"").append(c.id()).append("\">\n<h2>").append(HtmlReport.esc(c.id())).append("</h2>\n<p>")
                    .append(HtmlReport.esc(String.format(Locale.ROOT, "%s on %s, %s, %s; model run on %s; held out: %s. MAPE %.1f%% "
                            + "(target %.0f%%).", c.op(), c.device(), c.model(), c.kernel(), c.spec(), c.heldOut(), c.mapePct(),
                            c.targetPct()))).append("</p>\n").append(HtmlReport.png(chart(c))).append("\n</section>\n");
        }
        TextFiles.writePage(file, h);
    }

    /** Measured and simulated time of every held-out point against the comparison's x (log-log). */
    static XYChart chart(Fidelity.Comparison c) {
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT)
                .title(String.format(Locale.ROOT, "%s: measured vs simulated (MAPE %.1f%%)", c.id(), c.mapePct()))
                .xAxisTitle(c.xTitle() + " (log scale)").yAxisTitle("time per layer (ms, log scale)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal)
                .setChartBackgroundColor(Color.WHITE).setMarkerSize(5);
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        double[] x = c.points().stream().mapToDouble(Fidelity.Point::x).toArray();
        chart.addSeries("measured (Vidur)", x, c.points().stream().mapToDouble(p -> p.measuredSec() * 1e3).toArray())
                .setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("simulated", x, c.points().stream().mapToDouble(p -> p.simulatedSec() * 1e3).toArray())
                .setMarker(SeriesMarkers.CROSS);
        return chart;
    }

    private static String ms(double sec) { return String.format(Locale.ROOT, "%.5f", sec * 1e3); }

    private static String pct(double v) { return String.format(Locale.ROOT, "%.2f", v); }
}
