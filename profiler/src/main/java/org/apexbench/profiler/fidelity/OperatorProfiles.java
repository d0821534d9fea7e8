package org.apexbench.profiler.fidelity;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Vidur's published operator profiles (TP=1) as committed beside this class: the linear and elementwise kernels of
 * {@code vidur_mlp_tp1.csv} and the sampled attention rows of {@code vidur_attention_tp1_sampled.csv}. Provenance
 * and licence: the README.md and LICENSE-vidur.txt in the same resource folder.
 */
public final class OperatorProfiles {
    static final String MLP = "vidur_mlp_tp1.csv";
    static final String ATTENTION = "vidur_attention_tp1_sampled.csv";

    private OperatorProfiles() {}

    /**
     * One (device, model, token count) row of mlp.csv: each op's median GPU time per layer, seconds.
     *
     * @param repeat 0, or 1 for the second measurement of a token count Vidur's grid lists twice
     */
    public record MlpRow(String device, String model, int tokens, int repeat, Map<String, Double> opSeconds) {
        public double sum(List<String> ops) {
            double s = 0;
            for (String op : ops) s += opSeconds.get(op);
            return s;
        }
    }

    /**
     * One row of attention.csv.
     *
     * @param prefill whether it is a prefill (else decode)
     * @param batch   requests (decode) or 1 (prefill)
     * @param chunk   new tokens of the prefill (0 for decode)
     * @param kv      decode: context tokens of each request; prefill: tokens cached before the chunk
     * @param seconds median time per layer
     */
    public record AttentionRow(String device, String model, String backend, boolean prefill, int batch, int chunk, int kv,
                               double seconds) {}

    /** Every row of the committed mlp.csv subset, in file order. */
    public static List<MlpRow> mlp() {
        List<MlpRow> rows = new ArrayList<>();
        for (CSVRecord r : read(MLP)) {
            Map<String, Double> ops = new LinkedHashMap<>();
            r.toMap().forEach((k, v) -> {
                if (k.endsWith("_ms")) ops.put(k.substring(0, k.length() - 3), Double.parseDouble(v) * 1e-3);
            });
            rows.add(new MlpRow(r.get("device"), r.get("model"), Integer.parseInt(r.get("num_tokens")),
                    Integer.parseInt(r.get("repeat")), Map.copyOf(ops)));
        }
        return rows;
    }

    /** Every row of the committed attention.csv sample, in file order. */
    public static List<AttentionRow> attention() {
        List<AttentionRow> rows = new ArrayList<>();
        for (CSVRecord r : read(ATTENTION)) {
            String kind = r.get("kind");
            if (!kind.equals("decode") && !kind.equals("prefill")) {
                throw new IllegalStateException(ATTENTION + " line " + r.getRecordNumber() + ": kind must be decode or prefill, got " + kind);
            }
            rows.add(new AttentionRow(r.get("device"), r.get("model"), r.get("backend"), kind.equals("prefill"),
                    Integer.parseInt(r.get("batch_size")), Integer.parseInt(r.get("prefill_chunk_size")),
                    Integer.parseInt(r.get("kv_cache_size")), Double.parseDouble(r.get("median_ms")) * 1e-3));
        }
        return rows;
    }

    static InputStream resource(String name) {
        InputStream in = OperatorProfiles.class.getResourceAsStream(name);
        if (in == null) throw new IllegalStateException("fidelity resource missing from the build: " + name);
        return in;
    }

    private static List<CSVRecord> read(String name) {
        try (Reader r = new InputStreamReader(resource(name), StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r)) {
            return p.getRecords();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + name, e);
        }
    }
}
