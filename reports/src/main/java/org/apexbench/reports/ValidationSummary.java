package org.apexbench.reports;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.knowm.xchart.CategoryChart;

/**
 * A verdict across validations ({@code apex validate --summarize DIR...}, docs/validation.md): the rows of several complete
 * validation folders, per model and engine, as the median of each error over the validations, how many validations met the
 * target, how many missed within their real runs' spread and how many beyond it, and how far the real runs themselves moved
 * between validations. One validation's verdict says what its own runs saw; the machine's slow stretches and swings of
 * load move single validations, so the target is decided over several.
 */
public final class ValidationSummary {
    public static final String CSV = "validation-summary.csv";
    public static final String HTML = "validation-summary.html";
    /** The result folder kind of a validation ({@code apex validate}), the only kind this reads. */
    public static final String VALIDATION_KIND = "validation";

    /** The columns of {@value ValidationReport#CSV} this reads; a folder lacking one is refused, naming it. */
    static final List<String> REQUIRED = List.of("model", "engine", "real_output_throughput", "real_median_tpot_ms",
            "output_throughput_error", "median_tpot_error", "output_throughput_real_spread", "median_tpot_real_spread", "verdict");

    /** The column of validations written while each engine was simulated at its own operator speed (docs/decisions.md). */
    static final String OWN_SPEED_DEFAULT_COLUMN = "gpu_only_speed_output_throughput_error";

    /**
     * One engine's row of one validation.
     *
     * @param folder              the validation folder it came from
     * @param ownSpeedThroughputError the throughput error at the engine's own operator speed, a diagnostic (NaN: none
     *                            measured, gpu-only's is the shared one, or the folder predates the column); likewise the median TPOT's
     */
    public record Row(Path folder, String model, String engine, double realThroughput, double realMedianTpotMs, double throughputError,
                      double medianTpotError, double throughputSpread, double medianTpotSpread, Validation.Verdict verdict,
                      double loadAverage, double ownSpeedThroughputError, double ownSpeedMedianTpotError) { }

    /**
     * One model and engine over every validation that has it.
     *
     * @param rows its rows, in the order the folders were given
     */
    public record Engine(String model, String engine, List<Row> rows) {
        public Engine {
            rows = List.copyOf(rows);
        }

        public double medianThroughputError() { return median(Row::throughputError); }

        public double medianTpotError() { return median(Row::medianTpotError); }

        public double medianThroughputSpread() { return median(Row::throughputSpread); }

        public double medianTpotSpread() { return median(Row::medianTpotSpread); }

        public double medianOwnSpeedThroughputError() { return median(Row::ownSpeedThroughputError); }

        public double medianOwnSpeedTpotError() { return median(Row::ownSpeedMedianTpotError); }

        /** The least value of {@code metric} over the validations. */
        public double least(ToDoubleFunction<Row> metric) { return rows.stream().mapToDouble(metric).min().orElseThrow(); }

        /** The greatest value of {@code metric} over the validations. */
        public double greatest(ToDoubleFunction<Row> metric) { return rows.stream().mapToDouble(metric).max().orElseThrow(); }

        /** How many validations gave verdict {@code v}. */
        public long count(Validation.Verdict v) { return rows.stream().filter(r -> r.verdict() == v).count(); }

        /** How far the slowest validation's median real throughput is below the fastest's: {@code 1 - min / max}. */
        public double realThroughputRange() {
            double lo = least(Row::realThroughput), hi = greatest(Row::realThroughput);
            return hi > 0 ? 1 - lo / hi : Double.NaN;
        }

        /**
         * The verdict over the validations, by the one validation's rule applied to the medians: within the target when the
         * median throughput and median TPOT errors both are; within the real spread when each median miss is no larger than
         * the median of that metric's real spread; a model error otherwise.
         */
        public Validation.Verdict verdict(double limit) {
            double t = medianThroughputError(), p = medianTpotError();
            if (Math.abs(t) <= limit && Math.abs(p) <= limit) return Validation.Verdict.WITHIN_TARGET;
            boolean explained = (Math.abs(t) <= limit || Math.abs(t) <= medianThroughputSpread())
                    && (Math.abs(p) <= limit || Math.abs(p) <= medianTpotSpread());
            return explained ? Validation.Verdict.WITHIN_REAL_SPREAD : Validation.Verdict.MODEL_ERROR;
        }

        /** The median of {@code metric} over the rows that have it (NaN where none has). */
        private double median(ToDoubleFunction<Row> metric) {
            return Medians.of(rows.stream().mapToDouble(metric).filter(x -> !Double.isNaN(x)).toArray());
        }
    }

