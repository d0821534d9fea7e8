package org.apexbench.workloads;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PushbackReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * Workload files: one request per JSONL line or CSV row, with the columns
 * <pre>
 * id           string, unique
 * arrival_s    seconds from the start, >= 0, non-decreasing down the file
 * prompt_ids   token ids in [0, vocab) (JSONL: array; CSV: space-separated)   } one of the two
 * prompt_len   prompt length >= 1, ids then drawn synthetically                 }
 * output_len   tokens to generate, >= 1
 * temperature  optional, default 0 (greedy)
 * top_p        optional, default 1
 * seed         optional, default 0: the request's sampling seed
 * </pre>
 * Writers always write prompt_ids, so write-then-read gives identical requests. Readers reject a
 * bad file at the first bad line, naming the file, the line and the reason: missing columns,
 * non-numeric or out-of-range values, unsorted arrivals, duplicate ids, and prompt + output
 * beyond the model's context.
 */
public final class WorkloadFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final List<String> COLUMNS = List.of("id", "arrival_s", "prompt_ids", "prompt_len", "output_len", "temperature",
            "top_p", "seed");

    private WorkloadFiles() {}

    /** Writes JSONL or CSV by the file's extension (.jsonl / .csv). */
    public static void write(Path file, List<RequestSpec> requests) {
        if (isCsv(file)) {
            writeCsv(file, requests);
        } else {
            writeJsonl(file, requests);
        }
    }

    /** Reads JSONL or CSV by the file's extension; {@code promptSeed} draws ids for rows that give only prompt_len. */
    public static List<RequestSpec> read(Path file, WorkloadContext ctx, long promptSeed) {
        return isCsv(file) ? readCsv(file, ctx, promptSeed) : readJsonl(file, ctx, promptSeed);
    }

    private static boolean isCsv(Path file) { return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".csv"); }

    public static void writeJsonl(Path file, List<RequestSpec> requests) {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (RequestSpec r : requests) {
                ObjectNode o = MAPPER.createObjectNode();
                o.put("id", r.id());
                o.put("arrival_s", r.arrivalSec());
                ArrayNode ids = o.putArray("prompt_ids");
                for (int i = 0; i < r.promptLength(); i++) {
                    ids.add(r.promptToken(i));
                }
                o.put("output_len", r.outputTokens());
                o.put("temperature", r.sampling().temperature());
                o.put("top_p", r.sampling().topP());
                o.put("seed", r.sampling().seed());
                w.write(MAPPER.writeValueAsString(o));
                w.newLine();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing workload " + file, e);
        }
    }

    public static void writeCsv(Path file, List<RequestSpec> requests) {
        try (BufferedWriter w = Files.newBufferedWriter(file);
             CSVPrinter p = CSVFormat.DEFAULT.builder().setHeader("id", "arrival_s", "prompt_ids", "output_len", "temperature",
                     "top_p", "seed").get().print(w)) {
            for (RequestSpec r : requests) {
                StringJoiner ids = new StringJoiner(" ");
                for (int i = 0; i < r.promptLength(); i++) {
                    ids.add(Integer.toString(r.promptToken(i)));
                }
                p.printRecord(r.id(), Double.toString(r.arrivalSec()), ids.toString(), r.outputTokens(),
                        Float.toString(r.sampling().temperature()), Float.toString(r.sampling().topP()), r.sampling().seed());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing workload " + file, e);
        }
    }

    public static List<RequestSpec> readJsonl(Path file, WorkloadContext ctx, long promptSeed) {
        Checker c = new Checker(file, ctx, promptSeed);
        long line = 0;
        try (BufferedReader r = new BufferedReader(withoutBom(Files.newBufferedReader(file, StandardCharsets.UTF_8)))) {
            String text;
            while ((text = r.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                JsonNode o;
                try {
                    o = MAPPER.readTree(text);
                } catch (JsonProcessingException e) {
                    throw c.error(line, "not valid JSON: " + e.getOriginalMessage());
                }
                if (o == null || !o.isObject()) {
                    throw c.error(line, "expected one JSON object per line");
                }
                c.add(line, new JsonFields(c, line, o));
            }
        } catch (IOException e) {
            throw csvError("workload file " + file, line + 1, e);
        }
        return c.done();
    }

    public static List<RequestSpec> readCsv(Path file, WorkloadContext ctx, long promptSeed) {
        Checker c = new Checker(file, ctx, promptSeed);
        CSVParser csv;
        try {
            csv = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                    .setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.DISALLOW).get()
                    .parse(withoutBom(Files.newBufferedReader(file, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
            throw csvError("workload file " + file, 1, e);
        }
        try (csv) {
            List<String> header = csv.getHeaderNames();
            List<String> missing = new ArrayList<>();
            for (String need : List.of("id", "arrival_s", "output_len")) {
                if (!header.contains(need)) {
                    missing.add(need);
                }
            }
            if (!header.contains("prompt_ids") && !header.contains("prompt_len")) {
                missing.add("prompt_ids or prompt_len");
            }
            if (!missing.isEmpty()) {
                throw c.error(1, "missing column(s) " + missing + "; header is " + header + ", expected " + COLUMNS);
            }
            for (CSVRecord rec : records(csv, "workload file " + file)) {
                long line = rec.getRecordNumber() + 1;
                if (!rec.isConsistent()) {
                    throw c.error(line, "has " + rec.size() + " fields, the header has " + header.size());
                }
                c.add(line, new CsvFields(c, line, rec));
            }
        } catch (IOException e) {
            throw csvError("workload file " + file, csv.getCurrentLineNumber() + 1, e);
        }
        return c.done();
    }

    /** The reader past a UTF-8 byte-order mark, if the text starts with one (spreadsheets write it). */
    static Reader withoutBom(Reader r) throws IOException {
        PushbackReader p = new PushbackReader(r, 1);
        int first = p.read();
        if (first != -1 && first != '\uFEFF') p.unread(first);
        return p;
    }

    /** The records of {@code csv}, a read or syntax failure while iterating turned into {@link #csvError} naming {@code what}. */
    static Iterable<CSVRecord> records(CSVParser csv, String what) {
        var it = csv.iterator();
        return () -> new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return it.hasNext();
                } catch (UncheckedIOException | IllegalStateException e) {
                    throw csvError(what, csv.getCurrentLineNumber() + 1, e);
                }
            }

            @Override
            public CSVRecord next() {
                try {
                    return it.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    throw csvError(what, csv.getCurrentLineNumber() + 1, e);
                }
            }
        };
    }

    /** A read or CSV syntax failure of {@code what} at {@code line}, as our own error, saying which. */
    static WorkloadException csvError(String what, long line, Throwable e) {
        Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof java.nio.charset.CharacterCodingException) {
            // reading is buffered ahead, so the line at hand is not where the bad bytes are
            return new WorkloadException(what + ": not UTF-8 text (save it as UTF-8)", e);
        }
        String why = cause instanceof java.nio.file.NoSuchFileException ? "no such file"
                : cause instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : "cannot parse: " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        return new WorkloadException(what + ":" + line + ": " + why, e);
    }

    /** Field access common to JSONL and CSV rows. */
    private interface Fields {
        String id();

        double arrival();

        int[] promptIds();       // null when absent

        int promptLen();         // -1 when absent

        int outputLen();

        double optional(String name, double def);

        long seed();
    }

    private record JsonFields(Checker c, long line, JsonNode o) implements Fields {
        private JsonNode need(String f) {
            JsonNode n = o.get(f);
            if (n == null || n.isNull()) {
                throw c.error(line, "missing field '" + f + "'");
            }
            return n;
        }

        public String id() {
            JsonNode n = need("id");
            return n.isTextual() ? n.asText() : n.toString();
        }

        public double arrival() {
            JsonNode n = need("arrival_s");
            if (!n.isNumber()) {
                throw c.error(line, "field 'arrival_s' must be a number, got " + n);
            }
            return n.asDouble();
        }

        public int[] promptIds() {
            JsonNode n = o.get("prompt_ids");
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isArray()) {
                throw c.error(line, "field 'prompt_ids' must be an array of token ids, got " + n.getNodeType());
            }
            int[] ids = new int[n.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode v = n.get(i);
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw c.error(line, "prompt_ids[" + i + "] must be an integer token id, got " + v);
                }
                ids[i] = v.asInt();
            }
            return ids;
        }

        public int promptLen() {
            JsonNode n = o.get("prompt_len");
            return n == null || n.isNull() ? -1 : integer("prompt_len", n);
        }

        public int outputLen() { return integer("output_len", need("output_len")); }

        private int integer(String f, JsonNode n) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw c.error(line, "field '" + f + "' must be an integer, got " + n);
            }
            return n.asInt();
        }

        public double optional(String f, double def) {
            JsonNode n = o.get(f);
            if (n == null || n.isNull()) {
                return def;
            }
            if (!n.isNumber()) {
                throw c.error(line, "field '" + f + "' must be a number, got " + n);
            }
            return n.asDouble();
        }

        public long seed() {
            JsonNode n = o.get("seed");
            if (n == null || n.isNull()) {
                return 0;
            }
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw c.error(line, "field 'seed' must be an integer, got " + n);
            }
            return n.asLong();
        }
    }

    private record CsvFields(Checker c, long line, CSVRecord rec) implements Fields {
        private String cell(String f) { return rec.isMapped(f) && rec.isSet(f) ? rec.get(f) : ""; }

        private String need(String f) {
            String v = cell(f);
            if (v.isEmpty()) {
                throw c.error(line, "missing value in column '" + f + "'");
            }
            return v;
        }

        public String id() { return need("id"); }

        public double arrival() { return dbl("arrival_s", need("arrival_s")); }

        public int[] promptIds() {
            String v = cell("prompt_ids");
            if (v.isEmpty()) {
                return null;
            }
            String[] parts = v.split("\\s+");
            int[] ids = new int[parts.length];
            for (int i = 0; i < ids.length; i++) {
                try {
                    ids[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw c.error(line, "prompt_ids[" + i + "] must be an integer token id, got '" + parts[i] + "'");
                }
            }
            return ids;
        }

        public int promptLen() {
            String v = cell("prompt_len");
            return v.isEmpty() ? -1 : integer("prompt_len", v);
        }

        public int outputLen() { return integer("output_len", need("output_len")); }

        public double optional(String f, double def) {
            String v = cell(f);
            return v.isEmpty() ? def : dbl(f, v);
        }

        public long seed() {
            String v = cell("seed");
            try {
                return v.isEmpty() ? 0 : Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw c.error(line, "column 'seed' must be an integer, got '" + v + "'");
            }
        }

        private int integer(String f, String v) {
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw c.error(line, "column '" + f + "' must be an integer, got '" + v + "'");
            }
        }

        private double dbl(String f, String v) {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw c.error(line, "column '" + f + "' must be a number, got '" + v + "'");
            }
        }
    }

    /** Validates rows in file order and builds the requests. */
    private static final class Checker {
        private final Path file;
        private final WorkloadContext ctx;
        private final SplittableRandom prompts;
        private final List<RequestSpec> out = new ArrayList<>();
        private final Set<String> ids = new HashSet<>();
        private double lastArrival = 0;
        private long bytes = 0;

        Checker(Path file, WorkloadContext ctx, long promptSeed) {
            this.file = file;
            this.ctx = ctx;
            this.prompts = new RandomStreams(promptSeed).prompts();
        }

        WorkloadException error(long line, String why) {
            return new WorkloadException("workload file " + file + ":" + line + ": " + why);
        }

        void add(long line, Fields f) {
            String id = f.id();
            if (!ids.add(id)) {
                throw error(line, "duplicate id '" + id + "'");
            }
            double arrival = f.arrival();
            if (!(arrival >= 0) || Double.isInfinite(arrival)) {
                throw error(line, "arrival_s must be a finite number >= 0, got " + arrival);
            }
            if (arrival > Workload.MAX_ARRIVAL_SEC) {
                throw error(line, "arrival_s " + arrival + " is beyond the " + Workload.MAX_ARRIVAL_SEC + " s a run's clock can "
                        + "resolve to the nanosecond (about 115 days)");
            }
            if (arrival < lastArrival) {
                throw error(line, "arrival_s " + arrival + " is earlier than the previous line's " + lastArrival
                        + " (requests must be sorted by arrival)");
            }
            int[] promptIds = f.promptIds();
            int len = f.promptLen();
            if (promptIds == null && len == -1) {
                throw error(line, "needs prompt_ids or prompt_len");
            }
            if (promptIds != null && len != -1 && len != promptIds.length) {
                throw error(line, "prompt_len " + len + " disagrees with the " + promptIds.length + " prompt_ids");
            }
            int promptLength = promptIds != null ? promptIds.length : len;
            if (promptLength < 1) {
                throw error(line, promptIds != null ? "prompt_ids is empty" : "prompt_len must be >= 1, got " + len);
            }
            if (promptIds != null) {
                for (int i = 0; i < promptIds.length; i++) {
                    if (promptIds[i] < 0 || promptIds[i] >= ctx.vocab()) {
                        throw error(line, "prompt_ids[" + i + "] = " + promptIds[i] + " is outside the vocabulary [0, " + ctx.vocab() + ")");
                    }
                }
            }
            int output = f.outputLen();
            if (output < 1) {
                throw error(line, "output_len must be >= 1, got " + output);
            }
            if ((long) promptLength + output > ctx.maxContext()) {
                throw error(line, "prompt (" + promptLength + ") + output (" + output + ") = " + ((long) promptLength + output)
                        + " tokens exceeds the model context of " + ctx.maxContext());
            }
            bytes += Workload.bytesNeeded(1, promptLength, output);
            if (bytes > ctx.memoryBytes()) {
                throw error(line, "the " + (out.size() + 1) + " requests up to here need about " + Workload.gb(bytes)
                        + " of memory for their prompts and per-token records, more than the " + Workload.gb(ctx.memoryBytes())
                        + " this run may use (" + Workload.MEMORY_MODEL + ")");
            }
            if (promptIds == null) {
                promptIds = WorkloadGenerator.syntheticPrompt(prompts, len, ctx.vocab());
            }
            SamplingParams sampling;
            try {
                sampling = new SamplingParams((float) f.optional("temperature", 0), (float) f.optional("top_p", 1), f.seed());
            } catch (IllegalArgumentException e) {
                throw error(line, e.getMessage());
            }
            lastArrival = arrival;
            out.add(new RequestSpec(id, arrival, promptIds, output, sampling));
        }

        List<RequestSpec> done() {
            if (out.isEmpty()) {
                throw new WorkloadException("workload file " + file + ": no requests");
            }
            return List.copyOf(out);
        }
    }
}
