package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test-data model's reference prompts (reference.json: Hugging Face's greedy tokens for each) as a workload
 * file for the command line, and the check that a run's tokens.jsonl reproduces them.
 */
record ReferencePrompts(JsonNode cases, int outputLen) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ReferencePrompts of(Path model, int outputLen) throws IOException {
        return new ReferencePrompts(JSON.readTree(model.resolve("reference.json").toFile()).get("cases"), outputLen);
    }

    int count() { return cases.size(); }

    /** Every prompt arriving at 0 and asking for {@code outputLen} tokens, one JSON line each. */
    Path writeWorkload(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        for (JsonNode c : cases) {
            lines.add("{\"id\":\"" + c.get("name").asText() + "\",\"arrival_s\":0,\"prompt_ids\":" + c.get("prompt")
                    + ",\"output_len\":" + outputLen + "}");
        }
        return Files.write(file, lines);
    }

    void assertTokensMatch(Path tokensJsonl, String label) throws IOException {
        List<String> got = Files.readAllLines(tokensJsonl);
        assertEquals(cases.size(), got.size(), label + ": one line per prompt");
        for (int i = 0; i < cases.size(); i++) {
            JsonNode line = JSON.readTree(got.get(i));
            assertEquals(cases.get(i).get("name").asText(), line.get("id").asText());
            for (int k = 0; k < outputLen; k++) {
                assertEquals(cases.get(i).get("greedy").get(k).asInt(), line.get("tokens").get(k).asInt(),
                        label + " " + line.get("id").asText() + " token " + k);
            }
        }
    }
}
