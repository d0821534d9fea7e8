package org.apexbench.reports;

import java.awt.Color;
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
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * `apex reproduce neo`'s files: neo.csv (every published point beside its simulated value and the error) and neo.html
 * (a table per experiment and one published-vs-simulated chart per experiment).
 */
public final class NeoReport {
    public static final String CSV = "neo.csv";
    public static final String HTML = "neo.html";

    private NeoReport() {}

    /**
     * One published point and its simulated value.
     *
     * @param experiment  e.g. {@code t4-load-latency}
     * @param series      the curve: an engine or an instance
     * @param x           the x value (request rate, output length)
     * @param published   the published value; a lower bound when {@code lowerBound} (an off-chart point)
     * @param uncertainty the published value's digitisation uncertainty (same unit), NaN if none
     * @param simulated   the simulator's value
     * @param targetPct   the largest acceptable |error|, percent
     */
    public record Point(String experiment, String series, double x, double published, boolean lowerBound, double uncertainty,
                        double simulated, double targetPct) {
        /** (simulated - published) / published, percent; 0 for a lower bound the simulation exceeds. */
        public double errorPct() {
            if (lowerBound && simulated >= published) return 0;
            return 100 * (simulated - published) / published;
        }

        public boolean meetsTarget() { return Math.abs(errorPct()) <= targetPct; }
    }

    /** How one experiment is shown: its title, axes and what it measured. */
    public record Experiment(String id, String title, String xTitle, String yTitle, String description) {}

    public static void write(Path dir, List<Experiment> experiments, List<Point> points, String note) {
        writeCsv(dir.resolve(CSV), points);
        writeHtml(dir.resolve(HTML), experiments, points, note);
    }

    private static void writeCsv(Path file, List<Point> points) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader("experiment", "series", "x", "published",
                     "published_is_lower_bound", "uncertainty", "simulated", "error_pct", "target_pct", "meets_target")
                     .setRecordSeparator("\n").get())) {
            for (Point pt : points) {
                p.printRecord(pt.experiment(), pt.series(), Num.format(pt.x()), num(pt.published()), pt.lowerBound(),
                        Double.isNaN(pt.uncertainty()) ? "" : num(pt.uncertainty()), num(pt.simulated()), pct(pt.errorPct()),
                        pct(pt.targetPct()), pt.meetsTarget());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeHtml(Path file, List<Experiment> experiments, List<Point> points, String note) {
        StringBuilder h = TextFiles.page("APEX Bench: NEO's published experiments reproduced in the simulator",
                "body{font-family:sans-serif;margin:2em;max-width:1000px}"
                        + "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                        + "td.l{text-align:left}.bad{color:#b00;font-weight:bold}img{max-width:100%}", note);
        for (Experiment e : experiments) {
            List<Point> mine = points.stream().filter(p -> p.experiment().equals(e.id())).toList();
            long met = mine.stream().filter(Point::meetsTarget).count();
            h.append("<section id=\"").append(e.id()).append("\">\n<h2>").append(HtmlReport.esc(e.title())).append("</h2>\n<p>")
                    .append(HtmlReport.esc(e.description())).append(' ')
                    .append(HtmlReport.esc(String.format(Locale.ROOT, "%d of %d points within target.", met, mine.size())))
                    .append("</p>\n<table><tr><th>series</th><th>").append(HtmlReport.esc(e.xTitle())).append("</th><th>published</th>"
                            + "<th>simulated</th><th>error %</th><th>target %</th></tr>\n");
            for (Point p : mine) {
                h.append("<tr><td class=\"l\">").append(HtmlReport.esc(p.series())).append("</td><td>").append(Num.format(p.x()))
                        .append("</td><td>").append(p.lowerBound() ? "&gt;" : "").append(num(p.published())).append("</td><td>")
                        .append(num(p.simulated())).append("</td><td").append(p.meetsTarget() ? "" : " class=\"bad\"").append('>')
                        .append(pct(p.errorPct())).append("</td><td>").append(pct(p.targetPct())).append("</td></tr>\n");
            }
            h.append("</table>\n").append(HtmlReport.png(chart(e, mine))).append("\n</section>\n");
        }
        TextFiles.writePage(file, h);
    }

    /** Each series published (markers with a line) and simulated (dashed) against x. Lower bounds are left out. */
    static XYChart chart(Experiment e, List<Point> points) {
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).title(e.title())
                .xAxisTitle(e.xTitle()).yAxisTitle(e.yTitle()).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setLegendLayout(Styler.LegendLayout.Vertical)
                .setChartBackgroundColor(Color.WHITE).setMarkerSize(6);
        Map<String, List<Point>> bySeries = new LinkedHashMap<>();
        for (Point p : points) if (!p.lowerBound()) bySeries.computeIfAbsent(p.series(), k -> new ArrayList<>()).add(p);
        Color[] palette = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
                new Color(0x9467bd), new Color(0x8c564b)};
        int i = 0;
        for (var s : bySeries.entrySet()) {
            Color c = palette[i++ % palette.length];
            double[] x = s.getValue().stream().mapToDouble(Point::x).toArray();
            XYSeries pub = chart.addSeries(s.getKey() + " published", x, s.getValue().stream().mapToDouble(Point::published).toArray());
            pub.setMarker(SeriesMarkers.CIRCLE);
            pub.setMarkerColor(c);
            pub.setLineColor(c);
            XYSeries sim = chart.addSeries(s.getKey() + " simulated", x, s.getValue().stream().mapToDouble(Point::simulated).toArray());
            sim.setMarker(SeriesMarkers.CROSS);
            sim.setMarkerColor(c);
            sim.setLineColor(c);
            sim.setLineStyle(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f));
        }
        return chart;
    }

    private static String num(double v) { return String.format(Locale.ROOT, "%.4f", v); }

    private static String pct(double v) { return String.format(Locale.ROOT, "%.2f", v); }
}
