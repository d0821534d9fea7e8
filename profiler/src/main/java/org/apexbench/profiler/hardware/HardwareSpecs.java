package org.apexbench.profiler.hardware;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Built-in hardware specs (JSON resources beside this class) and loading of user spec files. */
public final class HardwareSpecs {
    private static final List<String> BUILT_IN = List.of("t4-g4dn.4xlarge", "a10g-g5.2xlarge", "a10g-g5.4xlarge",
            "a10g-g5.8xlarge", "a10g-g5.16xlarge", "l4-g6.4xlarge", "a100-80gb-sxm", "h100-sxm", "a40");

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .build();

    private HardwareSpecs() {}

    /** Ids of the built-in specs. */
    public static List<String> ids() { return BUILT_IN; }

    /** A built-in spec; the error for an unknown id lists the known ones. */
    public static HardwareSpec builtIn(String id) {
        if (!BUILT_IN.contains(id)) {
            throw new IllegalArgumentException("unknown hardware spec '" + id + "'; known: " + String.join(", ", BUILT_IN)
                    + " (or pass a JSON file)");
        }
        String resource = id + ".json";
        try (InputStream in = HardwareSpecs.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("built-in hardware spec resource missing: " + resource);
            }
            return parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), "built-in " + resource);
        } catch (IOException e) {
            throw new UncheckedIOException("reading built-in hardware spec " + resource, e);
        }
    }

    /** A built-in id, or else a path to a JSON spec file. */
    public static HardwareSpec resolve(String idOrPath) {
        if (BUILT_IN.contains(idOrPath)) {
            return builtIn(idOrPath);
        }
        Path p = Path.of(idOrPath);
        if (Files.isRegularFile(p)) {
            return load(p);
        }
        return builtIn(idOrPath);
    }

    /** Loads a spec file; errors name the file and the field. */
    public static HardwareSpec load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("hardware spec " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses spec JSON; {@code origin} names the file in errors. */
    public static HardwareSpec parse(String json, String origin) {
        try {
            return MAPPER.readValue(json, HardwareSpec.class);
        } catch (JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            Throwable cause = e.getCause();
            String why = cause instanceof IllegalArgumentException iae ? iae.getMessage() : e.getOriginalMessage();
            throw new IllegalArgumentException("hardware spec " + origin + ": "
                    + (path.isEmpty() ? "" : "in " + path + ": ") + why, e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("hardware spec " + origin + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Writes a spec as JSON (for `apex profile` outputs and user templates). */
    public static String toJson(HardwareSpec spec) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
