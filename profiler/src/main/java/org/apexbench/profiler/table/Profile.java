package org.apexbench.profiler.table;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A measured profile: named per-op tables plus the per-kernel launch cost, tagged with the
 * fingerprint of the setup it was measured on. Table names and keys (units: seconds; per layer
 * for pre/post/attention, whole for the rest):
 * <ul>
 * <li>{@value #PRE}, {@value #POST}, {@value #EMBED}, {@value #LM_HEAD}: 1-D over rows (tokens)</li>
 * <li>{@value #PREFILL_ATTN}: 1-D over attended (query, key) pairs, measured on single prompts</li>
 * <li>{@value #GPU_DECODE_ATTN}, {@value #CPU_DECODE_ATTN}: 2-D over (requests, total context tokens)</li>
 * <li>{@value #H2D}, {@value #D2H}: 1-D over bytes of one transfer</li>
 * </ul>
 *
 * @param fingerprint        what it was measured on
 * @param tables             tables by name
 * @param launchSecPerKernel host-side cost of one kernel launch
 * @param measuredWith       what produced it (e.g. the cost model's description, or "cuda")
 */
public record Profile(ProfileFingerprint fingerprint, Map<String, ProfileTable> tables, double launchSecPerKernel,
                      String measuredWith) {
    public static final String PRE = "pre";
    public static final String POST = "post";
    public static final String EMBED = "embed";
    public static final String LM_HEAD = "lmHead";
    public static final String PREFILL_ATTN = "prefillAttn";
    public static final String GPU_DECODE_ATTN = "gpuDecodeAttn";
    public static final String CPU_DECODE_ATTN = "cpuDecodeAttn";
    public static final String H2D = "h2d";
    public static final String D2H = "d2h";
    public static final List<String> TABLE_NAMES = List.of(PRE, POST, EMBED, LM_HEAD, PREFILL_ATTN, GPU_DECODE_ATTN,
            CPU_DECODE_ATTN, H2D, D2H);

    /** Longest time a profile cell may hold, in seconds: no single subtask of an iteration takes an hour. */
    public static final double MAX_CELL_SEC = 3600;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    public Profile {
        java.util.Objects.requireNonNull(fingerprint, "fingerprint");
        java.util.Objects.requireNonNull(tables, "tables");
        for (String name : TABLE_NAMES) {
            if (!tables.containsKey(name) || tables.get(name) == null) {
                throw new ProfileException("profile: table '" + name + "' missing; a profile needs " + TABLE_NAMES);
            }
        }
        for (String name : List.of(GPU_DECODE_ATTN, CPU_DECODE_ATTN)) {
            if (!(tables.get(name) instanceof Table2D)) {
                throw new ProfileException("profile: table '" + name + "' must be two-dimensional");
            }
        }
        for (var e : tables.entrySet()) checkCells(e.getKey(), e.getValue());
        if (!(launchSecPerKernel >= 0 && launchSecPerKernel <= MAX_CELL_SEC)) {
            throw new ProfileException("profile: launchSecPerKernel must be a time in [0, " + MAX_CELL_SEC + "] s, got " + launchSecPerKernel);
        }
        tables = java.util.Collections.unmodifiableMap(new TreeMap<>(tables));
    }

    /**
     * Every cell a time in (0, {@link #MAX_CELL_SEC}] seconds: a zero, negative, non-finite or hour-long subtask is a
     * broken measurement, and predictions from it would steer a scheduler wrong (a 1e300 s cell made APEX's error 82%).
     */
    private static void checkCells(String name, ProfileTable t) {
        switch (t) {
            case Table1D d -> {
                double[] s = d.seconds(), x = d.x();
                for (int i = 0; i < s.length; i++) cell(name, "[" + i + "] (x=" + x[i] + ")", s[i]);
            }
            case Table2D d -> {
                double[][] s = d.seconds();
                double[] x = d.x(), y = d.y();
                for (int i = 0; i < s.length; i++) {
                    for (int j = 0; j < s[i].length; j++) cell(name, "[" + i + "][" + j + "] (x=" + x[i] + ", y=" + y[j] + ")", s[i][j]);
                }
            }
        }
    }

    private static void cell(String table, String where, double v) {
        if (!(v > 0 && v <= MAX_CELL_SEC)) {
            throw new ProfileException("profile: table '" + table + "' cell " + where + " is " + v
                    + " s; every cell must be a measured time in (0, " + MAX_CELL_SEC + "] s");
        }
    }

    /** The table of that name (one of {@link #TABLE_NAMES}). */
    public ProfileTable table(String name) {
        ProfileTable t = tables.get(name);
        if (t == null) {
            throw new ProfileException("profile has no table '" + name + "'; tables: " + tables.keySet());
        }
        return t;
    }

    public String toJson() {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a profile; every error is a {@link ProfileException} naming {@code origin} and, where known, the field. */
    public static Profile fromJson(String json, String origin) {
        Profile p;
        try {
            p = MAPPER.readValue(json, Profile.class);
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            // a record constructor refused the values: its message says why
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ProfileException("profile " + origin + ": " + where(e) + cause.getMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ProfileException("profile " + origin + ": " + where(e) + e.getOriginalMessage(), e);
        }
        if (p == null) throw new ProfileException("profile " + origin + ": empty (expected a JSON object)");
        return p;
    }

    private static String where(JsonProcessingException e) {
        if (!(e instanceof com.fasterxml.jackson.databind.JsonMappingException m) || m.getPath().isEmpty()) return "";
        StringBuilder b = new StringBuilder("at ");
        for (var ref : m.getPath()) {
            if (ref.getFieldName() != null) b.append(b.length() > 3 ? "." : "").append(ref.getFieldName());
            else if (ref.getIndex() >= 0) b.append('[').append(ref.getIndex()).append(']');
        }
        return b.append(": ").toString();
    }

    public void save(Path file) {
        try {
            Files.writeString(file, toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("writing profile " + file, e);
        }
    }

    /** Loads a profile whatever its fingerprint (for inspection). */
    public static Profile load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ProfileException("profile " + file + ": not UTF-8 text", e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ProfileException("profile " + file + ": no such file", e);
        } catch (IOException e) {
            throw new ProfileException("profile " + file + ": cannot read: " + e.getMessage(), e);
        }
        return fromJson(text, file.toString());
    }

    /** Loads a profile and refuses it unless it was measured on {@code expected}, listing what differs. */
    public static Profile load(Path file, ProfileFingerprint expected) {
        Profile p = load(file);
        p.requireFingerprint(expected, file.toString());
        return p;
    }

    /** Throws unless this profile's fingerprint equals {@code expected}; the message lists each differing field. */
    public void requireFingerprint(ProfileFingerprint expected, String origin) {
        List<String> diff = fingerprint.differences(expected);
        if (!diff.isEmpty()) {
            throw new ProfileException("profile " + origin + " was measured on a different setup; re-run `apex profile`"
                    + " for this one. Differences: " + String.join("; ", diff));
        }
    }
}