    /** The summary's columns; the {@code *_errors} and {@code verdicts} columns list each validation's, in the folders' order. */
    public static final List<String> COLUMNS = List.of("model", "engine", "validations", "median_output_throughput_error",
            "min_output_throughput_error", "max_output_throughput_error", "median_median_tpot_error", "min_median_tpot_error",
            "max_median_tpot_error", "within_target", "within_real_spread", "model_error", "median_output_throughput_real_spread",
            "median_median_tpot_real_spread", "median_real_output_throughput", "real_output_throughput_range",
            "median_own_speed_output_throughput_error", "median_own_speed_median_tpot_error", "output_throughput_errors",
            "median_tpot_errors", "verdicts", "verdict");

    private ValidationSummary() { }

    /**
     * Reads complete validation folders and groups their rows per model and engine, in the order they first appear.
     * Refuses, naming the folder (and the file, row and column), a folder that is not a complete result folder, not a
     * validation, or whose {@value ValidationReport#CSV} lacks a column, holds a value that is not a number or verdict,
     * has no row, repeats a model and engine, or was written while each engine was simulated at its own operator speed; and
     * a folder given twice.
     */
    public static List<Engine> read(List<Path> folders) {
        if (folders.isEmpty()) throw new IllegalArgumentException("--summarize: give at least one validation folder");
        Map<String, List<Row>> byEngine = new LinkedHashMap<>();
        List<Path> seen = new ArrayList<>();
        for (Path dir : folders) {
            Path real = dir.toAbsolutePath().normalize();
            if (seen.contains(real)) throw new IllegalArgumentException(dir + ": given twice; each validation counts once");
            seen.add(real);
            for (Row r : readFolder(dir)) byEngine.computeIfAbsent(r.model() + "\u0000" + r.engine(), k -> new ArrayList<>()).add(r);
        }
        List<Engine> out = new ArrayList<>();
        byEngine.values().forEach(rows -> out.add(new Engine(rows.get(0).model(), rows.get(0).engine(), rows)));
        return out;
    }

