package org.apexbench.serving.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the server reads from a checkpoint folder beyond the model itself. */
public final class ModelFolder {
    private ModelFolder() {}

    /**
     * The end-of-sequence token of {@code dir/config.json} ({@code eos_token_id}: a number, or the first of a list),
     * -1 when it names none or {@code dir} is null (a preset).
     */
    public static int eosTokenId(Path dir) {
        if (dir == null) return -1;
        Path f = dir.resolve("config.json");
        try {
            JsonNode eos = new ObjectMapper().readTree(Files.readString(f)).get("eos_token_id");
            if (eos != null && eos.isArray() && !eos.isEmpty()) eos = eos.get(0);
            return eos != null && eos.canConvertToInt() && eos.isIntegralNumber() ? eos.asInt() : -1;
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": cannot read eos_token_id: " + e.getMessage(), e);
        }
    }
}
