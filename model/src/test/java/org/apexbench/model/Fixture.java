package org.apexbench.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One tiny test-data checkpoint (testdata/models) with its Hugging Face reference cases. */
record Fixture(String name, Path dir, List<Case> cases) {

    /** A prompt, its greedy continuation, and its prefill logits {@code [prompt.length][vocab]}. */
    record Case(String name, int[] prompt, int[] greedy, float[][] prefillLogits) {}

    /** The test-data models folder (Surefire sets apex.fixtures to testdata/models); missing is a failure, not a skip. */
    static Path root() {
        String dir = System.getProperty("apex.fixtures");
        if (dir == null || !java.nio.file.Files.isDirectory(Path.of(dir))) {
            throw new IllegalStateException("test-data models not found: apex.fixtures=" + dir + " (expected testdata/models)");
        }
        return Path.of(dir);
    }

    static Fixture load(String name) {
        Path dir = root().resolve(name);
        try {
            JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
            int vocab = ModelConfig.load(dir).vocabSize();
            List<Case> cases = new ArrayList<>();
            try (Safetensors st = Safetensors.open(dir.resolve("reference.safetensors"))) {
                for (JsonNode c : ref.get("cases")) {
                    String caseName = c.get("name").textValue();
                    int[] prompt = ints(c.get("prompt"));
                    float[] flat = st.floats(caseName + ".prefill_logits");
                    st.require(caseName + ".prefill_logits", prompt.length, vocab);
                    float[][] logits = new float[prompt.length][];
                    for (int r = 0; r < prompt.length; r++) {
                        logits[r] = java.util.Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
                    }
                    cases.add(new Case(caseName, prompt, ints(c.get("greedy")), logits));
                }
            }
            return new Fixture(name, dir, cases);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    List<int[]> prompts() { return cases.stream().map(Case::prompt).toList(); }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).intValue();
        return out;
    }

    static float maxAbsDiff(float[][] a, float[][] b) {
        if (a.length != b.length) throw new AssertionError("rows " + a.length + " vs " + b.length);
        float max = 0;
        for (int r = 0; r < a.length; r++) {
            if (a[r].length != b[r].length) throw new AssertionError("row " + r + ": " + a[r].length + " vs " + b[r].length);
            for (int i = 0; i < a[r].length; i++) max = Math.max(max, Math.abs(a[r][i] - b[r][i]));
        }
        return max;
    }
}