    /** The rows of one complete validation folder (see {@link #read}). */
    static List<Row> readFolder(Path dir) {
        Manifest m = Manifest.verify(dir);
        if (!VALIDATION_KIND.equals(m.kind())) {
            throw new ResultFolderException(dir + ": a '" + m.kind() + "' result folder, not a validation (apex validate writes those)");
        }
        Path file = dir.resolve(ValidationReport.CSV);
        if (!Files.isRegularFile(file)) throw new ResultFolderException(dir + ": no " + ValidationReport.CSV);
        List<Row> rows = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r);
            for (String c : REQUIRED) {
                if (!parser.getHeaderMap().containsKey(c)) {
                    throw new ResultFolderException(file + ": column '" + c + "' is missing (expected the columns apex validate writes)");
                }
            }
            if (parser.getHeaderMap().containsKey(OWN_SPEED_DEFAULT_COLUMN)) {
                // its errors are at each engine's own operator speed: across validations they would mix two simulated machines
                throw new ResultFolderException(file + ": written while each engine was simulated at its own operator speed (its '"
                        + OWN_SPEED_DEFAULT_COLUMN + "' column); its errors are not at the shared speed: validate again");
            }
            List<String> keys = new ArrayList<>();
            for (CSVRecord rec : parser) {
                String where = file + " row " + rec.getRecordNumber() + " (" + get(rec, "model") + " " + get(rec, "engine") + ")";
                String key = get(rec, "model") + " " + get(rec, "engine");
                if (keys.contains(key)) throw new ResultFolderException(where + ": the model and engine appear twice");
                keys.add(key);
                rows.add(new Row(dir, get(rec, "model"), get(rec, "engine"), number(rec, "real_output_throughput", where, true),
                        number(rec, "real_median_tpot_ms", where, true), number(rec, "output_throughput_error", where, true),
                        number(rec, "median_tpot_error", where, true), number(rec, "output_throughput_real_spread", where, true),
                        number(rec, "median_tpot_real_spread", where, true), verdict(get(rec, "verdict"), where),
                        number(rec, "real_load_average", where, false), number(rec, "own_speed_output_throughput_error", where, false),
                        number(rec, "own_speed_median_tpot_error", where, false)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (IllegalStateException | IllegalArgumentException e) {
            if (e instanceof ResultFolderException) throw e;
            throw new ResultFolderException(file + ": not a CSV apex validate wrote: " + e.getMessage(), e);
        }
        if (rows.isEmpty()) throw new ResultFolderException(file + ": no row (a validation compares at least one engine)");
        return rows;
    }

    private static String get(CSVRecord rec, String column) {
        return rec.isMapped(column) && rec.isSet(column) ? rec.get(column) : "";
    }

    /** The value of {@code column}; empty is NaN unless {@code required}, which needs a finite number. */
    private static double number(CSVRecord rec, String column, String where, boolean required) {
        String s = get(rec, column).trim();
        if (s.isEmpty() && !required) return Double.NaN;
        try {
            double v = Double.parseDouble(s);
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException e) {
            // the message below names the value
        }
        throw new ResultFolderException(where + ": column '" + column + "' is '" + s + "', expected a number");
    }

    private static Validation.Verdict verdict(String s, String where) {
        for (Validation.Verdict v : Validation.Verdict.values()) if (v.name().toLowerCase(Locale.ROOT).equals(s)) return v;
        throw new ResultFolderException(where + ": column 'verdict' is '" + s + "', expected one of "
                + Arrays.stream(Validation.Verdict.values()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList());
    }

    public static void writeCsv(Path file, List<Engine> engines) {
        CsvFiles.writeRows(file, COLUMNS, engines.stream().map(ValidationSummary::values).toList());
    }

    private static List<Object> values(Engine e) {
        List<Object> c = new ArrayList<>();
        c.add(e.model());
        c.add(e.engine());
        c.add(e.rows().size());
        c.add(RunDirectory.cell(e.medianThroughputError()));
        c.add(RunDirectory.cell(e.least(Row::throughputError)));
        c.add(RunDirectory.cell(e.greatest(Row::throughputError)));
        c.add(RunDirectory.cell(e.medianTpotError()));
        c.add(RunDirectory.cell(e.least(Row::medianTpotError)));
        c.add(RunDirectory.cell(e.greatest(Row::medianTpotError)));
        c.add(e.count(Validation.Verdict.WITHIN_TARGET));
        c.add(e.count(Validation.Verdict.WITHIN_REAL_SPREAD));
        c.add(e.count(Validation.Verdict.MODEL_ERROR));
        c.add(RunDirectory.cell(e.medianThroughputSpread()));
        c.add(RunDirectory.cell(e.medianTpotSpread()));
        c.add(RunDirectory.cell(e.median(Row::realThroughput)));
        c.add(RunDirectory.cell(e.realThroughputRange()));
        c.add(RunDirectory.cell(e.medianOwnSpeedThroughputError()));
        c.add(RunDirectory.cell(e.medianOwnSpeedTpotError()));
        c.add(list(e, Row::throughputError));
        c.add(list(e, Row::medianTpotError));
        c.add(e.rows().stream().map(r -> r.verdict().name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(";")));
        c.add(e.verdict(ValidationReport.TARGET).name().toLowerCase(Locale.ROOT));
        return c;
    }

    private static String list(Engine e, ToDoubleFunction<Row> metric) {
        return e.rows().stream().map(r -> String.format(Locale.ROOT, "%+.4f", metric.applyAsDouble(r))).collect(Collectors.joining(";"));
    }

    /** Self-contained HTML: the median errors per engine as bar charts, the folders read, and the table. */
    public static void writeHtml(Path file, List<Path> folders, List<Engine> engines) {
        StringBuilder h = TextFiles.page("apex validate --summarize: " + folders.size() + " validations", ValidationReport.STYLE, "Per model and engine, over every validation"
                + " that has it: the median of the simulator's errors, how many validations met the target (throughput and median TPOT"
                + " within " + Math.round(100 * ValidationReport.TARGET) + "%), missed it within their real runs' spread, or beyond"
                + " it (docs/validation.md).");
        h.append("<p>Bars: the median error over the validations; whiskers: the median of their real runs' spread. In the table"
                + " the verdict across validations is yellow where the median misses lie within the median real spread and red"
                + " where they do not.</p>\n");
        h.append("<section id=\"chart-throughput-error\">\n").append(HtmlReport.png(chart(engines, true))).append("</section>\n");
        h.append("<section id=\"chart-tpot-error\">\n").append(HtmlReport.png(chart(engines, false))).append("</section>\n");
        h.append("<h2>Validations</h2>\n<ol id=\"folders\">\n");
        for (Path f : folders) h.append("<li>").append(HtmlReport.esc(f.toString())).append("</li>\n");
        h.append("</ol>\n");
        ValidationReport.appendTable(h, "summary", COLUMNS, engines, ValidationSummary::values, (e, col) -> {
            if (!col.equals("verdict")) return "";
            Validation.Verdict v = e.verdict(ValidationReport.TARGET);
            return v == Validation.Verdict.WITHIN_TARGET ? "" : v == Validation.Verdict.WITHIN_REAL_SPREAD ? " class=\"noise\"" : " class=\"miss\"";
        });
        TextFiles.writePage(file, h);
    }

    private static CategoryChart chart(List<Engine> engines, boolean throughput) {
        return ValidationReport.errorChart("simulated vs real " + (throughput ? "output throughput" : "median TPOT") + ": median error (%)",
                engines.stream().map(Engine::model).distinct().toList(), engines.stream().map(Engine::engine).distinct().toList(),
                (model, name) -> engines.stream().filter(r -> r.model().equals(model) && r.engine().equals(name)).findFirst()
                        .map(e -> new double[] {throughput ? e.medianThroughputError() : e.medianTpotError(),
                                throughput ? e.medianThroughputSpread() : e.medianTpotSpread()}).orElse(null));
    }
}
