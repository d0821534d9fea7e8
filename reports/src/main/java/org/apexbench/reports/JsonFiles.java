package org.apexbench.reports;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * summary.json and environment.json.
 *
 * <p>summary.json is deterministic: the metrics flat at the top level under vLLM's key names (plus ours), vLLM's
 * setup keys ({@link VllmSetup}), {@code "label"} (the engine), and {@code "run_spec"} (everything that defines
 * the run: engine, backend, model, hardware spec id, memory budget, workload, seeds, threads). Keys are sorted at every level and lines
 * end in "\n", so a sim run with the same spec and seed gives the same bytes on any machine.
 * Everything that varies between machines or runs (timestamps, host, CPU model, JDK, JVM flags, git commit,
 * GPU and driver) goes to environment.json beside it.
 */
public final class JsonFiles {
    private JsonFiles() {}

    public static final String SUMMARY = "summary.json";
    public static final String ENVIRONMENT = "environment.json";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectWriter WRITER = MAPPER.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    /** The summary document: metrics and vLLM's setup keys at the top level, then label and run spec. */
    public static Map<String, Object> summaryDocument(ReportedRun run) {
        Map<String, Object> doc = new TreeMap<>(run.summary().toMap());
        doc.putAll(run.setup().toMap());
        doc.put("label", run.label());
        doc.put("run_spec", new TreeMap<>(run.runSpec()));
        return doc;
    }

    public static void writeSummary(Path file, ReportedRun run) {
        write(file, summaryDocument(run));
    }

    public static void write(Path file, Object document) {
        TextFiles.write(file, toJson(document) + "\n");
    }

    /** One-line JSON with sorted keys and a final "\n" (vllm-result.json: its arrays stay compact). */
    public static void writeCompact(Path file, Object document) {
        TextFiles.write(file, toCompactJson(document) + "\n");
    }

    public static String toJson(Object document) {
        try {
            return WRITER.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** One-line JSON (for JSON-lines files). */
    public static String toCompactJson(Object document) {
        try {
            return MAPPER.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Reads a JSON object (summary.json, environment.json) as a map, naming the file on error. */
    public static Map<String, Object> read(Path file) {
        try {
            return MAPPER.readValue(file.toFile(), new TypeReference<TreeMap<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not a JSON object: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
