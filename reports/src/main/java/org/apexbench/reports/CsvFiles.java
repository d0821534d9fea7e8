package org.apexbench.reports;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;

/**
 * requests.csv, iterations.csv and subtasks.csv: fixed column order, "\n" line ends, numbers through
 * {@link Num} (same records, same bytes). Readers check the header and name file, line and column on bad
 * input. Times are seconds since the run's start; derived latencies in requests.csv are milliseconds.
 */
public final class CsvFiles {
    private CsvFiles() {}

    public static final List<String> REQUEST_COLUMNS = List.of("request_id", "arrival_s", "prompt_tokens",
            "target_output_tokens", "output_tokens", "ttft_ms", "tpot_ms", "e2el_ms", "preemptions",
            "cpu_decode_steps", "failure", "token_times_s");
    public static final List<String> ITERATION_COLUMNS = List.of("iteration", "start_s", "end_s", "strategy",
            "prefill_tokens", "gpu_decodes", "cpu_decodes", "predicted_s", "gpu_busy_s", "cpu_busy_s",
            "gpu_stall_s", "h2d_bytes", "d2h_bytes", "swap_in_bytes", "swap_out_bytes", "gpu_kv_blocks",
            "host_kv_blocks", "running", "waiting");
    public static final List<String> SUBTASK_COLUMNS = List.of("iteration", "layer", "stage", "op", "resource",
            "rows", "context_tokens", "bytes", "start_s", "end_s", "predicted_s");

