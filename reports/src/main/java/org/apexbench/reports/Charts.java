package org.apexbench.reports;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.VllmRequest;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The XChart charts of a report. Each returns null when the run has no data for it (the page says so). */
final class Charts {
    private Charts() {}

    static final int WIDTH = 900;
    static final int HEIGHT = 420;
    /** Points per series at most: enough for a smooth curve, small enough for a small page. */
    private static final int MAX_POINTS = 1500;

    static CategoryChart throughput(List<ReportedRun> runs) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Output token throughput per engine").xAxisTitle("engine").yAxisTitle("output tokens / s").build();
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLegendVisible(false).setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setYAxisDecimalPattern("#,##0.0");
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (ReportedRun r : runs) {
            names.add(r.label());
            double v = r.summary().outputThroughput();
            values.add(Double.isFinite(v) ? v : 0.0);
        }
        chart.addSeries("output tok/s", names, values);
        return chart;
    }

    /** Per-request latency values (ms) of completed requests; metric "ttft", "tpot" or "e2el". */
    static double[] perRequestMs(List<RequestRecord> requests, String metric) {
        double[] out = new double[requests.size()];
        int n = 0;
        for (RequestRecord r : requests) {
            VllmRequest v = VllmRequest.of(r);
            if (!v.success()) continue;
            switch (metric) {
                case "ttft" -> out[n++] = v.ttft() * 1e3;
                case "e2el" -> out[n++] = v.latency() * 1e3;
                case "tpot" -> {
                    if (v.outputLen() > 1) out[n++] = v.tpot() * 1e3;
                }
                default -> throw new IllegalArgumentException("unknown metric " + metric);
            }
        }
        return Arrays.copyOf(out, n);
    }

    static XYChart cdf(List<ReportedRun> runs, String metric, String title) {
        XYChart chart = xy(title, metric.toUpperCase() + " (ms, log scale)", "requests (%)");
        chart.getStyler().setYAxisDecimalPattern("0");
        boolean any = false;
        double min = Double.POSITIVE_INFINITY;
        for (ReportedRun r : runs) {
            double[] v = perRequestMs(r.records().requests(), metric);
            if (v.length == 0) continue;
            Arrays.sort(v);
            int step = Math.max(1, v.length / MAX_POINTS);
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (int i = 0; i < v.length; i += step) {
                xs.add(v[i]);
                // Hazen plotting position (i + 0.5) / n; it also keeps XChart from treating the equally
                // spaced k/n values as category ticks (one label per request).
                ys.add(100.0 * (i + 0.5) / v.length);
            }
            xs.add(v[v.length - 1]);
            ys.add(100.0);
            min = Math.min(min, v[0]);
            chart.addSeries(r.label(), xs, ys).setMarker(SeriesMarkers.NONE);
            any = true;
        }
        // Engines' latencies differ by orders of magnitude under overload: a log axis keeps all readable.
        if (any && min > 0) {
            chart.getStyler().setXAxisLogarithmic(true);
        } else if (any) {
            chart.setXAxisTitle(metric.toUpperCase() + " (ms)");
        }
        return any ? chart : null;
    }

    /**
     * CDF of the pooled inter-token latencies of completed requests, one series per engine, read from an
     * HdrHistogram (microseconds, 3 significant digits): ITL has one sample per output token, the largest
     * sample set of a run, and a plot needs no more resolution than the histogram keeps. The summary's ITL
     * statistics are exact (numpy's estimators), not these.
     */
    static XYChart itlCdf(List<ReportedRun> runs) {
        XYChart chart = xy("ITL CDF (pooled token gaps)", "ITL (ms, log scale)", "token gaps (%)");
        chart.getStyler().setYAxisDecimalPattern("0");
        boolean any = false;
        double min = Double.POSITIVE_INFINITY;
        for (ReportedRun r : runs) {
            Histogram h = new Histogram(3);
            for (RequestRecord q : r.records().requests()) {
                VllmRequest v = VllmRequest.of(q);
                if (!v.success()) continue;
                for (double gap : v.itl()) h.recordValue(Math.round(gap * 1e6));
            }
            if (h.getTotalCount() == 0) continue;
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (HistogramIterationValue v : h.recordedValues()) {
                xs.add(h.highestEquivalentValue(v.getValueIteratedTo()) / 1e3);
                ys.add(v.getPercentile());
            }
            int step = Math.max(1, xs.size() / MAX_POINTS);
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (int i = 0; i < xs.size(); i += step) {
                x.add(xs.get(i));
                y.add(ys.get(i));
            }
            x.add(xs.get(xs.size() - 1));
            y.add(100.0);
            min = Math.min(min, xs.get(0));
            chart.addSeries(r.label(), x, y).setMarker(SeriesMarkers.NONE);
            any = true;
        }
        if (any && min > 0) {
            chart.getStyler().setXAxisLogarithmic(true);
        } else if (any) {
            chart.setXAxisTitle("ITL (ms)");
        }
        return any ? chart : null;
    }

    static XYChart kvOccupancy(ReportedRun run) {
        List<IterationRecord> its = run.records().iterations();
        if (its.isEmpty()) return null;
        XYChart chart = xy("KV blocks in use, " + run.label(), "time (s)", "KV blocks");
        int step = Math.max(1, its.size() / MAX_POINTS);
        List<Double> t = new ArrayList<>(), gpu = new ArrayList<>(), host = new ArrayList<>();
        for (int i = 0; i < its.size(); i += step) {
            IterationRecord it = its.get(i);
            t.add(it.endSec());
            gpu.add((double) it.gpuKvBlocksUsed());
            host.add((double) it.hostKvBlocksUsed());
        }
        chart.addSeries("GPU pool", t, gpu).setMarker(SeriesMarkers.NONE);
        chart.addSeries("host pool", t, host).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    /** One marker series per strategy: x = when the iteration started, y = how long it took. */
    static XYChart strategy(ReportedRun run) {
        List<IterationRecord> its = run.records().iterations();
        if (its.isEmpty()) return null;
        XYChart chart = xy("Strategy per iteration, " + run.label() + " (y: iteration time)", "time (s)",
                "iteration time (ms)");
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter).setMarkerSize(4);
        Map<String, List<double[]>> byStrategy = new TreeMap<>();
        int step = Math.max(1, its.size() / (2 * MAX_POINTS));
        for (int i = 0; i < its.size(); i += step) {
            IterationRecord it = its.get(i);
            byStrategy.computeIfAbsent(it.strategy(), k -> new ArrayList<>())
                    .add(new double[] {it.startSec(), it.durationSec() * 1e3});
        }
        byStrategy.forEach((name, points) -> chart.addSeries(name + " (" + percent(run, name) + ")",
                points.stream().map(p -> p[0]).toList(), points.stream().map(p -> p[1]).toList()));
        return chart;
    }

    private static String percent(ReportedRun run, String strategy) {
        Double f = run.summary().hybrid().strategyMix().get(strategy);
        return f == null ? "?" : String.format(java.util.Locale.ROOT, "%.1f%%", 100 * f);
    }

    /** Predicted and measured duration of every iteration that carried a prediction. */
    static XYChart predictor(ReportedRun run) {
        List<IterationRecord> its = run.records().iterations().stream()
                .filter(it -> Double.isFinite(it.predictedSec())).toList();
        if (its.isEmpty()) return null;
        XYChart chart = xy(String.format(java.util.Locale.ROOT, "Predicted vs measured iteration time, %s (MAPE %.1f%%)",
                run.label(), run.summary().hybrid().predictorMapePct()), "iteration", "time (ms)");
        int step = Math.max(1, its.size() / MAX_POINTS);
        List<Double> x = new ArrayList<>(), measured = new ArrayList<>(), predicted = new ArrayList<>();
        for (int i = 0; i < its.size(); i += step) {
            IterationRecord it = its.get(i);
            x.add((double) it.iteration());
            measured.add(it.durationSec() * 1e3);
            predicted.add(it.predictedSec() * 1e3);
        }
        chart.addSeries("measured", x, measured).setMarker(SeriesMarkers.NONE);
        chart.addSeries("predicted", x, predicted).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    /** Load-latency curve of a sweep: one series per engine per metric. */
    static XYChart loadLatency(Map<String, double[][]> seriesByName, String xTitle, String yTitle) {
        XYChart chart = xy("Load vs latency", xTitle, yTitle);
        seriesByName.forEach((name, xy) -> chart.addSeries(name, xy[0], xy[1]));
        return chart;
    }

    private static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal)
                .setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setXAxisDecimalPattern("#,##0.###").setYAxisDecimalPattern("#,##0.###");
        return chart;
    }
}
