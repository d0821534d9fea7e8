package org.apexbench.reports;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Rejections;
import org.apexbench.profiler.SubtaskRecord;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * report.html: one self-contained file (charts are base64 PNG data: URIs, CSS inline, no scripts, no
 * network) for one engine or several side by side. Sections carry fixed ids so tests and readers can find
 * them: {@code summary}, {@code chart-throughput}, {@code chart-ttft-cdf}, {@code chart-tpot-cdf},
 * {@code chart-itl-cdf}, and per
 * engine {@code timeline-<engine>}, {@code kv-<engine>}, {@code strategy-<engine>}, {@code predictor-<engine>}.
 */
public final class HtmlReport {
    private HtmlReport() {}

    public static final String FILE = "report.html";
    /** Iterations drawn in the timeline. */
    public static final int TIMELINE_ITERATIONS = 2;
    /** Layers drawn in the timeline's zoomed view. */
    private static final int ZOOM_LAYERS = 3;

    /** Rows of the summary table: key in Summary.toMap(), label, format. */
    private static final String[][] ROWS = {
            {"completed", "completed requests", "%.0f"}, {"failed", "failed requests", "%.0f"},
            {"duration", "duration (s)", "%.3f"}, {"request_throughput", "request throughput (req/s)", "%.3f"},
            {"output_throughput", "output throughput (tok/s)", "%.1f"},
            {"total_token_throughput", "total token throughput (tok/s)", "%.1f"},
            {"request_goodput", "request goodput (req/s)", "%.3f"},
            {"mean_ttft_ms", "mean TTFT (ms)", "%.1f"}, {"median_ttft_ms", "median TTFT (ms)", "%.1f"},
            {"p90_ttft_ms", "p90 TTFT (ms)", "%.1f"}, {"p99_ttft_ms", "p99 TTFT (ms)", "%.1f"},
            {"mean_tpot_ms", "mean TPOT (ms)", "%.2f"}, {"median_tpot_ms", "median TPOT (ms)", "%.2f"},
            {"p90_tpot_ms", "p90 TPOT (ms)", "%.2f"}, {"p99_tpot_ms", "p99 TPOT (ms)", "%.2f"},
            {"mean_itl_ms", "mean ITL (ms)", "%.2f"}, {"p99_itl_ms", "p99 ITL (ms)", "%.2f"},
            {"mean_e2el_ms", "mean E2EL (ms)", "%.1f"}, {"p99_e2el_ms", "p99 E2EL (ms)", "%.1f"},
            {"iterations", "iterations", "%.0f"}, {"preemptions", "preemptions", "%.0f"},
            {"gpu_busy_pct", "GPU busy (%)", "%.1f"}, {"cpu_attn_busy_pct", "CPU attention busy (%)", "%.1f"},
            {"gpu_stall_pct", "GPU stalled on CPU (%)", "%.2f"}, {"cpu_decode_fraction", "decode rows on CPU", "%.3f"},
            {"pcie_h2d_gbps", "PCIe H2D (GB/s)", "%.3f"}, {"pcie_d2h_gbps", "PCIe D2H (GB/s)", "%.3f"},
            {"swap_in_bytes", "swap-in bytes", "%.0f"}, {"swap_out_bytes", "swap-out bytes", "%.0f"},
            {"max_gpu_kv_blocks", "peak GPU KV blocks", "%.0f"}, {"max_host_kv_blocks", "peak host KV blocks", "%.0f"},
            {"predictor_mape_pct", "iteration-time predictor MAPE (%)", "%.1f"}};

    public static void write(Path file, String title, List<ReportedRun> runs) {
        TextFiles.write(file, render(title, runs));
    }