    private static CSVFormat format(List<String> header) {
        return CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).setRecordSeparator("\n").get();
    }

    /**
     * {@code rows} under the header {@code columns}, each value printed as given ("\n" line ends): the reports' own
     * tables (validation, its summary, the iteration breakdown).
     */
    static void writeRows(Path file, List<String> columns, List<List<Object>> rows) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8); CSVPrinter p = new CSVPrinter(w, format(columns))) {
            for (List<Object> r : rows) p.printRecord(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static CSVFormat readFormat() {
        return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
    }

    public static void writeRequests(Path file, List<RequestRecord> requests) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, format(REQUEST_COLUMNS))) {
            StringBuilder times = new StringBuilder();
            for (RequestRecord r : requests) {
                double[] t = r.tokenTimesSec();
                boolean ok = r.succeeded() && t.length > 0;
                double ttft = ok ? (t[0] - r.arrivalSec()) * 1e3 : Double.NaN;
                double e2el = ok ? (t[t.length - 1] - r.arrivalSec()) * 1e3 : Double.NaN;
                double tpot = ok && t.length > 1 ? (e2el - ttft) / (t.length - 1) : Double.NaN;
                times.setLength(0);
                for (int i = 0; i < t.length; i++) {
                    if (i > 0) times.append(';');
                    times.append(Num.format(t[i]));
                }
                p.printRecord(r.id(), Num.format(r.arrivalSec()), r.promptTokens(), r.targetOutputTokens(),
                        t.length, Num.format(ttft), Num.format(tpot), Num.format(e2el), r.preemptions(),
                        r.cpuDecodeSteps(), Objects.requireNonNullElse(r.failureReason(), ""), times);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public static void writeIterations(Path file, List<IterationRecord> iterations) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, format(ITERATION_COLUMNS))) {
            for (IterationRecord it : iterations) {
                p.printRecord(it.iteration(), Num.format(it.startSec()), Num.format(it.endSec()), it.strategy(),
                        it.prefillTokens(), it.gpuDecodes(), it.cpuDecodes(), Num.format(it.predictedSec()),
                        Num.format(it.gpuBusySec()), Num.format(it.cpuBusySec()), Num.format(it.gpuStallSec()),
                        it.h2dBytes(), it.d2hBytes(), it.swapInBytes(), it.swapOutBytes(), it.gpuKvBlocksUsed(),
                        it.hostKvBlocksUsed(), it.running(), it.waiting());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public static void writeSubtasks(Path file, List<SubtaskRecord> subtasks) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, format(SUBTASK_COLUMNS))) {
            for (SubtaskRecord s : subtasks) {
                p.printRecord(s.iteration(), s.layer(), s.stage(), s.op(), s.resource(), s.rows(),
                        s.contextTokens(), s.bytes(), Num.format(s.startSec()), Num.format(s.endSec()),
                        Num.format(s.predictedSec()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** A row reader that names the file, line and column in every error. */
    private record Row(Path file, CSVRecord rec) {
        String str(String col) {
            if (!rec.isMapped(col) || !rec.isSet(col)) {
                throw new IllegalArgumentException(where(col) + ": missing value");
            }
            return rec.get(col);
        }

        String where(String col) { return file + " line " + (rec.getRecordNumber() + 1) + " column " + col; }

        double dbl(String col) { return Num.parse(str(col), where(col)); }

        long lng(String col) { return Num.parseLong(str(col), where(col)); }

        int integer(String col) { return Math.toIntExact(lng(col)); }
    }

    private static List<Row> read(Path file, List<String> columns) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser parser = CSVParser.builder().setReader(r).setFormat(readFormat()).get()) {
            List<String> header = parser.getHeaderNames();
            if (!header.equals(columns)) {
                throw new IllegalArgumentException(file + ": header " + header + " does not match the expected " + columns);
            }
            List<Row> rows = new ArrayList<>();
            for (CSVRecord rec : parser) rows.add(new Row(file, rec));
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public static List<RequestRecord> readRequests(Path file) {
        List<RequestRecord> out = new ArrayList<>();
        for (Row row : read(file, REQUEST_COLUMNS)) {
            String timesText = row.str("token_times_s");
            String[] parts = timesText.isEmpty() ? new String[0] : timesText.split(";");
            double[] times = new double[parts.length];
            for (int i = 0; i < parts.length; i++) times[i] = Num.parse(parts[i], row.where("token_times_s"));
            String failure = row.str("failure");
            out.add(new RequestRecord(row.str("request_id"), row.dbl("arrival_s"), row.integer("prompt_tokens"),
                    row.integer("target_output_tokens"), times, row.integer("preemptions"),
                    row.integer("cpu_decode_steps"), failure.isEmpty() ? null : failure));
        }
        return out;
    }

    public static List<IterationRecord> readIterations(Path file) {
        List<IterationRecord> out = new ArrayList<>();
        for (Row r : read(file, ITERATION_COLUMNS)) {
            out.add(new IterationRecord(r.lng("iteration"), r.dbl("start_s"), r.dbl("end_s"), r.str("strategy"),
                    r.integer("prefill_tokens"), r.integer("gpu_decodes"), r.integer("cpu_decodes"),
                    r.dbl("predicted_s"), r.dbl("gpu_busy_s"), r.dbl("cpu_busy_s"), r.dbl("gpu_stall_s"),
                    r.lng("h2d_bytes"), r.lng("d2h_bytes"), r.lng("swap_in_bytes"), r.lng("swap_out_bytes"),
                    r.integer("gpu_kv_blocks"), r.integer("host_kv_blocks"), r.integer("running"),
                    r.integer("waiting")));
        }
        return out;
    }

    public static List<SubtaskRecord> readSubtasks(Path file) {
        List<SubtaskRecord> out = new ArrayList<>();
        for (Row r : read(file, SUBTASK_COLUMNS)) {
            out.add(new SubtaskRecord(r.lng("iteration"), r.integer("layer"), r.integer("stage"),
                    enumValue(Op.class, r.str("op"), r.where("op")),
                    enumValue(Resource.class, r.str("resource"), r.where("resource")), r.integer("rows"),
                    r.lng("context_tokens"), r.lng("bytes"), r.dbl("start_s"), r.dbl("end_s"), r.dbl("predicted_s")));
        }
        return out;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String s, String where) {
        try {
            return Enum.valueOf(type, s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": '" + s + "' is not one of "
                    + java.util.Arrays.toString(type.getEnumConstants()), e);
        }
    }
}
