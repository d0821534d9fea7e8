package org.apexbench.reports;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

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

    /** The compared metrics: CSV name stem and accessor; each gets real (median), real_min, real_max, sim and error columns. */
    private record Metric(String name, ToDoubleFunction<Validation.Metrics> value, String error) {}

    private static final List<Metric> METRICS = List.of(
            new Metric("output_throughput", Validation.Metrics::outputThroughput, "output_throughput_error"),
            new Metric("median_tpot_ms", Validation.Metrics::medianTpotMs, "median_tpot_error"),
            new Metric("p99_tpot_ms", Validation.Metrics::p99TpotMs, "p99_tpot_error"),
            new Metric("median_ttft_ms", Validation.Metrics::medianTtftMs, "median_ttft_error"),
            new Metric("gpu_busy_s", Validation.Metrics::gpuBusySec, "gpu_busy_error"),
            new Metric("cpu_busy_s", Validation.Metrics::cpuBusySec, "cpu_busy_error"),
            new Metric("duration_s", Validation.Metrics::durationSec, "duration_error"));

    /**
     * The CSV's columns: real values are the real runs' medians, {@code real_min_} / {@code real_max_} their extremes;
     * {@code *_real_spread} the largest deviation of a real run from their median; {@code warm_up_*} the discarded
     * warm-up runs before the measured ones ({@link Validation.WarmUp}); {@code real_jit_ms} / {@code real_max_jit_ms} the
     * median / most milliseconds the JIT compiled inside a measured real run; {@code operator_speed} each device table's
     * factor in the engine's simulation ({@code table=factor;...}): the shared one (gpu-only's), every engine's;
     * {@code own_operator_speed} the engine's own, from its own warm-up runs (empty where none: gpu-only's is the shared
     * one), and {@code own_speed_*_error} the errors (throughput, median TPOT, device busy time) of the same simulations at
     * the engine's own factors, a diagnostic (empty where none); {@code verdict} one of
     * {@link Validation.Verdict}.
     */
    public static final List<String> COLUMNS = columns();

    private static List<String> columns() {
        List<String> c = new ArrayList<>(List.of("model", "engine", "real_runs", "real_completed", "sim_completed", "real_iterations",
                "sim_iterations"));
        for (Metric m : METRICS) {
            c.addAll(List.of("real_" + m.name(), "real_min_" + m.name(), "real_max_" + m.name(), "sim_" + m.name(), m.error()));
        }
        c.addAll(List.of("real_unaccounted_s", "sim_unaccounted_s", "real_unaccounted_per_iteration_ms", "sim_unaccounted_per_iteration_ms",
                "real_strategy_mix", "sim_strategy_mix", "strategy_mix_distance", "output_throughput_real_spread",
                "median_tpot_real_spread", "real_load_average", "warm_up_runs", "warm_up_iterations", "warm_up_s", "warm_up_jit_ms",
                "real_jit_ms", "real_max_jit_ms", "operator_speed", "own_operator_speed",
                "own_speed_output_throughput_error", "own_speed_median_tpot_error", "own_speed_gpu_busy_error", "within_target",
                "verdict"));
        return List.copyOf(c);
    }

    private ValidationReport() { }

    public static void writeCsv(Path file, List<Validation> rows) {
        CsvFiles.writeRows(file, COLUMNS, rows.stream().map(ValidationReport::values).toList());
    }

    private static List<Object> values(Validation v) {
        Validation.Metrics r = v.real(), s = v.sim();
        List<Object> c = new ArrayList<>();
        c.add(v.model());
        c.add(v.engine());
        c.add(v.realRuns().size());
        c.add(r.completed());
        c.add(s.completed());
        c.add(r.iterations());
        c.add(s.iterations());
        for (Metric m : METRICS) {
            double real = m.value().applyAsDouble(r), sim = m.value().applyAsDouble(s);
            c.add(RunDirectory.cell(real));
            c.add(RunDirectory.cell(v.realMin(m.value())));
            c.add(RunDirectory.cell(v.realMax(m.value())));
            c.add(RunDirectory.cell(sim));
            c.add(RunDirectory.cell(Validation.error(real, sim)));
        }
        c.add(RunDirectory.cell(r.unaccountedSec()));
        c.add(RunDirectory.cell(s.unaccountedSec()));
        c.add(RunDirectory.cell(1e3 * r.unaccountedSec() / Math.max(1, r.iterations())));
        c.add(RunDirectory.cell(1e3 * s.unaccountedSec() / Math.max(1, s.iterations())));
        c.add(mix(r.strategyMix()));
        c.add(mix(s.strategyMix()));
        c.add(RunDirectory.cell(v.strategyDistance()));
        c.add(RunDirectory.cell(v.realSpread(Validation.Metrics::outputThroughput)));
        c.add(RunDirectory.cell(v.realSpread(Validation.Metrics::medianTpotMs)));
        c.add(RunDirectory.cell(r.loadAverage()));
        c.add(v.warmUp().runs());
        c.add(v.warmUp().iterations());
        c.add(RunDirectory.cell(v.warmUp().seconds()));
        c.add(RunDirectory.cell(v.warmUp().jitMs()));
        c.add(RunDirectory.cell(r.jitMs()));
        c.add(RunDirectory.cell(v.realMax(Validation.Metrics::jitMs)));
        c.add(factors(v.speed().factors()));
        c.add(factors(v.speed().own()));
        c.add(RunDirectory.cell(v.ownSpeedThroughputError()));
        c.add(RunDirectory.cell(v.ownSpeedMedianTpotError()));
        c.add(RunDirectory.cell(v.ownSpeedSim() == null ? Double.NaN : Validation.error(r.gpuBusySec(), v.ownSpeedSim().gpuBusySec())));
        c.add(v.within(TARGET));
        c.add(v.verdict(TARGET).name().toLowerCase(Locale.ROOT));
        return c;
    }

    private static String factors(Map<String, Double> m) {
        return m.entrySet().stream().map(e -> e.getKey() + "=" + String.format(Locale.ROOT, "%.4f", e.getValue()))
                .collect(Collectors.joining(";"));
    }

    private static String mix(Map<String, Double> m) {
        return new java.util.TreeMap<>(m).entrySet().stream()
                .map(e -> e.getKey() + "=" + String.format(Locale.ROOT, "%.3f", e.getValue())).collect(Collectors.joining(";"));
    }

    /** Self-contained HTML: the errors per engine as bar charts (one series per model) and the whole table. */
    public static void writeHtml(Path file, String title, String note, List<Validation> rows) {
        StringBuilder h = TextFiles.page(title, STYLE, note);
        h.append("<p>Bars: the simulator's error against the median real run; whiskers: the real runs' own spread around their"
                + " median. In the table a miss of the target is yellow where it lies within that spread (the machine's run-to-run"
                + " variation) and red where it lies outside (a model error).</p>\n");
        h.append("<section id=\"chart-throughput-error\">\n").append(HtmlReport.png(chart(rows, "output throughput", true))).append("</section>\n");
        h.append("<section id=\"chart-tpot-error\">\n").append(HtmlReport.png(chart(rows, "median TPOT", false))).append("</section>\n");
        appendTable(h, "validation", COLUMNS, rows, ValidationReport::values, (v, col) -> {
            if (!col.equals("output_throughput_error") && !col.equals("median_tpot_error")) return "";
            double err = col.startsWith("output") ? v.throughputError() : v.medianTpotError();
            double spread = v.realSpread(col.startsWith("output") ? Validation.Metrics::outputThroughput : Validation.Metrics::medianTpotMs);
            return Math.abs(err) <= TARGET ? "" : Math.abs(err) <= spread ? " class=\"noise\"" : " class=\"miss\"";
        });
        TextFiles.writePage(file, h);
    }

    /** The style of the validation pages: a miss of the target red ({@code miss}), one within the real spread yellow ({@code noise}). */
    static final String STYLE = "body{font-family:sans-serif;margin:2em}"
                + "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
                + "td.miss{background:#fdd}td.noise{background:#ffd}img{max-width:100%}";

    /**
     * Appends a table {@code id} of {@code columns} with a row per item of {@code rows} ({@code values} of it, one a column), each
     * cell with the attribute {@code cellClass} gives it for its column (empty for none).
     */
    static <R> void appendTable(StringBuilder h, String id, List<String> columns, List<R> rows, Function<R, List<Object>> values,
                                BiFunction<R, String, String> cellClass) {
        h.append("<table id=\"").append(id).append("\"><tr>");
        for (String k : columns) h.append("<th>").append(HtmlReport.esc(k)).append("</th>");
        h.append("</tr>\n");
        for (R r : rows) {
            h.append("<tr>");
            List<Object> vals = values.apply(r);
            for (int i = 0; i < vals.size(); i++) {
                h.append("<td").append(cellClass.apply(r, columns.get(i))).append(">").append(HtmlReport.esc(String.valueOf(vals.get(i))))
                        .append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    private static CategoryChart chart(List<Validation> rows, String metric, boolean throughput) {
        return errorChart("simulated vs real " + metric + ": error (%)", rows.stream().map(Validation::model).distinct().toList(),
                rows.stream().map(Validation::engine).distinct().toList(), (model, e) -> {
                    Validation v = rows.stream().filter(r -> r.model().equals(model) && r.engine().equals(e)).findFirst().orElse(null);
                    return v == null ? null : new double[] {throughput ? v.throughputError() : v.medianTpotError(),
                            v.realSpread(throughput ? Validation.Metrics::outputThroughput : Validation.Metrics::medianTpotMs)};
                });
    }

    /**
     * A bar chart of errors per engine, one series per model, with whiskers: {@code errorAndSpread} gives a model's and
     * engine's {error, spread} (null, or NaN in either: drawn as 0).
     */
    static CategoryChart errorChart(String title, List<String> models, List<String> engines,
                                    java.util.function.BiFunction<String, String, double[]> errorAndSpread) {
        CategoryChart c = new CategoryChartBuilder().width(900).height(380).title(title)
                .xAxisTitle("engine").yAxisTitle("sim / real - 1 (%)").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        c.getStyler().setXAxisLabelRotation(20);
        for (String model : models) {
            List<Double> y = new ArrayList<>(), spread = new ArrayList<>();
            for (String e : engines) {
                double[] v = errorAndSpread.apply(model, e);
                y.add(v == null || Double.isNaN(v[0]) ? 0 : 100 * v[0]);
                spread.add(v == null || Double.isNaN(v[1]) ? 0 : 100 * v[1]);
            }
            c.addSeries(model, engines, y, spread);
        }
        return c;
    }
}