    public static String render(String title, List<ReportedRun> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("a report needs at least one engine run");
        StringBuilder h = new StringBuilder(1 << 20);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1000px}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
                        + "th:first-child,td:first-child{text-align:left}img{max-width:100%}"
                        + "#run-spec{table-layout:fixed;width:100%}#run-spec td{word-break:break-word;font-size:85%}"
                        + ".note{color:#666;font-style:italic}</style></head>\n<body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n");
        h.append("<p class=\"note\">Metrics follow vLLM's benchmark definitions (TTFT; TPOT = (E2EL - TTFT)/(n - 1) per "
                + "request, one-token outputs excluded; ITL pooled over all token gaps), with its estimators: numpy's mean, "
                + "population std, median and linear-interpolation percentiles over the exact values. Throughput is over "
                + "the duration from " + clocks(runs) + " to the last request's return. The ITL CDF is drawn from an "
                + "HdrHistogram (3 significant digits). Hybrid percentages are of the time the engine was iterating.</p>\n");
        summaryTable(h, runs);
        runSpecs(h, runs);
        h.append("<h2>Throughput and latency</h2>\n");
        section(h, "chart-throughput", "Throughput", png(Charts.throughput(runs)), null);
        section(h, "chart-ttft-cdf", "TTFT CDF", png(Charts.cdf(runs, "ttft", "TTFT CDF")), "no completed requests");
        section(h, "chart-tpot-cdf", "TPOT CDF", png(Charts.cdf(runs, "tpot", "TPOT CDF")),
                "no completed request with more than one output token");
        section(h, "chart-itl-cdf", "ITL CDF", png(Charts.itlCdf(runs)), "no completed request with more than one output token");
        for (ReportedRun run : runs) {
            h.append("<h2>Engine ").append(esc(run.label())).append("</h2>\n");
            if (run.summary().hybrid() == null) {
                // a server measured from outside: its iterations, pools and strategies are not visible to us
                String note = "measured from outside through the OpenAI API: the server's iterations are not visible";
                section(h, "timeline-" + run.slug(), "GPU and CPU activity", null, note);
                section(h, "kv-" + run.slug(), "KV occupancy of both pools", null, note);
                section(h, "strategy-" + run.slug(), "Dispatch strategy over time", null, note);
                section(h, "predictor-" + run.slug(), "Predicted vs measured iteration time", null, note);
                continue;
            }
            timeline(h, run);
            section(h, "kv-" + run.slug(), "KV occupancy of both pools", png(Charts.kvOccupancy(run)), "no iterations");
            section(h, "strategy-" + run.slug(), "Dispatch strategy over time", png(Charts.strategy(run)), "no iterations");
            section(h, "predictor-" + run.slug(), "Predicted vs measured iteration time", png(Charts.predictor(run)),
                    "this engine made no iteration-time predictions");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    /**
     * The iterations the timeline of a run with these iteration records draws, as [first, last + 1): a run records
     * subtasks for exactly these ({@link TimelineWindow} picks them while the run goes).
     */
    public static long[] timelineWindow(List<IterationRecord> iterations) {
        TimelineWindow w = new TimelineWindow();
        for (IterationRecord it : iterations) w.observe(it);
        return w.window();
    }

    /** "APEX Bench: a vs b on HARDWARE + MODEL (BACKEND)", from the engines' labels and the first run spec. */
    public static String title(List<ReportedRun> runs) {
        StringBuilder t = new StringBuilder("APEX Bench: ");
        t.append(String.join(" vs ", runs.stream().map(ReportedRun::label).toList()));
        Map<String, Object> spec = runs.get(0).runSpec();
        if (spec.get("hardware") != null && spec.get("model") != null) {
            t.append(" on ").append(spec.get("hardware")).append(" + ").append(spec.get("model"));
        }
        if (spec.get("backend") != null) t.append(" (").append(spec.get("backend")).append(")");
        return t.toString();
    }

    private static void summaryTable(StringBuilder h, List<ReportedRun> runs) {
        h.append("<h2>Summary</h2>\n<table id=\"summary\"><tr><th>metric</th>");
        List<Map<String, Object>> maps = new ArrayList<>();
        for (ReportedRun r : runs) {
            h.append("<th>").append(esc(r.label())).append("</th>");
            maps.add(r.summary().toMap());
        }
        h.append("</tr>\n");
        for (String[] row : ROWS) {
            h.append("<tr><td>").append(esc(row[1])).append("</td>");
            for (Map<String, Object> m : maps) {
                Object v = noSamples(m, row[0]) ? null : m.get(row[0]);
                h.append("<td>").append(v instanceof Number n ? String.format(Locale.ROOT, row[2], n.doubleValue()) : "-")
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        java.util.TreeSet<String> strategies = new java.util.TreeSet<>();
        for (ReportedRun r : runs) {
            if (r.summary().hybrid() != null) strategies.addAll(r.summary().hybrid().strategyMix().keySet());
        }
        for (String s : strategies) {
            h.append("<tr><td>iterations using ").append(esc(s)).append(" (%)</td>");
            for (ReportedRun r : runs) {
                Double f = r.summary().hybrid() == null ? null : r.summary().hybrid().strategyMix().get(s);
                h.append("<td>").append(f == null ? "-" : String.format(Locale.ROOT, "%.1f", 100 * f)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        for (ReportedRun r : runs) {
            String rejected = Rejections.describe(r.records().requests());
            if (rejected != null) {
                h.append("<p class=\"rejections\" id=\"rejected-").append(r.slug()).append("\">").append(esc(r.label()))
                        .append(": ").append(esc(rejected)).append("</p>\n");
            }
        }
    }

    /** Whether {@code key} is a statistic of a latency distribution that has no values (vLLM writes 0 for it). */
    private static boolean noSamples(Map<String, Object> m, String key) {
        java.util.regex.Matcher x = java.util.regex.Pattern.compile("[a-z0-9]+_(ttft|tpot|itl|e2el)_ms").matcher(key);
        return x.matches() && m.get("count_" + x.group(1)) instanceof Number n && n.longValue() == 0;
    }

    /** "the first arrival" / "the schedule origin", or both with their engines when the runs differ. */
    private static String clocks(List<ReportedRun> runs) {
        Map<String, List<String>> byClock = new java.util.TreeMap<>();
        for (ReportedRun r : runs) {
            String c = r.summary().durationClock() == org.apexbench.profiler.metrics.DurationClock.FIRST_ARRIVAL
                    ? "the first arrival" : "the schedule origin (t = 0)";
            byClock.computeIfAbsent(c, k -> new ArrayList<>()).add(r.label());
        }
        if (byClock.size() == 1) return byClock.keySet().iterator().next();
        List<String> parts = new ArrayList<>();
        byClock.forEach((c, labels) -> parts.add(c + " (" + String.join(", ", labels) + ")"));
        return String.join(" or ", parts);
    }

    private static void runSpecs(StringBuilder h, List<ReportedRun> runs) {
        h.append("<h2>Run specification</h2>\n<table id=\"run-spec\"><tr><th>key</th>");
        java.util.TreeSet<String> keys = new java.util.TreeSet<>();
        for (ReportedRun r : runs) {
            h.append("<th>").append(esc(r.label())).append("</th>");
            keys.addAll(r.runSpec().keySet());
        }
        h.append("</tr>\n");
        for (String k : keys) {
            h.append("<tr><td>").append(esc(k)).append("</td>");
            for (ReportedRun r : runs) {
                Object v = r.runSpec().get(k);
                h.append("<td>").append(esc(v == null ? "-" : String.valueOf(v))).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static void timeline(StringBuilder h, ReportedRun run) {
        String id = "timeline-" + run.slug();
        List<SubtaskRecord> subtasks = run.records().subtasks();
        List<Long> window = TimelineChart.window(run.records().iterations(), subtasks, TIMELINE_ITERATIONS);
        if (window.isEmpty()) {
            section(h, id, "GPU and CPU activity", null, "no subtask records for this run");
            return;
        }
        java.util.Set<Long> in = new java.util.HashSet<>(window);
        List<SubtaskRecord> shown = subtasks.stream().filter(s -> in.contains(s.iteration())).toList();
        double t0 = shown.stream().mapToDouble(SubtaskRecord::startSec).min().orElseThrow();
        double t1 = shown.stream().mapToDouble(SubtaskRecord::endSec).max().orElseThrow();
        String what = "iterations " + window.get(0) + "-" + window.get(window.size() - 1);
        IterationRecord first = run.records().iterations().stream().filter(it -> it.iteration() == window.get(0))
                .findFirst().orElse(null);
        if (first != null) {
            what += " (first: " + first.strategy() + ", " + first.gpuDecodes() + " GPU + " + first.cpuDecodes()
                    + " CPU decode rows, " + first.prefillTokens() + " prefill tokens)";
        }
        StringBuilder imgs = new StringBuilder();
        imgs.append(img(TimelineChart.render(shown, t0, t1, run.label() + ": " + what, Charts.WIDTH + 100)));
        // Zoom into the first layers of the first iteration, where per-layer overlap is readable.
        List<SubtaskRecord> firstLayers = shown.stream()
                .filter(s -> s.iteration() == window.get(0) && s.layer() >= 0 && s.layer() < ZOOM_LAYERS).toList();
        if (!firstLayers.isEmpty()) {
            double z0 = firstLayers.stream().mapToDouble(SubtaskRecord::startSec).min().orElseThrow();
            double z1 = firstLayers.stream().mapToDouble(SubtaskRecord::endSec).max().orElseThrow();
            imgs.append(img(TimelineChart.render(shown, z0, z1, run.label() + ": iteration " + window.get(0)
                    + ", layers 0-" + (ZOOM_LAYERS - 1), Charts.WIDTH + 100)));
        }
        h.append("<section id=\"").append(id).append("\"><h3>GPU and CPU activity</h3>\n").append(imgs)
                .append("</section>\n");
    }

    private static void section(StringBuilder h, String id, String heading, String imgTag, String emptyNote) {
        h.append("<section id=\"").append(id).append("\"><h3>").append(esc(heading)).append("</h3>\n");
        if (imgTag != null) {
            h.append(imgTag);
        } else {
            h.append("<p class=\"note\">").append(esc(emptyNote)).append("</p>\n");
        }
        h.append("</section>\n");
    }

    static String png(Chart<?, ?> chart) {
        if (chart == null) return null;
        try {
            return imgTag(BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG), chart.getTitle());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart " + chart.getTitle(), e);
        }
    }

    static String img(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode timeline PNG", e);
        }
        return imgTag(out.toByteArray(), "timeline");
    }

    private static String imgTag(byte[] png, String alt) {
        return "<img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
                + "\">\n";
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
