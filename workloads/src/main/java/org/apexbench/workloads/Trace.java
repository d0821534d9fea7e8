package org.apexbench.workloads;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A request-length trace CSV: columns {@code num_prefill_tokens}, {@code num_decode_tokens} and
 * optionally {@code arrived_at} (seconds). Built-in names: {@code splitwise_conv} (Azure 2023
 * conversation), {@code splitwise_code} (Azure 2023 code) and {@code arxiv} (arXiv summarisation
 * lengths, no timestamps); they ship inside this module ({@code traces/README.md} beside them gives
 * their source and licence) unless the context names a traces folder. Anything else is a file path.
 *
 * @param name  the trace's name
 * @param rows  its rows in file order
 * @param timed whether it has arrival timestamps
 */
public record Trace(String name, List<Row> rows, boolean timed) {
    /** One trace row; {@code arrivalSec} is NaN in untimed traces. */
    public record Row(double arrivalSec, int input, int output) {}

    private static final Map<String, String> BUILT_IN = Map.of(
            "splitwise_conv", "splitwise_conv.csv",
            "splitwise_code", "splitwise_code.csv",
            "arxiv", "arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv");
    /** Where the built-in traces are packaged (resources of this module). */
    static final String RESOURCE_DIR = "traces/";
    private static final Map<String, Trace> CACHE = new ConcurrentHashMap<>();

    public Trace {
        rows = List.copyOf(rows);
    }

    /**
     * Loads a built-in trace by name (from the context's traces folder when it names one, else from
     * the copy packaged with this module), or a trace file by path.
     */
    public static Trace named(String nameOrPath, WorkloadContext ctx) {
        String file = BUILT_IN.get(nameOrPath);
        if (file != null && ctx.tracesDir() == null) {
            return CACHE.computeIfAbsent("builtin:" + file, k -> loadBuiltIn(nameOrPath, file));
        }
        Path p = file != null ? ctx.requireTracesDir("trace " + nameOrPath).resolve(file) : Path.of(nameOrPath);
        if (file == null && !Files.isRegularFile(p)) {
            throw new WorkloadException("unknown trace '" + nameOrPath + "': not a built-in name ("
                    + String.join(", ", BUILT_IN.keySet().stream().sorted().toList()) + ") and not a file");
        }
        return CACHE.computeIfAbsent(p.toAbsolutePath().normalize().toString(),
                k -> load(Path.of(k), file != null ? nameOrPath : p.toString()));
    }

    private static Trace loadBuiltIn(String name, String file) {
        InputStream in = Trace.class.getResourceAsStream(RESOURCE_DIR + file);
        if (in == null) {
            throw new IllegalStateException("built-in trace " + name + ": resource " + RESOURCE_DIR + file
                    + " is missing from the workloads jar");
        }
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return parse(r, file, name);
        } catch (IOException e) {
            throw new UncheckedIOException("built-in trace " + name + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads a trace CSV (UTF-8, with or without a byte-order mark); errors name the file, line and column. */
    public static Trace load(Path file, String name) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toString(), name);
        } catch (IOException e) {
            throw new WorkloadException("trace " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses trace CSV text; {@code file} names it in errors. */
    static Trace parse(Reader r, String file, String name) throws IOException {
        CSVParser csv;
        try {
            csv = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                    .setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.DISALLOW).get().parse(WorkloadFiles.withoutBom(r));
        } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
            throw WorkloadFiles.csvError("trace " + file, 1, e);
        }
        try (csv) {
            List<String> header = csv.getHeaderNames();
            for (String need : List.of("num_prefill_tokens", "num_decode_tokens")) {
                if (!header.contains(need)) {
                    throw new WorkloadException("trace " + file + ":1: missing column '" + need + "' (header: " + header + ")");
                }
            }
            boolean timed = header.contains("arrived_at");
            List<Row> rows = new ArrayList<>();
            double last = 0;
            long lastLine = 0;
            for (CSVRecord rec : WorkloadFiles.records(csv, "trace " + file)) {
                long line = rec.getRecordNumber() + 1;
                if (rec.size() != header.size()) {
                    throw new WorkloadException("trace " + file + ":" + line + ": has " + rec.size() + " field" + (rec.size() == 1 ? "" : "s")
                            + ", the header has " + header.size() + " (" + String.join(",", header) + ")");
                }
                double t = Double.NaN;
                if (timed) {
                    t = number(file, line, rec, "arrived_at");
                    // Refused, not sorted: workload files refuse unsorted arrivals too, and a sort would hide a broken file.
                    if (!rows.isEmpty() && t < last) {
                        throw new WorkloadException("trace " + file + ":" + line + ": arrived_at " + rec.get("arrived_at")
                                + " is earlier than line " + lastLine + "'s " + last + "; a trace must be sorted by arrival time");
                    }
                    last = t;
                    lastLine = line;
                }
                rows.add(new Row(t, tokens(file, line, rec, "num_prefill_tokens"), tokens(file, line, rec, "num_decode_tokens")));
            }
            if (rows.isEmpty()) {
                throw new WorkloadException("trace " + file + ": no rows");
            }
            return new Trace(name, rows, timed);
        }
    }

    private static double number(String file, long line, CSVRecord rec, String column) {
        String v = rec.get(column).strip();
        try {
            double d = Double.parseDouble(v);
            if (!(d >= 0) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new WorkloadException("trace " + file + ":" + line + ": column '" + column
                    + "' must be a finite number >= 0, got '" + v + "'");
        }
    }

    private static int tokens(String file, long line, CSVRecord rec, String column) {
        String v = rec.get(column).strip();
        try {
            int n = Integer.parseInt(v.endsWith(".0") ? v.substring(0, v.length() - 2) : v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new WorkloadException("trace " + file + ":" + line + ": column '" + column
                    + "' must be a whole number of tokens in [0, " + Integer.MAX_VALUE + "], got '" + v + "'");
        }
    }
}
