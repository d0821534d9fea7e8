package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

class GenerateCommandTest {
    @Test
    void greedyTokensMatchTheHuggingFaceReference() throws Exception {
        Path model = RealEngineRuns.fixture("tiny-llama2");
        JsonNode c = new ObjectMapper().readTree(model.resolve("reference.json").toFile()).get("cases").get(1);
        String prompt = StreamSupport.stream(c.get("prompt").spliterator(), false).map(JsonNode::asText)
                .collect(Collectors.joining(","));
        String expected = StreamSupport.stream(c.get("greedy").spliterator(), false).limit(8).map(JsonNode::asText)
                .collect(Collectors.joining(","));
        Cli r = Cli.run("generate", "--model", model.toString(), "--prompt-ids", prompt, "--max-new-tokens", "8",
                "--backend", "cpu", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals(expected, r.out().trim());
    }

    @Test
    void badModelBackendAndTokenIdsAreClearErrors() {
        Cli r = Cli.run("generate", "--model", "no-such-model", "--prompt-ids", "1", "--max-new-tokens", "2");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("neither a checkpoint folder nor a preset") && r.err().contains("tiny-llama2"), r.err());
        r = Cli.run("generate", "--model", "tiny-llama2", "--prompt-ids", "1", "--max-new-tokens", "2", "--backend", "tpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown backend 'tpu'"), r.err());
        r = Cli.run("generate", "--model", "tiny-llama2", "--prompt-ids", "1,99999", "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("token id 99999 is outside"), r.err());
        r = Cli.run("generate", "--model", "tiny-llama2", "--prompt-ids", "1,x", "--max-new-tokens", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--prompt-ids"), r.err());
    }

    @Test
    void presetWithSeededSamplingIsReproducible() {
        String[] args = {"generate", "--model", "tiny-llama3", "--prompt-ids", "5,6,7", "--max-new-tokens", "5",
                "--temperature", "0.8", "--top-p", "0.9", "--seed", "42", "--threads", "1"};
        Cli a = Cli.run(args), b = Cli.run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out(), b.out());
        assertEquals(5, a.out().trim().split(",").length);
    }
}
